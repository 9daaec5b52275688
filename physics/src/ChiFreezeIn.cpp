#include "portalscan/physics/ChiFreezeIn.hpp"

#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include "CubicPieces.hpp"
#include <boost/math/interpolators/cardinal_cubic_b_spline.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/bessel.hpp>
#include <boost/math/tools/minima.hpp>
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <array>
#include <bitset>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <vector>

namespace portalscan::physics::cosmology {

using std::numbers::pi;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// Lowest temperature of the production integrals: below 0.1 MeV every SM channel but
/// e+e- (closed by then, m_e/T = 5) is gone, and nothing is made.
constexpr double kLowestTemperature = 1e-4;

double sW() { return std::sqrt(constants::sin2ThetaW_onShell); }
double cW() { return std::sqrt(1.0 - constants::sin2ThetaW_onShell); }
double gPrime() { return constants::g2 * sW() / cW(); }

/// Gamma(V -> f fbar) for chiral couplings gL, gR (L = V_mu fbar gamma^mu (gL P_L + gR P_R) f),
/// colour nc and mass mf: the tree-level width of a massive vector, the form of the Z width
/// with massive fermions; for the chi pair it is CN Eq. 47.
double vectorToFermions(double mV, double gL, double gR, double mf, double nc) {
  if (!(2.0 * mf < mV)) return 0.0;
  const double r = mf * mf / (mV * mV);
  const double beta = std::sqrt(1.0 - 4.0 * r);
  return nc * mV * beta / (24.0 * pi) * ((gL * gL + gR * gR) * (1.0 - r) + 6.0 * gL * gR * r);
}

/// K_1(x), 0 where it underflows.
double besselK1(double x) { return x > 700.0 ? 0.0 : boost::math::cyl_bessel_k(1, x); }

double equilibriumDensity(double t) {
  return 3.0 * constants::zeta3 * t * t * t / (2.0 * pi * pi);  // CN Eq. 52
}
double entropyDensity(double t) { return 2.0 * pi * pi / 45.0 * thermal::gStarS(t) * t * t * t; }
double hubble(double t) { return hubbleRate(t, thermal::gStar(t)); }

/// Per equilibrium chi, the on-shell rate per unit effective width, M^2 K_1(M/T)/(zeta(3) T^2):
/// the thermally averaged (inverse) decay rate of a vector of mass M (Hall, Jedamzik,
/// March-Russell, West, arXiv:0911.1120, Sec. 2, with g_V = 3) over CN Eq. 52's n_eq per chi.
double onShellPerWidth(double m, double t) {
  if (!(m > 0.0)) return 0.0;
  return m * m * besselK1(m / t) / (constants::zeta3 * t * t);
}

double continuumIntegral(double a) {
  // S(a) = (1/384) [int_0^a x^6 K_1 + a^4 int_a^inf x^2 K_1]: the Gondolo-Gelmini average
  // (Nucl. Phys. B360 (1991) 145, Eq. 3.8) of the contact cross section ~ s, cut to ~ M^4/s
  // above s = M^2 (a = M/T); S(inf) = 1 is the contact rate (docs/physics/hidden_kev_fermion.md).
  auto low = [](double x) { return std::pow(x, 6) * boost::math::cyl_bessel_k(1, x); };
  auto high = [](double x) { return x * x * boost::math::cyl_bessel_k(1, x); };
  using GK = boost::math::quadrature::gauss_kronrod<double, 61>;
  const double lowPart = GK::integrate(low, 0.0, a, 15, 1e-12);
  const double highPart = GK::integrate(high, a, kInf, 15, 1e-12);
  return (lowPart + a * a * a * a * highPart) / 384.0;
}

constexpr double kLogAMin = -3.0;  // S = a^4/192 below (int_0^inf x^2 K_1 = 2)
constexpr double kLogAMax = 2.0;   // S = 1 - O(e^-100) above
constexpr int kAPerDecade = 40;

class SuppressionTable {
 public:
  SuppressionTable() {
    const int n = static_cast<int>((kLogAMax - kLogAMin) * kAPerDecade) + 1;
    std::vector<double> logS(n);
    for (int i = 0; i < n; ++i) {
      logS[i] = std::log(continuumIntegral(std::pow(10.0, kLogAMin + i / double(kAPerDecade))));
    }
    spline_ = boost::math::interpolators::cardinal_cubic_b_spline<double>(
        logS.begin(), logS.end(), kLogAMin, 1.0 / kAPerDecade);
    pieces_ = detail::CubicPieces(spline_, kLogAMin, 1.0 / kAPerDecade, n);
    // The largest a up to which d ln S/d ln a >= 3.2 (S = a^4/192 below the table: slope 4),
    // on a grid 20 times finer than the table's, one fine step short for safety (about 2.07:
    // the slope of the integral itself is 3.51 at a = 1.5, 3.24 at 2, 2.96 at 2.5).
    const double fine = 1.0 / (20.0 * kAPerDecade);
    double la = kLogAMin;
    while (la < kLogAMax && spline_.prime(la) / std::log(10.0) >= 3.2) la += fine;
    steepBelow_ = std::pow(10.0, la - fine);
    // The smallest a from which on d ln S/d ln a <= 2 (S = 1 above the table: slope 0).
    la = kLogAMax;
    while (la > kLogAMin && spline_.prime(la) / std::log(10.0) <= 2.0) la -= fine;
    flatAbove_ = std::pow(10.0, la + fine);
  }
  double steepBelow() const { return steepBelow_; }
  double flatAbove() const { return flatAbove_; }
  double operator()(double a) const {
    if (!(a > 0.0)) return 0.0;
    const double la = std::log10(a);
    if (la <= kLogAMin) return a * a * a * a / 192.0;
    if (la >= kLogAMax) return 1.0;
    return std::min(1.0, std::exp(spline_(la)));
  }
  /// The same with ln a given (the fast path: no log, the spline as one cubic per interval).
  double fromLog(double a, double lnA) const {
    if (!(a > 0.0)) return 0.0;
    const double la = lnA * 0.43429448190325182765;
    if (la <= kLogAMin) return a * a * a * a / 192.0;
    if (la >= kLogAMax) return 1.0;
    return std::min(1.0, std::exp(pieces_(la)));
  }
  /// d ln S/d ln a of what operator() (slow: Boost's spline at log10 a) or fromLog (fast: the
  /// cubic per interval at ln a/ln 10) returns: 4 below the table, 0 above it and where S is
  /// clamped to 1.
  double logSlope(double a, double lnA, bool slow) const {
    if (!(a > 0.0)) return 0.0;
    const double la = slow ? std::log10(a) : lnA * 0.43429448190325182765;
    if (la <= kLogAMin) return 4.0;
    if (la >= kLogAMax) return 0.0;
    if (!((slow ? spline_(la) : pieces_(la)) < 0.0)) return 0.0;  // min(1, e^v) at 1
    return (slow ? spline_.prime(la) : pieces_.prime(la)) * 0.43429448190325182765;
  }
  /// fromLog(a, lnA) with logSlope(a, lnA, false) in slope and logCurvature(a, lnA, false) in
  /// curvature: the same values from one look-up of the cubic.
  double fromLogWithDerivatives(double a, double lnA, double& slope, double& curvature) const {
    slope = curvature = 0.0;
    if (!(a > 0.0)) return 0.0;
    constexpr double kInvLn10 = 0.43429448190325182765;
    const double la = lnA * kInvLn10;
    if (la <= kLogAMin) {
      slope = 4.0;
      return a * a * a * a / 192.0;
    }
    if (la >= kLogAMax) return 1.0;
    double first, second;
    const double v = pieces_.withDerivatives(la, first, second);
    if (v < 0.0) {
      slope = first * kInvLn10;
      curvature = second * kInvLn10 * kInvLn10;
    }
    return std::min(1.0, std::exp(v));
  }
  /// d^2 ln S/d (ln a)^2 of the same: the cubic's (or Boost's spline's) second derivative over
  /// ln 10^2; 0 outside the table (S = a^4/192 below, 1 above) and where S is clamped to 1.
  double logCurvature(double a, double lnA, bool slow) const {
    if (!(a > 0.0)) return 0.0;
    const double la = slow ? std::log10(a) : lnA * 0.43429448190325182765;
    if (la <= kLogAMin || la >= kLogAMax) return 0.0;
    if (!((slow ? spline_(la) : pieces_(la)) < 0.0)) return 0.0;
    constexpr double kInvLn10 = 0.43429448190325182765;
    return (slow ? spline_.double_prime(la) : pieces_.secondDerivative(la)) * kInvLn10 * kInvLn10;
  }

