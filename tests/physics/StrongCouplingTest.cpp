// Two-loop alpha_s: the exact-integral solution against a Runge-Kutta
// integration of the same RGE, written here.

#include "portalscan/physics/StrongCoupling.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace portalscan::physics {
namespace {

using std::numbers::pi;

/// RK4 in L = ln mu^2 of da/dL = -b0 a^2 - b1 a^3, a = alpha_s/(4 pi),
/// stepping through the thresholds with alpha_s continuous.
double rk4AlphaS(double mu) {
  auto rhs = [](double a, int nf) {
    const double b0 = 11.0 - 2.0 * nf / 3.0, b1 = 102.0 - 38.0 * nf / 3.0;
    return -b0 * a * a - b1 * a * a * a;
  };
  auto integrate = [&](double a, double from, double to, int nf) {
    const int steps = 20000;
    const double l0 = std::log(from * from), h = (std::log(to * to) - l0) / steps;
    for (int i = 0; i < steps; ++i) {
      const double k1 = rhs(a, nf), k2 = rhs(a + h * k1 / 2, nf), k3 = rhs(a + h * k2 / 2, nf),
                   k4 = rhs(a + h * k3, nf);
      a += h * (k1 + 2 * k2 + 2 * k3 + k4) / 6;
    }
    return a;
  };
  double a = constants::alpha_s_MZ / (4 * pi);
  if (mu >= constants::M_Z) {
    if (mu <= constants::m_t) return 4 * pi * integrate(a, constants::M_Z, mu, 5);
    a = integrate(a, constants::M_Z, constants::m_t, 5);
    return 4 * pi * integrate(a, constants::m_t, mu, 6);
  }
  if (mu >= constants::m_b) return 4 * pi * integrate(a, constants::M_Z, mu, 5);
  a = integrate(a, constants::M_Z, constants::m_b, 5);
  if (mu >= constants::m_c) return 4 * pi * integrate(a, constants::m_b, mu, 4);
  a = integrate(a, constants::m_b, constants::m_c, 4);
  return 4 * pi * integrate(a, constants::m_c, mu, 3);
}

TEST(AlphaS, StartsFromThePdgValueWithTheTwoLoopSlope) {
  // PDG 2024 world average alpha_s(M_Z) = 0.1180, five flavours: b0 = 11 - 2 x 5/3 = 23/3,
  // b1 = 102 - 38 x 5/3 = 116/3. Just off M_Z, a = alpha_s/(4 pi) moves by the slope of the RGE,
  // da/dL = -b0 a^2 - b1 a^3 (L = ln mu^2): alpha_s = 0.1180 (1 - (b0 a0 + b1 a0^2) L) to
  // O((b0 a0 L)^2) ~ 2e-10, while the step itself changes alpha_s by 1.5e-5.
  const double a0 = 0.1180 / (4 * pi), b0 = 23.0 / 3.0, b1 = 116.0 / 3.0;
  for (double step : {1e-4, -1e-4}) {
    const double l = std::log((1 + step) * (1 + step));
    const double expected = 0.1180 * (1 - (b0 * a0 + b1 * a0 * a0) * l);
    EXPECT_REL(alphaS(constants::M_Z * (1 + step)), expected, 1e-8) << step;
  }
}

TEST(AlphaS, AgreesWithRungeKuttaOfTheSameEquation) {
  for (double mu : {1.0, 1.5, 2.0, 3.0, 4.5, 10.0, 50.0, 150.0, 500.0, 3000.0}) {
    EXPECT_REL(alphaS(mu), rk4AlphaS(mu), 1e-9) << "mu = " << mu;
  }
}

TEST(AlphaS, ContinuousAcrossThresholdsAndNear03AtTwoGeV) {
  for (double m : {constants::m_c, constants::m_b, constants::m_t}) {
    EXPECT_REL(alphaS(m * (1 - 1e-12)), alphaS(m * (1 + 1e-12)), 1e-9);
  }
  // The Eq. 66 estimate of ScalarDecaysTest uses alpha_s(2 GeV) = 0.30.
  EXPECT_NEAR(alphaS(2.0), 0.30, 0.01);
  EXPECT_EQ(activeFlavours(2.0), 4);
  EXPECT_EQ(activeFlavours(1.0), 3);
}

}  // namespace
}  // namespace portalscan::physics
