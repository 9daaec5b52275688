// Mass-matrix diagonalisation: relative accuracy of small eigenvalues and of
// small mixings, compared with an extended-precision (__float128) reference
// written here, independently of the code under test, and with the eigenvalues
// of CN Eqs. 3, 5 and 10 computed in 60-digit arithmetic (mpmath's eigsy and
// svd_c on the matrices written out beside each test, so they can be redone).

#include "portalscan/physics/MassMatrix.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>
#include <quadmath.h>

#include <algorithm>
#include <array>
#include <complex>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

namespace portalscan::physics {
namespace {

using quad = __float128;
using std::numbers::sqrt2;

/// Reference: textbook cyclic Jacobi in quad precision (34 digits), run to
/// exact convergence. Returns eigenpairs sorted by signed eigenvalue.
struct QuadEigen {
  std::vector<quad> values;
  std::vector<std::vector<quad>> vectors;  // vectors[k] is the k-th eigenvector
};

QuadEigen quadJacobi(const std::vector<std::vector<quad>>& m) {
  const int n = static_cast<int>(m.size());
  auto a = m;
  std::vector<std::vector<quad>> v(n, std::vector<quad>(n, 0));
  for (int i = 0; i < n; ++i) v[i][i] = 1;
  for (int sweep = 0; sweep < 200; ++sweep) {
    quad off = 0;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) off += a[i][j] * a[i][j];
    if (off == 0) break;
    for (int p = 0; p < n; ++p) {
      for (int q = p + 1; q < n; ++q) {
        if (a[p][q] == 0) continue;
        const quad theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const quad t = (theta >= 0 ? 1 : -1) / (fabsq(theta) + sqrtq(theta * theta + 1));
        const quad c = 1 / sqrtq(t * t + 1);
        const quad s = t * c;
        for (int k = 0; k < n; ++k) {
          const quad akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < n; ++k) {
          const quad apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        a[p][q] = a[q][p] = 0;
        for (int k = 0; k < n; ++k) {
          const quad vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int i, int j) { return a[i][i] < a[j][j]; });
  QuadEigen out;
  for (int k : order) {
    out.values.push_back(a[k][k]);
    std::vector<quad> vec(n);
    for (int i = 0; i < n; ++i) vec[i] = v[i][k];
    out.vectors.push_back(vec);
  }
  return out;
}

template <int N>
std::vector<std::vector<quad>> toQuad(const RealMatrix<N>& m) {
  std::vector<std::vector<quad>> q(N, std::vector<quad>(N));
  for (int i = 0; i < N; ++i)
    for (int j = 0; j < N; ++j) q[i][j] = m(i, j);
  return q;
}

/// CN Eq. 3 x (-1/2) plus M_chi, in the basis {nu_e, nu_mu, nu_tau, chi_L, chi_R^c}.
RealMatrix<5> seesawMatrix(const double y[3], double fL, double fR, double vs, double MN,
                           double Mchi) {
  const double v = constants::v;
  RealVector<5> mD;
  mD << y[0] * v, y[1] * v, y[2] * v, fL * vs, fR * vs;
  mD /= sqrt2;
  RealMatrix<5> m = -mD * mD.transpose() / MN;
  m(3, 4) += Mchi;
  m(4, 3) += Mchi;
  return m;
}

TEST(MassMatrix, RandomSeesawMatricesKeepRelativeAccuracyOfSmallEigenvalues) {
  // Random hierarchical matrices whose nonzero eigenvalues span the 1e-11 ..
  // 1e-4 GeV domain of physics.md, with random signs of the couplings (both
  // chi labelings, indefinite matrices). Two eigenvalues are exact zeros (one
  // N_R has rank 1); those are checked absolutely.
  std::mt19937_64 rng(20261121);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto logUniform = [&](double lo, double hi) { return std::pow(10.0, lo + (hi - lo) * u(rng)); };
  auto sign = [&] { return u(rng) < 0.5 ? -1.0 : 1.0; };
  int tested = 0;
  double worstValue = 0.0;
  double worstMixing = 0.0;
  while (tested < 3000) {
    const double y[3] = {sign() * logUniform(-3, 0.5), sign() * logUniform(-3, 0.5),
                         sign() * logUniform(-3, 0.5)};
    const RealMatrix<5> m =
        seesawMatrix(y, logUniform(-5, 0.5), sign() * logUniform(-5, 0.5), logUniform(2.5, 4.5),
                     logUniform(8, 15), logUniform(-8, -4));
    const QuadEigen ref = quadJacobi(toQuad<5>(m));
    double largest = 0.0, smallest = 1.0;  // over the nonzero eigenvalues
    for (quad x : ref.values) {
      const double ax = std::abs(static_cast<double>(x));
      largest = std::max(largest, ax);
      if (ax > 1e-20) smallest = std::min(smallest, ax);
    }
    if (largest > 1e-4 || smallest < 1e-11) continue;  // outside the stated domain
    ++tested;
    const auto eig = diagonaliseSymmetric<5>(m);
    ASSERT_TRUE(eig.converged);
    for (int k = 0; k < 5; ++k) {
      const double r = static_cast<double>(ref.values[k]);
      if (std::abs(r) < 1e-20) {
        // An exact zero stays at the rounding level of the light entries, far below
        // the lightest massive state.
        EXPECT_LT(std::abs(eig.values(k)), 1e-9 * smallest);
        continue;
      }
      worstValue = std::max(worstValue, std::abs(eig.values(k) - r) / std::abs(r));
      // Mixing of the state with the electron flavour, |U_ek|^2, relatively accurate
      // down to 1e-20 (below that it is the exactly sterile combination's noise).
      const double uRef = static_cast<double>(ref.vectors[k][0] * ref.vectors[k][0]);
      const double uGot = eig.vectors(0, k) * eig.vectors(0, k);
      if (uRef > 1e-20) worstMixing = std::max(worstMixing, std::abs(uGot - uRef) / uRef);
    }
  }
  EXPECT_LT(worstValue, 1e-11) << "worst relative eigenvalue error";
  EXPECT_LT(worstMixing, 1e-8) << "worst relative |U_e|^2 error";
}

TEST(MassMatrix, GradedPositiveDefiniteMatricesAreRelativelyAccurate) {
  // Demmel & Veselic: for H = D A D with A well conditioned, Jacobi returns
  // every eigenvalue to relative accuracy O(eps kappa(A)), however graded D is.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  double worst = 0.0;
  for (int trial = 0; trial < 500; ++trial) {
    RealMatrix<5> a = RealMatrix<5>::Identity();
    for (int i = 0; i < 5; ++i)
      for (int j = i + 1; j < 5; ++j) a(i, j) = a(j, i) = 0.15 * u(rng);
    RealVector<5> d;
    for (int i = 0; i < 5; ++i) d(i) = std::pow(10.0, -10.0 * (u(rng) + 1.0) / 2.0);
    const RealMatrix<5> h = d.asDiagonal() * a * d.asDiagonal();
    const QuadEigen ref = quadJacobi(toQuad<5>(h));
    const auto eig = diagonaliseSymmetric<5>(h);
    for (int k = 0; k < 5; ++k) {
      const double r = static_cast<double>(ref.values[k]);
      worst = std::max(worst, std::abs(eig.values(k) - r) / r);
    }
  }
  EXPECT_LT(worst, 1e-13);
}

// --- CN Eq. 5: the 2x2 (y = 1, M_N = 1e14, v_s = 1 TeV) ---

/// Eq. 5 as printed and its exact eigenvalues, CN Eq. 6, in quad precision.
struct TwoByTwo {
  RealMatrix<2> m;
  quad light;
};
TwoByTwo eq5(double f, double Mchi) {
  const double v = constants::v, MN = 1e14, vs = 1e3;
  TwoByTwo t;
  t.m << v * v / MN, f * v * vs / MN, f * v * vs / MN, Mchi;
  const quad a = static_cast<quad>(v) * v / (static_cast<quad>(MN) * Mchi);
  const quad b = static_cast<quad>(f) * v * vs / (static_cast<quad>(MN) * Mchi);
  t.light =
      static_cast<quad>(Mchi) / 2 * ((1 + a) - sqrtq((1 - a) * (1 - a) + 4 * b * b));  // Eq. 6
  return t;
}

TEST(MassMatrix, Eq6LightEigenvalueAtOneKeV) {
  // CN Eq. 5 (60-digit mpmath diagonalisation): M_chi = 1 keV, f = 1: light eigenvalue 6.001751e-10
  // GeV.
  const TwoByTwo t = eq5(1.0, 1e-6);
  const auto eig = diagonaliseSymmetric<2>(t.m);
  const int light = orderByMagnitude<2>(eig.values)[0];
  EXPECT_REL(eig.values(light), static_cast<double>(t.light), 1e-13);
  EXPECT_REL(eig.values(light), 6.001751e-10, 1e-6);
}

TEST(MassMatrix, Eq6KeepsTheSignOfANegativeLightEigenvalue) {
  // CN Eq. 5 (60-digit mpmath diagonalisation): M_chi = 0.1 keV, f = 10: the light state has a
  // negative eigenvalue, -5.16e-9.
  const TwoByTwo t = eq5(10.0, 1e-7);
  const auto eig = diagonaliseSymmetric<2>(t.m);
  const int light = orderByMagnitude<2>(eig.values)[0];
  EXPECT_LT(eig.values(light), 0.0);
  EXPECT_REL(eig.values(light), static_cast<double>(t.light), 1e-12);
  EXPECT_REL(eig.values(light), -5.16e-9, 2e-3);
}

TEST(MassMatrix, Eq6ExactZeroWhenFSquaredVsSquaredEqualsMchiMN) {
  // CN Eq. 5 with M_chi M_N = f^2 v_s^2 (M_chi = 1 keV, f = 10): the light eigenvalue
  // is exactly zero; only input rounding (1e-25, mpmath) is left.
  const TwoByTwo t = eq5(10.0, 1e-6);
  const auto eig = diagonaliseSymmetric<2>(t.m);
  const int light = orderByMagnitude<2>(eig.values)[0];
  EXPECT_LT(std::abs(eig.values(light)), 1e-20);
}

// --- CN Eq. 3 and Eq. 10 as printed, benchmark 1 (60-digit mpmath diagonalisation) ---
// M_N = 1e10 GeV, y = 1e-2, v_s = 1 TeV, M_chi = 10 keV, f = 0.1.

TEST(MassMatrix, Eq3AsPrintedHasAnExactlySterileState) {
  // CN Eq. 3 (f_L = f_R = 0.1): eigenvalues 5.052e-10, -1.0000000000e-5, 1.2000101e-5;
  // the -M_chi state has |U|^2 = 2e-127 in mpmath (3e-34 in double), the other 8.42e-6.
  const double v = constants::v, MN = 1e10, vs = 1e3, y = 1e-2, f = 0.1, Mchi = 1e-5;
  RealMatrix<3> m;
  m << y * y * v * v / MN, y * f * v * vs / MN, y * f * v * vs / MN,           //
      y * f * v * vs / MN, f * f * vs * vs / MN, Mchi + f * f * vs * vs / MN,  //
      y * f * v * vs / MN, Mchi + f * f * vs * vs / MN, f * f * vs * vs / MN;
  const auto eig = diagonaliseSymmetric<3>(m);
  ASSERT_TRUE(eig.converged);
  EXPECT_REL(eig.values(0), -1.0000000000e-5, 1e-10);
  EXPECT_REL(eig.values(1), 5.052e-10, 1e-3);
  EXPECT_REL(eig.values(2), 1.2000101e-5, 1e-7);
  EXPECT_LT(eig.vectors(0, 0) * eig.vectors(0, 0), 1e-30);
  EXPECT_REL(eig.vectors(0, 2) * eig.vectors(0, 2), 8.42e-6, 2e-3);
}

TEST(MassMatrix, FullMatrixWithNRAgreesWithTheIntegratedOutSeesaw) {
  // CN Eq. 2 written out as the 4x4 {nu, chi_L, chi_R^c, N^c} with M_N = 1e10 GeV kept
  // (entries from 1e-5 to 1e10 GeV) has light eigenvalues -3.3679935766e-10,
  // +9.0000336788e-6, -1.0e-5 GeV, equal to Eq. 3 x (-1/2) plus M_chi.
  const double v = constants::v, MN = 1e10, vs = 1e3, y = 1e-2, f = 0.1, Mchi = 1e-5;
  RealMatrix<4> full = RealMatrix<4>::Zero();
  full(0, 3) = full(3, 0) = y * v / sqrt2;
  full(1, 3) = full(3, 1) = f * vs / sqrt2;
  full(2, 3) = full(3, 2) = f * vs / sqrt2;
  full(1, 2) = full(2, 1) = Mchi;
  full(3, 3) = MN;
  const auto eig = diagonaliseSymmetric<4>(full);
  ASSERT_TRUE(eig.converged);
  const auto order = orderByMagnitude<4>(eig.values);
  EXPECT_REL(eig.values(order[0]), -3.3679935766e-10, 1e-9);
  EXPECT_REL(eig.values(order[1]), 9.0000336788e-6, 1e-10);
  EXPECT_REL(eig.values(order[2]), -1.0e-5, 1e-10);
  EXPECT_REL(eig.values(order[3]), MN, 1e-12);

  const double yy[3] = {y, 0.0, 0.0};
  RealMatrix<5> eff5 = seesawMatrix(yy, f, f, vs, MN, Mchi);
  const auto light = diagonaliseSymmetric<5>(eff5);
  const auto lightOrder = orderByMagnitude<5>(light.values);
  // Two exact zeros (nu_mu, nu_tau decouple), then the same three light states.
  EXPECT_REL(light.values(lightOrder[2]), eig.values(order[0]), 1e-12);
  EXPECT_REL(light.values(lightOrder[3]), eig.values(order[1]), 1e-12);
  EXPECT_REL(light.values(lightOrder[4]), eig.values(order[2]), 1e-12);
}

TEST(MassMatrix, Eq10HasTwoMasslessStatesAndOneExactlySterileChi) {
  // CN Eq. 10 as printed with y = (0.5, 1, 1.5)e-2, f = 0.1, zero chi
  // diagonals: two exactly massless states, m = -M_chi exactly with sum|U|^2 ~ 1e-126,
  // and m = +1.0000424e-5 with sum|U|^2 = 4.245e-5.
  const double v = constants::v, MN = 1e10, vs = 1e3, f = 0.1, Mchi = 1e-5;
  const double y[3] = {0.5e-2, 1e-2, 1.5e-2};
  RealMatrix<5> m = RealMatrix<5>::Zero();
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) m(a, b) = y[a] * y[b] * v * v / MN;
    m(a, 3) = m(3, a) = m(a, 4) = m(4, a) = y[a] * f * v * vs / MN;
  }
  m(3, 4) = m(4, 3) = Mchi;
  const auto eig = diagonaliseSymmetric<5>(m);
  ASSERT_TRUE(eig.converged);
  const auto order = orderByMagnitude<5>(eig.values);
  EXPECT_LT(std::abs(eig.values(order[0])), 1e-24);
  EXPECT_LT(std::abs(eig.values(order[1])), 1e-24);
  auto activeMixing = [&](int k) {
    return eig.vectors(0, k) * eig.vectors(0, k) + eig.vectors(1, k) * eig.vectors(1, k) +
           eig.vectors(2, k) * eig.vectors(2, k);
  };
  int sterile = -1, mixing = -1;
  for (int k = 0; k < 5; ++k) {
    if (std::abs(eig.values(k) + Mchi) < 1e-15) sterile = k;
    if (std::abs(eig.values(k) - 1.0000424e-5) < 1e-11) mixing = k;
  }
  ASSERT_GE(sterile, 0);
  ASSERT_GE(mixing, 0);
  EXPECT_REL(eig.values(sterile), -Mchi, 1e-14);
  EXPECT_LT(activeMixing(sterile), 1e-30);
  EXPECT_REL(activeMixing(mixing), 4.245e-5, 1e-3);
}

// --- Takagi factorisation ---

template <int N>
void expectTakagi(const ComplexMatrix<N>& m, const TakagiFactorisation<N>& t, double tol) {
  const ComplexMatrix<N> d = t.U.transpose() * m * t.U;
  const double scale = m.cwiseAbs().maxCoeff();
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) {
      const std::complex<double> expected = i == j ? t.singularValues(i) : 0.0;
      EXPECT_LE(std::abs(d(i, j) - expected), tol * scale) << "U^T M U at " << i << "," << j;
    }
    if (i > 0) {
      EXPECT_LE(t.singularValues(i - 1), t.singularValues(i));
    }
    EXPECT_GE(t.singularValues(i), 0.0);
  }
  const ComplexMatrix<N> unit = t.U.adjoint() * t.U;
  EXPECT_LT((unit - ComplexMatrix<N>::Identity()).cwiseAbs().maxCoeff(), 1e-13);
}

