// How Model::evaluate turns a kernel's failures into a point status: a model
// whose compute() fails the way the real kernels can fail - an integral of the
// shared quadrature whose integrand turns NaN, a Boost root finder given a
// bracket without a sign change, an integral that cannot converge within the
// point's evaluation budget - and returns normally otherwise. Each failure must
// come back as its status with every observable NaN, never as an exception.

#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Quadrature.hpp"
#include "portalscan/physics/Status.hpp"

#include <boost/math/tools/roots.hpp>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace portalscan::physics {
namespace {

/// Parameter "mode": 0 ok, 1 a NaN integrand, 2 a root find without a root, 3 a runaway
/// integral, 4 a non-finite parameter is refused before compute. Observable "before" is written
/// before the failing step (it must not survive), "result" after it.
class FailingModel final : public Model {
 public:
  FailingModel()
      : Model({{"mode", "1", 0.0, "which failure"}, {"x", "1", 2.0, "an input"}},
              {{"before", "1", "main", "written before the failing step", "test"},
               {"result", "1", "main", "the integral or the root", "test"}},
              {{"main", "the only block", false, {}}}, {}, {}) {}
  std::string_view name() const override { return "failing"; }
  std::string_view reference() const override { return "test"; }

  mutable int computeCalls = 0;

 protected:
  PointStatus compute(std::span<const double> p, BlockMask, std::span<double> out) const override {
    ++computeCalls;
    const double x = p[1];
    out[0] = x;
    switch (static_cast<int>(p[0])) {
      case 0:  // int_0^x t^2 dt = x^3/3
        out[1] = quadrature::integrate([](double t) { return t * t; }, 0.0, x);
        return PointStatus::Ok;
      case 1:  // sqrt(t - 1) on [0, x] is NaN below t = 1
        out[1] = quadrature::integrate([](double t) { return std::sqrt(t - 1.0); }, 0.0, x);
        return PointStatus::Ok;
      case 2: {  // t^2 + 1 has no root in [-x, x]: TOMS748 throws (Boost's evaluation_error)
        std::uintmax_t iterations = 50;
        const auto r = boost::math::tools::toms748_solve(
            [](double t) { return t * t + 1.0; }, -x, x,
            boost::math::tools::eps_tolerance<double>(40), iterations);
        out[1] = 0.5 * (r.first + r.second);
        return PointStatus::Ok;
      }
      case 3:  // sin(1/(t s)) nested on [0, 1]^2 cannot reach the tolerance: the budget ends it
        out[1] = quadrature::integrate(
            [](double t) {
              return quadrature::integrate([t](double s) { return std::sin(1.0 / (t * s + 1e-9)); },
                                           0.0, 1.0);
            },
            0.0, 1.0);
        return PointStatus::Ok;
      default:
        return PointStatus::Ok;
    }
  }
};

struct Outcome {
  PointStatus status;
  std::vector<double> out;
};

Outcome run(const FailingModel& model, double mode, double x) {
  const std::vector<double> p = {mode, x};
  Outcome o{PointStatus::Ok, std::vector<double>(model.observables().size(), -1.0)};
  o.status = model.evaluate(p, model.allBlocks(), o.out);
  return o;
}

bool allNaN(const std::vector<double>& v) {
  for (double x : v) {
    if (!std::isnan(x)) return false;
  }
  return true;
}

TEST(ModelEvaluate, AFinishedPointKeepsItsValues) {
  const FailingModel model;
  const auto o = run(model, 0, 2.0);
  ASSERT_EQ(o.status, PointStatus::Ok);
  EXPECT_EQ(o.out[0], 2.0);
  EXPECT_NEAR(o.out[1], 8.0 / 3.0, 1e-13);
}

TEST(ModelEvaluate, ANaNIntegrandIsNonFiniteResult) {
  const FailingModel model;
  const auto o = run(model, 1, 2.0);
  EXPECT_EQ(o.status, PointStatus::NonFiniteResult);
  EXPECT_TRUE(allNaN(o.out)) << "the value written before the failure survived";
  // The same integrand above its branch point is finite: the status is the integrand's doing.
  EXPECT_NEAR(quadrature::integrate([](double t) { return std::sqrt(t - 1.0); }, 1.0, 2.0),
              2.0 / 3.0, 1e-10);
}

TEST(ModelEvaluate, ARootFinderThatThrowsIsSolverFailed) {
  const FailingModel model;
  const auto o = run(model, 2, 2.0);
  EXPECT_EQ(o.status, PointStatus::SolverFailed);
  EXPECT_TRUE(allNaN(o.out));
}

TEST(ModelEvaluate, ARunawayIntegralIsBudgetExceededAndTheNextPointRunsFree) {
  const FailingModel model;
  const auto o = run(model, 3, 2.0);
  EXPECT_EQ(o.status, PointStatus::BudgetExceeded);
  EXPECT_TRUE(allNaN(o.out));
  // The budget belongs to one point: the next one starts with a full budget.
  const auto next = run(model, 0, 3.0);
  ASSERT_EQ(next.status, PointStatus::Ok);
  EXPECT_NEAR(next.out[1], 9.0, 1e-12);
}

TEST(ModelEvaluate, ANonFiniteParameterIsRefusedBeforeTheKernelRuns) {
  const FailingModel model;
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    const int calls = model.computeCalls;
    const auto o = run(model, 0, bad);
    EXPECT_EQ(o.status, PointStatus::InvalidInput);
    EXPECT_TRUE(allNaN(o.out));
    EXPECT_EQ(model.computeCalls, calls);
  }
}

