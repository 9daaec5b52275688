#pragma once
/// The portalscan command line (design.md's contract). `runCli` is the whole
/// program: it returns the exit code (0 ok, 1 run-time failure, 2 bad input)
/// and prints every input error as one line on `err`.

#include <iosfwd>

namespace portalscan::scanner {

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

/// Exit codes.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

}  // namespace portalscan::scanner
