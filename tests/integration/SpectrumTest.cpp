// `portalscan spectrum`: the curves of CN Figs. 2 and 4 as a user gets them.

#include "integration/CliRunner.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <numbers>
#include <sstream>
#include <vector>

namespace portalscan::test {
namespace {

constexpr double keV = 1e-6;                 // GeV
constexpr double kQTritium = 18.5906 * keV;  // docs/physics/hidden_kev_fermion.md, Eqs. 16-18

struct Csv {
  std::vector<std::string> comments;
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream s(line);
  std::string cell;
  while (std::getline(s, cell, ',')) cells.push_back(cell);
  return cells;
}

Csv parseCsv(const std::string& text) {
  Csv csv;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line)) {
    if (line.rfind("#", 0) == 0) {
      csv.comments.push_back(line);
    } else if (csv.header.empty()) {
      csv.header = split(line);
    } else {
      std::vector<double> row;
      for (const auto& cell : split(line)) row.push_back(std::stod(cell));
      csv.rows.push_back(row);
    }
  }
  return csv;
}

TEST(CliSpectrum, TritiumCsvFollowsEq16) {
  // 7 and 5 keV with |U| = 0.4 (CN Fig. 2), five rows across the spectrum.
  const CliResult r = runCli(
      "spectrum tritium_beta --masses 7e-6,5e-6 --mixings 0.4,0.4 --from 1e-6 --to 1.8e-5 "
      "--points 5");
  ASSERT_EQ(r.code, 0) << r.err;
  const Csv csv = parseCsv(r.out);
  const std::vector<std::string> expected = {"E_kin [GeV]", "dR_dE_sm [1/GeV]", "dR_dE [1/GeV]",
                                             "ratio", "deviation"};
  EXPECT_EQ(csv.header, expected);
  EXPECT_GE(csv.comments.size(), expected.size());  // one line per column, with its unit
  ASSERT_EQ(csv.rows.size(), 5u);
  for (const auto& row : csv.rows) {
    // CN Eq. 16 over the massless reference: each chi branch weighs |U|^2
    // sqrt(1 - M^2/eps^2) while open (eps = Q - E_kin), nothing once closed;
    // the massless active state carries 1 - 2|U|^2.
    const double eps = kQTritium - row[0];
    double ratio = 1.0 - 2 * 0.16;
    for (double m : {7 * keV, 5 * keV}) {
      if (m < eps) ratio += 0.16 * std::sqrt(1 - m * m / (eps * eps));
    }
    EXPECT_NEAR(row[csv.column("ratio")], ratio, 1e-12) << row[0];
    EXPECT_NEAR(row[csv.column("deviation")], 1 - ratio, 1e-12) << row[0];
    EXPECT_NEAR(row[csv.column("dR_dE [1/GeV]")] / row[csv.column("dR_dE_sm [1/GeV]")], ratio,
                1e-10);  // the rates are printed to 12 digits
  }
  // The kinks of Eqs. 17-18 at Q - 7 keV = 11.59 keV and Q - 5 keV = 13.59 keV:
  // beyond both only the active state is left.
  EXPECT_NEAR(csv.rows[4][csv.column("ratio")], 0.68, 1e-15);
}

TEST(CliSpectrum, ZeroMixingIsTheStandardModel) {
  for (const char* kind : {"tritium_beta", "cevns_sns", "cevns_reactor"}) {
    const CliResult r =
        runCli(std::string("spectrum ") + kind + " --masses 7e-6,1e-4 --mixings 0,0 --points 7");
    ASSERT_EQ(r.code, 0) << r.err;
    const Csv csv = parseCsv(r.out);
    ASSERT_EQ(csv.rows.size(), 7u);
    for (const auto& row : csv.rows) {
      EXPECT_EQ(row[1], row[2]) << kind;  // the SM reference and the curve
      EXPECT_EQ(row[csv.column("deviation")], 0.0) << kind;
    }
  }
}