 private:
  boost::math::interpolators::cardinal_cubic_b_spline<double> spline_;
  detail::CubicPieces pieces_;
  double steepBelow_ = 0.0;
  double flatAbove_ = 0.0;
};

const SuppressionTable& suppressionTable() {
  static const SuppressionTable table;
  return table;
}

// The SM integrals of the yield, per unit coupling: 1D in the vector mass, tabulated once.
constexpr double kLogMMin = -4.0;
constexpr double kLogMMax = 10.0;
constexpr int kMPerDecade = 16;
constexpr int kTPerDecade = 40;

/// Trapezoid rule in ln T of f(T) n_eq/(s H) from tLo to tHi.
template <class F>
double trapezoid(F f, double tLo, double tHi) {
  const double lo = std::log(tLo);
  const double hi = std::log(tHi);
  const int n = std::max(8, static_cast<int>((hi - lo) / std::log(10.0) * kTPerDecade));
  const double h = (hi - lo) / n;
  double sum = 0.0;
  for (int i = 0; i <= n; ++i) {
    // The ends sit just inside the interval so that the phase of a term is not crossed.
    const double t = std::exp(std::clamp(lo + i * h, lo + 1e-12, hi - 1e-12));
    sum += (i == 0 || i == n ? 0.5 : 1.0) * f(t) * equilibriumDensity(t) /
           (entropyDensity(t) * hubble(t));
  }
  return sum * h;
}

/// The same, split at the QCD transition, where g_* steps (a trapezoid across it errs by %).
template <class F>
double yieldIntegral(F f, double tLo, double tHi) {
  const double tq = thermal::kQcdTransitionTemperature;
  if (tLo < tq && tq < tHi) return trapezoid(f, tLo, tq) + trapezoid(f, tq, tHi);
  return trapezoid(f, tLo, tHi);
}

struct YieldTables {
  // Per point: Y = gQ^2 Jb(M_Zs) + gY^2 Ja(M_X) + sum_V Gamma_eff,V I(M_V).
  boost::math::interpolators::cardinal_cubic_b_spline<double> contactBelow, contactAbove,
      onShellBelow, onShellAbove;

  YieldTables() {
    const int n = static_cast<int>((kLogMMax - kLogMMin) * kMPerDecade) + 1;
    std::vector<double> jb(n), ja(n), ib(n), ia(n);
    ChiPortal unitQ;
    unitQ.gQ = 1.0;
    ChiPortal unitY;
    unitY.gY = 1.0;
    const double tc = kElectroweakCrossover;
    for (int i = 0; i < n; ++i) {
      const double m = std::pow(10.0, kLogMMin + i / double(kMPerDecade));
      const double tTop = 1e4 * std::max(m, tc);  // the integrands fall as 1/T above M and T_c
      auto floorLog = [](double x) { return std::log(std::max(x, 1e-300)); };
      jb[i] = floorLog(yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitQ, t) * continuumSuppression(m / t); },
          kLowestTemperature, tc));
      ja[i] = floorLog(yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitY, t) * continuumSuppression(m / t); }, tc,
          tTop));
      ib[i] = floorLog(
          yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, kLowestTemperature, tc));
      ia[i] = floorLog(yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, tc, tTop));
    }
    const double step = 1.0 / kMPerDecade;
    using Spline = boost::math::interpolators::cardinal_cubic_b_spline<double>;
    contactBelow = Spline(jb.begin(), jb.end(), kLogMMin, step);
    contactAbove = Spline(ja.begin(), ja.end(), kLogMMin, step);
    onShellBelow = Spline(ib.begin(), ib.end(), kLogMMin, step);
    onShellAbove = Spline(ia.begin(), ia.end(), kLogMMin, step);
    for (const auto* spline : {&contactBelow, &contactAbove, &onShellBelow, &onShellAbove}) {
      pieces.emplace_back(*spline, kLogMMin, step, n);
    }
  }
  /// The splines as one cubic per interval (the fast path), in the order above.
  std::vector<detail::CubicPieces> pieces;
};

const YieldTables& yieldTables() {
  static const YieldTables tables;
  return tables;
}

/// A tabulated integral at mass m (lnM = ln m, which the fast path reads); outside the table it
/// is computed directly.
template <class Direct>
double tabulated(const boost::math::interpolators::cardinal_cubic_b_spline<double>& spline,
                 const detail::CubicPieces& pieces, double m, double lnM, Direct direct) {
  if (!(m > 0.0)) return 0.0;
  const bool slow = reference::slowPath();
  const double lm = slow ? std::log10(m) : lnM * 0.43429448190325182765;
  if (lm < kLogMMin || lm > kLogMMax) return direct();
  const double logValue = slow ? spline(lm) : pieces(lm);
  return logValue < -680.0 ? 0.0 : std::exp(logValue);
}

double effectiveWidth(double toSM, double toChi) {
  const double total = toSM + toChi;
  return total > 0.0 ? toSM * toChi / total : 0.0;
}

}  // namespace

double zsChiralCoupling(const KineticMixing& km, double t3, double q) {
  const double y = q - t3;
  return -km.sinEta * (constants::g2 / cW()) * (t3 - constants::sin2ThetaW_onShell * q) -
         km.cosEta * gPrime() * km.sEpsilon * y;
}

double zsToStandardModelWidth(const KineticMixing& km) {
  const double m = std::sqrt(km.MZs2);
  auto dirac = [&](double t3, double q, double mf, double nc) {
    return vectorToFermions(m, zsChiralCoupling(km, t3, q), zsChiralCoupling(km, 0.0, q), mf, nc);
  };
  double w = 0.0;
  w += 3.0 * vectorToFermions(m, zsChiralCoupling(km, 0.5, 0.0), 0.0, 0.0, 1.0);  // nu_L
  for (double mf : {constants::m_e, constants::m_mu, constants::m_tau})
    w += dirac(-0.5, -1.0, mf, 1);
  // Light quarks from 2 m_pi+ (the hadronic threshold), heavy ones from 2 m_q.
  const double mLight = constants::m_pi_charged;
  w += dirac(0.5, 2.0 / 3.0, mLight, 3) + dirac(0.5, 2.0 / 3.0, constants::m_c, 3) +
       dirac(0.5, 2.0 / 3.0, constants::m_t, 3);
  w += dirac(-0.5, -1.0 / 3.0, mLight, 3) + dirac(-0.5, -1.0 / 3.0, mLight, 3) +
       dirac(-0.5, -1.0 / 3.0, constants::m_b, 3);
  return w;
}

double xPrimeToStandardModelWidth(const KineticMixing& km, double M3) {
  const double g = gPrime() * km.sEpsilon;
  return g * g * km.cEpsilon * M3 * 10.25 / (24.0 * pi);
}

double continuumSuppression(double a) { return suppressionTable()(a); }

ChiProductionPortal chiProductionPortal(const KineticMixing& km, double gS, double M3) {
  ChiProductionPortal p;
  p.portal = chiPortal(km, gS, M3);
  p.smWidthZ = kZWidth;
  p.smWidthZs = zsToStandardModelWidth(km);
  p.smWidthX = xPrimeToStandardModelWidth(km, M3);
  return p;
}

