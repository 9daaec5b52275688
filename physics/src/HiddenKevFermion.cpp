#include "portalscan/physics/HiddenKevFermion.hpp"

#include "portalscan/physics/ChiFreezeIn.hpp"
#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/Pmns.hpp"
#include "portalscan/physics/ScalarDecays.hpp"
#include "portalscan/physics/ScalarFreezeIn.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <optional>

namespace portalscan::physics {

using std::numbers::pi;
using std::numbers::sqrt2;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
/// Mixings below this are double-precision noise of an exactly sterile state (audit §2.1).
constexpr double kMixingFloor = 1e-30;
/// The warm-dark-matter bounds are published for a relic that is all of the
/// dark matter; a warm share below 0.35 is allowed at any mass above 5 keV
/// (non-resonant sterile-neutrino mass, Bayesian 95%: Boyarsky, Lesgourgues,
/// Ruchayskiy, Viel arXiv:0812.0010), so portalscan tests them from this share on.
constexpr double kWdmShareTested = 0.35;

// Basis indices of the 5x5 matrix.
constexpr int kNuE = 0;
constexpr int kChiL = 3;
constexpr int kChiRc = 4;

// Observable slots, in the order of the specification list below.
enum Obs : std::size_t {
  // spectrum
  m_nu_1,
  m_nu_2,
  m_nu_3,
  m_chi_light,
  m_chi_heavy,
  delta_m_chi,
  U2_chi_light,
  U2_chi_heavy,
  U2e_chi_light,
  U2e_chi_heavy,
  theta_eq9,
  m_ee,
  m_ee_active,
  m_beta,
  sum_m_nu,
  // chi decays
  Gamma_chi_light_3nu,
  Gamma_chi_light_nugamma,
  tau_chi_light,
  Gamma_chi_heavy_3nu,
  Gamma_chi_heavy_nugamma,
  tau_chi_heavy,
  E_xray_light,
  E_xray_heavy,
  // beta decay
  E_kink_light,
  E_kink_heavy,
  // electroweak
  s_epsilon,
  M_3,
  eta,
  M_Z_shifted,
  M_Zs,
  delta_rho,
  Gamma_Z_chichi,
  delta_Gamma_Z_inv,
  BR_Z_mumu_phi,
  BR_Z_bb_phi,
  // cosmology
  sin_alpha,
  A_chi,
  T_freezeout,
  Y_chi,
  Omega_chi_thermal,
  Gamma_phi_SM,
  Gamma_phi_chichi,
  Gamma_phi,
  tau_phi,
  BR_phi_chichi,
  T_reheat,
  T_dec_phi,
  Y_phi,
  dilution,
  Omega_chi,
  Omega_chi_h2,
  Omega_chi_over_DM,
  Gamma_phi_nuchi,
  BR_phi_chi_producing,
  f_SM_phi,
  Y_chi_decay,
  f_hot_chi,
  Delta_N_eff_decay,
  Delta_N_eff_BBN,
  Omega_chi_light_over_DM,
  Omega_chi_heavy_over_DM,
  sin2_2theta_xray_light,
  sin2_2theta_xray_heavy,
  dm_decay_rate,
  m_wdm_equivalent,
  // higgs
  Gamma_h_phiphi,
  BR_h_inv,
  decay_length_phi,
  P_phi_invisible,
  // cevns (opt-in)
  cevns_sns_ratio,
  cevns_sns_deviation,
  cevns_reactor_ratio,
  cevns_reactor_deviation,
  // cosmology, added with errata E7 and E11
  G_chi_Q,
  freezeout_neglected,
  thermalisation_ratio,
  Y_phi_freeze_in,
  phi_regime,
  // cosmology, chi production regime (freeze-out or freeze-in)
  chi_thermalisation_ratio,
  Y_chi_freeze_in,
  chi_regime,
  // spectrum, per-flavour chi mixings (every option)
  U2mu_chi_light,
  U2mu_chi_heavy,
  U2tau_chi_light,
  U2tau_chi_heavy,
  // spectrum, oscillation parameters of the light active block (n_R = 3)
  dm2_21,
  dm2_3l,
  sin2_theta12,
  sin2_theta13,
  sin2_theta23,
  delta_CP,
  pmns_nonunitarity,
  yukawa_max,
  // spectrum, the exact values against the Casas-Ibarra inputs (n_R = 3, casas_ibarra)
  shift_m_nu_1,
  shift_m_nu_2,
  shift_m_nu_3,
  shift_dm2_21,
  shift_dm2_3l,
  shift_sin2_theta12,
  shift_sin2_theta13,
  shift_sin2_theta23,
  shift_delta_CP,
  kObservableCount
};

std::vector<ParameterSpec> parameterSpecs() {
  return {
      {"M_N", "GeV", 1e14, "Majorana mass of the heavy singlet N_R (integrated out)"},
      {"y_e", "1", 0.3, "Yukawa coupling of N_R to the electron-flavour lepton doublet"},
      {"y_mu", "1", 0.0, "Yukawa coupling of N_R to the muon-flavour lepton doublet"},
      {"y_tau", "1", 0.0, "Yukawa coupling of N_R to the tau-flavour lepton doublet"},
      {"f_L", "1", 1e-3, "Yukawa coupling chi_L-bar N_R phi (CN Eq. 1)"},
      {"f_R", "1", 1e-3, "Yukawa coupling chi_R^c-bar N_R phi* (CN Eq. 1)"},
      {"v_s", "GeV", 1000.0, "U(1)_s breaking vev, <phi> = v_s/sqrt2"},
      {"M_chi", "GeV", 2.5e-5, "Dirac mass of chi (not the physical mass)"},
      {"epsilon", "1", 6.5e-9,
       "kinetic mixing of U(1)_s with hypercharge (CN Eq. 1), |epsilon| < 1"},
      {"g_s", "1", 1.0, "U(1)_s gauge coupling"},
      {"m_phi", "GeV", 2.0, "mass of the hidden scalar phi^0"},
      {"kappa", "1", 2e-9, "quartic Higgs-portal coupling of (H^dag H)(phi^* phi) (CN Eq. 1)"},
      {"T_threshold_sns", "GeV", 5e-6,
       "nuclear-recoil threshold of the cevns_sns observables (the cevns block)"},
      {"T_threshold_reactor", "GeV", 1e-7,
       "nuclear-recoil threshold of the cevns_reactor observables (the cevns block)"},
      {"R_detector", "m", 7.3,
       "radius beyond which a phi^0 from h -> phi^0 phi^0 counts as escaped (the higgs block; "
       "default: CMS, half its 14.6 m diameter, JINST 3 (2008) S08004)"},
  };
}

constexpr const char* kThree = "n_R=3";
constexpr const char* kCasasIbarra = "n_R=3, yukawa=casas_ibarra";

/// NuFIT 4.1 (www.nu-fit.org, July 2019; Esteban, Gonzalez-Garcia, Hernandez-Cabezudo,
/// Maltoni, Schwetz, arXiv:1811.05487 updated), best fit with the Super-Kamiokande atmospheric
/// data, per ordering. The minima of NuFIT 4.1's one-dimensional Delta chi^2 tables (as GAMBIT
/// 1.5 ships them, NeutrinoBit/data/NuFit_v4.1) agree on their grids: normal s12^2 0.31, s13^2
/// 0.0224, s23^2 0.565, delta -140 deg, Delta m^2_3l 2.525e-3 eV^2; inverted s13^2 0.0226,
/// delta -80 deg, Delta m^2_3l -2.51e-3 eV^2.
struct OscillationDefaults {
  double s12sq, s13sq, s23sq, deltaDegrees, dm2_21, dm2_3l;  // eV^2
};
constexpr OscillationDefaults kNuFit41Normal{0.310, 0.02237, 0.563, 221.0, 7.39e-5, 2.528e-3};
constexpr OscillationDefaults kNuFit41Inverted{0.310, 0.02259, 0.565, 282.0, 7.39e-5, -2.510e-3};
constexpr double kEv2InGeV2 = 1e-18;

std::string optionValue(const Options& options, const char* key, const char* fallback) {
  const auto it = options.find(key);
  return it == options.end() ? fallback : it->second;
}

/// n_R = 3: three N_R (masses M_N1..3), then the Yukawas (direct or Casas-Ibarra), f_L_i, f_R_i,
/// then the common parameters v_s .. R_detector of the n_R = 1 list.
std::vector<ParameterSpec> threeSingletParameterSpecs(bool casasIbarra, bool normal) {
  const std::vector<ParameterSpec> one = parameterSpecs();
  const std::string direct = "n_R=3, yukawa=direct";
  const std::string ci = "n_R=3, yukawa=casas_ibarra";
  std::vector<ParameterSpec> p;
  const double heavy[3] = {1e14, 2e14, 4e14};
  for (int i = 0; i < 3; ++i) {
    p.push_back(
        {"M_N" + std::to_string(i + 1), "GeV", heavy[i],
         "Majorana mass of the heavy singlet N_" + std::to_string(i + 1) + " (integrated out)",
         "n_R=3"});
  }
  if (!casasIbarra) {
    const char* flavours[3] = {"e", "mu", "tau"};
    for (int a = 0; a < 3; ++a) {
      for (int i = 0; i < 3; ++i) {
        p.push_back({std::string("y_") + flavours[a] + std::to_string(i + 1), "1",
                     a == i ? 0.3 : 0.0,
                     std::string("Yukawa coupling of N_") + std::to_string(i + 1) + " to the " +
                         flavours[a] + "-flavour lepton doublet (real)",
                     direct});
      }
    }
  } else {
    const OscillationDefaults& d = normal ? kNuFit41Normal : kNuFit41Inverted;
    const std::string fit = std::string(" (default: NuFIT 4.1 best fit, ") +
                            (normal ? "normal" : "inverted") + " ordering, with SK)";
    p.push_back({"m_lightest", "GeV", 1e-12,
                 "lightest active mass, m_1 (normal) or m_3 (inverted), Casas-Ibarra input", ci});
    p.push_back({"sin2_theta12_in", "1", d.s12sq, "input sin^2 theta_12" + fit, ci});
    p.push_back({"sin2_theta13_in", "1", d.s13sq, "input sin^2 theta_13" + fit, ci});
    p.push_back({"sin2_theta23_in", "1", d.s23sq, "input sin^2 theta_23" + fit, ci});
    p.push_back(
        {"delta_CP_in", "rad", d.deltaDegrees * pi / 180.0, "input Dirac phase (PDG)" + fit, ci});
    p.push_back({"alpha_21", "rad", 0.0, "Majorana phase alpha_21 (PDG)", ci});
    p.push_back({"alpha_31", "rad", 0.0, "Majorana phase alpha_31 (PDG)", ci});
    p.push_back({"dm2_21_in", "GeV^2", d.dm2_21 * kEv2InGeV2, "input m_2^2 - m_1^2" + fit, ci});
    p.push_back(
        {"dm2_3l_in", "GeV^2", d.dm2_3l * kEv2InGeV2,
         "input Delta m^2_3l: m_3^2 - m_1^2 > 0 (normal), m_3^2 - m_2^2 < 0 (inverted)" + fit, ci});
    for (const char* plane : {"12", "13", "23"}) {
      for (const char* part : {"re", "im"}) {
        p.push_back({std::string("omega_") + plane + "_" + part, "1", 0.0,
                     std::string(part[0] == 'r' ? "real" : "imaginary") +
                         " part of the complex angle of R in the (" + plane[0] + ", " + plane[1] +
                         ") plane, R = R_23 R_13 R_12 (Casas-Ibarra)",
                     ci});
      }
    }
  }
  for (const char* side : {"L", "R"}) {
    for (int i = 0; i < 3; ++i) {
      p.push_back({std::string("f_") + side + std::to_string(i + 1), "1", 1e-3,
                   std::string("Yukawa coupling chi_") + (side[0] == 'L' ? "L-bar" : "R^c-bar") +
                       " N_" + std::to_string(i + 1) + (side[0] == 'L' ? " phi" : " phi*") +
                       " (CN Eq. 1 with three N_R)",
                   "n_R=3"});
    }
  }
  for (std::size_t k = HiddenKevFermion::v_s; k < one.size(); ++k) p.push_back(one[k]);
  return p;
}

std::vector<ParameterSpec> parameterSpecsFor(const Options& options) {
  if (optionValue(options, "n_R", "1") != "3") return parameterSpecs();
  return threeSingletParameterSpecs(optionValue(options, "yukawa", "direct") == "casas_ibarra",
                                    optionValue(options, "ordering", "normal") == "normal");
}

std::vector<ObservableSpec> observableSpecs() {
  const std::string sp = "spectrum", cd = "chi_decays", bd = "beta_decay", ew = "electroweak",
                    co = "cosmology", hi = "higgs", ce = "cevns";
  return {
      {"m_nu_1", "GeV", sp, "lightest active neutrino mass |m|", "CN Eqs. 3, 10"},
      {"m_nu_2", "GeV", sp, "second active neutrino mass |m|", "CN Eqs. 3, 10"},
      {"m_nu_3", "GeV", sp, "heaviest active neutrino mass |m|", "CN Eqs. 3, 10"},
      {"m_chi_light", "GeV", sp, "mass |m| of the lighter chi state", "CN Eqs. 3-8"},
      {"m_chi_heavy", "GeV", sp, "mass |m| of the heavier chi state", "CN Eqs. 3-8"},
      {"delta_m_chi", "GeV", sp, "|m_chi_heavy| - |m_chi_light|, computed without cancellation",
       "CN Eq. 4"},
      {"U2_chi_light", "1", sp, "sum over flavours of |U_alpha chi_light|^2", "CN Eqs. 9-11"},
      {"U2_chi_heavy", "1", sp, "sum over flavours of |U_alpha chi_heavy|^2", "CN Eqs. 9-11"},
      {"U2e_chi_light", "1", sp, "|U_e chi_light|^2", "CN Eq. 16"},
      {"U2e_chi_heavy", "1", sp, "|U_e chi_heavy|^2", "CN Eq. 16"},
      {"theta_eq9", "1", sp, "Eq. 9 as printed, y_e f_L v v_s/(M_chi M_N): a comparison only",
       "CN Eq. 9"},
      {"m_ee", "GeV", sp, "|sum_i U_ei^2 m_i| over all five light states (0vbb)", "CN Eq. 20"},
      {"m_ee_active", "GeV", sp, "|sum_i U_ei^2 m_i| over the three active states", "CN Eq. 20"},
      {"m_beta", "GeV", sp, "sqrt(sum_i |U_ei|^2 m_i^2) over the active states", "CN Eq. 19"},
      {"sum_m_nu", "GeV", sp, "m_nu_1 + m_nu_2 + m_nu_3, the cosmological neutrino mass sum",
       "CN Eqs. 3, 10"},
      {"Gamma_chi_light_3nu", "GeV", cd, "Gamma(chi_light -> 3 nu), Majorana", "CN Eq. 13"},
      {"Gamma_chi_light_nugamma", "GeV", cd, "Gamma(chi_light -> nu gamma)", "CN Eq. 14"},
      {"tau_chi_light", "s", cd, "lifetime of chi_light (3 nu + nu gamma)", "CN Eqs. 13-14"},
      {"Gamma_chi_heavy_3nu", "GeV", cd, "Gamma(chi_heavy -> 3 nu), Majorana", "CN Eq. 13"},
      {"Gamma_chi_heavy_nugamma", "GeV", cd, "Gamma(chi_heavy -> nu gamma)", "CN Eq. 14"},
      {"tau_chi_heavy", "s", cd, "lifetime of chi_heavy (3 nu + nu gamma)", "CN Eqs. 13-14"},
      {"E_xray_light", "GeV", cd, "photon energy of chi_light -> nu gamma, m/2", "CN Sec. III"},
      {"E_xray_heavy", "GeV", cd, "photon energy of chi_heavy -> nu gamma, m/2", "CN Sec. III"},
      {"E_kink_light", "GeV", bd,
       "tritium electron kinetic energy at the chi_light kink, Q - m (NaN if closed)", "CN Eq. 18"},
      {"E_kink_heavy", "GeV", bd,
       "tritium electron kinetic energy at the chi_heavy kink, Q - m (NaN if closed)", "CN Eq. 17"},
      {"s_epsilon", "1", ew, "epsilon/sqrt(1-epsilon^2)", "CN Eq. 37"},
      {"M_3", "GeV", ew, "g_s v_s", "CN Eq. 39"},
      {"eta", "1", ew, "Z-Z_s mixing angle, exact, Eq. 36/38 sign convention", "CN Eqs. 38-39"},
      {"M_Z_shifted", "GeV", ew, "physical Z mass with kinetic mixing (tree level)", "CN Eq. 40"},
      {"M_Zs", "GeV", ew, "Z_s mass", "CN Eq. 40"},
      {"delta_rho", "1", ew, "M_W^2/(c_W^2 M_Z^2) - 1, exact", "CN Eq. 43"},
      {"Gamma_Z_chichi", "GeV", ew, "Gamma(Z -> chi chibar)", "CN Eq. 47"},
      {"delta_Gamma_Z_inv", "GeV", ew,
       "Gamma(Z -> chi chi) + change of Gamma(Z -> nu nu) from the full Eq. 45 coupling",
       "CN Eqs. 45, 47"},
      {"BR_Z_mumu_phi", "1", ew, "BR(Z -> mu mu phi^0) = s_alpha^2 F(m_phi/M_Z) BR(Z -> mu mu)",
       "CN Eqs. 49-50"},
      {"BR_Z_bb_phi", "1", ew, "BR(Z -> b bbar phi^0) = s_alpha^2 F(m_phi/M_Z) BR(Z -> b bbar)",
       "CN Eqs. 49-50"},
      {"sin_alpha", "1", co, "phi^0-h mixing, kappa v v_s/(M_H^2 - m_phi^2)", "CN Eq. 1 (derived)"},
      {"A_chi", "1", co, "|eta| g_s/g_2, Z exchange only: a comparison, no longer used for T_f",
       "CN Eq. 51"},
      {"T_freezeout", "GeV", co,
       "chi freeze-out temperature: Z + Z_s contact annihilation summed over the SM species "
       "present, g_* = SM + chi + phi^0; NaN unless chi was thermal (chi_regime 2)",
       "CN Eq. 52 (erratum E7)"},
      {"Y_chi", "1", co,
       "n/s of one Majorana chi state from the portal: at freeze-out (g = 2) if thermal, "
       "Y_chi_freeze_in if frozen in, Y_eq tanh(Y_FI/Y_eq) between (chi_regime)",
       "CN Eq. 55; Hall et al. arXiv:0911.1120"},
      {"Omega_chi_thermal", "1", co, "Omega of the stable chi states before dilution", "CN Eq. 56"},
      {"Gamma_phi_SM", "GeV", co, "phi^0 width to SM particles",
       "CN Eqs. 64-65 (corrected; errata E2, E5)"},
      {"Gamma_phi_chichi", "GeV", co, "phi^0 width to chi pairs (Majorana, chi masses kept)",
       "CN Eq. 67"},
      {"Gamma_phi", "GeV", co, "total phi^0 width: SM + chi chi + nu chi",
       "CN Eqs. 64-67; erratum E4"},
      {"tau_phi", "s", co, "phi^0 lifetime", "CN Eq. 66"},
      {"BR_phi_chichi", "1", co, "BR(phi^0 -> chi chi)", "CN Eq. 67"},
      {"T_reheat", "GeV", co, "reheating temperature after phi^0 decay (Gamma = H)", "CN Eq. 60"},
      {"T_dec_phi", "GeV", co,
       "phi^0 decoupling temperature if it was thermal: the lower of h <-> phi phi decoupling "
       "and CN Eq. 59 (SM Yukawa m_mu/v); NaN if phi^0 never reached equilibrium",
       "CN Eqs. 58-59 (erratum E11)"},
      {"Y_phi", "1", co,
       "n/s of phi^0: thermal (real scalar, g = 1) at T_dec_phi, frozen in, or Y_eq "
       "tanh(Y_FI/Y_eq)",
       "CN Eq. 61 (erratum E11)"},
      {"dilution", "1", co,
       "entropy ratio from phi^0 decay (decay integrated at constant g_*; only the SM energy "
       "share f_SM_phi heats the plasma), >= 1",
       "CN Eq. 62 (corrected; erratum E3)"},
      {"Omega_chi", "1", co,
       "chi relic density: the portal's chi (thermal relic or frozen in; diluted if phi^0 decays "
       "after it is made) + chi from phi^0 decays",
       "CN Eq. 63 (corrected; erratum E3)"},
      {"Omega_chi_h2", "1", co, "Omega_chi h^2", "CN Eq. 63 (corrected)"},
      {"Omega_chi_over_DM", "1", co, "Omega_chi h^2 / 0.1200", "CN Eq. 57"},
      {"Gamma_phi_nuchi", "GeV", co,
       "Gamma(phi^0 -> nu_i chi_j) summed over the 3 x 2 pairs, from the nu-chi entries "
       "-y_alpha f v/(2 M_N) of dM_eff/dv_s in the mass basis",
       "CN Eq. 2; erratum E4"},
      {"BR_phi_chi_producing", "1", co, "BR(phi^0 -> chi chi) + BR(phi^0 -> nu chi)", "erratum E4"},
      {"f_SM_phi", "1", co,
       "fraction of the phi^0 energy that heats the SM plasma: the SM modes, and the nu of "
       "nu chi if T_reheat > 2 MeV (neutrino decoupling)",
       "erratum E3"},
      {"Y_chi_decay", "1", co,
       "n/s today of chi (both states) made in phi^0 decays (2 per chi chi, 1 per nu chi), "
       "0 if phi^0 decays before chi freezes out",
       "erratum E3"},
      {"f_hot_chi", "1", co,
       "share of Omega_chi carried by the decay-produced (hot) chi, by mass density today",
       "erratum E3"},
      {"Delta_N_eff_decay", "1", co,
       "extra radiation at BBN from the decay-produced chi (and the nu of nu chi if T_reheat < "
       "2 MeV), in neutrino species",
       "erratum E3"},
      {"Delta_N_eff_BBN", "1", co,
       "Delta_N_eff at BBN (T = 1 MeV): decay-produced chi + the portal's chi (thermal relic, "
       "or frozen in: scaled by Y/Y_eq and its mean momentum)",
       "erratum E3"},
      {"Omega_chi_light_over_DM", "1", co,
       "share of the dark matter in chi_light at its production (before it decays)", "CN Eq. 56"},
      {"Omega_chi_heavy_over_DM", "1", co,
       "share of the dark matter in chi_heavy at its production (before it decays)", "CN Eq. 56"},
      {"sin2_2theta_xray_light", "1", co,
       "X-ray-equivalent mixing of chi_light: the sin^2(2theta) of a sterile neutrino that is all "
       "of "
       "the dark matter and gives the same line flux, Gamma(nu gamma) 1024 pi^4/(9 alpha G_F^2 "
       "m^5) "
       "x share of the dark matter x exp(-t_U/tau)",
       "CN Eq. 14; Pal & Wolfenstein 1982"},
      {"sin2_2theta_xray_heavy", "1", co, "as sin2_2theta_xray_light, for chi_heavy",
       "CN Eq. 14; Pal & Wolfenstein 1982"},
      {"dm_decay_rate", "GeV", co,
       "sum over the chi states of (share of the dark matter) x min(Gamma, hbar/t_U): the decaying "
       "fraction times its rate that the CMB bounds",
       "Poulin, Serpico, Lesgourgues arXiv:1606.02073"},
      {"m_wdm_equivalent", "GeV", co,
       "thermal-relic warm-dark-matter mass with the free-streaming of the chi states, "
       "m_chi_light (N_stable/f)^(1/4), f = Omega_chi/Omega_DM (thermal chi); frozen in: "
       "m_chi_light (3.151/2.5)^(3/4) (N_stable lambda/f_portal)^(1/4), lambda = Y/Y_eq; "
       "+inf (not tested) where f < 0.35",
       "thermal-relic scaling, see docs"},
      {"Gamma_h_phiphi", "GeV", hi, "Gamma(h -> phi^0 phi^0), quartic kappa", "CN Eq. 68"},
      {"BR_h_inv", "1", hi,
       "Gamma(h -> phi^0 phi^0) P_phi_invisible^2 / (Gamma_H^SM + Gamma(h -> phi^0 phi^0))",
       "CN Eq. 68; erratum E6"},
      {"decay_length_phi", "m", hi,
       "mean decay length beta gamma c tau_phi of a phi^0 from h -> phi^0 phi^0, h at rest",
       "erratum E6"},
      {"P_phi_invisible", "1", hi,
       "probability that one such phi^0 is invisible: exp(-R_detector/decay_length_phi) + "
       "(1 - exp(-R_detector/decay_length_phi)) BR_phi_chi_producing",
       "erratum E6"},
      {"cevns_sns_ratio", "1", ce,
       "CsI Z-exchange events with the chi states over the SM, pi/mu decay at rest, T > "
       "T_threshold_sns: incoherent mass states, Z couplings U^dag U (about 1 - 2|U|^2)",
       "CN Eqs. 12, 25, 27, 29; Eq. 30 corrected (erratum E1)"},
      {"cevns_sns_deviation", "1", ce, "1 - cevns_sns_ratio, computed without cancellation",
       "CN Eq. 31 corrected (erratum E1)"},
      {"cevns_reactor_ratio", "1", ce,
       "CsI Z-exchange events with the chi states over the SM, reactor antineutrinos, T > "
       "T_threshold_reactor: incoherent mass states, Z couplings U^dag U (about 1 - 2|U|^2)",
       "CN Eqs. 12, 25, 27; Eq. 30 corrected (erratum E1)"},
      {"cevns_reactor_deviation", "1", ce, "1 - cevns_reactor_ratio, computed without cancellation",
       "CN Eq. 31 corrected (erratum E1)"},
      {"G_chi_Q", "GeV-2", co,
       "chi coupling to the electromagnetic current below M_Z (Z + Z_s exchange), "
       "g_s e c_W epsilon/M_3^2",
       "CN Eqs. 36-46 (erratum E7)"},
      {"freezeout_neglected", "1", co,
       "estimated relative size at T_f of what the contact freeze-out leaves out (off-shell "
       "96 T^2/M_V^2 and inverse decays chi chi -> V); > 0.5: freezeout_invalid",
       "CN Eq. 52 (erratum E7)"},
      {"thermalisation_ratio", "1", co,
       "max over T of the phi^0 production rate through the quartic portal (h -> phi phi, "
       "H H^dag -> phi phi) per equilibrium phi^0, over H",
       "CN Eqs. 58-59 (erratum E11)"},
      {"Y_phi_freeze_in", "1", co,
       "n/s of phi^0 frozen in through the quartic portal, inverse processes neglected",
       "CN Eq. 68; Hall et al. arXiv:0911.1120 (erratum E11)"},
      {"phi_regime", "1", co,
       "phi^0 abundance: 0 frozen in (thermalisation_ratio <= 0.1), 1 partly thermal "
       "(status phi_partially_thermal), 2 thermal (>= 10)",
       "erratum E11"},
      {"chi_thermalisation_ratio", "1", co,
       "max over T of the chi production rate through the vector portal (contact f f -> chi "
       "chi with the propagator's fall-off, on-shell Z, Z_s, X' -> chi chi) per equilibrium "
       "chi, over H",
       "CN Eqs. 45-47, 52; Hall et al. arXiv:0911.1120"},
      {"Y_chi_freeze_in", "1", co,
       "n/s of one chi state frozen in through the vector portal, inverse processes neglected",
       "Hall et al. arXiv:0911.1120; Gondolo & Gelmini 1991"},
      {"chi_regime", "1", co,
       "chi abundance: 0 frozen in (chi_thermalisation_ratio <= 0.1), 1 partly thermal "
       "(status chi_partially_thermal), 2 thermal relic, freeze-out at T_freezeout (>= 10)",
       "docs/physics/hidden_kev_fermion.md"},
      {"U2mu_chi_light", "1", sp, "|U_mu chi_light|^2", "CN Eqs. 9-11"},
      {"U2mu_chi_heavy", "1", sp, "|U_mu chi_heavy|^2", "CN Eqs. 9-11"},
      {"U2tau_chi_light", "1", sp, "|U_tau chi_light|^2", "CN Eqs. 9-11"},
      {"U2tau_chi_heavy", "1", sp, "|U_tau chi_heavy|^2", "CN Eqs. 9-11"},
      {"dm2_21", "GeV^2", sp,
       "m_2^2 - m_1^2 of the three active states in the standard labelling (the closer pair is "
       "1, 2 with m_2 > m_1)",
       "CN Eqs. 3, 10 with three N_R; PDG labelling", kThree},
      {"dm2_3l", "GeV^2", sp,
       "NuFIT's Delta m^2_3l: m_3^2 - m_1^2 > 0 (normal ordering) or m_3^2 - m_2^2 < 0 "
       "(inverted)",
       "CN Eqs. 3, 10 with three N_R; arXiv:1811.05487", kThree},
      {"sin2_theta12", "1", sp,
       "sin^2 theta_12 of the unitary part of the active 3x3 block (PDG parametrisation)",
       "PDG Eq. 14.34; docs/physics/hidden_kev_fermion.md", kThree},
      {"sin2_theta13", "1", sp, "sin^2 theta_13, as sin2_theta12",
       "PDG Eq. 14.34; docs/physics/hidden_kev_fermion.md", kThree},
      {"sin2_theta23", "1", sp, "sin^2 theta_23, as sin2_theta12",
       "PDG Eq. 14.34; docs/physics/hidden_kev_fermion.md", kThree},
      {"delta_CP", "rad", sp, "Dirac CP phase in [0, 2 pi), as sin2_theta12",
       "PDG Eq. 14.34; docs/physics/hidden_kev_fermion.md", kThree},
      {"pmns_nonunitarity", "1", sp,
       "max_ab |(N N^dag - 1)_ab| of the active 3x3 block N: the chi columns and the heavy N_R, "
       "N N^dag - 1 = -(B B^dag + Theta Theta^dag), Theta = m_D M_N^-1",
       "CN Eqs. 9-12 with three N_R; docs/physics/hidden_kev_fermion.md", kThree},
      {"yukawa_max", "1", sp, "max |y_alpha i| of the 3x3 Yukawa matrix (given or Casas-Ibarra)",
       "Casas & Ibarra, hep-ph/0103065", kThree},
      {"shift_m_nu_1", "GeV", sp,
       "m_nu_1 of the exact 5x5 diagonalisation minus the Casas-Ibarra input (chi mixing)",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_m_nu_2", "GeV", sp, "as shift_m_nu_1 for m_nu_2", "CN Eqs. 3, 10; hep-ph/0103065",
       kCasasIbarra},
      {"shift_m_nu_3", "GeV", sp, "as shift_m_nu_1 for m_nu_3", "CN Eqs. 3, 10; hep-ph/0103065",
       kCasasIbarra},
      {"shift_dm2_21", "1", sp, "dm2_21 over its Casas-Ibarra input, minus 1",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_dm2_3l", "1", sp, "dm2_3l over its Casas-Ibarra input, minus 1",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_sin2_theta12", "1", sp, "sin2_theta12 over its Casas-Ibarra input, minus 1",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_sin2_theta13", "1", sp, "sin2_theta13 over its Casas-Ibarra input, minus 1",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_sin2_theta23", "1", sp, "sin2_theta23 over its Casas-Ibarra input, minus 1",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
      {"shift_delta_CP", "rad", sp, "delta_CP minus its Casas-Ibarra input, in (-pi, pi]",
       "CN Eqs. 3, 10; hep-ph/0103065", kCasasIbarra},
  };
}

// Block masks, in the order of blockSpecs().
constexpr BlockMask kSpectrum = 1u << 0;
constexpr BlockMask kChiDecays = 1u << 1;
constexpr BlockMask kBetaDecay = 1u << 2;
constexpr BlockMask kElectroweak = 1u << 3;
constexpr BlockMask kCosmology = 1u << 4;
constexpr BlockMask kHiggs = 1u << 5;
constexpr BlockMask kCevns = 1u << 6;

std::vector<BlockSpec> blockSpecs() {
  return {
      {"spectrum", "light neutral-fermion masses and mixings", false, {}},
      {"chi_decays", "chi lifetimes and X-ray lines", false, {"spectrum"}},
      {"beta_decay", "tritium kink positions", false, {"spectrum"}},
      {"electroweak", "kinetic mixing: rho parameter, Z widths", false, {}},
      {"cosmology",
       "freeze-out, phi^0 decay, entropy dilution, relic density",
       false,
       {"spectrum", "chi_decays", "electroweak"}},
      {"higgs", "invisible Higgs decay (needs the phi^0 width)", false, {"spectrum"}},
      {"cevns",
       "coherent scattering into chi at a spallation source and a reactor",
       true,
       {"spectrum"}},
  };
}

struct Inputs {
  double MN, ye, ymu, ytau, fL, fR, vs, Mchi, eps, gs, mphi, kappa, thresholdSns, thresholdReactor,
      detectorRadius;
};

Inputs read(std::span<const double> p) {
  using P = HiddenKevFermion::Parameter;
  return {p[P::M_N],
          p[P::y_e],
          p[P::y_mu],
          p[P::y_tau],
          p[P::f_L],
          p[P::f_R],
          p[P::v_s],
          p[P::M_chi],
          p[P::epsilon],
          p[P::g_s],
          p[P::m_phi],
          p[P::kappa],
          p[P::T_threshold_sns],
          p[P::T_threshold_reactor],
          p[P::R_detector]};
}

double higgsMixing(const Inputs& in) {
  return in.kappa * constants::v * in.vs / (constants::M_H * constants::M_H - in.mphi * in.mphi);
}

/// The Dirac column m_D = (y v, f_L v_s, f_R v_s)/sqrt2 (physics.md conventions).
RealVector<5> diracColumn(const Inputs& in) {
  RealVector<5> mD;
  const double v = constants::v;
  mD << in.ye * v, in.ymu * v, in.ytau * v, in.fL * in.vs, in.fR * in.vs;
  return mD / sqrt2;
}

double cleanMixing(double u2) { return u2 < kMixingFloor ? 0.0 : u2; }

/// x^(1/4) for x >= 0 as two square roots: within an ulp of std::pow(x, 0.25), without its cost.
double fourthRoot(double x) { return std::sqrt(std::sqrt(x)); }

struct ChiDecay {
  double threeNu = 0.0;
  double nuGamma = 0.0;
  double lifetimeSeconds = kInf;
};

/// CN Eqs. 13-14 for mass eigenstate i (Majorana normalisation; Pal & Wolfenstein), of a
/// spectrum with one N_R (real mixing, signed masses) or three (complex mixing, Takagi masses
/// >= 0): |U_alpha i|^2 as std::norm, the mass as |m_i|.
template <typename LightSpectrum>
ChiDecay chiDecay(const LightSpectrum& s, int i) {
  ChiDecay d;
  const double m = std::abs(s.masses(i));
  const double m5 = m * m * m * m * m;
  double u2 = 0.0;
  double radiative = 0.0;  // sum_alpha |U_alpha i|^2 sum_{j active} |U_alpha j|^2
  for (int alpha = 0; alpha < 3; ++alpha) {
    const double ua2 = std::norm(s.mixing(alpha, i));
    double activeRow = 0.0;
    for (int j : s.active) activeRow += std::norm(s.mixing(alpha, j));
    u2 += ua2;
    radiative += ua2 * activeRow;
  }
  if (cleanMixing(u2) == 0.0) return d;
  const double gf2 = constants::G_F * constants::G_F;
  d.threeNu = gf2 * m5 * u2 / (96.0 * pi * pi * pi);                                      // Eq. 13
  d.nuGamma = 9.0 * constants::alpha * gf2 * m5 * radiative / (256.0 * std::pow(pi, 4));  // Eq. 14
  d.lifetimeSeconds = units::hbarInGeVSeconds / (d.threeNu + d.nuGamma);
  return d;
}

/// phi^0 decay widths and what they produce (errata E3, E4).
struct PhiDecays {
  double sm = 0.0;                   ///< to SM particles (CN Eqs. 64-65 corrected)
  double chichi = 0.0;               ///< chi_i chi_j
  double nuchi = 0.0;                ///< nu_i chi_j, summed over the 3 x 2 pairs
  double chiEnergy = 0.0;            ///< sum over channels of Gamma x (chi energy / m_phi)
  double nuEnergy = 0.0;             ///< the same for the nu of nu chi
  double chiNumber[2] = {0.0, 0.0};  ///< sum of Gamma x (chi_light, chi_heavy per decay)
  double total() const { return sm + chichi + nuchi; }
};

/// phi^0 -> chi_a chi_b and phi^0 -> nu_i chi_b summed over the light states of a spectrum (one
/// N_R or three: its masses, active states and chi_light/chi_heavy), with the mass-basis coupling
/// matrix y and the two-body width `width(y_ij, m_phi, m_i, m_j, identical)` (CN Eq. 67; erratum
/// E4); the chi and nu energy shares of the phi^0 mass follow (erratum E3).
template <typename Couplings, typename LightSpectrum, typename Width>
void addScalarPairWidths(PhiDecays& d, const Couplings& y, const LightSpectrum& s, double mPhi,
                         Width width) {
  const int chi[2] = {s.light, s.heavy};
  for (int a = 0; a < 2; ++a) {
    for (int b = a; b < 2; ++b) {
      const int i = chi[a];
      const int j = chi[b];
      const double w = width(y(i, j), mPhi, s.masses(i), s.masses(j), i == j);
      d.chichi += w;
      d.chiEnergy += w;  // both final states are chi
      d.chiNumber[a] += w;
      d.chiNumber[b] += w;  // twice for chi_i chi_i
    }
  }
  const double m2 = mPhi * mPhi;
  for (int i : s.active) {
    for (int b = 0; b < 2; ++b) {
      const int j = chi[b];
      const double w = width(y(i, j), mPhi, s.masses(i), s.masses(j), false);
      d.nuchi += w;
      // chi energy in the phi^0 rest frame, (m_phi^2 + m_j^2 - m_i^2)/(2 m_phi), over m_phi.
      d.chiEnergy += w * (m2 + s.masses(j) * s.masses(j) - s.masses(i) * s.masses(i)) / (2.0 * m2);
      d.nuEnergy += w * (m2 + s.masses(i) * s.masses(i) - s.masses(j) * s.masses(j)) / (2.0 * m2);
      d.chiNumber[b] += w;
    }
  }
}

/// The entries (i, light) and (i, heavy) of V^T Y V, Y = cos(alpha) dM_eff/dv_s - sin(alpha)
/// dM_eff/dv (phiDecays below), the only ones the widths read, with the same floating-point
/// operations in the same order as Eigen 3.4's fixed-size 5x5 product
/// `V.transpose() * Y * V` (the reference path): Y entry by entry, T = V^T Y in full with each
/// entry summed as ((x0 + x2) + (x1 + x3)) + x4 (two-lane packets), then (T V)_ij in order of k
/// for rows 0..3 (packets of two rows) and as (x0 + x1) + (x2 + (x3 + x4)) for row 4 (Eigen's
/// unrolled scalar reduction). At f_L = f_R the chi-chi entries of a pseudo-Dirac pair are a
/// cancellation in which any other order (the rank-2 form (a_i b_j + b_i a_j)/M_N included)
/// moves them by up to 1e-3 relative; KernelEqualityTest compares the two paths at 1e-10.
/// (Differences in the sum's order show there as a failure, not as silent drift.)
class YukawaInMassBasis {
 public:
  YukawaInMassBasis(const RealMatrix<5>& v, const RealVector<5>& eVs, const RealVector<5>& eV,
                    const RealVector<5>& mD, double mN, double cosAlpha, double sinAlpha, int light,
                    int heavy)
      : light_(light), heavy_(heavy) {
    // Y(k, l) = cos(alpha) dVs(k, l) - sin(alpha) dV(k, l), dVs = -(e_vs m_D^T + m_D e_vs^T)/M_N,
    // dV the same with e_v. Y is exactly symmetric (a + b = b + a), and e_vs vanishes on the
    // three nu rows, e_v on the two chi rows: the terms left out below are signed zeros, which
    // change no nonzero sum and no width (the widths read y^2).
    assert(eVs(0) == 0.0 && eVs(1) == 0.0 && eVs(2) == 0.0 && eV(3) == 0.0 && eV(4) == 0.0);
    double y[5][5];  // y[l][k] = Y(k, l): column l of Y
    for (int k = 0; k < 5; ++k) {
      for (int l = k; l < 5; ++l) {
        double ykl;
        if (l < 3) {  // nu-nu: dVs = 0
          ykl = -(sinAlpha * (-(eV(k) * mD(l) + mD(k) * eV(l)) / mN));
        } else if (k >= 3) {  // chi-chi: dV = 0
          ykl = cosAlpha * (-(eVs(k) * mD(l) + mD(k) * eVs(l)) / mN);
        } else {  // nu-chi: one term of each
          ykl = cosAlpha * (-(mD(k) * eVs(l)) / mN) - sinAlpha * (-(eV(k) * mD(l)) / mN);
        }
        y[l][k] = y[k][l] = ykl;
      }
    }
    // Two lanes of SSE2 (GCC's vector extension; each lane does the scalar operations in the
    // scalar order, so the result is the same bit for bit): T(i, j), T(i, j + 1) together.
    using Pair = double __attribute__((vector_size(16)));
    auto pair = [](const double* p) {
      Pair r;
      std::memcpy(&r, p, sizeof r);
      return r;
    };
    double t[5][5];  // t[k][i] = T(i, k) = (V^T Y)(i, k), Y symmetric: y[j][k] = Y(k, j)
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 4; j += 2) {
        const Pair x0 = v(0, i) * pair(&y[0][j]);
        const Pair x1 = v(1, i) * pair(&y[1][j]);
        const Pair x2 = v(2, i) * pair(&y[2][j]);
        const Pair x3 = v(3, i) * pair(&y[3][j]);
        const Pair x4 = v(4, i) * pair(&y[4][j]);
        const Pair sum = ((x0 + x2) + (x1 + x3)) + x4;
        t[j][i] = sum[0];
        t[j + 1][i] = sum[1];
      }
      const double x0 = v(0, i) * y[4][0];
      const double x1 = v(1, i) * y[4][1];
      const double x2 = v(2, i) * y[4][2];
      const double x3 = v(3, i) * y[4][3];
      const double x4 = v(4, i) * y[4][4];
      t[4][i] = ((x0 + x2) + (x1 + x3)) + x4;
    }
    const int chi[2] = {light, heavy};
    for (int b = 0; b < 2; ++b) {
      const int j = chi[b];
      for (int i = 0; i < 4; i += 2) {  // rows 0..3: in order of k
        const Pair x0 = pair(&t[0][i]) * v(0, j);
        const Pair x1 = pair(&t[1][i]) * v(1, j);
        const Pair x2 = pair(&t[2][i]) * v(2, j);
        const Pair x3 = pair(&t[3][i]) * v(3, j);
        const Pair x4 = pair(&t[4][i]) * v(4, j);
        const Pair sum = (((x0 + x1) + x2) + x3) + x4;
        column_[b][i] = sum[0];
        column_[b][i + 1] = sum[1];
      }
      const double x0 = t[0][4] * v(0, j);
      const double x1 = t[1][4] * v(1, j);
      const double x2 = t[2][4] * v(2, j);
      const double x3 = t[3][4] * v(3, j);
      const double x4 = t[4][4] * v(4, j);
      column_[b][4] = (x0 + x1) + (x2 + (x3 + x4));  // row 4
    }
  }
  /// (V^T Y V)(i, j) for j = light or heavy.
  double operator()(int i, int j) const {
    assert(j == light_ || j == heavy_);
    return column_[j == light_ ? 0 : 1][i];
  }

