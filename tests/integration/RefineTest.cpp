// The refine sampler (docs/config.md, "refine"): on lfv_nsi's m_Zprime x g_psi plane, where the
// two constraints of the chain have closed-form boundaries (bbn_zprime_mass: m_Zprime > 10 MeV,
// YF ref. [40], arXiv:1712.04792; meson_decays_g_nu: |g_nu| < 1e-3, arXiv:1702.04187, both in
// docs/constraints.md) and g_nu = g_psi sin(alpha) sin(beta) (YF Eq. 15), the allowed region at
// sin(alpha) = sin(beta) = 0.1 is the quadrant m_Zprime > 0.01 GeV, g_psi < 0.1.
// The boundary must be located to one cell of the finest level wherever it runs; the files must
// be the same for any thread count and after kill -9 / resume mid-round and between rounds;
// bad configs are refused with exit code 2 and nothing written.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

constexpr double kMLow = 1e-3, kMHigh = 2.0;  // GeV; 10 MeV is not a lattice node
constexpr double kGLow = 1e-4, kGHigh = 3.0;  // g_psi; 0.1 is not a lattice node either
constexpr double kSinMix = 0.1;               // sin(alpha) = sin(beta)
constexpr int kBase = 9;                      // base grid points per axis
constexpr int kDepth = 5;
constexpr int kSide = (kBase - 1) << kDepth;  // finest cells per axis: 256

/// g_nu = g_psi sin(alpha) sin(beta) (YF Eq. 15).
double gNu(double gPsi) { return gPsi * kSinMix * kSinMix; }
/// The analytic verdict: bbn_zprime_mass (m_Zprime > 0.01 GeV) and meson_decays_g_nu
/// (|g_nu| < 1e-3), the values of docs/constraints.md.
bool analyticAllowed(double m, double g) { return m > 0.01 && std::abs(gNu(g)) < 1e-3; }

/// A parameter at lattice node q of a log axis [low, high] (independently of the sampler).
double atNode(int q, double low, double high) {
  return std::exp(std::log(low) + q / double(kSide) * (std::log(high) - std::log(low)));
}
/// The lattice node of a parameter value.
int nodeOf(double x, double low, double high) {
  return static_cast<int>(std::lround(std::log(x / low) / std::log(high / low) * kSide));
}

std::string refineConfig(const std::string& criterion = "\"allowed\"",
                         const std::string& extraParameters = "",
                         const std::string& extraSampler = "") {
  return R"({
  "model": "lfv_nsi",
  "parameters": {
    "sin_alpha_mix": 0.1, "sin_beta_mix": 0.1,
    "m_Zprime": {"range": [0.001, 2.0], "scale": "log", "points": 9},
    "g_psi": {"range": [1e-4, 3.0], "scale": "log", "points": 9})" +
         extraParameters + R"(
  },
  "sampler": {"kind": "refine", "depth": 5, "criterion": )" +
         criterion + extraSampler + R"(},
  "constraints": ["bbn_zprime_mass", "meson_decays_g_nu"],
  "output": {"chunk_points": 16, "commit_seconds": 0}
})";
}

std::string file(const std::string& name) {
  const auto p = scratchDirectory() / name;
  fs::remove(p);
  return p.string();
}

std::string config(const std::string& name, const std::string& json) {
  const auto p = scratchDirectory() / name;
  writeText(p, json);
  return p.string();
}