TEST(Takagi, ComplexBenchmarkOfEq3) {
  // CN Eq. 3 as printed with f_R = 0.1 e^(0.7i), M_chi = 10 keV e^(0.2i):
  // singular values 1.1794e-5, 1.0e-5, 5.14e-10 GeV; |U_nu|^2 = 8.7e-6 and 2e-38.
  using C = std::complex<double>;
  const double v = constants::v, MN = 1e10, vs = 1e3, y = 1e-2;
  const C fL = 0.1, fR = std::polar(0.1, 0.7), Mchi = std::polar(1e-5, 0.2);
  ComplexMatrix<3> m;
  m << y * y * v * v / MN, y * fL * v * vs / MN, y * fR * v * vs / MN,              //
      y * fL * v * vs / MN, fL * fL * vs * vs / MN, Mchi + fL * fR * vs * vs / MN,  //
      y * fR * v * vs / MN, Mchi + fL * fR * vs * vs / MN, fR * fR * vs * vs / MN;
  const auto t = takagiFactorise<3>(m);
  ASSERT_TRUE(t.converged);
  expectTakagi<3>(m, t, 1e-14);
  EXPECT_REL(t.singularValues(0), 5.14e-10, 2e-3);
  EXPECT_REL(t.singularValues(1), 1.0e-5, 1e-6);
  EXPECT_REL(t.singularValues(2), 1.1794e-5, 1e-4);
  EXPECT_REL(std::norm(t.U(0, 2)), 8.7e-6, 1e-2);
  EXPECT_LT(std::norm(t.U(0, 1)), 1e-28);
}

