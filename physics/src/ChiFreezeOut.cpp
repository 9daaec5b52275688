#include "portalscan/physics/ChiFreezeOut.hpp"

#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/Units.hpp"

#include "CubicPieces.hpp"
#include "SecantRoot.hpp"
#include <boost/math/interpolators/cardinal_cubic_b_spline.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <boost/math/special_functions/bessel.hpp>
#include <boost/math/tools/roots.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

namespace portalscan::physics::cosmology {

using std::numbers::pi;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Grid of the threshold tables in log10(r): below rMin the pair is massless to
// 1e-6, above rMax F < 1e-30 and is set to 0.
constexpr double kLogRMin = -3.0;
constexpr double kLogRMax = 1.5;  // r = 31.6
constexpr int kRPointsPerDecade = 60;

double thresholdIntegral(thermal::Statistics s, double r) {
  auto integrand = [&](double x) {
    if (x <= 2.0 * r) return 0.0;
    const double q = 4.0 * r * r / (x * x);
    const double beta = std::sqrt(1.0 - q);
    const double w =
        s == thermal::Statistics::Fermion ? beta * (1.0 + 0.5 * q) : beta * beta * beta;
    return std::pow(x, 6) * w * boost::math::cyl_bessel_k(1, x);
  };
  // int_0^inf x^6 K_1(x) dx = 2^5 Gamma(4) Gamma(3) = 384.
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(integrand, 2.0 * r, kInf, 15,
                                                                       1e-12) /
         384.0;
}

class ThresholdTable {
 public:
  explicit ThresholdTable(thermal::Statistics s) {
    const int n = static_cast<int>((kLogRMax - kLogRMin) * kRPointsPerDecade) + 1;
    std::vector<double> logF(n);
    for (int i = 0; i < n; ++i) {
      const double r = std::pow(10.0, kLogRMin + i / static_cast<double>(kRPointsPerDecade));
      logF[i] = std::log(thresholdIntegral(s, r));
    }
    spline_ = boost::math::interpolators::cardinal_cubic_b_spline<double>(
        logF.begin(), logF.end(), kLogRMin, 1.0 / kRPointsPerDecade);
  }
  double operator()(double r) const {
    if (r <= 0.0) return 1.0;
    const double lr = std::log10(r);
    if (lr <= kLogRMin) return 1.0;
    if (lr >= kLogRMax) return 0.0;
    return std::exp(spline_(lr));
  }

