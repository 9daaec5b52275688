// hidden_kev_fermion with three N_R (option n_R = 3): each expected value is computed here,
// independently of the model code — the type-I seesaw formula, the PDG matrix, the Schur
// complement of the chi block in long double and Hermitian eigenvectors — or follows from the
// n_R = 1 model with two N_R decoupled.

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/FloatComparisons.hpp"
#include <Eigen/Eigenvalues>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <random>
#include <string>

namespace portalscan::physics {
namespace {

using std::numbers::pi;
using ld = long double;
using Cld = std::complex<ld>;
using M3 = Eigen::Matrix<Cld, 3, 3>;

std::unique_ptr<Model> makeModel(const Options& options) {
  return ModelRegistry::builtin().create("hidden_kev_fermion", options);
}

struct Point {
  const Model& model;
  std::vector<double> p = model.defaultParameterValues();
  std::vector<double> out = std::vector<double>(model.observables().size());
  explicit Point(const Model& m) : model(m) {}
  void set(const std::string& name, double value) {
    const auto i = model.parameterIndex(name);
    ASSERT_TRUE(i) << name;
    p[*i] = value;
  }
  double par(const std::string& name) const { return p[*model.parameterIndex(name)]; }
  PointStatus evaluate(BlockMask blocks = 0) {
    return model.evaluate(p, blocks ? blocks : model.allBlocks(), out);
  }
  double get(const std::string& name) const { return out[*model.observableIndex(name)]; }
};

const char* kFlavour[3] = {"e", "mu", "tau"};

/// PDG Eq. 14.34, written out here in long double.
M3 pdg(ld s12sq, ld s13sq, ld s23sq, ld delta, ld a21, ld a31) {
  const ld s12 = std::sqrt(s12sq), c12 = std::sqrt(1 - s12sq);
  const ld s13 = std::sqrt(s13sq), c13 = std::sqrt(1 - s13sq);
  const ld s23 = std::sqrt(s23sq), c23 = std::sqrt(1 - s23sq);
  const Cld e = std::polar<ld>(1, delta);
  M3 r23 = M3::Identity(), r13 = M3::Identity(), r12 = M3::Identity();
  r23(1, 1) = c23, r23(1, 2) = s23, r23(2, 1) = -s23, r23(2, 2) = c23;
  r13(0, 0) = c13, r13(0, 2) = s13 / e, r13(2, 0) = -s13 * e, r13(2, 2) = c13;
  r12(0, 0) = c12, r12(0, 1) = s12, r12(1, 0) = -s12, r12(1, 1) = c12;
  M3 p = M3::Identity();
  p(1, 1) = std::polar<ld>(1, a21 / 2);
  p(2, 2) = std::polar<ld>(1, a31 / 2);
  return r23 * r13 * r12 * p;
}

/// Oscillation parameters of a 3x3 light Majorana matrix m (L = -(1/2) nu^T m nu), computed
/// through the Hermitian m^dag m = U diag(m^2) U^dag (not a Takagi routine), with the angles
/// from |U_e3|, |U_e2|/|U_e1|, |U_mu3|/|U_tau3|, J for sin(delta) and |U_tau1|^2 for cos(delta)
/// (the model uses |U_mu1|^2).
struct Oscillation {
  std::array<ld, 3> m{};  // standard labels
  ld dm21 = 0, dm3l = 0, s12sq = 0, s13sq = 0, s23sq = 0, delta = 0;
  bool normal = true;
};
Oscillation oscillationOf(const M3& m) {
  const Eigen::SelfAdjointEigenSolver<M3> eig(m.adjoint() * m);  // ascending m^2
  std::array<ld, 3> mass{};
  for (int k = 0; k < 3; ++k) mass[k] = std::sqrt(std::max<ld>(eig.eigenvalues()(k), 0));
  Oscillation o;
  o.normal = mass[1] * mass[1] - mass[0] * mass[0] < mass[2] * mass[2] - mass[1] * mass[1];
  const std::array<int, 3> label =
      o.normal ? std::array<int, 3>{0, 1, 2} : std::array<int, 3>{1, 2, 0};
  M3 u;
  for (int k = 0; k < 3; ++k) {
    u.col(k) = eig.eigenvectors().col(label[k]);
    o.m[k] = mass[label[k]];
  }
  o.dm21 = o.m[1] * o.m[1] - o.m[0] * o.m[0];
  o.dm3l = o.normal ? o.m[2] * o.m[2] - o.m[0] * o.m[0] : o.m[2] * o.m[2] - o.m[1] * o.m[1];
  o.s13sq = std::norm(u(0, 2));
  o.s12sq = std::norm(u(0, 1)) / (1 - o.s13sq);
  o.s23sq = std::norm(u(1, 2)) / (1 - o.s13sq);
  const ld s12 = std::sqrt(o.s12sq), c12 = std::sqrt(1 - o.s12sq), s23 = std::sqrt(o.s23sq),
           c23 = std::sqrt(1 - o.s23sq), s13 = std::sqrt(o.s13sq), c13sq = 1 - o.s13sq;
  const ld k = c12 * s12 * c23 * s23 * c13sq * s13;
  const ld j = std::imag(u(0, 0) * u(1, 1) * std::conj(u(0, 1)) * std::conj(u(1, 0)));
  // |U_tau1|^2 = s12^2 s23^2 + c12^2 c23^2 s13^2 - 2 s12 c12 s23 c23 s13 cos(delta)
  const ld cosK =
      -(std::norm(u(2, 0)) - o.s12sq * o.s23sq - c12 * c12 * c23 * c23 * o.s13sq) * c13sq / 2;
  o.delta = std::atan2(j / k, cosK / k);
  if (o.delta < 0) o.delta += 2 * pi;
  return o;
}

double wrapped(double a) { return std::remainder(a, 2 * pi); }

// --- n_R = 1 unchanged ---

TEST(HiddenKevFermionThreeSinglets, OneSingletIsTheDefaultAndKeepsItsParameterList) {
  const auto one = makeModel({{"n_R", "1"}});
  const HiddenKevFermion plain;
  ASSERT_EQ(one->parameterNames(), plain.parameterNames());
  ASSERT_EQ(one->parameters().size(), std::size_t{HiddenKevFermion::kParameterCount});
  for (const auto& name :
       {"dm2_21", "sin2_theta12", "delta_CP", "pmns_nonunitarity", "shift_dm2_21", "yukawa_max"}) {
    EXPECT_FALSE(one->applies(*one->observableIndex(name))) << name;
  }
  EXPECT_TRUE(one->applies(*one->observableIndex("U2mu_chi_light")));
  // n_R = 1 with yukawa = casas_ibarra is refused: one N_R gives one massive neutrino.
  EXPECT_THROW(makeModel({{"yukawa", "casas_ibarra"}}), InputError);
}

TEST(HiddenKevFermionThreeSinglets, TwoDecoupledSingletsReproduceOneSinglet) {
  // n_R = 3, direct, N_2 and N_3 with Yukawas and f's of 1e-12 (their effects ~1e-24 relative):
  // every observable of the n_R = 1 point, and the n_R = 1 spectrum, to 1e-9.
  const auto one = makeModel({});
  const auto three = makeModel({{"n_R", "3"}});
  struct Case {
    double MN, ye, ymu, ytau, fL, fR, Mchi, eps;
  };
  for (const Case& c : {Case{1e14, 0.3, 0.0, 0.0, 1e-3, 1e-3, 2.5e-5, 6.5e-9},
                        Case{1e10, 1e-2, 3e-3, -2e-3, 0.1, 0.03, 1e-5, 0.1},
                        Case{1e12, 0.05, 0.1, 0.2, 2e-3, -5e-3, 3e-5, 1e-7}}) {
    Point a(*one), b(*three);
    a.set("M_N", c.MN), a.set("y_e", c.ye), a.set("y_mu", c.ymu), a.set("y_tau", c.ytau);
    a.set("f_L", c.fL), a.set("f_R", c.fR), a.set("M_chi", c.Mchi), a.set("epsilon", c.eps);
    b.set("M_N1", c.MN), b.set("M_N2", 3e14), b.set("M_N3", 7e14);
    const double y[3] = {c.ye, c.ymu, c.ytau};
    for (int al = 0; al < 3; ++al) {
      for (int i = 1; i <= 3; ++i) {
        b.set(std::string("y_") + kFlavour[al] + std::to_string(i), i == 1 ? y[al] : 1e-12);
      }
    }
    for (int i = 1; i <= 3; ++i) {
      b.set("f_L" + std::to_string(i), i == 1 ? c.fL : 1e-12);
      b.set("f_R" + std::to_string(i), i == 1 ? c.fR : 1e-12);
    }
    b.set("M_chi", c.Mchi), b.set("epsilon", c.eps);
    const PointStatus sa = a.evaluate(), sb = b.evaluate();
    ASSERT_EQ(sa, sb);
    int compared = 0;
    for (std::size_t i = 0; i < one->observables().size(); ++i) {
      if (!one->applies(i)) continue;
      const std::string& name = one->observables()[i].name;
      const double x = a.out[i], z = b.get(name);
      if (std::isnan(x)) {
        EXPECT_TRUE(std::isnan(z)) << name;
        continue;
      }
      if (x == 0.0 || std::isinf(x)) {
        // Exactly zero or infinite with one N_R (massless actives, a sterile chi): the decoupled
        // N_R leave it at the level of their 1e-12 couplings.
        if (name.rfind("m_nu_", 0) == 0) {
          EXPECT_LT(z, 1e-25) << name;
        }
        continue;
      }
      EXPECT_TRUE(test::relativelyClose(z, x, 1e-9)) << name;
      ++compared;
    }
    EXPECT_GT(compared, 60);
  }
}

// --- direct: the type-I seesaw ---

TEST(HiddenKevFermionThreeSinglets, DirectWithoutChiCouplingsIsTheTypeISeesaw) {
  // f = 0: the active block is m_nu = -m_D M_N^-1 m_D^T, m_D = y v/sqrt2, diagonalised here.
  const auto model = makeModel({{"n_R", "3"}});
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    Point pt(*model);
    const double M[3] = {std::pow(10.0, 10 + 2 * (u(rng) + 1)), std::pow(10.0, 12 + u(rng)),
                         std::pow(10.0, 14 + u(rng))};
    M3 mD;
    for (int i = 0; i < 3; ++i) {
      pt.set("M_N" + std::to_string(i + 1), M[i]);
      pt.set("f_L" + std::to_string(i + 1), 0.0);
      pt.set("f_R" + std::to_string(i + 1), 0.0);
      for (int al = 0; al < 3; ++al) {
        const double y = 0.5 * u(rng) * std::sqrt(M[i] / 1e14);
        pt.set(std::string("y_") + kFlavour[al] + std::to_string(i + 1), y);
        mD(al, i) = static_cast<ld>(y) * static_cast<ld>(constants::v) / std::sqrt(2.0L);
      }
    }
    ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
    M3 inverse = M3::Zero();
    for (int i = 0; i < 3; ++i) inverse(i, i) = 1.0L / static_cast<ld>(M[i]);
    const Oscillation o = oscillationOf(-mD * inverse * mD.transpose());
    std::array<ld, 3> ascending = o.m;
    std::sort(ascending.begin(), ascending.end());
    for (int k = 0; k < 3; ++k) {
      EXPECT_TRUE(test::relativelyClose(pt.get("m_nu_" + std::to_string(k + 1)),
                                        static_cast<double>(ascending[k]), 1e-9));
    }
    EXPECT_TRUE(test::relativelyClose(pt.get("dm2_21"), static_cast<double>(o.dm21), 1e-8));
    EXPECT_TRUE(test::relativelyClose(pt.get("dm2_3l"), static_cast<double>(o.dm3l), 1e-9));
    EXPECT_TRUE(test::absolutelyClose(pt.get("sin2_theta12"), static_cast<double>(o.s12sq), 1e-9));
    EXPECT_TRUE(test::absolutelyClose(pt.get("sin2_theta13"), static_cast<double>(o.s13sq), 1e-9));
    EXPECT_TRUE(test::absolutelyClose(pt.get("sin2_theta23"), static_cast<double>(o.s23sq), 1e-9));
    // Real Yukawas conserve CP: delta is 0 or pi.
    EXPECT_LT(std::abs(std::sin(pt.get("delta_CP"))), 1e-6);
    // f = 0: chi is exactly sterile; what is left is the heavy N_R's Theta Theta^dag ~ m_nu/M_N.
    EXPECT_LT(pt.get("pmns_nonunitarity"), 1e-19);
    EXPECT_EQ(pt.get("U2_chi_light"), 0.0);
  }
}

TEST(HiddenKevFermionThreeSinglets, NonUnitarityOfALowScaleSeesawFromTheFullEightByEight) {
  // N_R at a few TeV, f = 0: the PMNS matrix's non-unitarity is the active rows' weight in the
  // heavy states, read here from the eigenvectors of the full real symmetric 8x8 mass matrix
  // (nu_e, nu_mu, nu_tau, chi_L, chi_R^c, N_1..3), diagonalised in long double — no seesaw
  // expansion. The model's leading-order Theta Theta^dag agrees up to its relative O(Theta^2).
  const auto model = makeModel({{"n_R", "3"}});
  std::mt19937_64 rng(29);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int trial = 0; trial < 5; ++trial) {
    Point pt(*model);
    const double M[3] = {1e3 * (2.0 + u(rng)), 5e3 * (2.0 + u(rng)), 2e4 * (2.0 + u(rng))};
    Eigen::Matrix<ld, 8, 8> mm = Eigen::Matrix<ld, 8, 8>::Zero();
    mm(3, 4) = mm(4, 3) = static_cast<ld>(pt.par("M_chi"));
    for (int i = 0; i < 3; ++i) {
      pt.set("M_N" + std::to_string(i + 1), M[i]);
      pt.set("f_L" + std::to_string(i + 1), 0.0);
      pt.set("f_R" + std::to_string(i + 1), 0.0);
      mm(5 + i, 5 + i) = static_cast<ld>(M[i]);
      for (int al = 0; al < 3; ++al) {
        const double y = 2e-5 * u(rng);
        pt.set(std::string("y_") + kFlavour[al] + std::to_string(i + 1), y);
        mm(al, 5 + i) = mm(5 + i, al) =
            static_cast<ld>(y) * static_cast<ld>(constants::v) / std::sqrt(2.0L);
      }
    }
    ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
    const Eigen::SelfAdjointEigenSolver<Eigen::Matrix<ld, 8, 8>> es(mm);
    // The three heaviest |eigenvalues| are the N_R; N N^dag - 1 = -(their active rows' weight)
    // (the chi columns carry none at f = 0), by the unitarity of the full 8x8.
    std::array<int, 8> order{0, 1, 2, 3, 4, 5, 6, 7};
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return std::abs(es.eigenvalues()(a)) < std::abs(es.eigenvalues()(b));
    });
    ld largest = 0.0L;
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) {
        ld w = 0.0L;
        for (int k = 5; k < 8; ++k) {
          const int j = order[static_cast<std::size_t>(k)];
          w += es.eigenvectors()(a, j) * es.eigenvectors()(b, j);
        }
        largest = std::max(largest, std::abs(w));
      }
    }
    ASSERT_GT(largest, 1e-14L);  // a few TeV and y ~ 1e-5: Theta^2 ~ 1e-12
    EXPECT_TRUE(
        test::relativelyClose(pt.get("pmns_nonunitarity"), static_cast<double>(largest), 1e-6))
        << pt.get("pmns_nonunitarity") << " against " << static_cast<double>(largest);
  }
}

