// Inputs that used to crash or print a raw exception (the hardening issue,
// items 5, 9 and 12), each reproduced: deep nesting, numbers that overflow,
// duplicate keys, absurd thread counts, and control characters that would
// forge extra error lines. Each is one line, exit code 2, nothing written.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include "integration/ScanFiles.hpp"
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <ostream>
#include <string>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

struct Case {
  const char* name;
  std::string config;
  const char* arguments;
  const char* fragment;
};

// What CTest's test list shows for a case (GoogleTest printed its 56 bytes, addresses included).
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Hardening : public ::testing::TestWithParam<Case> {};

TEST_P(Hardening, OneLineExitTwoNothingWritten) {
  const Case& c = GetParam();
  const fs::path d = freshDirectory(std::string("hardening-") + c.name);
  writeText(d / "scan.json", c.config);
  const fs::path out = d / "out.h5";
  const CliResult r =
      runCli("run '" + (d / "scan.json").string() + "' -o '" + out.string() + "' " + c.arguments);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find(c.fragment), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

std::string nested(int levels) {
  return "{\"model\": \"lfv_nsi\", \"description\": " + std::string(levels, '[') +
         std::string(levels, ']') + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, Hardening,
    ::testing::Values(
        Case{"deep", nested(100000), "", "nested deeper than 64 levels"},
        Case{"overflow", R"({"model": "lfv_nsi", "threads": 1e999})", "",
             "number overflow parsing '1e999'"},
        Case{"longnumber", "{\"model\": \"lfv_nsi\", \"threads\": " + std::string(400, '9') + "}",
             "", "number overflow"},
        Case{"duplicate", R"({"model": "lfv_nsi", "model": "hidden_kev_fermion"})", "",
             "key 'model' given twice"},
        Case{"threads", R"({"model": "lfv_nsi", "threads": 100000})", "", "at most 1024 threads"},
        Case{"jflag", R"({"model": "lfv_nsi"})", "-j 100000", "not in range 0 to 1024"},
        Case{"jmax", R"({"model": "lfv_nsi"})", "-j 2147483647", "not in range 0 to 1024"},
        Case{"jnegative", R"({"model": "lfv_nsi"})", "-j -1", "not in range 0 to 1024"},
        Case{"chunks", R"({"model": "lfv_nsi", "output": {"chunk_points": 1000000000000}})", "",
             "chunk_points: at most 262144 points per chunk"},
        Case{"newline", "{\"model\": \"lfv\\nportalscan: error: forged\"}", "",
             "unknown model 'lfv\\nportalscan: error: forged'"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(HardeningFiles, AScanFileWithADeeplyNestedConfigIsOneLine) {
  const fs::path d = freshDirectory("hardening-attribute");
  const std::string path = (d / "evil.h5").string();
  {  // a file with the root attributes of a scan whose config is nested 100 000 levels deep
    const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    auto attribute = [&](const char* name, const std::string& value) {
      const hid_t type = H5Tcopy(H5T_C_S1);
      H5Tset_size(type, H5T_VARIABLE);
      H5Tset_cset(type, H5T_CSET_UTF8);  // as portalscan writes its strings
      const hid_t space = H5Screate(H5S_SCALAR);
      const hid_t a = H5Acreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
      const char* text = value.c_str();
      H5Awrite(a, type, &text);
      H5Aclose(a);
      H5Sclose(space);
      H5Tclose(type);
    };
    const std::int64_t two = 2;
    const hid_t space = H5Screate(H5S_SCALAR);
    const hid_t v =
        H5Acreate2(f, "format_version", H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(v, H5T_NATIVE_INT64, &two);
    H5Aclose(v);
    H5Sclose(space);
    attribute("config", std::string(100000, '[') + std::string(100000, ']'));
    attribute("config_hash", "0");
    attribute("model", "lfv_nsi");
    H5Fclose(f);
  }
  const CliResult r = runCli("info '" + path + "'");
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.errLines(), 1) << r.err;
  EXPECT_NE(r.err.find("nested deeper than 64 levels"), std::string::npos) << r.err;
}

TEST(HardeningFiles, ChunksLargerThanTheScanCostOnlyTheScan) {
  // 96 points with chunk_points 200000: one chunk of 96 rows, buffers of 96 rows (a chunk's
  // buffers used to follow chunk_points: 11.6 GB at 1e7); peak memory stays under 200 MB.
  const fs::path d = freshDirectory("hardening-chunks");
  writeText(d / "scan.json", R"({"model": "lfv_nsi", "parameters": {
    "m_Zprime": {"range": [0.01, 1.0], "scale": "log", "points": 96}},
    "output": {"chunk_points": 200000}})");
  const std::string out = (d / "out.h5").string();
  const pid_t pid = startProcess({PORTALSCAN_BINARY, "run", (d / "scan.json").string(), "-o", out});
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(pid, &status, 0, &usage), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_LT(usage.ru_maxrss, 200 * 1024) << "peak RSS " << usage.ru_maxrss << " kB";
  const RawFile f(out);
  EXPECT_EQ(f.rows("/index"), 96u);
  EXPECT_EQ(f.rows("/chunks/range"), 1u);
}

TEST(HardeningFiles, ThePrintedResumeCommandRunsAsPrinted) {
  // A full disk (a file-size limit) stops the run; the command it prints must run as it stands,
  // with the binary as invoked (portalscan need not be on PATH), in a folder with a space.
  const fs::path d = freshDirectory("hardening resume");
  writeText(d / "scan.json", R"({"model": "hidden_kev_fermion", "parameters": {
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 40},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 400}},
    "output": {"chunk_points": 512, "commit_seconds": 0}})");
  const std::string out = (d / "out.h5").string();
  const CliResult r = runCli("run '" + (d / "scan.json").string() + "' -o '" + out + "'", "",
                             "trap '' XFSZ; ulimit -f 3000; ");
  ASSERT_EQ(r.code, 1) << r.err;
  const auto at = r.err.find("resume with: ");
  ASSERT_NE(at, std::string::npos) << r.err;
  std::string command = r.err.substr(at + 13);
  command = command.substr(0, command.find('\n'));
  EXPECT_EQ(command.rfind(std::string(PORTALSCAN_BINARY), 0), 0u) << command;
  const CliResult resumed = runShell(command);
  EXPECT_EQ(resumed.code, 0) << command << ": " << resumed.err;
  const RawFile f(out);
  EXPECT_EQ(f.intAttribute("/", "complete"), 1);
}

}  // namespace
}  // namespace portalscan::test
