#include "portalscan/physics/ScalarDecays.hpp"

#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/StrongCoupling.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
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

/// m(mu)/m(mu0) at fixed nf, exact solution of the two-loop mass and coupling RGEs
/// (runningQuarkMass in ScalarDecays.hpp: Chetyrkin, Kuehn, Steinhauser 2000);
/// a0, a1 = alpha_s/pi at mu0, mu. The two powers as one exp of their logs (two logs and an exp
/// instead of two pows; the arguments are ratios of order 1, so the exponent's rounding is
/// about 1e-16 absolute, the result's about 2e-16 relative).
double massRatioFixedFlavours(double a0, double a1, int nf) {
  const double b0 = (11.0 - 2.0 * nf / 3.0) / 4.0;
  const double b1 = (102.0 - 38.0 * nf / 3.0) / 16.0;
  const double g0 = 1.0;
  const double g1 = (202.0 / 3.0 - 20.0 * nf / 9.0) / 16.0;
  // (a1/a0)^(g0/b0) [(b0 + b1 a1)/(b0 + b1 a0)]^(g1/b1 - g0/b0)
  return std::exp(g0 / b0 * std::log(a1 / a0) +
                  (g1 / b1 - g0 / b0) * std::log((b0 + b1 * a1) / (b0 + b1 * a0)));
}

/// alpha_s at the flavour thresholds and at 2 GeV (the reference scale of m_s): they do not
/// depend on the point, so they are computed once.
struct ReferenceCouplings {
  double thresholds[3];  // at m_c, m_b, m_t
  double atTwoGeV;
  double atMc, atMb;
};
const ReferenceCouplings& referenceCouplings() {
  static const ReferenceCouplings r = [] {
    ReferenceCouplings c{};
    c.thresholds[0] = alphaS(constants::m_c);
    c.thresholds[1] = alphaS(constants::m_b);
    c.thresholds[2] = alphaS(constants::m_t);
    c.atTwoGeV = alphaS(2.0);
    c.atMc = c.thresholds[0];
    c.atMb = c.thresholds[1];
    return c;
  }();
  return r;
}

/// Runs m from mu0 (alpha_s = as0) to mu (alpha_s = as), stepping across the thresholds.
double runMass(double m, double mu0, double as0, double mu, double as) {
  const double scales[3] = {constants::m_c, constants::m_b, constants::m_t};
  const ReferenceCouplings& ref = referenceCouplings();
  double x = mu0, ax = as0;
  if (mu >= mu0) {
    for (int i = 0; i < 3; ++i) {
      if (scales[i] > x && scales[i] < mu) {
        m *= massRatioFixedFlavours(ax / pi, ref.thresholds[i] / pi, activeFlavours(x));
        x = scales[i];
        ax = ref.thresholds[i];
      }
    }
  } else {
    for (int i = 2; i >= 0; --i) {
      if (scales[i] < x && scales[i] > mu) {
        m *= massRatioFixedFlavours(ax / pi, ref.thresholds[i] / pi, activeFlavours(scales[i]));
        x = scales[i];
        ax = ref.thresholds[i];
      }
    }
  }
  return m * massRatioFixedFlavours(ax / pi, as / pi, activeFlavours(std::min(x, mu)));
}
}  // namespace

double scalarToFermions(double sinAlpha, double mPhi, double mF, int colours) {
  const double beta = velocity(mF, mPhi);
  return sinAlpha * sinAlpha * colours * constants::G_F * mF * mF * mPhi * beta * beta * beta /
         (4.0 * sqrt2 * pi);
}

double scalarToQuarks(double sinAlpha, double mPhi, double mRunning, double mMeson,
                      double qcdFactor) {
  const double beta = velocity(mMeson, mPhi);
  return sinAlpha * sinAlpha * 3.0 * constants::G_F * mRunning * mRunning * mPhi * beta * beta *
         beta * qcdFactor / (4.0 * sqrt2 * pi);
}

double quarkQcdFactor(double alphaS, int nf) {
  const double a = alphaS / pi;
  return 1.0 + a * (17.0 / 3.0 + a * (35.94 - 1.36 * nf));
}

double gluonKFactor(double alphaS, int nf) {
  return 1.0 + (95.0 / 4.0 - 7.0 * nf / 6.0) * alphaS / pi;
}