TEST(Takagi, RandomComplexSeesawMatricesAgainstQuadReference) {
  // sigma_k are the positive eigenvalues of [[Re M, Im M], [Im M, -Re M]]: the
  // reference computes them in quad precision.
  std::mt19937_64 rng(99);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto logUniform = [&](double lo, double hi) { return std::pow(10.0, lo + (hi - lo) * u(rng)); };
  auto phase = [&] { return std::polar(1.0, 2.0 * std::numbers::pi * u(rng)); };
  double worst = 0.0;
  for (int trial = 0; trial < 300; ++trial) {
    Eigen::Matrix<std::complex<double>, 5, 1> mD;
    const double v = constants::v, vs = logUniform(2.5, 4), MN = logUniform(9, 14);
    for (int a = 0; a < 3; ++a) mD(a) = logUniform(-3, 0) * phase() * v / sqrt2;
    mD(3) = logUniform(-3, 0) * phase() * vs / sqrt2;
    mD(4) = logUniform(-3, 0) * phase() * vs / sqrt2;
    ComplexMatrix<5> m = -mD * mD.transpose() / MN;
    const std::complex<double> Mchi = logUniform(-7, -4) * phase();
    m(3, 4) += Mchi;
    m(4, 3) += Mchi;
    const auto t = takagiFactorise<5>(m);
    ASSERT_TRUE(t.converged);
    expectTakagi<5>(m, t, 1e-14);
    std::vector<std::vector<quad>> b(10, std::vector<quad>(10));
    for (int i = 0; i < 5; ++i) {
      for (int j = 0; j < 5; ++j) {
        b[i][j] = m(i, j).real();
        b[i][j + 5] = b[i + 5][j] = m(i, j).imag();
        b[i + 5][j + 5] = -m(i, j).real();
      }
    }
    const QuadEigen ref = quadJacobi(b);
    for (int k = 0; k < 5; ++k) {
      const double r = static_cast<double>(ref.values[5 + k]);  // the positive half, ascending
      if (r < 1e-20) continue;                                  // exact zeros (rank 3)
      worst = std::max(worst, std::abs(t.singularValues(k) - r) / r);
    }
  }
  EXPECT_LT(worst, 1e-10);
}

