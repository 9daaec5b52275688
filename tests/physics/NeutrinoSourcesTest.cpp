// Neutrino sources of CN Sec. IV.C. Expected values: the paper's numbers
// (CN Eq. 29 and the text around it), derived here where the paper gives
// fewer digits, and closed-form integrals.

#include "portalscan/physics/NeutrinoSources.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/Simpson.hpp"
#include <gtest/gtest.h>

#include <cmath>

namespace portalscan::physics {
namespace {

using namespace sources;

using test::simpson;

TEST(NeutrinoSources, PionLineIsAt29point79MeV) {
  // CN Eq. 29a: (m_pi^2 - m_mu^2)/(2 m_pi) = (139.57039^2 - 105.6583755^2)/(2 x 139.57039)
  // = 29.792 MeV (the paper's 29.79), and m_mu/2 = 52.83 MeV.
  EXPECT_NEAR(pionLineEnergy() / units::MeV, 29.792, 0.001);
  EXPECT_NEAR(muonDecayMaxEnergy() / units::MeV, 52.83, 0.01);
}

TEST(NeutrinoSources, DecayAtRestSpectraAreNormalised) {
  const double top = muonDecayMaxEnergy();
  EXPECT_NEAR(simpson(muonDecayNuE, 0.0, top), 1.0, 1e-10);
  EXPECT_NEAR(simpson(muonDecayNuMuBar, 0.0, top), 1.0, 1e-10);
  EXPECT_EQ(muonDecayNuE(1.01 * top), 0.0);
  EXPECT_EQ(muonDecayNuMuBar(-1e-3), 0.0);
  // The nu_e spectrum vanishes at the endpoint, nubar_mu does not (Michel).
  EXPECT_NEAR(muonDecayNuE(top), 0.0, 1e-12);
  EXPECT_GT(muonDecayNuMuBar(top), 0.0);
}

TEST(NeutrinoSources, PrintedMovingMuonSpectraDoNotNormalise) {
  // CN Eq. 29b, c with the paper's E_mu = 109.78 MeV, p_mu = 29.79 MeV: the
  // bracket of Eq. 29b, m_mu/(2 E_mu) - (E/m_mu)(1 + p^2/(3 E_mu^2)), vanishes
  // at E_0 = m_mu^2/(2 E_mu (1 + p^2/(3 E_mu^2))) = 49.63 MeV, below E_mu/2 =
  // 54.89 MeV, so the spectrum turns negative there. Integrated to E_0 it
  // gives 0.86 (0.795 up to E_mu/2, the rest negative); Eq. 29c gives 1.003.
  const double eMu = 109.78 * units::MeV, pMu = 29.79 * units::MeV;
  auto b = [&](double e) { return printedEq29bNuE(e, eMu, pMu); };
  auto c = [&](double e) { return printedEq29cNuMuBar(e, eMu, pMu); };
  const double mMu = 105.6583755 * units::MeV;  // PDG
  const double zero = mMu * mMu / (2 * eMu * (1 + pMu * pMu / (3 * eMu * eMu)));
  EXPECT_NEAR(zero / units::MeV, 49.63, 0.01);
  EXPECT_NEAR(b(zero), 0.0, 1e-9 * b(0.5 * zero));
  EXPECT_NEAR(simpson(b, 0.0, zero), 0.86, 0.005);
  EXPECT_LT(simpson(b, 0.0, 0.5 * eMu), 0.80);
  EXPECT_NEAR(simpson(c, 0.0, 0.5 * eMu), 1.003, 0.001);
  EXPECT_GT(b(49.0 * units::MeV), 0.0);
  EXPECT_LT(b(50.2 * units::MeV), 0.0);
}

TEST(NeutrinoSources, Coherent2017Exposure) {
  // CN Sec. IV.C with COHERENT 2017's numbers: phi_0 = r N_POT/(4 pi L^2) =
  // 0.08 x 1.76e23/(4 pi (1930 cm)^2) = 3.008e14 per cm^2 per flavour, and
  // n_CsI = N_A M_det/M_CsI (Eq. 27's n_i) = 6.02214076e23 x 14600 g/259.8 g
  // = 3.384e25 CsI units.
  EXPECT_NEAR(Coherent2017::fluencePerFlavourPerCm2() / 1e14, 3.008, 0.001);
  EXPECT_NEAR(Coherent2017::csiUnits() / 1e25, 3.384, 0.001);
}

TEST(NeutrinoSources, ReactorSpectrumFollowsTheHuberMuellerFits) {
  // Pure U-235 at 4 MeV: exp(4.367 - 4.577 E + 2.100 E^2 - 0.5294 E^3 +
  // 0.06186 E^4 - 0.002777 E^5) per MeV per fission (Huber 2011, Table III).
  const FissionFractions u235{1.0, 0.0, 0.0, 0.0};
  const double e = 4.0;
  const double expected = std::exp(4.367 - 4.577 * e + 2.100 * e * e - 0.5294 * e * e * e +
                                   0.06186 * e * e * e * e - 0.002777 * e * e * e * e * e);
  EXPECT_NEAR(reactorPerFission(4.0 * units::MeV, u235) * units::MeV, expected, 1e-12 * expected);
  // U-238 (Mueller 2011) at 3 MeV.
  const FissionFractions u238{0.0, 1.0, 0.0, 0.0};
  const double x = 3.0;
  const double expected238 = std::exp(0.4833 + 0.1927 * x - 0.1283 * x * x - 0.006762 * x * x * x +
                                      0.002233 * x * x * x * x - 0.0001536 * x * x * x * x * x);
  EXPECT_NEAR(reactorPerFission(3.0 * units::MeV, u238) * units::MeV, expected238,
              1e-12 * expected238);
  // Outside the fits' range [2, 8] MeV: nothing.
  EXPECT_EQ(reactorPerFission(1.9 * units::MeV), 0.0);
  EXPECT_EQ(reactorPerFission(8.1 * units::MeV), 0.0);
  // The normalised spectrum integrates to 1.
  EXPECT_NEAR(simpson([](double en) { return reactorSpectrum(en); }, kReactorMinEnergy,
                      kReactorMaxEnergy, 20000),
              1.0, 1e-9);
}

}  // namespace
}  // namespace portalscan::physics
