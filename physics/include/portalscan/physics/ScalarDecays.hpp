#pragma once
/// Decays of a light Higgs-like scalar phi^0 that mixes with the SM Higgs by
/// an angle alpha (CN Sec. VI, Eqs. 64-65, with the corrections of the audit
/// §2.6, physics.md and its errata E2, E5; docs/physics/hidden_kev_fermion.md):
///  - leptons with the SM normalisation,
///      Gamma = sin^2(alpha) N_c G_F m_f^2 m_phi beta^3 / (4 sqrt2 pi)
///    (CN Eq. 64 prints alpha/(8 M_W^2), i.e. it lacks 1/s_W^2);
///  - hadrons, low masses: CN Eq. 65 (an inclusive g g estimate whose pi and K
///    factors stand for the exclusive channels) times beta_pi, the two-body
///    phase space of the lightest hadronic final state, so that the width
///    vanishes at 2 m_pi instead of starting at a finite value (E5);
///  - hadrons, high masses (E2): s, c, b with the MS-bar running masses at
///    m_phi and the QCD correction 1 + Delta_QCD,
///      Delta_QCD = (17/3) a + (35.94 - 1.36 N_F) a^2,  a = alpha_s(m_phi)/pi
///    (Braaten-Leveille; Gorishny et al.; as collected by Spira et al., Fortsch.
///    Phys. 46 (1998) 203 and Djouadi, Phys. Rept. 457 (2008) 1), each channel
///    opening at the lightest meson pair (2 m_K, 2 m_D0, 2 m_B+) through the
///    velocity of that meson; plus g g with its NLO factor in the heavy-loop limit
///      Gamma_gg = Gamma_gg^LO [1 + (95/4 - 7 N_F/6) a]   (Spira et al.),
///      Gamma_gg^LO = sin^2(alpha) G_F alpha_s^2 m^3 / (36 sqrt2 pi^3) |sum_q A_1/2(tau_q)|^2
///    over c, b, t, with A_1/2 normalised to 1 in the heavy-quark limit;
///    N_F = activeFlavours(m_phi), the flavours of the alpha_s(m_phi) used;
///  - between kScalarHadronicWindowLow and kScalarHadronicWindowHigh: ln Gamma_had
///    interpolated linearly in m_phi between the two descriptions (continuous).
/// alpha_s is the two-loop alpha_s(m_phi), frozen at its 1 GeV value below 1 GeV.

#include <cmath>
#include <complex>
#include <numbers>

