#pragma once
/// Progress of a scan on standard error: a bar with rate and ETA redrawn in
/// place on a terminal, plain lines at a slow cadence in a log or CI.

#include "portalscan/scanner/engine/ProgressSink.hpp"

#include <chrono>
#include <cstdint>
#include <iosfwd>

namespace portalscan::scanner {

class Progress final : public ProgressSink {
 public:
  /// `terminal`: redraw a bar (else print a line every `lineInterval`).
  Progress(std::uint64_t total, std::uint64_t alreadyDone, bool terminal, std::ostream& out,
           std::chrono::seconds lineInterval = std::chrono::seconds(10));
  void update(std::uint64_t done, std::uint64_t allowed) override;
  /// The final bar or line.
  void finish(std::uint64_t done, std::uint64_t allowed) override;

  /// True when standard error is a terminal (and TERM is not "dumb").
  static bool stderrIsTerminal();

 private:
  void draw(std::uint64_t done, std::uint64_t allowed, bool final);

  std::uint64_t total_;
  std::uint64_t startDone_;
  bool terminal_;
  std::ostream& out_;
  std::chrono::seconds lineInterval_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

/// "1:02:03", "2:03" style durations.
std::string formatDuration(double seconds);
/// "12.3 k", "4.56 M" style counts.
std::string formatCount(double value);

}  // namespace portalscan::scanner
