// The likelihood conventions of Statistics.hpp against hand computations, the
// cut at a common CL, and curve / region constraints in a chain. The normal
// quantiles are those of the standard tables (Abramowitz & Stegun 26.2.23 to
// 16 digits, as printed by any statistics package): P(Z < 1.6448536269514722)
// = 0.95, P(Z < 1.2815515655446004) = 0.90, P(|Z| < 1.959963984540054) = 0.95,
// P(|Z| < 1.6448536269514722) = 0.90. A limit at CL has its half-normal sigma =
// L / z with z the two-sided quantile: 1.6449 at 90%, 1.9600 at 95%.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/constraints/Statistics.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"

#include "common/FloatComparisons.hpp"
#include "constraints/TestEntries.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>

namespace portalscan::constraints {
namespace {

constexpr double kZ90 = 1.6448536269514722;  ///< the z of a 90% limit
constexpr double kZ95 = 1.959963984540054;   ///< the z of a 95% limit

TEST(Statistics, QuantilesAreTheTabulatedOnes) {
  EXPECT_REL(stats::oneSidedZ(0.95), 1.6448536269514722, 1e-13);
  EXPECT_REL(stats::oneSidedZ(0.90), 1.2815515655446004, 1e-13);
  EXPECT_REL(stats::twoSidedZ(0.95), 1.959963984540054, 1e-13);
  EXPECT_REL(stats::limitZ(0.90), kZ90, 1e-13);
  EXPECT_REL(stats::limitZ(0.95), kZ95, 1e-13);
  EXPECT_REL(stats::chi2Quantile(0.95), kZ95 * kZ95, 1e-12);
  // The half-normal of a limit L at CL puts its CL quantile at L: 2 Phi(z) - 1 = CL.
  for (double cl : {0.68, 0.90, 0.95}) {
    EXPECT_REL(std::erf(stats::limitZ(cl) / std::sqrt(2.0)), cl, 1e-12);
  }
}

TEST(Statistics, ConventionsByHand) {
  // Gaussian 0.1200 +- 0.0012 at 0.1230: 2.5 sigma.
  EXPECT_REL(stats::chi2Gaussian(0.1230, 0.1200, 0.0012), 6.25, 1e-12);
  // A 90% upper limit 7e-13 (SINDRUM II Au) at x = 3.5e-13: sigma = 7e-13 / 1.6449.
  EXPECT_REL(stats::chi2Upper(3.5e-13, 7e-13, 0.90), 0.25 * kZ90 * kZ90, 1e-12);
  // At the limit itself, the chi^2 (1 dof) quantile of its CL: 2.706 at 90%, 3.841 at 95%.
  EXPECT_REL(stats::chi2Upper(7e-13, 7e-13, 0.90), 2.705543454095404, 1e-12);
  EXPECT_REL(stats::chi2Upper(0.107, 0.107, 0.95), 3.841458820694124, 1e-12);
  EXPECT_EQ(stats::chi2Upper(-1.0, 7e-13, 0.90), 0.0);
  EXPECT_EQ(stats::chi2Upper(0.0, 7e-13, 0.90), 0.0);
  EXPECT_TRUE(std::isnan(stats::chi2Upper(std::nan(""), 7e-13, 0.90)));
  // A 95% lower limit on a lifetime is an upper limit on the rate: tau = 2 L gives rate L/2.
  EXPECT_REL(stats::chi2Lower(2.0, 1.0, 0.95), 0.25 * kZ95 * kZ95, 1e-12);
  EXPECT_EQ(stats::chi2Lower(0.0, 1.0, 0.95), stats::kInfinity);
  EXPECT_EQ(stats::chi2Lower(stats::kInfinity, 1.0, 0.95), 0.0);
  // A 95% window [1, 3] at x = 3: the edge is 1.96 sigma from the centre.
  EXPECT_REL(stats::chi2Window(3.0, 1.0, 3.0, 0.95), kZ95 * kZ95, 1e-12);
  // A 90% limit at 95%: loosened by 1.9600 / 1.6449 = 1.1916.
  EXPECT_REL(stats::rescaleUpper(7e-13, 0.90, 0.95), 7e-13 * kZ95 / kZ90, 1e-13);
  EXPECT_REL(stats::rescaleUpper(7e-13, 0.90, 0.95), 8.341e-13, 1e-4);
  EXPECT_REL(stats::rescaleLower(10.0, 0.90, 0.95), 10.0 * kZ90 / kZ95, 1e-13);
}

std::shared_ptr<const LimitTable> table(const std::string& body, const std::string& extra) {
  return std::make_shared<const LimitTable>(parseLimitTable(
      "# portalscan-limit-1\n# experiment: Test\n# reference: this test\n# cl: 0.90\n"
      "# x: M_chi keV\n# y: delta_rho 1\n" +
          extra +
          "# interpolation: x=log y=log\n# digitised: by hand\n# licence: none (test data)\n" +
          body,
      "curve.dat"));
}

class ChainLikelihood : public ::testing::Test {
 protected:
  std::unique_ptr<physics::Model> model =
      physics::ModelRegistry::builtin().create("hidden_kev_fermion");
  std::vector<double> obs = std::vector<double>(model->observables().size(), 0.0);
  std::vector<double> params = model->defaultParameterValues();
  std::size_t o(const char* name) { return *model->observableIndex(name); }
  std::size_t p(const char* name) { return *model->parameterIndex(name); }

