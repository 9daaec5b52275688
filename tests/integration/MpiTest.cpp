// `mpirun -n 2 portalscan run`: the same file as a one-process run, and an
// interrupted MPI run (SIGTERM to mpirun, SIGKILL to one rank) resumes to it.
// Built only with PORTALSCAN_ENABLE_MPI.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

// A few seconds of work for two single-threaded ranks, in 94 chunks of 4096 points: each chunk
// takes longer than a commit (flush and sync, tens of ms here), so that a rank's first commit
// holds a few chunks, not a third of the scan (with 1024-point chunks and the faster kernels a
// rank's first commit held 29 chunks, and the "frozen" run had finished).
const std::string kScan = gridScanConfig(4096, 240);

fs::path dir() {
  static const fs::path d = scratchDirectory() / "mpi";
  fs::create_directories(d);
  return d;
}

std::string fresh(const std::string& name) {
  fs::remove(dir() / name);
  return (dir() / name).string();
}

std::string config() {
  const auto p = dir() / "mpi.json";
  writeText(p, kScan);
  return p.string();
}

/// mpirun's arguments for `ranks` ranks of portalscan (as root in CI; more
/// ranks than cores on small machines).
std::vector<std::string> mpirun(int ranks, const std::vector<std::string>& args) {
  std::vector<std::string> argv{MPIEXEC_BINARY, "--allow-run-as-root", "--oversubscribe",
                                "-n",           std::to_string(ranks), PORTALSCAN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

/// The chunks of the scan: 40 x 40 x 240 = 384 000 points in chunks of 4096.
constexpr std::uint64_t kChunks = (40 * 40 * 240 + 4095) / 4096;
// Each rank stops itself at its own threshold (distinct, so that the entries
// tell the ranks apart). Rank 2 stops first, at 3 chunks (rank 2 does most of
// the computing while rank 1 also hands out the work, so a single stop of rank 1
// could come after rank 2 had finished the scan); rank 1 then computes on alone
// to its 20th. Once both are stopped the run is frozen with 23 (plus chunks in
// flight) of its 94 chunks committed.
// Rank 1 (index 0) runs the dispatcher: once it stops, rank 2 gets no more work, so rank 2 must
// reach its threshold first. One chunk (its first) against 40 makes that all but certain even on
// a machine loaded 17-fold, where 3 against 20 once starved rank 2.
constexpr std::uint64_t kStopRank1 = 40, kStopRank2 = 1;

/// mpirun's arguments for two ranks with the writer's test hook set to `first`
/// and `second` committed chunks (0: off): one application context per rank,
/// each started through env(1) with its own threshold.
/// With `grace` > 0, mpirun gives the ranks that many seconds between its signals when it ends
/// the job (odls_base_sigkill_timeout, 1 s by default: SIGCONT, SIGTERM a second later, SIGKILL
/// a second after that).
std::vector<std::string> mpirunStopping(std::uint64_t first, std::uint64_t second,
                                        const std::vector<std::string>& args, int grace = 0) {
  std::vector<std::string> argv{MPIEXEC_BINARY, "--allow-run-as-root", "--oversubscribe"};
  if (grace > 0)
    argv.insert(argv.end(), {"--mca", "odls_base_sigkill_timeout", std::to_string(grace)});
  bool firstContext = true;
  for (const std::uint64_t n : {first, second}) {
    if (!firstContext) argv.push_back(":");
    firstContext = false;
    argv.insert(argv.end(), {"-n", "1", "env", stopAfterChunks(n), PORTALSCAN_BINARY});
    argv.insert(argv.end(), args.begin(), args.end());
  }
  return argv;
}

std::string shell(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += "'" + a + "' ";
  return s;
}

/// The ranks mpirun started: its child processes.
std::vector<pid_t> children(pid_t parent) {
  std::ifstream in("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) +
                   "/children");
  std::vector<pid_t> pids;
  for (pid_t p; in >> p;) pids.push_back(p);
  return pids;
}

/// Whether process `pid` has `entry` ("NAME=VALUE") in its environment.
bool hasEnvironment(pid_t pid, const std::string& entry) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  for (std::string e; std::getline(in, e, '\0');) {
    if (e == entry) return true;
  }
  return false;
}

/// The two ranks of mpirun `pid` once both run portalscan, rank 1 first (told
/// apart by the threshold in their environment); empty after a minute without.
std::vector<pid_t> twoRanks(pid_t pid) {
  // Up to 300 s: mpirun's start-up alone took over a minute on a machine loaded 17-fold.
  for (int i = 0; i < 30000; ++i) {
    std::vector<pid_t> ranks = children(pid);
    if (ranks.size() == 2) {
      if (hasEnvironment(ranks[0], stopAfterChunks(kStopRank2))) std::swap(ranks[0], ranks[1]);
      if (hasEnvironment(ranks[0], stopAfterChunks(kStopRank1)) &&
          hasEnvironment(ranks[1], stopAfterChunks(kStopRank2)))
        return ranks;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return {};
}

/// The start time of process `pid` (field 22 of /proc/PID/stat), 0 once it is gone: with the
/// pid it names one process, even if the pid is used again later.
unsigned long long startTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  const auto paren = line.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(line.substr(paren + 2));
  std::string field;
  for (int i = 3; i < 22 && fields >> field; ++i) {
  }
  unsigned long long start = 0;
  fields >> start;
  return start;
}

/// A rank of an mpirun job: its pid and start time.
struct Rank {
  pid_t pid = 0;
  unsigned long long start = 0;
  /// Ended (a zombie or reaped): its files are closed and its locks let go.
  bool gone() const {
    const char state = processState(pid);
    return state == 0 || state == 'Z' || state == 'X' || startTime(pid) != start;
  }
};

/// Waits until every rank has ended. mpirun may exit before its ranks have: when it ends a job
/// it signals them (SIGTERM, then SIGKILL) and leaves without waiting, and the ranks are not the
/// test's children (each is in a process group of its own). A rank still ending holds HDF5's lock
/// on its part: the test's reader and the resume's writer could not open it (CI failed
/// Mpi.AKilledRankLosesNoCommittedChunk with "Value of: f.ok()" on rank 2's part).
bool waitUntilGone(const std::vector<Rank>& ranks, double seconds = 120) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    if (std::all_of(ranks.begin(), ranks.end(), [](const Rank& r) { return r.gone(); }))
      return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Kills the ranks of a job on the way out of a test (a failed assertion leaves no stopped rank
/// behind: they are in process groups of their own, out of ChildGuard's reach).
struct RankGuard {
  const std::vector<Rank>& ranks;
  ~RankGuard() {
    for (const Rank& r : ranks) {
      if (!r.gone()) kill(r.pid, SIGKILL);
    }
  }
};

/// The ranks mpirun `pid` has started so far.
std::vector<Rank> ranksOf(pid_t pid) {
  std::vector<Rank> ranks;
  for (pid_t p : children(pid)) ranks.push_back({p, startTime(p)});
  return ranks;
}

/// Lines of `err` that are portalscan errors: one per job, not one per rank.
int errorLines(const std::string& err) {
  std::istringstream lines(err);
  int errors = 0;
  for (std::string line; std::getline(lines, line);) {
    errors += line.rfind("portalscan: error:", 0) == 0 ? 1 : 0;
  }
  return errors;
}

/// A two-rank `run` into `out` with the stop hook set for both ranks, once both have
/// stopped themselves: the whole run is frozen at known committed chunks.
struct FrozenRun {
  pid_t mpirun = 0;
  std::vector<pid_t> ranks;     // rank 1 first
  std::vector<Rank> processes;  // the same, with their start times
  bool frozen = false;          // both ranks found and stopped
};

/// mpirun's grace for the ranks when it ends a job that was sent SIGTERM (see mpirunStopping):
/// the ranks stop on their own signal and leave within a second or two even on a machine loaded
/// 14-fold; with mpirun's default of 1 s a rank still committing its chunk in flight got a second
/// SIGTERM ("second interrupt: exiting now") and left a part that was not closed.
constexpr int kGrace = 5;

FrozenRun startFrozen(const std::string& out, int grace = 0) {
  FrozenRun r;
  r.mpirun = startProcess(
      mpirunStopping(kStopRank1, kStopRank2, {"run", config(), "-j", "1", "-o", out}, grace));
  r.ranks = twoRanks(r.mpirun);
  for (pid_t p : r.ranks) r.processes.push_back({p, startTime(p)});
  r.frozen =
      r.ranks.size() == 2 && waitUntilStopped(r.ranks[0], 300) && waitUntilStopped(r.ranks[1], 300);
  return r;
}

/// What SLURM's time limit does: SIGTERM to every process of the job, mpirun and the ranks (here
/// pending in the stopped ranks until they continue; mpirun alone forwards SIGTERM only after its
/// grace, by when the ranks continued had finished the scan: "94 vs 94" in CI). mpirun's exit
/// code, once the ranks have ended too.
int terminate(const FrozenRun& r) {
  kill(r.mpirun, SIGTERM);
  for (pid_t rank : r.ranks) kill(rank, SIGTERM);
  for (pid_t rank : r.ranks) kill(rank, SIGCONT);
  const int code = waitFor(r.mpirun);
  EXPECT_TRUE(waitUntilGone(r.processes)) << "a rank outlived mpirun by two minutes";
  return code;
}

/// Whether a part was closed by its writer (open_for_writing 0).
bool closedCleanly(const std::string& path) {
  const RawFile f(path);
  EXPECT_TRUE(f.ok()) << path << ": " << f.why;
  return f.ok() && f.intAttribute("/", "open_for_writing") == 0;
}

/// The points a resume found done, from its line "resuming 'OUT' on R ranks: N of M points done".
std::uint64_t pointsDoneAtResume(const std::string& err) {
  const auto at = err.find(" ranks: ");
  if (at == std::string::npos) return 0;
  return std::stoull(err.substr(at + 8));
}

std::vector<std::string> partFiles(const std::string& out) {
  const std::string stem = fs::path(out).stem().string() + ".part-";
  std::vector<std::string> parts;
  for (const auto& e : fs::directory_iterator(dir())) {
    if (e.path().filename().string().rfind(stem, 0) == 0) parts.push_back(e.path().string());
  }
  std::sort(parts.begin(), parts.end());
  return parts;
}

bool partsLeft(const std::string& out) { return !partFiles(out).empty(); }

/// Committed chunks in a part (or scan) file: its /chunks records.
std::uint64_t committedChunks(const std::string& path) {
  const RawFile f(path);
  EXPECT_TRUE(f.ok()) << path << ": " << f.why;
  return f.ok() ? f.rows("/chunks/range") : 0;
}

class Mpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    serial = new std::string(fresh("serial.h5"));
    ASSERT_EQ(runCli("run '" + config() + "' -j 2 -o '" + *serial + "'").code, 0);
    const std::string out = fresh("two-ranks.h5");
    const CliResult r = runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out})));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete serial; }
  static std::string* serial;
};
std::string* Mpi::serial = nullptr;

