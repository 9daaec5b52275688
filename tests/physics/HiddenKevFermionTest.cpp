// Model hidden_kev_fermion (Chang & Ng): each expected value is derived here
// from the paper's equations (with the corrections of
// docs/physics/hidden_kev_fermion.md), or recomputed from the equation cited beside it.

#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

namespace portalscan::physics {
namespace {

using P = HiddenKevFermion::Parameter;
using std::numbers::pi;

class HiddenKevFermionTest : public ::testing::Test {
 protected:
  HiddenKevFermion model;
  std::vector<double> p = model.defaultParameterValues();
  std::vector<double> out = std::vector<double>(model.observables().size());

  PointStatus evaluate(BlockMask blocks = 0) {
    return model.evaluate(p, blocks ? blocks : model.defaultBlocks(), out);
  }
  double get(std::string_view name) const { return out[*model.observableIndex(name)]; }
  BlockMask block(std::string_view name) const { return BlockMask{1} << *model.blockIndex(name); }
  // CN benchmark 1: M_N = 1e10 GeV, y = 1e-2, v_s = 1 TeV, M_chi = 10 keV, f = 0.1.
  void benchmark1() {
    p[P::M_N] = 1e10;
    p[P::y_e] = 1e-2;
    p[P::v_s] = 1e3;
    p[P::M_chi] = 1e-5;
    p[P::f_L] = p[P::f_R] = 0.1;
  }
};

TEST_F(HiddenKevFermionTest, DefaultPointIsAConsistentWarmDarkMatterPoint) {
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto& name = model.observables()[i].name;
    if (name == "tau_chi_heavy") continue;  // the exactly sterile state: +inf
    const auto blockIndex = *model.blockIndex(model.observables()[i].block);
    if (model.blocks()[blockIndex].optIn) {
      EXPECT_TRUE(std::isnan(out[i])) << name << " of an opt-in block was computed";
      continue;
    }
    EXPECT_TRUE(std::isfinite(out[i])) << name << " = " << out[i];
  }
  EXPECT_EQ(get("tau_chi_heavy"), std::numeric_limits<double>::infinity());
  EXPECT_GT(get("tau_chi_light"), constants::ageOfUniverseInSeconds);
  EXPECT_GE(get("dilution"), 1.0);
  EXPECT_GT(get("Omega_chi_over_DM"), 1.0);  // it overcloses unless diluted more (physics.md)
}

TEST_F(HiddenKevFermionTest, LifetimeBoundOfEq15) {
  // CN Eqs. 13 and 15 recomputed: with Gamma(3 nu) = G_F^2 M^5 sum|U|^2/(96 pi^3) at M = 10 keV,
  // tau > 13.797 Gyr needs sum|U|^2 < 3.31e-4 (3.28e-4 with nu gamma); the paper's 1.8e-2 does not
  // follow.
  p[P::M_chi] = 1e-5;
  p[P::f_L] = p[P::f_R] = 1e-3;  // the light state stays at 10 keV to 1e-9
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double u2 = get("U2_chi_light");
  ASSERT_GT(u2, 0.0);
  const double hbarOverAge = units::hbarInGeVSeconds / constants::ageOfUniverseInSeconds;
  EXPECT_REL(hbarOverAge / (get("Gamma_chi_light_3nu") / u2), 3.31e-4, 3e-3);
  EXPECT_REL(hbarOverAge / ((get("Gamma_chi_light_3nu") + get("Gamma_chi_light_nugamma")) / u2),
             3.28e-4, 3e-3);
  // Eq. 13 itself, recomputed: G_F^2 m^5 U^2 / (96 pi^3).
  const double m = get("m_chi_light");
  EXPECT_REL(get("Gamma_chi_light_3nu"),
             constants::G_F * constants::G_F * std::pow(m, 5) * u2 / (96 * pi * pi * pi), 1e-12);
  // Eq. 14 / Eq. 13 = 27 alpha/(8 pi) when the active rows are unitary to O(U^2).
  EXPECT_REL(get("Gamma_chi_light_nugamma") / get("Gamma_chi_light_3nu"),
             27 * constants::alpha / (8 * pi), 1e-6);
}

TEST_F(HiddenKevFermionTest, NeutrinolessDoubleBetaSumRule) {
  // CN Eq. 20: sum_i U_ei^2 m_i over all light states equals (M_nu)_ee exactly, and with all
  // states far below 100 MeV the total m_ee is the ee entry y_e^2 v^2/(2 M_N): the chi states
  // redistribute m_ee between active and chi states, they do not add to it.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 200; ++trial) {
    p[P::M_N] = std::pow(10.0, 10 + 4 * u(rng));
    p[P::y_e] = std::pow(10.0, -2 + 2 * u(rng));
    p[P::y_mu] = std::pow(10.0, -2 + 2 * u(rng)) * (u(rng) < 0.5 ? -1 : 1);
    p[P::y_tau] = std::pow(10.0, -2 + 2 * u(rng));
    p[P::f_L] = std::pow(10.0, -2 + 2 * u(rng));
    p[P::f_R] = std::pow(10.0, -2 + 2 * u(rng)) * (u(rng) < 0.5 ? -1 : 1);
    p[P::M_chi] = std::pow(10.0, -6 + 2 * u(rng));
    ASSERT_EQ(evaluate(block("spectrum")), PointStatus::Ok);
    const double ee = p[P::y_e] * p[P::y_e] * constants::v * constants::v / (2 * p[P::M_N]);
    EXPECT_REL(get("m_ee"), ee, 1e-9);
  }
}