pid_t start(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv{PORTALSCAN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return startProcess(argv, env);
}

/// The (m_Zprime, g_psi) lattice nodes a file evaluated.
std::set<std::pair<int, int>> evaluatedNodes(const RawFile& f) {
  const auto m = f.doubles("/parameters/m_Zprime");
  const auto g = f.doubles("/parameters/g_psi");
  std::set<std::pair<int, int>> nodes;
  for (std::size_t i = 0; i < m.size(); ++i) {
    nodes.emplace(nodeOf(m[i], kMLow, kMHigh), nodeOf(g[i], kGLow, kGHigh));
  }
  return nodes;
}

/// Every finest cell that the analytic `verdict` boundary crosses (its corners disagree) has
/// all four corners evaluated: the boundary is placed to one finest cell along its whole length.
/// Returns the number of such cells.
template <typename Verdict>
int expectBoundaryLocated(const std::set<std::pair<int, int>>& nodes, Verdict verdict) {
  int cells = 0, missing = 0;
  for (int i = 0; i < kSide; ++i) {
    for (int j = 0; j < kSide; ++j) {
      std::set<bool> seen;
      for (int di = 0; di < 2; ++di)
        for (int dj = 0; dj < 2; ++dj)
          seen.insert(verdict(atNode(i + di, kMLow, kMHigh), atNode(j + dj, kGLow, kGHigh)));
      if (seen.size() < 2) continue;
      ++cells;
      for (int di = 0; di < 2; ++di)
        for (int dj = 0; dj < 2; ++dj) missing += nodes.contains({i + di, j + dj}) ? 0 : 1;
    }
  }
  EXPECT_EQ(missing, 0) << "corners of boundary cells never evaluated";
  return cells;
}

class Refine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference = new std::string(file("refine-reference.h5"));
    const CliResult r =
        runCli("run '" + config("refine.json", refineConfig()) + "' -j 2 -o '" + *reference + "'");
    ASSERT_EQ(r.code, 0) << r.err;
    *summary = r.out;
  }
  static void TearDownTestSuite() {
    delete reference;
    reference = nullptr;
  }
  static std::string* reference;
  static std::string* summary;

  /// Chunks of the reference per round (a chunk never spans two rounds).
  static std::map<int, std::uint64_t> chunksPerRound() {
    const RawFile f(*reference);
    const auto range = f.read<std::uint64_t>("/chunks/range", H5T_NATIVE_UINT64);
    const auto round = f.read<std::uint8_t>("/round", H5T_NATIVE_UINT8);
    std::map<int, std::uint64_t> chunks;
    for (std::size_t k = 0; k < range.size() / 2; ++k) ++chunks[round.at(range[2 * k])];
    return chunks;
  }
};
std::string* Refine::reference = nullptr;
std::string* Refine::summary = new std::string;

TEST_F(Refine, TheBoundaryIsLocatedToOneFinestCellWithAFractionOfTheLattice) {
  const RawFile f(*reference);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f.intAttribute("/", "complete"), 1);
  // The premise: the file's verdicts are the analytic ones at every point it evaluated.
  const auto m = f.doubles("/parameters/m_Zprime");
  const auto g = f.doubles("/parameters/g_psi");
  const auto allowed = f.read<std::uint8_t>("/allowed", H5T_NATIVE_UINT8);
  ASSERT_EQ(m.size(), allowed.size());
  for (std::size_t i = 0; i < m.size(); ++i) {
    ASSERT_EQ(allowed[i] != 0, analyticAllowed(m[i], g[i])) << m[i] << " " << g[i];
  }
  const auto nodes = evaluatedNodes(f);
  EXPECT_EQ(nodes.size(), m.size()) << "a lattice node evaluated twice";
  const int cells = expectBoundaryLocated(nodes, analyticAllowed);
  EXPECT_GT(cells, kSide);  // both branches of the L
  // A fraction of the finest lattice's 257^2 = 66 049 nodes.
  EXPECT_LT(m.size(), 66049u / 5) << m.size() << " points";
  // /index is the global point index 0..N-1; /round ascends with it and reaches the depth.
  const auto index = f.read<std::uint64_t>("/index", H5T_NATIVE_UINT64);
  const auto round = f.read<std::uint8_t>("/round", H5T_NATIVE_UINT8);
  for (std::size_t i = 0; i < index.size(); ++i) {
    ASSERT_EQ(index[i], i);
    if (i) {
      ASSERT_LE(round[i - 1], round[i]);
    }
  }
  EXPECT_EQ(round.back(), kDepth);
  std::uint64_t base = 0;
  for (auto r : round) base += r == 0;
  EXPECT_EQ(base, 81u);
  // The summary states the finest cell side: log10(2000) / 256 decades on m_Zprime.
  char side[32];
  std::snprintf(side, sizeof side, "m_Zprime %.3g decades", std::log10(kMHigh / kMLow) / kSide);
  EXPECT_NE(summary->find(side), std::string::npos) << *summary;
  EXPECT_NE(summary->find("refinement       6 rounds"), std::string::npos) << *summary;
}

