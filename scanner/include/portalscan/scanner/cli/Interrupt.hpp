#pragma once
// SIGINT and SIGTERM (what SLURM sends at the time limit) during a scan: the
// first asks the engine to stop after the chunks in flight; a second exits at
// once (the file keeps every committed chunk, and --resume verifies the rest).

#include <atomic>

namespace portalscan::scanner {

class InterruptHandler {
 public:
  InterruptHandler();   ///< installs the handlers (with SA_RESTART)
  ~InterruptHandler();  ///< restores the previous ones
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  const std::atomic<bool>& stop() const;
  /// The signal that asked to stop, 0 if none.
  int signal() const;
};

namespace detail {
/// The handler's decision, alone so that a test can race it: true for the first
/// SIGINT/SIGTERM since the handler was installed (ask for a stop), false for any
/// later one (exit at once). Several threads' handlers may call it at the same moment.
bool firstInterrupt(int sig);
}  // namespace detail

}  // namespace portalscan::scanner