TEST_F(Mpi, TwoRanksWriteTheFileOfAOneProcessRun) {
  const std::string out = (dir() / "two-ranks.h5").string();
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out)) << "the part files are removed once joined";
  const RawFile f(out);
  EXPECT_EQ(f.intAttribute("/", "complete"), 1);
  EXPECT_EQ(committedChunks(out), kChunks);
}

TEST_F(Mpi, AnInterruptedRunResumesToTheSameFile) {
  // SIGTERM to every process of the job (what SLURM's time limit does) once both ranks have
  // stopped themselves (rank 2 after its first committed chunk, rank 1 after 40).
  const std::string out = fresh("term.h5");
  const FrozenRun run = startFrozen(out, kGrace);
  ChildGuard guard{run.mpirun};
  const RankGuard rankGuard{run.processes};
  ASSERT_TRUE(run.frozen);
  EXPECT_NE(terminate(run), 0);
  guard.pid = 0;
  EXPECT_FALSE(fs::exists(out));
  const auto parts = partFiles(out);
  ASSERT_EQ(parts.size(), 2u);
  // Every rank commits and closes its part (docs/cluster.md, "Stops and failures").
  EXPECT_TRUE(closedCleanly(parts[0]));
  EXPECT_TRUE(closedCleanly(parts[1]));
  const std::uint64_t committed = committedChunks(parts[0]) + committedChunks(parts[1]);
  EXPECT_GE(committedChunks(parts[0]), kStopRank1);
  EXPECT_LT(committed, kChunks) << "rank 1 committed " << committedChunks(parts[0]) << ", rank 2 "
                                << committedChunks(parts[1]);
  const CliResult resumed =
      runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
}

