#include "portalscan/scanner/engine/Executor.hpp"

#include "portalscan/scanner/engine/Sampler.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <exception>
#include <mutex>

namespace portalscan::scanner {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// CPU time of the calling thread (the writer's own cost, free of waits and of other load).
double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// Per-thread scratch: the unit-cube coordinates of a chunk's points; the parameters,
/// observables and kernel statuses of a block of kBlock points, row-major.
struct Scratch {
  std::vector<double> u;
  std::vector<double> parameters;
  std::vector<double> observables;
  std::vector<PointStatus> status;
  // The chain's results of the block's points, row-major (one slot per constraint), and
  // the block's points whose rows are kept, in order.
  std::vector<std::uint8_t> pass;
  std::vector<double> statistic;
  std::vector<double> chi2;
  std::vector<std::uint32_t> kept;
};

/// Points of a block per pass through the kernel, the chain and the column buffers.
constexpr std::uint64_t kBlock = 64;

/// Rows [first, first + rows) of the column-major `to` (column j at j * cap) from the
/// row-major `from` (the r-th row's values at kept[r] * stride, column j at column(j)), eight
/// rows at a time: the chunk's columns lie 32 kB apart (4 096 rows of doubles), which puts
/// every column's current cache line in one L1 set; a row at a time, each store missed. Eight
/// rows fill one line of a column before the next column is touched.
template <class T, class Column>
void transposeRows(const T* from, std::size_t stride, const std::uint32_t* kept,
                   std::uint64_t first, std::uint64_t rows, std::size_t columns, Column column,
                   T* to, std::uint64_t cap) {
  constexpr std::uint64_t kTile = 8;
  for (std::uint64_t r0 = 0; r0 < rows; r0 += kTile) {
    const std::uint64_t m = std::min(kTile, rows - r0);
    const T* src[kTile];
    for (std::uint64_t r = 0; r < m; ++r) src[r] = from + std::size_t{kept[r0 + r]} * stride;
    for (std::size_t j = 0; j < columns; ++j) {
      T* dst = to + j * cap + first + r0;
      const std::size_t c = column(j);
      for (std::uint64_t r = 0; r < m; ++r) dst[r] = src[r][c];
    }
  }
}

class ChunkEvaluator {
 public:
  explicit ChunkEvaluator(const ScanConfig& config, const Sampler* sampler = nullptr)
      : config_(config),
        model_(*config.kernel),
        owned_(sampler ? nullptr : makeSampler(config)),
        sampler_(sampler ? sampler : owned_.get()),
        space_(config),
        nParameters_(model_.parameters().size()),
        nObservables_(model_.observables().size()),
        nConstraints_(config.chain.constraints().size()) {}

