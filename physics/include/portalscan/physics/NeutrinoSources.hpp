#pragma once
/// Neutrino sources of CN Sec. IV.C: pion and muon decay at rest at a
/// spallation source, and reactor antineutrinos.
///
/// Spectra are probability densities in 1/GeV (each integrates to 1 over its
/// energy range); a source's normalisation (fluence, detector) is separate.

#include <array>

namespace portalscan::physics::sources {

// --- Pion decay at rest (SNS) ---

/// Energy of the prompt nu_mu line from pi+ -> mu+ nu_mu at rest,
/// (m_pi^2 - m_mu^2)/(2 m_pi) = 29.79 MeV (CN Eq. 29a).
double pionLineEnergy();

/// Largest neutrino energy of mu+ -> e+ nu_e nubar_mu at rest, m_mu/2.
double muonDecayMaxEnergy();

/// Michel spectrum of nu_e from mu+ decay at rest, (192/m_mu) x^2 (1/2 - x),
/// x = E/m_mu, on [0, m_mu/2]: CN Eq. 29b with E_mu = m_mu, p_mu = 0. The
/// printed Eq. 29b with the moving muon (E_mu = 109.78 MeV) does not normalise
/// and turns negative below E_mu/2 (audit §2.4); the muons stop before they
/// decay at the SNS.
double muonDecayNuE(double energy);

/// Michel spectrum of nubar_mu, (64/m_mu) x^2 (3/4 - x) on [0, m_mu/2]
/// (CN Eq. 29c at rest).
double muonDecayNuMuBar(double energy);

/// CN Eq. 29b and 29c exactly as printed, with a muon of energy E_mu and
/// momentum p_mu, up to E_mu/2: kept to show why they are not used.
double printedEq29bNuE(double energy, double muonEnergy, double muonMomentum);

// --- Emission of a massive state (erratum E1 of the CEvNS rates) ---
//
// Gamma(m)/Gamma(0): how much more or less often a source emits a neutral
// state of mass m than a massless one, per unit |U_alpha i|^2. The CEvNS
// rates use it to share each source decay among the mass eigenstates
// (LowEnergySignals.hpp).

/// pi+ -> mu+ nu_i: the two-body ratio of R. E. Shrock, Phys. Rev. D 24 (1981)
/// 1232, rho(d_mu, d)/rho(d_mu, 0) with d = m^2/m_pi^2 and
/// rho = [d_mu + d - (d_mu - d)^2] lambda^(1/2)(1, d_mu, d); zero for
/// m >= m_pi - m_mu. For the muon channel the phase space outweighs the
/// lifted helicity suppression: 1 - 9e-6 at 5 MeV, 0.9976 at 10 MeV.
double pionDecayEmission(double mass);

/// mu+ -> e+ nu nubar with one massive state: 1 below m_mu - m_e, 0 above.
/// The phase-space reduction below that threshold, O(m^2/m_mu^2) (1e-8 for
/// 10 keV), is neglected.
double muonDecayEmission(double mass);
double printedEq29cNuMuBar(double energy, double muonEnergy, double muonMomentum);

/// The COHERENT CsI run of 2017 as CN Sec. IV.C describes it (COHERENT,
/// Science 357 (2017) 1123): protons on target, neutrinos of each flavour per
/// proton, distance to the detector, detector mass and CsI molar mass.
struct Coherent2017 {
  static constexpr double protonsOnTarget = 1.76e23;
  static constexpr double neutrinosPerFlavourPerProton = 0.08;
  static constexpr double distanceInMeters = 19.3;
  static constexpr double detectorMassInKg = 14.6;
  static constexpr double csiMolarMassInGrams = 259.8;
  /// phi_0 = r N_POT/(4 pi L^2), neutrinos per cm^2 of each flavour (3.008e14).
  static double fluencePerFlavourPerCm2();
  /// n_CsI = N_A M_det/M_CsI, CsI units (each one Cs and one I nucleus; 3.384e25).
  static double csiUnits();
};

// --- Reactor antineutrinos ---

/// Fractions of fissions from U-235, U-238, Pu-239, Pu-241.
struct FissionFractions {
  double u235, u238, pu239, pu241;
};
/// A representative pressurised-water reactor mid-cycle: 0.58, 0.07, 0.30, 0.05.
/// Not taken from one experiment; docs/physics/figures.md shows how little the
/// ratios depend on it.
inline constexpr FissionFractions kTypicalReactor{0.58, 0.07, 0.30, 0.05};

/// Range of the Huber-Mueller fits, [2, 8] MeV.
inline constexpr double kReactorMinEnergy = 2.0e-3;
inline constexpr double kReactorMaxEnergy = 8.0e-3;

/// Antineutrinos per fission per GeV: exp(sum_k a_k E^k), E in MeV, with the
/// fits of P. Huber, Phys. Rev. C 84 (2011) 024617 (U-235, Pu-239, Pu-241)
/// and Th. A. Mueller et al., Phys. Rev. C 83 (2011) 054615 (U-238), weighted
/// by the fission fractions. Zero outside [2, 8] MeV, the range of the fits.
double reactorPerFission(double energy, const FissionFractions& fractions = kTypicalReactor);

/// Antineutrinos per fission over [2, 8] MeV.
double reactorPerFissionTotal(const FissionFractions& fractions = kTypicalReactor);

/// reactorPerFission normalised to 1 over [2, 8] MeV.
double reactorSpectrum(double energy, const FissionFractions& fractions = kTypicalReactor);

/// Allowed beta decay emits a state of mass m at total energy E with the
/// phase space p E instead of E^2, the factor sqrt(1 - m^2/E^2) theta(E - m)
/// of CN Eq. 16 (exact per beta branch at fixed E). Over the fits' range:
/// int phi(E) sqrt(1 - m^2/E^2) dE / int phi(E) dE on [max(2 MeV, m), 8 MeV].
double reactorEmission(double mass, const FissionFractions& fractions = kTypicalReactor);
/// The same as antineutrinos per fission not emitted, (1 - G(m)) times
/// reactorPerFissionTotal, for callers that hold the total.
double reactorEmissionLoss(double mass, const FissionFractions& fractions = kTypicalReactor);

}  // namespace portalscan::physics::sources
