#pragma once
/// Effective numbers of relativistic degrees of freedom of the Standard Model,
/// g_*(T) (energy) and g_*s(T) (entropy), as in Husdal, Galaxies 4 (2016) 78,
/// arXiv:1609.04979: the exact Bose/Fermi energy and entropy integrals per
/// species, quarks and gluons above T_c = 150 MeV and pions below, neutrinos
/// decoupled below 2 MeV with T_nu from entropy conservation of the
/// photon-electron plasma.
///
/// The per-species integrals are computed once (Gauss-Kronrod) and the SM sums
/// tabulated on a log T grid per phase (above T_c, between, below neutrino
/// decoupling), so that one call is one spline evaluation. Hidden species are
/// added by the caller with `energyWeight` / `entropyWeight`.

namespace portalscan::physics::thermal {

enum class Statistics { Boson, Fermion };

/// Energy density of one internal degree of freedom of mass m at temperature T,
/// in units of a massless boson's (pi^2/30) T^4, as a function of x = m/T:
/// 1 for a massless boson, 7/8 for a massless fermion, -> 0 as x -> infinity.
double energyWeight(Statistics s, double x);
/// Entropy density per degree of freedom in units of (2 pi^2/45) T^3.
double entropyWeight(Statistics s, double x);
/// Number density per degree of freedom in units of zeta(3) T^3 / pi^2
/// (1 for a massless boson, 3/4 for a massless fermion).
double numberWeight(Statistics s, double x);

/// Temperature of the QCD transition used for the quark/hadron switch (Husdal).
inline constexpr double kQcdTransitionTemperature = 0.150;  // GeV
/// Temperature below which neutrinos are decoupled (Husdal).
inline constexpr double kNeutrinoDecouplingTemperature = 2.0e-3;  // GeV
/// Range of the tabulation; outside it the end values are used.
inline constexpr double kMinTemperature = 1.0e-6;  // GeV (1 keV: e+e- annihilation is over)
inline constexpr double kMaxTemperature = 1.0e5;   // GeV (all SM species relativistic)

/// Standard Model g_*(T), T in GeV.
double gStar(double temperature);
/// Standard Model g_*s(T), T in GeV.
double gStarS(double temperature);

/// g_*(T) and g_*s(T) from u = ln T, for the kernel's solves that work in ln T: the same
/// tables read without a log (equal to gStar(exp(u)) to rounding); inside a
/// reference::SlowPath scope, gStar(exp(u)).
double gStarOfLog(double lnT);
double gStarSOfLog(double lnT);
/// d ln g_* / d ln T at u = ln T, the derivative of the table gStarOfLog reads (its cubic's own;
/// 0 outside the tabulated range, where g_* is constant); inside a reference::SlowPath scope,
/// Boost's spline derivative at log10(exp(u)).
double gStarLogSlopeOfLog(double lnT);
/// gStarOfLog(lnT) with gStarLogSlopeOfLog(lnT) in logSlope and d^2 ln g_* / d (ln T)^2 in
/// logCurvature (the second derivative of the same table, its cubic's own; 0 outside the
/// tabulated range): the same values from one look-up of the table; inside a reference::SlowPath
/// scope, the slow functions and Boost's spline's second derivative at log10(exp(u)).
double gStarOfLogWithLogDerivatives(double lnT, double& logSlope, double& logCurvature);
/// energyWeight from ln x (the same table without its log); inside a reference::SlowPath
/// scope, energyWeight(s, exp(lnX)).
double energyWeightOfLog(Statistics s, double lnX);

/// The same, computed directly from the per-species integrals, without the
/// T tabulation (for tests and for building the tables).
double gStarDirect(double temperature);
double gStarSDirect(double temperature);

}  // namespace portalscan::physics::thermal