 private:
  int light_, heavy_;
  double column_[2][5];
};

/// The phi^0 Yukawa matrix in the mass basis and its widths. With phi = (v_s + phi_s)/sqrt2
/// and H^0 = (v + h)/sqrt2, L = -(1/2) psi^T M_eff(v, v_s) psi gives
/// L = -(1/2) phi_s psi^T (dM_eff/dv_s) psi - (1/2) h psi^T (dM_eff/dv) psi, and with
/// M_eff = M_0 - m_D m_D^T/M_N, dM_eff/dx = -(e_x m_D^T + m_D e_x^T)/M_N, e_x = dm_D/dx:
/// e_vs = (0, 0, 0, f_L, f_R)/sqrt2, so dM_eff/dv_s has chi-chi entries -f_i f_j v_s/M_N (CN
/// Eq. 67's y_eff for f_L = f_R) and nu_alpha-chi entries -y_alpha f_i v/(2 M_N) (CN Eq. 2's
/// y f chi phi l H operators; erratum E4), no nu-nu entries. The light scalar is
/// phi^0 = cos(alpha) phi_s - sin(alpha) h (V contains kappa v v_s h phi_s, so for kappa > 0 the
/// lighter eigenvector has a negative h component), hence
/// Y = cos(alpha) dM_eff/dv_s - sin(alpha) dM_eff/dv, rotated to the mass basis V^T Y V.
/// nu_i nu_j is left out: its couplings are O(theta) x the nu chi ones (widths 1e-12 of them at
/// the default point).
PhiDecays phiDecays(const HiddenKevFermion::Spectrum& s, const Inputs& in, double sinAlpha) {
  PhiDecays d;
  // sin^2(alpha) x the width at sin(alpha) = 1, memoised on m_phi (exactly 0 at kappa = 0).
  d.sm = scalarWidthToStandardModel(sinAlpha, in.mphi);
  const RealVector<5> mD = diracColumn(in);
  RealVector<5> eVs = RealVector<5>::Zero();
  eVs(kChiL) = in.fL / sqrt2;
  eVs(kChiRc) = in.fR / sqrt2;
  RealVector<5> eV = RealVector<5>::Zero();
  eV(kNuE) = in.ye / sqrt2;
  eV(kNuE + 1) = in.ymu / sqrt2;
  eV(kNuE + 2) = in.ytau / sqrt2;
  const double cosAlpha = std::sqrt(std::max(0.0, 1.0 - sinAlpha * sinAlpha));
  if (reference::slowPath()) {
    const RealMatrix<5> dVs = -(eVs * mD.transpose() + mD * eVs.transpose()) / in.MN;
    const RealMatrix<5> dV = -(eV * mD.transpose() + mD * eV.transpose()) / in.MN;
    const RealMatrix<5> y = s.mixing.transpose() * (cosAlpha * dVs - sinAlpha * dV) * s.mixing;
    addScalarPairWidths(d, y, s, in.mphi, scalarToMajoranaPair);
    return d;
  }
  const YukawaInMassBasis y(s.mixing, eVs, eV, mD, in.MN, cosAlpha, sinAlpha, s.light, s.heavy);
  addScalarPairWidths(d, y, s, in.mphi, scalarToMajoranaPair);
  return d;
}