TEST_F(Mpi, AKilledRankLosesNoCommittedChunk) {
  // SIGKILL to rank 1 once its part holds 40 chunks (and rank 2's 1): mpirun
  // ends the job, rank 2 with it; the parts keep their chunks.
  const std::string out = fresh("kill.h5");
  const FrozenRun run = startFrozen(out);
  ChildGuard guard{run.mpirun};
  const RankGuard rankGuard{run.processes};
  ASSERT_TRUE(run.frozen);
  kill(run.ranks[0], SIGKILL);
  kill(run.ranks[1], SIGCONT);
  EXPECT_NE(waitFor(run.mpirun), 0);
  guard.pid = 0;
  EXPECT_TRUE(waitUntilGone(run.processes)) << "a rank outlived mpirun by two minutes";
  EXPECT_FALSE(fs::exists(out));
  const auto parts = partFiles(out);
  ASSERT_EQ(parts.size(), 2u);
  // Rank 1 was killed while stopped after a commit: its part is whole, with exactly its 40.
  EXPECT_EQ(committedChunks(parts[0]), kStopRank1);
  // Rank 2's part is not read with plain HDF5: mpirun ends rank 2 with SIGTERM and, a second
  // later, SIGKILL, which on a loaded machine comes while it still writes. Such a part may be
  // cut short of the space its superblock counts, which HDF5 refuses to open ("truncated
  // file"); the resume verifies it by its checksums (docs/hdf5-format.md). What the resume
  // found is the count: every committed chunk of both ranks (rank 1's 40, rank 2's first and
  // any it committed after), and not the whole scan.
  const CliResult resumed =
      runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const std::uint64_t done = pointsDoneAtResume(resumed.err);
  EXPECT_GE(done, (kStopRank1 + kStopRank2) * 4096) << resumed.err;
  EXPECT_LT(done, 40u * 40u * 240u) << resumed.err;
  expectIdentical(*serial, out);
}