// --- casas_ibarra ---

TEST(HiddenKevFermionThreeSinglets, CasasIbarraWithoutChiCouplingsReproducesItsInputs) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (const char* ordering : {"normal", "inverted"}) {
    const auto model =
        makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}, {"ordering", ordering}});
    const bool normal = std::string(ordering) == "normal";
    for (int trial = 0; trial < 20; ++trial) {
      Point pt(*model);
      for (int i = 1; i <= 3; ++i) {
        pt.set("f_L" + std::to_string(i), 0.0);
        pt.set("f_R" + std::to_string(i), 0.0);
        pt.set("M_N" + std::to_string(i), std::pow(10.0, 9 + 6 * u(rng)));
      }
      const double mLightest = std::pow(10.0, -14 + 4 * u(rng));
      pt.set("m_lightest", mLightest);
      pt.set("sin2_theta12_in", 0.25 + 0.1 * u(rng));
      pt.set("sin2_theta13_in", 0.015 + 0.015 * u(rng));
      pt.set("sin2_theta23_in", 0.4 + 0.2 * u(rng));
      pt.set("delta_CP_in", 2 * pi * u(rng));
      pt.set("alpha_21", 2 * pi * u(rng));
      pt.set("alpha_31", 2 * pi * u(rng));
      for (const char* name : {"omega_12_re", "omega_13_re", "omega_23_re"}) {
        pt.set(name, 2 * pi * u(rng));
      }
      for (const char* name : {"omega_12_im", "omega_13_im", "omega_23_im"}) {
        pt.set(name, 2 * u(rng) - 1);
      }
      ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
      // The light masses from m_lightest and the splittings (NuFIT's Delta m^2_3l).
      const double dm21 = pt.par("dm2_21_in"), dm3l = pt.par("dm2_3l_in");
      std::array<double, 3> m{};
      if (normal) {
        m = {mLightest, std::sqrt(mLightest * mLightest + dm21),
             std::sqrt(mLightest * mLightest + dm3l)};
      } else {
        const double m2 = std::sqrt(mLightest * mLightest - dm3l);
        m = {std::sqrt(m2 * m2 - dm21), m2, mLightest};
      }
      std::sort(m.begin(), m.end());
      for (int k = 0; k < 3; ++k) {
        EXPECT_TRUE(test::relativelyClose(pt.get("m_nu_" + std::to_string(k + 1)), m[k], 1e-9))
            << ordering << " m_nu_" << k + 1;
      }
      EXPECT_TRUE(test::relativelyClose(pt.get("dm2_21"), dm21, 1e-8)) << ordering;
      EXPECT_TRUE(test::relativelyClose(pt.get("dm2_3l"), dm3l, 1e-9)) << ordering;
      for (const char* a : {"sin2_theta12", "sin2_theta13", "sin2_theta23"}) {
        EXPECT_TRUE(test::relativelyClose(pt.get(a), pt.par(std::string(a) + "_in"), 1e-9)) << a;
      }
      EXPECT_LT(std::abs(wrapped(pt.get("delta_CP") - pt.par("delta_CP_in"))), 1e-8);
      EXPECT_LT(std::abs(pt.get("shift_dm2_21")), 1e-8);
      EXPECT_LT(std::abs(pt.get("shift_delta_CP")), 1e-8);
      // m_ee of the three active states, |sum_i U_ei^2 m_i| with the PDG matrix built here
      // (its Majorana phases included).
      const M3 upmns =
          pdg(pt.par("sin2_theta12_in"), pt.par("sin2_theta13_in"), pt.par("sin2_theta23_in"),
              pt.par("delta_CP_in"), pt.par("alpha_21"), pt.par("alpha_31"));
      std::array<double, 3> labelled{};
      if (normal) {
        labelled = {m[0], m[1], m[2]};
      } else {
        labelled = {m[1], m[2], m[0]};
      }
      Cld mee = 0;
      for (int i = 0; i < 3; ++i) mee += upmns(0, i) * upmns(0, i) * static_cast<ld>(labelled[i]);
      EXPECT_TRUE(
          test::relativelyClose(pt.get("m_ee_active"), static_cast<double>(std::abs(mee)), 1e-8));
    }
  }
}