 private:
  boost::math::interpolators::cardinal_cubic_b_spline<double> spline_;
};

/// Sum over the charged species of N_c Q^2 F(m/T) below the crossover (a quarter F_S for
/// pi+-), the sum in chiAnnihilationRate.
double chargedSpeciesSum(double t) {
  using thermal::Statistics;
  auto f = [&](double m) { return contactThreshold(Statistics::Fermion, m / t); };
  double sum = f(constants::m_e) + f(constants::m_mu) + f(constants::m_tau);  // Q^2 = 1
  if (t > thermal::kQcdTransitionTemperature) {
    sum += 3.0 * (4.0 / 9.0) * (f(constants::m_u) + f(constants::m_c) + f(constants::m_t));
    sum += 3.0 * (1.0 / 9.0) * (f(constants::m_d) + f(constants::m_s) + f(constants::m_b));
  } else {
    // pi+ pi-: a charged scalar pair has a quarter of a massless fermion pair's <sigma v>.
    sum += 0.25 * contactThreshold(Statistics::Boson, constants::m_pi_charged / t);
  }
  return sum;
}

/// chargedSpeciesSum tabulated once per phase (log of the sum, cubic B-spline in log10 T),
/// so that the freeze-out root finder evaluates one spline per step.
class SpeciesSumTable {
 public:
  SpeciesSumTable(double tLo, double tHi) : logLo_(std::log10(tLo)), logHi_(std::log10(tHi)) {
    constexpr int kPerDecade = 100;
    const int n = static_cast<int>((logHi_ - logLo_) * kPerDecade) + 2;
    step_ = (logHi_ - logLo_) / (n - 1);
    std::vector<double> logS(n);
    // The ends sit just inside the phase so that the per-species switch is not crossed.
    for (int i = 0; i < n; ++i) {
      const double lt = std::clamp(logLo_ + i * step_, logLo_ + 1e-12, logHi_ - 1e-12);
      logS[i] = std::log(chargedSpeciesSum(std::pow(10.0, lt)));
    }
    spline_ = boost::math::interpolators::cardinal_cubic_b_spline<double>(logS.begin(), logS.end(),
                                                                          logLo_, step_);
    pieces_ = detail::CubicPieces(spline_, logLo_, step_, n);
  }
  bool covers(double t) const {
    const double lt = std::log10(t);
    return lt >= logLo_ && lt <= logHi_;
  }
  double operator()(double t) const { return std::exp(spline_(std::log10(t))); }
  /// The same from lt = log10(T): NaN where the table does not cover T.
  double fromLog10(double lt) const {
    return lt >= logLo_ && lt <= logHi_ ? std::exp(pieces_(lt))
                                        : std::numeric_limits<double>::quiet_NaN();
  }
  /// d ln(sum)/d ln T from the table's own cubic at lt = log10(T) (NaN where it does not cover T);
  /// `slow`: from Boost's spline at log10(T) instead.
  double logSlopeFromLog10(double lt, bool slow) const {
    if (!(lt >= logLo_ && lt <= logHi_)) return std::numeric_limits<double>::quiet_NaN();
    return (slow ? spline_.prime(lt) : pieces_.prime(lt)) * 0.43429448190325182765;
  }
  /// ln(sum) at lt = log10(T) with its first and second derivatives in lt from one look-up of
  /// the cubic (fromLog10, logSlopeFromLog10 and logCurvatureFromLog10 without the factors of
  /// ln 10): NaN where the table does not cover T.
  double logWithDerivativesFromLog10(double lt, double& first, double& second) const {
    if (!(lt >= logLo_ && lt <= logHi_)) return std::numeric_limits<double>::quiet_NaN();
    return pieces_.withDerivatives(lt, first, second);
  }
  /// d^2 ln(sum)/d (ln T)^2 from the same cubic (the table is ln(sum) in log10 T: its second
  /// derivative over ln 10^2); NaN where the table does not cover T.
  double logCurvatureFromLog10(double lt, bool slow) const {
    if (!(lt >= logLo_ && lt <= logHi_)) return std::numeric_limits<double>::quiet_NaN();
    constexpr double kInvLn10 = 0.43429448190325182765;
    return (slow ? spline_.double_prime(lt) : pieces_.secondDerivative(lt)) * kInvLn10 * kInvLn10;
  }

 private:
  double logLo_, logHi_, step_ = 0.0;
  boost::math::interpolators::cardinal_cubic_b_spline<double> spline_;
  detail::CubicPieces pieces_;
};

const SpeciesSumTable& hadronSpecies() {
  static const SpeciesSumTable table(1e-4, thermal::kQcdTransitionTemperature);
  return table;
}
const SpeciesSumTable& quarkSpecies() {
  static const SpeciesSumTable table(thermal::kQcdTransitionTemperature, kElectroweakCrossover);
  return table;
}

/// The fast path's lookup from lt = log10(T).
double speciesSumFromLog10(double t, double lt) {
  const SpeciesSumTable& hadrons = hadronSpecies();
  const SpeciesSumTable& quarks = quarkSpecies();
  double v = std::numeric_limits<double>::quiet_NaN();
  if (t > thermal::kQcdTransitionTemperature) {
    if (t < kElectroweakCrossover) v = quarks.fromLog10(lt);
  } else {
    v = hadrons.fromLog10(lt);
  }
  return std::isnan(v) ? chargedSpeciesSum(t) : v;
}

double tabulatedSpeciesSum(double t) {
  const SpeciesSumTable& hadrons = hadronSpecies();
  const SpeciesSumTable& quarks = quarkSpecies();
  if (!reference::slowPath()) {
    // One log (natural, cheaper than log10) for the coverage test and the table.
    return speciesSumFromLog10(t, std::log(t) * 0.43429448190325182765);
  }
  if (t > thermal::kQcdTransitionTemperature) {
    if (t < kElectroweakCrossover && quarks.covers(t)) return quarks(t);
  } else if (hadrons.covers(t)) {
    return hadrons(t);
  }
  return chargedSpeciesSum(t);
}

// Number density of one chi species as in CN Eq. 52, 3 zeta(3) T^3/(2 pi^2).
double chiDensity(double t) { return 3.0 * constants::zeta3 * t * t * t / (2.0 * pi * pi); }

}  // namespace

