#include "portalscan/physics/ScalarFreezeIn.hpp"

#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include <boost/math/special_functions/bessel.hpp>
#include <boost/math/tools/roots.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace portalscan::physics::cosmology {

using std::numbers::pi;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double entropyDensity(double t) { return 2.0 * pi * pi / 45.0 * thermal::gStarS(t) * t * t * t; }
double equilibriumDensity(double t) { return constants::zeta3 * t * t * t / (pi * pi); }

/// phi^0 production rate density from h -> phi^0 phi^0 per unit width, 2 M_H^2 T K_1(M_H/T)/(2
/// pi^2).
double decayProductionPerWidth(double t) {
  const double x = constants::M_H / t;
  if (x > 700.0) return 0.0;
  return constants::M_H * constants::M_H * t * boost::math::cyl_bessel_k(1, x) / (pi * pi);
}

/// phi^0 production rate density from H H^dag -> phi^0 phi^0 per kappa^2, T^4/(64 pi^5).
double scatteringProductionPerKappa2(double t) { return std::pow(t, 4) / (64.0 * std::pow(pi, 5)); }

/// The SM integrals, computed once: everything scales with kappa^2 (and beta for the decays).
struct PortalIntegrals {
  double decayRatioMax = 0.0;  ///< max_T P_D/(n_eq H) per unit width
  double decayPeakT = 0.0;
  double decayYield = 0.0;          ///< int P_D/(s H T) dT per unit width, T < T_EW
  double scatteringRatioMax = 0.0;  ///< P_S/(n_eq H) at T_EW per kappa^2 (it falls as 1/T)
  double scatteringYield = 0.0;     ///< int P_S/(s H T) dT per kappa^2, T > T_EW

  PortalIntegrals() {
    // Trapezoid rule in ln T; the integrands are smooth apart from the g_* tables.
    const int n = 4000;
    const double lo = std::log(constants::M_H / 60.0);
    const double hi = std::log(kElectroweakCrossover);
    const double h = (hi - lo) / n;
    for (int i = 0; i <= n; ++i) {
      const double t = std::exp(lo + i * h);
      const double hub = hubbleRate(t, thermal::gStar(t));
      const double p = decayProductionPerWidth(t);
      const double ratio = p / (equilibriumDensity(t) * hub);
      if (ratio > decayRatioMax) {
        decayRatioMax = ratio;
        decayPeakT = t;
      }
      decayYield += (i == 0 || i == n ? 0.5 : 1.0) * h * p / (entropyDensity(t) * hub);
    }
    const double tEW = kElectroweakCrossover;
    scatteringRatioMax = scatteringProductionPerKappa2(tEW) /
                         (equilibriumDensity(tEW) * hubbleRate(tEW, thermal::gStar(tEW)));
    const double lo2 = hi;
    const double hi2 = std::log(1e9);  // the integrand falls as 1/T: the rest is < 1e-7
    const double h2 = (hi2 - lo2) / n;
    for (int i = 0; i <= n; ++i) {
      const double t = std::exp(lo2 + i * h2);
      const double hub = hubbleRate(t, thermal::gStar(t));
      scatteringYield += (i == 0 || i == n ? 0.5 : 1.0) * h2 * scatteringProductionPerKappa2(t) /
                         (entropyDensity(t) * hub);
    }
  }
};

const PortalIntegrals& integrals() {
  static const PortalIntegrals i;
  return i;
}

}  // namespace

ScalarPortalYield scalarPortalYield(double kappa, double mPhi) {
  const PortalIntegrals& I = integrals();
  ScalarPortalYield y;
  const double mh = constants::M_H;
  const double r = 4.0 * mPhi * mPhi / (mh * mh);
  const double beta = r < 1.0 ? std::sqrt(1.0 - r) : 0.0;
  // CN Eq. 68 with the quartic kappa: Gamma(h -> phi phi) = kappa^2 v^2 beta/(32 pi M_H).
  const double width = kappa * kappa * constants::v * constants::v * beta / (32.0 * pi * mh);
  const double decayRatio = width * I.decayRatioMax;
  const double scatteringRatio = kappa * kappa * I.scatteringRatioMax;
  y.thermalisationRatio = std::max(decayRatio, scatteringRatio);
  y.peakTemperature = decayRatio >= scatteringRatio ? I.decayPeakT : kElectroweakCrossover;
  y.decayFreezeInYield = width * I.decayYield;
  y.freezeInYield = y.decayFreezeInYield + kappa * kappa * I.scatteringYield;
  y.decouplingTemperature = kNaN;
  if (decayRatio > 1.0) {
    // Below the peak the decay ratio rises with T: phi^0 leaves equilibrium where it is 1.
    auto f = [&](double lnT) {
      const double t = std::exp(lnT);
      return width * decayProductionPerWidth(t) /
                 (equilibriumDensity(t) * hubbleRate(t, thermal::gStar(t))) -
             1.0;
    };
    double lo = std::log(I.decayPeakT);
    double flo = f(lo);
    // Step down until the ratio is below 1 (K_1 falls as e^(-M_H/T): a few steps).
    for (int k = 0; k < 200 && flo > 0.0; ++k) {
      lo -= 0.5;
      flo = f(lo);
    }
    const double hi = std::log(I.decayPeakT);
    const double fhi = f(hi);
    if (flo < 0.0 && fhi > 0.0) {
      std::uintmax_t iterations = 200;
      const auto root = boost::math::tools::toms748_solve(
          f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(40), iterations);
      y.decouplingTemperature = std::exp(0.5 * (root.first + root.second));
    }
  } else if (scatteringRatio > 1.0) {
    y.decouplingTemperature = kElectroweakCrossover;
  }
  return y;
}

}  // namespace portalscan::physics::cosmology
