// Every integral ends (the hardening issue, item 8): a NaN integrand, bound or
// error estimate ends it at once instead of bisecting to the maximal depth, and
// an evaluation budget turns any runaway into a point status.

#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/Quadrature.hpp"

#include "common/HiddenThermalPoint.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>

namespace portalscan::physics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Quadrature, ANaNIntegrandEndsAfterOneRule) {
  std::uint64_t calls = 0;
  auto nan = [&](double) {
    ++calls;
    return kNaN;
  };
  EXPECT_THROW(quadrature::integrate(nan, 0.0, 1.0), quadrature::NonFiniteIntegral);
  // One 31-point rule; bisecting on the NaN estimate took 31 (2^11 - 1) = 63 457 calls.
  EXPECT_LE(calls, 31u);
}

TEST(Quadrature, ANaNInsideANestedIntegralEndsBothLevels) {
  std::uint64_t calls = 0;
  auto inner = [&](double x) {
    return quadrature::integrate(
        [&](double y) {
          ++calls;
          return x > 0.5 ? kNaN : y;
        },
        0.0, 1.0);
  };
  EXPECT_THROW(quadrature::integrate(inner, 0.0, 1.0), quadrature::NonFiniteIntegral);
  // The outer rule's nodes above 0.5 are reached after at most 31 inner integrals.
  EXPECT_LE(calls, 31u * 31u * 31u);
}

TEST(Quadrature, NonFiniteBoundsThrowInsteadOfGivingZero) {
  auto one = [](double) { return 1.0; };
  EXPECT_THROW(quadrature::integrate(one, kNaN, 1.0), quadrature::NonFiniteIntegral);
  EXPECT_THROW(quadrature::integrate(one, 0.0, kNaN), quadrature::NonFiniteIntegral);
  EXPECT_THROW(quadrature::integrate(one, 0.0, std::numeric_limits<double>::infinity()),
               quadrature::NonFiniteIntegral);
  EXPECT_DOUBLE_EQ(quadrature::integrate(one, 1.0, 0.0), 0.0);  // an empty range stays 0
  EXPECT_NEAR(quadrature::integrate(one, 0.0, 2.0), 2.0, 1e-14);
}

TEST(Quadrature, TheBudgetEndsARunawayAndIsRestoredAfterwards) {
  // |x - 1/3|^(1/2) sin(1/x) cannot be resolved to 1e-10: the bisection runs
  // deep in every outer node. 20 000 evaluations are far fewer than it needs.
  std::uint64_t calls = 0;
  auto hard = [&](double x) {
    return quadrature::integrate(
        [&](double y) {
          ++calls;
          return std::sin(1.0 / (x * y + 1e-9));
        },
        0.0, 1.0);
  };
  {
    const quadrature::EvaluationBudget budget(20'000);
    EXPECT_THROW(quadrature::integrate(hard, 0.0, 1.0), quadrature::BudgetExceeded);
    EXPECT_LE(budget.used(), 20'000u);
  }
  EXPECT_LE(calls, 20'000u);
  // Outside the scope there is no limit again: a plain integral runs as before.
  EXPECT_NEAR(quadrature::integrate([](double x) { return x * x; }, 0.0, 3.0), 9.0, 1e-12);
}

TEST(Quadrature, TheBudgetIsFarAboveWhatTheModelsSpend) {
  // Every block at the default points and at CN's benchmark 1 (M_N = 1e10 GeV, y_e = 1e-2,
  // M_chi = 10 keV, f_L = f_R = 0.1): the budget must never cut a sound point.
  HiddenKevFermion model;
  std::vector<double> out(model.observables().size());
  using P = HiddenKevFermion::Parameter;
  std::vector<double> benchmark = model.defaultParameterValues();
  benchmark[P::M_N] = 1e10;
  benchmark[P::y_e] = 1e-2;
  benchmark[P::M_chi] = 1e-5;
  benchmark[P::f_L] = benchmark[P::f_R] = 0.1;
  std::uint64_t most = 0;
  for (const auto& p : {model.defaultParameterValues(), benchmark}) {
    const quadrature::EvaluationBudget outer(std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(model.evaluate(p, model.allBlocks(), out), PointStatus::Ok);
    most = std::max(most, outer.used());
  }
  std::cout << "[ budget   ] most integrand evaluations of one point: " << most << " of "
            << quadrature::kPointEvaluationBudget << "\n";
  EXPECT_GT(most, 0u);
  EXPECT_LT(most * 20, quadrature::kPointEvaluationBudget);
}

TEST(Quadrature, ATinyHeavyNeutrinoMassEndsWithAStatus) {
  // `point hidden_kev_fermion --set M_N=1e-100 --block all` never finished:
  // every block, at M_N from 1e-120 to 1e-95.
  HiddenKevFermion model;
  std::vector<double> out(model.observables().size());
  const auto start = std::chrono::steady_clock::now();
  for (const double mN : {1e-120, 1e-100, 1e-95}) {
    // At the thermal-chi point the report named (the default before chi freeze-in).
    std::vector<double> p = test::hiddenThermalChiPoint(model);
    p[HiddenKevFermion::Parameter::M_N] = mN;
    const PointStatus status = model.evaluate(p, model.allBlocks(), out);
    EXPECT_NE(status, PointStatus::Ok) << "M_N = " << mN;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 60.0);
}

}  // namespace
}  // namespace portalscan::physics
