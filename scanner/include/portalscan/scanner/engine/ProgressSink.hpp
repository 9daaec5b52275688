#pragma once
/// Where the engine reports how far a scan has got: the executor's side of
/// progress reporting (the command line's bar is cli/Progress.hpp; the MPI
/// run's rank sources forward it to rank 0).

#include <cstdint>

namespace portalscan::scanner {

/// Where the engine reports how far a scan has got.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  /// Points done so far (including those of earlier runs) and allowed among them.
  virtual void update(std::uint64_t done, std::uint64_t allowed) = 0;
  /// The end of the run (complete or not).
  virtual void finish(std::uint64_t done, std::uint64_t allowed) = 0;
};

}  // namespace portalscan::scanner
