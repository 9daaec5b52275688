#include "portalscan/physics/Cosmology.hpp"

#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/Units.hpp"

#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace portalscan::physics::cosmology {

using std::numbers::pi;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Root of an increasing function f on [lo, hi]; NaN if not bracketed. A jump
/// across zero (g_* at the QCD switch) converges onto the jump.
double increasingRoot(const std::function<double(double)>& f, double lo, double hi) {
  const double flo = f(lo);
  const double fhi = f(hi);
  if (flo > 0.0 || fhi < 0.0) return kNaN;
  if (flo == 0.0) return lo;
  if (fhi == 0.0) return hi;
  std::uintmax_t iterations = 200;
  const auto r = boost::math::tools::toms748_solve(
      f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(40), iterations);
  return 0.5 * (r.first + r.second);
}

// Bounds on g_* that bracket every self-consistent solve (SM plus a few hidden species).
constexpr double kGStarLow = 2.0;
constexpr double kGStarHigh = 200.0;
}  // namespace

double hubbleRate(double temperature, double gStar) {
  return std::sqrt(8.0 * pi * pi * pi * gStar / 90.0) * temperature * temperature / constants::M_Pl;
}

namespace {
/// K in T_f^3 = K sqrt(g_*), from CN Eq. 52.
double freezeOutK(double aChi) {
  const double lhs =
      3.0 * constants::zeta3 / (2.0 * pi * pi) * aChi * aChi * constants::G_F * constants::G_F;
  return std::sqrt(8.0 * pi * pi * pi / 90.0) / (constants::M_Pl * lhs);
}
}  // namespace

double freezeOutTemperature(double aChi, double gStar) {
  if (aChi == 0.0) return std::numeric_limits<double>::infinity();
  return std::cbrt(freezeOutK(aChi) * std::sqrt(gStar));
}

double freezeOutTemperature(double aChi, const std::function<double(double)>& gStarOfT) {
  if (aChi == 0.0) return std::numeric_limits<double>::infinity();
  const double k = freezeOutK(aChi);
  auto f = [&](double t) { return t * t * t - k * std::sqrt(gStarOfT(t)); };
  return increasingRoot(f, std::cbrt(k * std::sqrt(kGStarLow)),
                        std::cbrt(k * std::sqrt(kGStarHigh)));
}

double reheatingTemperature(double width, double gStar) {
  return std::pow(90.0 / (8.0 * pi * pi * pi), 0.25) * std::pow(gStar, -0.25) *
         std::sqrt(width * constants::M_Pl);
}

namespace {
/// The secant steps of detail::secantRoot (SecantRoot.hpp) on the reheating condition
/// g(u) = u - ln c + ln(g_*(u))/4, stopped on the secant's own error estimate as well: near a
/// simple root e_(n+1) = C e_n e_(n-1), C = g''/(2 g'), and the steps measure the errors
/// (|x_(n+1) - x_n| = |e_n| to first order), so x_(n+1) is within C |x_(n+1) - x_n| |x_n -
/// x_(n-1)| of the root. Inside each smooth piece of the g_* table, |d ln g_*/d ln T| <= 0.83
/// and |d^2 ln g_*/d(ln T)^2| <= 1.26 (measured over 1e-6 .. 1e5 GeV in steps of 1e-5 in ln T),
/// so g' >= 0.79, |g''| <= 0.32 and C <= 0.2: a product below 5e-14 leaves at most 1e-14, below
/// the step rule's 1e-13, and saves the evaluation that the step rule would spend to see the
/// step. The estimate holds only if the iterates and the root share a piece, so it is not used
/// within 1e-6 in ln T of a piece's end (the QCD switch, neutrino decoupling, the table's ends),
/// where only the step rule stops. NaN where secantRoot would give up.
template <class G>
double reheatingSecant(G&& g, double x0, double g0, double x1, double lo, double hi,
                       const double (&switches)[4]) {
  constexpr double kTolerance = 1e-13;
  constexpr double kProduct = 5e-14;
  constexpr double kMargin = 1e-6;
  if (!std::isfinite(g0) || !(x1 >= lo && x1 <= hi)) return kNaN;
  double g1 = g(x1);
  for (int i = 0; i < 16; ++i) {
    if (g1 == 0.0) return x1;
    if (!std::isfinite(g1) || g1 == g0) return kNaN;
    const double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
    if (!(x2 >= lo && x2 <= hi)) return kNaN;
    const double step = std::abs(x2 - x1);
    if (step <= kTolerance) return x2;
    if (step * std::abs(x1 - x0) <= kProduct) {
      const double a = std::min({x0, x1, x2}) - kMargin;
      const double b = std::max({x0, x1, x2}) + kMargin;
      bool smooth = true;
      for (double sw : switches) smooth = smooth && !(sw >= a && sw <= b);
      if (smooth) return x2;
    }
    x0 = x1;
    g0 = g1;
    x1 = x2;
    g1 = g(x1);
  }
  return kNaN;
}
}  // namespace

