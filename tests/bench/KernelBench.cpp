// Cost of the physics kernels per point and per observable block.
// Run: build/release/tests/bench/bench_kernels

#include "portalscan/physics/Model.hpp"

#include "QuickStartPoints.hpp"
#include <benchmark/benchmark.h>

#include <random>

namespace {

using portalscan::physics::BlockMask;
using portalscan::physics::Model;
using portalscan::physics::ModelRegistry;

/// Parameters jittered around the defaults so no cache or branch sees one point.
std::vector<std::vector<double>> jitteredPoints(const Model& model, int n) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  std::vector<std::vector<double>> points;
  for (int i = 0; i < n; ++i) {
    auto p = model.defaultParameterValues();
    for (double& x : p) x *= u(rng);
    points.push_back(p);
  }
  return points;
}

void kernel(benchmark::State& state, const std::string& modelName,
            const portalscan::physics::Options& options, const std::string& block,
            bool quickStart = false) {
  const auto model = ModelRegistry::builtin().create(modelName, options);
  // "frame": no block, i.e. only the per-call frame (NaN fill, input checks, closure, budget
  // guard): the most a batch interface amortising it over many points could save.
  const BlockMask blocks = block == "default" ? model->defaultBlocks()
                           : block == "frame" ? BlockMask{0}
                                              : BlockMask{1} << *model->blockIndex(block);
  const auto points =
      quickStart ? portalscan::bench::quickStartPoints(*model, 1024) : jitteredPoints(*model, 1024);
  std::vector<double> out(model->observables().size());
  // One untimed pass: the one-time tables (g_*, thermal weights, freeze-out species sums,
  // dilution, freeze-in integrals, alpha_s at the thresholds) are built on first use, and
  // would otherwise land in the first repetition (seconds, not nanoseconds).
  for (const auto& p : points) benchmark::DoNotOptimize(model->evaluate(p, blocks, out));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model->evaluate(points[i++ & 1023], blocks, out));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void registerKernels() {
  const auto& registry = ModelRegistry::builtin();
  for (const auto& name : registry.names()) {
    const auto model = registry.create(name);
    std::vector<std::string> blocks = {"default", "frame"};
    for (const auto& b : model->blocks()) blocks.push_back(b.name);
    for (const auto& b : blocks) {
      benchmark::RegisterBenchmark(("kernel/" + name + "/" + b).c_str(),
                                   [name, b](benchmark::State& s) { kernel(s, name, {}, b); });
    }
  }
  // The points of scans/quickstart.json (thermal and frozen-in chi), default blocks.
  benchmark::RegisterBenchmark(
      "kernel/hidden_kev_fermion[quickstart]/default",
      [](benchmark::State& s) { kernel(s, "hidden_kev_fermion", {}, "default", true); });
  // lfv_nsi in mass_matrix mode diagonalises one block per flavour (4x4 Majorana, 5x5 Dirac).
  for (const std::string version : {"lepton_number_violating", "lepton_number_conserving"}) {
    const portalscan::physics::Options options = {{"mixing", "mass_matrix"}, {"version", version}};
    benchmark::RegisterBenchmark(
        ("kernel/lfv_nsi[mass_matrix," + version + "]/default").c_str(),
        [options](benchmark::State& s) { kernel(s, "lfv_nsi", options, "default"); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerKernels();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
