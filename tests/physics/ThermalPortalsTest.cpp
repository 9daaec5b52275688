// Errata E7 (chi freeze-out through Z and Z_s) and E11 (phi^0 thermal or frozen
// in). Each expectation is computed here independently of the kernels: the
// chi-f amplitude from an explicit diagonalisation of the (Z_SM, X') mass matrix
// with the couplings of CN Eqs. 45-46, the thermal averages and the freeze-in
// yield by direct quadrature of their defining integrals.

#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/ScalarFreezeIn.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include "common/HiddenThermalPoint.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <numbers>

namespace portalscan::physics {
namespace {

using std::numbers::pi;
using thermal::Statistics;
using P = HiddenKevFermion::Parameter;

const double kSW2 = constants::sin2ThetaW_onShell;
const double kSW = std::sqrt(kSW2);
const double kCW = std::sqrt(1.0 - kSW2);

/// Tree-level chi-f amplitude at q^2 = 0 summed over the two massive neutral bosons:
/// sum_i g_chi(i) g_f(i) / M_i^2, from the eigenvectors of the (Z_SM, X') mass matrix
/// (CN Eq. 38 basis, Eq. 36 kinetic mixing) and the chiral couplings of CN Eqs. 45-46
/// written in (Z_SM, X'): Z_SM: (g2/c_W)(T3 - s_W^2 Q); X': -(g2 s_W/c_W) s_eps Y; chi: g_s c_eps.
struct Exchange {
  double total = 0.0;  // Z + Z_s
  double zOnly = 0.0;  // the state continuous with the SM Z alone
  double mLight2 = 0.0, mHeavy2 = 0.0;
};
Exchange exchange(double eps, double m3, double gs, double t3, double q) {
  const double se = eps / std::sqrt(1.0 - eps * eps);
  const double ce = 1.0 / std::sqrt(1.0 - eps * eps);
  const double m02 = constants::M_W * constants::M_W / (kCW * kCW);
  const double a = m02, b = m02 * kSW * se, d = m02 * kSW2 * se * se + ce * ce * m3 * m3;
  // Eigenpairs of [[a, b], [b, d]] by the half-angle formulas.
  const double theta = 0.5 * std::atan2(2.0 * b, a - d);
  const double c = std::cos(theta), s = std::sin(theta);
  const double l1 = a * c * c + 2.0 * b * s * c + d * s * s;  // eigenvector (c, s)
  const double l2 = a * s * s - 2.0 * b * s * c + d * c * c;  // eigenvector (-s, c)
  const double y = q - t3;
  const double gZ = constants::g2 / kCW * (t3 - kSW2 * q);
  const double gX = -constants::g2 * kSW / kCW * se * y;
  const double gChi = gs * ce;
  const double a1 = gChi * s * (gZ * c + gX * s) / l1;
  const double a2 = gChi * c * (-gZ * s + gX * c) / l2;
  Exchange e;
  e.total = a1 + a2;
  // The Z is the state with the larger Z_SM component.
  e.zOnly = std::abs(c) > std::abs(s) ? a1 : a2;
  e.mLight2 = std::min(l1, l2);
  e.mHeavy2 = std::max(l1, l2);
  return e;
}

TEST(ChiPortal, ZPlusZsExchangeCouplesToTheElectricChargeOnly) {
  // Electron L (T3 = -1/2, Q = -1), electron R (0, -1), up L and R, neutrino (1/2, 0).
  struct Field {
    double t3, q;
  };
  const Field fields[] = {
      {-0.5, -1.0}, {0.0, -1.0}, {0.5, 2.0 / 3.0}, {0.0, 2.0 / 3.0}, {0.5, 0.0}};
  for (double eps : {0.1, 0.01, 0.3}) {
    for (double m3 : {10.0, 300.0, 1e3, 1e5}) {  // M_3 << M_Z up to M_3 >> M_Z
      const double gs = 0.7;
      const KineticMixing km = kineticMixing(eps, m3);
      const cosmology::ChiPortal portal = cosmology::chiPortal(km, gs, m3);
      for (const Field& f : fields) {
        const Exchange e = exchange(eps, m3, gs, f.t3, f.q);
        // Sign convention of the amplitude aside, |sum| = G_Q |Q|, for both chiralities.
        // (The 2x2 half-angle solution cancels 1/M_Z^2 against 1/M_Z^2 to leave 1/M_3^2:
        // rounding limits it to about 1e-16 M_3^2/M_Z^2.)
        EXPECT_NEAR(std::abs(e.total), portal.gQ * std::abs(f.q), 1e-7 * portal.gQ)
            << "eps " << eps << " M3 " << m3 << " T3 " << f.t3 << " Q " << f.q;
      }
      // The referee's form e c_W epsilon Q/M_3^2 (times g_s), with e = g2 s_W.
      EXPECT_REL(portal.gQ, gs * constants::g2 * kSW * kCW * eps / (m3 * m3), 1e-12);
      // Z exchange alone is not it: for the electron it is off by O(1).
      const Exchange eL = exchange(eps, m3, gs, -0.5, -1.0);
      EXPECT_GT(std::abs(eL.zOnly / eL.total - 1.0), 0.1) << "M3 " << m3;
    }
  }
  // M_3 << M_Z: the light state is a dark photon of mass c_eps M_3 coupling to e c_W s_eps Q
  // and to chi with g_s c_eps, up to O(M_3^2/M_Z^2) = 5e-4.
  const double eps = 0.05, m3 = 2.0, gs = 1.0;
  const Exchange e = exchange(eps, m3, gs, 0.0, -1.0);
  const double ce = 1.0 / std::sqrt(1.0 - eps * eps), se = eps * ce;
  EXPECT_REL(e.mLight2, ce * ce * m3 * m3, 2e-3);
  EXPECT_REL(std::abs(e.total), gs * ce * constants::g2 * kSW * kCW * se / e.mLight2, 2e-3);
}

/// F(r) by Simpson's rule on [2r, 2r + 80] (K_1 ~ e^-x makes the rest negligible).
double threshold(bool fermion, double r) {
  const int n = 20000;
  const double lo = 2.0 * r, hi = 2.0 * r + 80.0, h = (hi - lo) / n;
  double sum = 0.0;
  for (int i = 0; i <= n; ++i) {
    const double x = lo + i * h;
    double f = 0.0;
    if (x > 0.0) {
      const double q = 4.0 * r * r / (x * x);
      const double beta = std::sqrt(std::max(0.0, 1.0 - q));
      const double w = fermion ? beta * (1.0 + 0.5 * q) : beta * beta * beta;
      f = std::pow(x, 6) * w * std::cyl_bessel_k(1.0, x);
    }
    sum += (i == 0 || i == n ? 1.0 : (i % 2 ? 4.0 : 2.0)) * f;
  }
  return sum * h / 3.0 / 384.0;
}

TEST(ChiFreezeOut, ThresholdFactorsAgainstDirectQuadrature) {
  EXPECT_REL(threshold(true, 0.0), 1.0, 1e-6);  // int x^6 K_1 = 384
  for (double r : {0.01, 0.3, 1.0, 2.5, 7.0, 15.0}) {
    EXPECT_REL(cosmology::contactThreshold(Statistics::Fermion, r), threshold(true, r), 1e-4)
        << "r = " << r;
    EXPECT_REL(cosmology::contactThreshold(Statistics::Boson, r), threshold(false, r), 1e-4)
        << "r = " << r;
  }
  EXPECT_EQ(cosmology::contactThreshold(Statistics::Fermion, 0.0), 1.0);
}

/// The annihilation rate per chi rebuilt here: CN's n times <sigma v> = 2 N_c Q^2 G^2 T^2/pi F
/// per Dirac fermion (a quarter for a charged scalar), or 10.25 G_Y^2 T^2/pi above the crossover.
double rate(const cosmology::ChiPortal& p, double t) {
  const double n = 3.0 * constants::zeta3 * t * t * t / (2.0 * pi * pi);
  if (t >= 159.5) {
    // Hypercharges squared per generation: Q_L 6 x 1/36, u_R 3 x 4/9, d_R 3 x 1/9, L 2 x 1/4,
    // e_R 1; each Weyl field gives T^2/pi, each complex scalar (Higgs: 2, Y^2 = 1/4) T^2/(2 pi).
    const double weyl = 3.0 * (6.0 / 36.0 + 12.0 / 9.0 + 3.0 / 9.0 + 2.0 / 4.0 + 1.0);
    return n * p.gY * p.gY * t * t * (weyl + 2.0 * 0.25 * 0.5) / pi;
  }
  double sum = 0.0;
  for (double m : {constants::m_e, constants::m_mu, constants::m_tau})
    sum += threshold(true, m / t);
  if (t > 0.150) {
    for (double m : {constants::m_u, constants::m_c, constants::m_t})
      sum += 3.0 * 4.0 / 9.0 * threshold(true, m / t);
    for (double m : {constants::m_d, constants::m_s, constants::m_b})
      sum += 3.0 / 9.0 * threshold(true, m / t);
  } else {
    sum += 0.25 * threshold(false, constants::m_pi_charged / t);
  }
  return n * 2.0 * p.gQ * p.gQ * t * t * sum / pi;
}

TEST(ChiFreezeOut, RateAndFreezeOutTemperatureFromTheCrossSections) {
  const KineticMixing km = kineticMixing(0.1, 1e3);
  const cosmology::ChiPortal portal = cosmology::chiPortal(km, 1.0, 1e3);
  for (double t : {0.004, 0.08, 0.3, 2.0, 40.0, 500.0}) {
    EXPECT_REL(cosmology::chiAnnihilationRate(portal, t), rate(portal, t), 2e-4) << "T = " << t;
  }
  auto g = [](double t) { return thermal::gStar(t); };
  const cosmology::ChiFreezeOut fo = cosmology::chiFreezeOut(portal, g);
  const double tf = fo.temperature;
  const double hubble =
      std::sqrt(8.0 * pi * pi * pi * thermal::gStar(tf) / 90.0) * tf * tf / constants::M_Pl;
  EXPECT_REL(rate(portal, tf), hubble, 1e-3);
  // Deep in the contact regime: only the off-shell term, 96 T^2/M^2 of the lighter boson.
  EXPECT_REL(fo.neglected, 96.0 * tf * tf / km.MZ2, 1e-6);
  EXPECT_LT(fo.neglected, cosmology::kFreezeOutValidity);
  // Compared with CN Eq. 51's A^2 G_F^2 T^2 the rate is larger: T_f is lower.
  const double aChi = std::abs(km.eta) / constants::g2;
  EXPECT_LT(tf, cosmology::freezeOutTemperature(aChi, g));
}

TEST(ChiFreezeOut, SymmetricPhaseAboveTheCrossover) {
  // M_3 = 1e7 GeV, eps = 0.1: freeze-out far above the crossover, far below M_X'.
  const double m3 = 1e7;
  const KineticMixing km = kineticMixing(0.1, m3);
  const cosmology::ChiPortal portal = cosmology::chiPortal(km, 1.0, m3);
  EXPECT_REL(portal.gY, portal.gQ / (kCW * kCW), 1e-12);  // g' = e/c_W
  auto g = [](double t) { return thermal::gStar(t); };
  const cosmology::ChiFreezeOut fo = cosmology::chiFreezeOut(portal, g);
  ASSERT_GT(fo.temperature, 2.0 * cosmology::kElectroweakCrossover);
  // Gamma ~ T^5 against H ~ T^2 sqrt(g_*): T_f^3 = H/(T^2 ...) solved by hand.
  const double gs = thermal::gStar(fo.temperature);
  const double c = 3.0 * constants::zeta3 / (2.0 * pi * pi) * portal.gY * portal.gY * 10.25 / pi;
  const double expected =
      std::cbrt(std::sqrt(8.0 * pi * pi * pi * gs / 90.0) / (constants::M_Pl * c));
  EXPECT_REL(fo.temperature, expected, 1e-6);
  EXPECT_LT(fo.neglected, cosmology::kFreezeOutValidity);
}

TEST(ChiFreezeOut, InverseDecaysOfALightZsFlagThePoint) {
  // M_3 = 20 GeV: the Z_s (20 GeV) decays to chi chi with g_s ~ 1; near T_f the inverse decays
  // chi chi -> Z_s, here rebuilt from n_V <m/E> Gamma / n_chi, dominate the contact rate.
  const double m3 = 20.0, eps = 1e-6;
  const KineticMixing km = kineticMixing(eps, m3);
  const cosmology::ChiPortal portal = cosmology::chiPortal(km, 1.0, m3);
  auto g = [](double t) { return thermal::gStar(t); };
  const cosmology::ChiFreezeOut fo = cosmology::chiFreezeOut(portal, g);
  const double t = fo.temperature;
  const double mzs = std::sqrt(km.MZs2);
  const double nV = 3.0 * mzs * mzs * t * std::cyl_bessel_k(2.0, mzs / t) / (2.0 * pi * pi);
  const double width = km.cEpsilon * km.cEpsilon * km.cosEta * km.cosEta * mzs / (12.0 * pi);
  const double perChi = nV * std::cyl_bessel_k(1.0, mzs / t) / std::cyl_bessel_k(2.0, mzs / t) *
                        width / (3.0 * constants::zeta3 * t * t * t / (2.0 * pi * pi));
  const double expected = 96.0 * t * t / km.MZs2 + perChi / rate(portal, t);
  EXPECT_REL(fo.neglected, expected, 1e-3);
  EXPECT_GT(fo.neglected, cosmology::kFreezeOutValidity);
}

// --- phi^0 through the quartic portal (E11) ---

double gammaHPhiPhi(double kappa, double mphi) {
  const double r = 4.0 * mphi * mphi / (constants::M_H * constants::M_H);
  return kappa * kappa * constants::v * constants::v / (32.0 * pi * constants::M_H) *
         std::sqrt(1.0 - r);
}

double hubble(double t) {
  return std::sqrt(8.0 * pi * pi * pi * thermal::gStar(t) / 90.0) * t * t / constants::M_Pl;
}

/// dn_phi/dt from h -> phi phi (two per decay, Boltzmann Higgs, <m/E> = K_1/K_2) and from
/// H H^dag -> phi phi (rate density per pair kappa^2 T^4/(16 pi) x 1/(16 pi^4), both complex
/// components, two phi per reaction) above the crossover.
double production(double kappa, double mphi, double t) {
  if (t < 159.5) {
    const double mh = constants::M_H;
    const double nH = mh * mh * t * std::cyl_bessel_k(2.0, mh / t) / (2.0 * pi * pi);
    return 2.0 * gammaHPhiPhi(kappa, mphi) * nH * std::cyl_bessel_k(1.0, mh / t) /
           std::cyl_bessel_k(2.0, mh / t);
  }
  return 2.0 * 2.0 * kappa * kappa / (16.0 * pi) * std::pow(t * t / (4.0 * pi * pi), 2);
}

TEST(ScalarFreezeIn, YieldAgainstTheBoltzmannEquation) {
  const double kappa = 2e-9, mphi = 2.0;
  // dY/dT = -P/(s H T) from 1e8 GeV down to 1 GeV, trapezoid in x = M_H/T (a different
  // variable and grid from the kernel's).
  const int n = 200000;
  const double x0 = constants::M_H / 1e8, x1 = constants::M_H / 1.0;
  double y = 0.0, yDecay = 0.0;
  const double lx0 = std::log(x0), h = (std::log(x1) - lx0) / n;
  for (int i = 0; i <= n; ++i) {
    const double x = std::exp(lx0 + i * h);
    const double t = constants::M_H / x;
    const double s = 2.0 * pi * pi / 45.0 * thermal::gStarS(t) * t * t * t;
    // dT/T = -dx/x = -d ln x
    const double dy =
        production(kappa, mphi, t) / (s * hubble(t)) * h * (i == 0 || i == n ? 0.5 : 1.0);
    y += dy;
    if (t < 159.5) yDecay += dy;
  }
  const cosmology::ScalarPortalYield r = cosmology::scalarPortalYield(kappa, mphi);
  EXPECT_REL(r.freezeInYield, y, 3e-3);
  EXPECT_REL(r.decayFreezeInYield, yDecay, 3e-3);
  // HJMW's closed form (x2 for two phi per decay) with g_* at the peak of x^3 K_1 (x ~ 2.5)
  // and the part of int x^3 K_1 dx = 3 pi/2 above the crossover removed: the prefactor
  // 135/(8 pi^3 1.66) checked to the 1% level of the g_* variation (0.94%).
  const double tp = constants::M_H / 2.5;
  const double closed =
      2.0 * 135.0 * gammaHPhiPhi(kappa, mphi) * constants::M_Pl /
      (8.0 * std::pow(pi, 3) * std::sqrt(4.0 * pi * pi * pi / 45.0) * thermal::gStarS(tp) *
       std::sqrt(thermal::gStar(tp)) * constants::M_H * constants::M_H);
  EXPECT_REL(r.decayFreezeInYield, closed, 0.02);
  // Scattering through the quartic above the crossover is a 0.2% correction.
  EXPECT_LT((y - yDecay) / y, 5e-3);
}

TEST(ScalarFreezeIn, ThermalisationRatioIsTheMaximumOfRateOverHubble) {
  for (double kappa : {1e-9, 3e-8, 1e-6}) {
    double best = 0.0;
    for (double t = 2.0; t < 1e4; t *= 1.0005) {
      const double neq = constants::zeta3 * t * t * t / (pi * pi);
      best = std::max(best, production(kappa, 2.0, t) / (neq * hubble(t)));
    }
    EXPECT_REL(cosmology::scalarPortalYield(kappa, 2.0).thermalisationRatio, best, 1e-4)
        << "kappa " << kappa;
  }
}

class HiddenKevFermionPortals : public ::testing::Test {
 protected:
  HiddenKevFermion model;
  std::vector<double> p = test::hiddenThermalChiPoint(model);
  std::vector<double> out = std::vector<double>(model.observables().size());
  PointStatus evaluate() { return model.evaluate(p, model.defaultBlocks(), out); }
  double get(std::string_view name) const { return out[*model.observableIndex(name)]; }
};

TEST_F(HiddenKevFermionPortals, RegimesOfPhiAndTheirStatuses) {
  p[P::kappa] = 2e-9;  // ratio ~ 2e-3: frozen in
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("phi_regime"), 0.0);
  EXPECT_TRUE(std::isnan(get("T_dec_phi")));
  EXPECT_REL(get("Y_phi"), get("Y_phi_freeze_in"), 1e-4);
  EXPECT_LT(get("thermalisation_ratio"), cosmology::kFreezeInRatio);

