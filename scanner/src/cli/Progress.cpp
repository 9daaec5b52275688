#include "portalscan/scanner/cli/Progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <string>

namespace portalscan::scanner {

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = std::lround(seconds);
  char buffer[32];
  if (s >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
  }
  return buffer;
}

std::string formatCount(double value) {
  char buffer[32];
  if (value >= 1e9) {
    std::snprintf(buffer, sizeof buffer, "%.2f G", value / 1e9);
  } else if (value >= 1e6) {
    std::snprintf(buffer, sizeof buffer, "%.2f M", value / 1e6);
  } else if (value >= 1e3) {
    std::snprintf(buffer, sizeof buffer, "%.1f k", value / 1e3);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
  }
  return buffer;
}

Progress::Progress(std::uint64_t total, std::uint64_t alreadyDone, bool terminal, std::ostream& out,
                   std::chrono::seconds lineInterval)
    : total_(total),
      startDone_(alreadyDone),
      terminal_(terminal),
      out_(out),
      lineInterval_(lineInterval),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

bool Progress::stderrIsTerminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

void Progress::update(std::uint64_t done, std::uint64_t allowed) {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = terminal_
                            ? std::chrono::milliseconds(200)
                            : std::chrono::duration_cast<std::chrono::milliseconds>(lineInterval_);
  if (now - last_ < interval) return;
  last_ = now;
  draw(done, allowed, false);
}

void Progress::finish(std::uint64_t done, std::uint64_t allowed) { draw(done, allowed, true); }

void Progress::draw(std::uint64_t done, std::uint64_t allowed, bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done - startDone_) / elapsed : 0.0;
  const double remaining = rate > 0 ? static_cast<double>(total_ - done) / rate : NAN;
  const double fraction = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const double allowedPercent =
      done ? 100.0 * static_cast<double>(allowed) / static_cast<double>(done) : 0.0;
  // The final draw of a run that stopped early (an interrupt, an error) still has work left:
  // its estimate then is that of the rest, not 0:00.
  const std::string eta = final && done >= total_ ? "0:00" : formatDuration(remaining);
  const char* etaLabel = final && done < total_ ? "ETA of the rest" : "ETA";
  char line[200];
  if (terminal_) {
    constexpr int width = 30;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.append(static_cast<std::size_t>(width - filled), '.');
    std::snprintf(line, sizeof line,
                  "\r[%s] %5.1f%%  %s/%s points  %s points/s  %s %s  allowed %.2f%%   ",
                  bar.c_str(), 100.0 * fraction, formatCount(static_cast<double>(done)).c_str(),
                  formatCount(static_cast<double>(total_)).c_str(), formatCount(rate).c_str(),
                  etaLabel, eta.c_str(), allowedPercent);
    out_ << line;
    if (final) out_ << "\n";
  } else {
    std::snprintf(line, sizeof line,
                  "progress: %llu/%llu points (%.1f%%), %s points/s, %s %s, allowed %.2f%%\n",
                  static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                  100.0 * fraction, formatCount(rate).c_str(), etaLabel, eta.c_str(),
                  allowedPercent);
    out_ << line;
  }
  out_.flush();
}

}  // namespace portalscan::scanner
