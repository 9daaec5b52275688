// What the README and docs/user-guide.md promise, run as a user would: list
// with --option, point --block, spectrum's defaults, --log and null rows,
// run --dry-run, the shipped configs, merge --force and incomplete shards,
// failed points and their status counts, the summary's "excluded by" counts,
// config forms, the default output path and -j 0. Every expected value comes
// from the config or the docs, not from the program's output.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json cliJson(const std::string& args) {
  const CliResult r = runCli(args);
  EXPECT_EQ(r.code, 0) << args << ": " << r.err;
  return r.code == 0 ? json::parse(r.out) : json::array();
}

std::set<std::string> names(const json& list) {
  std::set<std::string> s;
  for (const auto& e : list) s.insert(e["name"].get<std::string>());
  return s;
}

// --- list ---

TEST(Promises, ListConstraintsForAModelAndItsOptions) {
  const json all = cliJson("list constraints --json");
  ASSERT_GT(all.size(), 10u);
  // For each model and options: exactly the catalogue's constraints with a use for them. A
  // use names the choices it holds for ({"flavours": ["e-mu"], "version": [...]}); an option
  // not given on the command line has its default (list models).
  const json models = cliJson("list models --json");
  auto expected = [&](const std::string& model, const std::map<std::string, std::string>& given) {
    std::map<std::string, std::string> chosen = given;
    for (const auto& m : models) {
      if (m["name"] != model) continue;
      for (const auto& o : m["options"]) chosen.emplace(o["name"], o["default"]);
    }
    std::set<std::string> s;
    for (const auto& c : all) {
      for (const auto& use : c["uses"]) {
        if (use["model"] != model) continue;
        bool holds = true;
        for (const auto& [option, choices] : use["options"].items()) {
          holds =
              holds && std::find(choices.begin(), choices.end(), chosen[option]) != choices.end();
        }
        if (holds) s.insert(c["name"].get<std::string>());
      }
    }
    return s;
  };
  const auto hidden = names(cliJson("list constraints hidden_kev_fermion --json"));
  EXPECT_EQ(hidden, expected("hidden_kev_fermion", {}));
  EXPECT_TRUE(hidden.count("bbn_reheating") && hidden.count("relic_abundance"));
  const auto eMu = names(cliJson("list constraints lfv_nsi --option flavours=e-mu --json"));
  const auto muTau = names(cliJson("list constraints lfv_nsi --option flavours=mu-tau --json"));
  EXPECT_EQ(eMu, expected("lfv_nsi", {{"flavours", "e-mu"}}));
  EXPECT_EQ(muTau, expected("lfv_nsi", {{"flavours", "mu-tau"}}));
  // The lepton-number-violating version adds its own constraints.
  const auto lnv = names(cliJson(
      "list constraints lfv_nsi --option flavours=mu-tau --option version=lepton_number_violating "
      "--json"));
  EXPECT_EQ(lnv,
            expected("lfv_nsi", {{"flavours", "mu-tau"}, {"version", "lepton_number_violating"}}));
  EXPECT_GT(lnv.size(), muTau.size());
  // mu -> e conversion tests R_mue, which exists for e-mu only (user-guide, lfv_nsi options).
  EXPECT_EQ(eMu.count("mu_e_conversion"), 1u);
  EXPECT_EQ(muTau.count("mu_e_conversion"), 0u);
  EXPECT_EQ(muTau.count("tau_to_l_zprime"), 1u);
  // The text form names the same constraints.
  const CliResult text = runCli("list constraints lfv_nsi --option flavours=mu-tau");
  ASSERT_EQ(text.code, 0) << text.err;
  for (const auto& name : muTau) EXPECT_NE(text.out.find(name + " "), std::string::npos) << name;
  EXPECT_EQ(text.out.find("mu_e_conversion"), std::string::npos);
}

