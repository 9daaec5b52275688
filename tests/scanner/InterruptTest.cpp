#include "portalscan/scanner/cli/Interrupt.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

namespace portalscan::scanner {
namespace {

// What the child's exit code says when both signals were taken as the first one:
// the stop was asked, and nobody exited.
constexpr int kBothTakenAsFirst = 3;

// A child with a handler and several running threads is stopped, sent SIGINT and
// SIGTERM, and continued: the kernel hands the two pending signals to whichever
// threads wake first, so two handlers may run at the same moment. One of them must
// ask for the stop and the other exit at once with 128 + its signal.
int oneRound() {
  int ready[2];
  if (pipe(ready) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    InterruptHandler handler;
    std::atomic<bool> go{true};
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] {
        while (go.load(std::memory_order_relaxed)) {
        }
      });
    }
    const char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(4);
    while (!handler.stop().load()) {
    }
    // The second handler, if one runs, exits within microseconds.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    go = false;
    for (auto& t : threads) t.join();
    _exit(kBothTakenAsFirst);
  }
  close(ready[1]);
  char byte = 0;
  const bool started = read(ready[0], &byte, 1) == 1;
  close(ready[0]);
  if (started) {
    kill(pid, SIGSTOP);
    int status = 0;
    waitpid(pid, &status, WUNTRACED);
    kill(pid, SIGINT);
    kill(pid, SIGTERM);
    kill(pid, SIGCONT);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TEST(Interrupt, TwoSignalsHandledAtOnceStopOnceAndExitOnce) {
  // Seen in CI as Reliability.ASecondInterruptExitsAtOnceAndStillResumes printing the
  // stop message twice. Real signals meet in the handler rarely (the handler's old
  // load-then-store failed about one round in 2 000-4 000 here), so the race itself is
  // tried below; these rounds check what the user sees end to end.
  for (int round = 0; round < 150; ++round) {
    const int code = oneRound();
    ASSERT_TRUE(code == 128 + SIGINT || code == 128 + SIGTERM)
        << "round " << round << ": exit " << code
        << (code == kBothTakenAsFirst ? " (both signals asked for the stop)" : "");
  }
}

TEST(Interrupt, OfTwoHandlersRacingExactlyOneAsksForTheStop) {
  // Two threads released together decide at the same moment, as two handlers do
  // when SIGINT and SIGTERM go to two threads. A load followed by a store lets both
  // see "first" in 2-8% of rounds here (2 cores); the decision must be one atomic step.
  constexpr int kRounds = 2000;
  int firsts[2] = {0, 0};
  int bothFirst = 0;
  int noneFirst = 0;
  for (int round = 0; round < kRounds; ++round) {
    InterruptHandler handler;  // a fresh scan: no stop asked yet
    std::atomic<int> arrived{0};
    bool first[2] = {false, false};
    auto decide = [&](int i, int sig) {
      // The two meet here and leave together; the main thread sleeps in join() so
      // that both have a core.
      arrived.fetch_add(1);
      while (arrived.load() < 2) {
      }
      first[i] = detail::firstInterrupt(sig);
    };
    std::thread a(decide, 0, SIGINT);
    std::thread b(decide, 1, SIGTERM);
    a.join();
    b.join();
    bothFirst += first[0] && first[1];
    noneFirst += !first[0] && !first[1];
    firsts[0] += first[0];
    firsts[1] += first[1];
    EXPECT_TRUE(handler.stop().load());
    const int sig = handler.signal();
    EXPECT_TRUE(sig == SIGINT || sig == SIGTERM) << sig;
  }
  EXPECT_EQ(bothFirst, 0) << "of " << kRounds << " rounds";
  EXPECT_EQ(noneFirst, 0) << "of " << kRounds << " rounds";
  EXPECT_EQ(firsts[0] + firsts[1], kRounds);
}

}  // namespace
}  // namespace portalscan::scanner
