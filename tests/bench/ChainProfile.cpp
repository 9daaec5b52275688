// Cost per point of a scan's constraint chain (Chain::judge alone), on the scan's own points:
//   build/release/tests/bench/profile_chain CONFIG.json [POINTS] [REPEATS]
// POINTS (default 4000) of the scan, drawn at random (seed 1) from its whole design, are
// mapped and evaluated by the kernel first (not measured); then the chain judges them.
// Under callgrind (valgrind --tool=callgrind --instr-atstart=no ...) only one pass of the
// chain over the points is instrumented: Ir per point = the total callgrind reports / POINTS.
// Outside valgrind the chain judges the points REPEATS (default 9) times, each pass timed in
// the thread's CPU time (the machine is shared: CPU time, not wall time), and the program
// prints the median ns per point, the passes' coefficient of variation, and a checksum of
// every verdict (pass flags, statistics, chi2, status, allowed, chi2 total) so that two
// builds can be seen to judge alike.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Sampler.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else  // without valgrind's headers the program only times the chain
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#define RUNNING_ON_VALGRIND 0
#endif

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <vector>

using namespace portalscan;
using namespace portalscan::scanner;

namespace {

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// FNV-1a over the bytes of a value.
void mix(std::uint64_t& h, const void* data, std::size_t n) {
  const auto* b = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: profile_chain CONFIG.json [POINTS] [REPEATS]\n");
    return 2;
  }
  const int n = argc > 2 ? std::atoi(argv[2]) : 4000;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 9;
  if (n <= 0 || repeats <= 0) {
    std::fprintf(stderr, "profile_chain: POINTS and REPEATS must be positive integers\n");
    return 2;
  }
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "profile_chain: cannot read %s\n", argv[1]);
    return 2;
  }
  const ScanConfig c = parseConfig(nlohmann::ordered_json::parse(in), argv[1]);
  const auto& model = *c.kernel;
  const auto& chain = c.chain;
  const auto sampler = makeSampler(c);
  const ParameterSpace space(c);
  const std::size_t d = sampler->dimension(), np = model.parameters().size(),
                    no = model.observables().size(), nc = chain.constraints().size();
  std::vector<double> u(d), parameters(n * np), observables(n * no);
  std::vector<PointStatus> status(n);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<std::uint64_t> pick(0, sampler->size() - 1);
  for (int i = 0; i < n; ++i) {
    const std::uint64_t k = pick(rng);
    sampler->fill(k, k + 1, u);
    const std::span<double> p(parameters.data() + i * np, np);
    space.map(u, p);
    status[i] = model.evaluate(p, c.output.blocks, std::span(observables.data() + i * no, no));
  }
  std::vector<std::uint8_t> pass(n * nc);
  std::vector<double> statistic(n * nc), chi2(n * nc);
  std::vector<constraints::Chain::Result> results(n);
  auto judgeAll = [&] {
    for (int i = 0; i < n; ++i) {
      results[i] = chain.judge(
          std::span(parameters.data() + i * np, np), std::span(observables.data() + i * no, no),
          status[i], std::span(pass.data() + i * nc, nc), std::span(statistic.data() + i * nc, nc),
          std::span(chi2.data() + i * nc, nc));
    }
  };
  judgeAll();  // warm-up: caches, branch predictors, any one-time table
  std::printf("%s: %d points, %zu constraints\n", argv[1], n, nc);
  if (RUNNING_ON_VALGRIND) {
    CALLGRIND_START_INSTRUMENTATION;
    judgeAll();
    CALLGRIND_STOP_INSTRUMENTATION;
  } else {
    std::vector<double> ns;
    for (int r = 0; r < repeats; ++r) {
      // Enough passes for ~0.2 s per repeat.
      int passes = 1;
      double t = 0;
      for (;;) {
        const double t0 = threadCpuSeconds();
        for (int k = 0; k < passes; ++k) judgeAll();
        t = threadCpuSeconds() - t0;
        if (t > 0.2) break;
        passes *= 2;
      }
      ns.push_back(1e9 * t / (static_cast<double>(passes) * n));
    }
    std::vector<double> sorted = ns;
    std::sort(sorted.begin(), sorted.end());
    double mean = 0, var = 0;
    for (double v : ns) mean += v / static_cast<double>(ns.size());
    for (double v : ns) var += (v - mean) * (v - mean) / static_cast<double>(ns.size());
    std::printf("chain: median %.1f ns per point (min %.1f, max %.1f, cv %.1f%%, %d repeats)\n",
                sorted[sorted.size() / 2], sorted.front(), sorted.back(),
                100 * std::sqrt(var) / mean, repeats);
  }
  std::uint64_t h = 1469598103934665603ULL;
  std::size_t allowed = 0;
  for (int i = 0; i < n; ++i) {
    mix(h, &results[i].allowed, sizeof(bool));
    mix(h, &results[i].status, sizeof(PointStatus));
    mix(h, &results[i].chi2Total, sizeof(double));
    allowed += results[i].allowed ? 1 : 0;
  }
  mix(h, pass.data(), pass.size());
  mix(h, statistic.data(), statistic.size() * sizeof(double));
  mix(h, chi2.data(), chi2.size() * sizeof(double));
  std::printf("verdicts: %zu of %d allowed, checksum %016llx\n", allowed, n,
              static_cast<unsigned long long>(h));
}