/// The point of the chi-mixing tests: a large nu-chi mixing (f v_s ~ 700 GeV, M_chi = 1 keV)
/// that moves the oscillation parameters by ~1e-3.
void strongChiMixing(Point& pt) {
  pt.set("v_s", 1e4);
  pt.set("M_chi", 1e-6);
  const double fL[3] = {0.1, 0.05, 0.02}, fR[3] = {0.03, 0.08, 0.06};
  for (int i = 0; i < 3; ++i) {
    pt.set("f_L" + std::to_string(i + 1), fL[i]);
    pt.set("f_R" + std::to_string(i + 1), fR[i]);
  }
  pt.set("m_lightest", 5e-12);
  pt.set("alpha_21", 0.7);
  pt.set("omega_12_re", 0.4);
  pt.set("omega_13_im", 0.3);
}

struct Blocks {
  M3 a;                        // nu-nu
  Eigen::Matrix<Cld, 3, 2> b;  // nu-chi
  Eigen::Matrix<Cld, 2, 2> c;  // chi-chi
  Eigen::Matrix<Cld, 5, 3> mD;
  std::array<ld, 3> MN{};
};

/// m_D of the point, built here: i U^* sqrt(m) R sqrt(M) with the PDG U and R = R23 R13 R12
/// written out (Casas & Ibarra, hep-ph/0103065), and the blocks of M_eff = M_0 - m_D M^-1 m_D^T.
Blocks blocksOf(const Point& pt, bool normal) {
  Blocks bl;
  const M3 upmns =
      pdg(pt.par("sin2_theta12_in"), pt.par("sin2_theta13_in"), pt.par("sin2_theta23_in"),
          pt.par("delta_CP_in"), pt.par("alpha_21"), pt.par("alpha_31"));
  const ld ml = pt.par("m_lightest"), dm21 = pt.par("dm2_21_in"), dm3l = pt.par("dm2_3l_in");
  std::array<ld, 3> m{};
  if (normal) {
    m = {ml, std::sqrt(ml * ml + dm21), std::sqrt(ml * ml + dm3l)};
  } else {
    const ld m2 = std::sqrt(ml * ml - dm3l);
    m = {std::sqrt(m2 * m2 - dm21), m2, ml};
  }
  auto rot = [&](int i, int j, const char* name) {
    const Cld w(pt.par(std::string("omega_") + name + "_re"),
                pt.par(std::string("omega_") + name + "_im"));
    M3 r = M3::Identity();
    r(i, i) = r(j, j) = std::cos(w);
    r(i, j) = std::sin(w);
    r(j, i) = -std::sin(w);
    return r;
  };
  const M3 R = rot(1, 2, "23") * rot(0, 2, "13") * rot(0, 1, "12");
  M3 sm = M3::Zero(), sM = M3::Zero(), inverse = M3::Zero();
  for (int i = 0; i < 3; ++i) {
    bl.MN[i] = pt.par("M_N" + std::to_string(i + 1));
    sm(i, i) = std::sqrt(m[i]);
    sM(i, i) = std::sqrt(bl.MN[i]);
    inverse(i, i) = 1 / bl.MN[i];
  }
  const M3 mDnu = Cld(0, 1) * upmns.conjugate() * sm * R * sM;
  const ld vs = pt.par("v_s");
  for (int i = 0; i < 3; ++i) {
    for (int a = 0; a < 3; ++a) bl.mD(a, i) = mDnu(a, i);
    bl.mD(3, i) = static_cast<ld>(pt.par("f_L" + std::to_string(i + 1))) * vs / std::sqrt(2.0L);
    bl.mD(4, i) = static_cast<ld>(pt.par("f_R" + std::to_string(i + 1))) * vs / std::sqrt(2.0L);
  }
  const Eigen::Matrix<Cld, 5, 5> meff = -bl.mD * inverse * bl.mD.transpose();
  bl.a = meff.topLeftCorner<3, 3>();
  bl.b = meff.topRightCorner<3, 2>();
  bl.c = meff.bottomRightCorner<2, 2>();
  bl.c(0, 1) += static_cast<ld>(pt.par("M_chi"));
  bl.c(1, 0) += static_cast<ld>(pt.par("M_chi"));
  return bl;
}