// The SNS rates of CN Eq. 27, computed here without the program: the COHERENT
// 2017 exposure of CN Sec. IV.C (n_CsI = N_A x 14.6 kg/259.8 g/mol CsI units,
// phi_0 = 0.08 x 1.76e23/(4 pi (19.3 m)^2) per flavour), the decay-at-rest
// spectra (CN Eq. 29 with E_mu = m_mu), the cross section of CN Eq. 25 with
// Q_W = N - Z (1 - 4 x 0.23857), Helm's form factor with Lewin & Smith's
// parameters, nuclear masses from AME 2020 (Cs-133 132.905451961 u, I-127
// 126.904472 u, less the electrons), and Simpson's rule.
struct Target {
  int z, n;
  double atomicMassU;
  double mass() const { return atomicMassU * 0.93149410242 - z * 0.51099895e-3; }
  double weakCharge() const { return n - z * (1 - 4 * 0.23857); }
  double helm(double t) const {
    const double c = 1.23 * std::cbrt(static_cast<double>(z + n)) - 0.60;  // fm
    const double rn =
        std::sqrt(c * c + 7.0 / 3.0 * std::numbers::pi * std::numbers::pi * 0.52 * 0.52 - 5 * 0.81);
    const double q = std::sqrt(2 * mass() * t + t * t) / 0.1973269804;  // 1/fm
    const double x = q * rn;
    return 3 * (std::sin(x) - x * std::cos(x)) / (x * x * x) * std::exp(-0.5 * q * q * 0.81);
  }
  /// G_F^2 M Q_W^2 F^2/(4 pi): Eq. 25 is this times a bracket.
  double scale(double t) const {
    const double gf = 1.1663788e-5, f = helm(t), qw = weakCharge();
    return gf * gf * mass() * qw * qw * f * f / (4 * std::numbers::pi);
  }
};
const Target kTargets[] = {{55, 78, 132.905451961}, {53, 74, 126.904472}};
constexpr double kMPi = 0.13957039, kMMu = 0.1056583755;

double simpsonRule(const std::function<double(double)>& f, double a, double b, int n) {
  const double h = (b - a) / n;
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += f(a + i * h) * (i % 2 ? 4.0 : 2.0);
  return sum * h / 3;
}

/// For recoil T on the SNS fluxes: the SM dN/dT (events per GeV for the exposure) and, for
/// a final-state mass m, the loss 1 - r(m) to first order in m^2: Eq. 25's mass term is
/// -scale (m^2/4E^2)(1 + 2E/M - T/M) where the massless rate is scale x bracket (the
/// kinematic slivers the mass moves are O(m^4)).
std::pair<double, double> snsRate(double t, double m) {
  const double line = (kMPi * kMPi - kMMu * kMMu) / (2 * kMPi);
  auto nuE = [](double e) { return 192 / kMMu * std::pow(e / kMMu, 2) * (0.5 - e / kMMu); };
  auto nuMuBar = [](double e) { return 64 / kMMu * std::pow(e / kMMu, 2) * (0.75 - e / kMMu); };
  double sm = 0.0, lost = 0.0;
  for (const Target& n : kTargets) {
    const double big = n.mass();
    auto bracket = [&](double e) {
      return std::max(0.0, 1 - big * t / (2 * e * e) - t / e + t * t / (2 * e * e));
    };
    auto massTerm = [&](double e) {
      return bracket(e) > 0 ? m * m / (4 * e * e) * (1 + 2 * e / big - t / big) : 0.0;
    };
    const double low = (t + std::sqrt(t * t + 2 * big * t)) / 2;  // Eq. 28 at m = 0
    double b = bracket(line), d = massTerm(line);
    if (low < kMMu / 2) {
      b += simpsonRule([&](double e) { return (nuE(e) + nuMuBar(e)) * bracket(e); }, low, kMMu / 2,
                       20000);
      d += simpsonRule([&](double e) { return (nuE(e) + nuMuBar(e)) * massTerm(e); }, low, kMMu / 2,
                       20000);
    }
    sm += n.scale(t) * b;
    lost += n.scale(t) * d;
  }
  const double units = 6.02214076e23 * 14600.0 / 259.8;
  const double fluence =
      0.08 * 1.76e23 / (4 * std::numbers::pi * 1930.0 * 1930.0) * 1.973269804e-14 * 1.973269804e-14;
  return {units * fluence * sm, lost / sm};
}