TEST(Promises, ListObservablesWithAnOptionSaysWhatApplies) {
  const json eMu = cliJson("list observables lfv_nsi --option flavours=e-mu --json");
  const json muTau = cliJson("list observables lfv_nsi --option flavours=mu-tau --json");
  ASSERT_EQ(eMu.size(), muTau.size());  // the same observables, with what applies marked
  ASSERT_GT(eMu.size(), 10u);
  int checked = 0, named = 0;
  for (std::size_t i = 0; i < eMu.size(); ++i) {
    const std::string name = eMu[i]["name"];
    ASSERT_EQ(muTau[i]["name"], name);
    const std::string appliesTo = eMu[i]["applies_to"];
    // "all options", or one flavour pair: it applies exactly when that pair is chosen (the
    // other forms name other options, left at their defaults here).
    const bool always = appliesTo == "all options";
    if (!always && appliesTo.rfind("flavours=", 0) != 0) continue;
    if (appliesTo.find(',') != std::string::npos || appliesTo.find('|') != std::string::npos)
      continue;
    ++checked;
    EXPECT_EQ(eMu[i]["applies"].get<bool>(), always || appliesTo == "flavours=e-mu") << name;
    EXPECT_EQ(muTau[i]["applies"].get<bool>(), always || appliesTo == "flavours=mu-tau") << name;
    if (name == "R_mue" || name == "BR_tau_mu_Zprime") ++named;
  }
  EXPECT_EQ(named, 2);
  EXPECT_GT(checked, 10);
}

// --- point --block ---

TEST(Promises, PointBlocksRestrictTheOutput) {
  const json observables = cliJson("list observables hidden_kev_fermion --json");
  std::map<std::string, std::string> blockOf;
  std::size_t optIn = 0, notApplying = 0;  // not applying: the n_R = 3 observables
  for (const auto& o : observables) {
    blockOf[o["name"]] = o["block"];
    optIn += o["opt_in"].get<bool>() ? 1 : 0;
    notApplying += o["applies"].get<bool>() ? 0 : 1;
  }
  ASSERT_GT(optIn, 0u);
  auto computed = [](const json& point) {
    std::set<std::string> s;
    for (const auto& [name, value] : point["observables"].items()) {
      if (!value.is_null()) s.insert(name);
    }
    return s;
  };
  // By default every block that is not opt-in; `all` adds the opt-in ones.
  const json plain = cliJson("point hidden_kev_fermion --json");
  const json all = cliJson("point hidden_kev_fermion --block all --json");
  EXPECT_EQ(plain["observables"].size(), observables.size() - optIn);
  EXPECT_EQ(all["observables"].size(), observables.size());
  // Every observable is computed but those NaN by definition at the default point: T_dec_phi
  // (phi^0 never reached equilibrium, erratum E11: phi_regime 0), T_freezeout and
  // freezeout_neglected (chi frozen in, chi_regime 0: no freeze-out), and the tritium kinks
  // E_kink_light/heavy (m_chi = 25 keV is above the endpoint Q = 18.6 keV).
  const auto done = computed(all);
  EXPECT_EQ(done.size(), observables.size() - 5 - notApplying);
  for (const char* name :
       {"T_dec_phi", "T_freezeout", "freezeout_neglected", "E_kink_light", "E_kink_heavy"})
    EXPECT_FALSE(done.contains(name)) << name;
  EXPECT_EQ(all["observables"]["phi_regime"], 0);
  EXPECT_EQ(all["observables"]["chi_regime"], 0);
  for (const auto& [name, block] : blockOf) {
    const bool opt = block == "cevns";  // the opt-in block of hidden_kev_fermion
    EXPECT_EQ(plain["observables"].contains(name), !opt) << name;
  }
  // --block NAME (repeatable): that block's observables, and those of the blocks it needs.
  const json cevns = cliJson("point hidden_kev_fermion --block cevns --json");
  const json two = cliJson("point hidden_kev_fermion --block higgs --block beta_decay --json");
  std::size_t inCevns = 0;
  for (const auto& [name, block] : blockOf) {
    if (block == "cevns") {
      ++inCevns;
      EXPECT_TRUE(computed(cevns).count(name)) << name;
    }
  }
  EXPECT_EQ(inCevns, 4u);
  EXPECT_LT(cevns["observables"].size(), plain["observables"].size());
  for (const auto& [name, value] : cevns["observables"].items()) {
    EXPECT_TRUE(blockOf[name] == "cevns" || blockOf[name] == "spectrum") << name;
  }
  std::set<std::string> blocks;
  for (const auto& [name, value] : two["observables"].items()) blocks.insert(blockOf[name]);
  EXPECT_TRUE(blocks.count("higgs") && blocks.count("beta_decay"));
  EXPECT_EQ(blocks.count("cosmology"), 0u);
  // The values do not depend on which blocks were asked for.
  for (const auto& [name, value] : cevns["observables"].items()) {
    EXPECT_EQ(value, all["observables"][name]) << name;
  }
  const CliResult unknown = runCli("point hidden_kev_fermion --block nonsense");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(unknown.errLines(), 1) << unknown.err;
}

