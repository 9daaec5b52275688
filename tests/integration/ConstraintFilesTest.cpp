// Constraints of a scan's own through the CLI: a user limit curve that
// excludes exactly the points a hand cut predicts, chi2 in the file and in
// `point --json`, a common CL, resume refusing a changed curve, the catalogue's
// curves listed with their ranges, and every malformed curve file or user
// constraint as one line, exit code 2 and nothing written.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

// The z of a limit at 90% and 95% CL (its half-normal has sigma = L/z): the two-sided
// standard-normal quantiles of the tables, P(|Z| < z) = CL.
constexpr double kZ90 = 1.6448536269514722;
constexpr double kZ95 = 1.959963984540054;

fs::path dir(const std::string& name) { return freshDirectory(name); }

void write(const fs::path& p, const std::string& text) { writeText(p, text); }

// A limit on g_psi as a function of m_Zprime (both parameters of lfv_nsi, so
// the expected verdicts follow from the grid alone): 90% CL, log-log, in MeV.
const char* kCurveHeader =
    "# portalscan-limit-1\n"
    "# title: a made-up test limit on g_psi\n"
    "# experiment: none (test data)\n"
    "# reference: this test\n"
    "# cl: 0.90\n"
    "# x: m_Zprime MeV\n"
    "# y: g_psi 1\n"
    "# excluded: above\n"
    "# interpolation: x=log y=log\n"
    "# digitised: written for the test\n"
    "# licence: none needed\n";
const double kRows[3][2] = {{20.0, 1e-2}, {200.0, 1e-1}, {500.0, 3e-1}};

std::string curveText() {
  std::string s = kCurveHeader;
  for (const auto& r : kRows) s += std::to_string(r[0]) + " " + std::to_string(r[1]) + "\n";
  return s;
}

/// The test's own log-log interpolation of kRows (m in GeV); NaN outside.
double handBound(double m) {
  const double mev = m * 1e3;
  for (int i = 0; i < 2; ++i) {
    const double x0 = kRows[i][0], x1 = kRows[i + 1][0];
    if (mev >= x0 && mev <= x1) {
      const double t = std::log(mev / x0) / std::log(x1 / x0);
      return std::exp(std::log(kRows[i][1]) + t * std::log(kRows[i + 1][1] / kRows[i][1]));
    }
  }
  return std::nan("");
}

std::string scanConfig(const std::string& constraintsJson, const std::string& extra = "") {
  return R"({
  "model": "lfv_nsi",
  "parameters": {
    "m_Zprime": {"range": [0.01, 1.0], "scale": "log", "points": 9},
    "g_psi": {"range": [1e-3, 1.0], "scale": "log", "points": 7}
  },)" + extra +
         R"(
  "constraints": )" +
         constraintsJson + R"(,
  "output": {"chunk_points": 16}
})";
}

const char* kUserCurve = R"(["default", {"name": "my_curve", "observable": "g_psi", "kind": "curve",
    "limit": {"file": "curves/mine.dat", "x": "m_Zprime"}, "reference": "a test limit"}])";

