#pragma once
/// Production of chi through the kinetic-mixing portal when it never reaches equilibrium:
/// freeze-in, and the thermalisation ratio that decides between freeze-in and freeze-out
/// (the chi analogue of ScalarFreezeIn.hpp, erratum E11's design).
///
/// chi is made in f fbar -> V(*) -> chi chibar, V the heavy neutral vectors of the phase
/// (Z and Z_s below the electroweak crossover, X' above; Chang & Ng Eqs. 36-47). The s-channel
/// cross section splits into
///   on-shell V (narrow width): per equilibrium chi, with n_V^eq <M/E> = 3 M^2 T K_1(M/T)/(2
///     pi^2) (Hall, Jedamzik, March-Russell, West, arXiv:0911.1120, Sec. 2),
///       r_V(T) = M_V^2 K_1(M_V/T) Gamma_eff,V / (zeta(3) T^2),
///     Gamma_eff = Gamma(V -> SM) Gamma(V -> chi chibar)/Gamma_tot: the rate f fbar -> V
///     times BR(V -> chi chibar), which is Gamma(V -> chi chibar) for a V in equilibrium
///     with the plasma (Z) and Gamma(V -> SM) for a V that decays mostly to chi (a Z_s of
///     small epsilon);
///   the continuum: the contact rate of ChiFreezeOut.hpp (q^2 << M^2; Gondolo and Gelmini,
///     Nucl. Phys. B360 (1991) 145, Eq. 3.8) with the propagator's fall-off above the mass,
///     |M^2/(s - M^2)|^2 -> min(1, M^4/s^2) (its resonance is the on-shell term), i.e. the
///     contact rate times
///       S(a) = (1/384) [int_0^a x^6 K_1(x) dx + a^4 int_a^inf x^2 K_1(x) dx],  a = M_*/T,
///     M_* = M_Zs below the crossover, M_X above. S -> 1 for T << M_*; above M_* the rate per
///     chi grows only as T. This interpolation is good to O(1) near s ~ M^2, where the
///     continuum is Gamma_tot/(pi M) of the resonance.
/// The thermalisation ratio is R = max_T r(T)/H(T), H with the SM g_*; the freeze-in yield
/// per Majorana state (one chi and one chibar per Dirac pair, i.e. one per state) is
///   Y_FI = int dT n_eq(T) r(T)/(s(T) H(T) T),  n_eq = 3 zeta(3) T^3/(2 pi^2) (CN Eq. 52),
/// inverse processes neglected. At constant g_* the on-shell part is HJMW's decay yield
///   Y = 135 g_V M_Pl Gamma_eff/(8 pi^3 1.66 g_*s sqrt(g_*) M^2),  g_V = 3, 1.66 = sqrt(4
///   pi^3/45).

#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Electroweak.hpp"

#include <limits>

namespace portalscan::physics::cosmology {

/// Total width of the Z, GeV (PDG 2024: 2.4955 +- 0.0023 GeV).
inline constexpr double kZWidth = 2.4955;

/// Mean momentum over temperature at production of chi frozen in from two-body decays of a
/// boson in equilibrium (Boltzmann): the spectrum is f(q) ~ q^(-1/2) e^(-q), q = p/T
/// (the decay spectrum of Petraki and Kusenko, arXiv:0711.4646; derived in
/// docs/physics/hidden_kev_fermion.md),
/// <q> = Gamma(7/2)/Gamma(5/2) = 5/2.
inline constexpr double kFreezeInMeanMomentum = 2.5;
/// <q> of a relativistic Fermi-Dirac distribution, 7 pi^4/(180 zeta(3)) = 3.1514.
inline constexpr double kFermiDiracMeanMomentum = 3.15137;

/// Coupling of the Z_s to one SM chiral fermion of weak isospin t3, charge q, hypercharge
/// y = q - t3: Z_s = -s_eta Z_SM + c_eta X' (CN Eq. 38) with the (Z_SM, X') couplings
/// (g_2/c_W)(T3 - s_W^2 Q) and -g' s_eps Y (CN Eqs. 45-46), g' = g_2 s_W/c_W.
double zsChiralCoupling(const KineticMixing& km, double t3, double q);

/// Gamma(Z_s -> SM fermion pairs): leptons, neutrinos and quarks (u, d, s from 2 m_pi+ as
/// the hadronic threshold), Gamma = N_c M beta/(24 pi) [(g_L^2 + g_R^2)(1 - r) + 6 g_L g_R r],
/// r = m_f^2/M^2. W+W- and Z h (M_Zs > 2 M_W) are not included. GeV.
double zsToStandardModelWidth(const KineticMixing& km);

/// Gamma(X' -> SM) above the crossover: X' couples to hypercharge with g' s_eps; massless
/// Weyl fields (N Y^2 each) and the Higgs doublet (Y^2/2 per complex scalar),
/// (g' s_eps)^2 M_X 10.25/(24 pi). GeV.
double xPrimeToStandardModelWidth(const KineticMixing& km, double M3);

/// The continuum suppression S(a) above (S(inf) = 1), tabulated once.
double continuumSuppression(double a);

/// The portal with the SM widths of its vectors: what chi production needs.
struct ChiProductionPortal {
  ChiPortal portal;
  double smWidthZ = kZWidth;  ///< Gamma(Z -> SM), GeV
  double smWidthZs = 0.0;     ///< Gamma(Z_s -> SM), GeV
  double smWidthX = 0.0;      ///< Gamma(X' -> SM), GeV
};

ChiProductionPortal chiProductionPortal(const KineticMixing& km, double gS, double M3);

/// r(T): chi production rate per equilibrium chi (one Majorana state), GeV.
double chiProductionRatePerChi(const ChiProductionPortal& p, double temperature);

struct ChiFreezeIn {
  double thermalisationRatio = 0.0;  ///< max_T r(T)/H(T)
  double freezeInYield = 0.0;        ///< Y_FI per Majorana state, inverse processes neglected
  double resonantYield = 0.0;        ///< the part of Y_FI from on-shell Z, Z_s, X'
  double peakTemperature = 0.0;      ///< T of the maximum of r/H, GeV
  /// Below the peak, the T where r/H falls back to 1 (chi leaves equilibrium); NaN if the
  /// ratio stays below 1.
  double decouplingTemperature = std::numeric_limits<double>::quiet_NaN();
};

/// The decoupling temperature is searched only where the ratio is below
/// decouplingRatioLimit (a caller for which chi is a thermal relic above some ratio, and whose
/// freeze-out then decides, passes that ratio; the field stays NaN above it).
ChiFreezeIn chiFreezeIn(const ChiProductionPortal& p,
                        double decouplingRatioLimit = std::numeric_limits<double>::infinity());

}  // namespace portalscan::physics::cosmology
