#pragma once
/// Model `hidden_kev_fermion`: W.-F. Chang and J. N. Ng, "KeV scale new
/// fermion from a hidden sector" (CN). A Dirac fermion chi charged under a
/// hidden U(1)_s, tied to the SM by a seesaw N_R (f_L, f_R), kinetic mixing
/// (epsilon) and a Higgs portal (kappa). Conventions and corrections to the
/// printed paper: shared/physics.md, docs/physics/hidden_kev_fermion.md.

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
  static std::vector<OptionSpec> optionSpecifications() { return {}; }

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

  std::string unphysicalParameter(std::span<const double> parameters,
                                  BlockMask blocks) const override;

 protected:
  PointStatus compute(std::span<const double> parameters, BlockMask blocks,
                      std::span<double> out) const override;
};

}  // namespace portalscan::physics
