#pragma once
/// Early-Universe helpers for thermal relics and entropy dilution
/// (Chang & Ng Sec. VI; Kolb & Turner, The Early Universe; Scherrer & Turner,
/// Phys. Rev. D 31 (1985) 681). Temperatures and masses in GeV, the full
/// Planck mass M_Pl = 1.22089e19 GeV throughout.

#include "portalscan/physics/ThermalHistory.hpp"

#include <functional>

namespace portalscan::physics::cosmology {

/// Hubble rate in radiation domination, H = sqrt(8 pi^3 g_*/90) T^2 / M_Pl (CN Eq. 52 r.h.s.).
double hubbleRate(double temperature, double gStar);

/// CN Eq. 52 at fixed g_*: n<sigma v> = H with n = 3 zeta(3) T^3/(2 pi^2) and
/// sigma v = A^2 G_F^2 T^2 (Eq. 51). Returns T_f in GeV (+inf for A = 0).
double freezeOutTemperature(double aChi, double gStar);

/// The same with g_*(T) evaluated self-consistently: T^3 = K sqrt(g(T)).
/// Returns NaN if no solution is bracketed.
double freezeOutTemperature(double aChi, const std::function<double(double)>& gStarOfT);

/// CN Eq. 60 (Gamma = H convention): T_r = (90/(8 pi^3))^(1/4) g_*^(-1/4) sqrt(Gamma M_Pl).
double reheatingTemperature(double width, double gStar);

/// The same with the SM g_*(T_r) solved self-consistently.
double reheatingTemperature(double width);

/// Yield n/s of a species in equilibrium at temperature T with `dof` internal
/// degrees of freedom and mass m, against the entropy g_*s:
/// Y = 45 zeta(3) dof w_n(m/T) / (2 pi^4 g_*s) (w_n = 1 massless boson, 3/4 fermion).
double equilibriumYield(thermal::Statistics s, double dof, double mass, double temperature,
                        double gStarS);

/// Entropy ratio S_after/S_before from the decay of a species of mass m and
/// yield Y reheating to T_r. The functional form of Kolb & Turner Eq. (5.73),
/// [1 + D_s^(4/3)]^(3/4), with D_s = (4/3) m Y / T_r the sudden-decay value
/// (CN Eqs. 60-62 with the exponent corrected): -> 1 when the species never
/// dominates, -> D_s (growing as tau^(1/2)) when it does. Always >= 1.
double entropyDilution(double mass, double yield, double reheatingTemperature);

/// The entropy increment X = S_f^(4/3)/S_i^(4/3) - 1 of a species that decays wholly into the
/// plasma, as a function of its sudden-decay dilution D_s = (4/3) m Y / T_r (T_r from Gamma = H
/// with the SM g_*, CN Eq. 60), from the integrated equations at constant g_*:
///   d(rho_phi a^3)/dt = -Gamma rho_phi a^3,  d(rho_r a^4)/dt = Gamma rho_phi a^4,
///   H^2 = (8 pi/3)(rho_phi + rho_r)/M_Pl^2,  S^(4/3) proportional to rho_r a^4,
/// which in units of the plasma at T_r depend on D_s alone (tabulated once, interpolated).
/// Limits: sqrt(pi/2) D_s when the species never dominates (radiation era, a ~ t^(1/2));
/// 1.088 D_s^(4/3) when it does, i.e. D = 1.065 D_s, Scherrer and Turner's numerical
/// coefficient 1.83 (Phys. Rev. D 31 (1985) 681; Kolb & Turner Eq. 5.73) against (4/3)(8
/// pi^3/90)^(1/4).
double decayEntropyIncrement(double suddenDilution);

/// Entropy ratio when only the fraction `smEnergyFraction` (f) of the decay energy goes into
/// the SM plasma, the rest into free-streaming hidden radiation (erratum E3):
///   D = [1 + f X(D_s)]^(3/4).
/// d(S^(4/3))/dt is proportional to the energy injected into the plasma, f Gamma rho_phi a^4,
/// while the expansion a(t) depends only on the total energy (plasma and hidden radiation
/// redshift alike), so S_f^(4/3) - S_i^(4/3) is f times its value at f = 1 (exact at constant
/// g_*). D -> 1 for f -> 0; D -> f^(3/4) x 1.065 D_s when the species dominates.
double entropyDilution(double mass, double yield, double reheatingTemperature,
                       double smEnergyFraction);

/// rho_hidden / rho_SM after the decays, for the same species and split (erratum E3):
/// the same integral gives rho_h a^4 = (1 - f) X and rho_SM a^4 = 1 + f X in units of the
/// initial plasma, so the ratio is (1 - f) X / (1 + f X).
double hiddenToPlasmaEnergyRatio(double mass, double yield, double reheatingTemperature,
                                 double smEnergyFraction);

/// entropyDilution and hiddenToPlasmaEnergyRatio of one decay together: the same X(D_s), read
/// once, and the same expressions (bit for bit the two functions' values).
struct DecayOutcome {
  double dilution;        ///< D = [1 + f X]^(3/4)
  double hiddenToPlasma;  ///< (1 - f) X / (1 + f X)
};
DecayOutcome decayOutcome(double mass, double yield, double reheatingTemperature,
                          double smEnergyFraction);

/// Delta N_eff of free-streaming radiation that is rho_hidden/rho_SM = `ratio` at the SM
/// temperature T (after which both redshift as a^-4 apart from the SM's g_* steps):
///   Delta N_eff = ratio (4 g_*(T)/7) [11 g_*s(today) / (4 g_*s(T))]^(4/3),
/// in units of one neutrino species of the standard (7/8)(4/11)^(4/3) rho_gamma.
double deltaNeffOfHiddenRadiation(double ratio, double temperature);

/// Omega (not Omega h^2) of a relic of total mass `mass` (GeV) and yield Y today:
/// Omega = Y s_0 m / rho_c (CN Eq. 56).
double omegaFromYield(double yield, double mass);

}  // namespace portalscan::physics::cosmology
