// No heap allocation in lfv_nsi's kernel once its one-time tables exist (issue 15: "mass_matrix
// modes without heap allocation in the kernel"), nor in hidden_kev_fermion's default blocks in
// any regime of chi: this executable replaces the global operator
// new and delete with counting ones, evaluates points of every mixing mode, and expects the
// count not to move across Model::evaluate. Its own executable, so that the replacement touches
// no other test.
//
// What may allocate before the count starts: the model's construction (its tables), and the
// first points at thresholds other than the defaults (the per-thread cache of the coherent
// block's partial sums keeps its nodes in vectors, which grow once and are reused after).

#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/LfvNsi.hpp"
#include "portalscan/physics/Model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

namespace {
thread_local long allocations = 0;

void* counted(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* countedAligned(std::size_t size, std::align_val_t alignment) {
  ++allocations;
  const auto a = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a multiple of the alignment.
  if (void* p = std::aligned_alloc(a, ((size == 0 ? 1 : size) + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted(size); }
void* operator new[](std::size_t size) { return counted(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(size == 0 ? 1 : size);
}
void* operator new(std::size_t size, std::align_val_t a) { return countedAligned(size, a); }
void* operator new[](std::size_t size, std::align_val_t a) { return countedAligned(size, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace portalscan::physics {
namespace {

TEST(KernelAllocation, TheCounterSeesAnAllocation) {
  // The replacement is in force (else the tests below could not fail).
  const long before = allocations;
  auto* v = new std::vector<double>(100);
  const long after = allocations;
  delete v;
  EXPECT_GE(after - before, 2);  // the vector and its buffer
}

/// Evaluates `points` twice; the second pass must not allocate.
long allocationsOfASecondPass(const Model& model, const std::vector<std::vector<double>>& points) {
  std::vector<double> out(model.observables().size());
  for (const auto& p : points) model.evaluate(p, model.defaultBlocks(), out);
  const long before = allocations;
  for (const auto& p : points) model.evaluate(p, model.defaultBlocks(), out);
  return allocations - before;
}

TEST(KernelAllocation, LfvNsiEvaluatesWithoutTheHeapInEveryMixingMode) {
  const Options modes[3] = {{},
                            {{"mixing", "mass_matrix"}, {"version", "lepton_number_violating"}},
                            {{"mixing", "mass_matrix"}, {"version", "lepton_number_conserving"}}};
  for (const auto& options : modes) {
    const auto model = ModelRegistry::builtin().create("lfv_nsi", options);
    const std::string label = options.empty() ? "phenomenological" : options.at("version");
    std::mt19937_64 rng(15);
    std::uniform_real_distribution<double> u(0.5, 2.0);
    // Thresholds at the defaults (the tables alone), fixed elsewhere (the cached partial sums,
    // below and above the defaults) and drawn per point (the sums afresh).
    const double fixed[3][2] = {{2e-5, 5e-6}, {1.2e-5, 3e-6}, {3e-5, 8e-6}};
    for (int set = 0; set < 4; ++set) {
      std::vector<std::vector<double>> points;
      for (int i = 0; i < 200; ++i) {
        auto p = model->defaultParameterValues();
        for (double& x : p) x *= u(rng);
        if (set < 3) {
          p[LfvNsi::T_threshold_ar] = fixed[set][0];
          p[LfvNsi::T_threshold_csi] = fixed[set][1];
        }
        points.push_back(p);
      }
      EXPECT_EQ(allocationsOfASecondPass(*model, points), 0) << label << ", threshold set " << set;
    }
  }
}

TEST(KernelAllocation, HiddenKevFermionEvaluatesWithoutTheHeapInEveryChiRegime) {
  // The default blocks over the quick start's ranges (scans/quickstart.json: epsilon from 1e-10
  // to 0.1 takes chi from frozen in through partly thermal to a thermal relic, whose freeze-out
  // solve reads g_* through std::function) and the defaults jittered x0.5..2.
  const HiddenKevFermion model;
  using P = HiddenKevFermion::Parameter;
  std::mt19937_64 rng(16);
  auto logUniform = [&](double lo, double hi) {
    return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
  };
  std::vector<std::vector<double>> points;
  for (int i = 0; i < 300; ++i) {
    auto p = model.defaultParameterValues();
    p[P::M_N] = 1e11;
    p[P::y_e] = 1e-2;
    p[P::v_s] = 1000.0;
    p[P::epsilon] = logUniform(1e-10, 0.1);
    p[P::g_s] = logUniform(0.3, 1.0);
    p[P::M_chi] = logUniform(1e-6, 1e-4);
    p[P::f_L] = p[P::f_R] = logUniform(1e-6, 1e-2);
    points.push_back(p);
  }
  std::uniform_real_distribution<double> u(0.5, 2.0);
  for (int i = 0; i < 300; ++i) {
    auto p = model.defaultParameterValues();
    for (double& x : p) x *= u(rng);
    points.push_back(p);
  }
  // Every regime of chi is among the points (else the test would not cover the freeze-out).
  std::vector<double> out(model.observables().size());
  int regimes[3] = {0, 0, 0};
  for (const auto& p : points) {
    model.evaluate(p, model.defaultBlocks(), out);
    const double r = out[*model.observableIndex("chi_regime")];
    if (r == 0.0 || r == 1.0 || r == 2.0) ++regimes[static_cast<int>(r)];
  }
  EXPECT_GT(regimes[0], 0);
  EXPECT_GT(regimes[1], 0);
  EXPECT_GT(regimes[2], 0);
  EXPECT_EQ(allocationsOfASecondPass(model, points), 0);
}
}  // namespace
}  // namespace portalscan::physics
