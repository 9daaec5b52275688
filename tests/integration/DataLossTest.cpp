// The data-loss paths found by attacking the engine (the hardening issue,
// items 1-4), each reproduced here: a refused --force onto a file another
// portalscan writes, a finished file whose commit records cannot be read, a
// salvage copy that cannot be written, and --force onto a file that is not a
// scan file (the scan's own config among them).

#include "integration/CliRunner.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

fs::path folder(const std::string& name) { return freshDirectory(name); }

void write(const fs::path& p, const std::string& text) { writeText(p, text); }

// 40 x 40 x 240 points in chunks of 512, committed one by one: several seconds of work.
const std::string kLong = gridScanConfig(512, 240);
const std::string kShort = gridScanConfig(512, 30);

class DataLoss : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto d = folder("dataloss-reference");
    write(d / "short.json", kShort);
    reference = new std::string((d / "short.h5").string());
    ASSERT_EQ(runCli("run '" + (d / "short.json").string() + "' -o '" + *reference + "'").code, 0);
  }
  static void TearDownTestSuite() { delete reference; }
  static std::string* reference;
};
std::string* DataLoss::reference = nullptr;

TEST_F(DataLoss, ARefusedForceLeavesARunningScanUntouched) {
  const fs::path d = folder("force-running");
  write(d / "long.json", kLong);
  write(d / "short.json", kShort);
  const fs::path out = d / "out.h5";
  // The writer's hook stops the scan after 100 of its 750 chunks, holding its lock: the test
  // acts while the scan is certainly unfinished, however loaded the machine.
  const pid_t pid =
      startProcess({PORTALSCAN_BINARY, "run", (d / "long.json").string(), "-o", out.string()},
                   {stopAfterChunks(100)});
  ChildGuard guard{pid};
  ASSERT_TRUE(waitUntilStopped(pid)) << "the scan ended before the test could act";
  for (const std::string& command :
       {"run '" + (d / "short.json").string() + "' -o '" + out.string() + "' --force",
        "merge -o '" + out.string() + "' '" + *reference + "' --force"}) {
    const CliResult r = runCli(command);
    EXPECT_EQ(r.code, 2) << command << ": " << r.err;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_NE(r.err.find("in use by another process"), std::string::npos) << r.err;
  }
  kill(pid, SIGCONT);
  ASSERT_EQ(waitFor(pid), 0);
  guard.pid = 0;
  {  // The running scan's file is whole: every chunk committed, complete, resumable as done.
    const RawFile f(out.string());
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f.rows("/chunks/range"), 40u * 40u * 240u / 512u);
    EXPECT_EQ(f.intAttribute("/", "complete"), 1);
  }
  const CliResult again =
      runCli("run '" + (d / "long.json").string() + "' -o '" + out.string() + "' --resume");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already complete (384000 points)"), std::string::npos) << again.out;
}

TEST_F(DataLoss, UnreadableCommitRecordsAreDamageNeverComplete) {
  const fs::path d = folder("records");
  write(d / "short.json", kShort);
  const fs::path out = d / "cut.h5";
  fs::copy_file(*reference, out);
  // A finished file cut to 5% of its size: its commit records can no longer be read.
  fs::resize_file(out, fs::file_size(out) / 20);
  const CliResult r =
      runCli("run '" + (d / "short.json").string() + "' -o '" + out.string() + "' --resume");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find("already complete"), std::string::npos) << r.out;
  expectIdentical(*reference, out.string());
}

TEST_F(DataLoss, AFailedSalvageCopySaysWhatToDoAndLeavesNothingBehind) {
  const fs::path d = folder("salvage");
  write(d / "long.json", kLong);
  const fs::path out = d / "crashed.h5";
  const std::string run = "run '" + (d / "long.json").string() + "' -o '" + out.string() + "'";
  const pid_t pid =
      startProcess({PORTALSCAN_BINARY, "run", (d / "long.json").string(), "-o", out.string()},
                   {stopAfterChunks(300)});
  ChildGuard guard{pid};
  ASSERT_TRUE(waitUntilStopped(pid)) << "the scan ended before the test could act";
  kill(pid, SIGKILL);
  EXPECT_EQ(waitFor(pid), 128 + SIGKILL);
  guard.pid = 0;
  const auto size = fs::file_size(out);
  // Not enough room for the copy (a file-size limit below the file's own size).
  const CliResult r = runCli(run + " --resume", "",
                             "trap '' XFSZ; ulimit -f " + std::to_string(size / 1024 / 2) + "; ");
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_EQ(r.err.find("damaged beyond repair"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("is untouched"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("free"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out.string() + ".salvage"));
  EXPECT_EQ(fs::file_size(out), size);
  // With room again, the resume finishes the scan.
  const CliResult resumed = runCli(run + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  const RawFile f(out.string());
  EXPECT_EQ(f.intAttribute("/", "complete"), 1);
  EXPECT_EQ(f.rows("/index"), 384000u);
}

TEST_F(DataLoss, ForceNeverWritesOverTheConfigOrAFileThatIsNotAScan) {
  const fs::path d = folder("not-a-scan");
  write(d / "short.json", kShort);
  write(d / "notes.txt", "my notes\n");
  {  // an HDF5 file of someone else's
    const hid_t f = H5Fcreate((d / "other.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    H5Fclose(f);
  }
  const std::string config = (d / "short.json").string();
  for (const std::string& target :
       {config, (d / "notes.txt").string(), (d / "other.h5").string()}) {
    const std::size_t before = std::hash<std::string>{}(readFile(target));
    const CliResult r = runCli("run '" + config + "' -o '" + target + "' --force");
    EXPECT_EQ(r.code, 2) << target << ": " << r.err;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_EQ(std::hash<std::string>{}(readFile(target)), before) << target << " was changed";
  }
  // A scan file is replaced by --force as before.
  const std::string scan = (d / "scan.h5").string();
  fs::copy_file(*reference, scan);
  EXPECT_EQ(runCli("run '" + config + "' -o '" + scan + "' --force").code, 0);
  expectIdentical(*reference, scan);
}

TEST_F(DataLoss, MergeNeverWritesOverAnyOfItsInputs) {
  const fs::path d = folder("merge-inputs");
  write(d / "short.json", kShort);
  const std::string s1 = (d / "s1.h5").string(), s2 = (d / "s2.h5").string();
  const std::string config = (d / "short.json").string();
  ASSERT_EQ(runCli("run '" + config + "' --shard 1/2 -o '" + s1 + "'").code, 0);
  ASSERT_EQ(runCli("run '" + config + "' --shard 2/2 -o '" + s2 + "'").code, 0);
  const std::size_t before = std::hash<std::string>{}(readFile(s2));
  const CliResult r = runCli("merge -o '" + s2 + "' '" + s1 + "' '" + s2 + "' --force");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("is one of the inputs"), std::string::npos) << r.err;
  EXPECT_EQ(std::hash<std::string>{}(readFile(s2)), before);
  // A FIFO (or any file that is not a regular one) is never an output, and never blocks.
  const std::string fifo = (d / "fifo.h5").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const CliResult f = runCli("run '" + config + "' -o '" + fifo + "' --force");
  EXPECT_EQ(f.code, 2) << f.err;
  EXPECT_NE(f.err.find("not a regular file"), std::string::npos) << f.err;
}

}  // namespace
}  // namespace portalscan::test
