// chi made through the vector portal: freeze-in or freeze-out (docs/physics/hidden_kev_fermion.md,
// "chi production"). Each expectation is computed here independently of ChiFreezeIn.cpp: the Z_s
// couplings from an explicit diagonalisation of the (Z_SM, X') mass matrix, the widths summed
// field by field, the on-shell rates from n_V^eq <m/E> with std::cyl_bessel_k, the continuum
// suppression by Simpson's rule, and the yield by integrating the Boltzmann equation.

#include "portalscan/physics/ChiFreezeIn.hpp"
#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/ScalarFreezeIn.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include "common/HiddenThermalPoint.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <vector>

namespace portalscan::physics {
namespace {

using std::numbers::pi;
using P = HiddenKevFermion::Parameter;

const double kSW2 = constants::sin2ThetaW_onShell;
const double kSW = std::sqrt(kSW2);
const double kCW = std::sqrt(1.0 - kSW2);
const double kTc = 159.5;  // D'Onofrio and Rummukainen, arXiv:1508.07161

/// The two massive neutral states of the (Z_SM, X') system (CN Eqs. 36-40) from the half-angle
/// eigenvectors: masses^2, and for each its (Z_SM, X') components.
struct Neutral {
  double mZ2, mZs2;
  double zZ, xZ;    // Z = zZ Z_SM + xZ X'
  double zZs, xZs;  // Z_s
  double ce, se;
};
Neutral neutral(double eps, double m3) {
  Neutral n;
  n.se = eps / std::sqrt(1.0 - eps * eps);
  n.ce = 1.0 / std::sqrt(1.0 - eps * eps);
  const double m02 = constants::M_W * constants::M_W / (kCW * kCW);
  const double a = m02, b = m02 * kSW * n.se, d = m02 * kSW2 * n.se * n.se + n.ce * n.ce * m3 * m3;
  const double theta = 0.5 * std::atan2(2.0 * b, a - d);
  const double c = std::cos(theta), s = std::sin(theta);
  const double l1 = a * c * c + 2.0 * b * s * c + d * s * s;  // (c, s)
  const double l2 = a * s * s - 2.0 * b * s * c + d * c * c;  // (-s, c)
  if (std::abs(c) > std::abs(s)) {
    n.mZ2 = l1, n.zZ = c, n.xZ = s, n.mZs2 = l2, n.zZs = -s, n.xZs = c;
  } else {
    n.mZ2 = l2, n.zZ = -s, n.xZ = c, n.mZs2 = l1, n.zZs = c, n.xZs = s;
  }
  return n;
}

/// Coupling of a state with components (z, x) to a chiral SM field (CN Eqs. 45-46 in the
/// (Z_SM, X') basis: (g2/c_W)(T3 - s_W^2 Q) and -(g2 s_W/c_W) s_eps Y).
double coupling(const Neutral& n, double z, double x, double t3, double q) {
  return z * constants::g2 / kCW * (t3 - kSW2 * q) -
         x * constants::g2 * kSW / kCW * n.se * (q - t3);
}

/// Gamma(V -> f fbar) of a Dirac fermion with chiral couplings, massive (e.g. PDG's Z widths).
double toPair(double m, double gL, double gR, double mf, double nc) {
  if (2.0 * mf >= m) return 0.0;
  const double r = mf * mf / (m * m);
  return nc * m * std::sqrt(1.0 - 4.0 * r) / (24.0 * pi) *
         ((gL * gL + gR * gR) * (1.0 - r) + 6.0 * gL * gR * r);
}

double zsToSM(double eps, double m3) {
  const Neutral n = neutral(eps, m3);
  const double m = std::sqrt(n.mZs2);
  auto g = [&](double t3, double q) { return coupling(n, n.zZs, n.xZs, t3, q); };
  struct F {
    double t3, q, m, nc;
  };
  const F fermions[] = {{-0.5, -1, constants::m_e, 1},
                        {-0.5, -1, constants::m_mu, 1},
                        {-0.5, -1, constants::m_tau, 1},
                        {0.5, 2.0 / 3, constants::m_pi_charged, 3},  // u: hadrons from 2 m_pi
                        {0.5, 2.0 / 3, constants::m_c, 3},
                        {0.5, 2.0 / 3, constants::m_t, 3},
                        {-0.5, -1.0 / 3, constants::m_pi_charged, 3},  // d
                        {-0.5, -1.0 / 3, constants::m_pi_charged, 3},  // s
                        {-0.5, -1.0 / 3, constants::m_b, 3}};
  double w = 3.0 * toPair(m, g(0.5, 0.0), 0.0, 0.0, 1.0);  // neutrinos, left-handed only
  for (const F& f : fermions) w += toPair(m, g(f.t3, f.q), g(0.0, f.q), f.m, f.nc);
  return w;
}

/// Gamma(X' -> SM) in the symmetric phase, field by field: Weyl fields (colour x isospin) with
/// hypercharge Y, Gamma = g^2 Y^2 M/(24 pi) each, and the two complex Higgs components,
/// g^2 Y^2 M/(48 pi) each; g = g' s_eps.
double xToSM(double eps, double m3) {
  const Neutral n = neutral(eps, m3);
  const double g = constants::g2 * kSW / kCW * n.se, m = n.ce * m3;
  const double weyl[][2] = {{6, 1.0 / 6}, {3, 2.0 / 3}, {3, -1.0 / 3}, {2, -0.5}, {1, -1.0}};
  double sum = 0.0;
  for (int gen = 0; gen < 3; ++gen)
    for (const auto& w : weyl) sum += w[0] * g * g * w[1] * w[1] * m / (24.0 * pi);
  sum += 2.0 * g * g * 0.25 * m / (48.0 * pi);
  return sum;
}

/// S(a) = (1/384)[int_0^a x^6 K_1 + a^4 int_a^inf x^2 K_1], Simpson's rule.
double suppressionDirect(double a) {
  auto simpson = [](auto f, double lo, double hi, int n) {
    const double h = (hi - lo) / n;
    double s = 0.0;
    for (int i = 0; i <= n; ++i)
      s += (i == 0 || i == n ? 1.0 : (i % 2 ? 4.0 : 2.0)) * f(lo + i * h);
    return s * h / 3.0;
  };
  auto k1 = [](double x) { return x > 0.0 ? std::cyl_bessel_k(1.0, x) : 0.0; };
  const double low = simpson([&](double x) { return std::pow(x, 6) * k1(x); }, 0.0, a, 2000);
  const double high = simpson([&](double x) { return x * x * k1(x); }, a, a + 80.0, 4000);
  return (low + std::pow(a, 4) * high) / 384.0;
}

/// The test's own table of S in log a (linear interpolation of log S, 40 per decade).
class Suppression {
 public:
  Suppression() {
    for (int i = 0; i <= 200; ++i)
      logS_.push_back(std::log(suppressionDirect(std::pow(10.0, -3.0 + i / 40.0))));
  }
  double operator()(double a) const {
    const double u = (std::log10(a) + 3.0) * 40.0;
    if (u <= 0.0) return std::pow(a, 4) / 192.0;
    if (u >= 200.0) return 1.0;
    const int i = static_cast<int>(u);
    return std::exp(logS_[i] + (u - i) * (logS_[i + 1] - logS_[i]));
  }