double chiProductionRatePerChi(const ChiProductionPortal& p, double t) {
  const ChiPortal& c = p.portal;
  if (t >= kElectroweakCrossover) {
    return chiAnnihilationRate(c, t) * continuumSuppression(c.mX / t) +
           onShellPerWidth(c.mX, t) * effectiveWidth(p.smWidthX, c.widthX);
  }
  return chiAnnihilationRate(c, t) * continuumSuppression(c.mZs / t) +
         onShellPerWidth(c.mZ, t) * effectiveWidth(p.smWidthZ, c.widthZ) +
         onShellPerWidth(c.mZs, t) * effectiveWidth(p.smWidthZs, c.widthZs);
}

namespace {

/// K_1(x) in double precision (Boost's 53-bit rational approximations, relative error about
/// 1e-16; cyl_bessel_k promotes a double to long double and takes the 64-bit ones), 0 where it
/// underflows: the fast path's besselK1.
/// For x > 1 the same rational approximation in 1/x evaluated here by Horner's rule (Boost 1.74,
/// boost/math/special_functions/detail/bessel_k1.hpp, the 53-bit branch for x > 1:
/// K_1(x) = (Y + P(1/x)/Q(1/x)) e^(-x)/sqrt(x), maximum deviation 8.9e-17), without Boost's
/// dispatch.
/// With xK0OverK1, also x K_0(x)/K_1(x) (the on-shell terms' log-slope is that minus 1): for
/// x > 1 from Boost 1.74's 53-bit rational approximation of K_0 for x > 1
/// (boost/math/special_functions/detail/bessel_k0.hpp: K_0(x) = (1 + P(1/x)/Q(1/x))
/// e^(-x)/sqrt(x), maximum deviation 4.3e-17), whose e^(-x)/sqrt(x) cancels against K_1's, so
/// that no exp is added; Boost's own K_0 below.
/// besselK1Double for 1 < x <= 700 with e^(-x) given (expMinusX).
double besselK1AboveOne(double x, double expMinusX, double* xK0OverK1) {
  constexpr double Y = 1.45034217834472656;
  constexpr double P[] = {
      -1.97028041029226295e-01, -2.32408961548087617e+00, -7.98269784507699938e+00,
      -2.39968410774221632e+00, 3.28314043780858713e+01,  5.67713761158496058e+01,
      3.30907788466509823e+01,  6.62582288933739787e+00,  3.08851840645286691e-01};
  constexpr double Q[] = {
      1.00000000000000000e+00, 1.41811409298826118e+01, 7.35979466317556420e+01,
      1.77821793937080859e+02, 2.11014501598705982e+02, 1.19425262951064454e+02,
      2.88448064302447607e+01, 2.27912927104139732e+00, 2.50358186953478678e-02};
  const double z = 1.0 / x;
  double p = P[8];
  double q = Q[8];
  for (int i = 7; i >= 0; --i) {
    p = p * z + P[i];
    q = q * z + Q[i];
  }
  const double k1Rational = p / q + Y;
  if (xK0OverK1 != nullptr) {
    constexpr double P0[] = {
        2.533141373155002416e-01,  3.628342133984595192e+00,  1.868441889406606057e+01,
        4.306243981063412784e+01,  4.424116209627428189e+01,  1.562095339356220468e+01,
        -1.810138978229410898e+00, -1.414237994269995877e+00, -9.369168119754924625e-02};
    constexpr double Q0[] = {
        1.000000000000000000e+00, 1.494194694879908328e+01, 8.265296455388554217e+01,
        2.162779506621866970e+02, 2.845145155184222157e+02, 1.851714491916334995e+02,
        5.486540717439723515e+01, 6.118075837628957015e+00, 1.586261269326235053e-01};
    double p0 = P0[8];
    double q0 = Q0[8];
    for (int i = 7; i >= 0; --i) {
      p0 = p0 * z + P0[i];
      q0 = q0 * z + Q0[i];
    }
    *xK0OverK1 = x * (p0 / q0 + 1.0) / k1Rational;
  }
  return k1Rational * expMinusX / std::sqrt(x);
}

double besselK1Double(double x, double* xK0OverK1 = nullptr) {
  if (x > 700.0) {
    if (xK0OverK1 != nullptr) *xK0OverK1 = x;  // the term is 0; its slope's weight with it
    return 0.0;
  }
  if (!(x > 1.0)) {
    const double k1 = boost::math::detail::bessel_k1(x);
    if (xK0OverK1 != nullptr) *xK0OverK1 = x * boost::math::detail::bessel_k0(x) / k1;
    return k1;
  }
  return besselK1AboveOne(x, std::exp(-x), xK0OverK1);
}

double onShellPerWidthDouble(double m, double t, double* xK0OverK1 = nullptr) {
  if (!(m > 0.0)) return 0.0;
  return m * m * besselK1Double(m / t, xK0OverK1) / (constants::zeta3 * t * t);
}

/// r/H and its logarithmic derivative d ln(r/H)/d ln T at one temperature.
/// With its second derivative d^2 ln(r/H)/d (ln T)^2 (curvature), for Newton's steps.
struct RatioSlope {
  double value = 0.0;
  double slope = 0.0;
  double curvature = 0.0;
};

/// The log-slope of r/H from its terms: sum_k r_k d ln r_k/d ln T over r, minus H's
/// d ln H/d ln T = 2 + (1/2) d ln g_*/d ln T (H = sqrt(8 pi^3 g_*/90) T^2/M_Pl; gStarSlope is
/// d ln g_*/d ln T).
double ratioLogSlope(double rate, double weighted, double gStarSlope) {
  return (rate > 0.0 ? weighted / rate : 0.0) - 2.0 - 0.5 * gStarSlope;
}

/// Its derivative in ln T: with r = sum_k r_k, s_k = d ln r_k/d ln T, d r_k/d ln T = r_k s_k, so
/// d(sum_k r_k s_k/r)/d ln T = sum_k r_k (s_k^2 + s_k')/r - (sum_k r_k s_k/r)^2 (weighted2 is
/// sum_k r_k (s_k^2 + s_k')), minus H's (1/2) d^2 ln g_*/d (ln T)^2 (gStarCurvature).
double ratioLogCurvature(double rate, double weighted, double weighted2, double gStarCurvature) {
  const double mean = rate > 0.0 ? weighted / rate : 0.0;
  return (rate > 0.0 ? weighted2 / rate : 0.0) - mean * mean - 0.5 * gStarCurvature;
}

/// d/d ln T of an on-shell term's log-slope x K_0/K_1 - 1 (x = M/T, dx/d ln T = -x): with
/// g = x K_0/K_1, K_0' = -K_1 and K_1' = -K_0 - K_1/x, dg/dx = 2 K_0/K_1 - x + x (K_0/K_1)^2, so
/// the derivative is -x dg/dx = x^2 - g (2 + g).
double onShellLogCurvature(double x, double g) { return x * x - g * (2.0 + g); }

/// The reference path's r/H (the value exactly as before: chiProductionRatePerChi over hubble)
/// and its log-slope, term by term from the same slow functions: Boost's spline derivatives
/// for the species sum, S and g_*, and x K_0/K_1 from cyl_bessel_k (long double). Each term's
/// log-slope in T: the contact rate ~ T^5 sum(T) S(M/T), 5 + d ln sum/d ln T - d ln S/d ln a;
/// an on-shell V ~ M^2 K_1(x)/T^2, x = M/T, with K_1' = -K_0 - K_1/x: x K_0(x)/K_1(x) - 1.
/// The slope's derivative (ratioLogCurvature) from the splines' second derivatives
/// (double_prime) and onShellLogCurvature.
RatioSlope referenceRatioWithSlope(const ChiProductionPortal& p, double u) {
  const double t = std::exp(u);
  RatioSlope r;
  r.value = chiProductionRatePerChi(p, t) / hubble(t);
  const ChiPortal& c = p.portal;
  const SuppressionTable& s = suppressionTable();
  double rate = 0.0;
  double weighted = 0.0;
  double weighted2 = 0.0;
  auto onShell = [&](double m, double w) {
    if (!(m > 0.0)) return;
    const double x = m / t;
    const double term = onShellPerWidth(m, t) * w;
    if (!(term > 0.0)) return;
    rate += term;
    const double g = x * boost::math::cyl_bessel_k(0, x) / boost::math::cyl_bessel_k(1, x);
    weighted += term * (g - 1.0);
    weighted2 += term * ((g - 1.0) * (g - 1.0) + onShellLogCurvature(x, g));
  };
  const double mContact = t >= kElectroweakCrossover ? c.mX : c.mZs;
  const double contact = chiAnnihilationRate(c, t) * continuumSuppression(mContact / t);
  rate += contact;
  if (contact > 0.0) {
    // ln S read at ln a = ln M - ln T: its u-derivative -d ln S/d ln a, second +d^2 ln S/d ln a^2.
    const double sc =
        chiAnnihilationRateLogSlope(c, t, u) - s.logSlope(mContact / t, 0.0, /*slow=*/true);
    weighted += contact * sc;
    weighted2 += contact * (sc * sc + chiAnnihilationRateLogCurvature(c, t, u) +
                            s.logCurvature(mContact / t, 0.0, /*slow=*/true));
  }
  if (t >= kElectroweakCrossover) {
    onShell(c.mX, effectiveWidth(p.smWidthX, c.widthX));
  } else {
    onShell(c.mZ, effectiveWidth(p.smWidthZ, c.widthZ));
    onShell(c.mZs, effectiveWidth(p.smWidthZs, c.widthZs));
  }
  double gStarSlope, gStarCurvature;
  thermal::gStarOfLogWithLogDerivatives(u, gStarSlope, gStarCurvature);
  r.slope = ratioLogSlope(rate, weighted, gStarSlope);
  r.curvature = ratioLogCurvature(rate, weighted, weighted2, gStarCurvature);
  return r;
}

/// The largest d ln g_*/d ln T over [lo, hi] in ln T, from the table on a grid of 1/1000.
double largestGStarLogSlope(double lo, double hi) {
  constexpr double du = 1e-3;
  double largest = 0.0;
  for (double u = lo; u + du <= hi; u += du) {
    largest = std::max(
        largest, (std::log(thermal::gStarOfLog(u + du)) - std::log(thermal::gStarOfLog(u))) / du);
  }
  return largest;
}

/// The largest d ln g_*/d ln T between the QCD transition and the crossover (0.14, from the c,
/// tau and b thresholds).
double quarkPhaseGStarSlope() {
  static const double slope = largestGStarLogSlope(
      std::log(thermal::kQcdTransitionTemperature) + 1e-9, std::log(kElectroweakCrossover));
  return slope;
}

/// The same above the crossover, up to the table's end (constant beyond).
double symmetricPhaseGStarSlope() {
  static const double slope =
      largestGStarLogSlope(std::log(kElectroweakCrossover), std::log(thermal::kMaxTemperature));
  return slope;
}

/// The constants of FastRatio::phaseBound, computed once: max_x x^4 K_1(x) = 3.34 (at x = 3.41,
/// where x K_0/K_1 = 3; Boost's cyl_bessel_k on a grid of 1e-3 in x, the largest value times 1.01),
/// max_a S(a)/a^3 (S = a^4/192 below the table, 1 above; the table read on a grid of 1e-3 in
/// ln a, times 1.01) and the smallest g_* of each phase (the table from 1e-4 GeV, the grid's
/// lowest temperature, to T_c, and from T_c to beyond the table's end, on a grid of 1e-3 in
/// ln T, times 0.99).
struct PhaseConstants {
  double maxX4K1 = 0.0;
  /// Where x^4 K_1 peaks (it rises below, falls above: d ln/dx = 3/x - K_0/K_1).
  double xPeak = 0.0;
  double maxSOverA3 = 0.0;
  /// Where S(a)/a^3 peaks; 0 if the table's S/a^3 was not found to rise before and fall after
  /// it (then the refined bounds use the largest value throughout).
  double aPeak = 0.0;
  double gStarMinUpperBroken = kInf;  ///< the smallest g_* from T_c/2 to T_c
  double gStarMinBroken = kInf;
  double gStarMinSymmetric = kInf;
};

const PhaseConstants& phaseConstants() {
  static const PhaseConstants k = [] {
    PhaseConstants c;
    for (double x = 0.5; x <= 10.0; x += 1e-3) {
      const double v = x * x * x * x * boost::math::cyl_bessel_k(1, x);
      if (v > c.maxX4K1) {
        c.maxX4K1 = v;
        c.xPeak = x;
      }
    }
    c.maxX4K1 *= 1.01;
    const SuppressionTable& s = suppressionTable();
    for (double la = (kLogAMin - 1.0) * std::log(10.0); la <= (kLogAMax + 1.0) * std::log(10.0);
         la += 1e-3) {
      const double a = std::exp(la);
      c.maxSOverA3 = std::max(c.maxSOverA3, s.fromLog(a, la) / (a * a * a));
    }
    // Unimodal: rising up to the largest value, falling after it.
    bool unimodal = true;
    bool falling = false;
    double before = 0.0;
    for (double la = (kLogAMin - 1.0) * std::log(10.0); la <= (kLogAMax + 1.0) * std::log(10.0);
         la += 1e-3) {
      const double a = std::exp(la);
      const double v = s.fromLog(a, la) / (a * a * a);
      if (v < before && !falling) {
        falling = true;
        c.aPeak = a;
      }
      if (falling && v > before) unimodal = false;
      before = v;
    }
    if (!unimodal) c.aPeak = 0.0;
    c.maxSOverA3 *= 1.01;
    const double lnTc = std::log(kElectroweakCrossover);
    for (double u = std::log(kLowestTemperature); u < lnTc; u += 1e-3) {
      c.gStarMinBroken = std::min(c.gStarMinBroken, thermal::gStarOfLog(u));
    }
    for (double u = lnTc - std::log(2.0); u < lnTc; u += 1e-3) {
      c.gStarMinUpperBroken = std::min(c.gStarMinUpperBroken, thermal::gStarOfLog(u));
    }
    c.gStarMinUpperBroken *= 0.99;
    for (double u = lnTc; u < std::log(thermal::kMaxTemperature) + 1.0; u += 1e-3) {
      c.gStarMinSymmetric = std::min(c.gStarMinSymmetric, thermal::gStarOfLog(u));
    }
    c.gStarMinBroken *= 0.99;
    c.gStarMinSymmetric *= 0.99;
    return c;
  }();
  return k;
}

/// r(T)/H(T) at u = ln T: chiProductionRatePerChi(p, T)/hubble(T) term by term, with the
/// tables (species sum, continuum suppression, g_*) read from ln T and ln(M/T) = ln M - ln T
/// (no log per table), the effective widths computed once and K_1 in double precision.
class FastRatio {
 public:
  /// lnMZ, lnMZs, lnMX: the logs of the portal's vector masses (any value where a mass is 0).
  FastRatio(const ChiProductionPortal& p, double lnMZ, double lnMZs, double lnMX)
      : c_(p.portal),
        wZ_(effectiveWidth(p.smWidthZ, c_.widthZ)),
        wZs_(effectiveWidth(p.smWidthZs, c_.widthZs)),
        wX_(effectiveWidth(p.smWidthX, c_.widthX)),
        lnMZ_(lnMZ),
        lnMZs_(lnMZs),
        lnMX_(lnMX) {}
  double operator()(double u) const {
    const double t = std::exp(u);
    const SuppressionTable& s = suppressionTable();
    double rate;
    if (t >= kElectroweakCrossover) {
      rate = chiAnnihilationRate(c_, t, u) * s.fromLog(c_.mX / t, lnMX_ - u) +
             onShellPerWidthDouble(c_.mX, t) * wX_;
    } else {
      rate = chiAnnihilationRate(c_, t, u) * s.fromLog(c_.mZs / t, lnMZs_ - u) +
             onShellPerWidthDouble(c_.mZ, t) * wZ_ + onShellPerWidthDouble(c_.mZs, t) * wZs_;
    }
    return rate / hubbleRate(t, thermal::gStarOfLog(u));
  }
  /// The same value (the same operations) and its log-slope d ln(r/H)/d ln T (the terms' as in
  /// referenceRatioWithSlope, from the cubics' own derivatives and x K_0/K_1 in double).
  RatioSlope withSlope(double u) const {
    const double t = std::exp(u);
    const SuppressionTable& s = suppressionTable();
    double rate = 0.0;
    double weighted = 0.0;
    double weighted2 = 0.0;  // sum_k r_k (s_k^2 + s_k'), ratioLogCurvature
    // An on-shell term r_k with g = x K_0/K_1 (referenceRatioWithSlope).
    auto onShell = [&](double term, double x, double g) {
      if (!(term > 0.0)) return;
      weighted += term * (g - 1.0);
      weighted2 += term * ((g - 1.0) * (g - 1.0) + onShellLogCurvature(x, g));
    };
    // The contact term with its log-slope sc and the slope's derivative dsc.
    auto contactTerm = [&](double term, double sc, double dsc) {
      if (!(term > 0.0)) return;
      weighted += term * sc;
      weighted2 += term * (sc * sc + dsc);
    };
    // S, the species sum and g_* each from one look-up of its cubic, with the derivatives.
    double sSlope, sCurvature;
    if (t >= kElectroweakCrossover) {
      const double contact = chiAnnihilationRate(c_, t, u) *
                             s.fromLogWithDerivatives(c_.mX / t, lnMX_ - u, sSlope, sCurvature);
      double xX = 0.0;
      const double onX = onShellPerWidthDouble(c_.mX, t, &xX) * wX_;
      rate = contact + onX;
      contactTerm(contact, 5.0 - sSlope, sCurvature);
      onShell(onX, c_.mX / t, xX);
    } else {
      double rateSlope, rateCurvature;
      const double contact =
          chiAnnihilationRateWithLogDerivatives(c_, t, u, rateSlope, rateCurvature) *
          s.fromLogWithDerivatives(c_.mZs / t, lnMZs_ - u, sSlope, sCurvature);
      double xZ = 0.0;
      double xZs = 0.0;
      const double onZ = onShellPerWidthDouble(c_.mZ, t, &xZ) * wZ_;
      const double onZs = onShellPerWidthDouble(c_.mZs, t, &xZs) * wZs_;
      rate = contact + onZ + onZs;
      contactTerm(contact, rateSlope - sSlope, rateCurvature + sCurvature);
      onShell(onZ, c_.mZ / t, xZ);
      onShell(onZs, c_.mZs / t, xZs);
    }
    double gStarSlope, gStarCurvature;
    const double gStar = thermal::gStarOfLogWithLogDerivatives(u, gStarSlope, gStarCurvature);
    return {rate / hubbleRate(t, gStar), ratioLogSlope(rate, weighted, gStarSlope),
            ratioLogCurvature(rate, weighted, weighted2, gStarCurvature)};
  }
  /// ln T up to which r/H rises with T between consecutive points of the quark phase (above
  /// the QCD transition, below the crossover, where g_* is continuous): the contact part goes
  /// as T^3 Sigma(T) S(M_Zs/T)/sqrt(g_*), Sigma not falling with T, rising where d ln S/d ln a
  /// <= 2 (a >= flatAbove) and d ln g_*/d ln T < 1 (quarkPhaseGStarSlope); the on-shell parts,
  /// x^4 K_1(x)/sqrt(g_*), have ln-slope x K_0/K_1 - 3 >= 1.05 in T for x >= 4.5. -inf if the
  /// g_* bound fails.
  double risingUpTo() const {
    if (!(quarkPhaseGStarSlope() < 1.0)) return -kInf;
    const double lnX = std::log(4.5);
    double lim = std::log(kElectroweakCrossover);
    if (c_.mZ > 0.0) lim = std::min(lim, lnMZ_ - lnX);
    if (c_.mZs > 0.0) {
      lim = std::min(lim, lnMZs_ - lnFlatAbove());
    }
    return lim;
  }
  /// ln max(4.5, a_2): where every on-shell and contact term rises with T (risingUpTo).
  static double lnFlatAbove() {
    static const double v = std::log(std::max(4.5, suppressionTable().flatAbove()));
    return v;
  }
  /// The same above the crossover: ln T up to which r/H rises with T there (the contact part
  /// T^3 S(M_X/T)/sqrt(g_*) where d ln S/d ln a <= 2, the on-shell part where x = M_X/T >= 4.5,
  /// d ln g_*/d ln T < 1 there: symmetricPhaseGStarSlope); -inf without an X' or if the g_*
  /// bound fails.
  double symmetricRisingUpTo() const {
    if (!(c_.mX > 0.0) || !(symmetricPhaseGStarSlope() < 1.0)) return -kInf;
    return lnMX_ - lnFlatAbove();
  }
  /// An upper bound of r/H over the broken phase (T < T_c; `symmetric` false) or the symmetric
  /// one: each term's largest value over the phase's temperatures, with g_* at its smallest
  /// there (phaseConstants; the broken phase split at T_c/2: g_* at its smallest from T_c/2 to
  /// T_c above, over the whole phase from 1e-4 GeV below), times 1.05 (room for rounding; each
  /// constant has its own 1%). r/H = r M_Pl/(sqrt(8 pi^3 g_*/90) T^2) with
  ///   on-shell V: r/H = w_V M_Pl x^4 K_1(x)/(zeta(3) sqrt(8 pi^3 g_*/90) M_V^2), x = M_V/T;
  ///   contact, broken: r/H = 3 zeta(3) gQ^2 sum(T) T^3 S(M_Zs/T) M_Pl/(pi^3 sqrt(8 pi^3
  ///     g_*/90)), sum <= 8 (every charged SM fermion massless: 3 + 3 (4/9) 3 + 3 (1/9) 3; each
  ///     threshold factor <= 1);
  ///   contact, symmetric: the same with gY^2 10.25/2 for gQ^2 sum, and M_X.
  /// Over T <= T_max, x^4 K_1(x) is at most its largest over x >= M/T_max (its value at M/T_max
  /// where that is beyond its peak, where it falls with x), and T^3 S(M/T) = M^3 S(a)/a^3 at
  /// most its largest over a >= M/T_max (T_max^3 S(M/T_max) beyond S/a^3's peak); over
  /// T >= T_c the same for x, a <= M/T_c.
  double phaseBound(bool symmetric) const {
    const PhaseConstants& k = phaseConstants();
    const SuppressionTable& s = suppressionTable();
    const double h = std::sqrt(8.0 * pi * pi * pi / 90.0) / constants::M_Pl;
    const double tc = kElectroweakCrossover;
    const double lnTc = std::log(kElectroweakCrossover);
    // max of x^4 K_1 over x >= x0 (above) or x <= x0.
    auto x4K1 = [&](double x0, bool above) {
      if (above ? x0 <= k.xPeak : x0 >= k.xPeak) return k.maxX4K1;
      return 1.01 * x0 * x0 * x0 * x0 * besselK1Double(x0);
    };
    auto onShell = [&](double m, double w, double tEdge, bool above) {
      return m > 0.0 && w > 0.0 ? w * x4K1(m / tEdge, above) / (constants::zeta3 * m * m) : 0.0;
    };
    // The same for the broken phase at both edges, T_c and T_c/2 (x0 and 2 x0), as a pair: where
    // both are past the peak and above 1, e^(-2 x0) = (e^(-x0))^2, one exp for the two.
    auto onShellBelow = [&](double m, double w, double(&edges)[2]) {
      edges[0] = edges[1] = 0.0;
      if (!(m > 0.0 && w > 0.0)) return;
      const double x0 = m / tc;
      const double x1 = 2.0 * x0;
      const double norm = w / (constants::zeta3 * m * m);
      if (x0 > k.xPeak && x0 > 1.0 && x1 <= 700.0) {
        const double e = std::exp(-x0);
        edges[0] = norm * 1.01 * x0 * x0 * x0 * x0 * besselK1AboveOne(x0, e, nullptr);
        edges[1] = norm * 1.01 * x1 * x1 * x1 * x1 * besselK1AboveOne(x1, e * e, nullptr);
        return;
      }
      edges[0] = norm * x4K1(x0, true);
      edges[1] = norm * x4K1(x1, true);
    };
    // max of T^3 S(m/T) over T <= tEdge (above: a >= a0) or T >= tEdge; lnTEdge = ln tEdge,
    // lnM = ln m.
    auto t3S = [&](double m, double lnM, double tEdge, double lnTEdge, bool above) {
      const double a0 = m / tEdge;
      if (!(k.aPeak > 0.0) || (above ? a0 <= k.aPeak : a0 >= k.aPeak)) {
        return m * m * m * k.maxSOverA3;
      }
      return 1.01 * tEdge * tEdge * tEdge * s.fromLog(a0, lnM - lnTEdge);
    };
    if (symmetric) {
      const double bound = 3.0 * constants::zeta3 * c_.gY * c_.gY * (10.25 / 2.0) *
                               t3S(c_.mX, lnMX_, tc, lnTc, false) / (pi * pi * pi) +
                           onShell(c_.mX, wX_, tc, false);
      return 1.05 * bound / (h * std::sqrt(k.gStarMinSymmetric));
    }
    double onZ[2];
    double onZs[2];
    onShellBelow(c_.mZ, wZ_, onZ);
    onShellBelow(c_.mZs, wZs_, onZs);
    auto below = [&](int edge, double gMin) {
      const double tEdge = edge == 0 ? tc : 0.5 * tc;
      const double lnTEdge = edge == 0 ? lnTc : lnTc - std::numbers::ln2;
      const double bound = 3.0 * constants::zeta3 * c_.gQ * c_.gQ * 8.0 *
                               t3S(c_.mZs, lnMZs_, tEdge, lnTEdge, true) / (pi * pi * pi) +
                           onZ[edge] + onZs[edge];
      return bound / (h * std::sqrt(gMin));
    };
    return 1.05 * std::max(below(0, k.gStarMinUpperBroken), below(1, k.gStarMinBroken));
  }

