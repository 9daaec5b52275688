#pragma once
/// Model `lfv_nsi`: Y. Farzan, "A model for lepton flavor violating
/// non-standard neutrino interactions", arXiv:1912.09408v2 (YF). A light Z' of
/// a U'(1) couples off-diagonally to nu_alpha nu_beta through the sterile
/// states of an inverse seesaw, and to matter through gauged B - L or through
/// kinetic mixing. Conventions and every departure from the printed paper:
/// shared/physics.md and docs/physics/lfv_nsi.md.

#include "portalscan/physics/MassMatrix.hpp"
#include "portalscan/physics/Model.hpp"

#include <array>
#include <memory>

namespace portalscan::physics {

class LfvNsi final : public Model {
 public:
  enum Parameter : std::size_t {
    g_psi,
    m_Zprime,
    sin_alpha_mix,
    sin_beta_mix,
    m_psi,
    mt_alpha,
    mt_beta,
    m_Ntilde,
    g_B,
    a_e,
    a_mu,
    a_tau,
    delta,
    M_1,
    M_2,
    m_1,
    m_2,
    M_N,
    mu,
    T_threshold_ar,
    T_threshold_csi,
    kParameterCount
  };
  enum class Flavour { E = 0, Mu = 1, Tau = 2 };
  enum class MatterCoupling { BMinusL, KineticMixing };
  enum class Mixing { Phenomenological, MassMatrix };

  explicit LfvNsi(const Options& options = {});

  std::string_view name() const override { return kName; }
  std::string_view reference() const override;

  static constexpr std::string_view kName = "lfv_nsi";
  static std::unique_ptr<Model> create(const Options& options);
  static std::vector<OptionSpec> optionSpecifications();

  Flavour alpha() const { return alpha_; }
  Flavour beta() const { return beta_; }
  bool leptonNumberViolating() const { return lnv_; }

  /// One flavour block of the inverse seesaw in mass_matrix mode (YF Eqs. 10-14, 17).
  /// Basis: (nu, Ntilde_L, Ntilde_R^c, N_R^c) for the Majorana N of the lepton-number
  /// violating version (Eq. 7), and (nu, Ntilde_L, Ntilde_R^c, N_R^c, N_L) for the
  /// Dirac N of the conserving version (Eq. 17). The mu terms of Eq. 11 sit on the
  /// Ntilde_L and Ntilde_R^c diagonal; mu_21 = 0 keeps the two blocks apart.
  struct Block {
    /// The light state is the lightest one (|m| smallest: the null vector at mu = 0); it is
    /// the light neutrino only if it is mostly active, |nu component|^2 >= 1/2.
    double lightMass = 0.0;
    double nuComponent = 0.0;      ///< its nu component
    double ntildeComponent = 0.0;  ///< its Ntilde_L component
    double nComponent = 0.0;     ///< its N admixture (sqrt of the sum over N_R^c, N_L): sin(alpha)
    bool lightIsActive = false;  ///< nuComponent^2 >= 1/2
    /// The whole signed spectrum, ascending (4 or 5 states), in place: no heap allocation.
    struct Spectrum {
      std::array<double, 5> values{};
      std::size_t count = 0;
      std::size_t size() const { return count; }
      const double* begin() const { return values.data(); }
      const double* end() const { return values.data() + count; }
      std::vector<double> toVector() const { return {begin(), end()}; }
    } masses;
    bool converged = false;
  };
  static Block massMatrixBlock(bool leptonNumberViolating, double mt, double bigM, double smallM,
                               double majoranaOrDiracMN, double mu);

  std::string unphysicalParameter(std::span<const double> parameters,
                                  BlockMask blocks) const override;

  /// The loop function of Delta_a_mu (Endo, Hamaguchi, Mishima, arXiv:1209.2558, Eq. 6):
  ///   I(r) = int_0^1 2z(1-z)^2/((1-z)^2 + z r) dz,  r = m_Z'^2/m_mu^2,
  /// 1 - pi sqrt(r) + ... for r -> 0, 2/(3r) + ... for r -> infinity, pi - 3 at r = 2. In closed
  /// form, written per regime so that nothing cancels (docs/physics/lfv_nsi.md, "g - 2 in
  /// closed form"): within 1e-13 relative of the integral for every r >= 0.
  static double g2Loop(double r);
  /// The same with ln r given (the kernel has ln m_Z'^2 already): (A) below r = 5, ln(1 + p) =
  /// ln r - ln(1 + q) in (B) above it; unused below r = 1e-32 and above r = 1e100.
  static double g2Loop(double r, double logR);
  /// The same integral by adaptive Gauss-Kronrod (quadrature::integrate, 1e-10 relative, on
  /// pieces cut at the integrand's scales 1/r and sqrt(r)): the reference path
  /// (reference::SlowPath) of Delta_a_mu.
  static double g2LoopIntegral(double r);

 protected:
  PointStatus compute(std::span<const double> parameters, BlockMask blocks,
                      std::span<double> out) const override;

 private:
  Flavour alpha_ = Flavour::E;
  Flavour beta_ = Flavour::Mu;
  bool lnv_ = false;
  MatterCoupling matter_ = MatterCoupling::BMinusL;
  Mixing mixing_ = Mixing::Phenomenological;
  /// The coherent block's tables (Cevns.hpp, SnsZprimeTable) at the default thresholds.
  struct CoherentTables;
  std::shared_ptr<const CoherentTables> coherent_;
};

}  // namespace portalscan::physics
