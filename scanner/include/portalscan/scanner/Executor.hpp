#pragma once
/// The parallel engine: OpenMP threads take chunks of point indices with
/// dynamic scheduling, evaluate them into per-thread structure-of-arrays
/// buffers, and hand them to the one writer in index order (an `ordered`
/// section: each thread holds at most its finished chunk, so the reorder
/// buffer is one chunk per thread), while the other threads compute on. The
/// file is therefore the same whatever the thread count. No exception leaves
/// the parallel region: the first one stops the scan and is rethrown after it.

#include "portalscan/scanner/Config.hpp"
#include "portalscan/scanner/Progress.hpp"
#include "portalscan/scanner/Store.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace portalscan::scanner {

using ChunkRange = std::pair<std::uint64_t, std::uint64_t>;  ///< [begin, end) of point indices

/// The chunks of a whole scan: [k C, min((k+1) C, N)).
std::vector<ChunkRange> allChunks(const ScanConfig& config);

struct RunStatistics {
  int threads = 1;
  std::uint64_t points = 0;  ///< evaluated in this run
  std::uint64_t rows = 0;    ///< written in this run
  std::uint64_t allowed = 0;
  std::vector<std::uint64_t> excluded;  ///< per constraint
  std::array<std::uint64_t, kStatusCount> status{};
  double seconds = 0.0;  ///< wall clock
  // Thread-seconds spent in each stage (sampling, kernel, chain) and writer seconds.
  double samplingSeconds = 0.0;
  double kernelSeconds = 0.0;
  double chainSeconds = 0.0;
  double writeSeconds = 0.0;
  bool stopped = false;  ///< `stop` was raised before every chunk was done
};

/// Runs `chunks` (ascending, disjoint) into `writer`. `stop`, when raised,
/// lets the chunks in flight finish and be written, and starts no new one.
/// `alreadyDone`/`alreadyAllowed` let the progress count earlier runs.
RunStatistics execute(const ScanConfig& config, const std::vector<ChunkRange>& chunks,
                      ScanWriter& writer, Progress* progress,
                      const std::atomic<bool>* stop = nullptr, std::uint64_t alreadyDone = 0,
                      std::uint64_t alreadyAllowed = 0);

}  // namespace portalscan::scanner
