// Cost of the physics kernels per point and per observable block.
// Run: build/release/tests/bench/bench_kernels

#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Quadrature.hpp"

#include "QuickStartPoints.hpp"
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <random>

namespace {

using portalscan::physics::BlockMask;
using portalscan::physics::Model;
using portalscan::physics::ModelRegistry;

/// Parameters jittered around the defaults so no cache or branch sees one point; those named in
/// `keep` stay at their defaults (the same draws for the others).
std::vector<std::vector<double>> jitteredPoints(const Model& model, int n,
                                                const std::vector<std::string>& keep = {}) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.5, 2.0);
  std::vector<bool> kept(model.parameters().size(), false);
  for (const auto& name : keep) kept[*model.parameterIndex(name)] = true;
  std::vector<std::vector<double>> points;
  for (int i = 0; i < n; ++i) {
    auto p = model.defaultParameterValues();
    for (std::size_t k = 0; k < p.size(); ++k) {
      const double factor = u(rng);
      if (!kept[k]) p[k] *= factor;
    }
    points.push_back(p);
  }
  return points;
}

/// Times model.evaluate over the 1 024 points in turn. One untimed pass first: the one-time
/// tables (g_*, thermal weights, freeze-out species sums, dilution, freeze-in integrals, alpha_s
/// at the thresholds, lfv_nsi's cached threshold nodes) are built on first use, and would
/// otherwise land in the first repetition (seconds, not nanoseconds).
void timeEvaluate(benchmark::State& state, const Model& model,
                  const std::vector<std::vector<double>>& points, BlockMask blocks) {
  std::vector<double> out(model.observables().size());
  for (const auto& p : points) benchmark::DoNotOptimize(model.evaluate(p, blocks, out));
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model.evaluate(points[i++ & 1023], blocks, out));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

/// lfv_nsi's detector thresholds, fixed in a scan's config: at their defaults the coherent
/// block reads its tables only (bench_kernels' plain lfv_nsi entries jitter them too).
const std::vector<std::string> kLfvThresholds = {"T_threshold_ar", "T_threshold_csi"};

void kernel(benchmark::State& state, const std::string& modelName,
            const portalscan::physics::Options& options, const std::string& block,
            const std::vector<std::string>& keep = {}, bool quickStart = false) {
  const auto model = ModelRegistry::builtin().create(modelName, options);
  // "frame": no block, i.e. only the per-call frame (NaN fill, input checks, closure, budget
  // guard): the most a batch interface amortising it over many points could save.
  const BlockMask blocks = block == "default" ? model->defaultBlocks()
                           : block == "frame" ? BlockMask{0}
                                              : BlockMask{1} << *model->blockIndex(block);
  const auto points = quickStart ? portalscan::bench::quickStartPoints(*model, 1024)
                                 : jitteredPoints(*model, 1024, keep);
  timeEvaluate(state, *model, points, blocks);
}

/// lfv_nsi's default blocks with both thresholds fixed at values other than the defaults (a scan
/// that sets them in its config: the coherent block's partial sums over the same nodes at every
/// point), the other parameters jittered as in kernel().
void kernelAtFixedThresholds(benchmark::State& state, double arThreshold, double csiThreshold) {
  const auto model = ModelRegistry::builtin().create("lfv_nsi");
  auto points = jitteredPoints(*model, 1024, kLfvThresholds);
  const auto ar = *model->parameterIndex("T_threshold_ar");
  const auto csi = *model->parameterIndex("T_threshold_csi");
  for (auto& p : points) {
    p[ar] = arThreshold;
    p[csi] = csiThreshold;
  }
  const BlockMask blocks = model->defaultBlocks();
  timeEvaluate(state, *model, points, blocks);
}

/// Reaches the protected Model::compute, for the batch prototype below only.
struct ComputeAccess : Model {
  static auto pointer() { return &ComputeAccess::compute; }
};

