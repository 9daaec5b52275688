// Never lose a scan: interrupt real runs (SIGINT, SIGTERM, SIGKILL) at
// several moments, resume, and compare with an uninterrupted run dataset by
// dataset; a full disk and an unwritable path; shards and merge.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <thread>
#include <tuple>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

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
  writeText(p, json);
  return p.string();
}

pid_t start(const std::vector<std::string>& args, const std::vector<std::string>& env = {},
            const std::string& errPath = "") {
  std::vector<std::string> argv{PORTALSCAN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return startProcess(argv, env, errPath);
}

/// Committed chunks of a scan file (its /chunks records), and whether it is complete.
std::uint64_t committedChunks(const std::string& path) {
  const RawFile f(path);
  EXPECT_TRUE(f.ok()) << path << ": " << f.why;
  return f.ok() ? f.rows("/chunks/range") : 0;
}
bool complete(const std::string& path) {
  const RawFile f(path);
  return f.ok() && f.hasAttribute("/", "complete") && f.intAttribute("/", "complete") == 1;
}

class Reliability : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reference = new std::string(file("reference.h5"));
    ASSERT_EQ(runCli("run '" + config("reliability.json") + "' -o '" + *reference + "'").code, 0);
  }
  static void TearDownTestSuite() { delete reference; }
  /// The chunks of the whole scan: 40 x 40 x 60 = 96 000 points in chunks of 512.
  static constexpr std::uint64_t kChunks = (40 * 40 * 60 + 511) / 512;
  static std::string* reference;

  /// Starts the scan on `out` and waits until it has stopped itself after
  /// committing `threshold` chunks (the writer's test hook).
  static pid_t startAndStopAfter(const std::string& out, std::uint64_t threshold,
                                 const std::string& errPath = "") {
    const pid_t pid = start({"run", config("reliability.json"), "-o", out},
                            {stopAfterChunks(threshold)}, errPath);
    EXPECT_TRUE(waitUntilStopped(pid)) << "the run did not stop after " << threshold << " chunks";
    return pid;
  }
};
std::string* Reliability::reference = nullptr;

TEST_F(Reliability, TheReferenceRunHasEveryChunk) {
  EXPECT_EQ(committedChunks(*reference), kChunks);
  EXPECT_TRUE(complete(*reference));
}

TEST_F(Reliability, InterruptedRunsResumeToIdenticalFiles) {
  // Each signal once the file holds 20%, 50% and 80% of the scan's chunks: the
  // run stops itself there (SIGSTOP), is sent the signal, and is continued.
  for (int sig : {SIGINT, SIGTERM, SIGKILL}) {
    for (double fraction : {0.2, 0.5, 0.8}) {
      SCOPED_TRACE("signal " + std::to_string(sig) + " at " + std::to_string(fraction));
      const auto threshold = static_cast<std::uint64_t>(fraction * kChunks);
      const std::string out = file("interrupted.h5");
      const pid_t pid = startAndStopAfter(out, threshold);
      ChildGuard guard{pid};
      kill(pid, sig);
      kill(pid, SIGCONT);
      // SIGINT/SIGTERM: the chunks in flight are finished and committed, exit
      // 128 + signal; SIGKILL: ended where it stood.
      EXPECT_EQ(waitFor(pid), 128 + sig);
      guard.pid = 0;
      const std::uint64_t committed = committedChunks(out);
      EXPECT_FALSE(complete(out));
      EXPECT_LT(committed, kChunks);
      if (sig == SIGKILL) {
        EXPECT_EQ(committed, threshold);
      } else {
        EXPECT_GE(committed, threshold);
      }
      const CliResult resumed =
          runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
      ASSERT_EQ(resumed.code, 0) << resumed.err;
      expectIdentical(*reference, out);
    }
  }
}

TEST_F(Reliability, AFileCutShortAfterAKillResumesToTheSameFile) {
  // A file killed at 70% of its chunks, then its last 40% lost (a node crash
  // before the page cache reached the disk): the checksums find the surviving chunks.
  const std::string out = file("cut.h5");
  const auto threshold = static_cast<std::uint64_t>(0.7 * kChunks);
  const pid_t pid = startAndStopAfter(out, threshold);
  ChildGuard guard{pid};
  kill(pid, SIGKILL);
  EXPECT_EQ(waitFor(pid), 128 + SIGKILL);
  guard.pid = 0;
  EXPECT_EQ(committedChunks(out), threshold);
  fs::resize_file(out, fs::file_size(out) * 6 / 10);
  const CliResult resumed =
      runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  expectIdentical(*reference, out);
}

TEST_F(Reliability, ASecondInterruptExitsAtOnceAndStillResumes) {
  // SIGINT and SIGTERM both pending when the stopped run continues (two of
  // one kind would be one pending signal): whichever is handled first asks for
  // a clean stop, the other exits at once, committing nothing more.
  const std::string out = file("twice.h5");
  const std::string err = file("twice.err");
  const auto threshold = static_cast<std::uint64_t>(0.4 * kChunks);
  const pid_t pid = startAndStopAfter(out, threshold, err);
  ChildGuard guard{pid};
  kill(pid, SIGINT);
  kill(pid, SIGTERM);
  kill(pid, SIGCONT);
  const int code = waitFor(pid);
  guard.pid = 0;
  EXPECT_TRUE(code == 128 + SIGINT || code == 128 + SIGTERM) << code;
  const std::string said = readFile(err);
  EXPECT_NE(said.find("second interrupt: exiting now"), std::string::npos) << said;
  EXPECT_EQ(said.find("portalscan: interrupted by"), std::string::npos) << said;
  EXPECT_EQ(committedChunks(out), threshold);
  ASSERT_EQ(runCli("run '" + config("reliability.json") + "' -o '" + out + "' --resume").code, 0);
  expectIdentical(*reference, out);
}

