// Scan configuration: every validation failure is one InputError line naming
// the problem; defaults are written out; the identity hash ignores what does
// not change the file's contents.

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/Config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace portalscan::scanner {
namespace {

using nlohmann::ordered_json;

ordered_json base() {
  return ordered_json::parse(R"({
    "model": "hidden_kev_fermion",
    "parameters": {
      "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 5},
      "f_L": {"range": [1e-3, 1e-1], "scale": "log", "points": 4},
      "f_R": {"equal_to": "f_L"},
      "M_N": 1e13
    },
    "output": {"path": "out.h5"}
  })");
}

/// The InputError message of parsing `j`, or "" if it parsed.
std::string errorOf(const ordered_json& j) {
  try {
    parseConfig(j, "test.json");
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
    EXPECT_EQ(m.rfind("test.json: ", 0), 0u) << m;
    return m;
  }
  return "";
}

#define EXPECT_ERROR(json, fragment)                                            \
  do {                                                                          \
    const std::string m = errorOf(json);                                        \
    EXPECT_NE(m.find(fragment), std::string::npos) << "message: '" << m << "'"; \
  } while (0)

TEST(Config, ValidConfigWithDefaults) {
  const ScanConfig c = parseConfig(base(), "test.json");
  EXPECT_EQ(c.points, 20u);
  EXPECT_EQ(c.sampler, SamplerKind::Grid);
  EXPECT_EQ(c.axes.size(), 2u);
  ASSERT_EQ(c.derived.size(), 1u);
  EXPECT_EQ(c.baseValues[*c.kernel->parameterIndex("M_N")], 1e13);
  EXPECT_EQ(c.baseValues[*c.kernel->parameterIndex("v_s")], 1000.0);  // default kept
  EXPECT_EQ(c.chain.constraints().size(), 13u);  // the default chain (docs/constraints.md)
  EXPECT_EQ(c.output.keep, Keep::All);
  // Default output observables: every observable of the blocks the chain needs (all but the
  // two tritium kinks, whose block no default constraint uses, and the four of the opt-in
  // cevns block).
  // The n_R = 3 observables do not apply to the default n_R = 1 and are not stored.
  std::size_t inClosure = 0, applying = 0;
  for (std::size_t i = 0; i < c.kernel->observables().size(); ++i) {
    if (!c.kernel->applies(i)) continue;
    ++applying;
    inClosure += (c.kernel->blockOf(i) & c.kernel->closure(c.chain.blocks())) ? 1 : 0;
  }
  EXPECT_EQ(c.output.observables.size(), inClosure);
  EXPECT_EQ(inClosure, applying - 6);
  EXPECT_EQ(c.canonical["parameters"]["v_s"], 1000.0);
  EXPECT_EQ(c.canonical["sampler"]["seed"], 1);
  EXPECT_EQ(c.canonical["output"]["chunk_points"], 4096);
}

TEST(Config, IdentityHashIgnoresPathThreadsCompression) {
  const std::string h = parseConfig(base(), "a.json").identityHash;
  ordered_json j = base();
  j["output"]["path"] = "elsewhere.h5";
  j["output"]["compression"] = 6;
  j["threads"] = 7;
  EXPECT_EQ(parseConfig(j, "b.json").identityHash, h);
  j["parameters"]["M_N"] = 2e13;
  EXPECT_NE(parseConfig(j, "b.json").identityHash, h);
  j = base();
  j["output"]["keep"] = "allowed";
  EXPECT_NE(parseConfig(j, "b.json").identityHash, h);
}

TEST(Config, RandomSamplersTakeTheirPointCount) {
  ordered_json j = base();
  j["sampler"] = {{"kind", "sobol"}, {"points", 1000}, {"seed", 3}};
  j["parameters"]["M_chi"].erase("points");
  j["parameters"]["f_L"].erase("points");
  const ScanConfig c = parseConfig(j, "test.json");
  EXPECT_EQ(c.points, 1000u);
  EXPECT_EQ(c.seed, 3u);
  EXPECT_EQ(c.sampler, SamplerKind::Sobol);
}

TEST(Config, ConstraintsDefaultVariantsAndOverrides) {
  ordered_json j = base();
  j["constraints"] = ordered_json::parse(
      R"(["default", "relic_abundance", {"name": "bbn_reheating", "variant": "paper"},
          {"name": "rho_parameter", "limit": 1e-4}])");
  const ScanConfig c = parseConfig(j, "test.json");
  // relic_abundance is in the default chain already: named twice, it is one constraint.
  ASSERT_EQ(c.chain.constraints().size(), 13u);
  int seen = 0;
  for (const auto& con : c.chain.constraints()) {
    if (con.name == "bbn_reheating") {
      ++seen;
      EXPECT_EQ(con.variant, "paper");
      EXPECT_EQ(con.limit.value, 1.0);  // CN: tau_phi < 1 s (T_r > 1 MeV)
    }
    if (con.name == "rho_parameter") {
      ++seen;
      EXPECT_EQ(con.variant, "override");
      EXPECT_EQ(con.limit.value, 1e-4);
    }
  }
  EXPECT_EQ(seen, 2);
  j["constraints"] = ordered_json::parse(R"([{"name": "relic_abundance", "variant": "match",
                                              "limit": {"mean": 0.11, "sigma": 0.01}}])");
  EXPECT_EQ(parseConfig(j, "test.json").chain.constraints()[0].limit.value, 0.11);
}

