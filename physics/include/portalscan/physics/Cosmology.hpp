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

/// Omega (not Omega h^2) of a relic of total mass `mass` (GeV) and yield Y today:
/// Omega = Y s_0 m / rho_c (CN Eq. 56).
double omegaFromYield(double yield, double mass);

}  // namespace portalscan::physics::cosmology