double contactThreshold(thermal::Statistics s, double r) {
  static const ThresholdTable fermion(thermal::Statistics::Fermion);
  static const ThresholdTable scalar(thermal::Statistics::Boson);
  return s == thermal::Statistics::Fermion ? fermion(r) : scalar(r);
}

ChiPortal chiPortal(const KineticMixing& km, double gS, double M3) {
  ChiPortal p;
  const double sW = std::sqrt(constants::sin2ThetaW_onShell);
  const double cW = std::sqrt(1.0 - constants::sin2ThetaW_onShell);
  const double e = constants::g2 * sW;  // tree level, on-shell s_W (the mixing block's convention)
  const double epsilon = km.sEpsilon / km.cEpsilon;  // CN Eq. 37: s_eps/c_eps = epsilon
  if (gS != 0.0 && epsilon != 0.0) {
    // Z + Z_s exchange at q^2 -> 0 (CN Eqs. 36-46; derivation in
    // docs/physics/hidden_kev_fermion.md).
    p.gQ = gS * e * cW * epsilon / (M3 * M3);
    p.gY = gS * (e / cW) * epsilon / (M3 * M3);
  }
  p.mZ = std::sqrt(km.MZ2);
  p.widthZ = zToChiChiWidth(km, gS);  // CN Eq. 47
  p.mZs = std::sqrt(km.MZs2);
  // Z_s couples to chi with g_s c_eps c_eta (X' = s_eta Z + c_eta Z_s, CN Eq. 38).
  p.widthZs = km.cEpsilon * km.cEpsilon * km.cosEta * km.cosEta * gS * gS * p.mZs / (12.0 * pi);
  p.mX = km.cEpsilon * M3;  // CN Eq. 40 with v = 0: the X' mass term c_eps^2 M_3^2
  p.widthX = km.cEpsilon * km.cEpsilon * gS * gS * p.mX / (12.0 * pi);
  return p;
}

double chiAnnihilationRate(const ChiPortal& p, double t) {
  double sigmaV;
  if (t >= kElectroweakCrossover) {
    // Per generation sum N Y^2: Q_L 1/6, u_R 4/3, d_R 1/3, L_L 1/2, e_R 1 = 10/3; the Higgs
    // doublet, two complex scalars of Y = 1/2, adds 2 x (1/4) x (1/2).
    sigmaV = p.gY * p.gY * t * t * (10.0 + 0.25) / pi;
  } else {
    sigmaV = 2.0 * p.gQ * p.gQ * t * t * tabulatedSpeciesSum(t) / pi;
  }
  return chiDensity(t) * sigmaV;
}

double chiAnnihilationRate(const ChiPortal& p, double t, double lnT) {
  if (reference::slowPath() || t >= kElectroweakCrossover) return chiAnnihilationRate(p, t);
  const double sigmaV =
      2.0 * p.gQ * p.gQ * t * t * speciesSumFromLog10(t, lnT * 0.43429448190325182765) / pi;
  return chiDensity(t) * sigmaV;
}

double chiAnnihilationRateLogSlope(const ChiPortal& /*p*/, double t, double lnT) {
  // Gamma = n_eq <sigma v> ~ T^3 T^2 sum(T) (the rate above): 5 + d ln sum/d ln T.
  if (t >= kElectroweakCrossover) return 5.0;
  const bool slow = reference::slowPath();
  const double lt = slow ? std::log10(t) : lnT * 0.43429448190325182765;
  const SpeciesSumTable& table =
      t > thermal::kQcdTransitionTemperature ? quarkSpecies() : hadronSpecies();
  double slope = table.logSlopeFromLog10(lt, slow);
  if (std::isnan(slope)) {
    // Outside the tables (below 1e-4 GeV): a central difference of the direct sum in ln T.
    constexpr double kDu = 1e-5;
    slope = (std::log(chargedSpeciesSum(t * std::exp(kDu))) -
             std::log(chargedSpeciesSum(t * std::exp(-kDu)))) /
            (2.0 * kDu);
  }
  return 5.0 + slope;
}

