// Coherent scattering into a massive fermion (CN Sec. IV.C). Expected values:
// the numbers of CN Sec. IV.C (Eqs. 22-28 and the text) recomputed, explicit four-vector
// kinematics, Freedman's total cross section, Lewin & Smith's Helm parameters, and integrations
// independent of the code's quadrature.

#include "portalscan/physics/Cevns.hpp"
#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/Simpson.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace portalscan::physics {
namespace {

using namespace cevns;
using units::keV;
using units::MeV;

const Nucleus kA100 = withMassNumber(44, 56);  // M = 100 u: CN's "A = 100" below Eq. 28

using test::simpson;

TEST(CevnsKinematics, TheNumbersBelowEq28) {
  // CN below Eq. 28: E_min ~ 7 sqrt(A/100) MeV at T = 1 keV and T_+ ~ 20 eV at
  // E = 1 MeV for A = 100. Eq. 28 exactly, M = 100 u = 93.149 GeV:
  // E_min = M T/(sqrt(2 M T + T^2) - T) = 6.83 MeV; T_+ = 2 E^2/(M + 2 E) = 21.5 eV.
  EXPECT_NEAR(minimumEnergy(1.0 * keV, kA100.mass, 0.0) / MeV, 6.83, 0.005);
  const auto range = recoilRange(1.0 * MeV, kA100.mass, 0.0);
  ASSERT_TRUE(range);
  EXPECT_NEAR(range->upper / units::eV, 21.5, 0.05);
  EXPECT_EQ(range->lower, 0.0);
  // SNS: T_+ at m_mu/2 is 45.0 keV (Cs) and 47.2 keV (I); the 29.79 MeV line
  // ends at 14.3 keV (Cs) and 15.0 keV (I): T_+ = 2 E^2/(M + 2 E) (Eq. 23 at
  // m = 0) with M = A u; the nuclear masses here are 0.07% lighter.
  const double top = sources::muonDecayMaxEnergy(), line = sources::pionLineEnergy();
  EXPECT_NEAR(recoilRange(top, caesium133().mass, 0.0)->upper / keV, 45.0, 0.1);
  EXPECT_NEAR(recoilRange(top, iodine127().mass, 0.0)->upper / keV, 47.2, 0.1);
  EXPECT_NEAR(recoilRange(line, caesium133().mass, 0.0)->upper / keV, 14.3, 0.05);
  EXPECT_NEAR(recoilRange(line, iodine127().mass, 0.0)->upper / keV, 15.0, 0.05);
  // Reactor: T_+ from 1.0 keV (8 MeV on A = 133) to 2.9 keV (10 MeV on A = 73).
  EXPECT_NEAR(recoilRange(8.0 * MeV, withMassNumber(55, 78).mass, 0.0)->upper / keV, 1.0, 0.05);
  EXPECT_NEAR(recoilRange(10.0 * MeV, withMassNumber(32, 41).mass, 0.0)->upper / keV, 2.9, 0.05);
}

TEST(CevnsKinematics, RecoilLimitsAreTheForwardScatter) {
  // T_+- of Eq. 23 put back into Eq. 22 give cos theta = 1.
  for (double e : {1.0 * MeV, 10.0 * MeV, 30.0 * MeV}) {
    for (double m : {0.0, 10.0 * keV, 100.0 * keV, 0.5 * MeV}) {
      for (const Nucleus& n : {kA100, caesium133(), withMassNumber(10, 10)}) {
        const auto range = recoilRange(e, n.mass, m);
        ASSERT_TRUE(range);
        EXPECT_NEAR(cosTheta(e, range->upper, n.mass, m), 1.0, 1e-9);
        if (m > 0.0) {
          EXPECT_NEAR(cosTheta(e, range->lower, n.mass, m), 1.0, 1e-6);
        }
        // Eq. 28 inverts T_+.
        EXPECT_NEAR(minimumEnergy(range->upper, n.mass, m), e, 1e-9 * e);
      }
    }
  }
  // Below threshold no recoil is possible.
  EXPECT_FALSE(recoilRange(0.9 * MeV, kA100.mass, 1.0 * MeV));
}

/// Minkowski product, metric (+, -, -, -).
double dot(const std::array<double, 4>& a, const std::array<double, 4>& b) {
  return a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3];
}