  p[P::kappa] = 5e-8;  // ratio ~ 1.5: neither
  EXPECT_EQ(evaluate(), PointStatus::PhiPartlyThermal);
  EXPECT_EQ(get("phi_regime"), 1.0);
  EXPECT_LT(get("Y_phi"), get("Y_phi_freeze_in"));
  EXPECT_TRUE(std::isfinite(get("BR_h_inv")));  // later blocks are still computed

  p[P::kappa] = 1e-5;  // thermal
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("phi_regime"), 2.0);
  const double tdec = get("T_dec_phi");
  EXPECT_LT(tdec, constants::M_H);
  EXPECT_REL(get("Y_phi"),
             45.0 * constants::zeta3 *
                 thermal::numberWeight(Statistics::Boson, p[P::m_phi] / tdec) /
                 (2.0 * std::pow(pi, 4) * thermal::gStarS(tdec)),
             1e-6);
}

TEST_F(HiddenKevFermionPortals, PartlyThermalYieldAgainstTheBoltzmannEquationWithInverseProcesses) {
  // dY/d ln x = C(x) (1 - Y^2/Y_eq(x)^2) for pair production and its inverse, with the SM
  // g_*(T), g_*s(T) and Y_eq = 45 zeta(3)/(2 pi^4 g_*s(T)) (massless phi^0), integrated by
  // midpoint steps from the crossover to 2 GeV; the kernel's Y_eq(T_ref) tanh(Y_FI/Y_eq(T_ref))
  // is its closed form at constant g_*s.
  for (double kappa : {2e-8, 4e-8, 8e-8}) {
    p[P::kappa] = kappa;
    evaluate();
    const int n = 200000;
    const double lx0 = std::log(constants::M_H / 159.5), h = (std::log(60.0) - lx0) / n;
    double y = 0.0;
    for (int i = 0; i < n; ++i) {
      const double t = constants::M_H / std::exp(lx0 + (i + 0.5) * h);
      const double s = 2.0 * pi * pi / 45.0 * thermal::gStarS(t) * t * t * t;
      const double yEq = 45.0 * constants::zeta3 / (2.0 * std::pow(pi, 4) * thermal::gStarS(t));
      y += h * production(kappa, p[P::m_phi], t) / (s * hubble(t)) * (1.0 - y * y / (yEq * yEq));
    }
    // (H H^dag -> phi phi above the crossover, 0.2% of the yield, is left out of this check.)
    EXPECT_REL(get("Y_phi"), y, 0.03)
        << "kappa " << kappa << " ratio " << get("thermalisation_ratio");
  }
}