  /// ln T above which r/H decreases with T, above the crossover: the contact part goes as
  /// T^3 S(M_X/T)/sqrt(g_*), with ln-slope 3 - d ln S/d ln a - (1/2) d ln g_*/d ln T in T,
  /// falling where d ln S/d ln a >= 3.2 (a <= a_3.2, steepBelow); the on-shell part as
  /// x^4 K_1(x)/sqrt(g_*), x = M_X/T, whose ln-slope in T is -(3 - x K_0/K_1) - (1/2) d ln g_*/
  /// d ln T, below -0.2 for x <= 3.2 (x K_0/K_1 = 2.79 there, 3 at the peak x = 3.41); g_* does
  /// not fall with T. +inf without an X'. (Before: a_3.5 and x <= 2.5.)
  double monotoneFrom() const {
    if (!(c_.mX > 0.0)) return kInf;
    static const double lnSteep = std::log(std::min(suppressionTable().steepBelow(), 3.2));
    return lnMX_ - lnSteep;
  }

 private:
  const ChiPortal& c_;
  double wZ_, wZs_, wX_, lnMZ_, lnMZs_, lnMX_;
};

/// The stopping rule of Newton's steps on the slope: a step of at most 1e-6 |ln T| (1e-6 below
/// |ln T| = 1) that is at most a hundredth of the step before (so that the steps converge
/// quadratically: the point after the step is within about |s''/2s'| d^2 <= 1e-12 |ln T|^2 of the
/// root, |s''/2s'| of order 1 at these peaks, the step d itself not evaluated).
bool newtonConverged(double x, double step, double previousStep) {
  const double scale = std::max(1.0, std::abs(x));
  return step <= 1e-6 * scale && step <= 0.01 * previousStep;
}

/// r/H at the point x + d after Newton's step d = -s/f'' from x (v: value, log-slope s and
/// curvature f'' of ln(r/H) there): Taylor's expansion ln(r/H)(x + d) = ln(r/H)(x) + s d +
/// f'' d^2/2 = ln(r/H)(x) + s d/2, so r/H(x + d) = v e^(s d/2) = v (1 + s d/2) to (s d)^2/8.
/// Where newtonConverged holds, |d| <= 1e-6 |ln T| and s d = -f'' d^2: the terms left out (the
/// third derivative's d^3/6, (s d)^2/8) are below 1e-16 relative, under the rounding of an
/// evaluation, so the stopping point is not evaluated (both paths).
double peakValueFrom(const RatioSlope& v, double d) { return v.value * (1.0 + 0.5 * v.slope * d); }

/// The peak from the grid's three points around it, xs[1] the largest (the neighbours in the
/// same phase, values fs, > 0): the vertex of the parabola through their ln(r/H) as the first
/// point, then Newton's steps on the slope with its analytic derivative (the curvature; the
/// parabola's where that is not negative) until newtonConverged. False, and best and bestLn
/// untouched, if the parabola is not concave, a point leaves (xs[0], xs[2]), it takes more than
/// 12 points or ends below the grid's largest (the caller then brackets: peakBySlope).
template <class RatioWithSlope>
bool peakFromParabola(const RatioWithSlope& rs, const double (&xs)[3], const double (&fs)[3],
                      double& best, double& bestLn) {
  // The divided differences of ln(r/H), from the ratios of neighbours (two logs, not three).
  const double d1 = std::log(fs[1] / fs[0]) / (xs[1] - xs[0]);
  const double d2 = std::log(fs[2] / fs[1]) / (xs[2] - xs[1]);
  const double c = (d2 - d1) / (xs[2] - xs[0]);  // half the second derivative
  if (!(c < 0.0)) return false;
  double x = 0.5 * (xs[0] + xs[1]) - d1 / (2.0 * c);
  double previousStep = kInf;
  for (int k = 0; k < 12; ++k) {
    if (!(x > xs[0] && x < xs[2])) return false;
    const RatioSlope v = rs(x);
    if (v.slope == 0.0) {
      if (!(v.value >= best)) return false;
      best = v.value;
      bestLn = x;
      return true;
    }
    if (!(v.slope == v.slope)) return false;
    const double curvature = v.curvature < 0.0 ? v.curvature : 2.0 * c;
    const double d = -v.slope / curvature;
    const double next = x + d;
    const double step = std::abs(d);
    if (next > xs[0] && next < xs[2] && newtonConverged(next, step, previousStep)) {
      // `next` is the peak to ~1e-12; its value from x's (peakValueFrom), not evaluated.
      const double value = peakValueFrom(v, d);
      if (!(value >= best)) return false;
      best = value;
      bestLn = next;
      return true;
    }
    x = next;
    previousStep = step;
  }
  return false;
}

/// Where, between the grid's largest point and its neighbour, d ln(r/H)/d ln T = 0, to rounding:
/// value-only maximisers (Brent) place a flat maximum only to the square root of the precision
/// (Boost's brent_find_minima: 2^-25 |ln T|), the root of the slope to about 1e-12 in ln T.
/// `rs(u)` gives r/H, its log-slope and the slope's derivative at u = ln T; the grid found `best`
/// at `bestLn`, with the search interval [a, b] around it (one phase, so r/H continuous in it).
/// The slope at bestLn picks the side; the slope at that side's end must have the other sign (a
/// bracket); where it has not and the end is larger (a phase's edge, where [a, b] was cut) the
/// end is the peak, else this returns false (a dip between two rises; the caller falls back to
/// Brent). In the bracket: Newton's steps on the slope from the last point (the first from the
/// end with the smaller |slope/curvature|), the secant through the last two points where
/// Newton's step leaves the bracket or the curvature is not negative, a bisection where that
/// leaves it too or two steps have not halved the bracket, until the bracket is below
/// 1e-13 |ln T| or newtonConverged. best and bestLn become the last point if it is larger
/// than the grid's (else, a minimum between two maxima, they stay).
template <class RatioWithSlope>
bool peakBySlope(const RatioWithSlope& rs, double a, double b, double& best, double& bestLn) {
  const RatioSlope at = rs(bestLn);
  if (at.slope == 0.0) return true;
  const bool up = at.slope > 0.0;
  const double end = up ? b : a;
  if (up ? !(end > bestLn) : !(end < bestLn)) return true;  // the edge of the phase: the peak
  const RatioSlope atEnd = rs(end);
  const bool endLarger = atEnd.value > best;
  if (endLarger) {
    best = atEnd.value;
    bestLn = end;
  }
  if (up ? !(atEnd.slope < 0.0) : !(atEnd.slope > 0.0)) {
    // Still rising at the end: above the largest grid point there, it is a phase's edge (the
    // crossover or the QCD transition, where [a, b] was cut), the maximum of this side. Else a
    // dip between two rises: no bracket.
    return endLarger;
  }
  // xa: slope > 0 (left), xb: slope < 0 (right).
  double xa = up ? bestLn : end;
  double xb = up ? end : bestLn;
  // Newton's first step from the end whose step is the shorter.
  auto newtonStep = [](const RatioSlope& v) {
    return v.curvature < 0.0 ? -v.slope / v.curvature : kInf;
  };
  const bool fromEnd = std::abs(newtonStep(atEnd)) < std::abs(newtonStep(at));
  RatioSlope last = fromEnd ? atEnd : at;  // the last point evaluated
  double lastLn = fromEnd ? end : bestLn;
  RatioSlope before = fromEnd ? at : atEnd;  // the one before it, for a secant step
  double beforeLn = fromEnd ? bestLn : end;
  double widthBefore = kInf;  // the bracket two steps ago
  double previousStep = kInf;
  for (int k = 0; k < 100; ++k) {
    const double d = newtonStep(last);
    double x = lastLn + d;
    bool newton = x > xa && x < xb;
    bool secant = false;
    if (!newton && last.slope != before.slope) {
      // Where Newton's step leaves the bracket or the curvature is not negative: the secant
      // through the last two points.
      x = lastLn - last.slope * (lastLn - beforeLn) / (last.slope - before.slope);
      secant = x > xa && x < xb;
    }
    if (k % 2 == 0) {
      if (!(xb - xa <= 0.5 * widthBefore)) newton = secant = false;
      widthBefore = xb - xa;
    }
    if (!newton && !secant) x = 0.5 * (xa + xb);
    const double step = std::abs(x - lastLn);
    if (newton && newtonConverged(x, step, previousStep)) {
      // Newton's point is the peak to ~1e-12: its value from that of the last point evaluated
      // (peakValueFrom); x itself is not evaluated.
      last.value = peakValueFrom(last, d);
      lastLn = x;
      break;
    }
    const RatioSlope v = rs(x);
    before = last;
    beforeLn = lastLn;
    last = v;
    lastLn = x;
    if (v.slope == 0.0) break;
    if (v.slope > 0.0) {
      xa = x;
    } else if (v.slope < 0.0) {
      xb = x;
    } else {
      break;  // NaN
    }
    if (xb - xa <= 1e-13 * std::max(1.0, std::abs(x))) break;
    previousStep = newton || secant ? step : kInf;
  }
  if (last.value >= best) {
    best = last.value;
    bestLn = lastLn;
  }
  return true;
}

}  // namespace

