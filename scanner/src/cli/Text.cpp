#include "portalscan/scanner/cli/Text.hpp"

#include "portalscan/physics/Error.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace portalscan::scanner {

double parseFiniteNumber(std::string_view text, std::string_view what) {
  double value = 0.0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (!text.empty() && *begin == '+') ++begin;  // from_chars does not take a leading '+'
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    throw InputError(std::string(what) + " is not a finite number: '" + std::string(text) + "'");
  }
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw InputError(std::string(what) + " is not a number: '" + std::string(text) + "'");
  }
  if (!std::isfinite(value)) {
    throw InputError(std::string(what) + " is not a finite number: '" + std::string(text) + "'");
  }
  return value;
}

std::pair<std::string, std::string> parseAssignment(std::string_view text, std::string_view flag) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    throw InputError("malformed " + std::string(flag) + " '" + std::string(text) +
                     "': expected NAME=VALUE");
  }
  return {std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

std::string formatNumber(double value, int digits) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

nlohmann::json numberToJson(double value) {
  if (std::isnan(value)) return nullptr;
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return value;
}

}  // namespace portalscan::scanner
