#include "portalscan/physics/StrongCoupling.hpp"

#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/Units.hpp"

#include <boost/math/tools/roots.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>

namespace portalscan::physics {
namespace {

using std::numbers::pi;

double beta0(int nf) { return 11.0 - 2.0 * nf / 3.0; }
double beta1(int nf) { return 102.0 - 38.0 * nf / 3.0; }

/// Runs a = alpha_s/(4 pi) from mu0 to mu at fixed n_f (exact two-loop solution).
double run(double a0, double mu0, double mu, int nf) {
  if (mu == mu0) return a0;
  const double b0 = beta0(nf);
  const double b1 = beta1(nf);
  const double target = std::log(mu * mu / (mu0 * mu0));
  auto lhs = [&](double a) {
    return 1.0 / (b0 * a) - 1.0 / (b0 * a0) +
           b1 / (b0 * b0) * std::log(a * (b0 + b1 * a0) / (a0 * (b0 + b1 * a))) - target;
  };
  // lhs decreases monotonically in a (a larger -> mu lower). Bracket [1e-4 a0, 50 a0].
  double lo = 1e-4 * a0;
  double hi = 50.0 * a0;
  if (lhs(hi) > 0.0) return std::numeric_limits<double>::quiet_NaN();  // beyond the Landau pole
  std::uintmax_t iterations = 200;
  const auto r = boost::math::tools::toms748_solve(
      lhs, lo, hi, boost::math::tools::eps_tolerance<double>(50), iterations);
  return 0.5 * (r.first + r.second);
}

/// The same solution by Newton's method from the one-loop value: lhs'(a) = -1/(a^2 (b0 + b1 a))
/// (the inverse of the RGE), so each step is a <- a + lhs(a) a^2 (b0 + b1 a), one log. It
/// stops after a step below 3e-9 a: the convergence is quadratic, the relative error after a
/// step of relative size s being K s^2 with K between 0.6 and 1.5 (measured over 1 .. 1e4
/// GeV), so below 1.4e-17, under rounding (the former stop at 1e-15 a took one more step,
/// 4.4 instead of 3.7 on average, for at most 5e-16). A start outside the bracket, or no
/// convergence in 30 steps, falls back to the bracketed solve above (never seen in the tests).
double runNewton(double a0, double mu0, double mu, int nf) {
  if (mu == mu0) return a0;
  const double b0 = beta0(nf);
  const double b1 = beta1(nf);
  const double target = 2.0 * std::log(mu / mu0);
  const double lo = 1e-4 * a0;
  const double hi = 50.0 * a0;
  double a = a0 / (1.0 + b0 * a0 * target);  // one loop
  if (!(a > lo && a < hi)) return run(a0, mu0, mu, nf);
  const double k = b1 / (b0 * b0);
  const double c = (b0 + b1 * a0) / a0;
  const double base = 1.0 / (b0 * a0) + target;
  for (int i = 0; i < 30; ++i) {
    const double lhs = 1.0 / (b0 * a) + k * std::log(a * c / (b0 + b1 * a)) - base;
    const double step = lhs * a * a * (b0 + b1 * a);
    a += step;
    if (!(a > lo && a < hi)) break;
    if (std::abs(step) <= 3e-9 * a) return a;
  }
  return run(a0, mu0, mu, nf);
}

/// a = alpha_s/(4 pi) at m_t, m_b and m_c, from the reference solves: they never depend on the
/// point, so they are computed once per process.
struct ThresholdCouplings {
  double atMt, atMb, atMc;
};
const ThresholdCouplings& thresholdCouplings() {
  static const ThresholdCouplings t = [] {
    const double aZ = constants::alpha_s_MZ / (4.0 * pi);
    ThresholdCouplings c{};
    c.atMt = run(aZ, constants::M_Z, constants::m_t, 5);
    c.atMb = run(aZ, constants::M_Z, constants::m_b, 5);
    c.atMc = run(c.atMb, constants::m_b, constants::m_c, 4);
    return c;
  }();
  return t;
}

}  // namespace

int activeFlavours(double mu) {
  if (mu >= constants::m_t) return 6;
  if (mu >= constants::m_b) return 5;
  if (mu >= constants::m_c) return 4;
  return 3;
}

double alphaS(double mu) {
  if (reference::slowPath()) return reference::alphaS(mu);
  if (!(mu > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  // From the nearest threshold below M_Z (above it, from M_Z or m_t) in one solve, with the
  // threshold couplings computed once: the same chain of exact solutions as reference::alphaS.
  const ThresholdCouplings& t = thresholdCouplings();
  const double aZ = constants::alpha_s_MZ / (4.0 * pi);
  double a;
  if (mu > constants::m_t) {
    a = runNewton(t.atMt, constants::m_t, mu, 6);
  } else if (mu >= constants::M_Z || mu >= constants::m_b) {
    a = runNewton(aZ, constants::M_Z, mu, 5);
  } else if (mu >= constants::m_c) {
    a = runNewton(t.atMb, constants::m_b, mu, 4);
  } else {
    if (std::isnan(t.atMc)) return t.atMc;
    a = runNewton(t.atMc, constants::m_c, mu, 3);
  }
  return a * 4.0 * pi;
}

namespace reference {

double alphaS(double mu) {
  if (!(mu > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  double a = constants::alpha_s_MZ / (4.0 * pi);
  double scale = constants::M_Z;
  // Thresholds between M_Z and mu, in the order they are crossed.
  const double down[2] = {constants::m_b, constants::m_c};
  if (mu >= constants::M_Z) {
    if (mu > constants::m_t) {
      a = run(a, scale, constants::m_t, 5);
      scale = constants::m_t;
      return run(a, scale, mu, 6) * 4.0 * pi;
    }
    return run(a, scale, mu, 5) * 4.0 * pi;
  }
  int nf = 5;
  for (double threshold : down) {
    if (mu >= threshold) break;
    a = run(a, scale, threshold, nf);
    scale = threshold;
    --nf;
    if (std::isnan(a)) return a;
  }
  return run(a, scale, mu, nf) * 4.0 * pi;
}

}  // namespace reference

}  // namespace portalscan::physics