TEST(UserConstraints, ACurveExcludesExactlyWhatTheHandCutPredicts) {
  const fs::path d = dir("user-curve");
  fs::create_directories(d / "curves");
  write(d / "curves" / "mine.dat", curveText());
  write(d / "scan.json", scanConfig(kUserCurve));
  const std::string out = (d / "out.h5").string();
  const CliResult r = runCli("run '" + (d / "scan.json").string() + "' -o '" + out + "'", "/");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(out);
  ASSERT_TRUE(f.ok());
  const auto m = f.doubles("/parameters/m_Zprime");
  const auto g = f.doubles("/parameters/g_psi");
  const auto pass = f.bytes("/constraints/my_curve/pass");
  const auto chi2 = f.doubles("/constraints/my_curve/chi2");
  ASSERT_EQ(m.size(), 63u);
  int excluded = 0, untested = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const double b = handBound(m[i]);
    const bool tested = !std::isnan(b);
    const bool expectPass = !tested || g[i] <= b;
    EXPECT_EQ(pass[i] != 0, expectPass) << "m = " << m[i] << ", g = " << g[i] << ", bound " << b;
    const double expectChi2 = tested ? std::pow(g[i] * kZ90 / b, 2) : 0.0;
    EXPECT_NEAR(chi2[i], expectChi2, 1e-9 * std::max(1.0, expectChi2));
    excluded += expectPass ? 0 : 1;
    untested += tested ? 0 : 1;
  }
  EXPECT_GT(excluded, 5);  // the cut does something on this grid
  EXPECT_GT(untested, 5);  // and the range matters
  // The layout: float64 chi2 per constraint and in total, with the provenance.
  std::size_t size = 0;
  EXPECT_EQ(f.typeClass("/constraints/my_curve/chi2", &size), H5T_FLOAT);
  EXPECT_EQ(size, 8u);
  EXPECT_EQ(f.rows("/chi2_total"), 63u);
  EXPECT_EQ(f.stringAttribute("/constraints/my_curve", "limit_table"), curveText());
  EXPECT_EQ(f.stringAttribute("/constraints/my_curve", "kind"), "curve");
  EXPECT_NE(f.stringAttribute("/constraints/my_curve/chi2", "convention").find("half-normal"),
            std::string::npos);
  const auto config = nlohmann::json::parse(f.stringAttribute("/", "config"));
  bool found = false;
  for (const auto& c : config["constraints"]) {
    if (c["name"] == "my_curve") {
      found = true;
      EXPECT_EQ(c["limit"]["text"], curveText());  // the file's contents travel in the config
    }
  }
  EXPECT_TRUE(found);
  // chi2_total is the sum over the chain's columns.
  const auto total = f.doubles("/chi2_total");
  std::vector<double> sum(total.size(), 0.0);
  for (const auto& name : f.members("/constraints")) {
    const auto c = f.doubles("/constraints/" + name + "/chi2");
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += c[i];
  }
  ASSERT_GT(f.members("/constraints").size(), 3u);  // the default chain and the curve
  int infinite = 0;
  for (std::size_t i = 0; i < sum.size(); ++i) {
    EXPECT_EQ(std::isnan(total[i]), std::isnan(sum[i])) << i;
    EXPECT_EQ(std::isinf(total[i]), std::isinf(sum[i])) << i;
    infinite += std::isinf(sum[i]) ? 1 : 0;
    if (std::isfinite(sum[i])) {
      EXPECT_NEAR(total[i], sum[i], 1e-12 * std::max(1.0, sum[i])) << i;
    }
  }
  EXPECT_EQ(infinite, 0);  // no region or non-positive lower-limit quantity in this chain
}

TEST(UserConstraints, ACommonClLoosensA90PercentLimit) {
  const fs::path d = dir("common-cl");
  // kappa-free: a flat 90% upper limit on g_psi, cut at 95%.
  const std::string user = R"([{"name": "g_cut", "observable": "g_psi", "kind": "upper",
      "limit": 0.09, "cl": 0.90, "reference": "a test limit"}])";
  write(d / "own.json", scanConfig(user));
  write(d / "common.json", scanConfig(user, "\n  \"common_cl\": 0.95,"));
  for (const char* name : {"own", "common"}) {
    const CliResult r = runCli("run '" + (d / (std::string(name) + ".json")).string() + "' -o '" +
                               (d / (std::string(name) + ".h5")).string() + "'");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const RawFile own((d / "own.h5").string()), common((d / "common.h5").string());
  const auto g = own.doubles("/parameters/g_psi");
  const auto passOwn = own.bytes("/constraints/g_cut/pass");
  const auto passCommon = common.bytes("/constraints/g_cut/pass");
  int differ = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(passOwn[i] != 0, g[i] <= 0.09);
    EXPECT_EQ(passCommon[i] != 0, g[i] <= 0.09 * kZ95 / kZ90);  // 0.1072
    differ += passOwn[i] != passCommon[i];
  }
  EXPECT_GT(differ, 0);  // the grid has g_psi = 0.1 between the two cuts
  EXPECT_EQ(own.doubles("/constraints/g_cut/chi2"), common.doubles("/constraints/g_cut/chi2"));
}

TEST(UserConstraints, ResumeAndMergeRefuseAChangedCurve) {
  const fs::path d = dir("changed-curve");
  fs::create_directories(d / "curves");
  write(d / "curves" / "mine.dat", curveText());
  write(d / "scan.json", scanConfig(kUserCurve));
  const std::string out = (d / "out.h5").string();
  const std::string run = "run '" + (d / "scan.json").string() + "' -o '" + out + "'";
  ASSERT_EQ(runCli(run).code, 0);
  EXPECT_EQ(runCli(run + " --resume").code, 0);  // the same file: nothing to do
  std::string changed = curveText();
  const std::string bound = std::to_string(1e-1);
  ASSERT_NE(changed.find(bound), std::string::npos);
  changed.replace(changed.find(bound), bound.size(), std::to_string(2e-1));  // one bound moved
  ASSERT_NE(changed, curveText());
  write(d / "curves" / "mine.dat", changed);
  const CliResult r = runCli(run + " --resume");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find("different configuration"), std::string::npos) << r.err;
  // Two shards made with different curves do not merge.
  const std::string config = (d / "scan.json").string();
  const std::string s2 = (d / "s2.h5").string(), s1 = (d / "s1.h5").string();
  ASSERT_EQ(runCli("run '" + config + "' --shard 2/2 -o '" + s2 + "'").code, 0);
  write(d / "curves" / "mine.dat", curveText());
  ASSERT_EQ(runCli("run '" + config + "' --shard 1/2 -o '" + s1 + "'").code, 0);
  const CliResult m = runCli("merge -o '" + (d / "merged.h5").string() + "' '" + s1 + "' '" + s2 + "'");
  EXPECT_EQ(m.code, 2) << m.err;
  EXPECT_EQ(m.errLines(), 1) << m.err;
  EXPECT_FALSE(fs::exists(d / "merged.h5"));
}