  static Entry entry(const std::string& name, const std::string& observable, Limit l) {
    return test::entryOf(name, observable, std::move(l));
  }
  static Limit upper(double value, double cl) { return test::limitOf(Kind::Upper, value, cl); }
};

TEST_F(ChainLikelihood, Chi2PerConstraintAndTotal) {
  const Limit gauss = test::gaussianOf(0.1200, 0.0012);
  const Catalogue catalogue(
      {entry("rho", "delta_rho", upper(1e-3, 0.90)), entry("omega", "Omega_chi_h2", gauss)});
  const Chain chain(catalogue, *model, {{"rho", {}, {}, {}}, {"omega", {}, {}, {}}});
  std::vector<std::uint8_t> pass(2);
  std::vector<double> stat(2), chi2(2);
  obs[o("delta_rho")] = 0.5e-3;
  obs[o("Omega_chi_h2")] = 0.1230;
  const auto r = chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2);
  EXPECT_REL(chi2[0], 0.25 * kZ90 * kZ90, 1e-12);
  EXPECT_REL(chi2[1], 6.25, 1e-12);
  EXPECT_REL(r.chi2Total, 0.25 * kZ90 * kZ90 + 6.25, 1e-12);
  EXPECT_FALSE(r.allowed);  // 2.5 sigma > the 95% cut of 1.96
  // A failed kernel has no chi2 total.
  EXPECT_TRUE(
      std::isnan(chain.judge(params, obs, PointStatus::SolverFailed, pass, stat, chi2).chi2Total));
}

TEST_F(ChainLikelihood, CommonClRescalesTheCutNotTheChi2) {
  const Catalogue catalogue({entry("rho", "delta_rho", upper(1e-3, 0.90))});
  const Chain own(catalogue, *model, {{"rho", {}, {}, {}}});
  const Chain at95(catalogue, *model, {{"rho", {}, {}, {}}}, ChainOptions{0.95});
  EXPECT_EQ(own.constraints()[0].cutBound(), 1e-3);
  EXPECT_REL(at95.constraints()[0].cutBound(), 1e-3 * kZ95 / kZ90, 1e-13);
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1), chi2a(1), chi2b(1);
  obs[o("delta_rho")] = 1.1e-3;  // above the 90% bound, below its 95% equivalent 1.1916e-3
  EXPECT_FALSE(own.judge(params, obs, PointStatus::Ok, pass, stat, chi2a).allowed);
  EXPECT_TRUE(at95.judge(params, obs, PointStatus::Ok, pass, stat, chi2b).allowed);
  EXPECT_EQ(chi2a[0], chi2b[0]);
  // At the cut, chi2 is the one-sided threshold of the common CL.
  obs[o("delta_rho")] = at95.constraints()[0].cutBound();
  at95.judge(params, obs, PointStatus::Ok, pass, stat, chi2b);
  EXPECT_REL(chi2b[0], kZ95 * kZ95, 1e-12);
  EXPECT_THROW(Chain(catalogue, *model, {{"rho", {}, {}, {}}}, ChainOptions{1.5}), InputError);
}