TEST_F(Refine, OneAndTwoThreadsWriteTheSameFile) {
  const std::string one = file("refine-j1.h5");
  const CliResult r =
      runCli("run '" + config("refine.json", refineConfig()) + "' -j 1 -o '" + one + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  expectIdentical(*reference, one);
}

TEST_F(Refine, KilledMidRoundAndBetweenRoundsResumesToTheSameFile) {
  const auto chunks = chunksPerRound();
  ASSERT_GE(chunks.size(), 4u);
  ASSERT_GE(chunks.at(1), 2u);
  const std::uint64_t r0 = chunks.at(0), r1 = chunks.at(1), r2 = chunks.at(2);
  struct Case {
    std::uint64_t threshold;
    int signal;
    const char* what;
  };
  for (const Case& c : {Case{r0 + r1 / 2, SIGKILL, "kill -9 in round 1"},
                        Case{r0 + r1, SIGKILL, "kill -9 between rounds 1 and 2"},
                        Case{r0, SIGKILL, "kill -9 after the base grid"},
                        Case{r0 + r1 + r2 / 2, SIGTERM, "SIGTERM in round 2"}}) {
    SCOPED_TRACE(c.what);
    const std::string out = file("refine-killed.h5");
    const pid_t pid = start({"run", config("refine.json", refineConfig()), "-j", "2", "-o", out},
                            {stopAfterChunks(c.threshold)});
    ChildGuard guard{pid};
    ASSERT_TRUE(waitUntilStopped(pid));
    kill(pid, c.signal);
    kill(pid, SIGCONT);
    EXPECT_EQ(waitFor(pid), 128 + c.signal);
    guard.pid = 0;
    {
      const RawFile f(out);
      ASSERT_TRUE(f.ok());
      EXPECT_NE(f.intAttribute("/", "complete"), 1);
      if (c.signal == SIGKILL) {
        EXPECT_EQ(f.rows("/chunks/range"), c.threshold);
      }
    }
    const CliResult resumed = runCli("run '" + config("refine.json", refineConfig()) +
                                     "' -j 1 -o '" + out + "' --resume");
    ASSERT_EQ(resumed.code, 0) << resumed.err;
    expectIdentical(*reference, out);
  }
}

TEST_F(Refine, InfoShowsThePointsOfEachRound) {
  const CliResult r = runCli("info '" + *reference + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(*reference);
  const auto round = f.read<std::uint8_t>("/round", H5T_NATIVE_UINT8);
  std::map<int, int> counts;
  for (auto k : round) ++counts[k];
  std::string expected;
  for (const auto& [k, n] : counts) expected += (k ? " + " : "") + std::to_string(n);
  EXPECT_NE(r.out.find(expected + " points"), std::string::npos) << r.out << expected;
}

TEST(RefineCriterion, AConstraintsPassBitIsFollowedAndTheOtherBoundaryIgnored) {
  const std::string out = file("refine-gnu.h5");
  const CliResult r =
      runCli("run '" + config("gnu.json", refineConfig(R"({"constraint": "meson_decays_g_nu"})")) +
             "' -o '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(out);
  const auto nodes = evaluatedNodes(f);
  expectBoundaryLocated(nodes, [](double, double g) { return gNu(g) < 1e-3; });
  // Nothing is refined along m_Zprime = 10 MeV: every point off the base grid lies within one
  // base cell (32 finest cells) of the g_nu boundary, g_psi = 1e-3 / sin^2.
  const int gBoundary = nodeOf(1e-3 / (kSinMix * kSinMix), kGLow, kGHigh);
  for (const auto& [i, j] : nodes) {
    if (i % 32 == 0 && j % 32 == 0) continue;
    EXPECT_LE(std::abs(j - gBoundary), 32) << i << " " << j;
  }
}

TEST(RefineCriterion, AProfiledParameterIsEvaluatedAtEachOfItsBaseNodes) {
  const std::string out = file("refine-profiled.h5");
  const std::string json = refineConfig("\"allowed\"", R"(,
    "m_psi": {"range": [0.5, 2.0], "scale": "log", "points": 3})",
                                        R"(, "plane": ["g_psi", "m_Zprime"])");
  const CliResult r = runCli("run '" + config("profiled.json", json) + "' -o '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(out);
  const auto m = f.doubles("/parameters/m_Zprime");
  const auto g = f.doubles("/parameters/g_psi");
  const auto psi = f.doubles("/parameters/m_psi");
  std::map<std::pair<int, int>, std::set<double>> profiles;
  for (std::size_t i = 0; i < m.size(); ++i) {
    profiles[{nodeOf(m[i], kMLow, kMHigh), nodeOf(g[i], kGLow, kGHigh)}].insert(psi[i]);
  }
  std::set<std::pair<int, int>> nodes;
  for (const auto& [node, values] : profiles) {
    EXPECT_EQ(values.size(), 3u);
    nodes.insert(node);
  }
  expectBoundaryLocated(nodes, analyticAllowed);
}

TEST(RefineCriterion, ABudgetStopsTheRefinementAtOrBelowIt) {
  const std::string out = file("refine-budget.h5");
  const CliResult r = runCli(
      "run '" + config("budget.json", refineConfig("\"allowed\"", "", R"(, "budget": 400)")) +
      "' -o '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(out);
  EXPECT_LE(f.rows("/index"), 400u);
  EXPECT_GT(f.rows("/index"), 81u);
  EXPECT_NE(r.out.find("the budget stopped the refinement"), std::string::npos) << r.out;
}

TEST(RefineSobolBase, TheBoundaryIsLocatedInEveryBaseCellItsBasePointsStraddle) {
  // base "sobol": 256 Sobol points snapped to the lattice, the 8 x 8 base cells judged by the base
  // points in them (their corners are not evaluated up front).
  const std::string json =
      refineConfig("\"allowed\"", "", R"(, "base": "sobol", "base_points": 256, "seed": 3)");
  const std::string two = file("refine-sobol-j2.h5"), one = file("refine-sobol-j1.h5");
  const CliResult r = runCli("run '" + config("sobol.json", json) + "' -j 2 -o '" + two + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(runCli("run '" + config("sobol.json", json) + "' -j 1 -o '" + one + "'").code, 0);
  expectIdentical(two, one);
  const RawFile f(two);
  const auto m = f.doubles("/parameters/m_Zprime");
  const auto g = f.doubles("/parameters/g_psi");
  const auto round = f.read<std::uint8_t>("/round", H5T_NATIVE_UINT8);
  // Round 0: at most 256 points, every one on a lattice node, not only on base-grid nodes.
  std::set<std::pair<int, int>> base;
  int offGrid = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    const int qm = nodeOf(m[i], kMLow, kMHigh), qg = nodeOf(g[i], kGLow, kGHigh);
    ASSERT_NEAR(m[i], atNode(qm, kMLow, kMHigh), 1e-12 * m[i]);
    ASSERT_NEAR(g[i], atNode(qg, kGLow, kGHigh), 1e-12 * g[i]);
    if (round[i] != 0) continue;
    base.emplace(qm, qg);
    offGrid += qm % 32 != 0 || qg % 32 != 0;
  }
  EXPECT_LE(base.size(), 256u);
  EXPECT_GT(offGrid, 200);
  EXPECT_EQ(std::count(round.begin(), round.end(), 0), static_cast<long>(base.size()));
  // The base cells whose base points (in the closed cell) disagree, analytically.
  const int cell = kSide / (kBase - 1);  // 32 finest cells per base cell
  std::set<std::pair<int, int>> straddled;
  for (int bi = 0; bi < kBase - 1; ++bi) {
    for (int bj = 0; bj < kBase - 1; ++bj) {
      std::set<bool> seen;
      for (const auto& [qm, qg] : base) {
        if (qm >= bi * cell && qm <= (bi + 1) * cell && qg >= bj * cell && qg <= (bj + 1) * cell)
          seen.insert(analyticAllowed(atNode(qm, kMLow, kMHigh), atNode(qg, kGLow, kGHigh)));
      }
      if (seen.size() == 2) straddled.emplace(bi, bj);
    }
  }
  EXPECT_GE(straddled.size(), 8u);
  // In each of them every finest cell the boundary crosses has its four corners evaluated.
  const auto nodes = evaluatedNodes(f);
  int cells = 0, missing = 0;
  for (const auto& [bi, bj] : straddled) {
    for (int i = bi * cell; i < (bi + 1) * cell; ++i) {
      for (int j = bj * cell; j < (bj + 1) * cell; ++j) {
        std::set<bool> seen;
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj)
            seen.insert(
                analyticAllowed(atNode(i + di, kMLow, kMHigh), atNode(j + dj, kGLow, kGHigh)));
        if (seen.size() < 2) continue;
        ++cells;
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj) missing += nodes.contains({i + di, j + dj}) ? 0 : 1;
      }
    }
  }
  EXPECT_GE(cells, 8 * cell);
  EXPECT_EQ(missing, 0) << "corners of boundary cells never evaluated";
  // Another seed places other base points.
  const std::string seed4 = file("refine-sobol-seed4.h5");
  std::string other = json;
  other.replace(other.find("\"seed\": 3"), 9, "\"seed\": 4");
  ASSERT_EQ(runCli("run '" + config("sobol4.json", other) + "' -o '" + seed4 + "'").code, 0);
  EXPECT_NE(RawFile(seed4).doubles("/parameters/m_Zprime"), m);
}

TEST(RefineConfig, BadConfigsAreRefusedInOneLineWithNothingWritten) {
  struct Bad {
    std::string json;
    std::string args;
    std::string message;
  };
  const std::string base = refineConfig();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<Bad> cases = {
      {with("\"depth\": 5", "\"depth\": 0"), "", "depth 0"},
      {with("\"depth\": 5", "\"depth\": 5, \"plane\": [\"m_Zprime\", \"g_psii\"]"), "",
       "unknown parameter 'g_psii'"},
      {with("\"depth\": 5", "\"depth\": 5, \"plane\": [\"m_Zprime\", \"m_psi\"]"), "",
       "'m_psi' is not scanned"},
      {with("\"depth\": 5", "\"depth\": 5, \"budget\": 80"), "", "below the base design's 81"},
      {with("\"points\": 9}\n", "\"points\": 1}\n"), "", "at least 2 base points"},
      {with("\"log\", \"points\": 9}\n", "\"log\"}\n"), "", "needs 'points' for each range"},
      {with("\"commit_seconds\": 0", "\"commit_seconds\": 0, \"keep\": \"allowed\""), "",
       "keep \"all\""},
      {with("\"allowed\"", "{\"constraint\": \"muon_g2\"}"), "", "in the scan's chain"},
      {with("\"allowed\"", "{\"chi2_total\": -1}"), "", "must be > 0"},
      {base, "--shard 1/2", "its file must be named STEM.shard-1-of-2.h5"},
      {base, "--wait -1", "--wait"},
      {with("\"depth\": 5", "\"depth\": 5, \"base\": \"hex\""), "", "base"},
      {with("\"depth\": 5", "\"depth\": 5, \"base\": \"sobol\""), "", "needs 'base_points'"},
      {with("\"depth\": 5", "\"depth\": 5, \"seed\": 2"), "", "only with \"base\": \"sobol\""},
      {with("\"depth\": 5", "\"depth\": 5, \"base\": \"sobol\", \"base_points\": 0"), "",
       "must be at least 1"},
      {with("\"depth\": 5",
            "\"depth\": 5, \"base\": \"sobol\", \"base_points\": 256, \"budget\": 200"),
       "", "below the base design's 256"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.message);
    const std::string out = file("refused.h5");
    const CliResult r =
        runCli("run '" + config("bad.json", c.json) + "' " + c.args + " -o '" + out + "'");
    EXPECT_EQ(r.code, 2) << r.err;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out));
    EXPECT_FALSE(fs::exists(scratchDirectory() / "refused.shard-1-of-2.h5"));
  }
}