TEST(CevnsCrossSection, Eq25BracketIsTheVectorCurrentMatrixElement) {
  // Explicit four-vectors: k = (E, 0, 0, E), p = (M, 0); the nucleus recoils
  // with kinetic energy T at the angle theta of Eq. 22 (CN Fig. 3c),
  // p' = (M + T, |p'| sin theta, 0, |p'| cos theta), and k' = k + p - p'.
  // The spin-summed vector-current matrix element (k'.p')(k.p) + (k'.p)(k.p')
  // - M^2 (k.k'), over 2 M^2 E^2, is the bracket of Eq. 25;
  // k'^2 = m^2 checks the kinematics.
  const Nucleus n = caesium133();
  const double big = n.mass;
  for (double e : {5.0 * MeV, 30.0 * MeV}) {
    for (double m : {0.0, 100.0 * keV, 2.0 * MeV}) {
      const auto range = recoilRange(e, big, m);
      for (double f : {0.1, 0.5, 0.9}) {
        const double t = range->lower + f * (range->upper - range->lower);
        const double c = cosTheta(e, t, big, m);
        ASSERT_LE(c, 1.0);
        const double pr = std::sqrt(t * t + 2 * big * t);
        const std::array<double, 4> k{e, 0, 0, e}, p{big, 0, 0, 0};
        const std::array<double, 4> pOut{big + t, pr * std::sqrt(1 - c * c), 0, pr * c};
        const std::array<double, 4> kOut{e - t, -pOut[1], 0, e - pOut[3]};
        EXPECT_NEAR(dot(kOut, kOut), m * m, 1e-9 * e * e);
        const double element =
            dot(kOut, pOut) * dot(k, p) + dot(kOut, p) * dot(k, pOut) - big * big * dot(k, kOut);
        const double qw = weakCharge(n);
        const double pref =
            constants::G_F * constants::G_F * qw * qw * big / (4 * std::numbers::pi);
        EXPECT_NEAR(zCrossSectionPointlike(e, t, n, m) / pref, element / (2 * big * big * e * e),
                    1e-6);
      }
    }
  }
}

TEST(CevnsCrossSection, StandardModelLimit) {
  // At m = 0 the total point-like cross section is Freedman's
  // G_F^2 Q_W^2 E^2/(4 pi) (1 - E/M + ...): integrate Eq. 25 over [0, T_+].
  const Nucleus n = caesium133();
  const double e = 10.0 * MeV;
  const double tMax = recoilRange(e, n.mass, 0.0)->upper;
  const double total =
      simpson([&](double t) { return zCrossSectionPointlike(e, t, n, 0.0); }, 0.0, tMax, 2000);
  const double qw = weakCharge(n);
  const double freedman =
      constants::G_F * constants::G_F * qw * qw * e * e / (4 * std::numbers::pi);
  EXPECT_NEAR(total / freedman, 1.0, 2.0 * e / n.mass);
  // And the mass term vanishes at m = 0.
  EXPECT_EQ(zCrossSectionMassTerm(e, 0.5 * tMax, n, 0.0), 0.0);
}

TEST(CevnsNucleus, WeakChargesAndHelmFormFactor) {
  // Q_W = N - Z (1 - 4 x 0.23857): Cs 78 - 55 x 0.04572, I 74 - 53 x 0.04572.
  EXPECT_NEAR(weakCharge(caesium133()), 75.4854, 1e-4);
  EXPECT_NEAR(weakCharge(iodine127()), 71.57684, 1e-4);
  // Lewin & Smith: c = 1.23 A^(1/3) - 0.60 = 5.6785 fm for A = 133,
  // r_n^2 = c^2 + (7/3) pi^2 0.52^2 - 5 x 0.81 = 34.42 fm^2.
  EXPECT_NEAR(helmRadiusFm(133), 5.8670, 2e-4);
  const Nucleus cs = caesium133();
  EXPECT_NEAR(helmFormFactor(cs, 1e-12 * keV), 1.0, 1e-9);
  // The first zero of j_1(x)/x is at x = 4.4934: q = 4.4934/r_n.
  const double q = 4.4934094579 / helmRadiusFm(133) * units::hbarCInGeVFm;
  const double t = (std::sqrt(cs.mass * cs.mass + q * q) - cs.mass);  // 2 M T + T^2 = q^2
  EXPECT_NEAR(helmFormFactor(cs, t), 0.0, 1e-8);
  // Small q: F ~ 1 - q^2 (r_n^2/10 + s^2/2).
  const double q2 = std::pow(0.001 / units::hbarCInGeVFm, 2);  // q = 1 MeV, in fm^-2
  const double ts = std::sqrt(cs.mass * cs.mass + 1e-6) - cs.mass;
  EXPECT_NEAR(helmFormFactor(cs, ts), 1.0 - q2 * (34.42 / 10 + 0.81 / 2), 1e-6);
}