TEST_F(Mpi, TheSlurmScriptRunsTheScanAndResumesIt) {
  // scans/cluster/mpi.sbatch as SLURM runs it, with an mpirun on PATH that records its
  // arguments and starts the real one with two local ranks (the allocation SLURM would give).
  const fs::path bin = dir() / "bin";
  fs::create_directories(bin);
  writeText(bin / "mpirun", "#!/bin/sh\necho \"$@\" > '" + (dir() / "mpirun-args").string() +
                                "'\nexec '" MPIEXEC_BINARY
                                "' --allow-run-as-root --oversubscribe -n 2 \"$@\"\n");
  fs::permissions(bin / "mpirun", fs::perms::owner_all);
  const std::string out = fresh("sbatch.h5");
  const std::string command = "PATH='" + bin.string() +
                              "':$PATH PORTALSCAN='" PORTALSCAN_BINARY
                              "' SLURM_CPUS_PER_TASK=1 bash '" PORTALSCAN_SOURCE_DIR
                              "/scans/cluster/mpi.sbatch' '" +
                              config() + "' '" + out + "'";
  const CliResult r = runShell(command);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(readFile(dir() / "mpirun-args").find("--bind-to none -x OMP_NUM_THREADS"),
            std::string::npos);
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
  // Resubmitted after it finished (a requeue): already complete, nothing changes.
  const CliResult again = runShell(command);
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;
  expectIdentical(*serial, out);
}

