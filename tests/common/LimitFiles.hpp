#pragma once
/// The rows of a built-in limit file read by the tests themselves (not through
/// LimitTable), and a log-log interpolation of them: the expectations of the
/// verdict tests come from the published numbers, not from the code under test.
/// Needs PORTALSCAN_SOURCE_DIR.

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::test {

inline std::vector<std::pair<double, double>> limitFileRows(const std::string& file) {
  std::ifstream in(std::filesystem::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" /
                   "limits" / file);
  EXPECT_TRUE(in) << file;
  std::vector<std::pair<double, double>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    double x = 0.0, y = 0.0;
    fields >> x >> y;
    rows.emplace_back(x, y);
  }
  return rows;
}

/// Log-log interpolation at x (in the file's own unit) by a linear search; NaN outside.
inline double logLogAt(const std::vector<std::pair<double, double>>& rows, double x) {
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    const auto [x0, y0] = rows[i];
    const auto [x1, y1] = rows[i + 1];
    if (x0 <= x && x <= x1) {
      const double t = std::log(x / x0) / std::log(x1 / x0);
      return std::exp(std::log(y0) + t * std::log(y1 / y0));
    }
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace portalscan::test
