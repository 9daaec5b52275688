#pragma once
/// Diagonalisation of symmetric (Majorana) mass matrices whose light entries
/// span many orders of magnitude (1e-11 .. 1e-4 GeV after the seesaw).
///
/// Never through a characteristic polynomial (audit §4C: it returns garbage
/// light roots). The real-symmetric routine is a cyclic two-sided Jacobi with
/// the relative off-diagonal test |a_pq| <= eps sqrt(|a_pp a_qq|) of Demmel &
/// Veselić (SIAM J. Matrix Anal. Appl. 13 (1992) 1204), which keeps the
/// relative accuracy of small eigenvalues of graded matrices. Eigenvalues are
/// signed and stay attached to their eigenvectors (the pseudo-Dirac hazard of
/// audit §4E comes from sorting them apart).
///
/// Complex-symmetric matrices are Takagi-factorised, U^T M U = diag(sigma),
/// sigma >= 0, through the real symmetric 2n x 2n matrix
/// [[Re M, Im M], [Im M, -Re M]], whose eigenvalues are +-sigma_k: an
/// eigenvector (x; y) of +sigma gives the Takagi vector u = x - i y. This reuses
/// the Jacobi routine and is exact for degenerate and zero singular values
/// (a complex Gram-Schmidt picks an independent set in their eigenspaces).

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <limits>
#include <numeric>

