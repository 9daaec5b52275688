// Cost of the constraint chain per point: the default chains, and a chain of
// 20 limit curves of 600 rows each (log-log), beside the hidden_kev_fermion
// kernel in the same run. Target: 20 curves under 10% of the kernel.
// Run: build/ci/tests/bench/bench_chain

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/constraints/LimitTable.hpp"
#include "portalscan/physics/Model.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>

namespace {

using namespace portalscan;

std::unique_ptr<physics::Model> hidden() {
  return physics::ModelRegistry::builtin().create("hidden_kev_fermion");
}

/// A synthetic 600-row curve bound(M_chi) on delta_rho, wiggling over four decades.
std::shared_ptr<const constraints::LimitTable> syntheticCurve(int k) {
  std::string text =
      "# portalscan-limit-1\n# experiment: benchmark\n# reference: synthetic\n# cl: 0.90\n"
      "# x: M_chi GeV\n# y: delta_rho 1\n# excluded: above\n# interpolation: x=log y=log\n"
      "# digitised: generated\n# licence: none\n";
  for (int i = 0; i < 600; ++i) {
    const double x = 1e-7 * std::pow(10.0, 4.0 * i / 599.0);
    const double y = 1e-4 * (1.5 + std::sin(0.05 * i + k));
    char row[64];
    std::snprintf(row, sizeof row, "%.9g %.9g\n", x, y);
    text += row;
  }
  return std::make_shared<const constraints::LimitTable>(
      constraints::parseLimitTable(text, "curve" + std::to_string(k) + ".dat"));
}

constraints::Chain curveChain(const physics::Model& model, int n) {
  std::vector<constraints::Entry> entries;
  std::vector<constraints::Request> requests;
  for (int k = 0; k < n; ++k) {
    constraints::Entry e;
    e.name = "curve" + std::to_string(k);
    e.family = "benchmark";
    constraints::Limit l;
    l.kind = constraints::Kind::Curve;
    l.x = "M_chi";
    l.table = syntheticCurve(k);
    l.experiment = "benchmark";
    e.variants["current"] = l;
    e.uses.push_back({"hidden_kev_fermion", {}, "delta_rho", {}});
    entries.push_back(e);
    requests.push_back({e.name, std::nullopt, std::nullopt, nullptr});
  }
  return constraints::Chain(constraints::Catalogue(entries), model, requests);
}

struct Points {
  std::vector<std::vector<double>> parameters, observables;
  std::vector<PointStatus> status;
};

/// Parameters jittered around the defaults (M_chi over its curves' range), evaluated once.
Points points(const physics::Model& model, int n) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.5, 2.0), decades(-6.9, -3.1);
  Points pts;
  for (int i = 0; i < n; ++i) {
    auto p = model.defaultParameterValues();
    for (double& x : p) x *= u(rng);
    p[*model.parameterIndex("M_chi")] = std::pow(10.0, decades(rng));
    std::vector<double> o(model.observables().size());
    pts.status.push_back(model.evaluate(p, model.defaultBlocks(), o));
    pts.parameters.push_back(p);
    pts.observables.push_back(o);
  }
  return pts;
}

void chainCost(benchmark::State& state, int curves) {
  const auto model = hidden();
  const auto chain = curveChain(*model, curves);
  const Points pts = points(*model, 1024);
  std::vector<std::uint8_t> pass(chain.constraints().size());
  std::vector<double> stat(pass.size()), chi2(pass.size());
  std::size_t i = 0;
  for (auto _ : state) {
    const std::size_t k = i++ & 1023;
    benchmark::DoNotOptimize(
        chain.judge(pts.parameters[k], pts.observables[k], pts.status[k], pass, stat, chi2));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

void kernelCost(benchmark::State& state) {
  const auto model = hidden();
  const Points pts = points(*model, 1024);
  std::vector<double> out(model->observables().size());
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        model->evaluate(pts.parameters[i++ & 1023], model->defaultBlocks(), out));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(kernelCost)->Name("kernel/hidden_kev_fermion/default");
BENCHMARK_CAPTURE(chainCost, one_curve, 1)->Name("chain/1_curve");
BENCHMARK_CAPTURE(chainCost, twenty_curves, 20)->Name("chain/20_curves");

}  // namespace

BENCHMARK_MAIN();
