// The SLURM scripts of scans/cluster/, run as SLURM would run them: each
// array task with its SLURM_ARRAY_* variables, then the merge job; and
// submit.sh against a stand-in sbatch that records what it was asked.

#include "integration/CliRunner.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

const char* kScan = R"({
  "model": "hidden_kev_fermion",
  "parameters": {"M_N": 1e10, "y_e": 1e-2,
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 20},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 30}},
  "output": {"chunk_points": 64}
})";

fs::path dir() {
  static const fs::path d = scratchDirectory() / "cluster";
  fs::create_directories(d);
  return d;
}

std::string script(const std::string& name) {
  return std::string(PORTALSCAN_SOURCE_DIR) + "/scans/cluster/" + name;
}

/// Runs a shell command line in dir() with PORTALSCAN pointing at the build.
CliResult sh(const std::string& command) {
  return runShell("export PORTALSCAN='" + std::string(PORTALSCAN_BINARY) + "' && " + command,
                  dir().string());
}

TEST(Cluster, ArrayTasksAndTheMergeJobWriteTheSingleRunFile) {
  std::ofstream(dir() / "scan.json") << kScan;
  ASSERT_EQ(sh("\"$PORTALSCAN\" run scan.json -o single.h5 --force").code, 0);
  for (int k = 1; k <= 3; ++k) {
    const CliResult task = sh("SLURM_ARRAY_TASK_ID=" + std::to_string(k) +
                              " SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=1 bash '" +
                              script("array.sbatch") + "' scan.json array.h5");
    ASSERT_EQ(task.code, 0) << task.err;
    EXPECT_TRUE(fs::exists(dir() / ("array.shard-" + std::to_string(k) + "-of-3.h5")));
  }
  // A requeued task finds its shard complete and does nothing.
  const CliResult again = sh("SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=3 bash '" +
                             script("array.sbatch") + "' scan.json array.h5");
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("already complete"), std::string::npos) << again.out;

  fs::remove(dir() / "array.h5");
  const CliResult merge = sh("bash '" + script("merge.sbatch") + "' array.h5 3");
  ASSERT_EQ(merge.code, 0) << merge.err;
  expectIdentical((dir() / "single.h5").string(), (dir() / "array.h5").string());

  // Outside an array job the task script says so, and writes nothing.
  const CliResult outside = sh("bash '" + script("array.sbatch") + "' scan.json other.h5");
  EXPECT_NE(outside.code, 0);
  EXPECT_NE(outside.err.find("SLURM_ARRAY_TASK_ID"), std::string::npos) << outside.err;
}

TEST(Cluster, SubmitQueuesTheArrayAndAMergeThatWaitsForIt) {
  std::ofstream(dir() / "scan.json") << kScan;
  // A stand-in sbatch: logs its arguments, answers with a job id.
  fs::create_directories(dir() / "bin");
  std::ofstream(dir() / "bin" / "sbatch") << "#!/bin/sh\n"
                                             "echo \"$*\" >> sbatch.log\n"
                                             "n=$(wc -l < sbatch.log)\n"
                                             "echo $((1000 + n))\n";
  fs::permissions(dir() / "bin" / "sbatch", fs::perms::owner_all);
  fs::remove(dir() / "sbatch.log");
  const std::string path = "PATH='" + (dir() / "bin").string() + ":'\"$PATH\" ";
  const CliResult r =
      sh(path + "bash '" + script("submit.sh") + "' scan.json 4 big.h5 --partition=short");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string log = readFile(dir() / "sbatch.log");
  EXPECT_NE(
      log.find("--array=1-4 --partition=short " + script("array.sbatch") + " scan.json big.h5"),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("--dependency=afterok:1001 --partition=short " + script("merge.sbatch") +
                     " big.h5 4"),
            std::string::npos)
      << log;
  // A bad config is refused before anything is queued.
  std::ofstream(dir() / "bad.json") << R"({"model": "hidden_kev_fermon"})";
  fs::remove(dir() / "sbatch.log");
  const CliResult bad = sh(path + "bash '" + script("submit.sh") + "' bad.json 4 bad.h5");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("did you mean"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir() / "sbatch.log"));
}

}  // namespace
}  // namespace portalscan::test
