#pragma once
/// Units and physical constants: the only place in portalscan where a physical
/// number is written down. Native units are GeV with hbar = c = 1; a quantity
/// in other units says so in its name (`lifetimeInSeconds`).
///
/// Sources: PDG 2024 (S. Navas et al., Phys. Rev. D 110 (2024) 030001) unless
/// stated; CODATA 2018 for hbar and hbar*c; Planck 2018 (arXiv:1807.06209) for
/// the cosmological parameters. The values are the ones fixed by the project's
/// physics contract (shared/physics.md).

#include <numbers>

namespace portalscan {

namespace detail {
/// constexpr square root (Newton), so that derived constants stay constexpr.
constexpr double constexprSqrt(double x) {
  if (x <= 0.0) return 0.0;
  double r = x > 1.0 ? x : 1.0;
  for (int i = 0; i < 200; ++i) {
    const double next = 0.5 * (r + x / r);
    if (next == r) break;
    r = next;
  }
  return r;
}
}  // namespace detail

namespace units {
inline constexpr double GeV = 1.0;
inline constexpr double TeV = 1e3 * GeV;
inline constexpr double MeV = 1e-3 * GeV;
inline constexpr double keV = 1e-6 * GeV;
inline constexpr double eV = 1e-9 * GeV;

/// hbar in GeV s (CODATA 2018, exact in the 2019 SI).
inline constexpr double hbarInGeVSeconds = 6.582119569e-25;
/// One second in GeV^-1.
inline constexpr double second = 1.0 / hbarInGeVSeconds;
/// hbar c in GeV cm (CODATA 2018).
inline constexpr double hbarCInGeVCm = 1.973269804e-14;
/// hbar c in GeV fm.
inline constexpr double hbarCInGeVFm = 1.973269804e-1;
/// One centimetre in GeV^-1.
inline constexpr double cm = 1.0 / hbarCInGeVCm;
inline constexpr double meter = 100.0 * cm;
/// Julian year in seconds (IAU), used for the age of the Universe.
inline constexpr double julianYearInSeconds = 3.15576e7;
}  // namespace units

namespace constants {
using std::numbers::pi;

// --- Electroweak (PDG 2024) ---
inline constexpr double G_F = 1.1663788e-5;           ///< Fermi constant, GeV^-2
inline constexpr double M_W = 80.3692;                ///< W mass, GeV (PDG 2024 world average)
inline constexpr double M_Z = 91.1880;                ///< Z mass, GeV
inline constexpr double M_H = 125.20;                 ///< Higgs mass, GeV
inline constexpr double alpha = 1.0 / 137.035999177;  ///< fine-structure constant at q^2 = 0
/// Higgs vev v = (sqrt2 G_F)^(-1/2) = 246.22 GeV, with <H> = v/sqrt2.
inline constexpr double v = 1.0 / detail::constexprSqrt(std::numbers::sqrt2 * G_F);
inline constexpr double g2 = 2.0 * M_W / v;  ///< SU(2) coupling, g_2 = 2 M_W / v
/// On-shell weak mixing angle sin^2 theta_W = 1 - M_W^2/M_Z^2 (= 0.22321).
/// Used at tree level in the kinetic-mixing block and for Z couplings (CN Eqs. 36-48).
inline constexpr double sin2ThetaW_onShell = 1.0 - (M_W * M_W) / (M_Z * M_Z);
/// Low-energy (Q -> 0) MS-bar weak mixing angle, for nuclear weak charges (PDG 2024 EW review).
inline constexpr double sin2ThetaW_lowEnergy = 0.23857;
inline constexpr double Gamma_H_SM = 4.10e-3;         ///< SM Higgs width, GeV (LHC Higgs WG)
inline constexpr double Gamma_Z_nunu = 167.2e-3;      ///< SM Gamma(Z -> nu nubar) per flavour, GeV
inline constexpr double BR_Z_mumu = 0.033662;         ///< BR(Z -> mu+ mu-)
inline constexpr double BR_Z_bb = 0.1512;             ///< BR(Z -> b bbar)
inline constexpr double BR_pi0_gammagamma = 0.98823;  ///< BR(pi0 -> gamma gamma), PDG 2024

// --- Lepton and hadron masses, GeV (PDG 2024) ---
inline constexpr double m_e = 0.51099895e-3;
inline constexpr double m_mu = 0.1056583755;
inline constexpr double m_tau = 1.77693;
inline constexpr double m_pi_charged = 0.13957039;
inline constexpr double m_pi0 = 0.1349768;
inline constexpr double m_K_charged = 0.493677;
inline constexpr double m_p = 0.93827208816;
inline constexpr double m_n = 0.93956542052;
/// Lightest open-charm and open-bottom mesons (PDG 2024: D0 1.86484 < D+ 1.86966,
/// B+ 5.27934 < B0 5.27966): phi^0 -> c cbar, b bbar open at twice these.
inline constexpr double m_D0 = 1.86484;
inline constexpr double m_B_charged = 5.27934;

// --- Quark masses, GeV ---
inline constexpr double m_u = 2.16e-3;  ///< MS-bar m_u(2 GeV), PDG 2024 (thermal history only)
inline constexpr double m_d = 4.70e-3;  ///< MS-bar m_d(2 GeV), PDG 2024 (thermal history only)
inline constexpr double m_s = 0.093;    ///< MS-bar m_s(2 GeV)
inline constexpr double m_c = 1.27;     ///< MS-bar m_c(m_c)
inline constexpr double m_b = 4.18;     ///< MS-bar m_b(m_b)
inline constexpr double m_t = 172.57;   ///< top mass from direct measurements, PDG 2024
inline constexpr double alpha_s_MZ = 0.1180;  ///< alpha_s(M_Z), MS-bar, PDG 2024

// --- Lifetimes, seconds (PDG 2024) ---
inline constexpr double tau_mu_seconds = 2.1969811e-6;
inline constexpr double tau_tau_seconds = 290.3e-15;

// --- Gravitation and cosmology ---
/// Full Planck mass G_N^(-1/2), GeV (PDG 2024). CN's 87.5 MeV and 1.11 MeV use 1.0e19.
inline constexpr double M_Pl = 1.22089e19;
inline constexpr double ageOfUniverseInGyr = 13.797;  ///< Planck 2018 (TT,TE,EE+lowE+lensing)
inline constexpr double ageOfUniverseInSeconds =
    ageOfUniverseInGyr * 1e9 * units::julianYearInSeconds;
inline constexpr double s0_perCm3 = 2891.2;  ///< present entropy density, cm^-3 (T_0 = 2.7255 K)
inline constexpr double rhoCritOverH2_GeVPerCm3 =
    1.05367e-5;                             ///< rho_c / h^2, GeV cm^-3 (PDG 2024)
inline constexpr double h = 0.674;          ///< reduced Hubble constant (Planck 2018)
inline constexpr double OmegaCh2 = 0.1200;  ///< cold dark matter density (Planck 2018)
inline constexpr double OmegaCh2_sigma = 0.0012;
inline constexpr double zeta3 = 1.2020569031595942853997;  ///< Riemann zeta(3)

// --- Nuclear ---
/// Tritium beta-decay endpoint Q, GeV (recoil and molecular effects neglected, as in CN).
inline constexpr double Q_tritium = 18.5906e-6;
inline constexpr double N_A = 6.02214076e23;  ///< Avogadro constant, mol^-1 (exact)
inline constexpr double u = 0.93149410242;    ///< atomic mass unit, GeV (CODATA 2018)
/// Atomic masses in u (AME 2020: M. Wang et al., Chin. Phys. C 45 (2021) 030003).
inline constexpr double massCs133_u = 132.905451961;
inline constexpr double massI127_u = 126.904472;

/// The constants above with their units, for the provenance record of an output file.
struct NamedConstant {
  const char* name;
  double value;
  const char* unit;
};
inline constexpr NamedConstant kTable[] = {{"G_F", G_F, "GeV^-2"},
                                           {"M_W", M_W, "GeV"},
                                           {"M_Z", M_Z, "GeV"},
                                           {"M_H", M_H, "GeV"},
                                           {"alpha", alpha, "1"},
                                           {"v", v, "GeV"},
                                           {"sin2ThetaW_onShell", sin2ThetaW_onShell, "1"},
                                           {"sin2ThetaW_lowEnergy", sin2ThetaW_lowEnergy, "1"},
                                           {"Gamma_H_SM", Gamma_H_SM, "GeV"},
                                           {"Gamma_Z_nunu", Gamma_Z_nunu, "GeV"},
                                           {"BR_Z_mumu", BR_Z_mumu, "1"},
                                           {"BR_Z_bb", BR_Z_bb, "1"},
                                           {"BR_pi0_gammagamma", BR_pi0_gammagamma, "1"},
                                           {"m_e", m_e, "GeV"},
                                           {"m_mu", m_mu, "GeV"},
                                           {"m_tau", m_tau, "GeV"},
                                           {"m_pi_charged", m_pi_charged, "GeV"},
                                           {"m_pi0", m_pi0, "GeV"},
                                           {"m_K_charged", m_K_charged, "GeV"},
                                           {"m_p", m_p, "GeV"},
                                           {"m_n", m_n, "GeV"},
                                           {"m_D0", m_D0, "GeV"},
                                           {"m_B_charged", m_B_charged, "GeV"},
                                           {"m_s", m_s, "GeV"},
                                           {"m_c", m_c, "GeV"},
                                           {"m_b", m_b, "GeV"},
                                           {"m_t", m_t, "GeV"},
                                           {"alpha_s_MZ", alpha_s_MZ, "1"},
                                           {"tau_mu", tau_mu_seconds, "s"},
                                           {"tau_tau", tau_tau_seconds, "s"},
                                           {"M_Pl", M_Pl, "GeV"},
                                           {"age_of_universe", ageOfUniverseInSeconds, "s"},
                                           {"s0", s0_perCm3, "cm^-3"},
                                           {"rho_c_over_h2", rhoCritOverH2_GeVPerCm3, "GeV cm^-3"},
                                           {"h", h, "1"},
                                           {"Omega_c_h2", OmegaCh2, "1"},
                                           {"Q_tritium", Q_tritium, "GeV"},
                                           {"atomic_mass_unit", u, "GeV"},
                                           {"mass_Cs133", massCs133_u, "u"},
                                           {"mass_I127", massI127_u, "u"},
                                           {"hbar", units::hbarInGeVSeconds, "GeV s"}};
}  // namespace constants

}  // namespace portalscan
