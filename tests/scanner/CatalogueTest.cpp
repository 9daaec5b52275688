// The built-in constraint catalogue: it parses, every value has a source,
// every use names an observable its model provides, the default chains are
// those of physics.md, and the derived numbers follow from their inputs.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Units.hpp"
#include "portalscan/scanner/engine/CatalogueJson.hpp"

#include "common/FloatComparisons.hpp"
#include "common/LimitFiles.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace portalscan::scanner {
namespace {

/// Whether the model has these options (and these values among its choices).
bool hasOptions(const std::string& model, const physics::Options& options) {
  const auto& specs = physics::ModelRegistry::builtin().entry(model).options;
  for (const auto& [option, value] : options) {
    const auto it = std::find_if(specs.begin(), specs.end(),
                                 [&](const physics::OptionSpec& o) { return o.name == option; });
    if (it == specs.end() ||
        std::find(it->choices.begin(), it->choices.end(), value) == it->choices.end()) {
      return false;
    }
  }
  return true;
}

std::set<std::string> defaultChain(const std::string& model, const physics::Options& options = {}) {
  const auto m = physics::ModelRegistry::builtin().create(model, options);
  std::set<std::string> names;
  for (const auto& r : constraints::Chain::defaultRequests(builtinCatalogue(), *m))
    names.insert(r.name);
  return names;
}

const constraints::Limit& variant(const std::string& name, const std::string& v,
                                  const std::string& model = "hidden_kev_fermion",
                                  const physics::Options& options = {}) {
  const auto* e = builtinCatalogue().find(name);
  EXPECT_NE(e, nullptr) << name;
  const auto m = physics::ModelRegistry::builtin().create(model, options);
  const auto* use = e->useFor(model, m->options());
  EXPECT_NE(use, nullptr) << name;
  return *e->limitFor(*use, v);
}

TEST(Catalogue, EveryUseNamesAnObservableItsModelProvides) {
  for (const auto& e : builtinCatalogue().entries()) {
    ASSERT_FALSE(e.uses.empty()) << e.name;
    for (const auto& u : e.uses) {
      physics::Options options;
      for (const auto& [option, values] : u.options) options[option] = values.front();
      if (!hasOptions(u.model, options)) {
        // Only the oscillations constraint waits for an option (hidden_kev_fermion's n_R,
        // with the three-N_R observables); ThreeRightHandedNeutrinos tests it once it exists.
        EXPECT_EQ(e.name, "oscillations");
        continue;
      }
      const auto model = physics::ModelRegistry::builtin().create(u.model, options);
      const auto index = model->observableIndex(u.observable);
      ASSERT_TRUE(index) << e.name << ": " << u.observable;
      EXPECT_TRUE(model->applies(*index)) << e.name << ": " << u.observable;
      for (const auto& v : e.variantNames()) {
        const auto* l = e.limitFor(u, v);
        if (!l) continue;
        EXPECT_FALSE(l->experiment.empty() && l->reference.empty()) << e.name << " " << v;
      }
      EXPECT_NE(e.limitFor(u, e.defaultVariant), nullptr) << e.name;
    }
  }
}

TEST(Catalogue, DefaultChainsOfThePhysicsContract) {
  // physics.md: the six families as they apply, plus the further constraints that apply;
  // chi_lifetime (replaced by decaying_dark_matter) and phi_to_chichi (by bbn_neff_chi,
  // erratum E4) are opt-in.
  EXPECT_EQ(
      defaultChain("hidden_kev_fermion"),
      (std::set<std::string>{"rho_parameter", "z_invisible_width", "bbn_reheating", "bbn_neff_chi",
                             "relic_abundance", "higgs_invisible", "neutrino_mass_sum",
                             "double_beta_mee", "tritium_mbeta", "xray_line", "xray_line_heavy",
                             "decaying_dark_matter", "warm_dark_matter"}));
  const std::set<std::string> lfvCommon = {
      "higgs_invisible",   "bbn_zprime_mass",    "sterile_mass",      "pmns_unitarity",
      "meson_decays_g_nu", "pi0_gamma_zprime",   "na64_invisible",    "babar_invisible",
      "muon_g2",           "nonunitarity_alpha", "nonunitarity_beta", "coherent_cevns"};
  auto with = [&](std::initializer_list<const char*> more) {
    auto s = lfvCommon;
    for (auto m : more) s.insert(m);
    return s;
  };
  EXPECT_EQ(defaultChain("lfv_nsi"), with({"mu_e_conversion", "mu_to_e_x"}));
  EXPECT_EQ(defaultChain("lfv_nsi", {{"flavours", "e-tau"}}), with({"tau_to_l_zprime"}));
  EXPECT_EQ(defaultChain("lfv_nsi", {{"flavours", "mu-tau"}}), with({"tau_to_l_zprime"}));
}

TEST(Catalogue, VersionDecidesWhichLeptonNumberViolatingConstraintsApply) {
  const physics::Options lnv = {{"version", "lepton_number_violating"}};
  EXPECT_TRUE(defaultChain("lfv_nsi", lnv).contains("lnv_b_to_pi_mu_mu"));
  EXPECT_FALSE(defaultChain("lfv_nsi").contains("lnv_b_to_pi_mu_mu"));
  EXPECT_FALSE(
      defaultChain("lfv_nsi", {{"version", "lepton_number_violating"}, {"flavours", "e-tau"}})
          .contains("lnv_b_to_pi_mu_mu"));  // no nu_mu in the pair
}

TEST(Catalogue, DerivedNumbersFollowFromTheirInputs) {
  // rho_0 - 1 = 0.00031 +- 0.00019, one-sided 95%: 0.00031 + 1.645 x 0.00019.
  EXPECT_REL(variant("rho_parameter", "current").value, 0.00031 + 1.645 * 0.00019, 1e-2);
  // N_nu = 2.9963 +- 0.0074 (arXiv:1912.02067): allowance (N_95 - 3) x 167.2 MeV.
  EXPECT_REL(variant("z_invisible_width", "current").value,
             (2.9963 + 1.645 * 0.0074 - 3.0) * constants::Gamma_Z_nunu, 5e-3);
  EXPECT_REL(variant("chi_lifetime", "current").value, constants::ageOfUniverseInSeconds, 1e-4);
  // T_RH > 4.7 MeV (resp. 5.96 MeV) with Gamma = 3 H(T_RH), g_* = 10.75: tau = hbar/(3 H).
  for (auto [name, t] : {std::pair{"current", 4.7e-3}, std::pair{"bbn_2025", 5.96e-3}}) {
    const double tau = units::hbarInGeVSeconds / (3.0 * physics::cosmology::hubbleRate(t, 10.75));
    EXPECT_REL(variant("bbn_reheating", name).value, tau, 2e-2) << name;
  }
  EXPECT_REL(variant("relic_abundance", "overclosure").value,
             constants::OmegaCh2 + 2 * constants::OmegaCh2_sigma, 1e-12);
  EXPECT_EQ(variant("relic_abundance", "match").kind, constraints::Kind::Gaussian);
  EXPECT_EQ(variant("higgs_invisible", "paper", "lfv_nsi").value, 0.2);  // YF's own number
  EXPECT_EQ(variant("higgs_invisible", "paper").value, 0.24);            // CN's
  EXPECT_EQ(variant("tau_to_l_zprime", "current", "lfv_nsi", {{"flavours", "e-tau"}}).value,
            6.4e-4);
  EXPECT_EQ(variant("tau_to_l_zprime", "current", "lfv_nsi", {{"flavours", "mu-tau"}}).value,
            3.5e-4);
}

TEST(Catalogue, EveryLimitFileIsBuiltInWithItsSourceAndLicence) {
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" / "limits";
  std::set<std::string> onDisk;
  for (const auto& f : fs::directory_iterator(folder)) {
    if (f.path().extension() == ".dat") onDisk.insert(f.path().filename().string());
  }
  std::set<std::string> builtIn;
  for (const auto& [name, table] : builtinLimitTables()) builtIn.insert(name);
  EXPECT_EQ(onDisk, builtIn);
  // A file copied from a repository carries that repository's licence beside it.
  const std::regex repository(R"(from ([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)[ ,])");
  for (const auto& [name, table] : builtinLimitTables()) {
    EXPECT_FALSE(table->experiment.empty()) << name;
    EXPECT_FALSE(table->arxiv.empty() && table->reference.empty()) << name;
    EXPECT_FALSE(table->licence.empty()) << name;
    std::smatch m;
    const bool copied = table->digitised.find("copied") != std::string::npos;
    const bool named = std::regex_search(table->digitised, m, repository);
    EXPECT_TRUE(!copied || named) << name << ": copied from where?";
    if (named) {
      EXPECT_TRUE(fs::exists(folder / "LICENSES" / (m[1].str() + "_" + m[2].str() + ".txt")))
          << name << " comes from " << m[1] << "/" << m[2];
    }
  }
}

TEST(Catalogue, CurvesKeepThePublishedNumbersInNativeUnits) {
  // Every row of each built-in file, read here with a plain parser, is a node of its table
  // (x in GeV): the bound at a node is the published number.
  namespace fs = std::filesystem;
  const fs::path folder = fs::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" / "limits";
  for (const auto& [name, table] : builtinLimitTables()) {
    if (table->shape != constraints::TableShape::Curve) continue;
    std::ifstream in(folder / name);
    std::string line;
    double toGeV = 1.0;
    std::size_t rows = 0;
    while (std::getline(in, line)) {
      if (line.rfind("# x:", 0) == 0) {
        const bool mev = line.ends_with(" MeV"), kev = line.ends_with(" keV");
        toGeV = mev ? 1e-3 : kev ? 1e-6 : 1.0;
        ASSERT_TRUE(mev || kev || line.ends_with(" GeV")) << name << ": " << line;
      }
      if (line.empty() || line[0] == '#') continue;
      std::istringstream row(line);
      double x = 0.0, y = 0.0;
      row >> x >> y;
      EXPECT_DOUBLE_EQ(table->bound(x * toGeV), y) << name << " at " << x;
      ++rows;
    }
    EXPECT_EQ(rows, table->xs.size()) << name;
  }
  EXPECT_EQ(variant("mu_to_e_x", "current", "lfv_nsi").kind, constraints::Kind::Curve);
  EXPECT_EQ(variant("mu_to_e_x", "current", "lfv_nsi").table->name, "twist2015_mu_e_X.dat");
  EXPECT_EQ(variant("pi0_gamma_zprime", "current", "lfv_nsi").table->name,
            "na62_2019_pi0_gamma_Aprime_eps.dat");
  EXPECT_EQ(variant("mu_to_e_x", "twist_flat", "lfv_nsi").value, 5.8e-5);
}

// One constraint of the built-in catalogue, judged on a hand-made observable vector.
struct OneConstraint {
  std::unique_ptr<physics::Model> model =
      physics::ModelRegistry::builtin().create("hidden_kev_fermion", {});
  constraints::Chain chain;
  std::vector<double> parameters = model->defaultParameterValues();
  std::vector<double> observables;
  explicit OneConstraint(const std::string& name, const std::string& v = "current")
      : chain(builtinCatalogue(), *model, {{name, v, {}, {}}}),
        observables(model->observables().size(), 1.0) {}
  double& operator[](const std::string& observable) {
    return observables[*model->observableIndex(observable)];
  }
  constraints::Constraint::Verdict verdict() const {
    return chain.constraints().at(0).judge(parameters, observables);
  }
};

TEST(Catalogue, XrayLineExcludesAboveTheStrongestSearchAtEachMass) {
  // The envelope is the smallest of the three published curves where they
  // overlap: recomputed here from the three files at masses inside each.
  const auto m31 = test::limitFileRows("xray_chandra_m31.dat");
  const auto xmm = test::limitFileRows("xray_xmm_mw_halo.dat");
  const auto nustar = test::limitFileRows("xray_nustar_bulge.dat");
  const auto envelope = test::limitFileRows("xray_envelope.dat");
  ASSERT_EQ(m31.size(), 111u);
  ASSERT_EQ(nustar.size(), 122u);
  ASSERT_EQ(xmm.size(), 1019u);  // 1100 rows, 81 masked instrumental-line rows dropped
  int checked = 0;
  for (double keV : {2.0, 4.0, 5.5, 8.0, 11.0, 14.5, 20.0, 35.0}) {
    double expected = std::numeric_limits<double>::infinity();
    for (const auto* curve : {&m31, &xmm, &nustar}) {
      const double y = test::logLogAt(*curve, keV);
      if (std::isfinite(y)) expected = std::min(expected, y);
    }
    // The envelope has rows where two curves cross, so its interpolation is
    // the strongest curve at every mass (to the 6 digits the file keeps).
    const double onEnvelope = test::logLogAt(envelope, keV);
    EXPECT_NEAR(onEnvelope / expected, 1.0, 1e-5) << keV;
    OneConstraint c("xray_line");
    c["m_chi_light"] = keV * 1e-6;
    c["sin2_2theta_xray_light"] = 0.9 * expected;
    EXPECT_TRUE(c.verdict().pass) << keV;
    EXPECT_TRUE(c.verdict().tested) << keV;
    c["sin2_2theta_xray_light"] = 1.1 * onEnvelope;
    EXPECT_FALSE(c.verdict().pass) << keV;
    ++checked;
  }
  EXPECT_EQ(checked, 8);
  // Outside 1.376-50.03 keV no search applies: not tested, passed.
  OneConstraint outside("xray_line");
  outside["m_chi_light"] = 100e-6;
  outside["sin2_2theta_xray_light"] = 1.0;
  EXPECT_FALSE(outside.verdict().tested);
  EXPECT_TRUE(outside.verdict().pass);
}

TEST(Catalogue, NeutrinoMassDecayAndWarmDarkMatterBoundsAtTheirPublishedValues) {
  const double eV = 1e-9;
  struct Case {
    const char* name;
    const char* observable;
    double limit;  // GeV, from the cited abstracts
    bool upper;
  };
  // 6.3e-3 per Gyr (arXiv:1606.02073) in GeV: times hbar, over a Julian Gyr.
  const double perGyr = units::hbarInGeVSeconds / (1e9 * 365.25 * 86400.0);
  const Case cases[] = {{"neutrino_mass_sum", "sum_m_nu", 0.12 * eV, true},
                        {"double_beta_mee", "m_ee", 0.156 * eV, true},
                        {"tritium_mbeta", "m_beta", 0.45 * eV, true},
                        {"decaying_dark_matter", "dm_decay_rate", 6.3e-3 * perGyr, true},
                        {"warm_dark_matter", "m_wdm_equivalent", 6.5e-6, false}};
  int checked = 0;
  for (const auto& k : cases) {
    OneConstraint c(k.name);
    c[k.observable] = k.limit * (k.upper ? 0.99 : 1.01);
    EXPECT_TRUE(c.verdict().pass) << k.name;
    c[k.observable] = k.limit * (k.upper ? 1.01 : 0.99);
    EXPECT_FALSE(c.verdict().pass) << k.name;
    ++checked;
  }
  EXPECT_EQ(checked, 5);
  OneConstraint wdm("warm_dark_matter");
  wdm["m_wdm_equivalent"] = std::numeric_limits<double>::infinity();  // chi below half the DM
  EXPECT_TRUE(wdm.verdict().pass);
}

TEST(Catalogue, MalformedEntriesAreRejected) {
  EXPECT_THROW(parseCatalogue(R"({"constraints": [], "extra": 1})"), std::logic_error);
  const char* noSource = R"({"constraints": [{"name": "x", "family": "f", "description": "d",
    "kind": "upper", "variants": {"current": {"value": 1}}, "uses": []}]})";
  EXPECT_THROW(parseCatalogue(noSource), std::logic_error);
  const char* badKind = R"({"constraints": [{"name": "x", "family": "f", "description": "d",
    "kind": "sideways", "variants": {}, "uses": []}]})";
  EXPECT_THROW(parseCatalogue(badKind), std::logic_error);
}

