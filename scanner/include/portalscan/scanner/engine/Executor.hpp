#pragma once
/// The parallel engine: OpenMP threads claim chunks of point indices one at a
/// time (dynamic scheduling), evaluate them into per-thread structure-of-arrays
/// buffers, let the writer prepare them there (ScanWriter::prepare: checksum and
/// compression, in parallel), and hand them to the one writer in claim order — a ticket per
/// claim, so each thread holds at most its finished chunk and the reorder
/// buffer is one chunk per thread — while the other threads compute on. The
/// file is therefore the same whatever the thread count. No exception leaves
/// the parallel region: the first one stops the scan and is rethrown after it.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/ProgressSink.hpp"
#include "portalscan/scanner/store/Layout.hpp"
#include "portalscan/scanner/store/Writer.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace portalscan::scanner {

class Sampler;

using ChunkRange = std::pair<std::uint64_t, std::uint64_t>;  ///< [begin, end) of point indices

/// The chunks of a whole scan: [k C, min((k+1) C, N)).
std::vector<ChunkRange> allChunks(const ScanConfig& config);

/// Where the chunks of a run come from, in ascending index order. `next` is
/// called by one thread at a time (the executor serialises claims).
class ChunkSource {
 public:
  virtual ~ChunkSource() = default;
  virtual std::optional<ChunkRange> next() = 0;
};

/// A fixed list of chunks.
class ListSource final : public ChunkSource {
 public:
  explicit ListSource(std::vector<ChunkRange> chunks) : chunks_(std::move(chunks)) {}
  std::optional<ChunkRange> next() override {
    if (position_ == chunks_.size()) return std::nullopt;
    return chunks_[position_++];
  }

 private:
  std::vector<ChunkRange> chunks_;
  std::size_t position_ = 0;
};

struct RunStatistics {
  int threads = 1;
  std::uint64_t points = 0;  ///< evaluated in this run
  std::uint64_t rows = 0;    ///< written in this run
  std::uint64_t allowed = 0;
  std::vector<std::uint64_t> excluded;  ///< per constraint
  std::array<std::uint64_t, kStatusCount> status{};
  double seconds = 0.0;  ///< wall clock
  // Thread-seconds spent in each stage (sampling, kernel, chain, writing: the writer's serial
  // appends and the workers' ScanWriter::prepare, of which encodeSeconds).
  double samplingSeconds = 0.0;
  double kernelSeconds = 0.0;
  double chainSeconds = 0.0;
  double writeSeconds = 0.0;
  double encodeSeconds = 0.0;    ///< thread-seconds of ScanWriter::prepare, on the workers
  double writeCpuSeconds = 0.0;  ///< CPU seconds of the writer's serial part (append)
  bool stopped = false;          ///< `stop` was raised before every chunk was claimed
};

/// Runs the chunks of `source` into `writer`. `stop`, when raised, lets the
/// chunks in flight finish and be written, and claims no new one.
/// `alreadyDone`/`alreadyAllowed` let the progress count earlier runs.
RunStatistics execute(const ScanConfig& config, ChunkSource& source, ScanWriter& writer,
                      ProgressSink* progress, const std::atomic<bool>* stop = nullptr,
                      std::uint64_t alreadyDone = 0, std::uint64_t alreadyAllowed = 0);
/// Sees every computed chunk, in index order, once it is handed to the writer (the
/// refine sampler reads its verdicts there).
using ChunkObserver = std::function<void(const ChunkBuffer&)>;

/// The same with the points of `sampler` (instead of the config's) and an observer.
RunStatistics execute(const ScanConfig& config, const Sampler& sampler, ChunkSource& source,
                      ScanWriter& writer, ProgressSink* progress, const std::atomic<bool>* stop,
                      std::uint64_t alreadyDone, std::uint64_t alreadyAllowed,
                      const ChunkObserver& observe);
/// The same over a fixed list.
RunStatistics execute(const ScanConfig& config, const std::vector<ChunkRange>& chunks,
                      ScanWriter& writer, ProgressSink* progress,
                      const std::atomic<bool>* stop = nullptr, std::uint64_t alreadyDone = 0,
                      std::uint64_t alreadyAllowed = 0);

/// What a scan's points cost, from a short timed sample (`run --dry-run`).
struct CostSample {
  std::uint64_t points = 0;      ///< evaluated in the sample
  double secondsPerPoint = 0.0;  ///< on one thread: kernel, chain and sampling
  double keptFraction = 1.0;     ///< rows kept per point (the allowed ones with keep "allowed")
  int threads = 1;               ///< the run's thread count (config, or every core)
};

/// Evaluates points spread evenly over the scan's index space, one at a time on
/// this thread, until `seconds` have passed or `maxPoints` are done (at least one).
CostSample sampleCost(const ScanConfig& config, double seconds, std::uint64_t maxPoints = 256);

}  // namespace portalscan::scanner
