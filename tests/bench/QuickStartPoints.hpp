#pragma once
/// Points of scans/quickstart.json for the kernel benchmarks: M_N = 1e11 GeV, y_e = 1e-2,
/// v_s = 1 TeV, and epsilon, M_chi, f_L = f_R, g_s log-uniform over the scanned ranges
/// (continuous rather than the 40 x 40 x 40 x 5 grid, so that no point repeats); the other
/// parameters at their defaults. Seed 1, like the jittered default points.

#include "portalscan/physics/Model.hpp"

#include <cmath>
#include <random>
#include <string>
#include <vector>

namespace portalscan::bench {

inline std::vector<std::vector<double>> quickStartPoints(const physics::Model& model, int n) {
  std::mt19937_64 rng(1);
  auto logUniform = [&](double lo, double hi) {
    return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
  };
  auto index = [&](const char* name) { return *model.parameterIndex(name); };
  std::vector<std::vector<double>> points;
  for (int i = 0; i < n; ++i) {
    auto p = model.defaultParameterValues();
    p[index("M_N")] = 1e11;
    p[index("y_e")] = 1e-2;
    p[index("v_s")] = 1000.0;
    p[index("epsilon")] = logUniform(1e-10, 0.1);
    p[index("M_chi")] = logUniform(1e-6, 1e-4);
    p[index("f_L")] = p[index("f_R")] = logUniform(1e-6, 1e-2);
    p[index("g_s")] = logUniform(0.3, 1.0);
    points.push_back(p);
  }
  return points;
}

}  // namespace portalscan::bench