// --- spectrum ---

json spectrum(const std::string& args) { return cliJson("spectrum " + args + " --format json"); }

TEST(Promises, SpectrumDefaultRangesPointsAndLogSteps) {
  // user-guide.md's table: 0.1-18.5 keV, 0.5-46 keV, 0.01-1.05 keV, 400 rows.
  const std::map<std::string, std::pair<double, double>> ranges = {
      {"tritium_beta", {0.1e-6, 18.5e-6}},
      {"cevns_sns", {0.5e-6, 46e-6}},
      {"cevns_reactor", {0.01e-6, 1.05e-6}}};
  for (const auto& [kind, range] : ranges) {
    const json t = spectrum(kind + " --masses 7e-6,1e-4 --mixings 0.1,0.1");
    ASSERT_EQ(t["rows"].size(), 400u) << kind;
    const double first = t["rows"][0][0], last = t["rows"][399][0];
    EXPECT_NEAR(first, range.first, 1e-12 * range.first) << kind;
    EXPECT_NEAR(last, range.second, 1e-12 * range.second) << kind;
    // Equal steps.
    const double step = (range.second - range.first) / 399;
    EXPECT_NEAR(t["rows"][1][0].get<double>() - first, step, 1e-9 * step) << kind;
  }
  // --log: equal ratios, 1e-7 to 1e-5 in 5 rows is a factor sqrt(10) each.
  const json log = spectrum(
      "tritium_beta --masses 7e-6,1e-4 --mixings 0.1,0.1 --from 1e-7 --to "
      "1e-5 --points 5 --log");
  ASSERT_EQ(log["rows"].size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const double expected = 1e-7 * std::pow(10.0, 0.5 * i);
    EXPECT_NEAR(log["rows"][static_cast<std::size_t>(i)][0].get<double>(), expected,
                1e-12 * expected)
        << i;
  }
}

TEST(Promises, SpectrumRatiosAreNullWhereTheStandardModelVanishes) {
  // The SNS recoils end at T_+ = 2 E^2/(M + 2 E) of the m_mu/2 = 52.83 MeV endpoint on the
  // heavier-recoiling iodine (M = 126.904 u): 47.2 keV. Beyond it dN_dT_sm = 0 and every ratio
  // is null in JSON and nan in CSV (user-guide.md, "spectrum").
  const double e = 0.1056583755 / 2, m = 126.9044719 * 0.93149410242 - 53 * 0.51099895e-3;
  const double end = 2 * e * e / (m + 2 * e);
  EXPECT_NEAR(end, 47.2e-6, 0.1e-6);
  const json t = spectrum(
      "cevns_sns --masses 7e-6,1e-4 --mixings 0.1,0.1 --from 4e-5 --to 5e-5 "
      "--points 11");
  ASSERT_EQ(t["rows"].size(), 11u);
  int nullRows = 0;
  for (const auto& row : t["rows"]) {
    const double recoil = row[0];
    const bool beyond = recoil > end;
    EXPECT_EQ(row[1].get<double>() == 0.0, beyond) << recoil;
    for (std::size_t c = 3; c < row.size(); ++c) EXPECT_EQ(row[c].is_null(), beyond) << recoil;
    nullRows += beyond ? 1 : 0;
  }
  EXPECT_EQ(nullRows, 3);  // 48, 49 and 50 keV
  const CliResult csv = runCli(
      "spectrum cevns_sns --masses 7e-6,1e-4 --mixings 0.1,0.1 --from 4e-5 --to 5e-5 --points 11");
  ASSERT_EQ(csv.code, 0) << csv.err;
  std::istringstream lines(csv.out);
  int nanRows = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("5e-05,", 0) == 0 || line.rfind("4.9e-05,", 0) == 0 ||
        line.rfind("4.8e-05,", 0) == 0) {
      EXPECT_NE(line.find(",nan"), std::string::npos) << line;
      ++nanRows;
    }
  }
  EXPECT_EQ(nanRows, 3) << csv.out;
}

// --- run ---

const char* kSmall = R"({
  "description": "a small scan for the tests",
  "model": "hidden_kev_fermion",
  "parameters": {"M_N": {"value": 1e13}, "y_e": 1e-2,
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 6},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 7}},
  "output": {"chunk_points": 8}
})";