/// Prototype of a batch interface (N points per call instead of N evaluate() calls): what a
/// Model::evaluateBatch over N rows could hoist out of the per-point frame (the budget scope,
/// the closure look-up, the call itself), keeping per point what a point needs (its own
/// budget count, the NaN fill, the input check, compute(), the not-applying NaNs, its status).
/// Results are those of evaluate() (checked before timing).
void kernelBatch(benchmark::State& state, const std::string& modelName,
                 const std::vector<std::string>& keep) {
  namespace q = portalscan::physics::quadrature;
  using portalscan::PointStatus;
  const auto model = ModelRegistry::builtin().create(modelName, {});
  const BlockMask blocks = model->defaultBlocks();
  const auto points = jitteredPoints(*model, 1024, keep);
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  const std::size_t nObs = model->observables().size();
  std::vector<std::size_t> notApplying;
  for (std::size_t k = 0; k < nObs; ++k) {
    if (!model->applies(k)) notApplying.push_back(k);
  }
  const auto compute = ComputeAccess::pointer();
  std::vector<double> out(n * nObs), check(nObs);
  std::vector<PointStatus> status(n);
  auto batch = [&](std::size_t first) {
    const BlockMask closed = model->closure(blocks);
    const q::EvaluationBudget budget(q::kPointEvaluationBudget);
    for (std::size_t j = 0; j < n; ++j) {
      const auto& p = points[(first + j) & 1023];
      const std::span<double> o(out.data() + j * nObs, nObs);
      {  // as evaluate() does it
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        std::size_t i = 0;
        for (; i + 4 <= nObs; i += 4) o[i] = o[i + 1] = o[i + 2] = o[i + 3] = nan;
        for (; i < nObs; ++i) o[i] = nan;
      }
      bool finite = true;
      for (double x : p) finite &= std::isfinite(x);
      if (!finite) {
        status[j] = PointStatus::InvalidInput;
        continue;
      }
      q::detail::counter.used = 0;  // each point its own budget
      try {
        status[j] = (model.get()->*compute)(p, closed, o);
      } catch (...) {
        status[j] = PointStatus::SolverFailed;  // (a prototype: the exceptions are not sorted)
        std::fill(o.begin(), o.end(), std::numeric_limits<double>::quiet_NaN());
      }
      for (const std::size_t k : notApplying) o[k] = std::numeric_limits<double>::quiet_NaN();
    }
  };
  for (std::size_t first = 0; first < 1024; first += n) {  // untimed pass, and the check
    batch(first);
    for (std::size_t j = 0; j < n; ++j) {
      const auto s = model->evaluate(points[(first + j) & 1023], blocks, check);
      for (std::size_t k = 0; k < nObs; ++k) {
        const double a = out[j * nObs + k], b = check[k];
        if (s != status[j] || !(a == b || (std::isnan(a) && std::isnan(b)))) {
          state.SkipWithError("batch prototype differs from evaluate()");
          return;
        }
      }
    }
  }
  std::size_t first = 0;
  for (auto _ : state) {
    batch(first);
    first += n;
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
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
  benchmark::RegisterBenchmark(
      "kernel/lfv_nsi@default_thresholds/default",
      [](benchmark::State& s) { kernel(s, "lfv_nsi", {}, "default", kLfvThresholds); });
  benchmark::RegisterBenchmark("kernel/lfv_nsi@fixed_thresholds_3e-5_8e-6/default",
                               [](benchmark::State& s) { kernelAtFixedThresholds(s, 3e-5, 8e-6); });
  // The batch prototype, N points per call (items/s per point; compare with the entry above).
  benchmark::RegisterBenchmark(
      "kernel_batch/lfv_nsi@default_thresholds/default",
      [](benchmark::State& s) { kernelBatch(s, "lfv_nsi", kLfvThresholds); })
      ->Arg(1)
      ->Arg(16)
      ->Arg(256);
  // The points of scans/quickstart.json (thermal and frozen-in chi), default blocks.
  benchmark::RegisterBenchmark(
      "kernel/hidden_kev_fermion[quickstart]/default",
      [](benchmark::State& s) { kernel(s, "hidden_kev_fermion", {}, "default", {}, true); });
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