double chiAnnihilationRateWithLogDerivatives(const ChiPortal& p, double t, double lnT,
                                             double& logSlope, double& logCurvature) {
  if (!reference::slowPath() && t < kElectroweakCrossover) {
    constexpr double kInvLn10 = 0.43429448190325182765;
    const SpeciesSumTable& table =
        t > thermal::kQcdTransitionTemperature ? quarkSpecies() : hadronSpecies();
    double first, second;
    const double logSum = table.logWithDerivativesFromLog10(lnT * kInvLn10, first, second);
    if (!std::isnan(logSum)) {
      logSlope = 5.0 + first * kInvLn10;
      logCurvature = second * kInvLn10 * kInvLn10;
      const double sigmaV = 2.0 * p.gQ * p.gQ * t * t * std::exp(logSum) / pi;
      return chiDensity(t) * sigmaV;
    }
  }
  logSlope = chiAnnihilationRateLogSlope(p, t, lnT);
  logCurvature = chiAnnihilationRateLogCurvature(p, t, lnT);
  return chiAnnihilationRate(p, t, lnT);
}

double chiAnnihilationRateLogCurvature(const ChiPortal& /*p*/, double t, double lnT) {
  // d/d ln T of chiAnnihilationRateLogSlope: the species sum's second log-derivative.
  if (t >= kElectroweakCrossover) return 0.0;
  const bool slow = reference::slowPath();
  const double lt = slow ? std::log10(t) : lnT * 0.43429448190325182765;
  const SpeciesSumTable& table =
      t > thermal::kQcdTransitionTemperature ? quarkSpecies() : hadronSpecies();
  double curvature = table.logCurvatureFromLog10(lt, slow);
  if (std::isnan(curvature)) {
    // Outside the tables (below 1e-4 GeV): a second central difference of the direct sum.
    constexpr double kDu = 1e-4;
    curvature =
        (std::log(chargedSpeciesSum(t * std::exp(kDu))) - 2.0 * std::log(chargedSpeciesSum(t)) +
         std::log(chargedSpeciesSum(t * std::exp(-kDu)))) /
        (kDu * kDu);
  }
  return curvature;
}

double chiFreezeOutNeglected(const ChiPortal& p, double t) {
  const double contact = chiAnnihilationRate(p, t);
  auto term = [&](double m, double width) {
    if (!(m > 0.0)) return kInf;
    const double offShell = 96.0 * t * t / (m * m);
    const double x = m / t;
    // Inverse decays per chi: n_V^eq <m/E> Gamma / n_chi, n_V^eq = 3 m^2 T K_2(x)/(2 pi^2).
    const double inverseDecays =
        x > 700.0 ? 0.0
                  : m * m * boost::math::cyl_bessel_k(1, x) * width / (constants::zeta3 * t * t);
    return offShell + (contact > 0.0 ? inverseDecays / contact : kInf);
  };
  if (t >= kElectroweakCrossover) return term(p.mX, p.widthX);
  return std::max(term(p.mZ, p.widthZ), term(p.mZs, p.widthZs));
}

ChiFreezeOut chiFreezeOut(const ChiPortal& p, const std::function<double(double)>& gStarOfT) {
  return chiFreezeOut(p, gStarOfT, [&](double lnT) { return gStarOfT(std::exp(lnT)); });
}

