#include "portalscan/scanner/cli/Interrupt.hpp"

#include <unistd.h>

#include <csignal>

namespace portalscan::scanner {
namespace {

std::atomic<bool> stopRequested{false};
std::atomic<int> stopSignal{0};
struct sigaction previousInt;
struct sigaction previousTerm;

void write(const char* message, std::size_t n) {
  // Only async-signal-safe calls in a handler.
  const ssize_t ignored = ::write(STDERR_FILENO, message, n);
  (void)ignored;
}

void handler(int sig) {
  if (!detail::firstInterrupt(sig)) {
    static const char now[] =
        "\nportalscan: second interrupt: exiting now; --resume continues from the last committed "
        "chunk\n";
    write(now, sizeof now - 1);
    _exit(128 + sig);
  }
  static const char first[] =
      "\nportalscan: stopping after the chunks in flight (interrupt again to exit at once)\n";
  write(first, sizeof first - 1);
}

}  // namespace

InterruptHandler::InterruptHandler() {
  static_assert(std::atomic<bool>::is_always_lock_free, "used from a signal handler");
  stopRequested = false;
  stopSignal = 0;
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // HDF5's write() calls must not fail with EINTR
  sigaction(SIGINT, &action, &previousInt);
  sigaction(SIGTERM, &action, &previousTerm);
}

InterruptHandler::~InterruptHandler() {
  sigaction(SIGINT, &previousInt, nullptr);
  sigaction(SIGTERM, &previousTerm, nullptr);
}

bool detail::firstInterrupt(int sig) {
  // A signal sent to the process goes to any thread that does not block it, so
  // SIGINT and SIGTERM sent together may run the handler in two threads at once.
  // Exactly one of them may see "no stop asked yet": a load followed by a store
  // let both see it, and then neither exited. The signal is stored first, so that
  // a stop never reads signal() as 0.
  stopSignal = sig;
  return !stopRequested.exchange(true);
}

const std::atomic<bool>& InterruptHandler::stop() const { return stopRequested; }
int InterruptHandler::signal() const { return stopSignal.load(); }

}  // namespace portalscan::scanner
