// The constraint chain: statistical kinds, NaN handling, conditions,
// applicability, variants and overrides. Catalogue entries are built here in
// code (this layer knows no JSON); the model is the real hidden_kev_fermion.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"

#include "common/FloatComparisons.hpp"
#include "constraints/TestEntries.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace portalscan::constraints {
namespace {

Limit limit(Kind kind, double value, const char* source = "test source") {
  return test::limitOf(kind, value, 0.95, source);
}

Entry entry(const std::string& name, const std::string& observable, Limit current) {
  return test::entryOf(name, observable, std::move(current));
}

class ChainTest : public ::testing::Test {
 protected:
  std::unique_ptr<physics::Model> model =
      physics::ModelRegistry::builtin().create("hidden_kev_fermion");
  std::vector<double> obs = std::vector<double>(model->observables().size(), 0.0);
  std::vector<double> params = model->defaultParameterValues();
  std::size_t index(const char* name) { return *model->observableIndex(name); }
};

TEST_F(ChainTest, UpperAndLowerLimitsWithTheirStatistic) {
  const Catalogue catalogue({entry("upper", "delta_rho", limit(Kind::Upper, 1e-3)),
                             entry("lower", "tau_chi_light", limit(Kind::Lower, 10.0))});
  const Chain chain(catalogue, *model, {{"upper", {}, {}, {}}, {"lower", {}, {}, {}}});
  std::vector<std::uint8_t> pass(2);
  std::vector<double> stat(2);
  std::vector<double> chi2(2);
  obs[index("delta_rho")] = 5e-4;
  obs[index("tau_chi_light")] = 30.0;
  auto r = chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2);
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.status, PointStatus::Ok);
  EXPECT_REL(stat[0], 0.5, 1e-15);  // observable over limit
  EXPECT_REL(stat[1], 3.0, 1e-15);
  obs[index("delta_rho")] = 2e-3;
  r = chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(pass[0], 0);
  EXPECT_EQ(pass[1], 1);
  // +inf passes a lower limit (an exactly sterile state's lifetime).
  obs[index("delta_rho")] = 0.0;
  obs[index("tau_chi_light")] = std::numeric_limits<double>::infinity();
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
}

TEST_F(ChainTest, WindowAndGaussianKinds) {
  Limit window = limit(Kind::Window, 0.0);
  window.low = 1.0;
  window.high = 3.0;
  Limit gauss = limit(Kind::Gaussian, 0.12);
  gauss.sigma = 0.01;
  gauss.cl = 0.95;
  const Catalogue catalogue(
      {entry("window", "M_3", window), entry("gauss", "Omega_chi_h2", gauss)});
  const Chain chain(catalogue, *model, {{"window", {}, {}, {}}, {"gauss", {}, {}, {}}});
  // chi^2 cut of 95% CL, one degree of freedom: 1.959964^2 = 3.841459.
  EXPECT_REL(chain.constraints()[1].chi2Cut, 3.841458820694124, 1e-12);
  std::vector<std::uint8_t> pass(2);
  std::vector<double> stat(2);
  std::vector<double> chi2(2);
  obs[index("M_3")] = 2.5;
  obs[index("Omega_chi_h2")] = 0.12 + 1.9 * 0.01;
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_REL(stat[0], 0.5, 1e-15);                 // (x - mid)/half-width
  EXPECT_REL(stat[1], 1.9 * 1.9, 1e-12);           // chi^2
  obs[index("Omega_chi_h2")] = 0.12 + 2.0 * 0.01;  // chi^2 = 4 > 3.84
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  obs[index("Omega_chi_h2")] = 0.12;
  obs[index("M_3")] = 0.5;
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
}

TEST_F(ChainTest, NaNObservableOrFailedKernelIsNotAllowedWithAStatus) {
  const Catalogue catalogue({entry("upper", "delta_rho", limit(Kind::Upper, 1e-3))});
  const Chain chain(catalogue, *model, {{"upper", {}, {}, {}}});
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1);
  std::vector<double> chi2(1);
  obs[index("delta_rho")] = std::numeric_limits<double>::quiet_NaN();
  auto r = chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status, PointStatus::ConstraintObservableNaN);
  EXPECT_TRUE(std::isnan(stat[0]));
  // A kernel failure keeps its own status.
  r = chain.judge(params, obs, PointStatus::SolverFailed, pass, stat, chi2);
  EXPECT_EQ(r.status, PointStatus::SolverFailed);
  obs[index("delta_rho")] = 0.0;
  r = chain.judge(params, obs, PointStatus::UnphysicalParameter, pass, stat, chi2);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(pass[0], 1);
}