TEST(CliSpectrum, CevnsJsonColumnsAndEq32) {
  // 6, 8 and 10 keV: below the ends of the 29.79 MeV line (14.3 keV on Cs, 15.0 on I), where
  // a 100 keV final state would move the edge.
  const CliResult r = runCli(
      "spectrum cevns_sns --masses 7e-6,1e-4 --mixings 0.1,0.1 --from 6e-6 --to 1e-5 --points 3 "
      "--format json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["kind"], "cevns_sns");
  std::vector<std::string> names;
  for (const auto& c : j["columns"]) {
    names.push_back(c["name"]);
    EXPECT_TRUE(c.contains("unit") && c.contains("description"));
  }
  const std::vector<std::string> expected = {"T",         "dN_dT_sm", "dN_dT", "ratio",
                                             "deviation", "r_Z_1",    "r_Z_2", "eq32",
                                             "r_H_1",     "r_H_2",    "eq33",  "deviation_eq31"};
  EXPECT_EQ(names, expected);  // no scalar column without a model point
  ASSERT_EQ(j["rows"].size(), 3u);
  for (const auto& row : j["rows"]) {
    const double t = row[0], sm = row[1], z = row[2], deviation = row[4], rz1 = row[5],
                 rz2 = row[6], eq32 = row[7], eq31 = row[11];
    const auto [rate, loss7] = snsRate(t, 7e-6);
    const double loss100 = snsRate(t, 1e-4).second;
    EXPECT_NEAR(sm, rate, 1e-6 * rate) << "T = " << t;
    EXPECT_NEAR(1 - rz1, loss7, 1e-3 * loss7) << "T = " << t;
    EXPECT_NEAR(1 - rz2, loss100, 1e-3 * loss100) << "T = " << t;
    // CN Eq. 32 is Eq. 31 per unit mixing, sum_k (1 - r_k); Eq. 31 as printed has
    // |U_4|^2 = |U_5|^2 = 0.01.
    EXPECT_NEAR(eq32, loss7 + loss100, 1e-3 * eq32);
    EXPECT_NEAR(eq31, 0.01 * (loss7 + loss100), 1e-3 * eq31);
    // Erratum E1: (1 - 0.02) 0.02 + 2 x 0.01 x 0.99 of the flux and coupling lost, and the
    // m^2 term reached with |P_chi l|^2 = 0.98 x 0.01.
    const double e1 = 0.0394 + 0.98 * 0.98 * 0.01 * (loss7 + loss100);
    EXPECT_NEAR(deviation, e1, 1e-5 * e1);
    EXPECT_NEAR(z, rate * (1 - e1), 1e-6 * rate);
  }
}

TEST(CliSpectrum, ModelPointAddsTheScalarRate) {
  const CliResult r = runCli(
      "spectrum cevns_reactor --model hidden_kev_fermion --set kappa=1e-4 --points 2 --format "
      "json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source"]["model"], "hidden_kev_fermion");
  EXPECT_EQ(j["source"]["parameters"]["kappa"], 1e-4);
  EXPECT_EQ(j["columns"].back()["name"], "dN_dT_scalar");
  EXPECT_EQ(j["states"]["active"].size(), 3u);
  EXPECT_GT(j["rows"][0].back().get<double>(), 0.0);
}

