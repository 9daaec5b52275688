#pragma once
// Helpers for tests that run real scans in child processes and compare files.

#include "integration/RawHdf5.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace portalscan::test {

/// A grid scan of hidden_kev_fermion at CN's benchmark-1 seesaw: 40 x 40 x
/// `kappaPoints` points in chunks of `chunkPoints`, each committed as soon as
/// it is written (commit_seconds 0). About a second of work on two cores.
inline std::string gridScanConfig(int chunkPoints, int kappaPoints = 60) {
  return R"({
  "model": "hidden_kev_fermion",
  "parameters": {"M_N": 1e10, "y_e": 1e-2,
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 40},
    "f_L": {"range": [1e-3, 1.0], "scale": "log", "points": 40},
    "f_R": {"equal_to": "f_L"},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": )" +
         std::to_string(kappaPoints) + R"(}},
  "output": {"chunk_points": )" +
         std::to_string(chunkPoints) + R"(, "commit_seconds": 0}
})";
}

/// Every dataset of two scan files, byte for byte.
inline void expectIdentical(const std::string& a, const std::string& b) {
  const RawFile fa(a), fb(b);
  ASSERT_TRUE(fa.ok()) << a;
  ASSERT_TRUE(fb.ok()) << b;
  const auto paths = fa.datasets();
  ASSERT_EQ(paths, fb.datasets());
  for (const auto& p : paths) EXPECT_EQ(fa.bytes(p), fb.bytes(p)) << p;
}

/// Starts `argv` (argv[0]: the program's path) as a child process with its
/// output discarded, in a process group of its own; returns its pid.
inline pid_t startProcess(const std::vector<std::string>& argv) {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// Waits for a child: its exit code, or 128 + the signal that ended it.
inline int waitFor(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace portalscan::test
