// Instruction counts per point of a model's kernel, for callgrind:
//   valgrind --tool=callgrind --instr-atstart=no
//       build/release/tests/bench/profile_kernels MODEL [POINTS] [KEY=VALUE options...]
//       [--keep=PARAMETER,...] [--set=PARAMETER=VALUE,...]
// Only the evaluation of POINTS points (default 2000) is instrumented: the model's
// construction and one warm-up pass over the points (which builds every one-time table)
// are not. Ir per point = the total callgrind reports / POINTS. The points are the same
// as bench_kernels' (defaults jittered x0.5..2, seed 1); the parameters named by --keep stay
// at their defaults (as in a scan that fixes them, e.g. lfv_nsi's T_threshold_ar and
// T_threshold_csi, whose non-default values cost the coherent block extra sums); those named by
// --set take the value given at every point instead (a scan that fixes them elsewhere, e.g.
// --set=T_threshold_ar=3e-5,T_threshold_csi=8e-6). Outside valgrind
// the client requests do nothing and the program only evaluates the points.
// MODEL hidden_kev_fermion:quickstart takes the points of scans/quickstart.json instead
// (QuickStartPoints.hpp).

#include "portalscan/physics/Model.hpp"

#include "QuickStartPoints.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else  // without valgrind's headers the program only evaluates the points
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  using portalscan::physics::ModelRegistry;
  if (argc < 2) {
    std::fprintf(stderr, "usage: profile_kernels MODEL [POINTS] [KEY=VALUE...] [--keep=P,...]\n");
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 2000;
  if (n <= 0) {
    std::fprintf(stderr, "profile_kernels: POINTS must be a positive integer\n");
    return 2;
  }
  portalscan::physics::Options options;
  std::vector<std::string> keep;
  std::vector<std::pair<std::string, double>> set;
  for (int i = 3; i < argc; ++i) {
    const std::string kv = argv[i];
    if (kv.rfind("--keep=", 0) == 0) {
      std::string list = kv.substr(7);
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = std::min(list.find(',', at), list.size());
        keep.push_back(list.substr(at, comma - at));
        at = comma + 1;
      }
      continue;
    }
    if (kv.rfind("--set=", 0) == 0) {
      const std::string list = kv.substr(6);
      for (std::size_t at = 0; at <= list.size();) {
        const auto comma = std::min(list.find(',', at), list.size());
        const std::string item = list.substr(at, comma - at);
        const auto eq = item.find('=');
        char* end = nullptr;
        const double value =
            eq == std::string::npos ? 0.0 : std::strtod(item.c_str() + eq + 1, &end);
        if (eq == std::string::npos || end == item.c_str() + eq + 1 || *end != '\0') {
          std::fprintf(stderr, "profile_kernels: --set: '%s' is not PARAMETER=VALUE\n",
                       item.c_str());
          return 2;
        }
        set.emplace_back(item.substr(0, eq), value);
        at = comma + 1;
      }
      continue;
    }
    const auto eq = kv.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "profile_kernels: option '%s' is not KEY=VALUE\n", argv[i]);
      return 2;
    }
    options[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::string name = argv[1];
  const bool quickStart = name == "hidden_kev_fermion:quickstart";
  if (quickStart) name = "hidden_kev_fermion";
  const auto model = ModelRegistry::builtin().create(name, options);
  std::vector<bool> kept(model->parameters().size(), false);
  for (const auto& k : keep) {
    const auto i = model->parameterIndex(k);
    if (!i) {
      std::fprintf(stderr, "profile_kernels: --keep: no parameter '%s'\n", k.c_str());
      return 2;
    }
    kept[*i] = true;
  }
  std::vector<std::pair<std::size_t, double>> fixed;
  for (const auto& [parameter, value] : set) {
    const auto i = model->parameterIndex(parameter);
    if (!i) {
      std::fprintf(stderr, "profile_kernels: --set: no parameter '%s'\n", parameter.c_str());
      return 2;
    }
    fixed.emplace_back(*i, value);
  }
  std::vector<std::vector<double>> points;
  if (quickStart) {
    points = portalscan::bench::quickStartPoints(*model, n);
  } else {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(0.5, 2.0);
    for (int i = 0; i < n; ++i) {
      auto p = model->defaultParameterValues();
      for (std::size_t k = 0; k < p.size(); ++k) {
        const double factor = u(rng);  // drawn for every parameter: the others as without --keep
        if (!kept[k]) p[k] *= factor;
      }
      for (const auto& [k, value] : fixed) p[k] = value;
      points.push_back(p);
    }
  }
  const auto blocks = model->defaultBlocks();
  std::vector<double> out(model->observables().size());
  double sink = 0.0;
  for (const auto& p : points) sink += static_cast<double>(model->evaluate(p, blocks, out));
  CALLGRIND_START_INSTRUMENTATION;
  for (const auto& p : points) sink += static_cast<double>(model->evaluate(p, blocks, out));
  CALLGRIND_STOP_INSTRUMENTATION;
  std::printf("%s: %d points evaluated (status sum %g)\n", argv[1], n, sink);
  return 0;
}