TEST(Config, OutputObservables) {
  ordered_json j = base();
  j["output"]["observables"] = {"m_chi_light", "BR_h_inv"};
  ScanConfig c = parseConfig(j, "test.json");
  EXPECT_EQ(c.output.observables.size(), 2u);
  j["output"]["observables"] = "all";
  c = parseConfig(j, "test.json");
  std::size_t applyingHidden = 0;  // without the n_R = 3 observables
  for (std::size_t i = 0; i < c.kernel->observables().size(); ++i) {
    applyingHidden += c.kernel->applies(i);
  }
  EXPECT_EQ(c.output.observables.size(), applyingHidden);
  // Only the options' observables are stored by "all" for lfv_nsi (R_mue is e-mu only).
  j = ordered_json::parse(R"({"model": "lfv_nsi", "options": {"flavours": "mu-tau"},
                              "output": {"observables": "all"}})");
  c = parseConfig(j, "test.json");
  std::size_t applying = 0;
  for (std::size_t i = 0; i < c.kernel->observables().size(); ++i) applying += c.kernel->applies(i);
  ASSERT_GT(applying, 1u);
  EXPECT_EQ(c.output.observables.size(), applying);
  EXPECT_LT(c.output.observables.size(), c.kernel->observables().size());
  for (std::size_t i : c.output.observables) EXPECT_NE(c.kernel->observables()[i].name, "R_mue");
}