TEST(HiddenKevFermionThreeSinglets, ChiMixingShiftsFollowTheSchurComplementOfTheChiBlock) {
  // Integrating the chi pair out of M_eff at second order: m_light = A - B C^-1 B^T. Its
  // oscillation parameters against the inputs give the shifts; the active-chi mixing
  // Theta = B C^-1 gives N N^dag - 1 = -Theta Theta^dag and sum_j |U_alpha chi_j|^2.
  for (const char* ordering : {"normal", "inverted"}) {
    const auto model =
        makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}, {"ordering", ordering}});
    Point pt(*model);
    strongChiMixing(pt);
    ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
    const Blocks bl = blocksOf(pt, std::string(ordering) == "normal");
    const Eigen::Matrix<Cld, 2, 2> cInverse = bl.c.inverse();
    const Oscillation o = oscillationOf(bl.a - bl.b * cInverse * bl.b.transpose());
    const Eigen::Matrix<Cld, 3, 2> theta = bl.b * cInverse;
    const M3 tt = theta * theta.adjoint();
    // The Schur complement leaves out the normalisation of the light states, a change of the
    // light matrix of relative O(|Theta|^2) (here 3e-7), which moves the angles by that times
    // the largest mass over the 1-2 spacing (10 normal, 70 inverted; the shifts are 4e-4 and
    // more, up to -0.34 for sin2_theta12 with the quasi-degenerate inverted pair).
    const double enhancement = static_cast<double>(std::max(o.m[1], o.m[2]) / (o.m[1] - o.m[0]));
    const double thirdOrder =
        4.0 * static_cast<double>(tt.cwiseAbs().maxCoeff()) * std::max(1.0, enhancement);
    auto expectShift = [&](const char* name, double value) {
      ASSERT_GT(std::abs(value), 2.0 * thirdOrder) << name << ": the point must move it";
      EXPECT_TRUE(test::absolutelyClose(pt.get(name), value, thirdOrder))
          << ordering << " " << name;
    };
    expectShift("shift_dm2_21", static_cast<double>(o.dm21 / pt.par("dm2_21_in") - 1));
    expectShift("shift_dm2_3l", static_cast<double>(o.dm3l / pt.par("dm2_3l_in") - 1));
    expectShift("shift_sin2_theta12", static_cast<double>(o.s12sq / pt.par("sin2_theta12_in") - 1));
    expectShift("shift_sin2_theta13", static_cast<double>(o.s13sq / pt.par("sin2_theta13_in") - 1));
    expectShift("shift_sin2_theta23", static_cast<double>(o.s23sq / pt.par("sin2_theta23_in") - 1));
    expectShift("shift_delta_CP", wrapped(static_cast<double>(o.delta) - pt.par("delta_CP_in")));
    EXPECT_TRUE(
        test::absolutelyClose(pt.get("delta_CP"), static_cast<double>(o.delta), thirdOrder));
    // Non-unitarity and the per-flavour chi mixings from Theta = B C^-1.
    EXPECT_TRUE(test::relativelyClose(pt.get("pmns_nonunitarity"),
                                      static_cast<double>(tt.cwiseAbs().maxCoeff()), 1e-4));
    for (int a = 0; a < 3; ++a) {
      const std::string f = kFlavour[a];
      const double sum = pt.get("U2" + f + "_chi_light") + pt.get("U2" + f + "_chi_heavy");
      EXPECT_TRUE(test::relativelyClose(sum, static_cast<double>(std::real(tt(a, a))), 1e-4)) << f;
    }
    EXPECT_TRUE(test::relativelyClose(
        pt.get("U2_chi_light") + pt.get("U2_chi_heavy"),
        static_cast<double>(std::real(tt(0, 0) + tt(1, 1) + tt(2, 2))), 1e-4));
    // m_ee over all five states is |(M_eff)_ee| exactly: M_eff = U^* diag(m) U^dag.
    EXPECT_TRUE(
        test::relativelyClose(pt.get("m_ee"), static_cast<double>(std::abs(bl.a(0, 0))), 1e-9));
    // yukawa_max from the m_D built here.
    ld ymax = 0;
    for (int a = 0; a < 3; ++a) {
      for (int i = 0; i < 3; ++i) {
        ymax = std::max(ymax, std::abs(bl.mD(a, i)) * std::sqrt(2.0L) / constants::v);
      }
    }
    EXPECT_TRUE(test::relativelyClose(pt.get("yukawa_max"), static_cast<double>(ymax), 1e-12));
  }
}