std::vector<std::string> listing(const fs::path& d) {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(d)) files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Promises, DryRunPrintsThePlanAndWritesNothing) {
  const auto d = freshDirectory("dry");
  writeText(d / "small.json", kSmall);
  const CliResult r = runCli("run small.json --dry-run", d.string());
  ASSERT_EQ(r.code, 0) << r.err;
  // 6 x 7 = 42 points in ceil(42/8) = 6 chunks of 8, into the default small.h5.
  EXPECT_NE(r.out.find("42, grid, in 6 chunks of 8"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("small.h5: would create it"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("constraints      rho_parameter, z_invisible_width, bbn_reheating, "
                       "bbn_neff_chi, relic_abundance, neutrino_mass_sum, double_beta_mee, "
                       "tritium_mbeta, xray_line, xray_line_heavy, decaying_dark_matter, "
                       "warm_dark_matter, higgs_invisible"),
            std::string::npos)
      << r.out;  // the default chain (docs/constraints.md)
  EXPECT_EQ(listing(d), std::vector<std::string>{"small.json"});
  // With a file there: what --resume and --force would do, and still nothing written.
  ASSERT_EQ(runCli("run small.json", d.string()).code, 0);
  const auto before = readFile(d / "small.h5");
  const CliResult resume = runCli("run small.json --dry-run --resume", d.string());
  EXPECT_NE(resume.out.find("already complete (42 points)"), std::string::npos) << resume.out;
  const CliResult force = runCli("run small.json --dry-run --force", d.string());
  EXPECT_NE(force.out.find("would overwrite it"), std::string::npos) << force.out;
  EXPECT_EQ(readFile(d / "small.h5"), before);
  EXPECT_EQ(listing(d), (std::vector<std::string>{"small.h5", "small.json"}));
}

TEST(Promises, TheShippedConfigsAreValid) {
  // Every scans/*.json: valid, with the points its sampler section implies.
  int configs = 0;
  for (const auto& e : fs::directory_iterator(PORTALSCAN_SOURCE_DIR "/scans")) {
    if (e.path().extension() != ".json") continue;
    ++configs;
    const json c = json::parse(readFile(e.path()));
    std::uint64_t points = 1;
    if (c["sampler"]["kind"] == "grid") {
      for (const auto& [name, p] : c["parameters"].items()) {
        if (p.is_object() && p.contains("range")) points *= p["points"].get<std::uint64_t>();
      }
    } else {
      points = c["sampler"]["points"];
    }
    const std::uint64_t chunk = c.contains("output") && c["output"].contains("chunk_points")
                                    ? c["output"]["chunk_points"].get<std::uint64_t>()
                                    : 4096;  // docs/config.md's default
    const auto d = freshDirectory("shipped");
    const CliResult r = runCli("run '" + e.path().string() + "' --dry-run", d.string());
    ASSERT_EQ(r.code, 0) << e.path() << ": " << r.err;
    EXPECT_NE(r.out.find("config is valid"), std::string::npos) << r.out;
    const std::string plan = std::to_string(points) + ", " +
                             c["sampler"]["kind"].get<std::string>() + ", in " +
                             std::to_string((points + chunk - 1) / chunk) + " chunks";
    EXPECT_NE(r.out.find(plan), std::string::npos) << e.path() << ": " << plan << "\n" << r.out;
    EXPECT_TRUE(listing(d).empty()) << e.path();
  }
  EXPECT_EQ(configs, 7);  // quickstart, the two papers', the two lfv_nsi planes, the X-ray
                          // plane, the three-N_R plane
}

TEST(Promises, ConfigFormsTheDefaultOutputPathAndAllCores) {
  const auto d = freshDirectory("forms");
  writeText(d / "small.json", kSmall);
  // No -o and no output.path: the config's name with .h5, in the current directory.
  const auto work = freshDirectory("forms-cwd");
  const CliResult r = runCli("run '" + (d / "small.json").string() + "' -j 0", work.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(listing(work), std::vector<std::string>{"small.h5"});
  EXPECT_FALSE(fs::exists(d / "small.h5"));
  // -j 0: every core.
  const CliResult cores = runShell("nproc");
  ASSERT_EQ(cores.code, 0);
  const std::string threads = std::to_string(std::stoi(cores.out)) + " threads";
  EXPECT_NE(r.out.find(threads), std::string::npos) << threads << "\n" << r.out;
  // {"value": x} fixes a parameter; the description is stored with the scan.
  const RawFile f((work / "small.h5").string());
  ASSERT_TRUE(f.ok());
  const auto mn = f.doubles("/parameters/M_N");
  ASSERT_EQ(mn.size(), 42u);
  for (double v : mn) EXPECT_EQ(v, 1e13);
  EXPECT_EQ(f.stringAttribute("/parameters/M_N", "scale"), "fixed");
  const json stored = json::parse(f.stringAttribute("/", "config"));
  EXPECT_EQ(stored["description"], "a small scan for the tests");
  // output.path, relative to the current directory.
  std::string withPath = kSmall;
  withPath.replace(withPath.find("\"chunk_points\": 8"), 17,
                   "\"chunk_points\": 8, \"path\": \"named.h5\"");
  writeText(d / "named.json", withPath);
  ASSERT_EQ(runCli("run '" + (d / "named.json").string() + "'", work.string()).code, 0);
  EXPECT_TRUE(fs::exists(work / "named.h5"));
}

/// Points of `kSmall` that each constraint excludes and those it allows, from a keep-all file.
std::map<std::string, std::uint64_t> excludedInFile(const RawFile& f) {
  std::map<std::string, std::uint64_t> excluded;
  for (const auto& name : f.members("/constraints")) {
    const auto pass = f.read<std::uint8_t>("/constraints/" + name + "/pass", H5T_NATIVE_UINT8);
    std::uint64_t n = 0;
    for (auto b : pass) n += b ? 0 : 1;
    excluded[name] = n;
  }
  return excluded;
}

TEST(Promises, TheSummaryCountsWhatEachConstraintExcludes) {
  const auto d = freshDirectory("summary");
  // Six constraints that leave both kinds of rows (the default chain excludes every point of
  // this grid: it overcloses, and its undiluted thermal chi fails bbn_neff_chi).
  std::string config = kSmall;
  config.replace(config.find("\"output\""), 0,
                 "\"constraints\": [\"rho_parameter\", \"z_invisible_width\", \"bbn_reheating\", "
                 "\"higgs_invisible\", \"neutrino_mass_sum\", \"tritium_mbeta\"],\n  ");
  writeText(d / "small.json", config);
  const CliResult r = runCli("run small.json", d.string());
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f((d / "small.h5").string());
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f.rows("/allowed"), 42u);  // keep all: every point is a row
  const auto excluded = excludedInFile(f);
  ASSERT_EQ(excluded.size(), 6u);  // the chain of the config
  std::uint64_t someExcluded = 0;
  for (const auto& [name, n] : excluded) {
    // "    NAME    COUNT  (P%)" under "excluded by".
    const std::regex line("\\n    " + name + " +([0-9]+)  \\(");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, line)) << name << "\n" << r.out;
    EXPECT_EQ(std::stoull(m[1]), n) << name;
    someExcluded += n;
  }
  EXPECT_GT(someExcluded, 0u);
  // Keep all (the default): /allowed is the AND of the pass bits and of status ok (a point
  // outside a formula's validity, e.g. phi_partially_thermal, is never allowed), row by
  // row, and both kinds of rows are there.
  const auto allowed = f.read<std::uint8_t>("/allowed", H5T_NATIVE_UINT8);
  const auto status = f.read<std::int8_t>("/status", H5T_NATIVE_INT8);
  ASSERT_EQ(status.size(), 42u);
  std::vector<std::uint8_t> all(42, 1);
  for (std::size_t i = 0; i < 42; ++i) all[i] = status[i] == 0 ? 1 : 0;
  for (const auto& [name, n] : excluded) {
    const auto pass = f.read<std::uint8_t>("/constraints/" + name + "/pass", H5T_NATIVE_UINT8);
    ASSERT_EQ(pass.size(), 42u);
    for (std::size_t i = 0; i < 42; ++i) all[i] &= pass[i];
  }
  std::uint64_t allowedRows = 0;
  for (std::size_t i = 0; i < 42; ++i) {
    EXPECT_EQ(allowed[i], all[i]) << i;
    allowedRows += allowed[i];
  }
  EXPECT_GT(allowedRows, 0u);
  EXPECT_LT(allowedRows, 42u);
  // info says the same.
  const json info = cliJson("info '" + (d / "small.h5").string() + "' --json");
  ASSERT_EQ(info["excluded"].size(), excluded.size());
  for (const auto& [name, n] : excluded) EXPECT_EQ(info["excluded"][name], n) << name;
}