/// Lines of `err` that are portalscan errors (a shard also prints progress lines).
int errorLines(const std::string& err) {
  int n = 0;
  for (std::size_t at = err.find("portalscan: error:"); at != std::string::npos;
       at = err.find("portalscan: error:", at + 1))
    ++n;
  return n;
}

/// Runs the refine config's shards K/N for every K in `shards` at once (each its own process,
/// -j 1, into STEM.shard-K-of-N.h5 of `stem`), with `extra` arguments; their exit codes.
std::vector<int> runShards(const std::string& stem, int n, const std::vector<int>& shards,
                           const std::vector<std::string>& extra = {}) {
  std::vector<pid_t> pids;
  for (int k : shards) {
    std::vector<std::string> args{
        "run",     config("refine.json", refineConfig()),
        "-j",      "1",
        "--shard", std::to_string(k) + "/" + std::to_string(n),
        "-o",      stem + ".shard-" + std::to_string(k) + "-of-" + std::to_string(n) + ".h5"};
    args.insert(args.end(), extra.begin(), extra.end());
    pids.push_back(start(args));
  }
  std::vector<int> codes;
  for (pid_t pid : pids) codes.push_back(waitFor(pid));
  return codes;
}

std::string shardFile(const std::string& stem, int k, int n) {
  return stem + ".shard-" + std::to_string(k) + "-of-" + std::to_string(n) + ".h5";
}