TEST(HiddenKevFermionThreeSinglets, PhiToNuChiWithComplexYukawasFromTheDerivativeOfMeff) {
  // kappa = 0 (no h mixing): the phi^0 Yukawa matrix is dM_eff/dv_s, whose nu_alpha-chi_a entries
  // are -sum_i y_alpha i f_a i v/(2 M_i) (CN Eq. 2 with three N_R; erratum E4) and which has no
  // nu-nu entries. With m_phi >> m_chi, Gamma(phi -> nu_i chi_j) = |Y_ij|^2 m_phi/(8 pi), and the
  // sum over the 3 x 2 pairs is the Frobenius norm of that block up to O(|Theta|^2): the
  // complex couplings of Casas-Ibarra enter through |Y|^2, not (Re Y)^2.
  const auto model = makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}});
  Point pt(*model);
  pt.set("kappa", 0.0);
  pt.set("f_R2", 3e-3);
  pt.set("f_L3", -2e-3);
  pt.set("alpha_31", 1.1);
  pt.set("omega_23_im", 0.8);
  ASSERT_NE(pt.evaluate(), PointStatus::UnphysicalParameter);
  const Blocks bl = blocksOf(pt, true);
  const ld v = constants::v, mphi = pt.par("m_phi");
  ld sum = 0, imaginary = 0;
  for (int a = 0; a < 3; ++a) {
    for (int c = 0; c < 2; ++c) {
      Cld y = 0;
      for (int i = 0; i < 3; ++i) {
        const ld f = pt.par((c == 0 ? "f_L" : "f_R") + std::to_string(i + 1));
        y -= bl.mD(a, i) * std::sqrt(2.0L) / v * f * v / (2 * bl.MN[i]);
      }
      sum += std::norm(y);
      imaginary += std::imag(y) * std::imag(y);
    }
  }
  ASSERT_GT(imaginary, 0.1 * sum);  // the couplings are far from real
  EXPECT_TRUE(test::relativelyClose(pt.get("Gamma_phi_nuchi"),
                                    static_cast<double>(sum * mphi / (8 * pi)), 1e-6));
}