 private:
  std::vector<double> logS_;
};

const Suppression& suppression() {
  static const Suppression s;
  return s;
}

double hubble(double t) {
  return std::sqrt(8.0 * pi * pi * pi * thermal::gStar(t) / 90.0) * t * t / constants::M_Pl;
}
double nEq(double t) { return 3.0 * constants::zeta3 * t * t * t / (2.0 * pi * pi); }
double entropy(double t) { return 2.0 * pi * pi / 45.0 * thermal::gStarS(t) * t * t * t; }

/// chi production per equilibrium chi, from the widths above: n_V^eq <m/E> Gamma_eff / n_eq with
/// n_V = 3 m^2 T K_2/(2 pi^2), <m/E> = K_1/K_2, plus the contact rate (ChiFreezeOut, tested in
/// ThermalPortalsTest.cpp) times the propagator fall-off S(M/T).
struct Rate {
  double eps, gs, m3;
  Neutral n = neutral(eps, m3);
  cosmology::ChiPortal contact = cosmology::chiPortal(kineticMixing(eps, m3), gs, m3);
  double mZ = std::sqrt(n.mZ2), mZs = std::sqrt(n.mZs2), mX = n.ce * m3;
  double chiZ = gs * gs * n.ce * n.ce * n.xZ * n.xZ * mZ / (12.0 * pi);
  double chiZs = gs * gs * n.ce * n.ce * n.xZs * n.xZs * mZs / (12.0 * pi);
  double chiX = gs * gs * n.ce * n.ce * mX / (12.0 * pi);
  double smZs = zsToSM(eps, m3), smX = xToSM(eps, m3), smZ = 2.4955;  // PDG 2024 Gamma_Z

