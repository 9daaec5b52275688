#pragma once
/// Decays of a light Higgs-like scalar phi^0 that mixes with the SM Higgs by
/// an angle alpha (CN Sec. VI, Eqs. 64-65, with the corrections of the audit
/// §2.6 and physics.md):
///  - f fbar with the SM normalisation,
///      Gamma = sin^2(alpha) N_c G_F m_f^2 m_phi beta^3 / (4 sqrt2 pi)
///    (CN Eq. 64 prints alpha/(8 M_W^2), i.e. it lacks 1/s_W^2);
///  - hadrons below 2 GeV: CN Eq. 65 is the whole hadronic width (its pi and K
///    factors stand for the exclusive channels), with Gamma_mumu/beta_mu^3
///    written out so that it stays finite below the mu mu threshold; zero below
///    the pi pi threshold, where no hadronic final state is open;
///  - at and above 2 GeV: s, c, b quarks by the fermion formula with the MS-bar
///    masses of physics.md, plus g g at leading order (Spira et al., Fortsch.
///    Phys. 46 (1998) 203):
///      Gamma_gg = sin^2(alpha) G_F alpha_s^2 m^3 / (36 sqrt2 pi^3) |sum_q A_1/2(tau_q)|^2
///    over c, b, t, with A_1/2 normalised to 1 in the heavy-quark limit.
/// alpha_s is the two-loop alpha_s(m_phi), frozen at its 1 GeV value below 1 GeV.

#include <complex>

namespace portalscan::physics {

/// Mass at which the hadronic description hands over from CN Eq. 65 to quarks + gluons.
inline constexpr double kScalarHadronicHandOver = 2.0;  // GeV

/// Gamma(phi -> f fbar), GeV.
double scalarToFermions(double sinAlpha, double mPhi, double mF, int colours);

/// Fermion-loop amplitude A_1/2(tau), tau = m_phi^2/(4 m_q^2), normalised to 1 as tau -> 0.
std::complex<double> fermionLoopAmplitude(double tau);

/// Gamma(phi -> g g) at leading order from c, b, t loops, GeV.
double scalarToGluons(double sinAlpha, double mPhi, double alphaS);

/// CN Eq. 65 in its finite form, GeV (the hadronic width for m_phi < 2 GeV).
double scalarToHadronsBelowHandOver(double sinAlpha, double mPhi, double alphaS);

/// alpha_s used in the phi^0 widths: two-loop alpha_s(m_phi), frozen below 1 GeV.
double alphaSForScalar(double mPhi);

struct ScalarWidths {
  double leptons = 0.0;  ///< e, mu, tau
  double hadrons = 0.0;  ///< Eq. 65 below 2 GeV; s, c, b + g g above
  double total() const { return leptons + hadrons; }
};

/// All Standard-Model widths of phi^0, GeV.
ScalarWidths scalarWidthsToStandardModel(double sinAlpha, double mPhi);

}  // namespace portalscan::physics