TEST(CevnsScalar, Eq34CoefficientAndPchi) {
  // CN Eq. 34 with eta = 0.3 and Q_W -> N: for A = N = 100 (a nucleus without
  // protons has Q_W = N exactly), g_HNN = eta M/v = 0.3 x 93.149/246.2196 =
  // 0.11350, and g^2/(M_H^4 G_F^2 N^2) = 0.012882/(125.2^4 x (1.1663788e-5)^2
  // x 1e4) = 3.85e-5: the coefficient is 3.85e-5 (A/N)^2, not the paper's
  // 7e-5 (which needs eta = 0.40: x (0.40/0.3)^2 = 6.85e-5).
  const Nucleus neutrons = withMassNumber(0, 100);
  const ScalarPortal unit{1.0, 0.0, 1000.0, 1.0};
  EXPECT_NEAR(pChi(unit), 1.0, 1e-15);
  EXPECT_NEAR(uH2(neutrons, unit) / 1e-5, 3.85, 0.05);
  const double withEta040 = uH2(neutrons, unit) * std::pow(0.40 / kHiggsNucleonEta, 2);
  EXPECT_NEAR(withEta040 / 1e-5, 6.8, 0.3);
  // CsI with P = 1: |U_H|^2 ~ 1.2e-4 y^2 ((A/Q_W)^2 = 3.10 for Cs, 3.15 for I).
  EXPECT_NEAR(uH2(caesium133(), unit) / 1e-4, 1.2, 0.05);
  EXPECT_NEAR(uH2(iodine127(), unit) / 1e-4, 1.2, 0.05);
  // P_chi (Eq. 35) at v_s = 1 TeV: m_phi = 1 GeV, s_alpha = 1e-4 -> 1.39,
  // 1e-3 -> 4.86; m_phi = 2 GeV: 1.10, 1.96.
  EXPECT_NEAR(pChi({1.0, 1e-4, 1000.0, 1.0}), 1.39, 0.005);
  EXPECT_NEAR(pChi({1.0, 1e-3, 1000.0, 1.0}), 4.86, 0.005);
  EXPECT_NEAR(pChi({1.0, 1e-4, 1000.0, 2.0}), 1.10, 0.005);
  EXPECT_NEAR(pChi({1.0, 1e-3, 1000.0, 2.0}), 1.96, 0.005);
}

TEST(CevnsScalar, Eq26IsUH2TimesTheUnitRate) {
  // Eq. 26's mixing factor c^2 (1/M_H^2 + v t/(v_s m_phi^2))^2 = P_chi^2/M_H^4,
  // so Eq. 26 = |U_H|^2 (Eq. 34) x the unit-normalised scalar cross section.
  const Nucleus n = iodine127();
  const ScalarPortal portal{3e-7, 2e-4, 1500.0, 1.7};
  const double e = 30.0 * MeV, m = 20.0 * keV;
  const double t = 0.3 * recoilRange(e, n.mass, m)->upper;
  EXPECT_NEAR(scalarCrossSection(e, t, n, m, portal) /
                  (uH2(n, portal) * scalarCrossSectionPerUH2(e, t, n, m)),
              1.0, 1e-12);
}