/// The light states of a point for CN Sec. IV: masses, |U_e i|^2, |U_mu i|^2,
/// the chi_R^c share of each chi state, and the scalar portal with
/// y_chi = y_l f_R v_s/(sqrt2 M_N) per incoming flavour l (CN Sec. II).
signals::LightStates lightStatesOf(const HiddenKevFermion::Spectrum& s, const Inputs& in) {
  signals::LightStates states;
  auto state = [&](int i) {
    signals::NeutralState n;
    n.mass = std::abs(s.masses(i));
    n.u2e = cleanMixing(s.mixing(kNuE, i) * s.mixing(kNuE, i));
    n.u2mu = cleanMixing(s.mixing(kNuE + 1, i) * s.mixing(kNuE + 1, i));
    n.rightHanded2 = s.mixing(kChiRc, i) * s.mixing(kChiRc, i);
    // The active column U_alpha i for the Z couplings P_ij (CN Eq. 12) and
    // the sterile weight 1 - P_ii from the chi_L, chi_R^c rows (erratum E1);
    // entries whose square is below the floor are exact zeros in noise.
    for (int alpha = 0; alpha < 3; ++alpha) {
      const double u = s.mixing(kNuE + alpha, i);
      n.amplitude[static_cast<std::size_t>(alpha)] = cleanMixing(u * u) == 0.0 ? 0.0 : u;
    }
    n.sterile2 = cleanMixing(s.mixing(kChiL, i) * s.mixing(kChiL, i) + n.rightHanded2);
    return n;
  };
  for (int i : s.active) states.active.push_back(state(i));
  states.chi = {state(s.light), state(s.heavy)};
  const double common = in.fR * in.vs / (sqrt2 * in.MN);
  const double sinAlpha = higgsMixing(in);
  states.portal = std::array<cevns::ScalarPortal, 2>{
      cevns::ScalarPortal{in.ye * common, sinAlpha, in.vs, in.mphi},
      cevns::ScalarPortal{in.ymu * common, sinAlpha, in.vs, in.mphi}};
  return states;
}

}  // namespace

