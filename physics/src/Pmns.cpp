#include "portalscan/physics/Pmns.hpp"

#include <Eigen/Eigenvalues>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace portalscan::physics::pmns {

namespace {
Matrix3 rotation(int i, int j, Complex w) {
  Matrix3 r = Matrix3::Identity();
  const Complex c = std::cos(w);
  const Complex s = std::sin(w);
  r(i, i) = c;
  r(j, j) = c;
  r(i, j) = s;
  r(j, i) = -s;
  return r;
}
}  // namespace

Matrix3 pdgMatrix(const MixingAngles& a, double alpha21, double alpha31) {
  // PDG Eq. 14.34 (Review of Particle Physics 2020, Sec. 14).
  const double s12 = std::sqrt(a.sin2Theta12), c12 = std::sqrt(1.0 - a.sin2Theta12);
  const double s13 = std::sqrt(a.sin2Theta13), c13 = std::sqrt(1.0 - a.sin2Theta13);
  const double s23 = std::sqrt(a.sin2Theta23), c23 = std::sqrt(1.0 - a.sin2Theta23);
  const Complex e = std::polar(1.0, a.deltaCP);  // e^{i delta}
  Matrix3 u;
  u(0, 0) = c12 * c13;
  u(0, 1) = s12 * c13;
  u(0, 2) = s13 * std::conj(e);
  u(1, 0) = -s12 * c23 - c12 * s23 * s13 * e;
  u(1, 1) = c12 * c23 - s12 * s23 * s13 * e;
  u(1, 2) = s23 * c13;
  u(2, 0) = s12 * s23 - c12 * c23 * s13 * e;
  u(2, 1) = -c12 * s23 - s12 * c23 * s13 * e;
  u(2, 2) = c23 * c13;
  u.col(1) *= std::polar(1.0, 0.5 * alpha21);
  u.col(2) *= std::polar(1.0, 0.5 * alpha31);
  return u;
}

Matrix3 complexOrthogonal(Complex w12, Complex w13, Complex w23) {
  return rotation(1, 2, w23) * rotation(0, 2, w13) * rotation(0, 1, w12);
}

std::array<double, 3> lightMasses(double mLightest, double dm2_21, double dm2_3l,
                                  Ordering ordering) {
  const double l2 = mLightest * mLightest;
  if (ordering == Ordering::Normal) {
    // m1 = m_lightest, m2^2 = m1^2 + Delta m^2_21, m3^2 = m1^2 + Delta m^2_3l (Delta m^2_31).
    return {mLightest, std::sqrt(l2 + dm2_21), std::sqrt(l2 + dm2_3l)};
  }
  // m3 = m_lightest, m2^2 = m3^2 - Delta m^2_3l (Delta m^2_32 < 0), m1^2 = m2^2 - Delta m^2_21.
  const double m2sq = l2 - dm2_3l;
  return {std::sqrt(m2sq - dm2_21), std::sqrt(m2sq), mLightest};
}

Matrix3 casasIbarraDirac(const Matrix3& pmns, const std::array<double, 3>& masses, const Matrix3& R,
                         const std::array<double, 3>& heavyMasses) {
  Matrix3 sqrtLight = Matrix3::Zero();
  Matrix3 sqrtHeavy = Matrix3::Zero();
  for (int k = 0; k < 3; ++k) {
    sqrtLight(k, k) = std::sqrt(masses[static_cast<std::size_t>(k)]);
    sqrtHeavy(k, k) = std::sqrt(heavyMasses[static_cast<std::size_t>(k)]);
  }
  // -m_D M^-1 m_D^T = -(i)^2 U^* sqrt(m) R sqrt(M) M^-1 sqrt(M) R^T sqrt(m) U^dag = U^* m U^dag.
  return Complex(0.0, 1.0) * pmns.conjugate() * sqrtLight * R * sqrtHeavy;
}

std::array<int, 3> standardLabels(const std::array<double, 3>& m) {
  // Delta m^2 of the lower and the upper pair, as products (no cancellation).
  const double lower = (m[1] - m[0]) * (m[1] + m[0]);
  const double upper = (m[2] - m[1]) * (m[2] + m[1]);
  if (lower <= upper) return {0, 1, 2};  // normal: 1, 2 the close pair at the bottom
  return {1, 2, 0};                      // inverted: 1, 2 the close pair at the top, 3 lightest
}

MixingAngles anglesOf(const Matrix3& v) {
  MixingAngles a;
  const double e1 = std::norm(v(0, 0)), e2 = std::norm(v(0, 1)), e3 = std::norm(v(0, 2));
  const double mu3 = std::norm(v(1, 2)), tau3 = std::norm(v(2, 2));
  a.sin2Theta13 = e3;
  a.sin2Theta12 = e1 + e2 > 0.0 ? e2 / (e1 + e2) : 0.0;
  a.sin2Theta23 = mu3 + tau3 > 0.0 ? mu3 / (mu3 + tau3) : 0.0;
  const double s12sq = a.sin2Theta12, c12sq = 1.0 - s12sq;
  const double s23sq = a.sin2Theta23, c23sq = 1.0 - s23sq;
  const double s13sq = a.sin2Theta13, c13sq = 1.0 - s13sq;
  // J = Im(V_e1 V_mu2 V_e2^* V_mu1^*) = K sin(delta) (PDG Eq. 14.34).
  const double j = std::imag(v(0, 0) * v(1, 1) * std::conj(v(0, 1)) * std::conj(v(1, 0)));
  // |V_mu1|^2 = s12^2 c23^2 + c12^2 s23^2 s13^2 + 2 s12 c12 s23 c23 s13 cos(delta).
  const double x = 0.5 * c13sq * (std::norm(v(1, 0)) - s12sq * c23sq - c12sq * s23sq * s13sq);
  double delta = std::atan2(j, x);
  if (delta < 0.0) delta += 2.0 * std::numbers::pi;
  if (!(delta < 2.0 * std::numbers::pi)) delta = 0.0;
  a.deltaCP = delta;
  return a;
}

Matrix3 unitaryPart(const Matrix3& n, const Matrix3& deficit) {
  // N N^dag = 1 - B B^dag = Q diag(1 - mu) Q^dag: (N N^dag)^{-1/2} = Q diag((1 - mu)^{-1/2}) Q^dag.
  const Eigen::SelfAdjointEigenSolver<Matrix3> eig(deficit);
  Matrix3 d = Matrix3::Zero();
  for (int k = 0; k < 3; ++k) {
    const double mu = std::clamp(eig.eigenvalues()(k), 0.0, 0.999999);
    d(k, k) = 1.0 / std::sqrt(1.0 - mu);
  }
  return eig.eigenvectors() * d * eig.eigenvectors().adjoint() * n;
}

}  // namespace portalscan::physics::pmns