TEST(HiddenKevFermionThreeSinglets, DefaultShiftOfTheLightMassesIsFLFRVsSquaredOverMNMchi) {
  // R = 1: light state i couples to N_i alone, m_D = i U^* sqrt(m_i M_i) e_i, and the chi
  // Schur complement multiplies m_i by 1 + 2 b_L b_R/(M_i M_chi), b = f v_s/sqrt2, to first order
  // in the seesaw entries of the chi block: m_i -> m_i (1 + f_L f_R v_s^2/(M_i M_chi)).
  const auto model = makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}});
  Point pt(*model);
  ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
  const double vs = pt.par("v_s"), mchi = pt.par("M_chi");
  for (int i = 0; i < 3; ++i) {
    const std::string k = std::to_string(i + 1);
    const double rel = pt.par("f_L" + k) * pt.par("f_R" + k) * vs * vs / (pt.par("M_N" + k) * mchi);
    const double m = pt.get("m_nu_" + k) - pt.get("shift_m_nu_" + k);
    EXPECT_TRUE(test::relativelyClose(pt.get("shift_m_nu_" + k) / m, rel, 1e-3)) << k;
  }
}

TEST(HiddenKevFermionThreeSinglets, ChiSplittingBelowEpsilonFromTheChiBlock) {
  // Complex Yukawas, f = 1e-6: the chi splitting, sum_i (f_L_i^2 + f_R_i^2) v_s^2/(2 M_i) at
  // leading order (|p + r| of the chi block), is ~1e-20 GeV, below eps M_chi = 5.6e-21 GeV
  // resolution of the two Takagi values.
  const auto model = makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}});
  Point pt(*model);
  const double f[3] = {1e-6, 1.5e-6, 1.2e-6};
  double expected = 0.0;
  for (int i = 0; i < 3; ++i) {
    const std::string k = std::to_string(i + 1);
    pt.set("f_L" + k, f[i]);
    pt.set("f_R" + k, 0.5 * f[i]);
    expected += 1.25 * f[i] * f[i] * pt.par("v_s") * pt.par("v_s") / (2.0 * pt.par("M_N" + k));
  }
  pt.set("omega_12_im", 0.5);
  ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
  EXPECT_LT(expected, 4.0 * std::numeric_limits<double>::epsilon() * pt.par("M_chi"));
  EXPECT_TRUE(test::relativelyClose(pt.get("delta_m_chi"), expected, 1e-6));
  // With f_L != f_R both chi states mix (the symmetric one, lowered by p + r < 0, is the
  // lighter and couples through f_L + f_R, the other through f_L - f_R). With f_R = f_L/2 for
  // every N_R the ratio of their mixings is ((1 + 1/2)/(1 - 1/2))^2 = 9: the labels are right.
  ASSERT_GT(pt.get("U2_chi_heavy"), 0.0);
  EXPECT_TRUE(test::relativelyClose(pt.get("U2_chi_light") / pt.get("U2_chi_heavy"), 9.0, 1e-4));
}