ChiFreezeOut chiFreezeOut(const ChiPortal& p, const std::function<double(double)>& gStarOfT,
                          const std::function<double(double)>& gStarOfLnT) {
  ChiFreezeOut r;
  if (p.gQ == 0.0 && p.gY == 0.0) {
    r.temperature = kInf;
    r.neglected = 0.0;
    return r;
  }
  if (!reference::slowPath()) {
    // The same root as the bracketed solve below, of ln(Gamma/H) in ln T (about 3 T^3 x slowly
    // varying factors, so nearly linear with slope 3), by secant steps from the massless
    // estimate and its slope-3 correction, converged to 1e-13 in ln T (the bracketed solve
    // stops at 2^-39 relative in ln T). Where it gives up (a root on a jump of the species sum
    // or g_*, or none in range), the bracketed solve decides as before.
    auto g = [&](double lnT) {
      const double t = std::exp(lnT);
      return std::log(chiAnnihilationRate(p, t, lnT) / hubbleRate(t, gStarOfLnT(lnT)));
    };
    const double h0 = std::sqrt(8.0 * pi * pi * pi * 30.0 / 90.0) / constants::M_Pl;
    const double n0 = 3.0 * constants::zeta3 / (2.0 * pi * pi);
    double t0 = std::cbrt(h0 / (n0 * 2.0 * p.gQ * p.gQ * 3.0 / pi));
    if (!(t0 < kElectroweakCrossover)) t0 = std::cbrt(h0 / (n0 * p.gY * p.gY * 10.25 / pi));
    const double u0 = std::log(t0);
    const double g0 = g(u0);
    const double u =
        detail::secantRoot(g, u0, g0, u0 - g0 / 3.0, std::log(1e-4), std::log(1e19), 1e-13);
    if (!std::isnan(u)) {
      r.temperature = std::exp(u);
      r.neglected = chiFreezeOutNeglected(p, r.temperature);
      return r;
    }
  }
  // Gamma/H increases with T in every phase and at both switches, so one root.
  auto f = [&](double lnT) {
    const double t = std::exp(lnT);
    return chiAnnihilationRate(p, t) / hubbleRate(t, gStarOfT(t)) - 1.0;
  };
  // Start from the massless estimate Gamma = c T^5 = H (g_* = 30, 3 charged species below the
  // crossover) and widen by factors of 4 until the root is bracketed within 1e-4 .. 1e19 GeV.
  const double lnMin = std::log(1e-4);
  const double lnMax = std::log(1e19);
  const double h0 = std::sqrt(8.0 * pi * pi * pi * 30.0 / 90.0) / constants::M_Pl;
  const double n0 = 3.0 * constants::zeta3 / (2.0 * pi * pi);
  double t0 = std::cbrt(h0 / (n0 * 2.0 * p.gQ * p.gQ * 3.0 / pi));
  if (!(t0 < kElectroweakCrossover)) t0 = std::cbrt(h0 / (n0 * p.gY * p.gY * 10.25 / pi));
  const double ln4 = std::log(4.0);
  double lo = std::clamp(std::log(t0) - ln4, lnMin, lnMax);
  double hi = std::clamp(std::log(t0) + ln4, lnMin, lnMax);
  double flo = f(lo);
  double fhi = f(hi);
  while (flo > 0.0 && lo > lnMin) {
    hi = lo;
    fhi = flo;
    lo = std::max(lo - ln4, lnMin);
    flo = f(lo);
  }
  while (fhi < 0.0 && hi < lnMax) {
    lo = hi;
    flo = fhi;
    hi = std::min(hi + ln4, lnMax);
    fhi = f(hi);
  }
  if (flo == 0.0 || fhi == 0.0) {
    r.temperature = std::exp(flo == 0.0 ? lo : hi);
    r.neglected = chiFreezeOutNeglected(p, r.temperature);
    return r;
  }
  if (!(flo < 0.0) || !(fhi > 0.0)) {
    r.neglected = kInf;
    return r;
  }
  std::uintmax_t iterations = 200;
  const auto root = boost::math::tools::toms748_solve(
      f, lo, hi, flo, fhi, boost::math::tools::eps_tolerance<double>(40), iterations);
  r.temperature = std::exp(0.5 * (root.first + root.second));
  r.neglected = chiFreezeOutNeglected(p, r.temperature);
  return r;
}

}  // namespace portalscan::physics::cosmology
