#pragma once
// Helpers for tests that run real scans in child processes and compare files.

#include "integration/RawHdf5.hpp"
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
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
  ASSERT_TRUE(fa.ok()) << a << ": " << fa.why;
  ASSERT_TRUE(fb.ok()) << b << ": " << fb.why;
  const auto paths = fa.datasets();
  ASSERT_EQ(paths, fb.datasets());
  for (const auto& p : paths) EXPECT_EQ(fa.bytes(p), fb.bytes(p)) << p;
}

/// Starts `argv` (argv[0]: the program's path) as a child process with its
/// output discarded (its standard error into `errPath` when given), in a
/// process group of its own, with `env` ("NAME=VALUE") added to its
/// environment; returns its pid.
inline pid_t startProcess(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {},
                          const std::string& errPath = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    for (const auto& e : env) {
      const auto eq = e.find('=');
      setenv(e.substr(0, eq).c_str(), e.substr(eq + 1).c_str(), 1);
    }
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, STDOUT_FILENO);
    const int err =
        errPath.empty() ? devnull : ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

/// The environment entry of the writer's test hook: the process stops itself
/// (SIGSTOP) right after the commit that brings its file to `chunks` or more
/// committed chunks (scanner/src/store/Writer.cpp).
inline std::string stopAfterChunks(std::uint64_t chunks) {
  return "PORTALSCAN_TEST_STOP_AFTER_CHUNKS=" + std::to_string(chunks);
}

/// The state letter of process `pid` in /proc (R, S, T, Z, ...), or 0 once gone.
inline char processState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return 0;
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() ? 0 : line[paren + 2];
}

/// Waits until process `pid` (a child or any descendant) is stopped; false if
/// it ended instead or `seconds` passed.
inline bool waitUntilStopped(pid_t pid, double seconds = 60) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const char state = processState(pid);
    if (state == 'T' || state == 't') return true;
    if (state == 0 || state == 'Z' || state == 'X') return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

/// Kills a started child's process group on the way out of a test unless
/// `pid` was reset after waiting for it: a failed assertion leaves no stopped
/// run behind.
struct ChildGuard {
  pid_t pid;
  ~ChildGuard() {
    if (pid > 0) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  }
};

/// Waits for a child: its exit code, or 128 + the signal that ended it.
inline int waitFor(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace portalscan::test