TEST(Catalogue, OscillationsIsNuFit41ByOrdering) {
  // Both variants sum the six NuFIT 4.1 profiles, the tables picked by the sign of dm2_3l;
  // "current" cuts the total at 95% CL, "each_3sigma" each quantity at 3 sigma.
  const auto* e = builtinCatalogue().find("oscillations");
  ASSERT_NE(e, nullptr);
  ASSERT_EQ(e->uses.size(), 1u);
  EXPECT_EQ(e->uses[0].model, "hidden_kev_fermion");
  EXPECT_EQ(e->uses[0].options.at("n_R"), std::vector<std::string>{"3"});
  EXPECT_EQ(e->uses[0].observable, "dm2_3l");
  const std::vector<std::string> quantities = {"sin2_theta12", "sin2_theta13", "sin2_theta23",
                                               "delta_CP",     "dm2_21",       "dm2_3l"};
  for (const char* v : {"current", "each_3sigma"}) {
    const auto* l = e->limitFor(e->uses[0], v);
    ASSERT_NE(l, nullptr) << v;
    EXPECT_EQ(l->kind, constraints::Kind::Profile);
    EXPECT_EQ(l->branch, "dm2_3l");
    EXPECT_EQ(l->arxiv, "1811.05487");
    ASSERT_EQ(l->profiles.size(), quantities.size());
    for (std::size_t i = 0; i < quantities.size(); ++i) {
      EXPECT_EQ(l->profiles[i].quantity, quantities[i]);
      EXPECT_EQ(l->profiles[i].table->name, "nufit41_NO_" + quantities[i] + ".dat");
      EXPECT_EQ(l->profiles[i].negative->name, "nufit41_IO_" + quantities[i] + ".dat");
      EXPECT_EQ(l->profiles[i].table->minimum, 0.0);
      // The files' IO minimum: 10.45013, the Delta chi^2 of IO with SK atmospheric data.
      EXPECT_EQ(l->profiles[i].negative->minimum, 10.45013) << quantities[i];
    }
  }
  EXPECT_EQ(e->limitFor(e->uses[0], "current")->profileCut, constraints::ProfileCut::Total);
  EXPECT_EQ(e->limitFor(e->uses[0], "current")->cl, 0.95);
  EXPECT_EQ(e->limitFor(e->uses[0], "each_3sigma")->profileCut, constraints::ProfileCut::Each);
  // P(|Z| < 3) = erf(3 / sqrt 2).
  EXPECT_DOUBLE_EQ(e->limitFor(e->uses[0], "each_3sigma")->cl, std::erf(3.0 / std::sqrt(2.0)));
}