TEST_F(ChainLikelihood, CommonClForLowerWindowAndGaussian) {
  const Limit low = test::limitOf(Kind::Lower, 10.0, 0.90);
  const Limit window = test::windowOf(1.0, 3.0, 0.90);
  const Limit gauss = test::gaussianOf(0.12, 0.01, 0.90);
  const Catalogue catalogue({entry("low", "tau_chi_light", low), entry("win", "M_3", window),
                             entry("gauss", "Omega_chi_h2", gauss)});
  const std::vector<Request> requests = {
      {"low", {}, {}, {}}, {"win", {}, {}, {}}, {"gauss", {}, {}, {}}};
  const Chain own(catalogue, *model, requests);
  const Chain at95(catalogue, *model, requests, ChainOptions{0.95});
  // A 90% lower limit of 10 is 10 x 1.6449/1.9600 = 8.392 at 95%.
  EXPECT_REL(at95.constraints()[0].cutBound(), 10.0 * kZ90 / kZ95, 1e-13);
  obs[o("tau_chi_light")] = 9.0;          // between the two
  obs[o("M_3")] = 3.1;                    // outside [1, 3], inside the 95% window 2 -+ 1.1916
  obs[o("Omega_chi_h2")] = 0.12 + 0.018;  // chi2 3.24: above 2.706 (90%), below 3.841 (95%)
  std::vector<std::uint8_t> passOwn(3), pass95(3);
  std::vector<double> stat(3), chi2Own(3), chi295(3);
  own.judge(params, obs, PointStatus::Ok, passOwn, stat, chi2Own);
  at95.judge(params, obs, PointStatus::Ok, pass95, stat, chi295);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(passOwn[k], 0) << k;
    EXPECT_EQ(pass95[k], 1) << k;
    EXPECT_EQ(chi2Own[k], chi295[k]) << k;  // the likelihood does not depend on the cut
  }
  EXPECT_REL(chi2Own[0], std::pow(kZ90 * 10.0 / 9.0, 2), 1e-12);
  EXPECT_REL(chi2Own[1], std::pow(1.1 * kZ90, 2), 1e-12);
  EXPECT_REL(chi2Own[2], 3.24, 1e-12);
  // Zero or negative upper and lower limits are refused (a signed quantity wants a window).
  Limit negative = upper(-0.1, 0.95);
  EXPECT_THROW(
      Chain(Catalogue({entry("neg", "delta_rho", negative)}), *model, {{"neg", {}, {}, {}}}),
      InputError);
}

TEST_F(ChainLikelihood, CurveAgainstAParameterWithItsRange) {
  const Limit c =
      test::tableOf(Kind::Curve, "M_chi",
                    table("1 1e-3\n100 1e-5\n", "# excluded: above\n"));  // against a parameter
  const Catalogue catalogue({entry("curve", "delta_rho", c)});
  const Chain chain(catalogue, *model, {{"curve", {}, {}, {}}});
  ASSERT_EQ(chain.constraints().size(), 1u);
  EXPECT_DOUBLE_EQ(chain.constraints()[0].limit.cl, 0.90);  // the file's CL
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1), chi2(1);
  params[p("M_chi")] = 10e-6;  // 10 keV: halfway in log, the bound is 1e-4
  obs[o("delta_rho")] = 0.9e-4;
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_REL(stat[0], 0.9, 1e-12);
  EXPECT_REL(chi2[0], 0.81 * kZ90 * kZ90, 1e-11);
  obs[o("delta_rho")] = 1.1e-4;
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  // Outside the table: not tested, passes, adds nothing.
  params[p("M_chi")] = 200e-6;
  obs[o("delta_rho")] = 1.0;
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_TRUE(std::isnan(stat[0]));
  EXPECT_EQ(chi2[0], 0.0);
  EXPECT_EQ(chain.constraints()[0].judge(params, obs).tested, false);
}