TEST_F(HiddenKevFermionTest, EqualYukawasLeaveAnExactlySterileChiState) {
  // CN Eq. 3 with the seesaw signs of Eq. 2: with f_L = f_R the combination (chi_L - chi_R^c)/sqrt2
  // is an exact eigenvector with eigenvalue -M_chi and no active component. With <phi> = v_s/sqrt2
  // the other state has |m| = M_chi - f^2 v_s^2/M_N: it is the lighter one and carries the mixing.
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("U2_chi_heavy"), 0.0);
  EXPECT_EQ(get("Gamma_chi_heavy_3nu"), 0.0);
  EXPECT_REL(get("m_chi_heavy"), p[P::M_chi], 1e-14);
  EXPECT_GT(get("U2_chi_light"), 0.0);
  const double split = p[P::f_L] * p[P::f_L] * p[P::v_s] * p[P::v_s] / p[P::M_N];
  EXPECT_REL(get("delta_m_chi"), split, 1e-4);
}

TEST_F(HiddenKevFermionTest, PseudoDiracLabellingSurvivesSplittingsBelowEpsilon) {
  // Sorting by |m| swaps the chi labels once the relative splitting falls below
  // double-precision epsilon. Here f^2 v_s^2/(M_N M_chi) = 1e-17: |m| of both states round to
  // the same double, yet the mixing state must stay the lighter one (f_L = f_R) and the
  // heavier one when f_R = -f_L (the roles swap with the sign of f_L f_R).
  p[P::f_L] = p[P::f_R] = 1e-7;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("m_chi_light"), get("m_chi_heavy"));  // indistinguishable as doubles
  EXPECT_GT(get("U2_chi_light"), 0.0);
  EXPECT_EQ(get("U2_chi_heavy"), 0.0);
  const double split = 1e-14 * p[P::v_s] * p[P::v_s] / p[P::M_N];
  EXPECT_REL(get("delta_m_chi"), split, 1e-4);
  EXPECT_LT(get("tau_chi_light"), std::numeric_limits<double>::infinity());

  p[P::f_R] = -1e-7;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_EQ(get("U2_chi_light"), 0.0);
  EXPECT_GT(get("U2_chi_heavy"), 0.0);
  EXPECT_REL(get("delta_m_chi"), split, 1e-4);
}

TEST_F(HiddenKevFermionTest, Benchmark1OfCN) {
  // CN benchmark 1 as the full 4x4 of Eq. 2 with N_R kept, diagonalised in 60-digit arithmetic:
  // light eigenvalues -3.3679935766e-10, +9.0000336788e-6, -1.0e-5 GeV; the mixing state is the
  // lighter one (9.0 keV) with |U|^2 = 3.74e-6; the active mass 0.3368 eV is pushed up from y^2
  // v^2/(2 M_N) = 0.3031 eV.
  benchmark1();
  ASSERT_EQ(evaluate(block("spectrum")), PointStatus::Ok);
  EXPECT_REL(get("m_nu_3"), 3.3679935766e-10, 1e-9);
  EXPECT_REL(get("m_chi_light"), 9.0000336788e-6, 1e-10);
  EXPECT_REL(get("m_chi_heavy"), 1.0e-5, 1e-12);
  EXPECT_REL(get("U2_chi_light"), 3.74e-6, 2e-3);
  EXPECT_EQ(get("U2_chi_heavy"), 0.0);
  EXPECT_GT(get("m_nu_3"), 1e-4 * constants::v * constants::v / (2 * 1e10));
}