HiddenKevFermion::HiddenKevFermion(const Options& options)
    : Model(parameterSpecsFor(options), observableSpecs(), blockSpecs(), optionSpecifications(),
            options) {
  threeSinglets_ = optionValue(options, "n_R", "1") == "3";
  casasIbarra_ = optionValue(options, "yukawa", "direct") == "casas_ibarra";
  normalOrdering_ = optionValue(options, "ordering", "normal") == "normal";
  if (casasIbarra_ && !threeSinglets_) {
    throw InputError(
        "option yukawa=casas_ibarra needs n_R=3 (one N_R gives one massive active neutrino)");
  }
  common_ = !threeSinglets_ ? std::size_t{v_s}
            : casasIbarra_  ? std::size_t{C_v_s}
                            : std::size_t{D_v_s};
  assert(observables().size() == kObservableCount);
  assert(observables()[BR_h_inv].name == "BR_h_inv");
  assert(observables()[shift_delta_CP].name == "shift_delta_CP");
  assert(parameters().size() == (!threeSinglets_ ? std::size_t{kParameterCount}
                                 : casasIbarra_  ? std::size_t{kCasasIbarraParameterCount}
                                                 : std::size_t{kDirectParameterCount}));
  assert(parameters()[common_].name == "v_s");
  assert(mask("spectrum") == kSpectrum && mask("higgs") == kHiggs);
  for (std::size_t k = dm2_21; k <= yukawa_max; ++k) {
    setApplies(observables()[k].name, threeSinglets_);
  }
  for (std::size_t k = shift_m_nu_1; k <= shift_delta_CP; ++k) {
    setApplies(observables()[k].name, casasIbarra_);
  }
}

std::vector<OptionSpec> HiddenKevFermion::optionSpecifications() {
  return {
      {"n_R",
       {"1", "3"},
       "1",
       "number of heavy singlets N_R: 1 (CN Eq. 1: one massive active neutrino) or 3 (a 3x3 "
       "Yukawa matrix y_alpha_i, masses M_N1..3, couplings f_L_i, f_R_i: the observed "
       "oscillations; other parameter names, see list parameters with --option n_R=3)"},
      {"yukawa",
       {"direct", "casas_ibarra"},
       "direct",
       "with n_R=3: the Yukawas y_alpha_i as parameters (real), or from the lightest mass, the "
       "splittings, the PMNS angles and phases and a complex orthogonal R (Casas-Ibarra, "
       "hep-ph/0103065; defaults NuFIT 4.1)"},
      {"ordering",
       {"normal", "inverted"},
       "normal",
       "with n_R=3, yukawa=casas_ibarra: the light-mass ordering of the inputs and of their "
       "NuFIT 4.1 defaults"},
  };
}

std::string_view HiddenKevFermion::reference() const {
  return "W.-F. Chang and J. N. Ng, KeV scale new fermion from a hidden sector (2020)";
}

std::unique_ptr<Model> HiddenKevFermion::create(const Options& options) {
  return std::make_unique<HiddenKevFermion>(options);
}

HiddenKevFermion::Spectrum HiddenKevFermion::spectrum(std::span<const double> parameters) {
  const Inputs in = read(parameters);
  const RealVector<5> mD = diracColumn(in);
  // Keep the seesaw part apart from M_0: the chi labelling below needs it unrounded.
  const RealMatrix<5> seesaw = -mD * mD.transpose() / in.MN;  // CN Eq. 3 x (-1/2), audit §2.1
  RealMatrix<5> m = seesaw;
  m(kChiL, kChiRc) += in.Mchi;
  m(kChiRc, kChiL) += in.Mchi;

  const SymmetricEigensystem<5> eig = diagonaliseSymmetric<5>(m);
  Spectrum s;
  s.masses = eig.values;
  s.mixing = eig.vectors;
  s.converged = eig.converged;

  // chi states: the two eigenpairs with the largest chi content (physics.md), each column's
  // content computed once.
  std::array<int, 5> byContent{0, 1, 2, 3, 4};
  double content[5];
  for (int i = 0; i < 5; ++i) {
    content[i] =
        s.mixing(kChiL, i) * s.mixing(kChiL, i) + s.mixing(kChiRc, i) * s.mixing(kChiRc, i);
  }
  detail::stableSortSmall(byContent.begin(), byContent.end(),
                          [&](int a, int b) { return content[a] > content[b]; });
  const int a = byContent[0];
  const int b = byContent[1];
  std::array<int, 3> active{byContent[2], byContent[3], byContent[4]};
  // An insertion sort, as std::sort does for so few entries (the same order, ties included).
  detail::stableSortSmall(active.begin(), active.end(), [&](int i, int j) {
    return std::abs(s.masses(i)) < std::abs(s.masses(j));
  });
  std::copy(active.begin(), active.end(), s.active);

  // |m_a| - |m_b| without cancellation. For a pseudo-Dirac pair (opposite signs)
  // |m_a| - |m_b| = sgn(m_a)(m_a + m_b), and from m_i = v_i^T (M_0 + S) v_i with
  // v^T M_0 v = 2 M_chi v_L v_R and sum_i V_Li V_Ri = 0 (orthogonality):
  //   m_a + m_b = -2 M_chi sum_{i != a,b} V_Li V_Ri + v_a^T S v_a + v_b^T S v_b.
  // Every term is small and accurate, so the labelling survives splittings far
  // below double-precision epsilon (audit §4E).
  double diff;
  if ((s.masses(a) > 0.0) != (s.masses(b) > 0.0)) {
    double cross = 0.0;
    for (int i : s.active) cross += s.mixing(kChiL, i) * s.mixing(kChiRc, i);
    const double sum = -2.0 * in.Mchi * cross + s.mixing.col(a).dot(seesaw * s.mixing.col(a)) +
                       s.mixing.col(b).dot(seesaw * s.mixing.col(b));
    diff = (s.masses(a) > 0.0 ? 1.0 : -1.0) * sum;
  } else {
    diff = std::abs(s.masses(a)) - std::abs(s.masses(b));
  }
  s.light = diff <= 0.0 ? a : b;
  s.heavy = diff <= 0.0 ? b : a;
  s.splitting = std::abs(diff);
  return s;
}