// lfv_nsi's compute() writes every observable that applies when it is given every block
// (Model::completeCompute_), so evaluate() does not NaN-fill the output first. Whatever the
// output held before (here a value no kernel produces) must not survive: for every option
// combination, every block mask, points in and out of the domain and non-finite ones, the
// outputs and the status equal those into an output filled with NaN, bit for bit.
TEST(ModelEvaluate, ACompleteKernelLeavesNothingOfThePreviousPointBehind) {
  const auto& registry = ModelRegistry::builtin();
  const std::vector<Options> combinations = [] {
    std::vector<Options> all;
    for (const char* flavours : {"e-mu", "e-tau", "mu-tau"}) {
      for (const char* version : {"lepton_number_conserving", "lepton_number_violating"}) {
        for (const char* matter : {"b_minus_l", "kinetic_mixing"}) {
          for (const char* mixing : {"phenomenological", "mass_matrix"}) {
            all.push_back({{"flavours", flavours},
                           {"version", version},
                           {"matter_coupling", matter},
                           {"mixing", mixing}});
          }
        }
      }
    }
    return all;
  }();
  auto same = [](double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b) ||
           (std::isnan(a) && std::isnan(b));
  };
  int points = 0, complete = 0;
  for (const auto& options : combinations) {
    const auto model = registry.create("lfv_nsi", options);
    auto index = [&](const char* name) { return *model->parameterIndex(name); };
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0.5, 2.0);
    std::vector<std::vector<double>> inputs;
    for (int i = 0; i < 40; ++i) {
      auto p = model->defaultParameterValues();
      for (auto& x : p) x *= u(rng);
      if (i % 2 == 0) {  // the thresholds of a scan that fixes them at the defaults
        p[index("T_threshold_ar")] = model->defaultParameterValues()[index("T_threshold_ar")];
        p[index("T_threshold_csi")] = model->defaultParameterValues()[index("T_threshold_csi")];
      }
      if (i == 1) p[index("m_Zprime")] = -1.0;                                   // unphysical
      if (i == 3) p[index("sin_alpha_mix")] = 2.0;                               // unphysical
      if (i == 5) p[index("T_threshold_ar")] = 1.0;                              // unphysical
      if (i == 7) p[index("g_psi")] = std::numeric_limits<double>::quiet_NaN();  // invalid
      if (i == 9) p[index("m_Zprime")] = std::numeric_limits<double>::infinity();
      if (i == 11) p[index("m_Zprime")] = 5.0;  // above 2 m_pi+: NaN widths
      inputs.push_back(p);
    }
    const std::size_t n = model->observables().size();
    for (BlockMask blocks = 0; blocks <= model->allBlocks(); ++blocks) {
      for (const auto& p : inputs) {
        std::vector<double> stale(n, 1234.5), clean(n, std::numeric_limits<double>::quiet_NaN());
        const auto s1 = model->evaluate(p, blocks, stale);
        const auto s2 = model->evaluate(p, blocks, clean);
        ASSERT_EQ(s1, s2);
        for (std::size_t k = 0; k < n; ++k) {
          ASSERT_TRUE(same(stale[k], clean[k]))
              << model->observables()[k].name << " kept " << stale[k] << " (blocks " << blocks
              << ", status " << toString(s1) << ")";
        }
        ++points;
        if (model->closure(blocks) == model->allBlocks()) ++complete;
      }
    }
  }
  EXPECT_EQ(points, 24 * 32 * 40);
  EXPECT_GT(complete, 24 * 40);  // every mask with couplings, nsi, lfv, higgs and coherent
}

}  // namespace
}  // namespace portalscan::physics