namespace portalscan::physics {

/// The hadronic width is CN Eq. 65 x beta_pi below this mass, GeV ...
inline constexpr double kScalarHadronicWindowLow = 1.5;
/// ... the quark + gluon width above this one, and interpolated in between.
inline constexpr double kScalarHadronicWindowHigh = 2.5;

/// Gamma(phi -> f fbar), GeV, with beta from the fermion mass (leptons; CN Eq. 64 corrected).
double scalarToFermions(double sinAlpha, double mPhi, double mF, int colours);

/// Gamma(phi -> q qbar -> hadrons), GeV: 3 G_F m_run^2 m_phi beta_H^3 qcdFactor sin^2/(4 sqrt2 pi),
/// beta_H the velocity of the lightest meson of the flavour (mass mMeson).
double scalarToQuarks(double sinAlpha, double mPhi, double mRunning, double mMeson,
                      double qcdFactor);

/// 1 + Delta_QCD for phi -> q qbar at scale m_phi (a = alphaS/pi, nf active flavours).
double quarkQcdFactor(double alphaS, int nf);

/// NLO factor of phi -> g g in the heavy-loop limit: 1 + (95/4 - 7 nf/6) alphaS/pi.
double gluonKFactor(double alphaS, int nf);

/// MS-bar quark mass at mu from m(mu0), two-loop RGE solved exactly,
///   m(mu)/m(mu0) = (a/a0)^(g0/b0) [(b0 + b1 a)/(b0 + b1 a0)]^(g1/b1 - g0/b0),
/// a = alpha_s/pi, b0 = (11 - 2 nf/3)/4, b1 = (102 - 38 nf/3)/16, g0 = 1,
/// g1 = (202/3 - 20 nf/9)/16 (Chetyrkin, Kuehn, Steinhauser, Comput. Phys. Commun. 133
/// (2000) 43), stepping across m_c, m_b, m_t with m continuous (matching at O(a^2) is beyond
/// this order); its O(a) expansion is Djouadi's c(x) truncated at two loops. mu, mu0 >= 1 GeV.
double runningQuarkMass(double mAtMu0, double mu0, double mu);

/// Fermion-loop amplitude A_1/2(tau), tau = m_phi^2/(4 m_q^2), normalised to 1 as tau -> 0.
std::complex<double> fermionLoopAmplitude(double tau);

/// Gamma(phi -> g g) at leading order from c, b, t loops, GeV.
double scalarToGluons(double sinAlpha, double mPhi, double alphaS);

/// CN Eq. 65 as printed, in its finite form (Gamma_mumu/beta_mu^3 written out), GeV.
/// Nonzero at 2 m_pi: the inclusive estimate carries no phase space.
double cnEq65(double sinAlpha, double mPhi, double alphaS);

/// The low-mass hadronic width: CN Eq. 65 x beta_pi, zero below 2 m_pi, GeV.
double scalarToHadronsLowMass(double sinAlpha, double mPhi, double alphaS);

/// The high-mass hadronic width: s, c, b (running masses, Delta_QCD, meson thresholds)
/// plus g g at NLO, GeV; alphaS = alpha_s(m_phi).
double scalarToHadronsPerturbative(double sinAlpha, double mPhi, double alphaS);

/// alpha_s used in the phi^0 widths: two-loop alpha_s(m_phi), frozen below 1 GeV.
double alphaSForScalar(double mPhi);

struct ScalarWidths {
  double leptons = 0.0;  ///< e, mu, tau
  double hadrons = 0.0;  ///< low-mass, interpolated or perturbative (see above)
  double total() const { return leptons + hadrons; }
};

/// All Standard-Model widths of phi^0, GeV.
ScalarWidths scalarWidthsToStandardModel(double sinAlpha, double mPhi);

/// The total SM width at sin(alpha) = 1, GeV: scalarWidthsToStandardModel(1, mPhi).total(),
/// memoised per thread for the last mPhi (bitwise), so a scan with m_phi fixed computes alpha_s
/// and the running masses once; the result is the same whether the memo hits or not. Inside a
/// SlowPath scope (SlowPath.hpp) it is computed with the reference alpha_s and not stored.
double scalarWidthToStandardModelPerSin2(double mPhi);

/// The total SM width of phi^0, GeV: sin^2(alpha) x scalarWidthToStandardModelPerSin2(mPhi)
/// (every SM width is proportional to sin^2 alpha; the product differs from
/// scalarWidthsToStandardModel(sinAlpha, mPhi).total() by rounding), exactly 0 at
/// sin(alpha) = 0, and the unmemoised scalarWidthsToStandardModel on the reference path
/// (SlowPath.hpp).
double scalarWidthToStandardModel(double sinAlpha, double mPhi);

/// Gamma(phi -> psi_i psi_j), GeV, for Majorana mass eigenstates psi_i, psi_j with real
/// signed masses m_i, m_j and the real symmetric Yukawa matrix y of
/// L = -(1/2) phi sum_ij y_ij psi_i psi_j + h.c. (two-component fields; `coupling` = y_ij).
/// Summed over spins, |M|^2 = 2 y_ij^2 (m_phi^2 - (m_i + m_j)^2) with the signed masses
/// (a relative minus sign of the masses turns the scalar coupling into a pseudoscalar one),
///   Gamma = y_ij^2 (m_phi^2 - (m_i + m_j)^2) lambda^(1/2)(m_phi^2, m_i^2, m_j^2) / (8 pi m_phi^3)
/// for i != j, and half of it for identical states (i = j: y_ii^2 m_phi beta^3/(16 pi)).
/// Zero below threshold.
/// Defined here, inline: the phi^0 widths take it for nine pairs a point.
inline double scalarToMajoranaPair(double coupling, double mPhi, double mI, double mJ,
                                   bool identical) {
  const double aI = std::abs(mI);
  const double aJ = std::abs(mJ);
  if (!(mPhi > aI + aJ)) return 0.0;
  // Kallen function written as a product, free of cancellation near threshold.
  const double m2 = mPhi * mPhi;
  const double lambda = (m2 - (aI + aJ) * (aI + aJ)) * (m2 - (aI - aJ) * (aI - aJ));
  const double signedSum = mI + mJ;
  const double width = coupling * coupling * (m2 - signedSum * signedSum) * std::sqrt(lambda) /
                       (8.0 * std::numbers::pi * m2 * mPhi);
  return identical ? 0.5 * width : width;
}

}  // namespace portalscan::physics
