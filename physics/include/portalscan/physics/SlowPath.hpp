#pragma once
/// The original ("reference") implementations of the kernel's hot functions, kept so that a
/// test can check the fast ones against them point by point (docs/performance.md, "Kernel
/// speed-up"). Scans never take this path.
///
/// While a `reference::SlowPath` object lives, every function that has a fast and a
/// reference implementation (alpha_s, the g_* and thermal-weight tables and their ln T readers,
/// the freeze-out and reheating solves, chi freeze-in's r/H and yield tables, the small-matrix
/// sorts) takes the reference one on the calling thread.
/// The switch is per thread (no locking, no effect on other threads) and nests.

namespace portalscan::physics::reference {

namespace detail {
inline thread_local int slowPathDepth = 0;
}

/// Whether the calling thread is inside a SlowPath scope.
inline bool slowPath() noexcept { return detail::slowPathDepth > 0; }

/// Scope in which the calling thread evaluates through the reference implementations.
class SlowPath {
 public:
  SlowPath() noexcept { ++detail::slowPathDepth; }
  ~SlowPath() { --detail::slowPathDepth; }
  SlowPath(const SlowPath&) = delete;
  SlowPath& operator=(const SlowPath&) = delete;
};

}  // namespace portalscan::physics::reference