TEST(CevnsRates, QuadratureAgreesWithAFineIntegration) {
  // dN/dT and the event counts against composite Simpson rules on fine grids
  // (each starting a hair above its kinematic edge, where rounding can put the
  // first node outside the allowed region).
  const Nucleus n = caesium133();
  const auto sns = spallationSource();
  const Flux& nuE = sns[1];
  const double t = 10.0 * keV, m = 5.0 * MeV;
  const double low = minimumEnergy(t, n.mass, m) * (1 + 1e-12);
  const double fine =
      simpson([&](double e) { return nuE.spectrum(e) * zCrossSection(e, t, n, m); }, low, nuE.max);
  EXPECT_NEAR(rate(nuE, n, t, m, Process::Z) / fine, 1.0, 1e-8);

  const auto reactor = reactorSource();
  const double tr = 0.5 * keV;
  const double lowR = std::max(reactor[0].min, minimumEnergy(tr, n.mass, 0.0) * (1 + 1e-12));
  const double fineR =
      simpson([&](double e) { return reactor[0].spectrum(e) * zCrossSection(e, tr, n, 0.0); }, lowR,
              reactor[0].max);
  EXPECT_NEAR(rate(reactor[0], n, tr, 0.0, Process::Z) / fineR, 1.0, 1e-8);

  // Counts above 5 keV: a double Simpson integral over the (E, T) region.
  const double threshold = 5.0 * keV;
  const double eLow = minimumEnergy(threshold, n.mass, 0.0) * (1 + 1e-12);
  const double count = simpson(
      [&](double e) {
        const double tMax = recoilRange(e, n.mass, 0.0)->upper;
        return nuE.spectrum(e) * simpson([&](double tt) { return zCrossSection(e, tt, n, 0.0); },
                                         threshold, tMax, 400);
      },
      eLow, nuE.max, 2000);
  EXPECT_NEAR(zCount(nuE, n, threshold, 0.0) / count, 1.0, 1e-7);
}

// The absolute Standard Model SNS rate of CN Eq. 27, written out here: n_CsI
// CsI units (each one Cs and one I nucleus) times the fluence phi_0 of each
// flavour times the Eq. 25 cross section at m = 0 folded with the decay-at-rest
// spectra (Eq. 29 with E_mu = m_mu, p_mu = 0), by Simpson's rule. Inputs: the
// COHERENT 2017 exposure as CN Sec. IV.C gives it (14.6 kg of CsI, 259.8 g/mol,
// 1.76e23 protons on target, r = 0.08 per flavour, L = 19.3 m) and PDG masses.
constexpr double kMPi = 0.13957039, kMMu = 0.1056583755, kGF = 1.1663788e-5;
constexpr double kHbarCInGeVCm = 1.973269804e-14;

double csiUnits2017() { return 6.02214076e23 * 14600.0 / 259.8; }
double fluence2017InGeV2() {
  const double perCm2 = 0.08 * 1.76e23 / (4 * std::numbers::pi * 1930.0 * 1930.0);
  return perCm2 * kHbarCInGeVCm * kHbarCInGeVCm;
}
/// dsigma/dT of CN Eq. 25 at m = 0: G_F^2 M Q_W^2/(4 pi) (1 - M T/2E^2 - T/E + T^2/2E^2) F^2.
double freedman(double e, double t, const Nucleus& n) {
  const double qw = n.N - n.Z * (1 - 4 * 0.23857);
  const double bracket = 1 - n.mass * t / (2 * e * e) - t / e + t * t / (2 * e * e);
  const double f = helmFormFactor(n, t);
  return bracket > 0 ? kGF * kGF * n.mass * qw * qw / (4 * std::numbers::pi) * bracket * f * f
                     : 0.0;
}
double nuE(double e) {
  return e > kMMu / 2 ? 0.0 : 192 / kMMu * std::pow(e / kMMu, 2) * (0.5 - e / kMMu);
}
double nuMuBar(double e) {
  return e > kMMu / 2 ? 0.0 : 64 / kMMu * std::pow(e / kMMu, 2) * (0.75 - e / kMMu);
}
/// Events per GeV of recoil at T, Cs and I together.
double snsRate(double t) {
  const double line = (kMPi * kMPi - kMMu * kMMu) / (2 * kMPi);
  double perTarget = 0.0;
  for (const Nucleus& n : {caesium133(), iodine127()}) {
    const double low = (t + std::sqrt(t * t + 2 * n.mass * t)) / 2;  // E_min of Eq. 28, m = 0
    perTarget += freedman(line, t, n);
    if (low < kMMu / 2) {
      perTarget += simpson([&](double e) { return (nuE(e) + nuMuBar(e)) * freedman(e, t, n); }, low,
                           kMMu / 2, 20000);
    }
  }
  return csiUnits2017() * fluence2017InGeV2() * perTarget;
}