TEST(UserConstraints, AFileOfTheFormatBeforeChi2IsNotResumed) {
  const fs::path d = dir("format-1");
  write(d / "scan.json", scanConfig("\"default\""));
  const std::string out = (d / "out.h5").string();
  const std::string run = "run '" + (d / "scan.json").string() + "' -o '" + out + "'";
  ASSERT_EQ(runCli(run).code, 0);
  {  // the root attribute of a file written before the chi2 datasets existed
    const hid_t f = H5Fopen(out.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    const hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    const std::int64_t one = 1;
    H5Awrite(a, H5T_NATIVE_INT64, &one);
    H5Aclose(a);
    H5Fclose(f);
  }
  const CliResult r = runCli(run + " --resume");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find("scan-file format 1"), std::string::npos) << r.err;
}

TEST(UserConstraints, PointJsonShowsChi2AndTheCatalogueCurves) {
  const CliResult r = runCli("point lfv_nsi --set m_Zprime=0.03 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.contains("chi2_total"));
  const auto& twist = j["constraints"]["mu_to_e_x"];
  EXPECT_EQ(twist["kind"], "curve");
  EXPECT_EQ(twist["tested"], true);
  EXPECT_EQ(twist["limit"]["file"], "twist2015_mu_e_X.dat");
  EXPECT_DOUBLE_EQ(twist["x"].get<double>(), 0.03);
  // chi2 of the TWIST curve: (BR z90 / bound)^2 at the interpolated bound.
  const double br = twist["value"].get<double>(), bound = twist["bound"].get<double>();
  EXPECT_NEAR(twist["chi2"].get<double>(), std::pow(br * kZ90 / bound, 2), 1e-9 * twist["chi2"].get<double>());
  double total = 0.0;
  for (const auto& [name, c] : j["constraints"].items()) total += c["chi2"].get<double>();
  EXPECT_NEAR(j["chi2_total"].get<double>(), total, 1e-12 * total);
  // Outside the curve's range: not tested.
  const auto far = nlohmann::json::parse(runCli("point lfv_nsi --set m_Zprime=0.5 --json").out);
  EXPECT_EQ(far["constraints"]["mu_to_e_x"]["tested"], false);
  EXPECT_EQ(far["constraints"]["mu_to_e_x"]["chi2"], 0.0);
  const CliResult list = runCli("list constraints lfv_nsi");
  EXPECT_NE(list.out.find("twist2015_mu_e_X.dat: 597 points, m_Zprime from 0.00962512 to 0.0866261 GeV"),
            std::string::npos)
      << list.out;
}

TEST(UserConstraints, PointWithAConfigJudgesWithItsOwnConstraints) {
  const fs::path d = dir("point-config");
  write(d / "scan.json",
        scanConfig(R"(["default", {"name": "g_cut", "observable": "g_psi", "kind": "upper",
                       "limit": 0.09, "cl": 0.90, "reference": "a test limit"}])",
                   "\n  \"common_cl\": 0.95,"));
  const std::string config = (d / "scan.json").string();
  const CliResult r = runCli("point --config '" + config + "' --set g_psi=0.1 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& c = j["constraints"]["g_cut"];
  EXPECT_EQ(c["variant"], "user");
  EXPECT_EQ(c["allowed"], true);  // 0.1 < 0.09 x z95/z90 = 0.1072
  EXPECT_DOUBLE_EQ(c["cut_cl"].get<double>(), 0.95);
  EXPECT_NEAR(c["chi2"].get<double>(), std::pow(0.1 * kZ90 / 0.09, 2), 1e-12);
  const CliResult text = runCli("point --config '" + config + "' --set g_psi=0.2");
  EXPECT_NE(text.out.find("g_cut"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("must be < 0.107242 (0.09 at 90% CL)"), std::string::npos) << text.out;
  const CliResult other = runCli("point hidden_kev_fermion --config '" + config + "'");
  EXPECT_EQ(other.code, 2);
  EXPECT_EQ(other.errLines(), 1) << other.err;
}

struct BadCase {
  const char* name;
  const char* curve;        ///< the curve file's text, or nullptr for none
  const char* constraints;  ///< the config's constraints
  const char* fragment;     ///< part of the one-line message
};

const char* kGoodRows = "20 1e-2\n200 1e-1\n";

class BadUserConstraint : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadUserConstraint, OneLineExitTwoNothingWritten) {
  const BadCase& c = GetParam();
  const fs::path d = dir(std::string("bad-") + c.name);
  if (c.curve) write(d / "mine.dat", c.curve);
  write(d / "scan.json", scanConfig(c.constraints));
  const std::string out = (d / "out.h5").string();
  const CliResult r = runCli("run '" + (d / "scan.json").string() + "' -o '" + out + "'");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find(c.fragment), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

const char* kCurveRef = R"([{"name": "c", "observable": "g_psi", "kind": "curve",
    "limit": {"file": "mine.dat", "x": "m_Zprime"}, "reference": "r"}])";

