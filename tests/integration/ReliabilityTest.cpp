// Never lose a scan: interrupt real runs (SIGINT, SIGTERM, SIGKILL) at
// several moments, resume, and compare with an uninterrupted run dataset by
// dataset; a full disk and an unwritable path; shards and merge.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Chunks of 512 points, each committed as soon as it is written: many
// commit records to tear.
const std::string kScan = gridScanConfig(512);

std::string file(const std::string& name) {
  const auto p = scratchDirectory() / name;
  fs::remove(p);
  return p.string();
}

std::string config(const std::string& name, const std::string& json = kScan) {
  const auto p = scratchDirectory() / name;
  std::ofstream(p) << json;
  return p.string();
}

pid_t start(const std::vector<std::string>& args) {
  std::vector<std::string> argv{PORTALSCAN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return startProcess(argv);
}

class Reliability : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference = new std::string(file("reference.h5"));
    const auto t = Clock::now();
    ASSERT_EQ(runCli("run '" + config("reliability.json") + "' -o '" + *reference + "'").code, 0);
    seconds = std::chrono::duration<double>(Clock::now() - t).count();
  }
  static void TearDownTestSuite() { delete reference; }
  static std::string* reference;
  static double seconds;
};
std::string* Reliability::reference = nullptr;
double Reliability::seconds = 0;

TEST_F(Reliability, InterruptedRunsResumeToIdenticalFiles) {
  // Each signal at 20%, 50% and 80% of an uninterrupted run's duration.
  int trials = 0;
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    for (double fraction : {0.2, 0.5, 0.8}) {
      const std::string out = file("interrupted.h5");
      const pid_t pid = start({"run", config("reliability.json"), "-o", out});
      std::this_thread::sleep_for(std::chrono::duration<double>(fraction * seconds));
      kill(pid, sig);
      const int code = waitFor(pid);
      if (sig != SIGKILL && code != 0) {
        EXPECT_EQ(code, 128 + sig) << "signal " << sig;  // stopped cleanly, non-zero
      }
      const CliResult resumed =
          runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
      ASSERT_EQ(resumed.code, 0) << "signal " << sig << " at " << fraction << ": " << resumed.err;
      expectIdentical(*reference, out);
      ++trials;
    }
  }
  EXPECT_EQ(trials, 9);
}

TEST_F(Reliability, AFileCutShortAfterAKillResumesToTheSameFile) {
  // A killed run's file, then its last 40% lost (a node crash before the page
  // cache reached the disk): the checksums find the surviving chunks.
  const std::string out = file("cut.h5");
  const pid_t pid = start({"run", config("reliability.json"), "-o", out});
  std::this_thread::sleep_for(std::chrono::duration<double>(0.7 * seconds));
  kill(pid, SIGKILL);
  waitFor(pid);
  ASSERT_TRUE(fs::exists(out));
  fs::resize_file(out, fs::file_size(out) * 6 / 10);
  const CliResult resumed =
      runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*reference, out);
}

TEST_F(Reliability, ASecondInterruptExitsAtOnceAndStillResumes) {
  const std::string out = file("twice.h5");
  const pid_t pid = start({"run", config("reliability.json"), "-o", out});
  std::this_thread::sleep_for(std::chrono::duration<double>(0.4 * seconds));
  kill(pid, SIGINT);
  kill(pid, SIGINT);
  EXPECT_EQ(waitFor(pid), 128 + SIGINT);
  ASSERT_EQ(runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume").code, 0);
  expectIdentical(*reference, out);
}

TEST_F(Reliability, ResumeRefusesADifferentConfigAndKnowsWhenItIsDone) {
  const std::string other = config("other.json", gridScanConfig(512, 61));
  const CliResult r = runCli("run '" + other + "' -o '" + *reference + "' --resume");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.errLines(), 1);
  EXPECT_NE(r.err.find("different configuration"), std::string::npos) << r.err;
  const CliResult done =
      runCli("run '" + config("reliability.json") + "' -o '" + *reference + "' --resume");
  EXPECT_EQ(done.code, 0);
  EXPECT_NE(done.out.find("already complete"), std::string::npos);
  EXPECT_EQ(runCli("run '" + config("reliability.json") + "' -o x.h5 --resume --force").code, 2);
}

