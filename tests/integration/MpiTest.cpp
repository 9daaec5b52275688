// `mpirun -n 2 portalscan run`: the same file as a one-process run, and an
// interrupted MPI run (SIGTERM to mpirun, SIGKILL to one rank) resumes to it.
// Built only with PORTALSCAN_ENABLE_MPI.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// About a second of work for two single-threaded ranks, in many chunks.
const std::string kScan = gridScanConfig(1024);

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
  std::ofstream(p) << kScan;
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

bool partsLeft(const std::string& out) {
  const std::string stem = fs::path(out).stem().string() + ".part-";
  for (const auto& e : fs::directory_iterator(dir())) {
    if (e.path().filename().string().rfind(stem, 0) == 0) return true;
  }
  return false;
}

class Mpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    serial = new std::string(fresh("serial.h5"));
    ASSERT_EQ(runCli("run '" + config() + "' -j 2 -o '" + *serial + "'").code, 0);
    // The reference MPI run, timed for the interruptions below.
    const std::string out = fresh("two-ranks.h5");
    const auto t = Clock::now();
    const CliResult r = runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out})));
    seconds = std::chrono::duration<double>(Clock::now() - t).count();
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete serial; }
  static std::string* serial;
  static double seconds;
};
std::string* Mpi::serial = nullptr;
double Mpi::seconds = 0;

TEST_F(Mpi, TwoRanksWriteTheFileOfAOneProcessRun) {
  const std::string out = (dir() / "two-ranks.h5").string();
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out)) << "the part files are removed once joined";
  const RawFile f(out);
  EXPECT_EQ(f.intAttribute("/", "complete"), 1);
}

TEST_F(Mpi, AnInterruptedRunResumesToTheSameFile) {
  // SIGTERM to mpirun (what SLURM's time limit does), at 40% of a run.
  const std::string out = fresh("term.h5");
  const pid_t pid = startProcess(mpirun(2, {"run", config(), "-j", "1", "-o", out}));
  std::this_thread::sleep_for(std::chrono::duration<double>(0.4 * seconds));
  kill(pid, SIGTERM);
  EXPECT_NE(waitFor(pid), 0);
  const CliResult resumed =
      runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*serial, out);
  EXPECT_FALSE(partsLeft(out));
}

TEST_F(Mpi, AKilledRankLosesNoCommittedChunk) {
  // SIGKILL to rank 2 at 40%: mpirun ends the job; the parts keep their chunks.
  const std::string out = fresh("kill.h5");
  const pid_t pid = startProcess(mpirun(2, {"run", config(), "-j", "1", "-o", out}));
  std::this_thread::sleep_for(std::chrono::duration<double>(0.4 * seconds));
  const auto ranks = children(pid);
  ASSERT_EQ(ranks.size(), 2u);
  kill(ranks.back(), SIGKILL);
  EXPECT_NE(waitFor(pid), 0);
  const CliResult resumed =
      runShell(shell(mpirun(2, {"run", config(), "-j", "1", "-o", out, "--resume"})));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*serial, out);
}

TEST_F(Mpi, APlainResumeRefusesAndADifferentRankCountResumes) {
  // A plain `run --resume` of an interrupted MPI scan ran everything again and left the parts
  // behind; resuming with another rank count was refused. Interrupt 2 ranks at 40%:
  const std::string out = fresh("ranks.h5");
  const pid_t pid = startProcess(mpirun(2, {"run", config(), "-j", "1", "-o", out}));
  std::this_thread::sleep_for(std::chrono::duration<double>(0.4 * seconds));
  kill(pid, SIGTERM);
  EXPECT_NE(waitFor(pid), 0);
  ASSERT_TRUE(partsLeft(out));
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
  std::istringstream lines(r.err);
  int errors = 0;
  for (std::string line; std::getline(lines, line);) {
    errors += line.rfind("portalscan: error:", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(errors, 1) << r.err;
  EXPECT_NE(r.err.find("--shard"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "shard.h5"));
  EXPECT_FALSE(partsLeft((dir() / "shard.h5").string()));
}

}  // namespace
}  // namespace portalscan::test