double runningQuarkMass(double mAtMu0, double mu0, double mu) {
  return runMass(mAtMu0, mu0, alphaS(mu0), mu, alphaS(mu));
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

double cnEq65(double sinAlpha, double mPhi, double alphaS) {
  const double betaPi = velocity(constants::m_pi_charged, mPhi);
  if (betaPi == 0.0) return 0.0;  // no hadronic final state below 2 m_pi
  const double betaK = velocity(constants::m_K_charged, mPhi);
  const double bracket = 6.0 - 2.0 * betaPi * betaPi * betaPi - betaK * betaK * betaK;
  // CN Eq. 65 with Gamma_mumu/beta_mu^3 = s^2 G_F m_mu^2 m_phi/(4 sqrt2 pi):
  return std::pow(alphaS / (3.0 * pi), 2) * bracket * bracket * sinAlpha * sinAlpha *
         constants::G_F * mPhi * mPhi * mPhi / (4.0 * sqrt2 * pi);
}

double scalarToHadronsLowMass(double sinAlpha, double mPhi, double alphaS) {
  // E5: the pi pi phase space; the S-wave two-body width of a scalar rises as beta_pi.
  return cnEq65(sinAlpha, mPhi, alphaS) * velocity(constants::m_pi_charged, mPhi);
}

double scalarToHadronsPerturbative(double sinAlpha, double mPhi, double alphaSAtMPhi) {
  const ReferenceCouplings& ref = referenceCouplings();
  const int nf = activeFlavours(mPhi);
  const double k = quarkQcdFactor(alphaSAtMPhi, nf);
  const double ms = runMass(constants::m_s, 2.0, ref.atTwoGeV, mPhi, alphaSAtMPhi);
  double width = scalarToQuarks(sinAlpha, mPhi, ms, constants::m_K_charged, k);
  if (mPhi > 2.0 * constants::m_D0) {
    const double mc = runMass(constants::m_c, constants::m_c, ref.atMc, mPhi, alphaSAtMPhi);
    width += scalarToQuarks(sinAlpha, mPhi, mc, constants::m_D0, k);
  }
  if (mPhi > 2.0 * constants::m_B_charged) {
    const double mb = runMass(constants::m_b, constants::m_b, ref.atMb, mPhi, alphaSAtMPhi);
    width += scalarToQuarks(sinAlpha, mPhi, mb, constants::m_B_charged, k);
  }
  return width + scalarToGluons(sinAlpha, mPhi, alphaSAtMPhi) * gluonKFactor(alphaSAtMPhi, nf);
}

double alphaSForScalar(double mPhi) { return alphaS(std::max(mPhi, 1.0)); }

ScalarWidths scalarWidthsToStandardModel(double sinAlpha, double mPhi) {
  ScalarWidths w;
  for (double ml : {constants::m_e, constants::m_mu, constants::m_tau}) {
    w.leptons += scalarToFermions(sinAlpha, mPhi, ml, 1);
  }
  if (mPhi <= 2.0 * constants::m_pi_charged) return w;  // no hadronic final state
  const double as = alphaSForScalar(mPhi);
  if (mPhi <= kScalarHadronicWindowLow) {
    w.hadrons = scalarToHadronsLowMass(sinAlpha, mPhi, as);
  } else if (mPhi >= kScalarHadronicWindowHigh) {
    w.hadrons = scalarToHadronsPerturbative(sinAlpha, mPhi, as);
  } else {
    // E5: ln Gamma linear in m_phi across the window, so Gamma is continuous at both ends.
    const double t =
        (mPhi - kScalarHadronicWindowLow) / (kScalarHadronicWindowHigh - kScalarHadronicWindowLow);
    const double low = scalarToHadronsLowMass(sinAlpha, mPhi, as);
    const double high = scalarToHadronsPerturbative(sinAlpha, mPhi, as);
    w.hadrons = low * std::pow(high / low, t);
  }
  return w;
}

double scalarWidthToStandardModelPerSin2(double mPhi) {
  // One entry per thread, keyed on the bits of m_phi: a scan that fixes m_phi (the quick start)
  // computes alpha_s(m_phi) and the running masses once per thread. What is returned is
  // scalarWidthsToStandardModel(1, m_phi).total() whether the entry hits or not, so results do
  // not depend on the order of points or on the thread that computes them.
  struct Entry {
    std::uint64_t key = 0;  // the bits of m_phi; 0 (m_phi = +0) is never looked up (m_phi > 0)
    double perSin2 = 0.0;
  };
  // Inside a SlowPath scope alpha_s is the reference one: computed, never stored, so that the
  // memo holds only fast-path values.
  if (reference::slowPath()) return scalarWidthsToStandardModel(1.0, mPhi).total();
  thread_local Entry entry;
  const std::uint64_t key = std::bit_cast<std::uint64_t>(mPhi);
  if (key != entry.key || key == 0) {
    entry.perSin2 = scalarWidthsToStandardModel(1.0, mPhi).total();
    entry.key = key;
  }
  return entry.perSin2;
}

double scalarWidthToStandardModel(double sinAlpha, double mPhi) {
  // Every SM width is proportional to sin^2(alpha); at sin(alpha) = 0 the hadronic hand-over
  // (ln Gamma interpolated) would give 0 x inf, so the zero is taken exactly.
  if (sinAlpha == 0.0) return 0.0;
  if (reference::slowPath()) return scalarWidthsToStandardModel(sinAlpha, mPhi).total();
  return sinAlpha * sinAlpha * scalarWidthToStandardModelPerSin2(mPhi);
}

}  // namespace portalscan::physics