TEST(CevnsRates, AbsoluteSnsSpectrumFromTheExposure) {
  const auto sm = signals::fromMassesAndMixings(7 * keV, 100 * keV, 0.0, 0.0);
  // Below, at and above the 29.79 MeV line's endpoints (14.3 keV Cs, 15.0 keV I) and up to
  // the end of the muon-decay spectra (45 keV on Cs).
  for (double t : {1.0 * keV, 10.0 * keV, 14.6 * keV, 20.0 * keV, 40.0 * keV}) {
    const double expected = snsRate(t);
    EXPECT_GT(expected, 0.0);
    EXPECT_NEAR(signals::cevns(sm, signals::Experiment::Sns, t).sm, expected, 1e-6 * expected)
        << "T = " << t / keV << " keV";
  }
  // Events above 5 keV: the same, integrated over T by Simpson's rule, split at the ends of
  // the line (14.3 keV Cs, 15.0 keV I) and of the muon-decay spectra (45.0, 47.2 keV) so
  // that each piece is smooth.
  double count = 0.0;
  double from = 5.0 * keV;
  std::vector<double> edges;
  for (const Nucleus& n : {caesium133(), iodine127()}) {
    const double line = (kMPi * kMPi - kMMu * kMMu) / (2 * kMPi);
    edges.push_back(2 * line * line / (n.mass + 2 * line));
  }
  for (const Nucleus& n : {caesium133(), iodine127()})
    edges.push_back(2 * std::pow(kMMu / 2, 2) / (n.mass + kMMu));
  std::sort(edges.begin(), edges.end());
  for (double to : edges) {
    count += simpson(snsRate, from, to, 400);
    from = to;
  }
  const double code = signals::cevnsCount(sm, signals::Experiment::Sns, 5.0 * keV).sm;
  EXPECT_NEAR(code, count, 1e-5 * count);
}

// The reactor exposure of CN Fig. 4(c,d), written out: the CsI units of 1 kg (259.8 g/mol)
// times a day at 1e13 antineutrinos cm^-2 s^-1, with the Huber-Mueller spectrum per fission
// exp(sum_k a_k E^k) (E in MeV; P. Huber, Phys. Rev. C 84 (2011) 024617, Table III for U-235,
// Pu-239, Pu-241; Th. A. Mueller et al., Phys. Rev. C 83 (2011) 054615, Table VI for U-238)
// for fission fractions 0.58, 0.07, 0.30, 0.05, normalised to one over the fits' 2-8 MeV.
double reactorPerFissionPerMeV(double eMeV) {
  const double a[4][6] = {{4.367, -4.577, 2.100, -0.5294, 0.06186, -0.002777},
                          {0.4833, 0.1927, -0.1283, -0.006762, 0.002233, -0.0001536},
                          {4.757, -5.392, 2.563, -0.6596, 0.07820, -0.003536},
                          {2.990, -2.882, 1.278, -0.3343, 0.03905, -0.001754}};
  const double fraction[4] = {0.58, 0.07, 0.30, 0.05};  // U-235, U-238, Pu-239, Pu-241
  double sum = 0.0;
  for (int i = 0; i < 4; ++i) {
    double exponent = 0.0, power = 1.0;
    for (int k = 0; k < 6; ++k) {
      exponent += a[i][k] * power;
      power *= eMeV;
    }
    sum += fraction[i] * std::exp(exponent);
  }
  return sum;
}
double reactorRate(double t) {
  const double total = simpson(reactorPerFissionPerMeV, 2.0, 8.0, 4000);
  const double units = 6.02214076e23 * 1000.0 / 259.8;
  const double fluence = 1e13 * 86400.0 * kHbarCInGeVCm * kHbarCInGeVCm;  // GeV^2
  double perTarget = 0.0;
  for (const Nucleus& n : {caesium133(), iodine127()}) {
    const double low = std::max(2e-3, (t + std::sqrt(t * t + 2 * n.mass * t)) / 2);  // Eq. 28
    if (low >= 8e-3) continue;
    // Spectrum per GeV: (per MeV)/(total) x 1000.
    perTarget += simpson(
        [&](double e) {
          return reactorPerFissionPerMeV(e * 1e3) / total * 1e3 * freedman(e, t, n);
        },
        low, 8e-3, 4000);
  }
  return units * fluence * perTarget;
}