TEST(Promises, FailedPointsAreRecordedWithTheirStatus) {
  // M_chi = -1e-5, 0, 1e-5 x v_s = 4.813, 1000 GeV at g_s = 0.07736, epsilon = 0.165: a
  // negative mass is an unphysical parameter (2 points); at v_s = 4.813 GeV the Z_s is at
  // M_3 = 0.37 GeV and couples chi to the plasma so strongly (G_Q ~ e eps/M_3^2 ~ 1e4 G_F)
  // that it has not frozen out at 0.1 MeV: the relativistic freeze-out estimate has no
  // solution, which the kernel reports as freezeout_invalid (2 points, erratum E7).
  const auto d = freshDirectory("failed");
  writeText(d / "failed.json", R"({"model": "hidden_kev_fermion",
    "parameters": {"M_chi": {"range": [-1e-5, 1e-5], "points": 3},
                   "v_s": {"range": [4.813, 1000], "points": 2},
                   "g_s": 0.07736, "epsilon": 0.165},
    "output": {"chunk_points": 4}})");
  const CliResult r = runCli("run failed.json", d.string());
  ASSERT_EQ(r.code, 0) << r.err;  // failed points are recorded, not raised
  EXPECT_NE(r.out.find("status unphysical_parameter: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status freezeout_invalid: 2"), std::string::npos) << r.out;
  const RawFile f((d / "failed.h5").string());
  ASSERT_TRUE(f.ok());
  // The codes attribute names each code (Status.hpp): {"0": "ok", "1": ...}.
  const json codes = json::parse(f.stringAttribute("/status", "codes"));
  ASSERT_EQ(codes.size(), 12u);  // every status of Status.hpp, ok to chi_partially_thermal
  const auto status = f.read<std::int8_t>("/status", H5T_NATIVE_INT8);
  const auto mChi = f.doubles("/parameters/M_chi"), vs = f.doubles("/parameters/v_s");
  ASSERT_EQ(status.size(), 6u);
  std::map<std::string, int> counts;
  auto nameOf = [&](int code) {
    const std::string key = std::to_string(code);
    return codes.contains(key) ? codes[key].get<std::string>() : std::string("?");
  };
  for (std::size_t i = 0; i < 6; ++i) {
    const std::string expected =
        mChi[i] < 0 ? "unphysical_parameter" : (vs[i] < 10.0 ? "freezeout_invalid" : "ok");
    EXPECT_EQ(nameOf(status[i]), expected) << "M_chi " << mChi[i] << ", v_s " << vs[i];
    ++counts[nameOf(status[i])];
  }
  EXPECT_EQ(counts["unphysical_parameter"], 2);
  EXPECT_EQ(counts["freezeout_invalid"], 2);
  // A failed point is never allowed.
  const auto allowed = f.read<std::uint8_t>("/allowed", H5T_NATIVE_UINT8);
  for (std::size_t i = 0; i < 6; ++i) {
    if (nameOf(status[i]) != "ok") {
      EXPECT_EQ(allowed[i], 0) << i;
    }
  }
  // info: the per-status counts, in JSON and in text.
  const json info = cliJson("info '" + (d / "failed.h5").string() + "' --json");
  EXPECT_EQ(info["status"]["ok"], 2);
  EXPECT_EQ(info["status"]["unphysical_parameter"], 2);
  EXPECT_EQ(info["status"]["freezeout_invalid"], 2);
  const CliResult text = runCli("info '" + (d / "failed.h5").string() + "'");
  EXPECT_NE(text.out.find("status freezeout_invalid: 2"), std::string::npos) << text.out;
}