std::string shardStem(const std::string& name) {
  for (int k = 1; k <= 3; ++k) {
    for (int n = 1; n <= 3; ++n)
      fs::remove(scratchDirectory() /
                 (name + ".shard-" + std::to_string(k) + "-of-" + std::to_string(n) + ".h5"));
  }
  return (scratchDirectory() / name).string();
}

TEST_F(Refine, ShardsRunTogetherAndTheirMergeIsTheOneProcessFile) {
  // Each shard runs every third chunk of every round and reads the others' verdicts of the round
  // from their files before planning the next: three processes started at once.
  const std::string stem = shardStem("refine-s3");
  const auto codes = runShards(stem, 3, {1, 2, 3});
  ASSERT_EQ(codes, (std::vector<int>{0, 0, 0}));
  const auto index1 =
      RawFile(shardFile(stem, 1, 3)).read<std::uint64_t>("/index", H5T_NATIVE_UINT64);
  const auto index2 =
      RawFile(shardFile(stem, 2, 3)).read<std::uint64_t>("/index", H5T_NATIVE_UINT64);
  EXPECT_GT(index1.size(), 81u / 3) << "each shard has a share of every round";
  EXPECT_GT(index2.size(), 81u / 3);
  const std::string merged = file("refine-s3.h5");
  const CliResult m = runCli("merge -o '" + merged + "' '" + shardFile(stem, 3, 3) + "' '" +
                             shardFile(stem, 1, 3) + "' '" + shardFile(stem, 2, 3) + "'");
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.out.find("1442 points"), std::string::npos) << m.out;
  expectIdentical(*reference, merged);
  // Two shards of it are not the scan: the third's chunks are named as missing.
  const std::string partial = file("refine-s3-partial.h5");
  const CliResult p = runCli("merge -o '" + partial + "' '" + shardFile(stem, 1, 3) + "' '" +
                             shardFile(stem, 2, 3) + "'");
  EXPECT_EQ(p.code, 2) << p.err;
  EXPECT_EQ(p.errLines(), 1) << p.err;
  EXPECT_NE(p.err.find("missing shard(s) 3/3"), std::string::npos) << p.err;
  EXPECT_FALSE(fs::exists(partial));
  // info of a shard file: its points per round, which add up to the file's.
  const CliResult info = runCli("info '" + shardFile(stem, 1, 3) + "'");
  ASSERT_EQ(info.code, 0) << info.err;
  EXPECT_NE(info.out.find("round(s) in this file"), std::string::npos) << info.out;
}