namespace {

/// How chi was made (docs/physics/hidden_kev_fermion.md, "chi production"): the regimes of
/// chi_thermalisation_ratio R, with the boundaries of erratum E11 for phi^0.
enum class ChiRegime { FrozenIn = 0, PartlyThermal = 1, Thermal = 2 };

struct ChiProduction {
  ChiRegime regime = ChiRegime::Thermal;
  double ratio = 0.0;      ///< chi_thermalisation_ratio
  double yFreezeIn = 0.0;  ///< Y_chi_freeze_in, per state
  double yLight = 0.0;     ///< n/s of each state (not thermal: both the same, made at T >> m)
  double yHeavy = 0.0;
  /// Not thermal: the temperature at which production ends, T_ref (below the peak where the
  /// ratio falls back to 1, else the peak); the abundance is compared with Y_eq there.
  double tEnd = kInf;
  double lambda = 0.0;  ///< Y/Y_eq(T_ref): the number in units of a thermal relic's
};

/// R >= 10: a thermal relic (the freeze-out path sets Y). R <= 0.1: frozen in, Y = Y_FI.
/// Between: dY/dt = C (1 - Y^2/Y_eq^2) (pair production and its inverse) with constant Y_eq
/// gives Y = Y_eq tanh(Y_FI/Y_eq), Y_eq of a massless Majorana state (g = 2) at T_ref.
ChiProduction chiProduction(const KineticMixing& km, double gS, double M3) {
  // Above kThermalRatio the freeze-out sets everything that the decoupling temperature would.
  const cosmology::ChiFreezeIn fi =
      cosmology::chiFreezeIn(cosmology::chiProductionPortal(km, gS, M3), cosmology::kThermalRatio);
  ChiProduction c;
  c.ratio = fi.thermalisationRatio;
  c.yFreezeIn = fi.freezeInYield;
  if (c.ratio >= cosmology::kThermalRatio) return c;
  const bool frozenIn = c.ratio <= cosmology::kFreezeInRatio;
  c.regime = frozenIn ? ChiRegime::FrozenIn : ChiRegime::PartlyThermal;
  if (!(fi.freezeInYield > 0.0)) return c;  // no portal (epsilon or g_s = 0): no chi from it
  const double tRef =
      std::isnan(fi.decouplingTemperature) ? fi.peakTemperature : fi.decouplingTemperature;
  const double yEq = cosmology::equilibriumYield(thermal::Statistics::Fermion, 2.0, 0.0, tRef,
                                                 thermal::gStarS(tRef));
  const double y = frozenIn ? fi.freezeInYield : yEq * std::tanh(fi.freezeInYield / yEq);
  c.yLight = c.yHeavy = y;
  c.tEnd = tRef;
  c.lambda = y / yEq;
  return c;
}

/// The first parameter outside its domain and the domain; the CEvNS thresholds only when
/// that block is computed.
struct DomainViolation {
  std::size_t parameter;
  const char* rule;
};

std::optional<DomainViolation> domainViolation(std::span<const double> p, bool cevns) {
  using P = HiddenKevFermion::Parameter;
  if (!(p[P::M_N] > 0.0)) return DomainViolation{P::M_N, "must be > 0"};
  if (!(p[P::v_s] > 0.0)) return DomainViolation{P::v_s, "must be > 0"};
  if (p[P::M_chi] < 0.0) return DomainViolation{P::M_chi, "must be >= 0"};
  if (!(p[P::m_phi] > 0.0)) return DomainViolation{P::m_phi, "must be > 0"};
  if (!(std::abs(p[P::epsilon]) < 1.0)) return DomainViolation{P::epsilon, "|epsilon| must be < 1"};
  if (cevns && !(p[P::T_threshold_sns] > 0.0))
    return DomainViolation{P::T_threshold_sns, "must be > 0"};
  if (cevns && !(p[P::T_threshold_reactor] > 0.0))
    return DomainViolation{P::T_threshold_reactor, "must be > 0"};
  return std::nullopt;
}

// ---- Three N_R (option n_R = 3; docs/physics/hidden_kev_fermion.md, "Three N_R") ----

using Complex = std::complex<double>;
using DiracMatrix = Eigen::Matrix<Complex, 5, 3>;

/// The common parameters v_s .. R_detector, which follow the N_R block at `base`.
Inputs readCommon(std::span<const double> p, std::size_t base) {
  using P = HiddenKevFermion::Parameter;
  auto at = [&](P k) { return p[base + (k - P::v_s)]; };
  Inputs in{};
  in.MN = in.ye = in.ymu = in.ytau = in.fL = in.fR = kNaN;  // n_R = 1 only
  in.vs = at(P::v_s);
  in.Mchi = at(P::M_chi);
  in.eps = at(P::epsilon);
  in.gs = at(P::g_s);
  in.mphi = at(P::m_phi);
  in.kappa = at(P::kappa);
  in.thresholdSns = at(P::T_threshold_sns);
  in.thresholdReactor = at(P::T_threshold_reactor);
  in.detectorRadius = at(P::R_detector);
  return in;
}

/// The seesaw inputs with three N_R: m_D (5 x 3, rows nu_e, nu_mu, nu_tau, chi_L, chi_R^c) and
/// M_N; with Casas-Ibarra also the data it was built from.
struct Seesaw3 {
  std::array<double, 3> MN{};
  DiracMatrix mD = DiracMatrix::Zero();
  pmns::Matrix3 y = pmns::Matrix3::Zero();  ///< y_alpha i = sqrt2 (m_D)_alpha i / v
  std::array<double, 3> fL{}, fR{};
  bool real = true;  ///< every entry of m_D real (yukawa = direct)
  bool casasIbarra = false;
  std::array<double, 3> inputMasses{};  ///< m_1, m_2, m_3 (standard labels)
  pmns::MixingAngles inputAngles;
  double inputDm2_21 = kNaN, inputDm2_3l = kNaN;
};

Seesaw3 readSeesaw3(std::span<const double> p, bool casasIbarra, bool normal, const Inputs& in) {
  using D = HiddenKevFermion::DirectParameter;
  using C = HiddenKevFermion::CasasIbarraParameter;
  Seesaw3 ss;
  ss.casasIbarra = casasIbarra;
  const std::size_t fL = casasIbarra ? std::size_t{C::C_f_L1} : std::size_t{D::D_f_L1};
  const std::size_t fR = casasIbarra ? std::size_t{C::C_f_R1} : std::size_t{D::D_f_R1};
  for (std::size_t i = 0; i < 3; ++i) {
    ss.MN[i] = p[i];
    ss.fL[i] = p[fL + i];
    ss.fR[i] = p[fR + i];
  }
  const double v = constants::v;
  if (!casasIbarra) {
    for (int a = 0; a < 3; ++a) {
      for (int i = 0; i < 3; ++i) ss.y(a, i) = p[D::D_y_e1 + static_cast<std::size_t>(3 * a + i)];
    }
  } else {
    // Casas & Ibarra (hep-ph/0103065, Sec. 3): m_D = i U^* sqrt(m) R sqrt(M_N) (Pmns.hpp).
    ss.real = false;
    const pmns::Ordering ordering = normal ? pmns::Ordering::Normal : pmns::Ordering::Inverted;
    ss.inputAngles = {p[C::C_sin2_theta12], p[C::C_sin2_theta13], p[C::C_sin2_theta23],
                      p[C::C_delta_CP]};
    ss.inputDm2_21 = p[C::C_dm2_21];
    ss.inputDm2_3l = p[C::C_dm2_3l];
    ss.inputMasses =
        pmns::lightMasses(p[C::C_m_lightest], ss.inputDm2_21, ss.inputDm2_3l, ordering);
    const pmns::Matrix3 u = pmns::pdgMatrix(ss.inputAngles, p[C::C_alpha_21], p[C::C_alpha_31]);
    const pmns::Matrix3 r = pmns::complexOrthogonal({p[C::C_omega_12_re], p[C::C_omega_12_im]},
                                                    {p[C::C_omega_13_re], p[C::C_omega_13_im]},
                                                    {p[C::C_omega_23_re], p[C::C_omega_23_im]});
    ss.y = sqrt2 / v * pmns::casasIbarraDirac(u, ss.inputMasses, r, ss.MN);
  }
  // m_D = (y v, f_L v_s, f_R v_s)/sqrt2 per N_R (physics.md conventions, CN Eq. 1).
  for (int i = 0; i < 3; ++i) {
    for (int a = 0; a < 3; ++a) ss.mD(a, i) = ss.y(a, i) * v / sqrt2;
    ss.mD(kChiL, i) = ss.fL[static_cast<std::size_t>(i)] * in.vs / sqrt2;
    ss.mD(kChiRc, i) = ss.fR[static_cast<std::size_t>(i)] * in.vs / sqrt2;
  }
  return ss;
}

/// Takagi form of the light 5x5 spectrum: U^T M_eff U = diag(masses), masses >= 0.
struct Spectrum3 {
  RealVector<5> masses = RealVector<5>::Zero();
  ComplexMatrix<5> mixing = ComplexMatrix<5>::Identity();  ///< column i: state i, U_alpha i
  ComplexMatrix<5> meff = ComplexMatrix<5>::Zero();
  int active[3] = {0, 1, 2};  ///< ascending mass
  int light = 3;
  int heavy = 4;
  double splitting = 0.0;
  bool converged = false;
};

double chiContent(const ComplexMatrix<5>& u, int i) {
  return std::norm(u(kChiL, i)) + std::norm(u(kChiRc, i));
}

/// CN Eqs. 3, 10 with three N_R: M_eff = M_0 - m_D M_N^-1 m_D^T (5 x 5, M_0 = M_chi on the
/// chi_L chi_R^c entries), diagonalised exactly; the chi states are the two with the largest
/// chi content (as with one N_R).
Spectrum3 spectrum3(const Seesaw3& ss, double mChi) {
  Spectrum3 s;
  Eigen::Matrix<Complex, 3, 3> inverse = Eigen::Matrix<Complex, 3, 3>::Zero();
  for (int i = 0; i < 3; ++i) inverse(i, i) = 1.0 / ss.MN[static_cast<std::size_t>(i)];
  const ComplexMatrix<5> seesaw = -ss.mD * inverse * ss.mD.transpose();
  s.meff = seesaw;
  s.meff(kChiL, kChiRc) += mChi;
  s.meff(kChiRc, kChiL) += mChi;

  if (ss.real) {
    // Real Yukawas: the signed Jacobi of the one-N_R path, then a factor i on the columns of
    // negative eigenvalues (Takagi form), so that the pseudo-Dirac splitting keeps the
    // cancellation-free formula of the one-N_R path (audit §4E).
    const RealMatrix<5> m = s.meff.real();
    const RealMatrix<5> seesawReal = seesaw.real();
    const SymmetricEigensystem<5> eig = diagonaliseSymmetric<5>(m);
    s.converged = eig.converged;
    std::array<int, 5> byContent{0, 1, 2, 3, 4};
    auto content = [&](int i) {
      return eig.vectors(kChiL, i) * eig.vectors(kChiL, i) +
             eig.vectors(kChiRc, i) * eig.vectors(kChiRc, i);
    };
    detail::stableSortSmall(byContent.begin(), byContent.end(),
                            [&](int a, int b) { return content(a) > content(b); });
    const int a = byContent[0];
    const int b = byContent[1];
    std::array<int, 3> active{byContent[2], byContent[3], byContent[4]};
    std::sort(active.begin(), active.end(),
              [&](int i, int j) { return std::abs(eig.values(i)) < std::abs(eig.values(j)); });
    double diff;
    if ((eig.values(a) > 0.0) != (eig.values(b) > 0.0)) {
      double cross = 0.0;
      for (int i : active) cross += eig.vectors(kChiL, i) * eig.vectors(kChiRc, i);
      const double sum = -2.0 * mChi * cross +
                         eig.vectors.col(a).dot(seesawReal * eig.vectors.col(a)) +
                         eig.vectors.col(b).dot(seesawReal * eig.vectors.col(b));
      diff = (eig.values(a) > 0.0 ? 1.0 : -1.0) * sum;
    } else {
      diff = std::abs(eig.values(a)) - std::abs(eig.values(b));
    }
    for (int i = 0; i < 5; ++i) {
      s.masses(i) = std::abs(eig.values(i));
      const Complex phase = eig.values(i) < 0.0 ? Complex(0.0, 1.0) : Complex(1.0, 0.0);
      s.mixing.col(i) = eig.vectors.col(i).cast<Complex>() * phase;
    }
    std::copy(active.begin(), active.end(), s.active);
    s.light = diff <= 0.0 ? a : b;
    s.heavy = diff <= 0.0 ? b : a;
    s.splitting = std::abs(diff);
    return s;
  }

  const TakagiFactorisation<5> tk = takagiFactorise<5>(s.meff);
  s.converged = tk.converged;
  s.masses = tk.singularValues;
  s.mixing = tk.U;
  std::array<int, 5> byContent{0, 1, 2, 3, 4};
  detail::stableSortSmall(byContent.begin(), byContent.end(), [&](int a, int b) {
    return chiContent(s.mixing, a) > chiContent(s.mixing, b);
  });
  int a = std::min(byContent[0], byContent[1]);  // ascending: masses(a) <= masses(b)
  int b = std::max(byContent[0], byContent[1]);
  std::array<int, 3> active{byContent[2], byContent[3], byContent[4]};
  std::sort(active.begin(), active.end());
  std::copy(active.begin(), active.end(), s.active);
  // The splitting: the difference of the two Takagi values holds to 16 eps m_chi; below that,
  // the chi 2x2 block [[p, q], [q, r]] of M_eff gives it without cancellation,
  //   sigma_+ - sigma_- = sqrt((|p|^2 - |r|^2)^2 + 4 |p^* q + q^* r|^2)
  //                       / sqrt(|p|^2 + 2 |q|^2 + |r|^2 + 2 |p r - q^2|),
  // (the eigenvalues of its M^dag M), up to the back-reaction of the active states,
  // O(|M_eff nu-chi|^2/m_chi). The heavier state is then the symmetric one (chi_L chi_R^c* > 0
  // in the phase of q) when Re((p + r) e^{-i arg q}) > 0, as for a real block.
  const Complex p = s.meff(kChiL, kChiL), q = s.meff(kChiL, kChiRc), r = s.meff(kChiRc, kChiRc);
  const double errorDifference = 16.0 * std::numeric_limits<double>::epsilon() * s.masses(b);
  double mixed = 0.0;
  for (int alpha = 0; alpha < 3; ++alpha) {
    mixed += std::norm(s.meff(alpha, kChiL)) + std::norm(s.meff(alpha, kChiRc));
  }
  const double errorBlock = s.masses(a) > 0.0 ? 4.0 * mixed / s.masses(a) : kInf;
  if (errorBlock < errorDifference && std::abs(q) > 0.0) {
    const double np = std::norm(p), nr = std::norm(r), nq = std::norm(q);
    const double gap2 =
        std::sqrt((np - nr) * (np - nr) + 4.0 * std::norm(std::conj(p) * q + std::conj(q) * r));
    s.splitting = gap2 / std::sqrt(np + 2.0 * nq + nr + 2.0 * std::abs(p * r - q * q));
    const Complex unit = q / std::abs(q);
    const bool symmetricHeavier = std::real((p + r) * std::conj(unit)) > 0.0;
    const bool aSymmetric =
        std::real(s.mixing(kChiL, a) * std::conj(s.mixing(kChiRc, a)) * std::conj(unit)) > 0.0;
    if (aSymmetric == symmetricHeavier) std::swap(a, b);
    s.light = a;
    s.heavy = b;
  } else {
    s.light = a;
    s.heavy = b;
    s.splitting = s.masses(b) - s.masses(a);
  }
  return s;
}

/// Gamma(phi^0 -> i j) for a complex coupling y of Takagi states (masses >= 0): with
/// L = -(1/2) y phi psi_i psi_j + h.c., Gamma ~ |y|^2 (m_phi^2 - m_i^2 - m_j^2) - 2 m_i m_j Re y^2,
/// i.e. the real-coupling width of Re y with masses (m_i, m_j) plus that of Im y with
/// (m_i, -m_j) (a factor i on a state is a sign of its mass).
double scalarToPair3(Complex y, double mPhi, double mI, double mJ, bool identical) {
  return scalarToMajoranaPair(y.real(), mPhi, mI, mJ, identical) +
         scalarToMajoranaPair(y.imag(), mPhi, mI, -mJ, identical);
}

/// phiDecays with three N_R: dM_eff/dx = -(e_x M_N^-1 m_D^T + m_D M_N^-1 e_x^T),
/// e_vs = dm_D/dv_s (rows chi_L, chi_R^c: f_L_i/sqrt2, f_R_i/sqrt2), e_v = dm_D/dv (rows
/// nu_alpha: y_alpha i/sqrt2); Y = cos(alpha) dM_eff/dv_s - sin(alpha) dM_eff/dv in the mass
/// basis U^T Y U (CN Eqs. 2, 67 with three N_R; erratum E4).
PhiDecays phiDecays3(const Spectrum3& s, const Seesaw3& ss, const Inputs& in, double sinAlpha) {
  PhiDecays d;
  d.sm = scalarWidthToStandardModel(sinAlpha, in.mphi);
  DiracMatrix eVs = DiracMatrix::Zero();
  DiracMatrix eV = DiracMatrix::Zero();
  Eigen::Matrix<Complex, 3, 3> inverse = Eigen::Matrix<Complex, 3, 3>::Zero();
  for (int i = 0; i < 3; ++i) {
    const auto k = static_cast<std::size_t>(i);
    inverse(i, i) = 1.0 / ss.MN[k];
    eVs(kChiL, i) = ss.fL[k] / sqrt2;
    eVs(kChiRc, i) = ss.fR[k] / sqrt2;
    for (int a = 0; a < 3; ++a) eV(a, i) = ss.y(a, i) / sqrt2;
  }
  const double cosAlpha = std::sqrt(std::max(0.0, 1.0 - sinAlpha * sinAlpha));
  const ComplexMatrix<5> dVs =
      -(eVs * inverse * ss.mD.transpose() + ss.mD * inverse * eVs.transpose());
  const ComplexMatrix<5> dV =
      -(eV * inverse * ss.mD.transpose() + ss.mD * inverse * eV.transpose());
  const ComplexMatrix<5> y = s.mixing.transpose() * (cosAlpha * dVs - sinAlpha * dV) * s.mixing;
  addScalarPairWidths(d, y, s, in.mphi, scalarToPair3);
  return d;
}

/// lightStatesOf with three N_R: complex columns, and the scalar portal
/// y_chi = |sum_i y_l i f_R i/M_N i| v_s/sqrt2 per incoming flavour l (CN Sec. II).
signals::LightStates lightStatesOf3(const Spectrum3& s, const Seesaw3& ss, const Inputs& in) {
  signals::LightStates states;
  auto state = [&](int i) {
    signals::NeutralState n;
    n.mass = s.masses(i);
    n.u2e = cleanMixing(std::norm(s.mixing(kNuE, i)));
    n.u2mu = cleanMixing(std::norm(s.mixing(kNuE + 1, i)));
    n.rightHanded2 = std::norm(s.mixing(kChiRc, i));
    for (int alpha = 0; alpha < 3; ++alpha) {
      const Complex u = s.mixing(kNuE + alpha, i);
      const bool zero = cleanMixing(std::norm(u)) == 0.0;
      n.amplitude[static_cast<std::size_t>(alpha)] = zero ? 0.0 : u.real();
      n.amplitudeIm[static_cast<std::size_t>(alpha)] = zero ? 0.0 : u.imag();
    }
    n.sterile2 = cleanMixing(std::norm(s.mixing(kChiL, i)) + n.rightHanded2);
    return n;
  };
  for (int i : s.active) states.active.push_back(state(i));
  states.chi = {state(s.light), state(s.heavy)};
  const double sinAlpha = higgsMixing(in);
  auto portal = [&](int l) {
    Complex sum = 0.0;
    for (int i = 0; i < 3; ++i) {
      const auto k = static_cast<std::size_t>(i);
      sum += ss.y(l, i) * ss.fR[k] / ss.MN[k];
    }
    return cevns::ScalarPortal{std::abs(sum) * in.vs / sqrt2, sinAlpha, in.vs, in.mphi};
  };
  states.portal = std::array<cevns::ScalarPortal, 2>{portal(0), portal(1)};
  return states;
}

/// The first parameter outside its domain with three N_R.
std::optional<DomainViolation> domainViolation3(std::span<const double> p, bool casasIbarra,
                                                bool normal, std::size_t common, bool cevns) {
  using C = HiddenKevFermion::CasasIbarraParameter;
  using P = HiddenKevFermion::Parameter;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!(p[i] > 0.0)) return DomainViolation{i, "must be > 0"};
  }
  if (casasIbarra) {
    if (!(p[C::C_m_lightest] >= 0.0)) return DomainViolation{C::C_m_lightest, "must be >= 0"};
    for (std::size_t k : {C::C_sin2_theta12, C::C_sin2_theta13, C::C_sin2_theta23}) {
      if (!(p[k] >= 0.0 && p[k] <= 1.0)) return DomainViolation{k, "must be in [0, 1]"};
    }
    if (!(p[C::C_dm2_21] > 0.0)) return DomainViolation{C::C_dm2_21, "must be > 0"};
    // The standard labels need the pair (1, 2) to be the closer one.
    if (normal && !(p[C::C_dm2_3l] > 2.0 * p[C::C_dm2_21])) {
      return DomainViolation{C::C_dm2_3l,
                             "must be > 2 dm2_21_in with ordering=normal (m3^2 - m1^2)"};
    }
    if (!normal && !(p[C::C_dm2_3l] < -2.0 * p[C::C_dm2_21])) {
      return DomainViolation{C::C_dm2_3l,
                             "must be < -2 dm2_21_in with ordering=inverted (m3^2 - m2^2)"};
    }
    for (std::size_t k = C::C_alpha_21; k <= C::C_omega_23_im; ++k) {
      if (k == C::C_dm2_21 || k == C::C_dm2_3l) continue;
      if (!std::isfinite(p[k])) return DomainViolation{k, "must be finite"};
    }
    if (!std::isfinite(p[C::C_delta_CP])) return DomainViolation{C::C_delta_CP, "must be finite"};
  }
  auto at = [&](P k) { return common + (k - P::v_s); };
  if (!(p[at(P::v_s)] > 0.0)) return DomainViolation{at(P::v_s), "must be > 0"};
  if (p[at(P::M_chi)] < 0.0) return DomainViolation{at(P::M_chi), "must be >= 0"};
  if (!(p[at(P::m_phi)] > 0.0)) return DomainViolation{at(P::m_phi), "must be > 0"};
  if (!(std::abs(p[at(P::epsilon)]) < 1.0)) {
    return DomainViolation{at(P::epsilon), "|epsilon| must be < 1"};
  }
  if (cevns && !(p[at(P::T_threshold_sns)] > 0.0)) {
    return DomainViolation{at(P::T_threshold_sns), "must be > 0"};
  }
  if (cevns && !(p[at(P::T_threshold_reactor)] > 0.0)) {
    return DomainViolation{at(P::T_threshold_reactor), "must be > 0"};
  }
  return std::nullopt;
}