  Rate(double e, double g, double m) : eps(e), gs(g), m3(m) {}
  static double eff(double a, double b) { return a * b / (a + b); }
  static double onShell(double m, double width, double t) {
    const double x = m / t;
    if (x > 600.0) return 0.0;
    const double nV = 3.0 * m * m * t * std::cyl_bessel_k(2.0, x) / (2.0 * pi * pi);
    return nV * std::cyl_bessel_k(1.0, x) / std::cyl_bessel_k(2.0, x) * width / nEq(t);
  }
  double resonant(double t) const {
    if (t >= kTc) return onShell(mX, eff(smX, chiX), t);
    return onShell(mZ, eff(smZ, chiZ), t) + onShell(mZs, eff(smZs, chiZs), t);
  }
  double operator()(double t) const {
    const double m = t >= kTc ? mX : mZs;
    return resonant(t) + cosmology::chiAnnihilationRate(contact, t) * suppression()(m / t);
  }
};

/// dY/dlnT = -(n_eq r/(s H)) (1 - Y^2/Y_eq^2) (pair production and its inverse, Y_eq of a
/// massless Majorana state at g_*s(T)), RK4 in ln T from 1e4 max(M, T_c) down to 1e-4 GeV;
/// `inverse` = false drops the inverse processes.
double boltzmann(const Rate& r, bool inverse, bool resonantOnly = false) {
  const double hiT = 1e4 * std::max({r.mX, r.mZs, kTc});
  const int n = 40000;
  const double lo = std::log(1e-4), hi = std::log(hiT), h = (hi - lo) / n;
  auto rhs = [&](double lnT, double y) {
    const double t = std::exp(lnT);
    const double yEq = 135.0 * constants::zeta3 / (4.0 * std::pow(pi, 4) * thermal::gStarS(t));
    const double rate = resonantOnly ? r.resonant(t) : r(t);
    const double source = nEq(t) * rate / (entropy(t) * hubble(t));
    return -source * (inverse ? 1.0 - y * y / (yEq * yEq) : 1.0);  // dY/dlnT
  };
  double y = 0.0;
  for (int i = 0; i < n; ++i) {
    const double x = hi - i * h;  // integrate downwards: dlnT = -h
    const double k1 = rhs(x, y);
    const double k2 = rhs(x - 0.5 * h, y - 0.5 * h * k1);
    const double k3 = rhs(x - 0.5 * h, y - 0.5 * h * k2);
    const double k4 = rhs(x - h, y - h * k3);
    y -= h * (k1 + 2.0 * k2 + 2.0 * k3 + k4) / 6.0;
  }
  return y;
}

cosmology::ChiFreezeIn kernel(double eps, double gs, double m3) {
  return cosmology::chiFreezeIn(cosmology::chiProductionPortal(kineticMixing(eps, m3), gs, m3));
}

TEST(ChiFreezeIn, WidthsOfTheZsAndXPrimeFieldByField) {
  for (double eps : {1e-8, 1e-3, 0.2}) {
    for (double m3 : {0.05, 3.0, 60.0, 100.0, 1e3, 1e5}) {
      const KineticMixing km = kineticMixing(eps, m3);
      EXPECT_REL(cosmology::zsToStandardModelWidth(km), zsToSM(eps, m3), 1e-7)
          << "eps " << eps << " M3 " << m3;
      EXPECT_REL(cosmology::xPrimeToStandardModelWidth(km, m3), xToSM(eps, m3), 1e-12);
    }
  }
  // A light Z_s is a dark photon: Gamma(-> e+e-) = (e c_W s_eps)^2 M/(12 pi) below 2 m_mu.
  const double eps = 1e-4, m3 = 0.1;
  const Neutral n = neutral(eps, m3);
  const double e = constants::g2 * kSW, m = std::sqrt(n.mZs2);
  const double r = constants::m_e * constants::m_e / (m * m);
  const double darkPhoton =
      std::pow(e * kCW * n.se, 2) * m * std::sqrt(1 - 4 * r) * (1 + 2 * r) / (12 * pi);
  EXPECT_REL(cosmology::zsToStandardModelWidth(kineticMixing(eps, m3)), darkPhoton, 1e-3);
}

TEST(ChiFreezeIn, ContinuumSuppressionAgainstQuadrature) {
  for (double a : {1e-2, 0.3, 1.0, 3.0, 10.0, 30.0}) {
    EXPECT_REL(cosmology::continuumSuppression(a), suppressionDirect(a), 1e-5) << "a = " << a;
  }
  EXPECT_REL(cosmology::continuumSuppression(1e-4), 1e-16 / 192.0, 1e-3);  // a^4 int x^2 K_1/384
  EXPECT_REL(cosmology::continuumSuppression(200.0), 1.0, 1e-12);
}

TEST(ChiFreezeIn, ThermalisationRatioIsTheMaximumOfRateOverHubble) {
  // M_3 = 1 TeV (X' above the crossover), 100 GeV (Z_s near the Z), 20 GeV and 0.5 GeV.
  const double cases[][3] = {
      {1e-8, 1.0, 1e3}, {1e-8, 0.1, 100.0}, {1e-9, 0.2, 20.0}, {1e-7, 0.5, 0.5}};
  for (const auto& c : cases) {
    const Rate r(c[0], c[1], c[2]);
    double best = 0.0;
    for (double t = 1e-4; t < 1e7; t *= 1.001) best = std::max(best, r(t) / hubble(t));
    EXPECT_REL(kernel(c[0], c[1], c[2]).thermalisationRatio, best, 2e-3)
        << "eps " << c[0] << " g_s " << c[1] << " M3 " << c[2];
  }
}

TEST(ChiFreezeIn, PeakIsWhereTheSlopeOfRateOverHubbleVanishes) {
  // The peak temperature is the root of d ln(r/H)/d ln T, which the kernel takes from analytic
  // derivatives (the tables' cubics, K_1' = -K_0 - K_1/x). Here the slope is an independent
  // finite difference of the public r(T) (chiProductionRatePerChi) over H(T) with g_*(T), both
  // paths: Richardson's fourth-order central difference in ln T with steps 1e-3 and 2e-3 (error
  // ~ 1e-12 (d^5 ln(r/H)/du^5)/30, rounding ~ 1e-16/1e-3). A peak off by d in ln T has slope
  // ~ d ln(r/H)'' (|''| of order 1 to 10 at these peaks): |slope| <= 1e-8 places it to ~1e-8,
  // which Brent's 2^-25 |ln T| (~1e-7 at these temperatures) does not.
  // Cases: the X' peak above the crossover, the Z_s peak below it, a light Z_s (quark phase).
  const double cases[][3] = {{6.5e-9, 1.0, 1e3},
                             {1e-8, 1.0, 2e3},
                             {1e-8, 0.3, 300.0},
                             {1e-9, 0.2, 20.0},
                             {1e-7, 0.5, 5.0}};
  for (bool slow : {false, true}) {
    for (const auto& c : cases) {
      const auto portal = cosmology::chiProductionPortal(kineticMixing(c[0], c[2]), c[1], c[2]);
      cosmology::ChiFreezeIn k;
      double slope;
      {
        std::optional<reference::SlowPath> scope;
        if (slow) scope.emplace();
        k = cosmology::chiFreezeIn(portal);
        auto lnRatio = [&](double u) {
          const double t = std::exp(u);
          return std::log(cosmology::chiProductionRatePerChi(portal, t) /
                          cosmology::hubbleRate(t, thermal::gStar(t)));
        };
        const double u = std::log(k.peakTemperature);
        const double h = 1e-3;
        slope =
            (8.0 * (lnRatio(u + h) - lnRatio(u - h)) - (lnRatio(u + 2 * h) - lnRatio(u - 2 * h))) /
            (12.0 * h);
      }
      const double lnPeak = std::log(k.peakTemperature);
      ASSERT_GT(std::abs(lnPeak - std::log(kTc)), 1e-2) << "a peak at the crossover: not this test";
      EXPECT_LT(std::abs(slope), 1e-8)
          << (slow ? "reference" : "fast") << " eps " << c[0] << " g_s " << c[1] << " M3 " << c[2]
          << " T_peak " << k.peakTemperature;
    }
  }
}

TEST(ChiFreezeIn, YieldAgainstTheBoltzmannEquation) {
  const double cases[][3] = {
      {1e-8, 1.0, 1e3}, {6.5e-9, 1.0, 1e3}, {1e-9, 0.2, 20.0}, {1e-10, 0.5, 0.5}};
  for (const auto& c : cases) {
    const Rate r(c[0], c[1], c[2]);
    const cosmology::ChiFreezeIn k = kernel(c[0], c[1], c[2]);
    ASSERT_LE(k.thermalisationRatio, cosmology::kFreezeInRatio);
    // Inverse processes neglected: the same integral, another variable, grid and integrator.
    EXPECT_REL(k.freezeInYield, boltzmann(r, false), 3e-3) << "M3 " << c[2];
    EXPECT_REL(k.resonantYield, boltzmann(r, false, true), 3e-3) << "M3 " << c[2];
    // With the inverse processes the frozen-in yield changes by less than the ratio (<= 0.1).
    const double full = boltzmann(r, true);
    EXPECT_LT(std::abs(k.freezeInYield / full - 1.0), k.thermalisationRatio) << "M3 " << c[2];
  }
  // On-shell decays dominate: HJMW's closed form, 135 g_V M_Pl Gamma_eff/(8 pi^3 1.66 g_*s
  // sqrt(g_*) M^2), g_V = 3, for the X' of M_3 = 1 TeV with g_* at T = M/3 (the X' part above the
  // crossover and the Z_s below have nearly the same width: 10 and 10.25 in units of g^2 M/(24
  // pi)).
  const Rate r(1e-8, 1.0, 1e3);
  const double t = r.mX / 3.0;
  const double closed = 135.0 * 3.0 * constants::M_Pl * Rate::eff(r.smX, r.chiX) /
                        (8.0 * std::pow(pi, 3) * std::sqrt(4.0 * pi * pi * pi / 45.0) *
                         thermal::gStarS(t) * std::sqrt(thermal::gStar(t)) * r.mX * r.mX);
  EXPECT_REL(kernel(1e-8, 1.0, 1e3).resonantYield, closed, 0.05);
}

class ChiRegimes : public ::testing::Test {
 protected:
  HiddenKevFermion model;
  std::vector<double> p = model.defaultParameterValues();
  std::vector<double> out = std::vector<double>(model.observables().size());
  PointStatus evaluate() { return model.evaluate(p, model.defaultBlocks(), out); }
  double get(std::string_view name) const { return out[*model.observableIndex(name)]; }
};

TEST_F(ChiRegimes, BoundariesAtRatiosOfTenthAndTen) {
  // Every rate is proportional to epsilon^2 here (Gamma(V -> SM) << Gamma(V -> chi chi)), so the
  // ratio at epsilon is R(eps_0) (eps/eps_0)^2 and the boundaries can be placed exactly.
  p[P::epsilon] = 1e-8;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double r0 = get("chi_thermalisation_ratio");
  EXPECT_REL(r0,
             Rate(1e-8, 1.0, 1e3)(kernel(1e-8, 1.0, 1e3).peakTemperature) /
                 hubble(kernel(1e-8, 1.0, 1e3).peakTemperature),
             1e-4);
  for (double target : {0.1, 10.0}) {
    for (double side : {1.0 - 1e-3, 1.0 + 1e-3}) {
      p[P::epsilon] = 1e-8 * std::sqrt(target / r0 * side);
      const PointStatus status = evaluate();
      const double ratio = get("chi_thermalisation_ratio");
      EXPECT_REL(ratio, target * side, 1e-6);
      if (ratio <= 0.1) {
        EXPECT_EQ(status, PointStatus::Ok);
        EXPECT_EQ(get("chi_regime"), 0.0);
        EXPECT_EQ(get("Y_chi"), get("Y_chi_freeze_in"));  // Y_FI per state
        EXPECT_TRUE(std::isnan(get("T_freezeout")));
        EXPECT_TRUE(std::isnan(get("freezeout_neglected")));
      } else if (ratio < 10.0) {
        EXPECT_EQ(status, PointStatus::ChiPartlyThermal);
        EXPECT_EQ(get("chi_regime"), 1.0);
        EXPECT_LT(get("Y_chi"), get("Y_chi_freeze_in"));  // Y_eq tanh(Y_FI/Y_eq) < Y_FI
        EXPECT_TRUE(std::isnan(get("T_freezeout")));
      } else {
        EXPECT_EQ(get("chi_regime"), 2.0);
        EXPECT_TRUE(std::isfinite(get("T_freezeout")));
      }
    }
  }
  EXPECT_EQ(toString(PointStatus::ChiPartlyThermal), "chi_partially_thermal");
  EXPECT_EQ(static_cast<int>(PointStatus::ChiPartlyThermal), 11);
}

TEST_F(ChiRegimes, PartlyThermalYieldAgainstTheBoltzmannEquationWithInverseProcesses) {
  // Y_eq tanh(Y_FI/Y_eq) against dY/dlnT = -S (1 - Y^2/Y_eq(T)^2) integrated above.
  for (double eps : {8e-8, 1.7e-7, 4e-7}) {
    p[P::epsilon] = eps;
    ASSERT_EQ(evaluate(), PointStatus::ChiPartlyThermal) << eps;
    const double full = boltzmann(Rate(eps, 1.0, 1e3), true);
    EXPECT_REL(get("Y_chi"), full, 0.05)
        << "eps " << eps << " ratio " << get("chi_thermalisation_ratio");
  }
}

TEST_F(ChiRegimes, FreezeOutUnchangedAtTheThermalPoint) {
  // The former default (epsilon = 0.1, v_s = 1 TeV): ratio >> 10, the chiFreezeOut path as before.
  p = test::hiddenThermalChiPoint(model);
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("chi_regime"), 2.0);
  EXPECT_GT(get("chi_thermalisation_ratio"), 1e10);
  const KineticMixing km = kineticMixing(p[P::epsilon], p[P::g_s] * p[P::v_s]);
  const cosmology::ChiPortal portal = cosmology::chiPortal(km, p[P::g_s], p[P::g_s] * p[P::v_s]);
  const double mL = get("m_chi_light"), mH = get("m_chi_heavy");
  auto g = [&](double t) {
    using thermal::Statistics;
    return thermal::gStar(t) + 2 * thermal::energyWeight(Statistics::Fermion, mL / t) +
           2 * thermal::energyWeight(Statistics::Fermion, mH / t) +
           thermal::energyWeight(Statistics::Boson, p[P::m_phi] / t);
  };
  const cosmology::ChiFreezeOut fo = cosmology::chiFreezeOut(portal, g);
  EXPECT_EQ(get("T_freezeout"), fo.temperature);
  EXPECT_EQ(get("freezeout_neglected"), fo.neglected);
  // CN Eq. 55 with g_*s(T_f): 45 zeta(3) (3/4) 2/(2 pi^4 g_*s).
  const double y =
      135.0 * constants::zeta3 / (4.0 * std::pow(pi, 4) * thermal::gStarS(fo.temperature));
  EXPECT_REL(get("Y_chi"), y, 1e-9);
  // Omega_thermal = Y s_0 (m_L + m_H)/rho_c (both states stable; CN Eq. 56).
  const double omega = y * constants::s0_perCm3 * (mL + mH) /
                       (constants::rhoCritOverH2_GeVPerCm3 * constants::h * constants::h);
  EXPECT_REL(get("Omega_chi_thermal"), omega, 1e-6);
  // The thermal WDM mapping m (N/f)^(1/4), N = 2.
  EXPECT_REL(get("m_wdm_equivalent"), mL * std::pow(2.0 / get("Omega_chi_over_DM"), 0.25), 1e-12);
}

TEST_F(ChiRegimes, FrozenInDarkMatterNeffAndWarmMapping) {
  // The default point: chi frozen in at T ~ 300 GeV, both states stable; phi^0 decays later
  // (T_reheat = 16 MeV) and dilutes it by D.
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  ASSERT_EQ(get("chi_regime"), 0.0);
  const double y = get("Y_chi_freeze_in");
  const double d = get("dilution");
  ASSERT_GT(d, 1.0);
  const double m = get("m_chi_light");
  // Omega = 2 Y m s_0/rho_c (+ the decay-produced chi, f_hot).
  const double omega = 2.0 * y * constants::s0_perCm3 * m /
                       (constants::rhoCritOverH2_GeVPerCm3 * constants::h * constants::h) / d;
  EXPECT_REL(get("Omega_chi"), omega / (1.0 - get("f_hot_chi")), 2e-3);
  // Free-streaming: <p> = 2.5 T_* with T_* = T_0 (g_*s0/g_*s(T_p))^(1/3); the thermal relic
  // (3.151 T_x, n = 3 zeta(3) T_x^3/(2 pi^2) with m_th n = rho_DM) with the same <p>/m today:
  //   m_th^(4/3) = (3.151/2.5) (m/T_*) (2 pi^2 rho_DM/(3 zeta(3)))^(1/3).
  const cosmology::ChiFreezeIn k = kernel(p[P::epsilon], p[P::g_s], p[P::g_s] * p[P::v_s]);
  const double tp = k.peakTemperature;
  // T_0 from s_0 = (2 pi^2/45) g_*s0 T_0^3 (cm^-3 to GeV^3 with hbar c = 1.97327e-14 GeV cm).
  const double hbarc = 1.97326980e-14;
  const double gs0 = thermal::gStarS(thermal::kMinTemperature);
  const double s0 = constants::s0_perCm3 * std::pow(hbarc, 3);
  const double t0 = std::cbrt(s0 * 45.0 / (2.0 * pi * pi * gs0));
  const double tStar = t0 * std::cbrt(gs0 / thermal::gStarS(tp) / d);
  const double rhoDM =
      constants::OmegaCh2 * constants::rhoCritOverH2_GeVPerCm3 * std::pow(hbarc, 3);
  const double mth = std::pow(
      3.15137 / 2.5 * m / tStar * std::cbrt(2.0 * pi * pi * rhoDM / (3.0 * constants::zeta3)),
      0.75);
  EXPECT_REL(get("m_wdm_equivalent"), mth, 3e-3);
  // N_eff at BBN: the 2 states (n = 2 Y s/D, <p> = 2.5 T_*) against one neutrino species
  // (n_nu/s = 135 zeta(3)/(4 pi^4 g_dec) fixed at its decoupling, <p> = 3.151 T_nu), with
  // T_*/T_nu = (g_dec/(g_*s(T_p) D))^(1/3), g_dec = g_*s at neutrino decoupling (2 MeV).
  const double gDec = thermal::gStarS(thermal::kNeutrinoDecouplingTemperature);
  const double yNu = 135.0 * constants::zeta3 / (4.0 * std::pow(pi, 4) * gDec);
  const double ratio =
      2.0 * y / d / yNu * 2.5 / 3.15137 * std::cbrt(gDec / (thermal::gStarS(tp) * d));
  // 1%: the kernel takes g_dec = 11 g_*s(today)/4 (as for the thermal relic), 0.6% above
  // g_*s(2 MeV) of the tables.
  EXPECT_REL(get("Delta_N_eff_BBN") - get("Delta_N_eff_decay"), ratio, 1e-2);
}

}  // namespace
}  // namespace portalscan::physics