TEST_F(Reliability, AFullDiskIsOneClearErrorAndKeepsEarlierData) {
  // A file-size limit (SIGXFSZ ignored, so writes fail with EFBIG) stands in for a full disk.
  const std::string out = file("full.h5");
  const CliResult r = runCli("run '" + config("reliability.json") + "' -o '" + out + "'", "",
                             "trap '' XFSZ; ulimit -f 5000; ");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find("File too large"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resume"), std::string::npos) << r.err;
  {
    const RawFile partial(out);
    ASSERT_TRUE(partial.ok());
    EXPECT_GT(partial.rows("/chunks/range"), 0u);  // earlier chunks are intact and committed
    // While a reader holds HDF5's lock, resuming is one clear line, and harmless.
    const CliResult locked =
        runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
    EXPECT_EQ(locked.code, 2) << locked.err;
    EXPECT_EQ(locked.errLines(), 1) << locked.err;
    EXPECT_NE(locked.err.find("in use by another process"), std::string::npos) << locked.err;
  }
  const CliResult resumed =
      runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*reference, out);
}

TEST_F(Reliability, AnUnwritableOutputIsOneClearErrorAndCreatesNothing) {
  for (const std::string out : {"/proc/portalscan-test.h5", "/nonexistent/portalscan.h5"}) {
    const CliResult r = runCli("run '" + config("reliability.json") + "' -o '" + out + "'");
    EXPECT_EQ(r.code, 2) << out << ": " << r.err;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_FALSE(fs::exists(out));
  }
}

TEST_F(Reliability, ThreeShardsMergeIntoTheUnshardedFile) {
  std::vector<std::string> shards;
  for (int k = 1; k <= 3; ++k) {
    shards.push_back(file("shard" + std::to_string(k) + ".h5"));
    const CliResult r = runCli("run '" + config("reliability.json") + "' --shard " +
                               std::to_string(k) + "/3 -o '" + shards.back() + "'");
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const std::string merged = file("merged.h5");
  const CliResult m = runCli("merge -o '" + merged + "' '" + shards[2] + "' '" + shards[0] + "' '" +
                             shards[1] + "'");
  ASSERT_EQ(m.code, 0) << m.err;
  expectIdentical(*reference, merged);
  // Whole storage chunks with the same filters are copied as stored: all but
  // the scan's last (partial) chunk here.
  auto copied = [](const std::string& out) {
    const auto at = out.find("; ");
    unsigned long stored = 0, total = 0;
    EXPECT_EQ(
        std::sscanf(out.c_str() + at, "; %lu of %lu chunks copied as stored", &stored, &total), 2)
        << out;
    return std::make_pair(stored, total);
  };
  const auto [stored, total] = copied(m.out);
  EXPECT_GT(total, 2u);
  EXPECT_EQ(stored, total - 1);
  // A shard written uncompressed (compression is not part of the scan's
  // identity) is re-encoded instead: the merged file is the same.
  std::string uncompressed = kScan;
  uncompressed.replace(uncompressed.find("\"chunk_points\": 512"), 19,
                       "\"chunk_points\": 512, \"compression\": 0");
  const std::string plain = file("shard2-plain.h5");
  ASSERT_EQ(
      runCli("run '" + config("plain.json", uncompressed) + "' --shard 2/3 -o '" + plain + "'")
          .code,
      0);
  const std::string mixed = file("merged-mixed.h5");
  const CliResult mm =
      runCli("merge -o '" + mixed + "' '" + shards[0] + "' '" + plain + "' '" + shards[2] + "'");
  ASSERT_EQ(mm.code, 0) << mm.err;
  expectIdentical(*reference, mixed);
  EXPECT_LT(copied(mm.out).first, stored);

  auto refused = [](const std::string& args, const char* fragment) {
    const CliResult r = runCli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
  };
  refused("merge -o '" + file("m1.h5") + "' '" + shards[0] + "' '" + shards[2] + "'",
          "missing shard(s) 2/3");
  refused("merge -o '" + file("m2.h5") + "' '" + shards[0] + "' '" + shards[0] + "' '" + shards[1] +
              "' '" + shards[2] + "'",
          "are in both");
  const std::string other = file("other-shard.h5");
  const std::string otherConfig = config("other2.json", gridScanConfig(512, 62));
  ASSERT_EQ(runCli("run '" + otherConfig + "' --shard 2/3 -o '" + other + "'").code, 0);
  refused(
      "merge -o '" + file("m3.h5") + "' '" + shards[0] + "' '" + other + "' '" + shards[2] + "'",
      "different configuration");
  refused("run '" + config("reliability.json") + "' --shard 4/3", "1 <= K <= N");
  refused("run '" + config("reliability.json") + "' --shard two", "expects K/N");
}

}  // namespace
}  // namespace portalscan::test
