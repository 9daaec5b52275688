// Kinetic mixing (CN Sec. V): exact (Z_SM, X') diagonalisation against the
// paper's leading-order formulas, closed forms derived here, the exact
// diagonalisation's values recomputed independently, and Eq. 50 against a
// numerical integration of Z -> Z* phi.

#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <boost/math/quadrature/gauss_kronrod.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace portalscan::physics {
namespace {

using std::numbers::pi;
const double sW2 = constants::sin2ThetaW_onShell;
const double MZ2 = constants::M_W * constants::M_W / (1.0 - sW2);

double sEps(double eps) { return eps / std::sqrt(1 - eps * eps); }

/// CN Eq. 43 (leading order): delta_rho = s_W^2 s_eps^2 M_W^2 / (c_W^2 M_3^2).
double deltaRhoEq43(double eps, double m3) { return sW2 * sEps(eps) * sEps(eps) * MZ2 / (m3 * m3); }

TEST(KineticMixing, DeltaRhoMatchesTheExactValueAndEq43ToLeadingOrder) {
  // CN Eqs. 36-43, the (Z_SM, X') mass matrix diagonalised exactly (independently, in
  // 60-digit arithmetic): 1.871e-5 vs Eq. 43 1.875e-5 (eps = 0.1, M_3 = 1 TeV);
  // exact 4.18e-5 vs 4.59e-5 (eps = 0.3, M_3 = 2 TeV).
  EXPECT_REL(kineticMixing(0.1, 1000.0).deltaRho, 1.871e-5, 1e-3);
  EXPECT_REL(deltaRhoEq43(0.1, 1000.0), 1.875e-5, 1e-3);
  EXPECT_REL(kineticMixing(0.3, 2000.0).deltaRho, 4.18e-5, 2e-3);
  EXPECT_REL(deltaRhoEq43(0.3, 2000.0), 4.59e-5, 2e-3);
}

TEST(KineticMixing, Eq44BoundOnM3OverSEpsilon) {
  // CN Eq. 44 follows from Eq. 43: at delta_rho = 3.7e-4, M_3/|s_eps| = s_W M_W/(c_W sqrt(3.7e-4))
  // = 2.2397 TeV with the on-shell s_W^2 (the paper's 2.29 TeV is the MS-bar value).
  // In the regime where Eq. 43 holds (eps -> 0, M_3 >> M_Z) the exact delta_rho implies it.
  for (double eps : {1e-3, 3e-3}) {
    for (double m3 : {2e4, 5e4}) {
      const double dr = kineticMixing(eps, m3).deltaRho;
      const double bound = m3 * std::sqrt(dr / 3.7e-4) / sEps(eps);  // M_3 at delta_rho = 3.7e-4
      EXPECT_REL(bound, 2239.7, 1e-4) << "eps " << eps << " M3 " << m3;
    }
  }
}

TEST(KineticMixing, ExactDeltaRhoAgainstTheClosedFormOfThe2x2) {
  // For [[a, b], [b, d]] with lower eigenvalue a/(1 + dr): (a - l)(d - l) = b^2 gives
  // c_eps^2 M_3^2 = a [1/(1 + dr) + s_W^2 s_eps^2 / dr] (derived here, exact).
  for (double eps : {0.05, 0.3, 0.7}) {
    const double dr = 3.7e-4;
    const double cEps2 = 1.0 / (1 - eps * eps);
    const double m3 = std::sqrt(MZ2 / cEps2 * (1 / (1 + dr) + sW2 * sEps(eps) * sEps(eps) / dr));
    EXPECT_REL(kineticMixing(eps, m3).deltaRho, dr, 1e-10) << "eps " << eps;
  }
}

TEST(KineticMixing, EtaCarriesCEpsilonSquared) {
  // Exact: tan 2 eta = 2 s_W s_eps / (c_eps^2 M_3^2/M_Z^2 + s_W^2 s_eps^2 - 1), with the sign of
  // Eq. 36/45 (eta < 0 for s_eps > 0). CN Eq. 39 lacks c_eps^2 (and flips the sign): +1% at
  // eps = 0.1, +10% at eps = 0.3.
  const double sW = std::sqrt(sW2);
  for (double eps : {0.1, 0.3}) {
    const double m3 = 1000.0;
    const double se = sEps(eps), ce2 = 1.0 / (1 - eps * eps);
    const double exact = -0.5 * std::atan(2 * sW * se / (ce2 * m3 * m3 / MZ2 + sW2 * se * se - 1));
    const double eq39 = 0.5 * std::atan(2 * sW * se / (m3 * m3 / MZ2 + sW2 * se * se - 1));
    const KineticMixing km = kineticMixing(eps, m3);
    EXPECT_REL(km.eta, exact, 1e-12);
    EXPECT_REL(std::abs(eq39 / km.eta), ce2, 2e-3);
  }
}

TEST(KineticMixing, ZNeutrinoCouplingAndChiWidth) {
  // CN Eq. 45 with the exact mixing: the Z nu nu coupling ratio is 1 - 1.88e-5 at eps = 0.1, M_3 =
  // 1 TeV.
  const KineticMixing km = kineticMixing(0.1, 1000.0);
  EXPECT_ABS(std::sqrt(1.0 + zNeutrinoCouplingShift(km)), 1.0 - 1.88e-5, 1e-7);
  // CN Eq. 47 recomputed: c_eps^2 s_eta^2 g_s^2 M_Z / (12 pi).
  const double gs = 0.7;
  EXPECT_REL(zToChiChiWidth(km, gs),
             km.cEpsilon * km.cEpsilon * std::pow(std::sin(km.eta), 2) * gs * gs *
                 std::sqrt(km.MZ2) / (12 * pi),
             1e-12);
}

/// BR(Z -> phi f fbar)/(s_alpha^2 BR(Z -> f fbar)) by direct integration over the
/// virtuality q^2 of Z* -> f fbar (massless f):
///   dGamma = dq^2/pi Gamma(Z -> phi Z*(q)) q Gamma(Z*(q) -> f fbar)/(q^2 - M_Z^2)^2,
/// with Gamma(Z* -> f fbar) = Gamma(Z -> f fbar) q/M_Z, the ZZphi vertex s_alpha 2 M_Z^2/v and
/// sum|M|^2/3 = g^2 [2 + (P.q)^2/(M_Z^2 q^2)]/3 for V -> V* S.
double fByIntegration(double mPhi) {
  const double M = constants::M_Z, m = mPhi, g = 2.0 * M * M / constants::v;
  auto integrand = [&](double q2) {
    const double lambda = std::pow(M * M - m * m - q2, 2) - 4.0 * m * m * q2;
    if (lambda <= 0 || q2 <= 0) return 0.0;
    const double p = std::sqrt(lambda) / (2 * M);
    const double pq = (M * M + q2 - m * m) / 2;
    const double width = p / (8 * pi * M * M) * g * g * (2 + pq * pq / (M * M * q2)) / 3.0;
    return width * q2 / (M * (q2 - M * M) * (q2 - M * M)) / pi;
  };
  return boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
      integrand, 0.0, (M - m) * (M - m), 25, 1e-13);
}

TEST(ZToPhiFFbar, Eq50AgainstNumericalIntegration) {
  // CN Eq. 50's F, evaluated independently (6 digits): 1.13576e-2 (m_phi = 0.5 GeV),
  // 6.75479e-3 (2), 2.17646e-3 (10), 3.39318e-4 (30).
  const double reference[4][2] = {
      {0.5, 1.13576e-2}, {2.0, 6.75479e-3}, {10.0, 2.17646e-3}, {30.0, 3.39318e-4}};
  for (const auto& [mPhi, value] : reference) {
    const double f = zToPhiFFbarF(mPhi / constants::M_Z);
    EXPECT_REL(f, fByIntegration(mPhi), 1e-5) << "m_phi = " << mPhi;
    EXPECT_REL(f, value, 2e-5) << "m_phi = " << mPhi;
  }
  EXPECT_EQ(zToPhiFFbarF(1.0), 0.0);  // closed for m_phi >= M_Z
}

}  // namespace
}  // namespace portalscan::physics