ChiFreezeIn chiFreezeIn(const ChiProductionPortal& p, double decouplingRatioLimit) {
  ChiFreezeIn r;
  const ChiPortal& c = p.portal;
  const double tc = kElectroweakCrossover;
  const double wZ = effectiveWidth(p.smWidthZ, c.widthZ);
  const double wZs = effectiveWidth(p.smWidthZs, c.widthZs);
  const double wX = effectiveWidth(p.smWidthX, c.widthX);
  if (c.gQ == 0.0 && c.gY == 0.0 && wZ == 0.0 && wZs == 0.0 && wX == 0.0) return r;

  // Yield: the tabulated SM integrals times the couplings.
  const YieldTables& tab = yieldTables();
  ChiPortal unitQ;
  unitQ.gQ = 1.0;
  ChiPortal unitY;
  unitY.gY = 1.0;
  const double tTop = 1e4 * std::max({c.mX, c.mZs, tc});
  // The vector masses' logs, once (the yield tables, FastRatio and the grid's ends read them).
  const double lnMZ = c.mZ > 0.0 ? std::log(c.mZ) : -kInf;
  const double lnMZs = c.mZs > 0.0 ? std::log(c.mZs) : -kInf;
  const double lnMX = c.mX > 0.0 ? std::log(c.mX) : -kInf;
  auto contactBelow = [&](double m, double lnM) {
    return tabulated(tab.contactBelow, tab.pieces[0], m, lnM, [&] {
      return yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitQ, t) * continuumSuppression(m / t); },
          kLowestTemperature, tc);
    });
  };
  auto contactAbove = [&](double m, double lnM) {
    return tabulated(tab.contactAbove, tab.pieces[1], m, lnM, [&] {
      return yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitY, t) * continuumSuppression(m / t); }, tc,
          tTop);
    });
  };
  auto onShellBelow = [&](double m, double lnM) {
    return tabulated(tab.onShellBelow, tab.pieces[2], m, lnM, [&] {
      return yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, kLowestTemperature, tc);
    });
  };
  auto onShellAbove = [&](double m, double lnM) {
    return tabulated(tab.onShellAbove, tab.pieces[3], m, lnM, [&] {
      return yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, tc, tTop);
    });
  };
  r.resonantYield = (wZ > 0.0 ? wZ * onShellBelow(c.mZ, lnMZ) : 0.0) +
                    (wZs > 0.0 ? wZs * onShellBelow(c.mZs, lnMZs) : 0.0) +
                    (wX > 0.0 ? wX * onShellAbove(c.mX, lnMX) : 0.0);
  r.freezeInYield = r.resonantYield + c.gQ * c.gQ * contactBelow(c.mZs, lnMZs) +
                    c.gY * c.gY * contactAbove(c.mX, lnMX);

  // Thermalisation ratio: a grid in ln T (below the lightest mass everything rises with T, above
  // 100 x the heaviest scale everything falls), then Brent's method around the largest point.
  const bool slow = reference::slowPath();
  const FastRatio fastRatio(p, lnMZ, lnMZs, lnMX);
  auto ratio = [&](double lnT) {
    if (!slow) return fastRatio(lnT);
    const double t = std::exp(lnT);
    return chiProductionRatePerChi(p, t) / hubble(t);
  };
  // From 0.01 x the lightest vector mass (not below 1e-4 GeV) to 100 x the heaviest scale, in
  // ln T from the masses' logs.
  const double lnTc = std::log(tc);
  const double lnLightest = std::min({lnMZ, c.mZs > 0.0 ? lnMZs : kInf, c.mX > 0.0 ? lnMX : kInf});
  const double lnLo = std::max(std::log(kLowestTemperature), lnLightest - 2.0 * std::numbers::ln10);
  const double lnHi = std::max({lnMX, lnMZs, lnTc}) + 2.0 * std::numbers::ln10;
  constexpr double kStep = 0.25 * 2.302585092994046;  // 4 points per decade
  const int n = std::max(2, static_cast<int>(std::ceil((lnHi - lnLo) / kStep)));
  double bestLn = lnLo;
  double best = -1.0;
  // Fast path: above the crossover and above T = M_X / min(a_3.2, 3.2) every term of r/H falls
  // with T (FastRatio::monotoneFrom), so no later grid point can be the largest: the grid
  // stops at its first point there, with the same maximum.
  const double lnStop = slow ? kInf : std::max(lnTc + 1e-9, fastRatio.monotoneFrom());
  // Fast path: a point of the quark phase whose successor lies where r/H still rises
  // (FastRatio::risingUpTo) is smaller than that successor, so it is not evaluated.
  const double lnRise = slow ? -kInf : fastRatio.risingUpTo();
  // The same above the crossover (FastRatio::symmetricRisingUpTo), and the point just above the
  // crossover where the first grid point above it still lies where r/H rises.
  const double lnRiseSymmetric = slow ? -kInf : fastRatio.symmetricRisingUpTo();
  const double lnQuarks = std::log(thermal::kQcdTransitionTemperature) + 1e-9;
  // The largest point, in the order grid (ascending), then either side of the crossover (the
  // rate jumps there), the first of equal values: `order` is the point's place in that order,
  // so that the phases may be scanned in either order with the same result.
  int bestOrder = -1;
  // The grid's values, for the parabola around the largest (peakFromParabola).
  constexpr int kStored = 256;            // with the crossover's two at n + 1, n + 2
  std::array<double, kStored> gridValue;  // read only where `evaluated`
  std::bitset<kStored> evaluated;
  auto consider = [&](double ln, int order) {
    const double v = ratio(ln);
    if (order < kStored) {
      gridValue[static_cast<std::size_t>(order)] = v;
      evaluated.set(static_cast<std::size_t>(order));
    }
    if (v > best || (v == best && order < bestOrder)) {
      best = v;
      bestLn = ln;
      bestOrder = order;
    }
  };
  auto scanPhase = [&](bool symmetric) {
    for (int i = 0; i <= n; ++i) {
      const double ln = lnLo + (lnHi - lnLo) * i / n;
      if ((ln >= lnTc) != symmetric) continue;
      const double next = lnLo + (lnHi - lnLo) * (i + 1) / n;
      if (i < n && ln > lnQuarks && next <= (symmetric ? lnRiseSymmetric : lnRise)) continue;
      consider(ln, i);
      if (ln >= lnStop) break;
    }
    if (symmetric) {
      // The first grid point at or above the crossover.
      const int first = static_cast<int>(std::ceil((lnTc - lnLo) / (lnHi - lnLo) * n));
      const bool rising = first >= 0 && first <= n && lnLo + (lnHi - lnLo) * first / n >= lnTc &&
                          lnLo + (lnHi - lnLo) * first / n <= lnRiseSymmetric;
      if (!rising) consider(lnTc + 1e-9, n + 2);
    } else {
      consider(lnTc - 1e-9, n + 1);
    }
  };
  if (slow) {
    scanPhase(false);
    scanPhase(true);
  } else {
    // Fast path: the phase of the larger bound first; the other is not evaluated if its bound
    // (FastRatio::phaseBound, above every point of it) is below the largest point found.
    const double brokenBound = fastRatio.phaseBound(false);
    const double symmetricBound = fastRatio.phaseBound(true);
    const bool symmetricFirst = symmetricBound > brokenBound;
    scanPhase(symmetricFirst);
    if (!((symmetricFirst ? brokenBound : symmetricBound) < best)) scanPhase(!symmetricFirst);
  }
  const double h = (lnHi - lnLo) / n;
  double a = bestLn - h;
  double b = bestLn + h;
  // Stay in one phase: the maximum at the switch is the switch itself. The QCD transition too
  // (g_* and the species sum step there).
  if (bestLn < lnTc) b = std::min(b, lnTc - 1e-9);
  if (bestLn > lnTc) a = std::max(a, lnTc + 1e-9);
  const double lnQcd = std::log(thermal::kQcdTransitionTemperature);
  if (bestLn < lnQcd) b = std::min(b, lnQcd - 1e-9);
  if (bestLn > lnQcd) a = std::max(a, lnQcd + 1e-9);
  // The peak as the root of d ln(r/H)/d ln T: from the parabola through the largest grid point
  // and its neighbours where both lie in [a, b] (peakFromParabola), else bracketed
  // (peakBySlope); Brent's method where that finds no bracket.
  auto bySlope = [&](const auto& rs) {
    if (!(b > a)) return true;
    // A neighbour: grid point j, or beyond the crossover the point on this side of it.
    auto neighbour = [&](int j, double& x, double& f) {
      if (j < 0 || j > n) return false;
      x = lnLo + (lnHi - lnLo) * j / n;
      const bool below = bestLn < lnTc;
      if (below != (x < lnTc)) {
        x = below ? lnTc - 1e-9 : lnTc + 1e-9;
        j = below ? n + 1 : n + 2;
      } else if ((bestLn < lnQcd) != (x < lnQcd)) {
        return false;  // beyond the QCD transition
      }
      if (j >= kStored || !evaluated[static_cast<std::size_t>(j)] || x == bestLn) return false;
      f = gridValue[static_cast<std::size_t>(j)];
      return f > 0.0;
    };
    const int i = bestOrder;
    double xs[3] = {0.0, bestLn, 0.0};
    double fs[3] = {0.0, best, 0.0};
    if (i <= n && neighbour(i - 1, xs[0], fs[0]) && neighbour(i + 1, xs[2], fs[2]) &&
        xs[0] < xs[1] && xs[1] < xs[2] && peakFromParabola(rs, xs, fs, best, bestLn)) {
      return true;
    }
    return peakBySlope(rs, a, b, best, bestLn);
  };
  const bool slopeFound = slow ? bySlope([&](double ln) { return referenceRatioWithSlope(p, ln); })
                               : bySlope([&](double ln) { return fastRatio.withSlope(ln); });
  if (!slopeFound) {
    std::uintmax_t iterations = 60;
    const auto m = boost::math::tools::brent_find_minima([&](double ln) { return -ratio(ln); }, a,
                                                         b, 30, iterations);
    if (-m.second > best) {
      best = -m.second;
      bestLn = m.first;
    }
  }
  r.thermalisationRatio = best;
  r.peakTemperature = std::exp(bestLn);
  if (best > 1.0 && best < decouplingRatioLimit) {
    // Below the peak, where the ratio falls back to 1.
    auto f = [&](double ln) { return ratio(ln) - 1.0; };
    double hi = bestLn;
    double fhi = best - 1.0;
    double lo = bestLn;
    double flo = fhi;
    for (int k = 0; k < 400 && flo > 0.0 && lo > std::log(kLowestTemperature); ++k) {
      hi = lo;
      fhi = flo;
      lo -= 0.25;
      flo = f(lo);
    }
    if (flo < 0.0 && fhi > 0.0) {
      std::uintmax_t iterations = 100;
      // To 1e-13 in ln T (absolute below |ln T| = 1): the end of production that the partly
      // thermal abundance is referred to, as precise as the peak.
      auto tolerance = [](double x, double y) {
        return std::abs(x - y) <= 1e-13 * std::max(1.0, std::min(std::abs(x), std::abs(y)));
      };
      const auto root =
          boost::math::tools::toms748_solve(f, lo, hi, flo, fhi, tolerance, iterations);
      r.decouplingTemperature = std::exp(0.5 * (root.first + root.second));
    }
  }
  return r;
}

}  // namespace portalscan::physics::cosmology
