#pragma once
/// Freeze-out of chi through the kinetic-mixing portal (Chang & Ng Sec. VI,
/// Eqs. 51-55), with the Z and Z_s exchanges added at the amplitude level
/// (erratum E7).
///
/// At momentum transfers far below the masses of the heavy neutral bosons, the
/// chi-f amplitude is g_chi^T (M^2)^(-1) g_f in the (Z_SM, X') basis of CN
/// Eqs. 36-40. With the couplings of CN Eqs. 45-46 the T^3 and axial parts
/// cancel between Z and Z_s exactly, for any M_3:
///   below the electroweak crossover  G_Q = g_s e c_W epsilon / M_3^2   (times Q_f, vector),
///   above it (X' mixes only with B)  G_Y = g_s g' epsilon / M_3^2      (times Y of each field),
/// with e = g_2 s_W and g' = e/c_W at tree level (on-shell s_W, as in the mixing block).
/// The annihilation chi chibar -> SM is summed over the species present at T
/// with their thresholds; the point is outside the estimate's validity when
/// the neglected propagator and resonance (inverse-decay) terms are not small.

#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/ThermalHistory.hpp"

#include <functional>
#include <limits>

namespace portalscan::physics::cosmology {

/// Electroweak crossover temperature of the SM: T_c = 159.5 +- 1.5 GeV
/// (D'Onofrio and Rummukainen, arXiv:1508.07161). Below it the broken-phase
/// couplings G_Q are used, above it the symmetric-phase G_Y.
inline constexpr double kElectroweakCrossover = 159.5;

/// Above this estimated size of the neglected terms (`freezeout_neglected`) a
/// point gets the status freezeout_invalid: a factor 1.5 in the rate
/// moves T_f by at most 1.5^(-1/3) = 0.87.
inline constexpr double kFreezeOutValidity = 0.5;

/// Threshold factor of a contact (vector-current) annihilation of massless
/// initial states into a pair of mass m, the ratio of the thermal averages
/// <sigma v_Mol> (Boltzmann statistics; Gondolo and Gelmini, Nucl. Phys. B360
/// (1991) 145, Eq. 3.8, massless initial states) at mass m and at m = 0:
///   F(r) = (1/384) int_{2r}^inf x^6 w(x) K_1(x) dx,  r = m/T,
/// w = beta (1 + 2 r^2/x^2) for a fermion pair and beta^3 for a scalar pair,
/// beta = sqrt(1 - 4 r^2/x^2). F(0) = 1; tabulated once.
double contactThreshold(thermal::Statistics s, double r);

/// The chi portal of one point: contact couplings and the heavy vector bosons
/// whose on-shell and off-shell effects the contact estimate neglects.
struct ChiPortal {
  double gQ = 0.0;  ///< chi coupling to the electromagnetic current below the crossover, GeV^-2
  double gY = 0.0;  ///< chi coupling to the hypercharge current above the crossover, GeV^-2
  double mZ = 0.0, widthZ = 0.0;    ///< Z mass and Gamma(Z -> chi chibar), GeV (CN Eq. 47)
  double mZs = 0.0, widthZs = 0.0;  ///< Z_s mass and Gamma(Z_s -> chi chibar), GeV
  double mX = 0.0, widthX = 0.0;    ///< X' (symmetric phase) mass c_eps M_3 and its chi width
};

/// The portal from the exact kinetic-mixing solution, g_s and M_3 = g_s v_s.
ChiPortal chiPortal(const KineticMixing& km, double gS, double M3);

/// Annihilation rate of one chi, Gamma = n <sigma v> with CN's
/// n = 3 zeta(3) T^3/(2 pi^2) (CN Eq. 52) and the contact cross sections
/// sigma(chi chibar -> f fbar) = N_c G^2 Q_f^2 s beta (1 + 2 m^2/s)/(12 pi) (scalars
/// G^2 s beta^3/(48 pi)), <sigma v> = 2 N_c G^2 Q^2 T^2/pi per massless Dirac fermion.
/// Below the crossover: e, mu, tau and quarks u..t (N_c = 3) above the QCD transition,
/// pi+- below it; above: every SM Weyl field and the Higgs doublet with hypercharge Y,
/// <sigma v> = G_Y^2 T^2 (sum_Weyl N Y^2 + sum_scalars Y^2/2)/pi = 10.25 G_Y^2 T^2/pi. GeV.
double chiAnnihilationRate(const ChiPortal& p, double temperature);
/// The same with lnT = ln(temperature) given, so that the species-sum table is read without a
/// log (the kernel's solves work in ln T); the reference path ignores lnT.
double chiAnnihilationRate(const ChiPortal& p, double temperature, double lnT);
/// d ln Gamma/d ln T of that rate at T (lnT = ln T): 5 plus the species sum's log-slope
/// (the derivative of the table it reads; the reference path: of Boost's spline); 5 above the
/// crossover. Independent of the couplings.
double chiAnnihilationRateLogSlope(const ChiPortal& p, double temperature, double lnT);
/// d^2 ln Gamma/d (ln T)^2 of that rate: the species sum's, from the second derivative of the
/// table it reads (the reference path: of Boost's spline); 0 above the crossover.
double chiAnnihilationRateLogCurvature(const ChiPortal& p, double temperature, double lnT);
/// chiAnnihilationRate(p, T, lnT) with chiAnnihilationRateLogSlope in logSlope and
/// chiAnnihilationRateLogCurvature in logCurvature: the same values, the fast path reading the
/// species-sum table once.
double chiAnnihilationRateWithLogDerivatives(const ChiPortal& p, double temperature, double lnT,
                                             double& logSlope, double& logCurvature);

/// Estimated relative size, at temperature T, of what the contact rate leaves out,
/// the largest over the heavy vector bosons V of the phase (Z and Z_s below the
/// crossover, X' above):
///   off-shell propagator:  2 <s>_w/M_V^2 = 96 T^2/M_V^2 (first order in s/M^2 of <sigma v>),
///   on-shell V:            inverse decays chi chibar -> V, per chi
///                          M_V^2 K_1(M_V/T) Gamma(V -> chi chibar)/(zeta(3) T^2),
///                          over the contact rate.
double chiFreezeOutNeglected(const ChiPortal& p, double temperature);

struct ChiFreezeOut {
  double temperature = std::numeric_limits<double>::quiet_NaN();  ///< T_f, GeV
  double neglected = std::numeric_limits<double>::quiet_NaN();    ///< chiFreezeOutNeglected at T_f
};

/// Gamma(T_f) = H(T_f) with H = sqrt(8 pi^3 g_*(T)/90) T^2/M_Pl (CN Eq. 52 with the rate
/// above). T_f = +inf if chi does not couple (G_Q = G_Y = 0); NaN if no solution lies in
/// 1e-4 .. 1e19 GeV (then chi never reaches or never leaves equilibrium through the contact
/// interaction, and neglected = +inf).
ChiFreezeOut chiFreezeOut(const ChiPortal& p, const std::function<double(double)>& gStarOfT);
/// The same with g_* also as a function of ln T (gStarOfLnT(ln T) = gStarOfT(T)), which the
/// fast path's secant steps, working in ln T, read without a log per table.
ChiFreezeOut chiFreezeOut(const ChiPortal& p, const std::function<double(double)>& gStarOfT,
                          const std::function<double(double)>& gStarOfLnT);

}  // namespace portalscan::physics::cosmology
