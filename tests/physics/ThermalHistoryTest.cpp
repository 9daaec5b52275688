// g_*(T) and g_*s(T): checks of physics.md (Husdal, arXiv:1609.04979), and the
// per-species integrals against their Bessel-function series, computed here.

#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <boost/math/special_functions/bessel.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>

namespace portalscan::physics::thermal {
namespace {

using boost::math::cyl_bessel_k;
using std::numbers::pi;

// 1/(e^E -+ 1) = sum_n (+-1)^(n+1) e^(-nE): each term is a Boltzmann gas at
// T/n, whose energy, pressure and number integrals are Bessel functions
// (Kolb & Turner, Ch. 3): I(y) = 3y^2 K2(y) + y^3 K1(y), P(y) = y^2 K2(y).
double series(Statistics s, double x, int moment) {
  double sum = 0.0;
  for (int n = 1; n <= 400; ++n) {
    const double sign = (s == Statistics::Fermion && n % 2 == 0) ? -1.0 : 1.0;
    const double y = n * x;
    if (y > 700.0) break;
    const double k1 = cyl_bessel_k(1, y), k2 = cyl_bessel_k(2, y);
    switch (moment) {
      case 0:  // energy, / (pi^4/15)
        sum += sign * (3 * y * y * k2 + y * y * y * k1) / std::pow(n, 4) * 15.0 / std::pow(pi, 4);
        break;
      case 1:  // entropy (rho + P)/T, / (4 pi^4/45)
        sum += sign * (3 * y * y * k2 + y * y * y * k1 + y * y * k2) / std::pow(n, 4) * 45.0 /
               (4.0 * std::pow(pi, 4));
        break;
      default:  // number, / (2 zeta(3))
        sum += sign * y * y * k2 / std::pow(n, 3) / (2.0 * constants::zeta3);
    }
  }
  return sum;
}

TEST(ThermalWeights, MasslessLimits) {
  EXPECT_REL(energyWeight(Statistics::Boson, 0.0), 1.0, 1e-9);
  EXPECT_REL(energyWeight(Statistics::Fermion, 0.0), 7.0 / 8.0, 1e-9);
  EXPECT_REL(entropyWeight(Statistics::Boson, 0.0), 1.0, 1e-9);
  EXPECT_REL(entropyWeight(Statistics::Fermion, 0.0), 7.0 / 8.0, 1e-9);
  EXPECT_REL(numberWeight(Statistics::Boson, 0.0), 1.0, 1e-9);
  EXPECT_REL(numberWeight(Statistics::Fermion, 0.0), 3.0 / 4.0, 1e-9);
}

TEST(ThermalWeights, MassiveSpeciesMatchTheBesselSeries) {
  for (Statistics s : {Statistics::Boson, Statistics::Fermion}) {
    for (double x : {0.3, 1.0, 2.5, 7.0, 20.0, 60.0}) {
      EXPECT_REL(energyWeight(s, x), series(s, x, 0), 1e-6) << "x = " << x;
      EXPECT_REL(entropyWeight(s, x), series(s, x, 1), 1e-6) << "x = " << x;
      EXPECT_REL(numberWeight(s, x), series(s, x, 2), 1e-6) << "x = " << x;
    }
  }
}

TEST(GStar, ChecksOfThePhysicsContract) {
  // physics.md: within 0.5% of 106.75 at 1 TeV; 10.75 within 1% at 3 MeV; g_*s today 3.91.
  EXPECT_REL(gStar(1000.0), 106.75, 5e-3);
  EXPECT_REL(gStarS(1000.0), 106.75, 5e-3);
  EXPECT_REL(gStar(3e-3), 10.75, 1e-2);
  EXPECT_REL(gStarS(kMinTemperature), 3.91, 5e-3);
  EXPECT_REL(gStarS(2.35e-13), 3.91, 5e-3);  // T_0 = 2.7255 K is below the table: end value
}

TEST(GStar, TodayPhotonsPlusNeutrinosAtTNuOverT) {
  // Below e+e- annihilation g_* = 2 + (7/8) 6 (T_nu/T)^4 and g_*s = 2 + (7/8) 6 (T_nu/T)^3,
  // with the same T_nu/T: the two are tied by the exact relation
  // (g_* - 2)/5.25 = ((g_*s - 2)/5.25)^(4/3).
  const double r3 = (gStarS(kMinTemperature) - 2.0) / 5.25;
  EXPECT_REL((gStar(kMinTemperature) - 2.0) / 5.25, std::pow(r3, 4.0 / 3.0), 1e-6);
  EXPECT_REL(r3, 4.0 / 11.0, 1e-2);  // instantaneous decoupling with massless e+-: 4/11
}

TEST(GStar, TableFollowsTheDirectSum) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(-5.9, 4.9);
  for (int i = 0; i < 400; ++i) {
    const double t = std::pow(10.0, u(rng));
    EXPECT_REL(gStar(t), gStarDirect(t), 2e-4) << "T = " << t;
    EXPECT_REL(gStarS(t), gStarSDirect(t), 2e-4) << "T = " << t;
  }
}

TEST(GStar, QcdSwitchIsSharp) {
  // Quarks and gluons above T_c, pions below (Husdal): a jump, not a ramp.
  EXPECT_GT(
      gStar(kQcdTransitionTemperature * (1 + 1e-9)) - gStar(kQcdTransitionTemperature * (1 - 1e-9)),
      30.0);
}

}  // namespace
}  // namespace portalscan::physics::thermal