TEST(Config, EveryBadInputIsOneClearLine) {
  ordered_json j;
  j = base();
  j["modle"] = 1;
  EXPECT_ERROR(j, "unknown key 'modle' (did you mean 'model'?)");
  j = base();
  j["model"] = "hidden_kev_fermon";
  EXPECT_ERROR(j, "did you mean 'hidden_kev_fermion'");
  j = base();
  j.erase("model");
  EXPECT_ERROR(j, "missing 'model'");
  j = base();
  j["parameters"]["M_chii"] = 1;
  EXPECT_ERROR(j, "did you mean 'M_chi'");
  j = base();
  j["parameters"]["M_chi"]["range"] = {1e-4, 1e-6};
  EXPECT_ERROR(j, "inverted range");
  j = base();
  j["parameters"]["M_chi"]["range"] = {1e-4, 1e-4};
  EXPECT_ERROR(j, "empty range");
  j = base();
  j["parameters"]["M_chi"]["range"] = {0, 1e-4};
  EXPECT_ERROR(j, "log range must be positive");
  j = base();
  j["parameters"]["M_chi"]["range"] = {-1, 1e-4};
  EXPECT_ERROR(j, "log range must be positive");
  j = base();
  j["parameters"]["M_chi"]["points"] = 0;
  EXPECT_ERROR(j, "zero points");
  j = base();
  j["parameters"]["M_chi"].erase("points");
  EXPECT_ERROR(j, "needs 'points'");
  j = base();
  j["parameters"]["M_chi"]["scale"] = "logarithmic";
  EXPECT_ERROR(j, "unknown value 'logarithmic'");
  j = base();
  j["parameters"]["M_chi"]["rang"] = 1;
  EXPECT_ERROR(j, "did you mean 'range'");
  j = base();
  j["parameters"]["f_R"]["equal_to"] = "f_X";
  EXPECT_ERROR(j, "unknown parameter 'f_X'");
  j = base();
  j["parameters"]["M_N"] = "big";
  EXPECT_ERROR(j, "expected a");
  j = base();
  j["sampler"] = {{"kind", "random"}};
  EXPECT_ERROR(j, "needs 'points'");
  j = base();
  j["sampler"] = {{"kind", "random"}, {"points", 0}};
  EXPECT_ERROR(j, "zero points");
  j = base();
  j["sampler"] = {{"kind", "sobl"}};
  EXPECT_ERROR(j, "did you mean 'sobol'");
  j = base();
  j["sampler"] = {{"kind", "grid"}, {"points", 10}};
  EXPECT_ERROR(j, "set per parameter");
  j = base();
  j["options"] = {{"flavours", "e-mu"}};
  EXPECT_ERROR(j, "unknown option 'flavours'");
  j = base();
  j["constraints"] = {"rho_paramter"};
  EXPECT_ERROR(j, "did you mean 'rho_parameter'");
  j = base();
  j["constraints"] = {"mu_e_conversion"};
  EXPECT_ERROR(j, "does not apply to model 'hidden_kev_fermion'");
  j = base();
  j["constraints"] = ordered_json::parse(R"([{"name": "rho_parameter", "variant": "papr"}])");
  EXPECT_ERROR(j, "did you mean 'paper'");
  j = base();
  j["constraints"] = ordered_json::parse(R"([{"name": "rho_parameter", "limit": [1, 2]}])");
  EXPECT_ERROR(j, "wrong shape");
  j = base();
  j["output"]["observables"] = {"m_chi_lite"};
  EXPECT_ERROR(j, "did you mean 'm_chi_light'");
  j = base();
  j["output"]["keep"] = "some";
  EXPECT_ERROR(j, "unknown value 'some'");
  j = base();
  j["output"]["compression"] = 12;
  EXPECT_ERROR(j, "0-9");
  j = base();
  j["threads"] = -2;
  EXPECT_ERROR(j, "non-negative integer");
  // lfv_nsi: an option value, and a constraint or observable that does not apply to the options.
  j = ordered_json::parse(R"({"model": "lfv_nsi", "options": {"flavours": "e-nu"}})");
  EXPECT_ERROR(j, "did you mean 'e-mu'");
  j = ordered_json::parse(R"({"model": "lfv_nsi", "options": {"flavours": "mu-tau"},
                              "constraints": ["mu_e_conversion"]})");
  EXPECT_ERROR(j, "flavours=e-mu");
  j = ordered_json::parse(R"({"model": "lfv_nsi", "options": {"flavours": "mu-tau"},
                              "output": {"observables": ["R_mue"]}})");
  EXPECT_ERROR(j, "does not apply to these options");
}