TEST(CevnsRates, AbsoluteReactorSpectrumFromTheExposure) {
  const auto sm = signals::fromMassesAndMixings(7 * keV, 100 * keV, 0.0, 0.0);
  // From 0.1 keV to near the end of the spectrum on Cs (2 x 8^2 MeV^2/M = 1.04 keV).
  for (double t : {0.1 * keV, 0.3 * keV, 0.6 * keV, 0.9 * keV}) {
    const double expected = reactorRate(t);
    EXPECT_GT(expected, 0.0);
    EXPECT_NEAR(signals::cevns(sm, signals::Experiment::Reactor, t).sm, expected, 1e-6 * expected)
        << "T = " << t / keV << " keV";
  }
  // Events above 0.1 keV, integrated over T up to the largest recoil (on I, the lighter).
  const double tMax = 2 * 8e-3 * 8e-3 / (iodine127().mass + 2 * 8e-3);
  const double count = simpson(reactorRate, 0.1 * keV, tMax, 800);
  const double code = signals::cevnsCount(sm, signals::Experiment::Reactor, 0.1 * keV).sm;
  EXPECT_NEAR(code, count, 1e-4 * count);
}

TEST(CevnsRates, ShiftsEqualDifferencesWhereThoseAreAccurate) {
  // For a heavy fermion (MeV) the difference of two rates keeps its digits:
  // the shifts computed without cancellation must equal it.
  const Nucleus n = iodine127();
  for (const Flux& flux : spallationSource()) {
    for (double m : {3.0 * MeV, 10.0 * MeV}) {
      const double t = 8.0 * keV;
      const double difference = rate(flux, n, t, m, Process::Z) - rate(flux, n, t, 0.0, Process::Z);
      EXPECT_NEAR(zRateShift(flux, n, t, m), difference, 1e-7 * std::abs(difference) + 1e-30)
          << flux.name;
      const double countDifference =
          zCount(flux, n, 5.0 * keV, m) - zCount(flux, n, 5.0 * keV, 0.0);
      EXPECT_NEAR(zCountShift(flux, n, 5.0 * keV, m), countDifference,
                  1e-6 * std::abs(countDifference))
          << flux.name;
    }
  }
  // For a keV fermion the shift is -m^2/(4E^2)-small: for the 29.79 MeV line
  // at T well inside the range, shift/rate = -(m^2/4E^2)(2E/M - T/M + 1)/bracket.
  const auto sns = spallationSource();
  const Flux& line = sns[0];
  const double m = 10.0 * keV, e = line.line, t = 5.0 * keV;
  const double bracket = 1 - n.mass * t / (2 * e * e) - t / e + t * t / (2 * e * e);
  const double expected = -(m * m / (4 * e * e)) * (2 * e / n.mass - t / n.mass + 1) / bracket;
  EXPECT_NEAR(zRateShift(line, n, t, m) / rate(line, n, t, 0.0, Process::Z), expected,
              1e-9 * std::abs(expected));

  // Counted above a threshold, the keV shift is the m^2 term of Eq. 25 (the
  // edge slivers are O(m^4)): doubling m multiplies it by 4 to ~(m/E)^2.
  for (const Flux& flux : spallationSource()) {
    for (double small : {1.0 * keV, 7.0 * keV}) {
      EXPECT_NEAR(
          zCountShift(flux, n, 5.0 * keV, 2 * small) / zCountShift(flux, n, 5.0 * keV, small), 4.0,
          1e-6)
          << flux.name;
    }
  }
  const auto reactorFluxes = reactorSource();
  const Flux& reactor = reactorFluxes[0];
  EXPECT_NEAR(
      zCountShift(reactor, n, 0.1 * keV, 20 * keV) / zCountShift(reactor, n, 0.1 * keV, 10 * keV),
      4.0, 1e-5);
}

// --- A vector Z' at the SNS (lfv_nsi's COHERENT observables) ---
//
// The test's own double integral: Freedman's dsigma/dT (1 - T/E - M T/2E^2 + T^2/2E^2) with the
// nuclear charge of Barranco, Miranda, Rashba (hep-ph/0508299, Eq. 2) and the Z' propagator
// m^2/(m^2 + 2 M T), composite Simpson in T inside composite Simpson in E over the Michel
// spectra of NeutrinoSources.hpp, the prompt line at its energy; averaged over the three
// components.
struct TestZprime {
  double mass = 1.0;  // GeV
  double gp = 0.0, gn = 0.0;
  double diagE = 0.0, offE2 = 0.0, diagMu = 0.0, offMu2 = 0.0;
};