/// The spectrum block with three N_R.
void fillSpectrum3(const Spectrum3& s, const Seesaw3& ss, const Inputs& in, std::span<double> out) {
  const double activeScale = s.masses(s.active[2]);
  std::array<double, 3> m{};  // ascending, unflushed
  for (int k = 0; k < 3; ++k) {
    const auto kk = static_cast<std::size_t>(k);
    m[kk] = s.masses(s.active[k]);
    out[m_nu_1 + kk] =
        m[kk] < 64.0 * std::numeric_limits<double>::epsilon() * activeScale ? 0.0 : m[kk];
  }
  out[m_chi_light] = s.masses(s.light);
  out[m_chi_heavy] = s.masses(s.heavy);
  out[delta_m_chi] = s.splitting;
  auto u2 = [&](int i) {
    double sum = 0.0;
    for (int alpha = 0; alpha < 3; ++alpha) sum += std::norm(s.mixing(alpha, i));
    return cleanMixing(sum);
  };
  auto flavour = [&](int alpha, int i) { return cleanMixing(std::norm(s.mixing(alpha, i))); };
  out[U2_chi_light] = u2(s.light);
  out[U2_chi_heavy] = u2(s.heavy);
  out[U2e_chi_light] = flavour(0, s.light);
  out[U2e_chi_heavy] = flavour(0, s.heavy);
  out[U2mu_chi_light] = flavour(1, s.light);
  out[U2mu_chi_heavy] = flavour(1, s.heavy);
  out[U2tau_chi_light] = flavour(2, s.light);
  out[U2tau_chi_heavy] = flavour(2, s.heavy);
  // CN Eq. 9 as printed, summed over the N_R: |sum_i y_e i f_L i/M_N i| v v_s/M_chi.
  Complex eq9 = 0.0;
  for (int i = 0; i < 3; ++i) {
    const auto k = static_cast<std::size_t>(i);
    eq9 += ss.y(0, i) * ss.fL[k] / ss.MN[k];
  }
  out[theta_eq9] = std::abs(eq9) * constants::v * in.vs / in.Mchi;
  // CN Eqs. 19-20 with the Takagi U (masses >= 0, phases in U): M = U^* diag(m) U^dag, so
  // m_ee = |sum_i U_ei^2 m_i|.
  Complex mee = 0.0, meeActive = 0.0;
  double mbeta2 = 0.0;
  for (int i = 0; i < 5; ++i) mee += s.mixing(kNuE, i) * s.mixing(kNuE, i) * s.masses(i);
  for (int i : s.active) {
    meeActive += s.mixing(kNuE, i) * s.mixing(kNuE, i) * s.masses(i);
    mbeta2 += std::norm(s.mixing(kNuE, i)) * s.masses(i) * s.masses(i);
  }
  out[m_ee] = std::abs(mee);
  out[m_ee_active] = std::abs(meeActive);
  out[m_beta] = std::sqrt(mbeta2);
  out[sum_m_nu] = out[m_nu_1] + out[m_nu_2] + out[m_nu_3];

  // Oscillation parameters: the standard labels (Pmns.hpp), N = U[flavour, state 1..3],
  // N N^dag - 1 = -B B^dag (B the chi columns; U is unitary), angles of N's unitary part.
  const std::array<int, 3> label = pmns::standardLabels(m);
  const bool normal = label[0] == 0;
  pmns::Matrix3 n;
  pmns::Matrix3 deficit = pmns::Matrix3::Zero();
  for (int a = 0; a < 3; ++a) {
    for (int k = 0; k < 3; ++k) n(a, k) = s.mixing(a, s.active[label[static_cast<std::size_t>(k)]]);
  }
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      for (int j : {s.light, s.heavy}) deficit(a, b) += s.mixing(a, j) * std::conj(s.mixing(b, j));
    }
  }
  // The heavy N_R's own share, leading order in Theta = m_D M_N^-1 (active rows): the light
  // states' active rows are (1 - Theta Theta^dag / 2) times those of the 5x5 (Schechter & Valle,
  // Phys. Rev. D 25 (1982) 774; Fernandez-Martinez et al., hep-ph/0703098, Eq. 5), so
  // N N^dag - 1 = -(B B^dag + Theta Theta^dag). It is about m_nu/M_N (1e-25 at the defaults)
  // unless Casas-Ibarra's complex R makes the Yukawas large at a low M_N. The angles below need
  // the chi part only: the factor (1 - Theta Theta^dag / 2) is Hermitian and drops out of the
  // unitary part at this order.
  pmns::Matrix3 heavy = pmns::Matrix3::Zero();
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      for (int i = 0; i < 3; ++i) {
        const double mn = ss.MN[static_cast<std::size_t>(i)];
        heavy(a, b) += ss.mD(a, i) * std::conj(ss.mD(b, i)) / (mn * mn);
      }
    }
  }
  out[pmns_nonunitarity] = (deficit + heavy).cwiseAbs().maxCoeff();
  const pmns::MixingAngles angles = pmns::anglesOf(pmns::unitaryPart(n, deficit));
  const double m1 = m[static_cast<std::size_t>(label[0])];
  const double m2 = m[static_cast<std::size_t>(label[1])];
  const double m3 = m[static_cast<std::size_t>(label[2])];
  out[dm2_21] = (m2 - m1) * (m2 + m1);
  out[dm2_3l] = normal ? (m3 - m1) * (m3 + m1) : (m3 - m2) * (m3 + m2);
  out[sin2_theta12] = angles.sin2Theta12;
  out[sin2_theta13] = angles.sin2Theta13;
  out[sin2_theta23] = angles.sin2Theta23;
  out[delta_CP] = angles.deltaCP;
  out[yukawa_max] = ss.y.cwiseAbs().maxCoeff();
  if (!ss.casasIbarra) return;
  std::array<double, 3> input = ss.inputMasses;
  std::sort(input.begin(), input.end());
  for (std::size_t k = 0; k < 3; ++k) out[shift_m_nu_1 + k] = m[k] - input[k];
  out[shift_dm2_21] = out[dm2_21] / ss.inputDm2_21 - 1.0;
  out[shift_dm2_3l] = out[dm2_3l] / ss.inputDm2_3l - 1.0;
  auto relative = [](double value, double given) {
    return given != 0.0 ? value / given - 1.0 : kNaN;
  };
  out[shift_sin2_theta12] = relative(angles.sin2Theta12, ss.inputAngles.sin2Theta12);
  out[shift_sin2_theta13] = relative(angles.sin2Theta13, ss.inputAngles.sin2Theta13);
  out[shift_sin2_theta23] = relative(angles.sin2Theta23, ss.inputAngles.sin2Theta23);
  out[shift_delta_CP] = std::remainder(angles.deltaCP - ss.inputAngles.deltaCP, 2.0 * pi);
}

}  // namespace