TEST_F(ChainTest, ConditionAndAbsoluteValue) {
  Entry e = entry("conditional", "eta", limit(Kind::Upper, 1e-3));
  e.absolute = true;
  e.condition = Condition{"M_3", 100.0};
  const Chain chain(Catalogue({e}), *model, {{"conditional", {}, {}, {}}});
  std::vector<std::uint8_t> pass(1);
  std::vector<double> stat(1);
  std::vector<double> chi2(1);
  obs[index("eta")] = -2e-3;  // |eta| = 2e-3 > 1e-3
  obs[index("M_3")] = 50.0;   // condition holds: tested
  EXPECT_FALSE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_REL(stat[0], 2.0, 1e-15);
  obs[index("M_3")] = 500.0;  // not tested here
  EXPECT_TRUE(chain.judge(params, obs, PointStatus::Ok, pass, stat, chi2).allowed);
  EXPECT_TRUE(std::isnan(stat[0]));
}

TEST_F(ChainTest, VariantsOverridesAndPerUseValues) {
  Entry e = entry("rho", "delta_rho", limit(Kind::Upper, 6.2e-4));
  e.variants["paper"] = limit(Kind::Upper, 3.7e-4, "CN Eq. 43");
  e.uses[0].variants["paper"] = limit(Kind::Upper, 3.0e-4, "per-use value");
  const Catalogue catalogue({e});
  EXPECT_EQ(Chain(catalogue, *model, {{"rho", {}, {}, {}}}).constraints()[0].limit.value, 6.2e-4);
  EXPECT_EQ(Chain(catalogue, *model, {{"rho", std::string("paper"), {}, {}}})
                .constraints()[0]
                .limit.value,
            3.0e-4);
  Limit override = limit(Kind::Upper, 1e-4);
  const Chain overridden(catalogue, *model, {{"rho", std::nullopt, override, {}}});
  EXPECT_EQ(overridden.constraints()[0].limit.value, 1e-4);
  EXPECT_EQ(overridden.constraints()[0].variant, "override");
  EXPECT_THROW(Chain(catalogue, *model, {{"rho", std::string("papr"), {}, {}}}), InputError);
}

TEST_F(ChainTest, RefusesWhatDoesNotApply) {
  Entry lfvOnly = entry("lfv_only", "R_mue", limit(Kind::Upper, 1.0));
  lfvOnly.uses[0].model = "lfv_nsi";
  lfvOnly.uses[0].options = {{"flavours", {"e-mu"}}};
  const Catalogue catalogue({lfvOnly, entry("rho", "delta_rho", limit(Kind::Upper, 1.0))});
  try {
    Chain(catalogue, *model, {{"lfv_only", {}, {}, {}}});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lfv_nsi with flavours=e-mu"), std::string::npos)
        << e.what();
  }
  try {
    Chain(catalogue, *model, {{"rh0", {}, {}, {}}});
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'rho'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Chain(catalogue, *model, {{"rho", {}, {}, {}}, {"rho", {}, {}, {}}}), InputError);
  // The option-dependent entry applies to lfv_nsi with e-mu only.
  const auto emu = physics::ModelRegistry::builtin().create("lfv_nsi");
  const auto mutau = physics::ModelRegistry::builtin().create("lfv_nsi", {{"flavours", "mu-tau"}});
  EXPECT_NO_THROW(Chain(catalogue, *emu, {{"lfv_only", {}, {}, {}}}));
  EXPECT_THROW(Chain(catalogue, *mutau, {{"lfv_only", {}, {}, {}}}), InputError);
}

TEST_F(ChainTest, DefaultChainSkipsOptInAndWhatDoesNotApply) {
  Entry optIn = entry("optin", "Omega_chi_h2", limit(Kind::Upper, 1.0));
  optIn.optIn = true;
  Entry other = entry("lfv", "R_mue", limit(Kind::Upper, 1.0));
  other.uses[0].model = "lfv_nsi";
  const Catalogue catalogue({entry("rho", "delta_rho", limit(Kind::Upper, 1.0)), optIn, other});
  const auto requests = Chain::defaultRequests(catalogue, *model);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].name, "rho");
  const Chain chain(catalogue, *model, requests);
  EXPECT_EQ(chain.blocks(), model->blockOf(index("delta_rho")));
}

}  // namespace
}  // namespace portalscan::constraints