TEST(Catalogue, MalformedProfileEntriesAreRejected) {
  auto entry = [](const std::string& variant) {
    return R"({"constraints": [{"name": "x", "family": "f", "description": "d", "kind": "profile",
      "variants": {"current": )" +
           variant + R"(}, "uses": [{"model": "hidden_kev_fermion", "observable": "dm2_3l"}]}]})";
  };
  auto parse = [](const std::string& text) { return parseCatalogue(text, builtinLimitTables()); };
  const std::string two = R"("profiles": [{"quantity": "dm2_21", "file": "nufit41_NO_dm2_21.dat",
      "file_negative": "nufit41_IO_dm2_21.dat"}])";
  EXPECT_NO_THROW(parse(entry("{\"branch\": \"dm2_3l\", " + two + "}")));
  EXPECT_THROW(parse(entry("{\"branch\": \"dm2_3l\"}")), std::logic_error);  // no tables
  EXPECT_THROW(parse(entry("{" + two + "}")), std::logic_error);             // negative, no branch
  EXPECT_THROW(parse(entry("{\"branch\": \"dm2_3l\", \"cut\": \"some\", " + two + "}")),
               std::logic_error);
  EXPECT_THROW(parse(entry(R"({"profiles": [{"quantity": "q", "file": "none.dat"}]})")),
               std::logic_error);
  EXPECT_THROW(parse(entry(R"({"profiles": [{"quantity": "q",
      "file": "xray_envelope.dat"}]})")),
               std::logic_error);  // a curve, not a profile
  EXPECT_THROW(parse(entry(R"({"profiles": [{"file": "nufit41_NO_dm2_21.dat"}]})")),
               std::logic_error);  // no quantity
  // Profile keys on another kind.
  EXPECT_THROW(parse(R"({"constraints": [{"name": "x", "family": "f", "description": "d",
    "kind": "upper", "variants": {"current": {"value": 1, "experiment": "e", "cut": "total"}},
    "uses": []}]})"),
               std::logic_error);
}