TEST_F(ChainLikelihood, LowerCurveUsesTheReciprocalConvention) {
  const Limit c =
      test::tableOf(Kind::Curve, "M_chi", table("1 1e-3\n100 1e-3\n", "# excluded: below\n"));
  const Chain chain(Catalogue({entry("curve", "delta_rho", c)}), *model, {{"curve", {}, {}, {}}});
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1), chi2(1);
  params[p("M_chi")] = 10e-6;
  obs[o("delta_rho")] = 2e-3;
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_REL(chi2[0], 0.25 * kZ90 * kZ90, 1e-12);
  obs[o("delta_rho")] = 0.5e-3;
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
}

TEST_F(ChainLikelihood, RegionIsAHardCut) {
  const Limit c = test::tableOf(Kind::Region, "M_chi",
                                table("1 1e-6\n100 1e-6\n100 1e-2\n1 1e-2\n", "# shape: region\n"));
  const Chain chain(Catalogue({entry("box", "delta_rho", c)}), *model, {{"box", {}, {}, {}}},
                    ChainOptions{0.95});
  EXPECT_DOUBLE_EQ(chain.constraints()[0].cutCl, 0.90);  // a region keeps its own CL
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1), chi2(1);
  params[p("M_chi")] = 10e-6;
  obs[o("delta_rho")] = 1e-4;
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_EQ(chi2[0], stats::kInfinity);
  obs[o("delta_rho")] = 1e-1;
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_EQ(chi2[0], 0.0);
}

TEST_F(ChainLikelihood, RefusesCurvesThatDoNotFit) {
  const Limit c =
      test::tableOf(Kind::Curve, "M_chi", table("1 1e-3\n100 1e-5\n", "# excluded: above\n"));
  // delta_rho is dimensionless; a curve in seconds does not bound it.
  Limit wrongUnit = c;
  wrongUnit.table = std::make_shared<const LimitTable>(parseLimitTable(
      "# portalscan-limit-1\n# experiment: T\n# reference: r\n# cl: 0.9\n# x: M_chi keV\n"
      "# y: tau s\n# excluded: above\n# interpolation: x=log y=log\n# digitised: d\n"
      "# licence: none\n1 1\n2 2\n",
      "seconds.dat"));
  try {
    Chain(Catalogue({entry("w", "delta_rho", wrongUnit)}), *model, {{"w", {}, {}, {}}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("seconds.dat gives y (tau) in s, but 'delta_rho' is in 1"),
              std::string::npos)
        << e.what();
  }
  Limit badX = c;
  badX.x = "M_chii";
  try {
    Chain(Catalogue({entry("b", "delta_rho", badX)}), *model, {{"b", {}, {}, {}}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("M_chii"), std::string::npos) << e.what();
  }
  Limit region = c;
  region.kind = Kind::Region;  // the file is a curve
  EXPECT_THROW(Chain(Catalogue({entry("r", "delta_rho", region)}), *model, {{"r", {}, {}, {}}}),
               InputError);
}

TEST_F(ChainLikelihood, UserConstraintsAreJudgedAndMayNotShadowTheCatalogue) {
  auto user = std::make_shared<Entry>(entry("my_limit", "kappa", upper(1e-9, 0.95)));
  user->user = true;
  const Catalogue catalogue({entry("rho", "delta_rho", upper(1e-3, 0.90))});
  const Chain chain(catalogue, *model, {{"my_limit", {}, {}, user}});
  EXPECT_EQ(chain.constraints()[0].variant, "user");
  EXPECT_TRUE(chain.constraints()[0].tested.parameter);
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1), chi2(1);
  params[p("kappa")] = 2e-9;
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_REL(chi2[0], 4.0 * kZ95 * kZ95, 1e-12);
  auto shadow = std::make_shared<Entry>(entry("rho", "kappa", upper(1e-9, 0.95)));
  shadow->user = true;
  EXPECT_THROW(Chain(catalogue, *model, {{"rho", {}, {}, shadow}}), InputError);
}

}  // namespace
}  // namespace portalscan::constraints
