#include "portalscan/physics/StrongCoupling.hpp"

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

}  // namespace

int activeFlavours(double mu) {
  if (mu >= constants::m_t) return 6;
  if (mu >= constants::m_b) return 5;
  if (mu >= constants::m_c) return 4;
  return 3;
}

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

}  // namespace portalscan::physics