TEST_F(HiddenKevFermionTest, Eq9OmitsTheFactorHalfOfTheVevs) {
  // With <H> = v/sqrt2, <phi> = v_s/sqrt2 the nu_e-chi_L entry is y f v v_s/(2 M_N); for
  // f_R = 0 the total mixing of nu_e into the chi pair is (that / M_chi)^2 = theta_eq9^2/4.
  p[P::f_R] = 0.0;
  ASSERT_EQ(evaluate(block("spectrum")), PointStatus::Ok);
  EXPECT_REL(get("U2e_chi_light") + get("U2e_chi_heavy"), std::pow(get("theta_eq9"), 2) / 4, 1e-4);
}

TEST_F(HiddenKevFermionTest, CancellationRegimeStillEvaluates) {
  // f^2 v_s^2 = M_chi M_N: the mixing state is massless at leading order (CN Eq. 6's regime
  // where Eq. 8 fails).
  p[P::f_L] = p[P::f_R] = 0.1;
  p[P::M_chi] = 0.01 * p[P::v_s] * p[P::v_s] / p[P::M_N];
  ASSERT_EQ(evaluate(block("spectrum") | block("chi_decays")), PointStatus::Ok);
  for (auto name : {"m_chi_light", "m_chi_heavy", "U2_chi_light", "m_nu_3", "m_ee"}) {
    EXPECT_TRUE(std::isfinite(get(name))) << name;
  }
}

TEST_F(HiddenKevFermionTest, FailedPointsAreAStatus) {
  p[P::M_N] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(evaluate(), PointStatus::InvalidInput);
  p = model.defaultParameterValues();
  p[P::M_chi] = -1e-5;
  EXPECT_EQ(evaluate(), PointStatus::UnphysicalParameter);
  p = model.defaultParameterValues();
  p[P::epsilon] = 1.0;
  EXPECT_EQ(evaluate(), PointStatus::UnphysicalParameter);
  p = model.defaultParameterValues();
  p[P::v_s] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(evaluate(), PointStatus::InvalidInput);
}

TEST_F(HiddenKevFermionTest, OnlyRequestedBlocksAndTheirDependenciesAreComputed) {
  ASSERT_EQ(evaluate(block("higgs")), PointStatus::Ok);
  EXPECT_TRUE(std::isfinite(get("BR_h_inv")));
  EXPECT_TRUE(std::isnan(get("m_chi_light")));
  EXPECT_TRUE(std::isnan(get("delta_rho")));
  const BlockMask cosmo = model.closure(block("cosmology"));
  EXPECT_TRUE(cosmo & block("spectrum"));
  EXPECT_TRUE(cosmo & block("chi_decays"));
  EXPECT_TRUE(cosmo & block("electroweak"));
  EXPECT_FALSE(cosmo & block("higgs"));
}

TEST_F(HiddenKevFermionTest, HiggsInvisibleBoundOnKappaEq68) {
  // CN Eq. 68 with the quartic kappa: Gamma = kappa^2 v^2 sqrt(1 - 4 m^2/M_H^2)/(32 pi M_H),
  // BR = Gamma/(Gamma_SM + Gamma), solved for kappa with Gamma_SM = 4.10 MeV: kappa < 0.0164 (BR
  // 0.24), 0.0191 (0.30), 0.0101 (ATLAS 0.107).
  const double cited[3][2] = {{0.24, 0.0164}, {0.30, 0.0191}, {0.107, 0.0101}};
  const double beta =
      std::sqrt(1 - 4 * p[P::m_phi] * p[P::m_phi] / (constants::M_H * constants::M_H));
  for (const auto& [br, kappa] : cited) {
    const double width = br / (1 - br) * constants::Gamma_H_SM;
    const double k =
        std::sqrt(width * 32 * pi * constants::M_H / (constants::v * constants::v * beta));
    EXPECT_REL(k, kappa, 5e-3);
    p[P::kappa] = k;
    ASSERT_EQ(evaluate(block("higgs")), PointStatus::Ok);
    EXPECT_REL(get("BR_h_inv"), br, 1e-12);
  }
}

TEST_F(HiddenKevFermionTest, FreezeOutSolvesEq52WithChiAndPhi) {
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double tf = get("T_freezeout");
  using thermal::Statistics;
  const double g = thermal::gStar(tf) +
                   2 * thermal::energyWeight(Statistics::Fermion, get("m_chi_light") / tf) +
                   2 * thermal::energyWeight(Statistics::Fermion, get("m_chi_heavy") / tf) +
                   thermal::energyWeight(Statistics::Boson, p[P::m_phi] / tf);
  const double a = get("A_chi");
  // CN Eq. 52: 3 zeta(3)/(2 pi^2) A^2 G_F^2 T^5 = sqrt(8 pi^3/90) T^2 sqrt(g_*)/M_Pl.
  EXPECT_REL(3 * constants::zeta3 / (2 * pi * pi) * a * a * constants::G_F * constants::G_F *
                 std::pow(tf, 3),
             std::sqrt(8 * pi * pi * pi / 90) * std::sqrt(g) / constants::M_Pl, 1e-8);
  EXPECT_REL(a, std::abs(get("eta")) * p[P::g_s] / constants::g2, 1e-14);  // Eq. 51
}

