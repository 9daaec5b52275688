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
};

/// The light states of a point: the active neutrinos and the two chi states,
/// and, for a model point, the scalar portal of CN Eq. 26.
struct LightStates {
  std::vector<NeutralState> active;
  std::array<NeutralState, 2> chi;
  /// y_chi per incoming flavour (e, mu) and the mixing: only for model points.
  std::optional<std::array<cevns::ScalarPortal, 2>> portal;
};

/// Two chi states of masses m1, m2 and mixings |U_l4| = u1, |U_l5| = u2 for
/// both flavours, and one massless active neutrino carrying the rest
/// (CN Figs. 2 and 4).
LightStates fromMassesAndMixings(double m1, double m2, double u1, double u2);

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

struct CevnsRow {
  double recoil;     ///< T, GeV
  double sm;         ///< dN/dT of the Standard Model, events/GeV for the exposure
  double z;          ///< dN/dT of Z exchange with the chi states (CN Eq. 30)
  double ratio;      ///< z/sm
  double deviation;  ///< 1 - ratio (CN Eq. 31), without cancellation
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
  double ratio;      ///< Z-exchange events with the chi states over sm (CN Eq. 30)
  double deviation;  ///< 1 - ratio, without cancellation
};
/// Events with recoil above a threshold, summed over the source's components
/// (each with its flavour's mixing) and over Cs and I.
CevnsCount cevnsCount(const LightStates& states, Experiment experiment, double threshold);

}  // namespace portalscan::physics::signals