TEST(Catalogue, OscillationsOnTheThreeRightHandedNeutrinoModel) {
  // The Casas-Ibarra point at its defaults (NuFIT 4.1 best-fit inputs) reproduces the fit:
  // its Delta chi^2 is that of the tables at the kernel's values (interpolated here from the
  // files' rows), small, and it passes; dm2_21 moved 5 sigma up fails.
  const physics::Options ci = {{"n_R", "3"}, {"yukawa", "casas_ibarra"}};
  if (!hasOptions("hidden_kev_fermion", ci)) {
    GTEST_SKIP() << "hidden_kev_fermion has no option n_R=3 with yukawa=casas_ibarra yet (the "
                    "three-N_R model); the oscillations constraint is tested on a stand-in "
                    "model in constraints_tests";
  }
  EXPECT_TRUE(defaultChain("hidden_kev_fermion", ci).contains("oscillations"));
  EXPECT_FALSE(defaultChain("hidden_kev_fermion").contains("oscillations"));
  for (const char* ordering : {"normal", "inverted"}) {
    physics::Options options = ci;
    if (hasOptions("hidden_kev_fermion", {{"ordering", ordering}})) {
      options["ordering"] = ordering;
    } else if (std::string(ordering) == "inverted") {
      continue;
    }
    const auto model = physics::ModelRegistry::builtin().create("hidden_kev_fermion", options);
    const constraints::Chain chain(builtinCatalogue(), *model, {{"oscillations", {}, {}, {}}});
    const auto& c = chain.constraints().at(0);
    const std::vector<double> p = model->defaultParameterValues();
    std::vector<double> out(model->observables().size());
    ASSERT_EQ(model->evaluate(p, chain.blocks(), out), PointStatus::Ok) << ordering;
    auto obs = [&](const std::string& name) -> double& {
      return out[*model->observableIndex(name)];
    };
    const bool inverted = obs("dm2_3l") < 0.0;
    EXPECT_EQ(inverted, std::string(ordering) == "inverted");
    // The tables at the point, each in its file's column (sin^2 as is, delta_CP in degrees,
    // log10(dm2_21 / eV^2), dm2_3l in 1e-3 eV^2).
    const std::string tag = inverted ? "IO" : "NO";
    const double offset = inverted ? 10.45013 : 0.0;
    auto term = [&](const std::string& q, double column) {
      const auto rows = test::limitFileRows("nufit41_" + tag + "_" + q + ".dat");
      for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
        const auto [x0, y0] = rows[i];
        const auto [x1, y1] = rows[i + 1];
        if (x0 <= column && column <= x1)
          return y0 + (column - x0) / (x1 - x0) * (y1 - y0) - offset;
      }
      return std::numeric_limits<double>::quiet_NaN();
    };
    const double degrees = obs("delta_CP") * 180.0 / std::numbers::pi;
    const double expected =
        offset + term("sin2_theta12", obs("sin2_theta12")) +
        term("sin2_theta13", obs("sin2_theta13")) + term("sin2_theta23", obs("sin2_theta23")) +
        term("delta_CP", degrees > 180.0 ? degrees - 360.0 : degrees) +
        term("dm2_21", std::log10(obs("dm2_21") * 1e18)) + term("dm2_3l", obs("dm2_3l") * 1e21);
    const auto v = c.judge(p, out);
    EXPECT_NEAR(v.chi2, expected, 1e-6) << ordering;
    EXPECT_LT(v.chi2 - offset, 1.0) << ordering;  // the inputs are the fit's best values
    EXPECT_TRUE(v.pass) << ordering;              // IO: 10.45 + a little < 12.59
    // dm2_21 where its profile is 25 above the minimum (5 sigma), from the rows.
    const auto rows = test::limitFileRows("nufit41_" + tag + "_dm2_21.dat");
    std::size_t m = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (rows[i].second < rows[m].second) m = i;
    }
    std::size_t j = m;
    while (rows[j].second < rows[m].second + 25.0) ++j;
    const double column = rows[j - 1].first + (rows[m].second + 25.0 - rows[j - 1].second) /
                                                  (rows[j].second - rows[j - 1].second) *
                                                  (rows[j].first - rows[j - 1].first);
    obs("dm2_21") = std::pow(10.0, column) * 1e-18;
    EXPECT_FALSE(c.judge(p, out).pass) << ordering;
    EXPECT_GT(c.judge(p, out).chi2, offset + 25.0 - 1e-9) << ordering;
  }
}

