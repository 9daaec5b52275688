// The command line as a user meets it: exit codes, one-line errors, JSON.

#include "integration/CliRunner.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace portalscan::test {
namespace {

TEST(CliPoint, DefaultPointAsJson) {
  const CliResult r = runCli("point hidden_kev_fermion --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  for (auto key : {"model", "parameters", "observables", "constraints", "allowed", "status"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["model"], "hidden_kev_fermion");
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["parameters"]["M_N"], 1e14);
  EXPECT_EQ(j["observables"]["tau_chi_heavy"], "inf");  // the exactly sterile state
  EXPECT_TRUE(j["observables"]["m_chi_light"].is_number());
}

TEST(CliPoint, SetAndObservableSelection) {
  const CliResult r = runCli(
      "point hidden_kev_fermion --set M_chi=2e-5 --set kappa=1e-3 --observable BR_h_inv --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["parameters"]["M_chi"], 2e-5);
  EXPECT_EQ(j["observables"].size(), 1u);
  EXPECT_GT(j["observables"]["BR_h_inv"].get<double>(), 0.0);
}

TEST(CliPoint, TextOutputShowsUnits) {
  const CliResult r = runCli("point hidden_kev_fermion");
  ASSERT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("tau_chi_light"), std::string::npos);
  EXPECT_NE(r.out.find(" s "), std::string::npos);
  EXPECT_NE(r.out.find("GeV"), std::string::npos);
}

TEST(CliPoint, AFailedPointIsReportedNotAnError) {
  const CliResult r = runCli("point hidden_kev_fermion --set M_chi=-1e-5 --json");
  ASSERT_EQ(r.code, 0);
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["status"], "unphysical_parameter");
  EXPECT_EQ(j["allowed"], false);
}

struct BadInput {
  const char* name;
  const char* args;
  const char* expected;  // a fragment of the one error line
};
void PrintTo(const BadInput& b, std::ostream* os) { *os << b.args; }

class CliBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(CliBadInput, OneLineAndExitCodeTwo) {
  const CliResult r = runCli(GetParam().args);
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find(GetParam().expected), std::string::npos) << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliBadInput,
    ::testing::Values(
        BadInput{"UnknownModel", "point hidden_kev_fermon", "did you mean 'hidden_kev_fermion'"},
        BadInput{"UnknownParameter", "point hidden_kev_fermion --set kapa=1",
                 "did you mean 'kappa'"},
        BadInput{"UnknownObservable", "point hidden_kev_fermion --observable tau_chi_lite",
                 "did you mean 'tau_chi_light'"},
        BadInput{"SetWithoutValue", "point hidden_kev_fermion --set M_N", "expected NAME=VALUE"},
        BadInput{"NaNValue", "point hidden_kev_fermion --set M_N=nan", "not a finite number"},
        BadInput{"OverflowingValue", "point hidden_kev_fermion --set M_N=1e400",
                 "not a finite number"},
        BadInput{"NonNumericValue", "point hidden_kev_fermion --set M_N=abc", "not a number"},
        BadInput{"ParameterSetTwice", "point hidden_kev_fermion --set M_N=1 --set M_N=2",
                 "set twice"},
        BadInput{"UnknownBlock", "point hidden_kev_fermion --block spectrun",
                 "did you mean 'spectrum'"},
        BadInput{"MissingModel", "point", "point needs a MODEL (or --config CONFIG.json)"},
        BadInput{"UnknownFlag", "point hidden_kev_fermion --frobnicate",
                 "unknown option '--frobnicate'"},
        BadInput{"UnknownListKind", "list modles", "did you mean 'models'"},
        BadInput{"ListWithoutModel", "list observables", "needs a MODEL"},
        BadInput{"ListUnknownModel", "list observables hiden_kev_fermion", "did you mean"},
        BadInput{"UnknownOptionValue", "point lfv_nsi --option flavours=e-nu",
                 "did you mean 'e-mu'"},
        BadInput{"UnknownOption", "point lfv_nsi --option flavour=e-mu", "did you mean 'flavours'"},
        BadInput{"OptionWithoutValue", "point lfv_nsi --option flavours", "expected NAME=VALUE"},
        BadInput{"OptionOfAnotherModel", "point hidden_kev_fermion --option flavours=e-mu",
                 "unknown option 'flavours'"},
        BadInput{"CasasIbarraNeedsThreeSinglets",
                 "point hidden_kev_fermion --option yukawa=casas_ibarra", "needs n_R=3"},
        BadInput{"UnknownCommand", "frobnicate", "frobnicate"}),
    [](const ::testing::TestParamInfo<BadInput>& param) { return std::string(param.param.name); });

TEST(CliList, ModelsParametersObservablesAsJson) {
  auto r = runCli("list models --json");
  ASSERT_EQ(r.code, 0);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j.empty());
  EXPECT_EQ(j[0]["name"], "hidden_kev_fermion");

  r = runCli("list parameters hidden_kev_fermion --json");
  ASSERT_EQ(r.code, 0);
  j = nlohmann::json::parse(r.out);
  // physics.md's twelve, the two CEvNS recoil thresholds and R_detector (erratum E6)
  EXPECT_EQ(j.size(), 15u);
  EXPECT_EQ(j[0]["name"], "M_N");
  EXPECT_EQ(j[0]["unit"], "GeV");
  EXPECT_EQ(j[0]["default"], 1e14);

  r = runCli("list observables hidden_kev_fermion --json");
  ASSERT_EQ(r.code, 0);
  j = nlohmann::json::parse(r.out);
  bool found = false;
  for (const auto& o : j) {
    if (o["name"] == "tau_chi_light") {
      found = true;
      EXPECT_EQ(o["unit"], "s");
      EXPECT_EQ(o["block"], "chi_decays");
      EXPECT_FALSE(o["reference"].get<std::string>().empty());
    }
  }
  EXPECT_TRUE(found);
}

TEST(CliPoint, OptionsAndObservablesThatDoNotApply) {
  const CliResult r = runCli("point lfv_nsi --option flavours=mu-tau --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["options"]["flavours"], "mu-tau");
  EXPECT_TRUE(j["observables"]["R_mue"].is_null());  // e-mu only
  EXPECT_TRUE(j["observables"]["BR_tau_mu_Zprime"].is_number());
}

TEST(CliList, ObservablesSayForWhichOptionsTheyApply) {
  const CliResult r = runCli("list observables lfv_nsi --json");
  ASSERT_EQ(r.code, 0);
  int seen = 0;
  for (const auto& o : nlohmann::json::parse(r.out)) {
    if (o["name"] == "R_mue") {
      ++seen;
      EXPECT_EQ(o["applies_to"], "flavours=e-mu");
    }
    if (o["name"] == "g_nu") {
      ++seen;
      EXPECT_EQ(o["applies_to"], "all options");
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST(CliHelp, HelpAndVersionExitZero) {
  EXPECT_EQ(runCli("--help").code, 0);
  EXPECT_EQ(runCli("point --help").code, 0);
  EXPECT_EQ(runCli("--version").code, 0);
}

}  // namespace
}  // namespace portalscan::test