TEST_F(Reliability, CommitSecondsBoundsTheWorkAKillLoses) {
  // output.commit_seconds is the most time between commits (docs/config.md): a kill loses at
  // most that much work plus the chunks in flight. The writer's hook stops each run at its
  // first commit, where a kill would lose everything before it.
  auto firstCommit = [&](const std::string& name, const std::string& seconds) {
    std::string json = kScan;
    json.replace(json.find("\"commit_seconds\": 0"), 19, "\"commit_seconds\": " + seconds);
    const std::string out = file(name + ".h5");
    const auto t = std::chrono::steady_clock::now();
    const pid_t pid =
        start({"run", config(name + ".json", json), "-j", "1", "-o", out}, {stopAfterChunks(1)});
    ChildGuard guard{pid};
    // The writer's start: its file appears (created before the first chunk, where the interval
    // starts to count), seen within a millisecond.
    const auto since = [&t] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    double created = -1;
    for (char state = processState(pid);
         created < 0 && since() < 60 && state != 'T' && state != 't' && state != 0 && state != 'Z';
         state = processState(pid)) {
      if (fs::exists(out)) created = since();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_TRUE(waitUntilStopped(pid));
    const double elapsed = since();
    EXPECT_GE(created, 0.0) << "the file of " << name << " was not seen before its first commit";
    kill(pid, SIGKILL);
    EXPECT_EQ(waitFor(pid), 128 + SIGKILL);
    guard.pid = 0;
    return std::make_tuple(committedChunks(out), elapsed, out, elapsed - created);
  };
  // 0: every chunk is committed as it is written; the first commit holds one. The time to it
  // is the start-up plus one chunk, the offset of the interval run below.
  const auto [one, everySeconds, everyFile, everyWriter] = firstCommit("every", "0");
  EXPECT_EQ(one, 1u);
  // Longer than the run: the first commit is the last, at the end, with every chunk.
  const auto [atEnd, endSeconds, endFile, endWriter] = firstCommit("never", "3600");
  EXPECT_EQ(atEnd, kChunks);
  EXPECT_FALSE(complete(endFile));
  // The config hash leaves commit_seconds out: the original config resumes that file.
  ASSERT_EQ(runCli("run '" + config("reliability.json") + "' -o '" + endFile + "' --resume").code,
            0);
  expectIdentical(*reference, endFile);
  // An interval of half the whole run (measured above: 1 to 11 s by the machine's load, after
  // the kernels got faster) on one thread: not before the interval, with part of the run only,
  // and not much after it. The interval counts from the writer's start, before the kernels'
  // one-time tables and the first chunk, so the first commit comes at most one chunk after the
  // interval plus those tables. The allowance adds 0.25 s of jitter and a second chunk; a writer
  // that waited twice the interval would miss it by more than 0.25 s.
  // On a shared machine the load can fall between the runs, so that the interval run ends
  // before its interval and commits every chunk at its end: then it is tried again with half
  // the interval (at most twice), which still has to hold the bounds below.
  double interval = std::max(0.5, 0.5 * endSeconds);
  auto intervalRun = [&](double s) {
    std::ostringstream text;
    text << std::setprecision(3) << s;
    return firstCommit("interval", text.str());
  };
  auto [some, seconds, someFile, sinceWriter] = intervalRun(interval);
  for (int retry = 0; retry < 2 && some == kChunks && interval > 0.5; ++retry) {
    interval = std::max(0.5, 0.5 * interval);
    std::tie(some, seconds, someFile, sinceWriter) = intervalRun(interval);
  }
  EXPECT_GE(seconds, interval);
  EXPECT_GE(some, 1u);
  EXPECT_LT(some, kChunks) << "interval " << interval << " s, whole run " << endSeconds << " s";
  // Counted from the writer's start in the same run (its file's creation), so that the
  // process's start-up, which the load of a shared machine can stretch between one run and the
  // next, is not part of the bound: the interval, then what the writer's start to its first
  // commit took in the "every" run (the kernels' one-time tables and one chunk), a second chunk
  // and 0.25 s of jitter.
  const double perChunk = (endSeconds - everySeconds) / static_cast<double>(kChunks - 1);
  EXPECT_LT(sinceWriter, interval + everyWriter + 2 * perChunk + 0.25)
      << "first commit " << sinceWriter << " s after the file was created (" << seconds
      << " s after the start); in the \"every\" run " << everyWriter << " s; one chunk " << perChunk
      << " s";
  EXPECT_FALSE(complete(someFile));
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
  const std::string never = file("x.h5");
  EXPECT_EQ(
      runCli("run '" + config("reliability.json") + "' -o '" + never + "' --resume --force").code,
      2);
  EXPECT_FALSE(fs::exists(never));
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
  // Bad shard specs, with the output named in the scratch directory: a refusal that broke
  // would otherwise write into ctest's working directory. Nothing is written either way.
  const std::string bad = file("bad-shard.h5");
  refused("run '" + config("reliability.json") + "' --shard 4/3 -o '" + bad + "'", "1 <= K <= N");
  refused("run '" + config("reliability.json") + "' --shard two -o '" + bad + "'", "expects K/N");
  EXPECT_FALSE(std::filesystem::exists(bad));
}

}  // namespace
}  // namespace portalscan::test