  void evaluate(ChunkRange range, Scratch& s, ChunkBuffer& out) const {
    const auto [begin, end] = range;
    const std::uint64_t n = end - begin;
    const std::uint64_t cap = config_.output.chunkPoints;
    const std::size_t d = sampler_->dimension();
    out.reset(cap, nParameters_, config_.output.observables.size(), nConstraints_,
              config_.sampler == SamplerKind::Refine);
    out.begin = begin;
    out.end = end;
    s.u.resize(cap * d);
    s.parameters.resize(kBlock * nParameters_);
    s.observables.resize(kBlock * nObservables_);
    s.status.resize(kBlock);
    s.pass.resize(kBlock * nConstraints_);
    s.statistic.resize(kBlock * nConstraints_);
    s.chi2.resize(kBlock * nConstraints_);
    s.kept.resize(kBlock);

    auto t = Clock::now();
    sampler_->fill(begin, end, std::span(s.u.data(), n * d));
    out.samplingSeconds = since(t);

    // kBlock points at a time through the kernel, the chain and into the column buffers: the
    // block's rows (64 x ~1 kB) stay in cache between the three; a whole chunk's rows (4 096 x
    // ~1 kB) did not, and evicted the kernel's tables on the way.
    const bool keepAll = config_.output.keep == Keep::All;
    const auto& stored = config_.output.observables;
    const std::size_t nC = nConstraints_;
    out.kernelSeconds = 0.0;
    out.chainSeconds = 0.0;
    for (std::uint64_t b0 = 0; b0 < n; b0 += kBlock) {
      const std::uint64_t m = std::min(kBlock, n - b0);
      t = Clock::now();
      for (std::uint64_t i = 0; i < m; ++i) {
        const std::span<double> p(s.parameters.data() + i * nParameters_, nParameters_);
        space_.map(std::span(s.u.data() + (b0 + i) * d, d), p);
        s.status[i] =
            model_.evaluate(p, config_.output.blocks,
                            std::span(s.observables.data() + i * nObservables_, nObservables_));
      }
      out.kernelSeconds += since(t);

      t = Clock::now();
      const std::uint64_t firstRow = out.rows;
      std::uint64_t kept = 0;
      for (std::uint64_t i = 0; i < m; ++i) {
        const double* obs = s.observables.data() + i * nObservables_;
        const double* p = s.parameters.data() + i * nParameters_;
        const std::span pass(s.pass.data() + i * nC, nC);
        const auto verdict = config_.chain.judge(
            std::span(p, nParameters_), std::span(obs, nObservables_), s.status[i], pass,
            std::span(s.statistic.data() + i * nC, nC), std::span(s.chi2.data() + i * nC, nC));
        ++out.statusCounts[static_cast<std::size_t>(verdict.status)];
        out.allowedCount += verdict.allowed ? 1 : 0;
        for (std::size_t k = 0; k < nC; ++k) out.excluded[k] += pass[k] ? 0 : 1;
        if (!keepAll && !verdict.allowed) continue;
        const std::uint64_t row = out.rows++;
        s.kept[kept++] = static_cast<std::uint32_t>(i);
        const std::uint64_t index = begin + b0 + i;
        out.allowed[row] = verdict.allowed ? 1 : 0;
        out.chi2Total[row] = verdict.chi2Total;
        out.status[row] = static_cast<std::int8_t>(verdict.status);
        out.index[row] = index;
        if (!out.round.empty()) out.round[row] = sampler_->round(index);
      }
      const std::uint32_t* rows = s.kept.data();
      const auto same = [](std::size_t j) { return j; };
      transposeRows(s.parameters.data(), nParameters_, rows, firstRow, kept, nParameters_, same,
                    out.parameters.data(), cap);
      transposeRows(
          s.observables.data(), nObservables_, rows, firstRow, kept, stored.size(),
          [&](std::size_t j) { return stored[j]; }, out.observables.data(), cap);
      transposeRows(s.pass.data(), nC, rows, firstRow, kept, nC, same, out.pass.data(), cap);
      transposeRows(s.statistic.data(), nC, rows, firstRow, kept, nC, same, out.statistic.data(),
                    cap);
      transposeRows(s.chi2.data(), nC, rows, firstRow, kept, nC, same, out.chi2.data(), cap);
      out.chainSeconds += since(t);
    }
  }

 private:
  const ScanConfig& config_;
  const physics::Model& model_;
  std::unique_ptr<Sampler> owned_;
  const Sampler* sampler_;
  ParameterSpace space_;
  std::size_t nParameters_;
  std::size_t nObservables_;
  std::size_t nConstraints_;
};

}  // namespace

CostSample sampleCost(const ScanConfig& config, double seconds, std::uint64_t maxPoints) {
  CostSample c;
  c.threads = config.threads > 0 ? config.threads : omp_get_max_threads();
  const ChunkEvaluator evaluator(config);
  // The sampler's own points (for refine: its base grid, the points known before any verdict).
  const std::uint64_t points = makeSampler(config)->size();
  if (points == 0) return c;
  Scratch scratch;
  ChunkBuffer buffer;
  const std::uint64_t n = std::min(maxPoints, points);
  std::uint64_t kept = 0;
  double busy = 0.0;
  const auto start = Clock::now();
  for (std::uint64_t j = 0; j < n && (j == 0 || since(start) < seconds); ++j) {
    // Point j of n spread over [0, points): the middle of its n-th of the index space.
    const auto i =
        static_cast<std::uint64_t>((static_cast<long double>(j) + 0.5L) /
                                   static_cast<long double>(n) * static_cast<long double>(points));
    evaluator.evaluate({i, i + 1}, scratch, buffer);
    busy += buffer.samplingSeconds + buffer.kernelSeconds + buffer.chainSeconds;
    kept += buffer.rows;
    ++c.points;
  }
  c.secondsPerPoint = busy / static_cast<double>(c.points);
  c.keptFraction = static_cast<double>(kept) / static_cast<double>(c.points);
  return c;
}

std::vector<ChunkRange> allChunks(const ScanConfig& config) {
  std::vector<ChunkRange> chunks;
  const std::uint64_t c = config.output.chunkPoints;
  for (std::uint64_t b = 0; b < config.points; b += c) {
    chunks.emplace_back(b, std::min(config.points, b + c));
  }
  return chunks;
}