TEST(CliSpectrum, OutputFileHasTheSameTable) {
  const std::string args = "spectrum cevns_reactor --masses 1e-5,2e-5 --mixings 0.1,0.1 --points 4";
  const CliResult toStdout = runCli(args);
  ASSERT_EQ(toStdout.code, 0) << toStdout.err;
  const auto path = scratchDirectory() / "reactor.csv";
  const CliResult toFile = runCli(args + " -o '" + path.string() + "'");
  ASSERT_EQ(toFile.code, 0) << toFile.err;
  EXPECT_TRUE(toFile.out.empty());
  EXPECT_EQ(readFile(path), toStdout.out);
  EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
  // An unwritable path: one line, exit 2, nothing created.
  const auto missing = scratchDirectory() / "no-such-dir" / "x.csv";
  const CliResult bad = runCli(args + " -o '" + missing.string() + "'");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.errLines(), 1) << bad.err;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST(CliSpectrum, BadInputIsOneLineAndExitCodeTwo) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"spectrum tritium_bta --masses 1e-6,2e-6 --mixings 0,0", "did you mean 'tritium_beta'"},
      {"spectrum tritium_beta", "--model hidden_kev_fermion"},
      {"spectrum tritium_beta --masses 1e-6 --mixings 0.1,0.1", "two comma-separated values"},
      {"spectrum tritium_beta --masses 1e-6,2e-6 --mixings 0.8,0.8", "exceeds 1"},
      {"spectrum tritium_beta --masses -1e-6,2e-6 --mixings 0.1,0.1", "must be >= 0"},
      {"spectrum cevns_sns --model lfv_nsi", "no chi states"},
      {"spectrum cevns_sns --model hidden_kev_fermion --set M_chi=nan", "not a finite number"},
      {"spectrum cevns_sns --model hidden_kev_fermion --masses 1e-6,2e-6", "not both"},
      {"spectrum cevns_sns --masses 1e-6,2e-6 --mixings 0,0 --from 2e-5 --to 1e-5", "must exceed"},
      {"spectrum cevns_sns --masses 1e-6,2e-6 --mixings 0,0 --points 1", "--points"},
      {"spectrum cevns_sns --masses 1e-6,2e-6 --mixings 0,0 --format xml", "unknown format"},
      {"spectrum cevns_sns --masses 1e-6,2e-6 --mixings 0,0 --option n_R=3", "--option needs"},
      {"spectrum cevns_sns --model hidden_kev_fermion --set M_N1=1e6", "unknown parameter"},
      {"spectrum cevns_sns --model hidden_kev_fermion --option n_R=2", "option 'n_R'"},
  };
  for (const auto& [args, fragment] : cases) {
    const CliResult r = runCli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.errLines(), 1) << args << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << args;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << args << ": " << r.err;
  }
}

/// The rows of `portalscan spectrum ... --format json` as columns by name (null: NaN).
std::map<std::string, std::vector<double>> spectrumColumns(const std::string& args) {
  const CliResult r = runCli("spectrum " + args + " --format json");
  EXPECT_EQ(r.code, 0) << args << ": " << r.err;
  std::map<std::string, std::vector<double>> columns;
  if (r.code != 0) return columns;
  const auto j = nlohmann::json::parse(r.out);
  for (std::size_t i = 0; i < j["columns"].size(); ++i) {
    auto& column = columns[j["columns"][i]["name"].get<std::string>()];
    for (const auto& row : j["rows"]) {
      column.push_back(row[i].is_null() ? std::nan("") : row[i].get<double>());
    }
  }
  return columns;
}