double reheatingTemperature(double width) {
  if (reference::slowPath()) {
    const double c = reheatingTemperature(width, 1.0);
    auto f = [&](double t) { return t - c * std::pow(thermal::gStar(t), -0.25); };
    return increasingRoot(f, c * std::pow(kGStarHigh, -0.25), c * std::pow(kGStarLow, -0.25));
  }
  // reheatingTemperature(width, 1) bit for bit: its first factor, a constant, read once (the
  // second, pow(1, -0.25), is 1 exactly).
  static const double kFactor = std::pow(90.0 / (8.0 * pi * pi * pi), 0.25);
  // The ends of the g_* table's smooth pieces in ln T (ThermalHistory.cpp).
  static const double kSwitches[4] = {std::log(thermal::kQcdTransitionTemperature),
                                      std::log(thermal::kNeutrinoDecouplingTemperature),
                                      std::log(thermal::kMinTemperature),
                                      std::log(thermal::kMaxTemperature)};
  const double c = kFactor * std::sqrt(width * constants::M_Pl);
  if (c > 0.0 && std::isfinite(c)) {
    // The same root in u = ln T: ln T - ln c + ln(g_*(T))/4 = 0, slope about 1, by secant steps
    // from the fixed-point iterate of T = c; converged to 1e-13 in ln T, by the step or by the
    // secant's error estimate (reheatingSecant above; the bracketed solve below stops at 2^-39
    // relative in T, 1.8e-12). Where it gives up, the bracketed solve.
    const double lnC = std::log(c);
    // g_* read from u directly (gStarOfLog: the same table without exp and log).
    auto g = [&](double u) { return u - lnC + 0.25 * std::log(thermal::gStarOfLog(u)); };
    const double lo = lnC - 0.25 * std::log(kGStarHigh);
    const double hi = lnC - 0.25 * std::log(kGStarLow);
    const double u0 = lnC - 0.25 * std::log(thermal::gStarOfLog(lnC));
    const double g0 = g(u0);
    // Where g_* is flat (below about 1e-5 GeV, after e+e- annihilation) the fixed-point iterate
    // is the root to rounding: g0 ~ 1e-16, and a secant step from it would be flat (g1 == g0).
    // The slope of g is 1 - (d ln g_*/d ln T)/4, about 0.82 or more, so |g0| <= 1e-13 puts u0
    // within 1.3e-13 of the root, about the secant's own tolerance.
    if (std::abs(g0) <= 1e-13) return std::exp(u0);
    const double u = reheatingSecant(g, u0, g0, u0 - g0, lo, hi, kSwitches);
    if (!std::isnan(u)) return std::exp(u);
    // Where it gives up (a root on g_*'s jump at the QCD switch, where the table's two pieces
    // meet with different values), the bracketed solve: it lands within 2^-39 of the switch on
    // either side, and what reads g_*(T_reheat) downstream follows that side.
  }
  auto f = [&](double t) { return t - c * std::pow(thermal::gStar(t), -0.25); };
  return increasingRoot(f, c * std::pow(kGStarHigh, -0.25), c * std::pow(kGStarLow, -0.25));
}

double equilibriumYield(thermal::Statistics s, double dof, double mass, double temperature,
                        double gStarS) {
  return 45.0 * constants::zeta3 * dof * thermal::numberWeight(s, mass / temperature) /
         (2.0 * std::pow(pi, 4) * gStarS);
}

double entropyDilution(double mass, double yield, double reheatingTemperature) {
  const double sudden = 4.0 / 3.0 * mass * yield / reheatingTemperature;
  return std::pow(1.0 + std::pow(sudden, 4.0 / 3.0), 0.75);
}