std::string header() { return kCurveHeader; }
const std::string kNoSource = [] {
  std::string h = header();
  h.erase(h.find("# reference: this test\n"), std::string("# reference: this test\n").size());
  return h + kGoodRows;
}();
const std::string kNonMonotonic = header() + "200 1e-1\n20 1e-2\n";
const std::string kNaN = header() + "20 1e-2\n200 nan\n";
const std::string kThreeColumns = header() + "20 1e-2 5\n200 1e-1 5\n";
const std::string kZeroOnLog = header() + "20 1e-2\n200 0\n";
const std::string kGood = header() + kGoodRows;

INSTANTIATE_TEST_SUITE_P(
    Cases, BadUserConstraint,
    ::testing::Values(
        BadCase{"missing", nullptr, kCurveRef, "mine.dat': no such file"},
        BadCase{"directory", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "curve",
                     "limit": {"file": ".", "x": "m_Zprime"}, "reference": "r"}])",
                "is not a file"},
        BadCase{"nosource", kNoSource.c_str(), kCurveRef, "mine.dat: the header names no source"},
        BadCase{"monotonic", kNonMonotonic.c_str(), kCurveRef, "mine.dat:13: x must increase"},
        BadCase{"nan", kNaN.c_str(), kCurveRef, "mine.dat:13: not two finite numbers"},
        BadCase{"columns", kThreeColumns.c_str(), kCurveRef, "mine.dat:12: expected two columns"},
        BadCase{"zero", kZeroOnLog.c_str(), kCurveRef, "mine.dat:13: y must be positive"},
        BadCase{"notalimitfile", "x y\n1 2\n", kCurveRef, "mine.dat:1: the first line"},
        BadCase{"observable", kGood.c_str(),
                R"([{"name": "c", "observable": "g_psy", "kind": "curve",
                     "limit": {"file": "mine.dat", "x": "m_Zprime"}, "reference": "r"}])",
                "did you mean 'g_psi'"},
        BadCase{"xname", kGood.c_str(),
                R"([{"name": "c", "observable": "g_psi", "kind": "curve",
                     "limit": {"file": "mine.dat", "x": "m_Zprme"}, "reference": "r"}])",
                "m_Zprme"},
        BadCase{"kind", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "sideways", "limit": 1,
                     "reference": "r"}])",
                "sideways"},
        BadCase{"emptyname", nullptr,
                R"([{"name": "", "observable": "g_psi", "kind": "upper", "limit": 1,
                     "reference": "r"}])",
                "a constraint's name is 1 to 64 letters"},
        BadCase{"slashname", nullptr,
                R"([{"name": "a/b", "observable": "g_psi", "kind": "upper", "limit": 1,
                     "reference": "r"}])",
                "a constraint's name is 1 to 64 letters"},
        BadCase{"emptyreference", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "upper", "limit": 1,
                     "reference": " "}])",
                "say where the numbers come from"},
        BadCase{"negative", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "upper", "limit": -0.1,
                     "reference": "r"}])",
                "must be a finite, positive number"},
        BadCase{"noreference", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "upper", "limit": 1}])",
                "needs a 'reference'"},
        BadCase{"shape", nullptr,
                R"([{"name": "c", "observable": "g_psi", "kind": "curve", "limit": 1,
                     "reference": "r"}])",
                "a curve limit is {\"file\": PATH, \"x\": NAME}"},
        BadCase{"shadows", nullptr,
                R"([{"name": "mu_to_e_x", "observable": "g_psi", "kind": "upper", "limit": 1,
                     "reference": "r"}])",
                "is a catalogue name"},
        BadCase{"unit", kGood.c_str(),
                R"([{"name": "c", "observable": "m_sterile_min", "kind": "curve",
                     "limit": {"file": "mine.dat", "x": "m_Zprime"}, "reference": "r"}])",
                "gives y (g_psi) in 1, but 'm_sterile_min' is in GeV"},
        BadCase{"catalogueshape", nullptr, R"([{"name": "mu_to_e_x", "limit": 1e-5}])",
                "wrong shape for a curve limit"}),
    [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace portalscan::test
