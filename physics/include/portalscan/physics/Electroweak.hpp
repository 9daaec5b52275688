#pragma once
/// Kinetic mixing of U(1)_s with hypercharge (Chang & Ng, Sec. V).
///
/// Conventions: CN Eq. 36, X = c_eps X', B = B' - s_eps X'; CN Eq. 38, the
/// physical Z = c_eta Z_SM + s_eta X'. Tree level with the on-shell
/// s_W^2 = 1 - M_W^2/M_Z^2, so that M_Z^SM = M_W/c_W is the measured M_Z.
/// In the basis (Z_SM, X') the mass matrix is
///   [[M0^2, M0^2 s_W s_eps], [M0^2 s_W s_eps, M0^2 s_W^2 s_eps^2 + c_eps^2 M_3^2]],
/// diagonalised exactly (tan 2 eta carries c_eps^2 M_3^2; CN Eq. 39 drops c_eps^2
/// and has the opposite sign of s_eps, audit §2.5).

namespace portalscan::physics {

struct KineticMixing {
  double sEpsilon = 0.0;  ///< CN Eq. 37
  double cEpsilon = 1.0;  ///< CN Eq. 37
  double sinEta = 0.0;    ///< CN Eq. 38 (Eq. 36 sign convention)
  double cosEta = 1.0;
  double eta = 0.0;
  double MZ2 = 0.0;       ///< physical (shifted) Z mass squared, GeV^2
  double MZs2 = 0.0;      ///< Z_s mass squared, GeV^2
  double deltaRho = 0.0;  ///< M_W^2/(c_W^2 M_Z^2) - 1, exact (CN Eq. 43 is its leading order)
};

/// Exact diagonalisation of the (Z_SM, X') system; |epsilon| < 1, M3 = g_s v_s in GeV.
KineticMixing kineticMixing(double epsilon, double M3);

/// Ratio of the physical Z nu nu coupling to the SM one from CN Eq. 45 (Y_L = -1/2):
/// r = c_eta + s_eta s_W s_eps.  Returns r^2 - 1 without cancellation.
double zNeutrinoCouplingShift(const KineticMixing& km);

/// Gamma(Z -> chi chibar) = c_eps^2 s_eta^2 g_s^2 M_Z / (12 pi), CN Eq. 47 (massless chi), GeV.
double zToChiChiWidth(const KineticMixing& km, double gS);

/// CN Eq. 50: BR(Z -> phi f fbar) = sin^2(alpha) F(m_phi/M_Z) BR(Z -> f fbar); 0 for x >= 1.
double zToPhiFFbarF(double x);

}  // namespace portalscan::physics