/// Reference for the singular values of a complex matrix, independent of the Takagi routine:
/// one-sided (Hestenes) Jacobi on the columns in quad precision, run to exact orthogonality;
/// the singular values are the final column norms. Singular and Takagi values coincide for a
/// complex symmetric matrix (M = U^* D U^dag is an SVD).
std::vector<quad> quadSingularValues(const ComplexMatrix<5>& m) {
  struct Cq {
    quad re, im;
  };
  std::array<std::array<Cq, 5>, 5> g;  // g[column][row]
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 5; ++j) g[j][i] = {m(i, j).real(), m(i, j).imag()};
  }
  auto dot = [&](int p, int q) {  // g_p^H g_q
    Cq s{0, 0};
    for (int i = 0; i < 5; ++i) {
      s.re += g[p][i].re * g[q][i].re + g[p][i].im * g[q][i].im;
      s.im += g[p][i].re * g[q][i].im - g[p][i].im * g[q][i].re;
    }
    return s;
  };
  const quad tol = static_cast<quad>(1e-16) * static_cast<quad>(1e-16);
  for (int sweep = 0; sweep < 100; ++sweep) {
    bool rotated = false;
    for (int p = 0; p < 4; ++p) {
      for (int q = p + 1; q < 5; ++q) {
        const quad alpha = dot(p, p).re, beta = dot(q, q).re;
        const Cq gamma = dot(p, q);
        const quad absGamma = sqrtq(gamma.re * gamma.re + gamma.im * gamma.im);
        if (absGamma == 0 || absGamma <= tol * sqrtq(alpha * beta)) continue;
        rotated = true;
        // g_q e^{-i phi} has a real inner product |gamma| with g_p: a real rotation.
        const Cq phase{gamma.re / absGamma, -gamma.im / absGamma};
        const quad zeta = (beta - alpha) / (2 * absGamma);
        const quad t = (zeta >= 0 ? 1 : -1) / (fabsq(zeta) + sqrtq(1 + zeta * zeta));
        const quad c = 1 / sqrtq(1 + t * t), s = c * t;
        for (int i = 0; i < 5; ++i) {
          const Cq x = g[p][i];
          const Cq y{g[q][i].re * phase.re - g[q][i].im * phase.im,
                     g[q][i].re * phase.im + g[q][i].im * phase.re};
          g[p][i] = {c * x.re - s * y.re, c * x.im - s * y.im};
          g[q][i] = {s * x.re + c * y.re, s * x.im + c * y.im};
        }
      }
    }
    if (!rotated) break;
  }
  std::vector<quad> sigma;
  for (int j = 0; j < 5; ++j) sigma.push_back(sqrtq(dot(j, j).re));
  std::sort(sigma.begin(), sigma.end());
  return sigma;
}