TEST(HiddenKevFermionThreeSinglets, DomainAndParameterLists) {
  const auto ci = makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}, {"ordering", "inverted"}});
  Point pt(*ci);
  EXPECT_LT(pt.par("dm2_3l_in"), 0.0);  // NuFIT's Delta m^2_32 for the inverted ordering
  EXPECT_EQ(pt.par("sin2_theta13_in"), 0.02259);
  pt.set("dm2_3l_in", 2.5e-21);
  EXPECT_EQ(pt.evaluate(), PointStatus::UnphysicalParameter);
  EXPECT_NE(ci->unphysicalParameter(pt.p, ci->allBlocks()).find("dm2_3l_in"), std::string::npos);
  const auto direct = makeModel({{"n_R", "3"}});
  EXPECT_EQ(direct->parameters().size(), std::size_t{HiddenKevFermion::kDirectParameterCount});
  EXPECT_EQ(direct->parameters()[HiddenKevFermion::D_y_e1 + 5].name, "y_mu3");
  EXPECT_FALSE(direct->parameterIndex("M_N").has_value());
  EXPECT_FALSE(direct->applies(*direct->observableIndex("shift_dm2_21")));
  EXPECT_TRUE(direct->applies(*direct->observableIndex("dm2_21")));
}

TEST(HiddenKevFermionThreeSinglets,
     CasasIbarraWithChiMixingAgainstAnIndependentEightByEightTakagi) {
  // The values are those of tests/physics/reference/three_singlets (points.json, points
  // P2_CI_NO_R1_f1e-3 and P7_CI_IO_complexR_majorana_f): an independent program that builds the
  // full 8x8 mass matrix (nu, chi_L, chi_R^c, N_1..3) and takes its Takagi decomposition by a
  // Jacobi solve in 120-digit decimal arithmetic, with no seesaw expansion. Its complex
  // orthogonal R is R_12(w3) R_13(w2) R_23(w1) with m_D = i U sqrt(m) R^T sqrt(M_N); ours
  // (R = R_23 R_13 R_12, m_D = i U^* sqrt(m) R sqrt(M_N)) is the same matrix for omega_23 = w1^*,
  // omega_13 = w2^*, omega_12 = w3^*. The light masses of an inverted, strongly chi-mixed point
  // are resolved to ~1e-8 relative in double precision (its 1-2 pair is split by less than the
  // chi mixing moves it), hence the looser tolerances there.
  struct Reference {
    const char* ordering;
    double MN[3], fL[3], fR[3], vs, Mchi;
    double s12, s13, s23, deltaDeg, dm21, dm3l, mLightest, a21, a31;
    std::complex<double> w[3];  // the reference's (w1, w2, w3)
    double sin2_12, sin2_13, sin2_23, delta, dm2_21, dm2_3l, mee3, mbeta, nonunitarity;
    double u2[3];  // |U_alpha chi_light|^2
    double tolerance;
  };
  const Reference refs[] = {
      {"normal",
       {1e13, 2e13, 5e13},
       {1e-3, 1e-3, 1e-3},
       {1e-3, 1e-3, 1e-3},
       1000.0,
       2.5e-5,
       0.310,
       0.02241,
       0.558,
       222.0,
       7.39e-23,
       2.523e-21,
       1e-12,
       0.0,
       0.0,
       {0.0, 0.0, 0.0},
       0.3100000010454183,
       0.022409999875257245,
       0.5580000003852342,
       3.874630941901489,
       7.39000002915999e-23,
       2.5230000040303915e-21,
       3.5938641214089858e-12,
       8.940695681005372e-12,
       1.730215555661431e-15,
       {4.328363520821524e-16, 1.7302155549481055e-15, 2.969611175412819e-16},
       1e-12},
      {"inverted",
       {1e10, 3e10, 1e11},
       {0.05, 0.02, 0.08},
       {0.03, 0.07, 0.01},
       1000.0,
       1e-5,
       0.310,
       0.02261,
       0.563,
       285.0,
       7.39e-23,
       -2.509e-21,
       2e-12,
       1.1,
       4.0,
       {{0.3, 0.2}, {-0.1, 0.4}, {0.5, -0.3}},
       0.916441599132664,
       0.023608814175904807,
       0.5633081856539796,
       2.588006469159556,
       1.0349533314529047e-22,
       -2.5921171237170747e-21,
       4.357078676407262e-11,
       5.0263565529383145e-11,
       1.2505136641973188e-07,
       {1.2011634532428172e-07, 2.7909465993143138e-08, 1.5227549050189654e-08},
       1e-7},
  };
  for (const Reference& r : refs) {
    SCOPED_TRACE(r.ordering);
    const auto model =
        makeModel({{"n_R", "3"}, {"yukawa", "casas_ibarra"}, {"ordering", r.ordering}});
    Point pt(*model);
    for (int i = 0; i < 3; ++i) {
      const std::string k = std::to_string(i + 1);
      pt.set("M_N" + k, r.MN[i]);
      pt.set("f_L" + k, r.fL[i]);
      pt.set("f_R" + k, r.fR[i]);
    }
    pt.set("v_s", r.vs);
    pt.set("M_chi", r.Mchi);
    pt.set("sin2_theta12_in", r.s12);
    pt.set("sin2_theta13_in", r.s13);
    pt.set("sin2_theta23_in", r.s23);
    pt.set("delta_CP_in", r.deltaDeg * pi / 180.0);
    pt.set("dm2_21_in", r.dm21);
    pt.set("dm2_3l_in", r.dm3l);
    pt.set("m_lightest", r.mLightest);
    pt.set("alpha_21", r.a21);
    pt.set("alpha_31", r.a31);
    const char* plane[3] = {"23", "13", "12"};
    for (int k = 0; k < 3; ++k) {
      pt.set(std::string("omega_") + plane[k] + "_re", r.w[k].real());
      pt.set(std::string("omega_") + plane[k] + "_im", -r.w[k].imag());
    }
    ASSERT_EQ(pt.evaluate(BlockMask{1}), PointStatus::Ok);
    const double t = r.tolerance;
    EXPECT_TRUE(test::relativelyClose(pt.get("sin2_theta12"), r.sin2_12, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("sin2_theta13"), r.sin2_13, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("sin2_theta23"), r.sin2_23, t));
    EXPECT_TRUE(test::absolutelyClose(pt.get("delta_CP"), r.delta, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("dm2_21"), r.dm2_21, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("dm2_3l"), r.dm2_3l, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("m_ee_active"), r.mee3, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("m_beta"), r.mbeta, t));
    EXPECT_TRUE(test::relativelyClose(pt.get("pmns_nonunitarity"), r.nonunitarity, 1e-9));
    for (int a = 0; a < 3; ++a) {
      EXPECT_TRUE(test::relativelyClose(pt.get(std::string("U2") + kFlavour[a] + "_chi_light"),
                                        r.u2[a], 1e-9))
          << kFlavour[a];
    }
  }
}

}  // namespace
}  // namespace portalscan::physics