TEST_F(Mpi, APlainResumeRefusesAndADifferentRankCountResumes) {
  // A plain `run --resume` of an interrupted MPI scan ran everything again and left the parts
  // behind; resuming with another rank count was refused. Interrupt 2 ranks once both have
  // stopped themselves:
  const std::string out = fresh("ranks.h5");
  const FrozenRun run = startFrozen(out, kGrace);
  ChildGuard guard{run.mpirun};
  const RankGuard rankGuard{run.processes};
  ASSERT_TRUE(run.frozen);
  EXPECT_NE(terminate(run), 0);
  guard.pid = 0;
  ASSERT_TRUE(partsLeft(out));
  const auto parts = partFiles(out);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_LT(committedChunks(parts[0]) + committedChunks(parts[1]), kChunks);
  // (A stop that came during the join leaves a partial OUT beside the parts: it stays as it is.)
  const bool joinStarted = fs::exists(out);
  const CliResult plain = runCli("run '" + config() + "' -j 1 -o '" + out + "' --resume");
  EXPECT_EQ(plain.code, 2) << plain.err;
  EXPECT_EQ(plain.errLines(), 1) << plain.err;
  EXPECT_NE(plain.err.find("mpirun -n 2 "), std::string::npos) << plain.err;
  EXPECT_EQ(fs::exists(out), joinStarted);
  EXPECT_TRUE(partsLeft(out));
  // Three ranks take over the two parts' chunks and join all five parts.
  const CliResult resumed =
      runShell(shell(mpirun(3, {"run", config(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("joined           5 part files"), std::string::npos) << resumed.out;
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
}

TEST_F(Mpi, BadInputIsOneLineFromOneRank) {
  const CliResult r =
      runShell(shell(mpirun(2, {"run", config(), "--shard", "1/2", "-o", fresh("shard.h5")})));
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(errorLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "shard.h5"));
  EXPECT_FALSE(partsLeft((dir() / "shard.h5").string()));
}

// A refine scan under mpirun (docs/config.md, "refine"): the base grid and each round's chunks
// are handed out by the dispatcher, every rank learns the round's verdicts and plans the next one
// itself. The lfv_nsi plane of RefineTest.cpp (its boundary known analytically; 1442 points in 93
// chunks of 16 over 6 rounds).
class MpiRefine : public ::testing::Test {
 protected:
  static std::string refineConfig() {
    const auto p = dir() / "refine.json";
    writeText(p, R"({
  "model": "lfv_nsi",
  "parameters": {
    "sin_alpha_mix": 0.1, "sin_beta_mix": 0.1,
    "m_Zprime": {"range": [0.001, 2.0], "scale": "log", "points": 9},
    "g_psi": {"range": [1e-4, 3.0], "scale": "log", "points": 9}
  },
  "sampler": {"kind": "refine", "depth": 5},
  "constraints": ["bbn_zprime_mass", "meson_decays_g_nu"],
  "output": {"chunk_points": 16, "commit_seconds": 0}
})");
    return p.string();
  }
  static void SetUpTestSuite() {
    serial = new std::string(fresh("refine-serial.h5"));
    const CliResult r = runCli("run '" + refineConfig() + "' -j 2 -o '" + *serial + "'");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete serial; }
  static std::string* serial;

  /// mpirun with two ranks, rank 1 (the dispatcher) stopping itself after its 10th committed
  /// chunk (in round 2 or later: round 0 has 6 chunks, round 1 3), rank 2 without the hook;
  /// rank 1's pid once it has stopped (0 if it never did).
  /// `ranks`: both ranks, once rank 1 has stopped (with `grace`: see mpirunStopping).
  static pid_t startStopped(const std::string& out, pid_t& mpirunPid, std::vector<Rank>& ranks,
                            int grace = 0) {
    mpirunPid = startProcess(
        mpirunStopping(kRefineStop, 0, {"run", refineConfig(), "-j", "1", "-o", out}, grace));
    for (int i = 0; i < 30000; ++i) {
      for (pid_t p : children(mpirunPid)) {
        if (hasEnvironment(p, stopAfterChunks(kRefineStop))) {
          if (!waitUntilStopped(p, 300)) return 0;
          ranks = ranksOf(mpirunPid);  // rank 2 too: both are in MPI_Init's world by now
          return p;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }
  static constexpr std::uint64_t kRefineStop = 10;
};
std::string* MpiRefine::serial = nullptr;

TEST_F(MpiRefine, OneTwoAndThreeRanksWriteTheOneProcessFile) {
  for (int ranks : {1, 2, 3}) {
    SCOPED_TRACE(std::to_string(ranks) + " ranks");
    const std::string out = fresh("refine-" + std::to_string(ranks) + ".h5");
    const CliResult r =
        runShell(shell(mpirun(ranks, {"run", refineConfig(), "-j", "1", "-o", out})));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("81 + 45 + 89 + 177 + 349 + 701 points"), std::string::npos) << r.out;
    expectIdentical(*serial, out);
    EXPECT_FALSE(partsLeft(out));
  }
}

TEST_F(MpiRefine, AnInterruptedRunResumesOnThreeRanksToTheSameFile) {
  // SIGTERM to mpirun once rank 1 has stopped itself mid-scan; the parts of the two ranks are
  // taken over by three.
  const std::string out = fresh("refine-term.h5");
  pid_t pid = 0;
  std::vector<Rank> ranks;
  const pid_t rank1 = startStopped(out, pid, ranks, kGrace);
  ChildGuard guard{pid};
  const RankGuard rankGuard{ranks};
  ASSERT_NE(rank1, 0);
  ASSERT_EQ(ranks.size(), 2u);
  // SIGTERM to every process of the job, as SLURM's time limit sends it: mpirun and the ranks
  // (pending in the stopped rank 1 until it continues). mpirun alone forwards its signal only
  // after its grace, and the rest of this small scan takes rank 1 well under a second.
  kill(pid, SIGTERM);
  for (const Rank& r : ranks) kill(r.pid, SIGTERM);
  kill(rank1, SIGCONT);
  EXPECT_NE(waitFor(pid), 0);
  guard.pid = 0;
  EXPECT_TRUE(waitUntilGone(ranks)) << "a rank outlived mpirun by two minutes";
  EXPECT_FALSE(fs::exists(out));
  const auto parts = partFiles(out);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_GE(committedChunks(parts[0]), kRefineStop);
  EXPECT_LT(committedChunks(parts[0]) + committedChunks(parts[1]), 93u);
  const CliResult resumed =
      runShell(shell(mpirun(3, {"run", refineConfig(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos) << resumed.err;
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
}

TEST_F(MpiRefine, AKilledRankLosesNoCommittedChunkAndTheRunResumes) {
  const std::string out = fresh("refine-kill.h5");
  pid_t pid = 0;
  std::vector<Rank> ranks;
  const pid_t rank1 = startStopped(out, pid, ranks);
  ChildGuard guard{pid};
  const RankGuard rankGuard{ranks};
  ASSERT_NE(rank1, 0);
  kill(rank1, SIGKILL);
  EXPECT_NE(waitFor(pid), 0);
  guard.pid = 0;
  EXPECT_TRUE(waitUntilGone(ranks)) << "a rank outlived mpirun by two minutes";
  const auto parts = partFiles(out);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(committedChunks(parts[0]), kRefineStop);
  // Without mpirun the parts are not resumed (one line, exit 2).
  const CliResult plain = runCli("run '" + refineConfig() + "' -j 1 -o '" + out + "' --resume");
  EXPECT_EQ(plain.code, 2) << plain.err;
  EXPECT_EQ(plain.errLines(), 1) << plain.err;
  const CliResult resumed =
      runShell(shell(mpirun(2, {"run", refineConfig(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
}

}  // namespace
}  // namespace portalscan::test