RunStatistics execute(const ScanConfig& config, ChunkSource& source, ScanWriter& writer,
                      ProgressSink* progress, const std::atomic<bool>* stop,
                      std::uint64_t alreadyDone, std::uint64_t alreadyAllowed) {
  const auto sampler = makeSampler(config);
  return execute(config, *sampler, source, writer, progress, stop, alreadyDone, alreadyAllowed, {});
}

RunStatistics execute(const ScanConfig& config, const Sampler& sampler, ChunkSource& source,
                      ScanWriter& writer, ProgressSink* progress, const std::atomic<bool>* stop,
                      std::uint64_t alreadyDone, std::uint64_t alreadyAllowed,
                      const ChunkObserver& observe) {
  const ChunkEvaluator evaluator(config, &sampler);
  RunStatistics stats;
  stats.threads = config.threads > 0 ? config.threads : omp_get_max_threads();
  stats.excluded.assign(config.chain.constraints().size(), 0);
  const auto start = Clock::now();
  std::exception_ptr failure;
  std::atomic<bool> failed{false};
  std::mutex claimMutex;  // claims, and the tickets that order the writes
  std::uint64_t nextTicket = 0;
  bool exhausted = false;
  std::mutex writeMutex;  // the writer, the statistics, the progress
  std::condition_variable writeTurn;
  std::uint64_t nextToWrite = 0;
  auto recordFailure = [&] {
    std::lock_guard lock(claimMutex);
    if (!failure) failure = std::current_exception();
    failed = true;
  };

#pragma omp parallel num_threads(stats.threads)
  {
    Scratch scratch;
    ChunkBuffer buffer;
    for (;;) {
      std::optional<ChunkRange> chunk;
      std::uint64_t ticket = 0;
      {
        std::lock_guard lock(claimMutex);
        if (!exhausted && !failed.load() && !(stop && stop->load())) {
          try {
            chunk = source.next();
          } catch (...) {
            if (!failure) failure = std::current_exception();
            failed = true;
          }
          exhausted = !chunk.has_value();
        }
        if (!chunk) break;
        ticket = nextTicket++;
      }
      bool computed = false;
      if (!failed.load()) {
        try {
          evaluator.evaluate(*chunk, scratch, buffer);
          writer.prepare(buffer);  // checksum and compression here, in parallel
          computed = true;
        } catch (...) {
          recordFailure();
        }
      }
      // Every ticket passes here, computed or not, so later ones are never left waiting.
      std::unique_lock lock(writeMutex);
      writeTurn.wait(lock, [&] { return nextToWrite == ticket; });
      if (computed && !failed.load()) {
        try {
          const auto t = Clock::now();
          const double cpu = threadCpuSeconds();
          writer.append(buffer);
          stats.writeCpuSeconds += threadCpuSeconds() - cpu;
          // Writing: the writer's serial part and the worker's prepare (checksum, compression).
          stats.writeSeconds += since(t) + buffer.encodeSeconds;
          stats.encodeSeconds += buffer.encodeSeconds;
          if (observe) observe(buffer);
          stats.points += buffer.end - buffer.begin;
          stats.rows += buffer.rows;
          stats.allowed += buffer.allowedCount;
          for (std::size_t j = 0; j < stats.excluded.size(); ++j)
            stats.excluded[j] += buffer.excluded[j];
          for (std::size_t j = 0; j < kStatusCount; ++j) stats.status[j] += buffer.statusCounts[j];
          stats.samplingSeconds += buffer.samplingSeconds;
          stats.kernelSeconds += buffer.kernelSeconds;
          stats.chainSeconds += buffer.chainSeconds;
          if (progress)
            progress->update(alreadyDone + stats.points, alreadyAllowed + stats.allowed);
        } catch (...) {
          recordFailure();
        }
      }
      ++nextToWrite;
      writeTurn.notify_all();
    }
  }
  stats.seconds = since(start);
  if (failure) std::rethrow_exception(failure);
  stats.stopped = !exhausted;
  if (progress) progress->finish(alreadyDone + stats.points, alreadyAllowed + stats.allowed);
  return stats;
}

RunStatistics execute(const ScanConfig& config, const std::vector<ChunkRange>& chunks,
                      ScanWriter& writer, ProgressSink* progress, const std::atomic<bool>* stop,
                      std::uint64_t alreadyDone, std::uint64_t alreadyAllowed) {
  ListSource source(chunks);
  return execute(config, source, writer, progress, stop, alreadyDone, alreadyAllowed);
}

}  // namespace portalscan::scanner
