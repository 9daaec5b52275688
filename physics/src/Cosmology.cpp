#include "portalscan/physics/Cosmology.hpp"

#include "portalscan/physics/Units.hpp"

#include <boost/math/tools/roots.hpp>

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

double reheatingTemperature(double width) {
  const double c = reheatingTemperature(width, 1.0);
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

double omegaFromYield(double yield, double mass) {
  return yield * constants::s0_perCm3 * mass /
         (constants::rhoCritOverH2_GeVPerCm3 * constants::h * constants::h);
}

}  // namespace portalscan::physics::cosmology