TEST_F(HiddenKevFermionTest, PhiToChiChiReducesToEq67) {
  // At f_L = f_R the phi^0 couples to the mixing Majorana state with d|m|/dv_s = 2 y_eff,
  // y_eff = f^2 v_s/M_N (CN Eq. 67's Dirac coupling; the Majorana diagonal of Eq. 2 is of the same
  // size), and not to the sterile one: Gamma = (2 y_eff)^2 m_phi/(16 pi) = y_eff^2 m_phi/(4 pi).
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double yEff = p[P::f_L] * p[P::f_L] * p[P::v_s] / p[P::M_N];
  EXPECT_REL(get("Gamma_phi_chichi"), yEff * yEff * p[P::m_phi] / (4 * pi), 1e-6);
  // tau_phi from the width of reference/phi_widths_reference.py (errata E2, E5: 1.210160e-7 GeV
  // per sin^2 alpha at m_phi = 2 GeV), sin alpha = kappa v v_s/(M_H^2 - m_phi^2) (CN Eq. 1 to
  // first order) and the chi chi width above.
  ASSERT_EQ(p[P::m_phi], 2.0);
  const double sinAlpha = p[P::kappa] * constants::v * p[P::v_s] /
                          (constants::M_H * constants::M_H - p[P::m_phi] * p[P::m_phi]);
  const double width = sinAlpha * sinAlpha * 1.210160e-7 + yEff * yEff * p[P::m_phi] / (4 * pi);
  EXPECT_REL(get("tau_phi"), units::hbarInGeVSeconds / width, 1e-5);
}

TEST_F(HiddenKevFermionTest, DilutionTendsToOneWhenPhiNeverDominates) {
  // kappa = 1e-6: tau_phi ~ 1e-8 s, T_r ~ GeV >> m_phi Y_phi: no dilution.
  p[P::kappa] = 1e-6;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_NEAR(get("dilution"), 1.0, 1e-3);
  EXPECT_GE(get("dilution"), 1.0);
}

TEST_F(HiddenKevFermionTest, DilutionGrowsAsTheSquareRootOfTauPhiWhenPhiDominates) {
  // Halving kappa quarters Gamma_phi (Gamma ~ sin^2 alpha ~ kappa^2; the chi chi channel is
  // negligible here); with phi^0 dominating, D = (4/3) m Y / T_r ~ tau^(1/2) g_*(T_r)^(1/4).
  p[P::kappa] = 1e-11;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double d1 = get("dilution"), tau1 = get("tau_phi"), t1 = get("T_reheat");
  p[P::kappa] = 0.5e-11;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double d2 = get("dilution"), tau2 = get("tau_phi"), t2 = get("T_reheat");
  EXPECT_REL(tau2 / tau1, 4.0, 1e-3);
  const double expected =
      std::sqrt(tau2 / tau1) * std::pow(thermal::gStar(t2) / thermal::gStar(t1), 0.25);
  EXPECT_REL(d2 / d1, expected, 1e-2);
  EXPECT_GT(d1, 50.0);
}

TEST_F(HiddenKevFermionTest, OmegaChiIsProportionalToMChiAtFixedDilution) {
  // CN Eq. 63 dropped the factor m_chi/keV (0.89 = 2.5 x 100/280.4 per keV): Omega_chi =
  // Omega_thermal / D keeps it.
  p[P::f_L] = p[P::f_R] = 1e-3;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  const double omega1 = get("Omega_chi"), d1 = get("dilution");
  p[P::M_chi] *= 3.0;
  ASSERT_EQ(evaluate(), PointStatus::Ok);
  EXPECT_REL(get("dilution"), d1, 1e-9);
  EXPECT_REL(get("Omega_chi") / omega1, 3.0, 1e-6);
}

TEST_F(HiddenKevFermionTest, TritiumKinksAtQMinusM) {
  // CN Eqs. 17-18 in kinetic energy: E_e - m_e = Q - M; closed (NaN) for M > Q.
  p[P::M_chi] = 7e-6;
  ASSERT_EQ(evaluate(block("beta_decay")), PointStatus::Ok);
  EXPECT_REL(get("E_kink_light"), constants::Q_tritium - get("m_chi_light"), 1e-12);
  p[P::M_chi] = 100e-6;
  ASSERT_EQ(evaluate(block("beta_decay")), PointStatus::Ok);
  EXPECT_TRUE(std::isnan(get("E_kink_light")));
}

}  // namespace
}  // namespace portalscan::physics