std::string HiddenKevFermion::unphysicalParameter(std::span<const double> parameters,
                                                  BlockMask blocks) const {
  const bool cevns = (closure(blocks) & kCevns) != 0;
  const auto v = threeSinglets_
                     ? domainViolation3(parameters, casasIbarra_, normalOrdering_, common_, cevns)
                     : domainViolation(parameters, cevns);
  return v ? describeDomainViolation(*this, v->parameter, parameters[v->parameter], v->rule) : "";
}

PointStatus HiddenKevFermion::compute(std::span<const double> parameters, BlockMask blocks,
                                      std::span<double> out) const {
  const Inputs in = threeSinglets_ ? readCommon(parameters, common_) : read(parameters);
  const bool outside =
      threeSinglets_
          ? domainViolation3(parameters, casasIbarra_, normalOrdering_, common_, false).has_value()
          : domainViolation(parameters, false).has_value();
  if (outside) return PointStatus::UnphysicalParameter;

  // Set when an estimate is outside its validity; every observable is still computed.
  PointStatus status = PointStatus::Ok;

  Spectrum s;
  Seesaw3 ss;    // n_R = 3
  Spectrum3 s3;  // n_R = 3
  if ((blocks & kSpectrum) && threeSinglets_) {
    ss = readSeesaw3(parameters, casasIbarra_, normalOrdering_, in);
    s3 = spectrum3(ss, in.Mchi);
    if (!s3.converged) return PointStatus::SolverFailed;
    fillSpectrum3(s3, ss, in, out);
  } else if (blocks & kSpectrum) {
    s = spectrum(parameters);
    if (!s.converged) return PointStatus::SolverFailed;
    // Exact zeros (one N_R gives two massless active states) come out at the
    // level of rounding of the active entries; report them as 0.
    const double activeScale = std::abs(s.masses(s.active[2]));
    for (int k = 0; k < 3; ++k) {
      const double mk = std::abs(s.masses(s.active[k]));
      out[m_nu_1 + k] = mk < 64.0 * std::numeric_limits<double>::epsilon() * activeScale ? 0.0 : mk;
    }
    out[m_chi_light] = std::abs(s.masses(s.light));
    out[m_chi_heavy] = std::abs(s.masses(s.heavy));
    out[delta_m_chi] = s.splitting;
    auto u2 = [&](int i) {
      double sum = 0.0;
      for (int alpha = 0; alpha < 3; ++alpha) sum += s.mixing(alpha, i) * s.mixing(alpha, i);
      return cleanMixing(sum);
    };
    out[U2_chi_light] = u2(s.light);
    out[U2_chi_heavy] = u2(s.heavy);
    out[U2e_chi_light] = cleanMixing(s.mixing(kNuE, s.light) * s.mixing(kNuE, s.light));
    out[U2e_chi_heavy] = cleanMixing(s.mixing(kNuE, s.heavy) * s.mixing(kNuE, s.heavy));
    out[theta_eq9] = in.ye * in.fL * constants::v * in.vs / (in.Mchi * in.MN);  // CN Eq. 9
    // CN Eq. 20: real orthogonal U with signed masses carries the Majorana phases.
    double mee = 0.0;
    double meeActive = 0.0;
    double mbeta2 = 0.0;
    for (int i = 0; i < 5; ++i) mee += s.mixing(kNuE, i) * s.mixing(kNuE, i) * s.masses(i);
    for (int i : s.active) {
      const double ue2 = s.mixing(kNuE, i) * s.mixing(kNuE, i);
      meeActive += ue2 * s.masses(i);
      mbeta2 += ue2 * s.masses(i) * s.masses(i);  // CN Eq. 19
    }
    out[m_ee] = std::abs(mee);
    out[m_ee_active] = std::abs(meeActive);
    out[m_beta] = std::sqrt(mbeta2);
    out[sum_m_nu] = out[m_nu_1] + out[m_nu_2] + out[m_nu_3];
    out[U2mu_chi_light] = cleanMixing(s.mixing(kNuE + 1, s.light) * s.mixing(kNuE + 1, s.light));
    out[U2mu_chi_heavy] = cleanMixing(s.mixing(kNuE + 1, s.heavy) * s.mixing(kNuE + 1, s.heavy));
    out[U2tau_chi_light] = cleanMixing(s.mixing(kNuE + 2, s.light) * s.mixing(kNuE + 2, s.light));
    out[U2tau_chi_heavy] = cleanMixing(s.mixing(kNuE + 2, s.heavy) * s.mixing(kNuE + 2, s.heavy));
  }

  ChiDecay light;
  ChiDecay heavy;
  if (blocks & kChiDecays) {
    light = threeSinglets_ ? chiDecay(s3, s3.light) : chiDecay(s, s.light);
    heavy = threeSinglets_ ? chiDecay(s3, s3.heavy) : chiDecay(s, s.heavy);
    out[Gamma_chi_light_3nu] = light.threeNu;
    out[Gamma_chi_light_nugamma] = light.nuGamma;
    out[tau_chi_light] = light.lifetimeSeconds;
    out[Gamma_chi_heavy_3nu] = heavy.threeNu;
    out[Gamma_chi_heavy_nugamma] = heavy.nuGamma;
    out[tau_chi_heavy] = heavy.lifetimeSeconds;
    out[E_xray_light] = 0.5 * out[m_chi_light];
    out[E_xray_heavy] = 0.5 * out[m_chi_heavy];
  }

  if (blocks & kBetaDecay) {
    // CN Eqs. 17-18, electron kinetic energy at the kink: Q - m, closed above Q.
    auto kink = [](double m) { return m < constants::Q_tritium ? constants::Q_tritium - m : kNaN; };
    out[E_kink_light] = kink(out[m_chi_light]);
    out[E_kink_heavy] = kink(out[m_chi_heavy]);
  }

  const double sinAlpha = higgsMixing(in);
  PhiDecays phi;  // phi^0 widths: the cosmology block computes them, the higgs block reuses them
  bool phiWidthsDone = false;
  KineticMixing km;
  if (blocks & kElectroweak) {
    const double m3 = in.gs * in.vs;
    km = kineticMixing(in.eps, m3);
    out[s_epsilon] = km.sEpsilon;
    out[M_3] = m3;
    out[eta] = km.eta;
    out[M_Z_shifted] = std::sqrt(km.MZ2);
    out[M_Zs] = std::sqrt(km.MZs2);
    out[delta_rho] = km.deltaRho;
    out[Gamma_Z_chichi] = zToChiChiWidth(km, in.gs);
    out[delta_Gamma_Z_inv] =
        out[Gamma_Z_chichi] + 3.0 * constants::Gamma_Z_nunu * zNeutrinoCouplingShift(km);
    // CN Eq. 50; memoised per thread on the bits of m_phi (fixed in the quick start), a pure
    // function of m_phi whether the entry hits or not.
    thread_local std::uint64_t fKey = 0;  // m_phi > 0: the bits are never 0
    thread_local double fValue = 0.0;
    if (const std::uint64_t key = std::bit_cast<std::uint64_t>(in.mphi); key != fKey) {
      fValue = zToPhiFFbarF(in.mphi / constants::M_Z);
      fKey = key;
    }
    const double f = fValue;
    out[BR_Z_mumu_phi] = sinAlpha * sinAlpha * f * constants::BR_Z_mumu;
    out[BR_Z_bb_phi] = sinAlpha * sinAlpha * f * constants::BR_Z_bb;
  }

  if (blocks & kCosmology) {
    out[sin_alpha] = sinAlpha;
    const double aChi = std::abs(km.eta) * in.gs / constants::g2;  // CN Eq. 51
    out[A_chi] = aChi;
    const double mLight = out[m_chi_light];
    const double mHeavy = out[m_chi_heavy];

    // CN Eq. 52, g_* = SM + chi (2 Majorana states x 2) + phi^0 (1), each with
    // its exact thermal weight (they drop out when non-relativistic). The lambdas below capture
    // one reference each, so that std::function keeps them in its own small buffer: three
    // references (24 bytes) put each on the heap, twice per thermal point.
    struct Masses {
      double light, heavy, phi;
    };
    const Masses masses{mLight, mHeavy, in.mphi};
    auto gTotal = [&masses](double t) {
      using thermal::Statistics;
      return thermal::gStar(t) +
             2.0 * thermal::energyWeight(Statistics::Fermion, masses.light / t) +
             2.0 * thermal::energyWeight(Statistics::Fermion, masses.heavy / t) +
             thermal::energyWeight(Statistics::Boson, masses.phi / t);
    };
    // Erratum E7: Z and Z_s exchange together (the chi-f coupling G_Q Q_f below the
    // crossover, G_Y Y_f above), summed over the species present at T, instead of
    // CN Eq. 51's A_chi^2 G_F^2 T^2.
    const cosmology::ChiPortal portal = cosmology::chiPortal(km, in.gs, in.gs * in.vs);
    out[G_chi_Q] = portal.gQ;
    // Did chi ever reach equilibrium through the portal? (chiProduction, ChiFreezeIn.hpp)
    const ChiProduction production = chiProduction(km, in.gs, in.gs * in.vs);
    out[chi_thermalisation_ratio] = production.ratio;
    out[Y_chi_freeze_in] = production.yFreezeIn;
    out[chi_regime] = static_cast<double>(production.regime);
    double tf = production.tEnd;  // T_f of a thermal relic, the end of production otherwise
    double yLight = production.yLight;
    double yHeavy = production.yHeavy;
    if (production.regime == ChiRegime::Thermal) {
      // The same g_* from ln T (the tables without their logs) for the fast path's secant.
      const Masses lnMasses{std::log(mLight), std::log(mHeavy), std::log(in.mphi)};
      auto gTotalOfLog = [&lnMasses](double u) {
        using thermal::Statistics;
        return thermal::gStarOfLog(u) +
               2.0 * thermal::energyWeightOfLog(Statistics::Fermion, lnMasses.light - u) +
               2.0 * thermal::energyWeightOfLog(Statistics::Fermion, lnMasses.heavy - u) +
               thermal::energyWeightOfLog(Statistics::Boson, lnMasses.phi - u);
      };
      const cosmology::ChiFreezeOut freezeOut =
          cosmology::chiFreezeOut(portal, gTotal, gTotalOfLog);
      tf = freezeOut.temperature;
      out[T_freezeout] = tf;
      out[freezeout_neglected] = freezeOut.neglected;
      if (!(freezeOut.neglected <= cosmology::kFreezeOutValidity)) {
        status = PointStatus::FreezeOutInvalid;
      }
      // No freeze-out above 0.1 MeV (chi stays coupled until it is non-relativistic): the
      // relativistic freeze-out estimate does not apply, and nothing downstream can be computed.
      if (std::isnan(tf)) return PointStatus::FreezeOutInvalid;
      // CN Eq. 55. n_chi/s is conserved against the entropy of the SM plasma that
      // becomes s_0 (chi keeps its own entropy after decoupling), so g_*s is SM only.
      const double gsF = thermal::gStarS(tf);
      yLight = cosmology::equilibriumYield(thermal::Statistics::Fermion, 2.0, mLight, tf, gsF);
      yHeavy = cosmology::equilibriumYield(thermal::Statistics::Fermion, 2.0, mHeavy, tf, gsF);
    } else if (production.regime == ChiRegime::PartlyThermal && status == PointStatus::Ok) {
      status = PointStatus::ChiPartlyThermal;
    }
    const bool thermalChi = production.regime == ChiRegime::Thermal;
    out[Y_chi] = yLight;
    const bool heavyStable = heavy.lifetimeSeconds > constants::ageOfUniverseInSeconds;
    const double rhoOverS = yLight * mLight + (heavyStable ? yHeavy * mHeavy : 0.0);
    out[Omega_chi_thermal] = cosmology::omegaFromYield(1.0, rhoOverS);  // CN Eq. 56

    // phi^0 decays: SM, chi chi and nu chi (erratum E4), chi masses in the phase space.
    const PhiDecays pd =
        threeSinglets_ ? phiDecays3(s3, ss, in, sinAlpha) : phiDecays(s, in, sinAlpha);
    phiWidthsDone = true;
    phi = pd;
    const double total = pd.total();
    out[Gamma_phi_SM] = pd.sm;
    out[Gamma_phi_chichi] = pd.chichi;
    out[Gamma_phi] = total;
    out[tau_phi] = total > 0.0 ? units::hbarInGeVSeconds / total : kInf;
    out[BR_phi_chichi] = total > 0.0 ? pd.chichi / total : 0.0;

    const double tr = cosmology::reheatingTemperature(total);  // CN Eq. 60, SM g_*
    if (std::isnan(tr)) return PointStatus::SolverFailed;
    out[T_reheat] = tr;
    // Erratum E11: phi^0 is thermal only if the quartic portal brings it into equilibrium.
    const cosmology::ScalarPortalYield phiPortal = cosmology::scalarPortalYield(in.kappa, in.mphi);
    out[thermalisation_ratio] = phiPortal.thermalisationRatio;
    out[Y_phi_freeze_in] = phiPortal.freezeInYield;
    double yPhi;
    if (phiPortal.thermalisationRatio >= cosmology::kThermalRatio) {
      // Thermal: phi^0 stays in equilibrium down to the lower of the h <-> phi phi decoupling
      // and CN Eqs. 58-59 with the SM Yukawa m_mu/v (sigma = kappa^2 m_mu^2/M_H^4,
      // n sigma = T^2/M_Pl), a T << M_H estimate that applies only below the former.
      const double mh2 = constants::M_H * constants::M_H;
      const double tCN =
          mh2 * mh2 / (in.kappa * in.kappa * constants::m_mu * constants::m_mu * constants::M_Pl);
      const double tdec = std::min(phiPortal.decouplingTemperature, tCN);
      out[T_dec_phi] = tdec;
      out[phi_regime] = 2.0;
      yPhi = cosmology::equilibriumYield(thermal::Statistics::Boson, 1.0, in.mphi, tdec,
                                         thermal::gStarS(tdec));
    } else {
      // Frozen in, or partly thermal: dY/dt = C (1 - Y^2/Y_eq^2) for pair production with
      // constant Y_eq gives Y = Y_eq tanh(Y_FI/Y_eq) (-> Y_FI when Y_FI << Y_eq).
      const double tRef = std::isnan(phiPortal.decouplingTemperature)
                              ? phiPortal.peakTemperature
                              : phiPortal.decouplingTemperature;
      const double yEq = cosmology::equilibriumYield(thermal::Statistics::Boson, 1.0, in.mphi, tRef,
                                                     thermal::gStarS(tRef));
      yPhi = yEq * std::tanh(phiPortal.freezeInYield / yEq);
      out[T_dec_phi] = phiPortal.decouplingTemperature;
      const bool frozenIn = phiPortal.thermalisationRatio <= cosmology::kFreezeInRatio;
      out[phi_regime] = frozenIn ? 0.0 : 1.0;
      if (!frozenIn && status == PointStatus::Ok) status = PointStatus::PhiPartlyThermal;
    }
    out[Y_phi] = yPhi;
    // Erratum E3: only the SM share of the phi^0 energy becomes entropy; the chi share is
    // free-streaming radiation. The nu of nu chi (E ~ m_phi/2) thermalises while the weak
    // interactions do, i.e. when phi^0 decays above neutrino decoupling (2 MeV, as in the g_*
    // tables; every point that passes bbn_reheating does); below, it is free radiation too.
    const bool nuThermalises = tr > thermal::kNeutrinoDecouplingTemperature;
    // The SM share as the heating widths' own sum over the total: 1 - (hidden energy)/Gamma
    // is the same number (the chi and nu energy shares of a nu chi decay add up to 1), but it
    // cancelled where phi^0 decays almost only into chi: f_SM_phi = 2.3e-16 came out as
    // 2.2e-16 (one ulp of 1), 2.3e-12 with 1.5e-5 relative error.
    const double smFraction =
        total > 0.0 ? (pd.sm + (nuThermalises ? pd.nuEnergy : 0.0)) / total : 1.0;
    // CN Eqs. 60-62 as corrected (Cosmology.hpp): the dilution and the hidden share together.
    const cosmology::DecayOutcome afterDecay =
        cosmology::decayOutcome(in.mphi, yPhi, tr, smFraction);
    const double d = afterDecay.dilution;
    out[dilution] = d;
    // The entropy dilutes chi only if phi^0 decays after chi has frozen out (or, frozen in,
    // after its production, tf = the end of production); chi made in the decays then stays out
    // of equilibrium. Before a thermal chi freezes out both thermalise with the plasma; chi that
    // never reached equilibrium keeps the decay-produced ones.
    const bool dilutesRelic = tr < tf;
    const bool afterFreezeOut = thermalChi ? dilutesRelic : true;
    const double applied = dilutesRelic ? d : 1.0;
    // N_chi/S_final = Y_phi x (chi per decay) / D: the phi^0 number is fixed against the
    // entropy before the decays, which then grows by D.
    const double perDecay[2] = {total > 0.0 ? pd.chiNumber[0] / total : 0.0,
                                total > 0.0 ? pd.chiNumber[1] / total : 0.0};
    const double yDecayLight = afterFreezeOut ? yPhi * perDecay[0] / d : 0.0;
    const double yDecayHeavy = afterFreezeOut ? yPhi * perDecay[1] / d : 0.0;
    const double omegaDecay = cosmology::omegaFromYield(
        1.0, yDecayLight * mLight + (heavyStable ? yDecayHeavy * mHeavy : 0.0));
    out[Omega_chi] = out[Omega_chi_thermal] / applied + omegaDecay;
    out[Omega_chi_h2] = out[Omega_chi] * constants::h * constants::h;
    out[Omega_chi_over_DM] = out[Omega_chi_h2] / constants::OmegaCh2;
    out[Gamma_phi_nuchi] = pd.nuchi;
    out[BR_phi_chi_producing] = total > 0.0 ? (pd.chichi + pd.nuchi) / total : 0.0;
    out[f_SM_phi] = smFraction;
    out[Y_chi_decay] = yDecayLight + yDecayHeavy;
    out[f_hot_chi] = out[Omega_chi] > 0.0 ? omegaDecay / out[Omega_chi] : 0.0;
    // Delta N_eff at BBN. The decay-produced chi (and the nu below 2 MeV) carry
    // rho_hidden/rho_SM = (1 - f) X/(1 + f X) right after the decays (X the integrated entropy
    // increment, Cosmology.hpp), then redshift as radiation: p ~ m_phi/2 at T_reheat is still
    // >> m_chi at 1 MeV for keV chi (docs/physics/hidden_kev_fermion.md, erratum E3).
    const double hiddenRatio = afterFreezeOut ? afterDecay.hiddenToPlasma : 0.0;
    const double dNeffDecay = cosmology::deltaNeffOfHiddenRadiation(hiddenRatio, tr);
    out[Delta_N_eff_decay] = dNeffDecay;
    // The thermal relic: each Majorana state (2 dof) decoupled at T_f against the SM entropy
    // g_*s(T_f), diluted by D^(4/3) in energy, i.e. (11 g_*s0/(4 g_*s(T_f)))^(4/3)/D^(4/3)
    // species when relativistic; its energy weight at T_chi (equilibrium form, an
    // approximation for m_chi ~ T_chi) switches it off for MeV chi.
    constexpr double tBbn = 1.0e-3;
    // g_*s today, a constant: read once per process on the fast path.
    const double gs0 = reference::slowPath() ? thermal::gStarS(thermal::kMinTemperature) : [] {
      static const double g = thermal::gStarS(thermal::kMinTemperature);
      return g;
    }();
    const double gsAtFreezeOut = thermal::gStarS(std::min(tf, thermal::kMaxTemperature));
    const double perState = std::pow(11.0 * gs0 / (4.0 * gsAtFreezeOut) / applied, 4.0 / 3.0);
    // g_*s at T_BBN, a constant: read once per process on the fast path.
    const double gsBbn = reference::slowPath() ? thermal::gStarS(tBbn) : [] {
      static const double g = thermal::gStarS(tBbn);
      return g;
    }();
    const double tChi = tBbn * std::cbrt(gsBbn / gsAtFreezeOut / applied);
    const double massless = thermal::energyWeight(thermal::Statistics::Fermion, 0.0);
    double dNeffThermal = 0.0;
    if (thermalChi) {
      for (double m : {mLight, mHeavy}) {
        dNeffThermal +=
            perState * thermal::energyWeight(thermal::Statistics::Fermion, m / tChi) / massless;
      }
    } else {
      // Frozen in (or partly): the same momentum redshift, the number lambda = Y/Y_eq(T_prod)
      // of a thermal relic and the mean momentum 2.5 T instead of 3.15 T (ChiFreezeIn.hpp).
      dNeffThermal = 2.0 * perState * production.lambda * cosmology::kFreezeInMeanMomentum /
                     cosmology::kFermiDiracMeanMomentum;
    }
    out[Delta_N_eff_BBN] = dNeffDecay + dNeffThermal;

    // Indirect and structure-formation observables of the chi states.
    auto shareOfDarkMatter = [&](double rho) {
      return cosmology::omegaFromYield(1.0, rho) / applied * constants::h * constants::h /
             constants::OmegaCh2;
    };
    // Each state's thermal relic (diluted) plus its share of the decay-produced chi (erratum E3).
    const double decayShare = constants::h * constants::h / constants::OmegaCh2;
    const double fLight = shareOfDarkMatter(yLight * mLight) +
                          cosmology::omegaFromYield(1.0, yDecayLight * mLight) * decayShare;
    const double fHeavy = shareOfDarkMatter(yHeavy * mHeavy) +
                          cosmology::omegaFromYield(1.0, yDecayHeavy * mHeavy) * decayShare;
    out[Omega_chi_light_over_DM] = fLight;
    out[Omega_chi_heavy_over_DM] = fHeavy;
    const double tU = constants::ageOfUniverseInSeconds;
    // The line flux of a decaying dark-matter component is proportional to its
    // density today times Gamma(nu gamma)/m; an X-ray search that bounds
    // sin^2(2theta) of a sterile neutrino making all of the dark matter,
    // Gamma = 9 alpha G_F^2 sin^2(2theta) m^5/(1024 pi^4) (Pal & Wolfenstein,
    // the same normalisation as CN Eq. 14 with sin^2(2theta) = 4|U|^2), bounds
    // this equivalent mixing.
    auto xrayEquivalent = [&](const ChiDecay& decay, double m, double share) {
      if (!(m > 0.0) || decay.nuGamma == 0.0) return 0.0;
      const double m5 = m * m * m * m * m;
      const double perSin2 = 9.0 * constants::alpha * constants::G_F * constants::G_F * m5 /
                             (1024.0 * std::pow(pi, 4));
      return decay.nuGamma / perSin2 * share * std::exp(-tU / decay.lifetimeSeconds);
    };
    out[sin2_2theta_xray_light] = xrayEquivalent(light, mLight, fLight);
    out[sin2_2theta_xray_heavy] = xrayEquivalent(heavy, mHeavy, fHeavy);
    // Poulin, Serpico & Lesgourgues (arXiv:1606.02073) bound f Gamma for a
    // component decaying into invisible radiation (chi -> 3 nu dominates); for
    // lifetimes below the age of the Universe the rate is capped at 1/t_U, i.e.
    // the whole fraction has decayed (weaker than their short-lifetime bound).
    const double rateCap = units::hbarInGeVSeconds / tU;
    auto width = [](const ChiDecay& decay) { return decay.threeNu + decay.nuGamma; };
    out[dm_decay_rate] =
        fLight * std::min(width(light), rateCap) + fHeavy * std::min(width(heavy), rateCap);
    // A thermal relic that is all of the dark matter with g = 2 (one Majorana
    // state) and temperature T_x: T_x^3 m = const x f/N, so T_x/m scales as
    // (f/N)^(1/3) m^(-4/3); the thermal relic with the same T_x/m has mass
    // m (N/f)^(1/4). Applied only where chi is at least 35% of the dark matter.
    const double fTotal = out[Omega_chi_over_DM];
    const double nStable = heavyStable ? 2.0 : 1.0;
    if (thermalChi) {
      out[m_wdm_equivalent] =
          fTotal >= kWdmShareTested ? mLight * fourthRoot(nStable / fTotal) : kInf;
    } else {
      // Frozen in: <p> = 2.5 T_* instead of 3.15 T_x and lambda thermal relics' number
      // (docs/physics/hidden_kev_fermion.md): the thermal relic with the same <p>/m today has
      // m (3.15/2.5)^(3/4) (N lambda/f_portal)^(1/4), f_portal the share of the portal chi.
      const double fPortal =
          shareOfDarkMatter(yLight * mLight + (heavyStable ? yHeavy * mHeavy : 0.0));
      out[m_wdm_equivalent] =
          fTotal >= kWdmShareTested && fPortal > 0.0
              ? mLight *
                    std::pow(cosmology::kFermiDiracMeanMomentum / cosmology::kFreezeInMeanMomentum,
                             0.75) *
                    fourthRoot(nStable * production.lambda / fPortal)
              : kInf;
    }
  }

  if (blocks & kHiggs) {
    if (!(in.detectorRadius > 0.0)) return PointStatus::UnphysicalParameter;
    // CN Eq. 68 with the quartic kappa: L ⊃ -(kappa v/2) h phi phi.
    const double r = 4.0 * in.mphi * in.mphi / (constants::M_H * constants::M_H);
    const double width = r < 1.0 ? in.kappa * in.kappa * constants::v * constants::v /
                                       (32.0 * pi * constants::M_H) * std::sqrt(1.0 - r)
                                 : 0.0;
    out[Gamma_h_phiphi] = width;
    // Erratum E6: a phi^0 is missing energy only if it leaves the detector, or decays inside
    // it to chi chi or nu chi. From h at rest, E = M_H/2, beta gamma = p/m_phi, decay length
    // L = beta gamma hbar c/Gamma_phi; the detector is a sphere of radius R_detector around
    // the vertex: P(escape) = exp(-R/L). Both phi^0 must be invisible.
    if (!phiWidthsDone) {
      phi = threeSinglets_ ? phiDecays3(s3, ss, in, sinAlpha) : phiDecays(s, in, sinAlpha);
    }
    const double phiTotal = phi.total();
    const double energy = 0.5 * constants::M_H;
    const double betaGamma =
        r < 1.0 ? std::sqrt(energy * energy - in.mphi * in.mphi) / in.mphi : 0.0;
    const double length =
        phiTotal > 0.0 ? betaGamma * units::hbarCInGeVCm * 1e-2 / phiTotal : kInf;  // m
    const double escape = std::exp(-in.detectorRadius / length);
    const double brInvisible = phiTotal > 0.0 ? (phi.chichi + phi.nuchi) / phiTotal : 0.0;
    const double pInvisible = escape + (1.0 - escape) * brInvisible;
    out[decay_length_phi] = length;
    out[P_phi_invisible] = pInvisible;
    out[BR_h_inv] = width * pInvisible * pInvisible / (constants::Gamma_H_SM + width);
  }

  if (blocks & kCevns) {
    const bool outsideCevns =
        threeSinglets_
            ? domainViolation3(parameters, casasIbarra_, normalOrdering_, common_, true).has_value()
            : domainViolation(parameters, true).has_value();
    if (outsideCevns) return PointStatus::UnphysicalParameter;
    const signals::LightStates states =
        threeSinglets_ ? lightStatesOf3(s3, ss, in) : lightStatesOf(s, in);
    const auto sns = signals::cevnsCount(states, signals::Experiment::Sns, in.thresholdSns);
    const auto reactor =
        signals::cevnsCount(states, signals::Experiment::Reactor, in.thresholdReactor);
    out[cevns_sns_ratio] = sns.ratio;
    out[cevns_sns_deviation] = sns.deviation;
    out[cevns_reactor_ratio] = reactor.ratio;
    out[cevns_reactor_deviation] = reactor.deviation;
  }

  return status;
}

signals::LightStates HiddenKevFermion::lightStates(std::span<const double> parameters) {
  const Spectrum s = spectrum(parameters);
  return lightStatesOf(s, read(parameters));
}

signals::LightStates HiddenKevFermion::lightStatesOfPoint(
    std::span<const double> parameters) const {
  if (!threeSinglets_) return lightStates(parameters);
  const Inputs in = readCommon(parameters, common_);
  const Seesaw3 ss = readSeesaw3(parameters, casasIbarra_, normalOrdering_, in);
  return lightStatesOf3(spectrum3(ss, in.Mchi), ss, in);
}

}  // namespace portalscan::physics
