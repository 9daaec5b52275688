#include "portalscan/physics/HiddenKevFermion.hpp"

#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/ScalarDecays.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
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
  // higgs
  Gamma_h_phiphi,
  BR_h_inv,
  // cevns (opt-in)
  cevns_sns_ratio,
  cevns_sns_deviation,
  cevns_reactor_ratio,
  cevns_reactor_deviation,
  kObservableCount
};

std::vector<ParameterSpec> parameterSpecs() {
  return {
      {"M_N", "GeV", 1e14, "Majorana mass of the heavy singlet N_R (integrated out)"},
      {"y_e", "1", 1.0, "Yukawa coupling of N_R to the electron-flavour lepton doublet"},
      {"y_mu", "1", 0.0, "Yukawa coupling of N_R to the muon-flavour lepton doublet"},
      {"y_tau", "1", 0.0, "Yukawa coupling of N_R to the tau-flavour lepton doublet"},
      {"f_L", "1", 0.01, "Yukawa coupling chi_L-bar N_R phi (CN Eq. 1)"},
      {"f_R", "1", 0.01, "Yukawa coupling chi_R^c-bar N_R phi* (CN Eq. 1)"},
      {"v_s", "GeV", 1000.0, "U(1)_s breaking vev, <phi> = v_s/sqrt2"},
      {"M_chi", "GeV", 1e-5, "Dirac mass of chi (not the physical mass)"},
      {"epsilon", "1", 0.1, "kinetic mixing of U(1)_s with hypercharge (CN Eq. 1), |epsilon| < 1"},
      {"g_s", "1", 1.0, "U(1)_s gauge coupling"},
      {"m_phi", "GeV", 2.0, "mass of the hidden scalar phi^0"},
      {"kappa", "1", 2e-9, "quartic Higgs-portal coupling of (H^dag H)(phi^* phi) (CN Eq. 1)"},
      {"T_threshold_sns", "GeV", 5e-6,
       "nuclear-recoil threshold of the cevns_sns observables (the cevns block)"},
      {"T_threshold_reactor", "GeV", 1e-7,
       "nuclear-recoil threshold of the cevns_reactor observables (the cevns block)"},
  };
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
      {"A_chi", "1", co, "|eta| g_s/g_2", "CN Eq. 51"},
      {"T_freezeout", "GeV", co, "chi freeze-out temperature, g_* = SM + chi + phi^0", "CN Eq. 52"},
      {"Y_chi", "1", co, "n/s of one Majorana chi state at freeze-out (g = 2)", "CN Eq. 55"},
      {"Omega_chi_thermal", "1", co, "Omega of the stable chi states before dilution", "CN Eq. 56"},
      {"Gamma_phi_SM", "GeV", co, "phi^0 width to SM particles",
       "CN Eqs. 64-65 (corrected; errata E2, E5)"},
      {"Gamma_phi_chichi", "GeV", co, "phi^0 width to chi pairs (Majorana)", "CN Eq. 67"},
      {"Gamma_phi", "GeV", co, "total phi^0 width", "CN Eqs. 64-67"},
      {"tau_phi", "s", co, "phi^0 lifetime", "CN Eq. 66"},
      {"BR_phi_chichi", "1", co, "BR(phi^0 -> chi chi)", "CN Eq. 67"},
      {"T_reheat", "GeV", co, "reheating temperature after phi^0 decay (Gamma = H)", "CN Eq. 60"},
      {"T_dec_phi", "GeV", co, "phi^0 decoupling temperature (SM Yukawa m_mu/v)", "CN Eqs. 58-59"},
      {"Y_phi", "1", co, "n/s of phi^0 at its decoupling (real scalar, g = 1)", "CN Eq. 61"},
      {"dilution", "1", co, "entropy ratio from phi^0 decay (Scherrer-Turner), >= 1",
       "CN Eq. 62 (corrected)"},
      {"Omega_chi", "1", co, "chi relic density after dilution", "CN Eq. 63 (corrected)"},
      {"Omega_chi_h2", "1", co, "Omega_chi h^2", "CN Eq. 63 (corrected)"},
      {"Omega_chi_over_DM", "1", co, "Omega_chi h^2 / 0.1200", "CN Eq. 57"},
      {"Gamma_h_phiphi", "GeV", hi, "Gamma(h -> phi^0 phi^0), quartic kappa", "CN Eq. 68"},
      {"BR_h_inv", "1", hi, "Gamma_inv/(Gamma_H^SM + Gamma_inv)", "CN Eq. 68"},
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
      {"higgs", "invisible Higgs decay", false, {}},
      {"cevns",
       "coherent scattering into chi at a spallation source and a reactor",
       true,
       {"spectrum"}},
  };
}

