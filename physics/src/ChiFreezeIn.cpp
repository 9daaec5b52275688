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
    // The largest a up to which d ln S/d ln a >= 3.5 (S = a^4/192 below the table: slope 4),
    // on a grid 20 times finer than the table's, one fine step short for safety.
    const double fine = 1.0 / (20.0 * kAPerDecade);
    double la = kLogAMin;
    while (la < kLogAMax && spline_.prime(la) / std::log(10.0) >= 3.5) la += fine;
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

/// A tabulated integral at mass m; outside the table it is computed directly.
template <class Direct>
double tabulated(const boost::math::interpolators::cardinal_cubic_b_spline<double>& spline,
                 const detail::CubicPieces& pieces, double m, Direct direct) {
  if (!(m > 0.0)) return 0.0;
  const bool slow = reference::slowPath();
  const double lm = slow ? std::log10(m) : std::log(m) * 0.43429448190325182765;
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
double besselK1Double(double x) {
  if (x > 700.0) return 0.0;
  if (!(x > 1.0)) return boost::math::detail::bessel_k1(x);
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
  return (p / q + Y) * std::exp(-x) / std::sqrt(x);
}

double onShellPerWidthDouble(double m, double t) {
  if (!(m > 0.0)) return 0.0;
  return m * m * besselK1Double(m / t) / (constants::zeta3 * t * t);
}

/// The largest d ln g_*/d ln T between the QCD transition and the crossover, from the table on
/// a grid of 1/1000 in ln T (0.14, from the c, tau and b thresholds).
double quarkPhaseGStarSlope() {
  static const double slope = [] {
    const double lo = std::log(thermal::kQcdTransitionTemperature) + 1e-9;
    const double hi = std::log(kElectroweakCrossover);
    constexpr double du = 1e-3;
    double largest = 0.0;
    for (double u = lo; u + du <= hi; u += du) {
      largest = std::max(
          largest, (std::log(thermal::gStarOfLog(u + du)) - std::log(thermal::gStarOfLog(u))) / du);
    }
    return largest;
  }();
  return slope;
}

/// r(T)/H(T) at u = ln T: chiProductionRatePerChi(p, T)/hubble(T) term by term, with the
/// tables (species sum, continuum suppression, g_*) read from ln T and ln(M/T) = ln M - ln T
/// (no log per table), the effective widths computed once and K_1 in double precision.
class FastRatio {
 public:
  explicit FastRatio(const ChiProductionPortal& p)
      : c_(p.portal),
        wZ_(effectiveWidth(p.smWidthZ, c_.widthZ)),
        wZs_(effectiveWidth(p.smWidthZs, c_.widthZs)),
        wX_(effectiveWidth(p.smWidthX, c_.widthX)),
        lnMZs_(c_.mZs > 0.0 ? std::log(c_.mZs) : 0.0),
        lnMX_(c_.mX > 0.0 ? std::log(c_.mX) : 0.0) {}
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
  /// ln T above which r/H decreases with T, above the crossover: the contact part goes as
  /// T^3 S(M_X/T)/sqrt(g_*), falling where d ln S/d ln a >= 3.5 (a <= a_3.5); the on-shell part
  /// as x^4 K_1(x)/sqrt(g_*), x = M_X/T, whose ln-slope in T is -(3 - x K_0/K_1), below -0.89
  /// for x <= 2.5; g_* does not fall with T. +inf without an X'.
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
    if (c_.mZ > 0.0) lim = std::min(lim, std::log(c_.mZ) - lnX);
    if (c_.mZs > 0.0) {
      lim = std::min(lim, lnMZs_ - std::log(std::max(4.5, suppressionTable().flatAbove())));
    }
    return lim;
  }
  double monotoneFrom() const {
    if (!(c_.mX > 0.0)) return kInf;
    return lnMX_ - std::log(std::min(suppressionTable().steepBelow(), 2.5));
  }

 private:
  const ChiPortal& c_;
  double wZ_, wZs_, wX_, lnMZs_, lnMX_;
};

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
  auto contactBelow = [&](double m) {
    return tabulated(tab.contactBelow, tab.pieces[0], m, [&] {
      return yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitQ, t) * continuumSuppression(m / t); },
          kLowestTemperature, tc);
    });
  };
  auto contactAbove = [&](double m) {
    return tabulated(tab.contactAbove, tab.pieces[1], m, [&] {
      return yieldIntegral(
          [&](double t) { return chiAnnihilationRate(unitY, t) * continuumSuppression(m / t); }, tc,
          tTop);
    });
  };
  auto onShellBelow = [&](double m) {
    return tabulated(tab.onShellBelow, tab.pieces[2], m, [&] {
      return yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, kLowestTemperature, tc);
    });
  };
  auto onShellAbove = [&](double m) {
    return tabulated(tab.onShellAbove, tab.pieces[3], m, [&] {
      return yieldIntegral([&](double t) { return onShellPerWidth(m, t); }, tc, tTop);
    });
  };
  r.resonantYield = (wZ > 0.0 ? wZ * onShellBelow(c.mZ) : 0.0) +
                    (wZs > 0.0 ? wZs * onShellBelow(c.mZs) : 0.0) +
                    (wX > 0.0 ? wX * onShellAbove(c.mX) : 0.0);
  r.freezeInYield =
      r.resonantYield + c.gQ * c.gQ * contactBelow(c.mZs) + c.gY * c.gY * contactAbove(c.mX);

  // Thermalisation ratio: a grid in ln T (below the lightest mass everything rises with T, above
  // 100 x the heaviest scale everything falls), then Brent's method around the largest point.
  const bool slow = reference::slowPath();
  const FastRatio fastRatio(p);
  auto ratio = [&](double lnT) {
    if (!slow) return fastRatio(lnT);
    const double t = std::exp(lnT);
    return chiProductionRatePerChi(p, t) / hubble(t);
  };
  const double lightest = std::min({c.mZ, c.mZs > 0.0 ? c.mZs : kInf, c.mX > 0.0 ? c.mX : kInf});
  const double lnLo = std::log(std::max(kLowestTemperature, 0.01 * lightest));
  const double lnHi = std::log(100.0 * std::max({c.mX, c.mZs, tc}));
  const double lnTc = std::log(tc);
  constexpr double kStep = 0.25 * 2.302585092994046;  // 4 points per decade
  const int n = std::max(2, static_cast<int>(std::ceil((lnHi - lnLo) / kStep)));
  double bestLn = lnLo;
  double best = -1.0;
  // Fast path: above the crossover and above T = M_X / min(a_3.5, 2.5) every term of r/H falls
  // with T (FastRatio::monotoneFrom), so no later grid point can be the largest: the grid
  // stops at its first point there, with the same maximum.
  const double lnStop = slow ? kInf : std::max(lnTc + 1e-9, fastRatio.monotoneFrom());
  // Fast path: a point of the quark phase whose successor lies where r/H still rises
  // (FastRatio::risingUpTo) is smaller than that successor, so it is not evaluated.
  const double lnRise = slow ? -kInf : fastRatio.risingUpTo();
  const double lnQuarks = std::log(thermal::kQcdTransitionTemperature) + 1e-9;
  for (int i = 0; i <= n; ++i) {
    const double ln = lnLo + (lnHi - lnLo) * i / n;
    if (i < n && ln > lnQuarks && lnLo + (lnHi - lnLo) * (i + 1) / n <= lnRise) continue;
    const double v = ratio(ln);
    if (v > best) {
      best = v;
      bestLn = ln;
    }
    if (ln >= lnStop) break;
  }
  // Either side of the crossover (the rate jumps there).
  for (double ln : {lnTc - 1e-9, lnTc + 1e-9}) {
    const double v = ratio(ln);
    if (v > best) {
      best = v;
      bestLn = ln;
    }
  }
  const double h = (lnHi - lnLo) / n;
  double a = bestLn - h;
  double b = bestLn + h;
  // Stay in one phase: the maximum at the switch is the switch itself.
  if (bestLn < lnTc) b = std::min(b, lnTc - 1e-9);
  if (bestLn > lnTc) a = std::max(a, lnTc + 1e-9);
  if (b > a) {
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
      const auto root = boost::math::tools::toms748_solve(
          f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(30), iterations);
      r.decouplingTemperature = std::exp(0.5 * (root.first + root.second));
    }
  }
  return r;
}

}  // namespace portalscan::physics::cosmology