TEST_F(HiddenKevFermionPortals, YPhiIsContinuousAtTheThermalBoundary) {
  // Just below and above thermalisation_ratio = 10.
  const double kappaAt10 =
      std::sqrt(10.0 / cosmology::scalarPortalYield(1.0, p[P::m_phi]).thermalisationRatio);
  p[P::kappa] = kappaAt10 * (1.0 - 1e-6);
  evaluate();
  const double below = get("Y_phi");
  EXPECT_EQ(get("phi_regime"), 1.0);
  p[P::kappa] = kappaAt10 * (1.0 + 1e-6);
  evaluate();
  EXPECT_EQ(get("phi_regime"), 2.0);
  EXPECT_REL(get("Y_phi"), below, 1e-4);
}

TEST_F(HiddenKevFermionPortals, FreezeOutBetweenMzAndTheCrossoverIsFlagged) {
  p[P::v_s] = 3e4;  // M_3 = 30 TeV: T_f of order 10 GeV, where Z exchange is not a contact term
  EXPECT_EQ(evaluate(), PointStatus::FreezeOutInvalid);
  EXPECT_GT(get("T_freezeout"), constants::M_Z / 14.0);
  EXPECT_LT(get("T_freezeout"), cosmology::kElectroweakCrossover);
  EXPECT_GT(get("freezeout_neglected"), cosmology::kFreezeOutValidity);
  EXPECT_TRUE(std::isfinite(get("Omega_chi")));  // still computed, flagged
}

}  // namespace
}  // namespace portalscan::physics