TEST(Promises, AKernelFailureIsRecordedWithNaNObservables) {
  // M_N = 1e-100 GeV at the thermal-chi point (epsilon = 0.1, f = 0.01, 10 keV: the default
  // before chi freeze-in) makes the opt-in low-energy blocks integrate a NaN (the seesaw's
  // 1/M_N overflows): the shared quadrature stops at once and the point is non_finite_result
  // (docs/reliability.md, "Points that cannot stall a scan"). Its row must carry that status,
  // NaN in every stored observable, and count in info; the M_N = 1e14 row next to it is ok.
  const auto d = freshDirectory("kernel-failure");
  writeText(d / "fail.json", R"({"model": "hidden_kev_fermion",
    "parameters": {"M_N": {"range": [1e-100, 1e14], "scale": "log", "points": 2},
                   "epsilon": 0.1, "f_L": 0.01, "f_R": 0.01, "M_chi": 1e-5},
    "output": {"observables": "all"}})");
  const CliResult r = runCli("run fail.json", d.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("status non_finite_result: 1"), std::string::npos) << r.out;
  const RawFile f((d / "fail.h5").string());
  ASSERT_TRUE(f.ok());
  const json codes = json::parse(f.stringAttribute("/status", "codes"));
  const auto status = f.read<std::int8_t>("/status", H5T_NATIVE_INT8);
  const auto mN = f.doubles("/parameters/M_N");
  ASSERT_EQ(status.size(), 2u);
  const std::size_t bad = mN[0] < 1.0 ? 0 : 1, good = 1 - bad;
  EXPECT_EQ(codes[std::to_string(status[bad])], "non_finite_result");
  EXPECT_EQ(codes[std::to_string(status[good])], "ok");
  const json observables = cliJson("list observables hidden_kev_fermion --json");
  std::size_t stored = 0, finiteAtGood = 0, applying = 0;
  for (const auto& o : observables) {
    if (o["applies"].get<bool>()) ++applying;
    const std::string path = "/observables/" + o["name"].get<std::string>();
    if (!f.exists(path)) continue;
    ++stored;
    const auto v = f.doubles(path);
    EXPECT_TRUE(std::isnan(v[bad])) << path << " survived the failure: " << v[bad];
    if (std::isfinite(v[good])) ++finiteAtGood;
  }
  EXPECT_EQ(stored, applying);          // "all": every observable of every block that applies
  EXPECT_GT(finiteAtGood, stored / 2);  // the good row is a real point, not NaN by accident
  const json info = cliJson("info '" + (d / "fail.h5").string() + "' --json");
  EXPECT_EQ(info["status"]["non_finite_result"], 1);
  EXPECT_EQ(info["status"]["ok"], 1);
}

