#pragma once
/// The low-energy signatures of the chi states (CN Sec. IV): the tritium beta
/// spectrum (Eq. 16) and coherent scattering at a spallation source and at a
/// reactor (Eqs. 27, 30-33), for a set of light neutral states — from a model
/// point, or from masses and mixings given directly as CN's figures do.

#include "portalscan/physics/Cevns.hpp"

#include <array>
#include <optional>
#include <vector>

namespace portalscan::physics::signals {

/// A light neutral state: its mass and its mixing with the flavours.
struct NeutralState {
  double mass = 0.0;          ///< |m|, GeV
  double u2e = 0.0;           ///< |U_e i|^2
  double u2mu = 0.0;          ///< |U_mu i|^2
  double rightHanded2 = 0.0;  ///< |chi_R^c component|^2: its share of the scalar coupling
  /// U_e i, U_mu i, U_tau i: the state's column of the mixing matrix on the
  /// active flavours. The Z couples mass states i and j with
  /// P_ij = sum_alpha U*_alpha i U_alpha j (CN Eq. 12); the mixing of a model
  /// point is real (Majorana phases drop out of |P_ij|).
  std::array<double, 3> amplitude{};
  /// 1 - P_ii, the state's sterile (chi_L, chi_R^c) weight, kept apart so
  /// that it keeps its digits when it is tiny.
  double sterile2 = 0.0;
  /// Im U_alpha i: zero for one N_R; three N_R with complex Yukawas give a complex
  /// mixing, P_ij = sum_alpha U*_alpha i U_alpha j then has an imaginary part.
  std::array<double, 3> amplitudeIm{};
};

/// The light states of a point: the active neutrinos and the two chi states,
/// and, for a model point, the scalar portal of CN Eq. 26.
struct LightStates {
  std::vector<NeutralState> active;
  std::array<NeutralState, 2> chi;
  /// y_chi per incoming flavour (e, mu) and the mixing: only for model points.
  std::optional<std::array<cevns::ScalarPortal, 2>> portal;
  /// false: one unitary 5x5 mixing, the Z sums over the three flavours (a
  /// model point). true: CN's flavour-blind figures, where every flavour
  /// alpha mixes alike — a unitary 3x3 {nu_alpha, s_1, s_2} per flavour, so
  /// P_ij = U*_alpha i U_alpha j with alpha the incoming flavour.
  bool perFlavour = false;
};

/// Two chi states of masses m1, m2 and mixings |U_l4| = u1, |U_l5| = u2 for
/// both flavours, and one massless active neutrino carrying the rest
/// (CN Figs. 2 and 4): nu_l = sqrt(1 - u1^2 - u2^2) nu + u1 chi_1 + u2 chi_2
/// for each flavour l on its own (perFlavour).
LightStates fromMassesAndMixings(double m1, double m2, double u1, double u2);

/// |P_ij|^2, the Z coupling of mass states i and j squared, for an incoming
/// neutrino of flavour f (f matters only for perFlavour states).
double zCoupling2(const LightStates& states, const NeutralState& i, const NeutralState& j,
                  cevns::Flavour f);

// --- Tritium ---

struct TritiumRow {
  double kinetic;    ///< E_e - m_e, GeV
  double sm;         ///< dR/dE of the Standard Model (one massless neutrino), 1/GeV per decay
  double rate;       ///< dR/dE with every light state as its own branch (CN Eq. 16)
  double ratio;      ///< rate/sm
  double deviation;  ///< 1 - ratio, computed without cancellation (CN Fig. 2b)
};
TritiumRow tritium(const LightStates& states, double kinetic);

// --- Coherent scattering ---

enum class Experiment {
  Sns,     ///< pi/mu decay at rest, the COHERENT 2017 CsI exposure of CN Sec. IV.C
  Reactor  ///< Huber-Mueller antineutrinos on CsI, per kg and day at 1e13 cm^-2 s^-1
};

/// Events per unit rate (dN/dT per nucleus and unit fluence, summed over Cs
/// and I) for the experiment's exposure: SNS, n_CsI phi_0 (COHERENT 2017);
/// reactor, CsI units in 1 kg times a fluence of 1e13 cm^-2 s^-1 for a day.
double exposure(Experiment experiment);

/// Z-exchange rates with the chi states (erratum E1 of CN Eq. 30).
///
/// The keV states decohere over metres (oscillation lengths of 1e-7 m for
/// (10 keV)^2 at MeV energies), so a source decay of flavour alpha emits mass
/// state i with probability
///   b_i = |U_alpha i|^2 G_i / sum_j |U_alpha j|^2 G_j,
/// G_i = Gamma(m_i)/Gamma(0) of the source (Flux::emission; 1 for the light
/// states), and state i scatters through the Z (CN Eq. 12) into every final
/// mass state j with |P_ji|^2 times CN Eq. 25 for the final mass m_j:
///   R = sum_i b_i sum_j |P_ji|^2 sigma(m_j).
/// P is a projector (P^2 = P), so sum_j |P_ji|^2 = P_ii and, with
/// sigma(m) = sigma(0) + Delta(m) and sum_i b_i = 1,
///   1 - R/sigma(0) = sum_i b_i (1 - P_ii) - sum_i b_i sum_{k chi} |P_ki|^2 Delta(m_k)/sigma(0),
/// each term computed as such. The light final states scatter as massless
/// (their masses are below an eV); the incoming state's mass is neglected
/// in the scattering kinematics (O(m_i^2/E^2) on terms of O(|U|^4)). To
/// first order in |U|^2 = sum_k |U_alpha k|^2 with keV chi states this is
/// 2|U|^2: CN Eq. 30 keeps only the Delta term.
struct CevnsRow {
  double recoil;     ///< T, GeV
  double sm;         ///< dN/dT of the Standard Model, events/GeV for the exposure
  double z;          ///< dN/dT of Z exchange with the chi states (erratum E1 of CN Eq. 30)
  double ratio;      ///< z/sm
  double deviation;  ///< 1 - ratio (E1), without cancellation
  /// 1 - ratio of CN Eq. 31 as printed, sum_k |U_alpha k|^2 (1 - r_k), the
  /// previous result: only the final-state mass term, no flux or coupling loss.
  double eq31;
  /// dN^(Z)(M_k)/dN^(Z)(0) for unit mixing (the ratios of CN Eqs. 31-32).
  std::array<double, 2> zRatio;
  /// CN Eq. 32 per |U_chi|^2: 2 - zRatio[0] - zRatio[1], without cancellation.
  double eq32;
  /// dN^(H)(M_k)/dN^(Z)(0) per |U_H|^2 (the terms of CN Eq. 33).
  std::array<double, 2> scalarRatio;
  /// CN Eq. 33: scalarRatio[0] + scalarRatio[1].
  double eq33;
  /// dN/dT of scalar exchange for a model point (NaN without a portal).
  double scalar;
};
CevnsRow cevns(const LightStates& states, Experiment experiment, double recoil);

struct CevnsCount {
  double sm;         ///< Standard Model events above the threshold
  double ratio;      ///< Z-exchange events with the chi states over sm (E1, see CevnsRow)
  double deviation;  ///< 1 - ratio, without cancellation
  double eq31;       ///< 1 - ratio of CN Eqs. 30-31 as printed (the previous result)
};
/// Events with recoil above a threshold, summed over the source's components
/// (each with its flavour's mixing) and over Cs and I.
CevnsCount cevnsCount(const LightStates& states, Experiment experiment, double threshold);

}  // namespace portalscan::physics::signals
