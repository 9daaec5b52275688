#pragma once
// Runs the built portalscan binary as a user would and captures exit code,
// stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace portalscan::test {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  int errLines() const {
    int n = 0;
    for (char c : err) n += c == '\n';
    return n;
  }
};

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// A fresh scratch directory per test process, removed with everything in it
/// when the process exits (forked children leave with _exit and keep it).
inline std::filesystem::path scratchDirectory() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("portalscan-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    // Not `dir` itself: it may be destroyed before the atexit handlers run.
    static const std::string* const removeAtExit = new std::string(d.string());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(*removeAtExit, ignored);
    });
    return d;
  }();
  return dir;
}

/// An empty folder `name` in the scratch directory (made anew).
inline std::filesystem::path freshDirectory(const std::string& name) {
  const auto d = scratchDirectory() / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

/// Writes `text` to `p` whole or not at all, as seen by any other process: into a file beside it,
/// then renamed over it. A config written again (the same text) for each of several runs started
/// one after the other was truncated, for a moment, while the run started just before it read
/// it: that shard failed on an empty config, and its siblings waited an hour for its verdicts.
inline void writeText(const std::filesystem::path& p, const std::string& text) {
  const std::filesystem::path fresh = p.string() + ".writing-" + std::to_string(::getpid());
  std::ofstream(fresh) << text;
  std::filesystem::rename(fresh, p);
}

/// Runs a shell command line (in `workdir` when given), capturing its exit
/// code, standard output and standard error.
inline CliResult runShell(const std::string& command, const std::string& workdir = "") {
  static int counter = 0;
  const auto dir = scratchDirectory();
  const auto out = dir / ("out" + std::to_string(counter) + ".txt");
  const auto err = dir / ("err" + std::to_string(counter++) + ".txt");
  std::string full = workdir.empty() ? "" : "cd '" + workdir + "' && ";
  full += "{ " + command + "; } > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(full.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(out);
  r.err = readFile(err);
  return r;
}

/// `args` is appended to the binary path as a shell command line; `prefix` is
/// shell text run before it in the same shell (e.g. "ulimit -f 100; ").
inline CliResult runCli(const std::string& args, const std::string& workdir = "",
                        const std::string& prefix = "") {
  return runShell(prefix + "exec '" + std::string(PORTALSCAN_BINARY) + "' " + args, workdir);
}

}  // namespace portalscan::test