TEST(CliSpectrum, ThreeSingletsWithOneCoupledGiveTheCurvesOfOne) {
  // --option n_R=3 with only N_1 coupled (N_2, N_3 heavy, their couplings 1e-12) is the one-N_R
  // point with M_N = M_N1: two independent paths (the 5x5 and the 8x8 mass matrices, CN Eq. 10
  // and its three-singlet form) must draw the same curves, chi mixing of 1e-3 included.
  const std::string one =
      "--model hidden_kev_fermion --set M_N=1e6 --set y_e=0.05 --set y_mu=0.02 --set f_L=0.2 "
      "--set f_R=0.1 --set M_chi=1e-5 --points 9";
  std::string three =
      "--model hidden_kev_fermion --option n_R=3 --set M_N1=1e6 --set M_N2=3e14 --set M_N3=7e14 "
      "--set y_e1=0.05 --set y_mu1=0.02 --set f_L1=0.2 --set f_R1=0.1 --set M_chi=1e-5 --points 9";
  for (const char* coupling : {"y_tau1", "y_e2", "y_mu2", "y_tau2", "y_e3", "y_mu3", "y_tau3",
                               "f_L2", "f_R2", "f_L3", "f_R3"}) {
    three += std::string(" --set ") + coupling + "=1e-12";
  }
  const CliResult described = runCli("spectrum tritium_beta " + three + " --format json");
  ASSERT_EQ(described.code, 0) << described.err;
  EXPECT_EQ(nlohmann::json::parse(described.out)["source"]["options"]["n_R"], "3");
  for (const char* kind : {"tritium_beta", "cevns_sns", "cevns_reactor"}) {
    const auto a = spectrumColumns(std::string(kind) + " " + one);
    const auto b = spectrumColumns(std::string(kind) + " " + three);
    ASSERT_EQ(a.size(), b.size()) << kind;
    int compared = 0;
    for (const auto& [name, column] : a) {
      ASSERT_EQ(b.count(name), 1u) << kind << " " << name;
      for (std::size_t i = 0; i < column.size(); ++i) {
        const double x = column[i], y = b.at(name)[i];
        if (std::isnan(x)) {
          EXPECT_TRUE(std::isnan(y)) << kind << " " << name << " row " << i;
          continue;
        }
        EXPECT_NEAR(y, x, 1e-9 * std::abs(x)) << kind << " " << name << " row " << i;
        compared += x != 0.0;
      }
    }
    EXPECT_GT(compared, 30) << kind;
  }
  // The deviation is the chi states' mixing at work, not zero on both sides.
  EXPECT_GT(spectrumColumns("tritium_beta " + one)["deviation"][0], 1e-3);
}

