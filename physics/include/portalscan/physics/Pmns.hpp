#pragma once
/// Three-flavour lepton mixing for hidden_kev_fermion with three N_R
/// (docs/physics/hidden_kev_fermion.md, "Three N_R"): the PDG parametrisation,
/// the Casas-Ibarra Yukawas, and the oscillation parameters (masses, splittings,
/// angles, Dirac phase) of the light 3x3 active block of a unitary 5x5 mixing
/// matrix, which is itself not exactly unitary.

#include "portalscan/physics/MassMatrix.hpp"

#include <array>
#include <complex>

namespace portalscan::physics::pmns {

using Complex = std::complex<double>;
using Matrix3 = ComplexMatrix<3>;

/// sin^2 of the three angles and the Dirac phase delta_CP in [0, 2 pi).
struct MixingAngles {
  double sin2Theta12 = 0.0;
  double sin2Theta13 = 0.0;
  double sin2Theta23 = 0.0;
  double deltaCP = 0.0;
};

enum class Ordering { Normal, Inverted };

/// PDG Review of Particle Physics, "Neutrino masses, mixing and oscillations", Eq. 14.34
/// (Review 2020; Eq. 14.33 without the Majorana phases):
/// U = R_23 U_13(delta) R_12 diag(1, e^{i alpha21/2}, e^{i alpha31/2}), U_e3 = s13 e^{-i delta}.
Matrix3 pdgMatrix(const MixingAngles& angles, double alpha21, double alpha31);

/// A complex orthogonal matrix, R R^T = 1: R = R_23(w23) R_13(w13) R_12(w12), each R_ij(w) a
/// rotation in the (i, j) plane by the complex angle w (the complex orthogonal R of Casas &
/// Ibarra, hep-ph/0103065, Sec. 3, written as three complex rotations).
Matrix3 complexOrthogonal(Complex w12, Complex w13, Complex w23);

/// m1, m2, m3 (standard labels) from the lightest mass and NuFIT's splittings:
/// Delta m^2_21 = m2^2 - m1^2 > 0; Delta m^2_3l = m3^2 - m1^2 > 0 (normal, m1 lightest) or
/// m3^2 - m2^2 < 0 (inverted, m3 lightest) (Esteban et al., arXiv:1811.05487, Sec. 2).
std::array<double, 3> lightMasses(double mLightest, double dm2_21, double dm2_3l,
                                  Ordering ordering);

/// Casas & Ibarra (hep-ph/0103065, Sec. 3: Y_nu = D_sqrt(M) R D_sqrt(kappa) U^dag/<H>) in
/// portalscan's conventions: with the mass term
/// L = -(1/2) psi^T M psi, m_D = y v/sqrt2 (flavour x N_R) and the light block
/// m_nu = -m_D M_N^-1 m_D^T = U^* diag(m) U^dag (U the PMNS matrix, U^T m_nu U = diag(m)),
/// every m_D = i U^* diag(sqrt m) R diag(sqrt M_N) with R R^T = 1 gives it.
Matrix3 casasIbarraDirac(const Matrix3& pmns, const std::array<double, 3>& masses, const Matrix3& R,
                         const std::array<double, 3>& heavyMasses);

/// The standard labels of three ascending masses: the pair with the smaller Delta m^2 is
/// (1, 2) with m2 > m1, the third state is 3 (PDG). Returns the ascending indices of the states
/// labelled 1, 2, 3: {0, 1, 2} (normal ordering) or {1, 2, 0} (inverted).
std::array<int, 3> standardLabels(const std::array<double, 3>& ascendingMasses);

/// The PDG angles and delta_CP of a unitary 3x3 matrix, from rephasing invariants (independent
/// of the phases of its rows and columns, so of the Majorana phases):
///   s13^2 = |V_e3|^2, s12^2 = |V_e2|^2/(|V_e1|^2 + |V_e2|^2),
///   s23^2 = |V_mu3|^2/(|V_mu3|^2 + |V_tau3|^2),
///   J = Im(V_e1 V_mu2 V_e2^* V_mu1^*) = K sin(delta),
///   (|V_mu1|^2 - s12^2 c23^2 - c12^2 s23^2 s13^2) c13^2/2 = K cos(delta),
///   K = c12 s12 c23 s23 c13^2 s13 (PDG Eq. 14.34 expanded), delta = atan2 in [0, 2 pi).
MixingAngles anglesOf(const Matrix3& v);

/// The unitary part V = (N N^dag)^{-1/2} N of the active block N (N = (1 - eta) V, eta
/// Hermitian: the left polar decomposition), with N N^dag = 1 - deficit given through
/// deficit = B B^dag (B the active rows of the chi columns), which keeps its digits.
Matrix3 unitaryPart(const Matrix3& n, const Matrix3& deficit);

}  // namespace portalscan::physics::pmns
