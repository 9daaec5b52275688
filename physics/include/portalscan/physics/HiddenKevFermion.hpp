#pragma once
/// Model `hidden_kev_fermion`: W.-F. Chang and J. N. Ng, "KeV scale new
/// fermion from a hidden sector" (CN). A Dirac fermion chi charged under a
/// hidden U(1)_s, tied to the SM by a seesaw N_R (f_L, f_R), kinetic mixing
/// (epsilon) and a Higgs portal (kappa). Conventions and corrections to the
/// printed paper: shared/physics.md, docs/physics/hidden_kev_fermion.md.
///
/// Options: n_R = 1 (CN's single N_R; the parameter enum below) or 3 (three N_R with a 3x3
/// Yukawa matrix, given directly (yukawa = direct) or from the oscillation data through
/// Casas-Ibarra (yukawa = casas_ibarra, with ordering = normal | inverted)). With n_R = 3 the
/// parameter list is another one (names below, parameterNames()); the common parameters
/// v_s .. R_detector follow the N_R ones in the same order.

#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/MassMatrix.hpp"
#include "portalscan/physics/Model.hpp"

#include <memory>

namespace portalscan::physics {

class HiddenKevFermion final : public Model {
 public:
  /// Parameter order of `evaluate`.
  enum Parameter : std::size_t {
    M_N,
    y_e,
    y_mu,
    y_tau,
    f_L,
    f_R,
    v_s,
    M_chi,
    epsilon,
    g_s,
    m_phi,
    kappa,
    T_threshold_sns,
    T_threshold_reactor,
    R_detector,
    kParameterCount
  };

  explicit HiddenKevFermion(const Options& options = {});

  std::string_view name() const override { return kName; }
  std::string_view reference() const override;

  static constexpr std::string_view kName = "hidden_kev_fermion";
  static std::unique_ptr<Model> create(const Options& options);
  static std::vector<OptionSpec> optionSpecifications();

  /// Parameter order with n_R = 3, yukawa = direct: the N_R block, then v_s .. R_detector.
  enum DirectParameter : std::size_t {
    D_M_N1,
    D_M_N2,
    D_M_N3,
    D_y_e1,  ///< y_alpha i, row-major: y_e1, y_e2, y_e3, y_mu1, ..., y_tau3
    D_f_L1 = D_y_e1 + 9,
    D_f_R1 = D_f_L1 + 3,
    D_v_s = D_f_R1 + 3,
    kDirectParameterCount = D_v_s + (kParameterCount - v_s)
  };
  /// Parameter order with n_R = 3, yukawa = casas_ibarra.
  enum CasasIbarraParameter : std::size_t {
    C_M_N1,
    C_M_N2,
    C_M_N3,
    C_m_lightest,
    C_sin2_theta12,
    C_sin2_theta13,
    C_sin2_theta23,
    C_delta_CP,
    C_alpha_21,
    C_alpha_31,
    C_dm2_21,
    C_dm2_3l,
    C_omega_12_re,
    C_omega_12_im,
    C_omega_13_re,
    C_omega_13_im,
    C_omega_23_re,
    C_omega_23_im,
    C_f_L1,
    C_f_R1 = C_f_L1 + 3,
    C_v_s = C_f_R1 + 3,
    kCasasIbarraParameterCount = C_v_s + (kParameterCount - v_s)
  };

  /// The light neutral-fermion spectrum in the basis {nu_e, nu_mu, nu_tau, chi_L, chi_R^c}.
  struct Spectrum {
    RealVector<5> masses;       ///< signed eigenvalues, GeV
    RealMatrix<5> mixing;       ///< column i is the eigenvector of masses(i): U_alpha i
    int active[3] = {0, 1, 2};  ///< the three active states, ascending |m|
    int light = 3;              ///< chi state with the smaller |m|
    int heavy = 4;              ///< the other chi state
    double splitting = 0.0;     ///< |m_heavy| - |m_light| >= 0, computed without cancellation
    bool converged = false;
  };
  /// CN Eqs. 3, 10 with <H> = v/sqrt2, <phi> = v_s/sqrt2: M_eff = M_0 - m_D m_D^T / M_N.
  static Spectrum spectrum(std::span<const double> parameters);

  /// The light states of a point and its scalar portal, for the low-energy
  /// signatures of CN Sec. IV (physics/LowEnergySignals.hpp).
  static signals::LightStates lightStates(std::span<const double> parameters);
  /// The same for a point of this instance, with one or three N_R (a point inside the
  /// domain; a spectrum that does not converge gives the solver's last iterate).
  signals::LightStates lightStatesOfPoint(std::span<const double> parameters) const;

  std::string unphysicalParameter(std::span<const double> parameters,
                                  BlockMask blocks) const override;

  /// Whether this instance has three N_R (option n_R = 3).
  bool threeSinglets() const { return threeSinglets_; }

 protected:
  PointStatus compute(std::span<const double> parameters, BlockMask blocks,
                      std::span<double> out) const override;

 private:
  bool threeSinglets_ = false;
  bool casasIbarra_ = false;
  bool normalOrdering_ = true;
  std::size_t common_ = v_s;  ///< index of v_s; v_s .. R_detector follow in the n_R = 1 order
};

}  // namespace portalscan::physics