TEST(Config, TheAxisOrderIsPartOfTheScan) {
  // The order of the scanned parameters is the sampler's coordinate order (the grid's fastest
  // axis, the Sobol dimensions): two configs that differ only in it sample different points in
  // a different order, so they must not share an identity hash (a resume would mix them), and
  // the stored form must parse back to the same order (merge and resume re-read it).
  const ordered_json given = base();  // M_chi before f_L: not the model's order
  ordered_json swapped = given;
  swapped["parameters"] = ordered_json::object();
  for (const char* k : {"f_L", "M_chi", "f_R", "M_N"})
    swapped["parameters"][k] = given["parameters"][k];
  const ScanConfig a = parseConfig(given, "a.json");
  const ScanConfig b = parseConfig(swapped, "b.json");
  auto names = [](const ScanConfig& c) {
    std::vector<std::string> n;
    for (const Axis& x : c.axes) n.push_back(x.name);
    return n;
  };
  ASSERT_EQ(names(a), (std::vector<std::string>{"M_chi", "f_L"}));
  ASSERT_EQ(names(b), (std::vector<std::string>{"f_L", "M_chi"}));
  EXPECT_NE(a.identityHash, b.identityHash);
  for (const ScanConfig* c : {&a, &b}) {
    const ScanConfig again = parseConfig(c->canonical, "file");
    EXPECT_EQ(names(again), names(*c));
    EXPECT_EQ(again.identityHash, c->identityHash);
  }
  // A config in the model's order keeps the model's order in its stored form.
  std::vector<std::string> stored;
  for (const auto& [k, v] : b.canonical.at("parameters").items()) stored.push_back(k);
  std::vector<std::string> model;
  for (const auto& p : b.kernel->parameters()) model.push_back(p.name);
  EXPECT_EQ(stored, model);
}

}  // namespace
}  // namespace portalscan::scanner

namespace portalscan::scanner {
namespace {

TEST(Config, TheStoredFormParsesBackToTheSameScan) {
  // merge and resume rebuild the configuration from the file's `config` attribute.
  for (const char* text : {
           R"({"model": "hidden_kev_fermion",
               "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 5},
                              "f_R": {"equal_to": "f_L", "factor": -1}},
               "constraints": ["default", "relic_abundance",
                               {"name": "bbn_reheating", "variant": "paper"},
                               {"name": "rho_parameter", "limit": 1e-4}],
               "output": {"keep": "allowed", "observables": ["tau_chi_light"]}})",
           R"({"model": "lfv_nsi", "options": {"flavours": "mu-tau"},
               "parameters": {"g_psi": {"range": [0.02, 1], "scale": "log"}},
               "sampler": {"kind": "lhs", "points": 77, "seed": 9}})"}) {
    const ScanConfig first = parseConfig(ordered_json::parse(text), "a.json");
    const ScanConfig again = parseConfig(first.canonical, "file");
    EXPECT_EQ(again.identityHash, first.identityHash);
    EXPECT_EQ(again.canonical, first.canonical);
  }
}

}  // namespace
}  // namespace portalscan::scanner

namespace portalscan::scanner {
namespace {

TEST(Config, ThreeSingletScanOfTheRepository) {
  // scans/hidden_kev_fermion_three_singlets.json: n_R = 3, Casas-Ibarra, normal ordering; the
  // five f's follow f_L1, and the one-N_R names are refused with these options.
  std::ifstream in(std::string(PORTALSCAN_SOURCE_DIR) +
                   "/scans/hidden_kev_fermion_three_singlets.json");
  ASSERT_TRUE(in.good());
  ordered_json j = ordered_json::parse(in);
  ScanConfig c = parseConfig(j, "three_singlets.json");
  EXPECT_EQ(c.kernel->options().at("n_R"), "3");
  EXPECT_EQ(c.axes.size(), 2u);
  EXPECT_EQ(c.derived.size(), 5u);
  EXPECT_EQ(c.baseValues[*c.kernel->parameterIndex("M_N2")], 2e10);
  j["parameters"]["M_N"] = 1e10;
  EXPECT_NE(errorOf(j).find("M_N"), std::string::npos);
}

}  // namespace
}  // namespace portalscan::scanner
