// End-to-end scan benchmark: points per second at 1 and 2 threads (or those
// given), for the kernel alone, kernel plus constraint chain, and whole runs
// into an HDF5 file (keep all / allowed, with and without compression), with
// the share of time in sampling, kernel, chain and writing.
//
// Run: build/release/tests/bench/bench_scan [CONFIG.json] [THREADS...]
// (default: scans/quickstart.json, threads 1 2); PORTALSCAN_BENCH_STAGES=kernel,all-gz1
// runs only the stages named (see selected()).

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/Sampler.hpp"

#include <malloc.h>
#include <omp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace portalscan;
using namespace portalscan::scanner;
using Clock = std::chrono::steady_clock;

namespace {

/// CPU seconds of the whole process: on a loaded machine (the shared 2 cores) wall-clock rates
/// measure the load; CPU time per point measures the work.
double processCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Points per second of sampling + mapping + kernel (+ chain), no output.
double kernelRate(const ScanConfig& c, int threads, bool withChain, double* cpuPerPoint) {
  const double cpu0 = processCpuSeconds();
  const auto sampler = makeSampler(c);
  const ParameterSpace space(c);
  const auto& model = *c.kernel;
  const auto chunks = allChunks(c);
  const auto start = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    const std::size_t d = sampler->dimension();
    std::vector<double> u(c.output.chunkPoints * d), p(model.parameters().size()),
        o(model.observables().size()), stat(c.chain.constraints().size()),
        chi2(c.chain.constraints().size());
    std::vector<std::uint8_t> pass(c.chain.constraints().size());
#pragma omp for schedule(dynamic, 1)
    for (std::size_t k = 0; k < chunks.size(); ++k) {
      const auto [b, e] = chunks[k];
      sampler->fill(b, e, std::span(u.data(), (e - b) * d));
      for (std::uint64_t i = 0; i < e - b; ++i) {
        space.map(std::span(u.data() + i * d, d), p);
        const auto s = model.evaluate(p, c.output.blocks, o);
        if (withChain) c.chain.judge(p, o, s, pass, stat, chi2);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  *cpuPerPoint = (processCpuSeconds() - cpu0) / static_cast<double>(c.points);
  return static_cast<double>(c.points) / seconds;
}

/// Evaluates the scan's first chunk, untimed: the kernel's one-time tables (g_*, thermal
/// weights, freeze-in integrals, ...; about 0.4 s, built on first use) would otherwise land in
/// the first stage's time and make it look slower than the later ones.
void warmUp(const ScanConfig& c) {
  const auto sampler = makeSampler(c);
  const ParameterSpace space(c);
  const auto& model = *c.kernel;
  const auto [b, e] = allChunks(c).front();
  const std::size_t d = sampler->dimension();
  std::vector<double> u((e - b) * d), p(model.parameters().size()), o(model.observables().size());
  sampler->fill(b, e, std::span(u.data(), u.size()));
  for (std::uint64_t i = 0; i < e - b; ++i) {
    space.map(std::span(u.data() + i * d, d), p);
    (void)model.evaluate(p, c.output.blocks, o);
  }
}

/// Whether a stage is selected: PORTALSCAN_BENCH_STAGES, a comma-separated list of stage
/// names (kernel, chain, all-gz1, all-gz0, allowed-gz1, allowed-gz0); unset: every stage.
bool selected(const std::string& stage) {
  const char* list = std::getenv("PORTALSCAN_BENCH_STAGES");
  if (!list) return true;
  const std::string s = std::string(",") + list + ",";
  return s.find("," + stage + ",") != std::string::npos;
}

void endToEnd(ScanConfig c, int threads, const char* label, double kernelOnly) {
  c.threads = threads;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("portalscan-bench-" + std::to_string(getpid()) + ".h5"))
                               .string();
  std::filesystem::remove(path);
  const auto start = Clock::now();
  const double cpu0 = processCpuSeconds();
  ScanWriter writer(c, path, true);
  const RunStatistics s = execute(c, allChunks(c), writer, nullptr);
  writer.finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = processCpuSeconds() - cpu0;
  const double busy = s.samplingSeconds + s.kernelSeconds + s.chainSeconds + s.writeSeconds;
  const double rate = static_cast<double>(c.points) / seconds;
  const double perPoint = 1e9 / static_cast<double>(c.points);
  // The writer's serial part (ScanWriter::append, under the executor's write lock) in CPU
  // time of the thread that ran it, and the workers' share of the writing (prepare:
  // checksums and compression) in thread-seconds: per point, in ns.
  std::printf(
      "  %-34s %2d  %10.0f  sampling %4.1f%%  kernel %4.1f%%  chain %4.1f%%  writing %4.1f%%  "
      "%7.1f MB  cpu %6.0f ns/pt  writer cpu %6.0f ns/pt  workers' encode %6.0f ns/pt",
      label, threads, rate, 100 * s.samplingSeconds / busy, 100 * s.kernelSeconds / busy,
      100 * s.chainSeconds / busy, 100 * s.writeSeconds / busy,
      static_cast<double>(std::filesystem::file_size(path)) / 1e6, cpu * perPoint,
      s.writeCpuSeconds * perPoint, s.encodeSeconds * perPoint);
  if (kernelOnly > 0) std::printf("  %5.1f%% of kernel only", 100 * rate / kernelOnly);
  std::printf("\n");
  std::filesystem::remove(path);
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_TRIM_THRESHOLD, 256 << 20);  // as portalscan's main does (see scanner/app/main.cpp)
  const std::string configPath =
      argc > 1 ? argv[1] : PORTALSCAN_SOURCE_DIR "/scans/quickstart.json";
  std::vector<int> threads;
  for (int i = 2; i < argc; ++i) threads.push_back(std::stoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  std::ifstream in(configPath);
  const auto json = nlohmann::ordered_json::parse(in);
  std::printf("%s: %s\n", configPath.c_str(), json.value("description", "").c_str());
  std::printf("  %-34s %2s  %10s\n", "stage", "j", "points/s");
  warmUp(parseConfig(json, configPath));
  for (int t : threads) {
    const ScanConfig c = parseConfig(json, configPath);
    double kernelOnly = 0, cpuPerPoint = 0;
    if (selected("kernel")) {
      kernelOnly = kernelRate(c, t, false, &cpuPerPoint);
      std::printf("  %-34s %2d  %10.0f  cpu %6.0f ns/pt\n", "kernel only", t, kernelOnly,
                  1e9 * cpuPerPoint);
    }
    if (selected("chain")) {
      const double rate = kernelRate(c, t, true, &cpuPerPoint);
      std::printf("  %-34s %2d  %10.0f  cpu %6.0f ns/pt\n", "kernel + chain", t, rate,
                  1e9 * cpuPerPoint);
    }
    for (const char* keep : {"all", "allowed"}) {
      for (int gz : {0, 1}) {
        if (!selected(std::string(keep) + "-gz" + std::to_string(gz))) continue;
        auto j = json;
        j["output"]["keep"] = keep;
        j["output"]["compression"] = gz;
        const std::string label =
            std::string("run, keep ") + keep + ", compression " + std::to_string(gz);
        endToEnd(parseConfig(j, configPath), t, label.c_str(), kernelOnly);
      }
    }
  }
}