TEST(Catalogue, TheDefaultHiddenPointPassesEveryDefaultConstraint) {
  // `portalscan point hidden_kev_fermion`: a frozen-in keV chi that is most of the dark matter
  // (docs/physics/hidden_kev_fermion.md, "Is anything allowed?"). Every default constraint is
  // judged here from catalogue.json's numbers and the limit files, not through the Chain.
  const auto model = physics::ModelRegistry::builtin().create("hidden_kev_fermion", {});
  const std::vector<double> p = model->defaultParameterValues();
  std::vector<double> out(model->observables().size());
  ASSERT_EQ(model->evaluate(p, model->defaultBlocks(), out), PointStatus::Ok);
  auto obs = [&](const std::string& name) { return out[*model->observableIndex(name)]; };
  std::ifstream in(std::filesystem::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" /
                   "catalogue.json");
  const nlohmann::json catalogue = nlohmann::json::parse(in);
  int tested = 0;
  for (const auto& e : catalogue["constraints"]) {
    if (e.value("opt_in", false)) continue;
    for (const auto& u : e["uses"]) {
      if (u["model"] != "hidden_kev_fermion") continue;
      // Uses limited to other option values (oscillations: n_R = 3) are not in this chain.
      bool applies = true;
      const nlohmann::json useOptions = u.value("options", nlohmann::json::object());
      for (const auto& [option, values] : useOptions.items()) {
        const auto it = model->options().find(option);
        applies = applies && it != model->options().end() &&
                  std::find(values.begin(), values.end(), it->second) != values.end();
      }
      if (!applies) continue;
      const std::string name = e["name"];
      const auto& v = e["variants"][e["default_variant"].get<std::string>()];
      const std::string kind = v.value("kind", e["kind"].get<std::string>());
      const double x = obs(u["observable"]);
      if (kind == "upper") {
        EXPECT_LT(x, v["value"].get<double>()) << name;
      } else if (kind == "lower") {
        EXPECT_GT(x, v["value"].get<double>()) << name;
      } else if (kind == "curve") {
        // The X-ray files give the mass in keV ("# x: m_s keV").
        const std::string file = v["file"];
        std::ifstream header(std::filesystem::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" /
                             "limits" / file);
        std::string line, xLine;
        while (std::getline(header, line))
          if (line.rfind("# x:", 0) == 0) xLine = line;
        ASSERT_NE(xLine.find("keV"), std::string::npos) << file;
        const double limit =
            test::logLogAt(test::limitFileRows(file), obs(v["x"].get<std::string>()) * 1e6);
        ASSERT_TRUE(std::isfinite(limit)) << name;
        EXPECT_LT(x, limit) << name;
      } else {
        ADD_FAILURE() << name << ": kind " << kind << " not judged here";
      }
      ++tested;
    }
  }
  EXPECT_EQ(tested, 13);  // the default chain of DefaultChainsOfThePhysicsContract
  EXPECT_EQ(obs("chi_regime"), 0.0);
  EXPECT_GT(obs("Omega_chi_over_DM"), 0.8);  // chi is most of the dark matter
  EXPECT_LT(obs("Omega_chi_over_DM"), 1.0);
}

}  // namespace
}  // namespace portalscan::scanner