double testAveraged(const Nucleus& n, double threshold, const TestZprime* z, bool shiftOnly) {
  const double mass = n.mass;
  const double qw = n.N - n.Z * (1.0 - 4.0 * constants::sin2ThetaW_lowEnergy);
  const double gvp = 0.5 - 2.0 * constants::sin2ThetaW_lowEnergy, gvn = -0.5;
  EXPECT_NEAR(n.Z * gvp + n.N * gvn, -0.5 * qw, 1e-12);  // the SM charge is -Q_W/2
  auto charge2 = [&](double t, bool electron) {
    const double sm = n.Z * gvp + n.N * gvn;
    if (!z) return sm * sm;
    const double k = (n.Z * z->gp + n.N * z->gn) /
                     (std::numbers::sqrt2 * constants::G_F * (z->mass * z->mass + 2.0 * mass * t));
    const double d = electron ? z->diagE : z->diagMu, o2 = electron ? z->offE2 : z->offMu2;
    const double c = sm + d * k;
    return c * c + o2 * k * k - (shiftOnly ? sm * sm : 0.0);
  };
  auto sigma = [&](double e, bool electron) {
    const double top = 2.0 * e * e / (mass + 2.0 * e);
    if (top <= threshold) return 0.0;
    return simpson(
        [&](double t) {
          const double f = helmFormFactor(n, t);
          return constants::G_F * constants::G_F * mass / std::numbers::pi *
                 (1.0 - t / e - mass * t / (2 * e * e) + t * t / (2 * e * e)) * f * f *
                 charge2(t, electron);
        },
        threshold, top, 400);
  };
  const double top = sources::muonDecayMaxEnergy();
  // Below E_low the recoils stay under the threshold: 2 E^2/(M + 2 E) = T_th.
  const double low = 0.5 * (threshold + std::sqrt(threshold * threshold + 2.0 * mass * threshold));
  const double line = sigma(sources::pionLineEnergy(), false);
  const double nuE =
      simpson([&](double e) { return sources::muonDecayNuE(e) * sigma(e, true); }, low, top, 400);
  const double nuMuBar = simpson(
      [&](double e) { return sources::muonDecayNuMuBar(e) * sigma(e, false); }, low, top, 400);
  return (line + nuE + nuMuBar) / 3.0;
}

TEST(CevnsSns, StandardModelFluxAveragedCrossSectionAgainstSimpson) {
  // The code's closed-form energy average against the test's nested Simpson rule, for Ar and
  // the two CsI nuclei, at threshold 0 (the total COHERENT quotes) and at 5 and 20 keV.
  for (const auto& n : {argon40(), caesium133(), iodine127()}) {
    for (double threshold : {0.0, 5.0 * keV, 20.0 * keV}) {
      const double expected = testAveraged(n, threshold, nullptr, false);
      EXPECT_NEAR(snsAveragedCrossSection(n, threshold) / expected, 1.0, 2e-5)
          << n.name << " " << threshold;
    }
  }
  // 40Ar: 18 protons, 22 neutrons, M = 39.9623831237 u less 18 electrons = 37.2155 GeV.
  EXPECT_NEAR(argon40().mass, 39.9623831237 * constants::u - 18 * constants::m_e, 1e-12);
  // COHERENT, arXiv:2003.10630, abstract: the flux-averaged cross section on argon is
  // (2.2 +- 0.7) x 10^-39 cm^2, "consistent with the standard model prediction".
  const double arCm2 =
      snsAveragedCrossSection(argon40(), 0.0) * units::hbarCInGeVCm * units::hbarCInGeVCm;
  EXPECT_LT(std::abs(arCm2 - 2.2e-39), 0.7e-39) << arCm2;
}

TEST(CevnsSns, ZprimeShiftAgainstSimpson) {
  // A 20 MeV Z' (2 M T = m^2 at T = 5 keV on Ar: the propagator matters over the whole
  // range) with an interfering nu_mu coupling and an incoherent nu_e one, and a heavy one.
  for (double mass : {0.02, 0.2}) {
    TestZprime t{mass, 3e-4, 2e-4, 0.0, 4e-10, -3e-5, 1e-10};
    VectorMediator z;
    z.mass = t.mass;
    z.protonCoupling = t.gp;
    z.neutronCoupling = t.gn;
    z.electron = {t.diagE, t.offE2};
    z.muon = {t.diagMu, t.offMu2};
    for (const auto& n : {argon40(), caesium133()}) {
      for (double threshold : {0.0, 20.0 * keV}) {
        const double expected = testAveraged(n, threshold, &t, true);
        EXPECT_NEAR(snsAveragedCrossSectionShift(n, threshold, z) / expected, 1.0, 1e-4)
            << n.name << " " << mass << " " << threshold;
      }
    }
  }
}

}  // namespace
}  // namespace portalscan::physics