TEST(Takagi, ThreeSingletSeesawMatricesAgainstAQuadHestenesSvd) {
  // hidden_kev_fermion with n_R = 3: M_eff = M_0 - m_D M_N^-1 m_D^T with a complex 5 x 3 m_D and
  // hierarchical M_N (rank 5: three active masses 1e-16 .. 1e-9 GeV under a keV chi pair),
  // against singular values from another algorithm (one-sided Jacobi) in quad precision.
  std::mt19937_64 rng(2024);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto logUniform = [&](double lo, double hi) { return std::pow(10.0, lo + (hi - lo) * u(rng)); };
  auto phase = [&] { return std::polar(1.0, 2.0 * std::numbers::pi * u(rng)); };
  double worstLight = 0.0, worstChi = 0.0, smallest = 1.0, worstAbsolute = 0.0;
  for (int trial = 0; trial < 200; ++trial) {
    const double v = constants::v, vs = logUniform(2.5, 4);
    Eigen::Matrix<std::complex<double>, 5, 3> mD;
    Eigen::Matrix<std::complex<double>, 3, 3> inverse =
        Eigen::Matrix<std::complex<double>, 3, 3>::Zero();
    for (int i = 0; i < 3; ++i) {
      inverse(i, i) = 1.0 / logUniform(9, 15);
      for (int a = 0; a < 3; ++a) mD(a, i) = logUniform(-4, 0) * phase() * v / sqrt2;
      mD(3, i) = logUniform(-5, -2) * vs / sqrt2;  // real f, as in the model
      mD(4, i) = logUniform(-5, -2) * vs / sqrt2;
    }
    ComplexMatrix<5> m = -mD * inverse * mD.transpose();
    const double Mchi = logUniform(-6, -4);
    m(3, 4) += Mchi;
    m(4, 3) += Mchi;
    const auto t = takagiFactorise<5>(m);
    ASSERT_TRUE(t.converged);
    expectTakagi<5>(m, t, 1e-14);
    const std::vector<quad> ref = quadSingularValues(m);
    for (int k = 0; k < 5; ++k) {
      const double r = static_cast<double>(ref[static_cast<std::size_t>(k)]);
      const double rel = std::abs(t.singularValues(k) - r) / r;
      worstAbsolute =
          std::max(worstAbsolute, std::abs(t.singularValues(k) - r) / static_cast<double>(ref[4]));
      if (k < 3) {
        if (r > 1e-7 * static_cast<double>(ref[4])) worstLight = std::max(worstLight, rel);
        smallest = std::min(smallest, r / static_cast<double>(ref[4]));
      } else {
        worstChi = std::max(worstChi, rel);
      }
    }
  }
  EXPECT_LT(smallest, 1e-9);  // the set reaches light/heavy ratios below 1e-9
  EXPECT_LT(worstChi, 1e-14);
  // Every singular value to a few eps of the largest (backward stability), which is all a
  // complex matrix with unstructured phases allows (measured: 6.6e-16); light values above
  // 1e-7 of the largest keep 1e-10 relative (measured: 5.5e-12).
  EXPECT_LT(worstAbsolute, 8.0 * std::numeric_limits<double>::epsilon());
  EXPECT_LT(worstLight, 1e-10) << "light singular values lose relative accuracy";
}

