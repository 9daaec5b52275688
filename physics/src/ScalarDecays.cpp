#include "portalscan/physics/ScalarDecays.hpp"

#include "portalscan/physics/StrongCoupling.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace portalscan::physics {

using std::numbers::pi;
using std::numbers::sqrt2;

namespace {
/// beta = sqrt(1 - 4 m^2/M^2), 0 below threshold.
double velocity(double m, double mParent) {
  const double r = 4.0 * m * m / (mParent * mParent);
  return r < 1.0 ? std::sqrt(1.0 - r) : 0.0;
}
}  // namespace

double scalarToFermions(double sinAlpha, double mPhi, double mF, int colours) {
  const double beta = velocity(mF, mPhi);
  return sinAlpha * sinAlpha * colours * constants::G_F * mF * mF * mPhi * beta * beta * beta /
         (4.0 * sqrt2 * pi);
}

std::complex<double> fermionLoopAmplitude(double tau) {
  // Spira et al.: A(tau) = 2 [tau + (tau - 1) f(tau)] / tau^2, -> 4/3 as tau -> 0;
  // here times 3/4. The closed form cancels to O(eps/tau) for small tau; below 1e-3 the
  // series from arcsin^2(sqrt tau) = (1/2) sum (4 tau)^n / (n^2 C(2n, n)) is exact to 1e-13.
  if (tau < 1e-3) return 1.0 + tau * (7.0 / 30.0 + tau * (2.0 / 21.0 + tau * 26.0 / 525.0));
  std::complex<double> f;
  if (tau <= 1.0) {
    const double as = std::asin(std::sqrt(tau));
    f = as * as;
  } else {
    const double r = std::sqrt(1.0 - 1.0 / tau);
    const std::complex<double> l(std::log((1.0 + r) / (1.0 - r)), -pi);
    f = -0.25 * l * l;
  }
  return 0.75 * 2.0 * (tau + (tau - 1.0) * f) / (tau * tau);
}

double scalarToGluons(double sinAlpha, double mPhi, double alphaS) {
  std::complex<double> sum = 0.0;
  for (double mq : {constants::m_c, constants::m_b, constants::m_t}) {
    sum += fermionLoopAmplitude(mPhi * mPhi / (4.0 * mq * mq));
  }
  return sinAlpha * sinAlpha * constants::G_F * alphaS * alphaS * mPhi * mPhi * mPhi /
         (36.0 * sqrt2 * pi * pi * pi) * std::norm(sum);
}

double scalarToHadronsBelowHandOver(double sinAlpha, double mPhi, double alphaS) {
  const double betaPi = velocity(constants::m_pi_charged, mPhi);
  if (betaPi == 0.0) return 0.0;  // no hadronic final state below 2 m_pi
  const double betaK = velocity(constants::m_K_charged, mPhi);
  const double bracket = 6.0 - 2.0 * betaPi * betaPi * betaPi - betaK * betaK * betaK;
  // CN Eq. 65 with Gamma_mumu/beta_mu^3 = s^2 G_F m_mu^2 m_phi/(4 sqrt2 pi):
  return std::pow(alphaS / (3.0 * pi), 2) * bracket * bracket * sinAlpha * sinAlpha *
         constants::G_F * mPhi * mPhi * mPhi / (4.0 * sqrt2 * pi);
}

double alphaSForScalar(double mPhi) { return alphaS(std::max(mPhi, 1.0)); }

ScalarWidths scalarWidthsToStandardModel(double sinAlpha, double mPhi) {
  ScalarWidths w;
  for (double ml : {constants::m_e, constants::m_mu, constants::m_tau}) {
    w.leptons += scalarToFermions(sinAlpha, mPhi, ml, 1);
  }
  const double as = alphaSForScalar(mPhi);
  if (mPhi < kScalarHadronicHandOver) {
    w.hadrons = scalarToHadronsBelowHandOver(sinAlpha, mPhi, as);
  } else {
    for (double mq : {constants::m_s, constants::m_c, constants::m_b}) {
      w.hadrons += scalarToFermions(sinAlpha, mPhi, mq, 3);
    }
    w.hadrons += scalarToGluons(sinAlpha, mPhi, as);
  }
  return w;
}

}  // namespace portalscan::physics