namespace portalscan::physics {

template <int N>
using RealMatrix = Eigen::Matrix<double, N, N>;
template <int N>
using RealVector = Eigen::Matrix<double, N, 1>;
template <int N>
using ComplexMatrix = Eigen::Matrix<std::complex<double>, N, N>;

namespace detail {
/// Stable insertion sort: the same order as std::stable_sort, without its heap buffer (the
/// kernel sorts index arrays of 3 to 10 entries per point).
template <typename It, typename Less>
void stableSortSmall(It first, It last, Less less) {
  if (first == last) return;
  for (It i = first + 1; i != last; ++i) {
    auto value = *i;
    It j = i;
    for (; j != first && less(value, *(j - 1)); --j) *j = *(j - 1);
    *j = value;
  }
}
}  // namespace detail

/// M = vectors * diag(values) * vectors^T, values signed and ascending.
template <int N>
struct SymmetricEigensystem {
  RealVector<N> values;
  RealMatrix<N> vectors;  ///< column i belongs to values(i)
  int sweeps = 0;
  bool converged = false;
};

/// U^T M U = diag(singularValues), singularValues >= 0 and ascending, U unitary.
template <int N>
struct TakagiFactorisation {
  RealVector<N> singularValues;
  ComplexMatrix<N> U;  ///< column i belongs to singularValues(i)
  bool converged = false;
};

/// Cyclic Jacobi for a real symmetric matrix (only the upper triangle is read).
template <int N>
SymmetricEigensystem<N> diagonaliseSymmetric(const RealMatrix<N>& m, int maxSweeps = 60) {
  constexpr double eps = std::numeric_limits<double>::epsilon();
  RealMatrix<N> a = m.template selfadjointView<Eigen::Upper>();
  RealMatrix<N> v = RealMatrix<N>::Identity();
  // Below this absolute size an off-diagonal entry cannot change any eigenvalue
  // or eigenvector at double precision; it stops sweeps over exact null spaces.
  const double floor = eps * eps * a.cwiseAbs().maxCoeff();
  const double floor2 = floor * floor;
  const double eps2 = eps * eps;

  SymmetricEigensystem<N> out;
  const int maxRotations = maxSweeps * N * (N - 1) / 2;
  int rotations = 0;
  for (;;) {
    // Classical pivoting: the largest off-diagonal entry that still fails the
    // relative test (compared in squares: no square roots in the search).
    // Resolving the large scales (the M_chi pair) before any rotation touches
    // the light rows is what keeps small eigenvalues accurate in indefinite
    // matrices, where cyclic order loses them to eps*||M||.
    int p = -1, q = -1;
    double largest = 0.0;
    for (int i = 0; i < N - 1; ++i) {
      const double aii = std::abs(a(i, i));
      for (int j = i + 1; j < N; ++j) {
        const double aij2 = a(i, j) * a(i, j);
        if (aij2 <= floor2) {
          // Flush: left alone, such entries decay into subnormals, whose arithmetic is
          // two orders of magnitude slower; zero is as exact at double precision.
          a(i, j) = a(j, i) = 0.0;
          continue;
        }
        if (aij2 <= eps2 * aii * std::abs(a(j, j))) continue;
        if (aij2 > largest) {
          largest = aij2;
          p = i;
          q = j;
        }
      }
    }
    if (p < 0) {
      out.converged = true;
      break;
    }
    if (rotations == maxRotations) break;
    ++rotations;
    const double apq = a(p, q);
    const double app = a(p, p);
    const double aqq = a(q, q);
    // Rutishauser's rotation: t = tan(phi) of the smaller angle.
    const double theta = (aqq - app) / (2.0 * apq);
    double t;
    if (std::abs(theta) > 1e150) {
      t = 0.5 / theta;
    } else {
      t = (theta >= 0.0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
    }
    const double c = 1.0 / std::sqrt(t * t + 1.0);
    const double s = t * c;
    const double tau = s / (1.0 + c);
    a(p, p) = app - t * apq;
    a(q, q) = aqq + t * apq;
    a(p, q) = a(q, p) = 0.0;
    for (int r = 0; r < N; ++r) {
      if (r != p && r != q) {
        const double arp = a(r, p);
        const double arq = a(r, q);
        a(r, p) = a(p, r) = arp - s * (arq + tau * arp);
        a(r, q) = a(q, r) = arq + s * (arp - tau * arq);
      }
      const double vrp = v(r, p);
      const double vrq = v(r, q);
      v(r, p) = vrp - s * (vrq + tau * vrp);
      v(r, q) = vrq + s * (vrp - tau * vrq);
    }
  }
  out.sweeps = rotations;

  std::array<int, N> order;
  std::iota(order.begin(), order.end(), 0);
  detail::stableSortSmall(order.begin(), order.end(),
                          [&](int i, int j) { return a(i, i) < a(j, j); });
  for (int k = 0; k < N; ++k) {
    out.values(k) = a(order[k], order[k]);
    out.vectors.col(k) = v.col(order[k]);
  }
  return out;
}

/// Indices of the eigenpairs in ascending |value|; ties keep the signed order.
template <int N>
std::array<int, N> orderByMagnitude(const RealVector<N>& values) {
  std::array<int, N> order;
  std::iota(order.begin(), order.end(), 0);
  detail::stableSortSmall(order.begin(), order.end(),
                          [&](int i, int j) { return std::abs(values(i)) < std::abs(values(j)); });
  return order;
}

/// Takagi factorisation of a complex symmetric matrix (only the upper triangle is read).
template <int N>
TakagiFactorisation<N> takagiFactorise(const ComplexMatrix<N>& m, int maxSweeps = 60) {
  constexpr int M = 2 * N;
  // Mirror the upper triangle without conjugation: a Takagi input is symmetric, not Hermitian.
  ComplexMatrix<N> sym;
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) sym(i, j) = i <= j ? m(i, j) : m(j, i);

  RealMatrix<M> b;
  b.template topLeftCorner<N, N>() = sym.real();
  b.template topRightCorner<N, N>() = sym.imag();
  b.template bottomLeftCorner<N, N>() = sym.imag();
  b.template bottomRightCorner<N, N>() = -sym.real();
  const SymmetricEigensystem<M> eig = diagonaliseSymmetric<M>(b, maxSweeps);

  TakagiFactorisation<N> out;
  out.converged = eig.converged;
  ComplexMatrix<N> u = ComplexMatrix<N>::Zero();
  std::array<double, N> sigma{};
  int accepted = 0;
  // Descending eigenvalue: all +sigma first; each -sigma vector is the image
  // (x; y) -> (-y; x) of a +sigma one and maps to a complex multiple of it, so
  // Gram-Schmidt rejects it; in a null space it picks an independent half.
  for (int k = M - 1; k >= 0 && accepted < N; --k) {
    Eigen::Matrix<std::complex<double>, N, 1> w;
    for (int i = 0; i < N; ++i) {
      w(i) = std::complex<double>(eig.vectors(i, k), -eig.vectors(i + N, k));
    }
    for (int j = 0; j < accepted; ++j) w -= u.col(j).dot(w) * u.col(j);
    const double norm = w.norm();
    if (norm < 0.5) continue;
    u.col(accepted) = w / norm;
    sigma[accepted] = std::max(eig.values(k), 0.0);
    ++accepted;
  }
  if (accepted < N) out.converged = false;

  std::array<int, N> order;
  std::iota(order.begin(), order.end(), 0);
  detail::stableSortSmall(order.begin(), order.end(),
                          [&](int i, int j) { return sigma[i] < sigma[j]; });
  for (int k = 0; k < N; ++k) {
    out.singularValues(k) = sigma[order[k]];
    out.U.col(k) = u.col(order[k]);
  }
  return out;
}

/// Takagi form of a real symmetric matrix: signed Jacobi, then a factor i on
/// the columns of negative eigenvalues, so that U^T M U = diag(|m|).
template <int N>
TakagiFactorisation<N> takagiFactorise(const RealMatrix<N>& m) {
  const SymmetricEigensystem<N> eig = diagonaliseSymmetric<N>(m);
  const std::array<int, N> order = orderByMagnitude<N>(eig.values);
  TakagiFactorisation<N> out;
  out.converged = eig.converged;
  for (int k = 0; k < N; ++k) {
    const int i = order[k];
    out.singularValues(k) = std::abs(eig.values(i));
    const std::complex<double> phase =
        eig.values(i) < 0.0 ? std::complex<double>(0.0, 1.0) : std::complex<double>(1.0, 0.0);
    out.U.col(k) = eig.vectors.col(i).template cast<std::complex<double>>() * phase;
  }
  return out;
}

}  // namespace portalscan::physics