TEST(PaperFigures, ScriptPlotsTheCliCurves) {
  // matplotlib is a declared dependency (scripts/install-deps.sh): no skip. The script runs
  // with Axes.plot wrapped so that every curve it draws is recorded with its axes' title.
  const auto out = freshDirectory("figures");
  writeText(out / "record.py", R"(import json, math, runpy, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.axes
drawn = []
plot = matplotlib.axes.Axes.plot
def recording(self, x, y, *args, **kwargs):
    drawn.append((self, list(x), list(y), kwargs.get("label")))
    return plot(self, x, y, *args, **kwargs)
matplotlib.axes.Axes.plot = recording
script, binary, out = sys.argv[1:4]
sys.argv = [script, "--portalscan", binary, "-o", out]
runpy.run_path(script, run_name="__main__")
clean = lambda v: [None if math.isnan(a) else a for a in v]
json.dump([{"title": a.get_title(), "label": label, "x": clean(x), "y": clean(y)}
           for a, x, y, label in drawn], open(out + "/curves.json", "w"))
)");
  const CliResult r = runShell("/usr/bin/python3 '" + (out / "record.py").string() +
                               "' '" PORTALSCAN_SOURCE_DIR "/scans/figures/paper_figures.py' '" +
                               std::string(PORTALSCAN_BINARY) + "' '" + out.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* name : {"fig2.png", "fig4.png"}) {
    EXPECT_GT(std::filesystem::file_size(out / name), 10000u) << name;
  }
  const auto curves = nlohmann::json::parse(readFile(out / "curves.json"));
  // Fig. 2: the SM and two mass sets in (a), the two deviations in (b); Fig. 4: for each
  // source two mass sets x (Eq. 32, with E1) in the Z panel and x Eq. 33 in the scalar one.
  ASSERT_EQ(curves.size(), 3u + 2u + 2u * (2u * 2u + 2u));
  auto find = [&](const std::string& title, const std::string& label) -> const nlohmann::json& {
    for (const auto& c : curves) {
      if (c["title"].get<std::string>().find(title) == 0 && !c["label"].is_null() &&
          c["label"].get<std::string>().find(label) != std::string::npos)
        return c;
    }
    ADD_FAILURE() << "no curve '" << label << "' in '" << title << "'";
    static const nlohmann::json none = {{"x", nlohmann::json::array()},
                                        {"y", nlohmann::json::array()}};
    return none;
  };
  // Each drawn curve against the CLI's own columns, scaled as the axes say (keV; per keV;
  // per |U|^2 = 0.16; Fig. 2b per 2|U|^2 = 0.32).
  auto same = [](const nlohmann::json& c, const std::vector<double>& x,
                 const std::vector<double>& y, double xScale, double yScale) {
    ASSERT_EQ(c["x"].size(), x.size());
    ASSERT_EQ(c["y"].size(), y.size());
    ASSERT_GT(x.size(), 100u);
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_NEAR(c["x"][i].get<double>(), x[i] * xScale, 1e-12 * std::abs(x[i] * xScale)) << i;
      if (std::isnan(y[i])) {
        EXPECT_TRUE(c["y"][i].is_null()) << i;
      } else {
        EXPECT_NEAR(c["y"][i].get<double>(), y[i] * yScale, 1e-12 * std::abs(y[i] * yScale)) << i;
      }
    }
  };
  const std::string mixings = " --mixings 0.4,0.4";
  const auto t75 = spectrumColumns("tritium_beta --masses 7e-06,5e-06" + mixings +
                                   " --points 800 --from 5e-08 --to 1.858e-05");
  const auto t7100 = spectrumColumns("tritium_beta --masses 7e-06,0.0001" + mixings +
                                     " --points 800 --from 5e-08 --to 1.858e-05");
  same(find("(a) tritium", "Standard Model"), t75.at("E_kin"), t75.at("dR_dE_sm"), 1e6, 1e-6);
  same(find("(a) tritium", "(7, 5)"), t75.at("E_kin"), t75.at("dR_dE"), 1e6, 1e-6);
  same(find("(a) tritium", "(7, 100)"), t7100.at("E_kin"), t7100.at("dR_dE"), 1e6, 1e-6);
  same(find("(b) deviation", "(7, 5)"), t75.at("E_kin"), t75.at("deviation"), 1e6, 1 / 0.32);
  same(find("(b) deviation", "(7, 100)"), t7100.at("E_kin"), t7100.at("deviation"), 1e6, 1 / 0.32);
  const auto sns = spectrumColumns("cevns_sns --masses 7e-06,0.0001" + mixings +
                                   " --points 600 --from 5e-07 --to 4.6e-05");
  same(find("(a) Z exchange", "(7, 100)$ keV, CN Eq. 32"), sns.at("T"), sns.at("eq32"), 1e6, 1);
  same(find("(a) Z exchange", "(7, 100)$ keV, with E1"), sns.at("T"), sns.at("deviation"), 1e6,
       1 / 0.16);
  same(find("(b) scalar exchange", "(7, 100)"), sns.at("T"), sns.at("eq33"), 1e6, 1);
  const auto reactor = spectrumColumns("cevns_reactor --masses 7e-06,5e-06" + mixings +
                                       " --points 600 --from 1e-08 --to 1.05e-06");
  same(find("(c) Z exchange", "(7, 5)$ keV, CN Eq. 32"), reactor.at("T"), reactor.at("eq32"), 1e6,
       1);
  same(find("(d) scalar exchange", "(7, 5)"), reactor.at("T"), reactor.at("eq33"), 1e6, 1);
}

}  // namespace
}  // namespace portalscan::test