TEST(Takagi, DegenerateAndZeroSingularValues) {
  using C = std::complex<double>;
  ComplexMatrix<2> dirac;  // a Dirac pair: sigma = (1, 1), the pseudo-Dirac limit
  dirac << 0.0, std::polar(1.0, 0.3), std::polar(1.0, 0.3), 0.0;
  auto t = takagiFactorise<2>(dirac);
  expectTakagi<2>(dirac, t, 1e-15);
  EXPECT_REL(t.singularValues(0), 1.0, 1e-15);
  EXPECT_REL(t.singularValues(1), 1.0, 1e-15);

  ComplexMatrix<2> rankOne;  // sigma = (0, 2)
  rankOne << C(1, 0), C(1, 0), C(1, 0), C(1, 0);
  t = takagiFactorise<2>(rankOne);
  expectTakagi<2>(rankOne, t, 1e-15);
  EXPECT_ABS(t.singularValues(0), 0.0, 1e-15);
  EXPECT_REL(t.singularValues(1), 2.0, 1e-15);

  const ComplexMatrix<3> zero = ComplexMatrix<3>::Zero();
  const auto tz = takagiFactorise<3>(zero);
  expectTakagi<3>(zero, tz, 1e-15);
}

TEST(Takagi, RealMatrixGivesPhaseIOnNegativeEigenvalues) {
  RealMatrix<2> m;
  m << 0.0, 1.0, 1.0, 0.5;  // eigenvalues (1 +- sqrt(17))/4: one negative
  const auto t = takagiFactorise<2>(m);
  const ComplexMatrix<2> mc = m.cast<std::complex<double>>();
  expectTakagi<2>(mc, t, 1e-15);
  EXPECT_REL(t.singularValues(0), (std::sqrt(17.0) - 1.0) / 4.0, 1e-15);
}

}  // namespace
}  // namespace portalscan::physics