struct Inputs {
  double MN, ye, ymu, ytau, fL, fR, vs, Mchi, eps, gs, mphi, kappa, thresholdSns, thresholdReactor;
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
          p[P::T_threshold_reactor]};
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

struct ChiDecay {
  double threeNu = 0.0;
  double nuGamma = 0.0;
  double lifetimeSeconds = kInf;
};

/// CN Eqs. 13-14 for mass eigenstate i (Majorana normalisation; Pal & Wolfenstein).
ChiDecay chiDecay(const HiddenKevFermion::Spectrum& s, int i) {
  ChiDecay d;
  const double m = std::abs(s.masses(i));
  const double m5 = m * m * m * m * m;
  double u2 = 0.0;
  double radiative = 0.0;  // sum_alpha |U_alpha i|^2 sum_{j active} |U_alpha j|^2
  for (int alpha = 0; alpha < 3; ++alpha) {
    const double ua2 = s.mixing(alpha, i) * s.mixing(alpha, i);
    double activeRow = 0.0;
    for (int j : s.active) activeRow += s.mixing(alpha, j) * s.mixing(alpha, j);
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
    : Model(parameterSpecs(), observableSpecs(), blockSpecs(), optionSpecifications(), options) {
  assert(observables().size() == kObservableCount);
  assert(observables()[BR_h_inv].name == "BR_h_inv");
  assert(parameters().size() == kParameterCount);
  assert(mask("spectrum") == kSpectrum && mask("higgs") == kHiggs);
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

  // chi states: the two eigenpairs with the largest chi content (physics.md).
  std::array<int, 5> byContent{0, 1, 2, 3, 4};
  auto content = [&](int i) {
    return s.mixing(kChiL, i) * s.mixing(kChiL, i) + s.mixing(kChiRc, i) * s.mixing(kChiRc, i);
  };
  std::stable_sort(byContent.begin(), byContent.end(),
                   [&](int a, int b) { return content(a) > content(b); });
  const int a = byContent[0];
  const int b = byContent[1];
  std::array<int, 3> active{byContent[2], byContent[3], byContent[4]};
  std::sort(active.begin(), active.end(),
            [&](int i, int j) { return std::abs(s.masses(i)) < std::abs(s.masses(j)); });
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

}  // namespace

std::string HiddenKevFermion::unphysicalParameter(std::span<const double> parameters,
                                                  BlockMask blocks) const {
  const auto v = domainViolation(parameters, (closure(blocks) & kCevns) != 0);
  return v ? describeDomainViolation(*this, v->parameter, parameters[v->parameter], v->rule) : "";
}

PointStatus HiddenKevFermion::compute(std::span<const double> parameters, BlockMask blocks,
                                      std::span<double> out) const {
  const Inputs in = read(parameters);
  if (domainViolation(parameters, false)) return PointStatus::UnphysicalParameter;

  Spectrum s;
  if (blocks & kSpectrum) {
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
  }

  ChiDecay light;
  ChiDecay heavy;
  if (blocks & kChiDecays) {
    light = chiDecay(s, s.light);
    heavy = chiDecay(s, s.heavy);
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
    const double f = zToPhiFFbarF(in.mphi / constants::M_Z);  // CN Eq. 50
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
    // its exact thermal weight (they drop out when non-relativistic).
    auto gTotal = [&](double t) {
      using thermal::Statistics;
      return thermal::gStar(t) + 2.0 * thermal::energyWeight(Statistics::Fermion, mLight / t) +
             2.0 * thermal::energyWeight(Statistics::Fermion, mHeavy / t) +
             thermal::energyWeight(Statistics::Boson, in.mphi / t);
    };
    const double tf = cosmology::freezeOutTemperature(aChi, gTotal);
    if (std::isnan(tf)) return PointStatus::SolverFailed;
    out[T_freezeout] = tf;
    // CN Eq. 55. n_chi/s is conserved against the entropy of the SM plasma that
    // becomes s_0 (chi keeps its own entropy after decoupling), so g_*s is SM only.
    const double gsF = thermal::gStarS(tf);
    const double yLight =
        cosmology::equilibriumYield(thermal::Statistics::Fermion, 2.0, mLight, tf, gsF);
    const double yHeavy =
        cosmology::equilibriumYield(thermal::Statistics::Fermion, 2.0, mHeavy, tf, gsF);
    out[Y_chi] = yLight;
    const bool heavyStable = heavy.lifetimeSeconds > constants::ageOfUniverseInSeconds;
    const double rhoOverS = yLight * mLight + (heavyStable ? yHeavy * mHeavy : 0.0);
    out[Omega_chi_thermal] = cosmology::omegaFromYield(1.0, rhoOverS);  // CN Eq. 56

    // phi^0 decays.
    const ScalarWidths smWidths = scalarWidthsToStandardModel(sinAlpha, in.mphi);
    // phi^0 -> chi chi: the phi^0 coupling matrix is dM_eff/dv_s on the chi block,
    // -f_i f_j v_s / M_N, rotated to the mass basis (reduces to CN Eq. 67's
    // y_eff = f^2 v_s/M_N for the Dirac part; the Majorana diagonal of Eq. 2 is
    // of the same size). Final-state masses (keV) are neglected against m_phi.
    const double fChi[2] = {in.fL, in.fR};
    auto coupling = [&](int i, int j) {
      double y = 0.0;
      for (int r = 0; r < 2; ++r) {
        for (int c = 0; c < 2; ++c) {
          y += s.mixing(kChiL + r, i) * (-fChi[r] * fChi[c] * in.vs / in.MN) *
               s.mixing(kChiL + c, j);
        }
      }
      return y;
    };
    double chiWidth = 0.0;
    for (int i : {s.light, s.heavy}) {
      const double mi = std::abs(s.masses(i));
      if (in.mphi > 2.0 * mi) {
        const double beta = std::sqrt(1.0 - 4.0 * mi * mi / (in.mphi * in.mphi));
        chiWidth += std::pow(coupling(i, i), 2) * in.mphi * beta * beta * beta / (16.0 * pi);
      }
    }
    if (in.mphi > mLight + mHeavy) {
      chiWidth += std::pow(coupling(s.light, s.heavy), 2) * in.mphi / (8.0 * pi);
    }
    const double total = smWidths.total() + chiWidth;
    out[Gamma_phi_SM] = smWidths.total();
    out[Gamma_phi_chichi] = chiWidth;
    out[Gamma_phi] = total;
    out[tau_phi] = total > 0.0 ? units::hbarInGeVSeconds / total : kInf;
    out[BR_phi_chichi] = total > 0.0 ? chiWidth / total : 0.0;

    const double tr = cosmology::reheatingTemperature(total);  // CN Eq. 60, SM g_*
    if (std::isnan(tr)) return PointStatus::SolverFailed;
    out[T_reheat] = tr;
    // CN Eqs. 58-59 with the SM Yukawa m_mu/v: sigma = kappa^2 m_mu^2/M_H^4, n sigma = T^2/M_Pl.
    const double mh2 = constants::M_H * constants::M_H;
    const double tdec =
        in.kappa == 0.0
            ? kInf
            : mh2 * mh2 /
                  (in.kappa * in.kappa * constants::m_mu * constants::m_mu * constants::M_Pl);
    out[T_dec_phi] = tdec;
    const double tdecEval = std::min(tdec, thermal::kMaxTemperature);
    const double yPhi = cosmology::equilibriumYield(thermal::Statistics::Boson, 1.0, in.mphi,
                                                    tdecEval, thermal::gStarS(tdecEval));
    out[Y_phi] = yPhi;
    const double d = cosmology::entropyDilution(in.mphi, yPhi, tr);
    out[dilution] = d;
    // The entropy dilutes chi only if phi^0 decays after chi has frozen out.
    const double applied = tr < tf ? d : 1.0;
    out[Omega_chi] = out[Omega_chi_thermal] / applied;
    out[Omega_chi_h2] = out[Omega_chi] * constants::h * constants::h;
    out[Omega_chi_over_DM] = out[Omega_chi_h2] / constants::OmegaCh2;
  }

  if (blocks & kHiggs) {
    // CN Eq. 68 with the quartic kappa: L ⊃ -(kappa v/2) h phi phi.
    const double r = 4.0 * in.mphi * in.mphi / (constants::M_H * constants::M_H);
    const double width = r < 1.0 ? in.kappa * in.kappa * constants::v * constants::v /
                                       (32.0 * pi * constants::M_H) * std::sqrt(1.0 - r)
                                 : 0.0;
    out[Gamma_h_phiphi] = width;
    out[BR_h_inv] = width / (constants::Gamma_H_SM + width);
  }

  if (blocks & kCevns) {
    if (domainViolation(parameters, true)) return PointStatus::UnphysicalParameter;
    const signals::LightStates states = lightStatesOf(s, in);
    const auto sns = signals::cevnsCount(states, signals::Experiment::Sns, in.thresholdSns);
    const auto reactor =
        signals::cevnsCount(states, signals::Experiment::Reactor, in.thresholdReactor);
    out[cevns_sns_ratio] = sns.ratio;
    out[cevns_sns_deviation] = sns.deviation;
    out[cevns_reactor_ratio] = reactor.ratio;
    out[cevns_reactor_deviation] = reactor.deviation;
  }

  return PointStatus::Ok;
}

signals::LightStates HiddenKevFermion::lightStates(std::span<const double> parameters) {
  const Spectrum s = spectrum(parameters);
  return lightStatesOf(s, read(parameters));
}

}  // namespace portalscan::physics
