// phi^0 widths (CN Eqs. 64-66) with the corrections of the audit §2.6.

#include "portalscan/physics/ScalarDecays.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace portalscan::physics {
namespace {

using std::numbers::pi;

TEST(ScalarDecays, Eq64AsPrintedLacksOneOverSinSquaredThetaW) {
  // CN Eq. 64 prints kappa_s^2 N_c alpha m_f^2 m_phi beta^3 / (8 M_W^2). Its ratio to the SM
  // normalisation is pi alpha/(sqrt2 G_F M_W^2) = s_W^2 at alpha(0): 0.2152 (audit §2.6).
  const double s = 1e-4, m = 2.0, mf = constants::m_mu;
  const double beta = std::sqrt(1 - 4 * mf * mf / (m * m));
  const double printed = s * s * constants::alpha * mf * mf * m * beta * beta * beta /
                         (8 * constants::M_W * constants::M_W);
  EXPECT_REL(printed / scalarToFermions(s, m, mf, 1), 0.2152, 1e-3);
}

TEST(ScalarDecays, Eq65GluonsOverMuonsAtTwoGeV) {
  // audit §2.6: Gamma_gg/Gamma_mumu = 4.27 at m_phi = 2 GeV with alpha_s = 0.30.
  const double s = 1e-4;
  EXPECT_REL(
      scalarToHadronsBelowHandOver(s, 2.0, 0.30) / scalarToFermions(s, 2.0, constants::m_mu, 1),
      4.27, 2e-3);
}

TEST(ScalarDecays, Eq66MixingForALifetimeOfOneSecond) {
  // audit §2.6: tau_phi = 1 s at m_phi = 2 GeV needs kappa_s = 2.9e-9 with the SM normalisation
  // and alpha_s(2 GeV) = 0.30 (leptons + Eq. 65); the paper's 1.3e-9 would need alpha_s = 0.74.
  double width = scalarToHadronsBelowHandOver(1.0, 2.0, 0.30);
  for (double ml : {constants::m_e, constants::m_mu, constants::m_tau})
    width += scalarToFermions(1.0, 2.0, ml, 1);
  EXPECT_REL(std::sqrt(units::hbarInGeVSeconds / width), 2.9e-9, 2e-2);
}

TEST(ScalarDecays, FermionLoopAmplitude) {
  EXPECT_REL(fermionLoopAmplitude(1e-8).real(), 1.0, 1e-8);  // heavy-quark limit
  EXPECT_REL(fermionLoopAmplitude(1.0).real(), 1.5, 1e-12);  // (3/4) 2 [1 + 0]/1 at threshold
  EXPECT_ABS(fermionLoopAmplitude(1.0).imag(), 0.0, 1e-15);
  // Continuous across tau = 1 and across the series hand-over at 1e-3.
  EXPECT_ABS(std::abs(fermionLoopAmplitude(1 + 1e-9) - fermionLoopAmplitude(1 - 1e-9)), 0.0, 1e-3);
  EXPECT_REL(fermionLoopAmplitude(1e-3 * (1 + 1e-12)).real(),
             fermionLoopAmplitude(1e-3 * (1 - 1e-12)).real(), 1e-12);
  // Light-quark limit: A -> (3/(2 tau)) [1 - (ln(4 tau) - i pi)^2 / 4] as tau -> infinity.
  const double tau = 1e6;
  const std::complex<double> l(std::log(4 * tau), -pi);
  EXPECT_REL(std::abs(fermionLoopAmplitude(tau)), std::abs(1.5 / tau * (1.0 - l * l / 4.0)), 1e-4);
}

TEST(ScalarDecays, HadronicHandOverAtTwoGeVAndClosedBelowTwoPions) {
  const double s = 1e-5;
  const ScalarWidths below = scalarWidthsToStandardModel(s, kScalarHadronicHandOver * (1 - 1e-9));
  const ScalarWidths above = scalarWidthsToStandardModel(s, kScalarHadronicHandOver);
  EXPECT_REL(below.hadrons, scalarToHadronsBelowHandOver(s, 2.0, alphaSForScalar(2.0)), 1e-6);
  double quarks = scalarToGluons(s, 2.0, alphaSForScalar(2.0));
  for (double mq : {constants::m_s, constants::m_c, constants::m_b})
    quarks += scalarToFermions(s, 2.0, mq, 3);
  EXPECT_REL(above.hadrons, quarks, 1e-12);
  EXPECT_EQ(scalarWidthsToStandardModel(s, 0.25).hadrons, 0.0);  // below 2 m_pi
  EXPECT_GT(scalarWidthsToStandardModel(s, 0.25).leptons, 0.0);  // e e and mu mu open
}

}  // namespace
}  // namespace portalscan::physics