// --- merge ---

TEST(Promises, MergeForceAndIncompleteShards) {
  const auto d = freshDirectory("merge");
  writeText(d / "scan.json", gridScanConfig(512));
  for (int k : {1, 2}) {
    ASSERT_EQ(
        runCli("run scan.json --shard " + std::to_string(k) + "/2 -o s" + std::to_string(k) + ".h5",
               d.string())
            .code,
        0);
  }
  // An existing output - here another file, shard 1 - is refused in one line and left as it
  // was, then replaced with --force by the merged scan (which a --force that wrote nothing, or
  // wrote only part, would not leave).
  fs::copy_file(d / "s1.h5", d / "m.h5");
  const auto before = fs::last_write_time(d / "m.h5");
  const CliResult again = runCli("merge -o m.h5 s1.h5 s2.h5", d.string());
  EXPECT_EQ(again.code, 2);
  EXPECT_EQ(again.errLines(), 1) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;
  EXPECT_EQ(fs::last_write_time(d / "m.h5"), before);
  expectIdentical((d / "s1.h5").string(), (d / "m.h5").string());
  const CliResult forced = runCli("merge -o m.h5 s1.h5 s2.h5 --force", d.string());
  ASSERT_EQ(forced.code, 0) << forced.err;
  ASSERT_EQ(runCli("run scan.json -o single.h5", d.string()).code, 0);
  expectIdentical((d / "single.h5").string(), (d / "m.h5").string());
  // A shard interrupted after 10 of its 94 chunks: merge refuses it, and writes nothing.
  const pid_t pid = startProcess({PORTALSCAN_BINARY, "run", (d / "scan.json").string(), "--shard",
                                  "2/2", "-o", (d / "partial.h5").string()},
                                 {stopAfterChunks(10)});
  ChildGuard guard{pid};
  ASSERT_TRUE(waitUntilStopped(pid));
  kill(pid, SIGTERM);
  kill(pid, SIGCONT);
  EXPECT_EQ(waitFor(pid), 128 + SIGTERM);
  guard.pid = 0;
  const CliResult partial = runCli("merge -o m2.h5 s1.h5 partial.h5", d.string());
  EXPECT_EQ(partial.code, 2);
  EXPECT_EQ(partial.errLines(), 1) << partial.err;
  EXPECT_NE(partial.err.find("incomplete"), std::string::npos) << partial.err;
  EXPECT_FALSE(fs::exists(d / "m2.h5"));
}

}  // namespace
}  // namespace portalscan::test