namespace {
/// X = S_f^(4/3)/S_i^(4/3) - 1 for decays wholly into the plasma, by integrating the decay
/// at constant g_* (see decayEntropyIncrement in the header) from a ~ 1e-3 min(1, 1/D_s) to
/// Gamma t = 50, classical RK4 in x = ln a with step 1e-3.
double integrateIncrement(double ds) {
  double x = std::log(1e-3 * std::min(1.0, 1.0 / ds));
  double y[3] = {ds, 1.0, 0.0};  // N = rho_phi a^3, R = rho_r a^4, tau = Gamma t
  auto deriv = [](double lx, const double* v, double* dv) {
    const double a = std::exp(lx);
    const double k = 1.0 / std::sqrt(v[0] / (a * a * a) + v[1] / (a * a * a * a));  // Gamma/H
    dv[0] = -k * v[0];
    dv[1] = k * v[0] * a;
    dv[2] = k;
  };
  const double h = 1e-3;
  double k1[3], k2[3], k3[3], k4[3], t[3];
  while (y[2] < 50.0) {
    deriv(x, y, k1);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k1[i];
    deriv(x + 0.5 * h, t, k2);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + 0.5 * h * k2[i];
    deriv(x + 0.5 * h, t, k3);
    for (int i = 0; i < 3; ++i) t[i] = y[i] + h * k3[i];
    deriv(x + h, t, k4);
    for (int i = 0; i < 3; ++i) y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    x += h;
  }
  return y[1] - 1.0;
}

/// ln X tabulated against ln D_s, 8 points per decade over 1e-4 .. 1e8; linear interpolation
/// (relative error below 2e-3), the two asymptotes continued from the ends.
class IncrementTable {
 public:
  IncrementTable() {
    for (int i = 0; i < kPoints; ++i) {
      lnX_[i] = std::log(integrateIncrement(std::exp(lnD(i))));
    }
  }
  double operator()(double ds) const {
    if (!(ds > 0.0)) return 0.0;
    const double u = std::log(ds);
    if (u <= lnD(0)) return std::exp(lnX_[0]) * ds / std::exp(lnD(0));  // X ~ D_s
    if (u >= lnD(kPoints - 1)) {
      return std::exp(lnX_[kPoints - 1]) * std::pow(ds / std::exp(lnD(kPoints - 1)), 4.0 / 3.0);
    }
    const double f = (u - lnD(0)) / kStep;
    const int i = std::min(static_cast<int>(f), kPoints - 2);
    const double w = f - i;
    return std::exp((1.0 - w) * lnX_[i] + w * lnX_[i + 1]);
  }

 private:
  static constexpr int kPoints = 97;
  static constexpr double kStep = 2.302585092994046 / 8.0;  // ln 10 / 8
  static double lnD(int i) { return -4.0 * 2.302585092994046 + i * kStep; }
  double lnX_[kPoints];
};
}  // namespace

double decayEntropyIncrement(double suddenDilution) {
  static const IncrementTable table;  // built once, thread-safe
  return table(suddenDilution);
}

double entropyDilution(double mass, double yield, double reheatingTemperature,
                       double smEnergyFraction) {
  const double x = decayEntropyIncrement(4.0 / 3.0 * mass * yield / reheatingTemperature);
  // [1 + f X]^(3/4) as sqrt(y) sqrt(sqrt(y)): within 2 ulp of pow, a hundred instructions less.
  const double root = std::sqrt(1.0 + smEnergyFraction * x);
  return root * std::sqrt(root);
}

double hiddenToPlasmaEnergyRatio(double mass, double yield, double reheatingTemperature,
                                 double smEnergyFraction) {
  const double x = decayEntropyIncrement(4.0 / 3.0 * mass * yield / reheatingTemperature);
  return (1.0 - smEnergyFraction) * x / (1.0 + smEnergyFraction * x);
}

DecayOutcome decayOutcome(double mass, double yield, double reheatingTemperature,
                          double smEnergyFraction) {
  const double x = decayEntropyIncrement(4.0 / 3.0 * mass * yield / reheatingTemperature);
  const double root = std::sqrt(1.0 + smEnergyFraction * x);  // as entropyDilution above
  return {root * std::sqrt(root), (1.0 - smEnergyFraction) * x / (1.0 + smEnergyFraction * x)};
}

double deltaNeffOfHiddenRadiation(double ratio, double temperature) {
  // g_*s today, a constant: read once per process on the fast path (the reference path's
  // g_*s is another function, SlowPath.hpp).
  const double gs0 = reference::slowPath() ? thermal::gStarS(thermal::kMinTemperature) : [] {
    static const double g = thermal::gStarS(thermal::kMinTemperature);
    return g;
  }();
  return ratio * 4.0 * thermal::gStar(temperature) / 7.0 *
         std::pow(11.0 * gs0 / (4.0 * thermal::gStarS(temperature)), 4.0 / 3.0);
}

double omegaFromYield(double yield, double mass) {
  return yield * constants::s0_perCm3 * mass /
         (constants::rhoCritOverH2_GeVPerCm3 * constants::h * constants::h);
}

}  // namespace portalscan::physics::cosmology