TEST_F(Refine, AShardKilledMidRoundResumesAndTheOthersWaitForIt) {
  // Shard 1/2 stops itself after its 4th committed chunk: its 3 of round 0's 6 chunks and the
  // first of its 2 of round 1's 3 (chunks 0, 2, 4, then 6 and 8 of the sequence), so the kill -9
  // comes inside round 1. It is started again with --resume while shard 2/2 waits for its
  // verdicts; the merge is the one-process file.
  const auto chunks = chunksPerRound();
  ASSERT_GE(chunks.at(0) + chunks.at(1), 9u);
  const std::string stem = shardStem("refine-kill");
  const pid_t other = start({"run", config("refine.json", refineConfig()), "-j", "1", "--shard",
                             "2/2", "-o", shardFile(stem, 2, 2)});
  ChildGuard otherGuard{other};
  const pid_t pid = start({"run", config("refine.json", refineConfig()), "-j", "1", "--shard",
                           "1/2", "-o", shardFile(stem, 1, 2)},
                          {stopAfterChunks(4)});
  ChildGuard guard{pid};
  ASSERT_TRUE(waitUntilStopped(pid));
  kill(pid, SIGKILL);
  kill(pid, SIGCONT);
  EXPECT_EQ(waitFor(pid), 128 + SIGKILL);
  guard.pid = 0;
  EXPECT_EQ(RawFile(shardFile(stem, 1, 2)).rows("/chunks/range"), 4u);
  const CliResult resumed =
      runCli("run '" + config("refine.json", refineConfig()) + "' -j 1 --shard 1/2 -o '" +
             shardFile(stem, 1, 2) + "' --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  EXPECT_EQ(waitFor(other), 0);
  otherGuard.pid = 0;
  const std::string merged = file("refine-kill.h5");
  const CliResult m = runCli("merge -o '" + merged + "' '" + shardFile(stem, 1, 2) + "' '" +
                             shardFile(stem, 2, 2) + "'");
  ASSERT_EQ(m.code, 0) << m.err;
  expectIdentical(*reference, merged);
}

TEST(RefineShards, AMissingOrStaleSiblingIsOneLineNotAHang) {
  // Shard 1/2 alone: it runs its share of the base grid, waits --wait 1 second for shard 2/2's
  // file and gives up in one line (exit 1), its file resumable.
  const std::string stem = shardStem("refine-alone");
  const CliResult alone = runCli("run '" + config("refine.json", refineConfig()) +
                                 "' -j 1 --shard 1/2 --wait 1 -o '" + shardFile(stem, 1, 2) + "'");
  EXPECT_EQ(alone.code, 1) << alone.err;
  EXPECT_EQ(errorLines(alone.err), 1) << alone.err;
  EXPECT_NE(alone.err.find("gave up after"), std::string::npos) << alone.err;
  EXPECT_NE(alone.err.find("no file '" + shardFile(stem, 2, 2) + "'"), std::string::npos)
      << alone.err;
  EXPECT_NE(alone.err.find("--resume"), std::string::npos) << alone.err;
  EXPECT_NE(RawFile(shardFile(stem, 1, 2)).intAttribute("/", "complete"), 1);
  // A shard 2/2 file of another scan (depth 4) beside it: refused in one line (exit 2).
  std::string other = refineConfig();
  other.replace(other.find("\"depth\": 5"), 10, "\"depth\": 4");
  const CliResult stale = runCli("run '" + config("other.json", other) +
                                 "' -j 1 --shard 2/2 --wait 1 -o '" + shardFile(stem, 2, 2) + "'");
  EXPECT_EQ(stale.code, 2) << stale.err;
  EXPECT_EQ(errorLines(stale.err), 1) << stale.err;
  EXPECT_NE(stale.err.find("different configuration"), std::string::npos) << stale.err;
}

}  // namespace
}  // namespace portalscan::test
