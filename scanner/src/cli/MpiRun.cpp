// Why this file is in cli/: it is `portalscan run` under mpirun, the MPI
// counterpart of runScan in ScanCommands.cpp, and a run's orchestration lives
// in the command layer: it takes the command's RunArgs, checks them and the
// output on every rank, agrees on errors and exit codes, prints the summary
// and the resume command. The engine and the store know nothing of MPI: its
// chunk sources below feed the engine's execute() through ChunkSource, each
// rank writes its part through the store's ScanWriter, and rank 0 joins the
// parts with the store's mergeScanFiles. Built only with PORTALSCAN_ENABLE_MPI.
//
// `mpirun -n R portalscan run CONFIG.json`: the chunks of one scan shared
// dynamically among R ranks, OpenMP threads inside each (docs/cluster.md).
//
// Design. Debian's HDF5 is the serial build, and a torn parallel-HDF5 write
// would put every rank's work at risk, so each rank writes its own part file
// (`OUT.part-<r>-of-<R>.h5`) through the same ScanWriter as a one-process
// run, with the same checksummed commit records. Rank 0 runs a dispatcher
// thread that hands out chunks in index order, one at a time, to whichever
// rank asks; a rank that dies loses only its chunks in flight. When every
// chunk is in, rank 0 merges the parts (verified) into OUT in index order —
// the file a one-process run writes — and deletes them. `--resume` verifies
// every part, gathers the chunks they hold on rank 0, and hands out the rest.
//
// MPI use is serialized: on ranks > 0 only the claiming thread (one at a time,
// under the engine's claim lock) and the main thread after the run call MPI;
// on rank 0 only the dispatcher thread while it runs, and the main thread
// before and after it.

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Interrupt.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"
#include "portalscan/scanner/cli/Progress.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/Refine.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include "Commands.hpp"
#include "RunSupport.hpp"
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <csignal>
#include <deque>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <thread>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;
using namespace detail;
using Clock = std::chrono::steady_clock;

enum Tag : int { kRequest = 1, kChunk = 2, kFinal = 3 };
enum class Outcome : std::uint64_t { Done = 0, Stopped = 1, Failed = 2 };

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw IoError(std::string("MPI ") + what + " failed: " + std::string(text, length));
}

/// Leave with this exit code, printing nothing (another rank reported why).
struct Quiet {
  int code;
};

/// Runs `step` on every rank and agrees on the result: when it threw on any
/// rank, the lowest such rank rethrows its error (printed once) and the
/// others leave quietly with the same kind of exit code.
template <class Step>
void together(int rank, int size, const Step& step) {
  std::exception_ptr error;
  int code = kExitOk;
  try {
    step();
  } catch (const InputError&) {
    error = std::current_exception();
    code = kExitBadInput;
  } catch (const std::exception&) {
    error = std::current_exception();
    code = kExitFailure;
  }
  int first = code == kExitOk ? size : rank;
  int worst = code;
  check(MPI_Allreduce(MPI_IN_PLACE, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD), "allreduce");
  check(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "allreduce");
  if (first == size) return;
  if (first == rank) std::rethrow_exception(error);
  throw Quiet{worst};
}

std::string partPath(const std::string& out, int rank, int size) {
  const fs::path p(out);
  return (p.parent_path() / (p.stem().string() + ".part-" + std::to_string(rank + 1) + "-of-" +
                             std::to_string(size) + p.extension().string()))
      .string();
}

/// Part files of this output written by a run with another rank count.
std::vector<PartFile> foreignParts(const std::string& out, int size) {
  std::vector<PartFile> found;
  for (auto& p : partFilesOf(out)) {
    if (p.subset.count != static_cast<std::uint64_t>(size)) found.push_back(std::move(p));
  }
  return found;
}

std::string resumeCommand(const RunArgs& args, const std::string& out, int size) {
  return "mpirun -n " + std::to_string(size) + " " + shellWord(args.program) + " run " +
         shellWord(args.config) + " --resume -o " + shellWord(out);
}

/// What a rank did in this run, as sent to rank 0.
struct RankResult {
  Outcome outcome = Outcome::Done;
  RunStatistics stats;

  std::vector<std::uint64_t> encode() const {
    std::vector<std::uint64_t> m{static_cast<std::uint64_t>(outcome), stats.points, stats.rows,
                                 stats.allowed, static_cast<std::uint64_t>(stats.threads)};
    m.insert(m.end(), stats.excluded.begin(), stats.excluded.end());
    m.insert(m.end(), stats.status.begin(), stats.status.end());
    for (double t : {stats.seconds, stats.samplingSeconds, stats.kernelSeconds, stats.chainSeconds,
                     stats.writeSeconds}) {
      m.push_back(std::bit_cast<std::uint64_t>(t));
    }
    return m;
  }
  static RankResult decode(const std::vector<std::uint64_t>& m, std::size_t constraints) {
    RankResult r;
    std::size_t i = 0;
    r.outcome = static_cast<Outcome>(m.at(i++));
    r.stats.points = m.at(i++);
    r.stats.rows = m.at(i++);
    r.stats.allowed = m.at(i++);
    r.stats.threads = static_cast<int>(m.at(i++));
    for (std::size_t k = 0; k < constraints; ++k) r.stats.excluded.push_back(m.at(i++));
    for (auto& s : r.stats.status) s = m.at(i++);
    for (double* t : {&r.stats.seconds, &r.stats.samplingSeconds, &r.stats.kernelSeconds,
                      &r.stats.chainSeconds, &r.stats.writeSeconds}) {
      *t = std::bit_cast<double>(m.at(i++));
    }
    return r;
  }
};

/// A worker rank's share: runs `work` (which fills result.stats and writes its part), records
/// the outcome (stopped, done, or failed with one error line naming the rank) and sends the
/// result to rank 0.
template <typename Work>
void workAndReport(RankResult& result, int rank, std::ostream& err, Work work) {
  try {
    work();
    result.outcome = result.stats.stopped ? Outcome::Stopped : Outcome::Done;
  } catch (const std::exception& e) {
    err << "portalscan: error: rank " << rank + 1 << ": " << e.what() << "\n";
    result.outcome = Outcome::Failed;
  }
  const auto message = result.encode();
  check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_UINT64_T, 0, kFinal,
                 MPI_COMM_WORLD),
        "send");
}

/// Adds every rank's counts (points, rows, allowed, exclusions, statuses) into `counts` and its
/// stage times into `times` (the same object or another); returns the worst outcome.
Outcome addRankResults(const std::vector<RankResult>& results, std::size_t constraints,
                       RunStatistics& counts, RunStatistics& times) {
  Outcome worst = Outcome::Done;
  for (const RankResult& r : results) {
    worst = std::max(worst, r.outcome);
    counts.points += r.stats.points;
    counts.rows += r.stats.rows;
    counts.allowed += r.stats.allowed;
    for (std::size_t j = 0; j < constraints; ++j) counts.excluded[j] += r.stats.excluded[j];
    for (std::size_t s = 0; s < kStatusCount; ++s) counts.status[s] += r.stats.status[s];
    times.samplingSeconds += r.stats.samplingSeconds;
    times.kernelSeconds += r.stats.kernelSeconds;
    times.chainSeconds += r.stats.chainSeconds;
    times.writeSeconds += r.stats.writeSeconds;
  }
  return worst;
}

/// Rank 0: the queue of chunks and the thread that serves it to the other
/// ranks; rank 0's own engine takes from the same queue directly.
class Dispatcher {
 public:
  Dispatcher(std::vector<ChunkRange> chunks, int size, std::size_t constraints,
             const std::atomic<bool>& stop, Progress& progress, std::uint64_t alreadyDone,
             std::uint64_t alreadyAllowed)
      : queue_(chunks.begin(), chunks.end()),
        size_(size),
        constraints_(constraints),
        stop_(stop),
        progress_(progress),
        alreadyDone_(alreadyDone),
        alreadyAllowed_(alreadyAllowed),
        done_(static_cast<std::size_t>(size), 0),
        allowed_(static_cast<std::size_t>(size), 0),
        results_(static_cast<std::size_t>(size)) {}

  /// The next chunk, or none once the queue is empty or the scan stops.
  std::optional<ChunkRange> take() {
    std::lock_guard lock(mutex_);
    if (closed_ || stop_.load() || queue_.empty()) return std::nullopt;
    const ChunkRange c = queue_.front();
    queue_.pop_front();
    return c;
  }

  /// Rank 0's own counts (its engine's progress).
  void localProgress(std::uint64_t done, std::uint64_t allowed) {
    std::lock_guard lock(mutex_);
    done_[0] = done;
    allowed_[0] = allowed;
  }

  /// Rank 0's engine has finished.
  void localResult(const RankResult& r) {
    std::lock_guard lock(mutex_);
    results_[0] = r;
    if (r.outcome != Outcome::Done) closed_ = true;
    localFinished_ = true;
  }

  /// Serves requests until every rank has sent its result. An MPI failure
  /// here cannot be recovered (the other ranks wait on it): it aborts the job,
  /// whose parts keep every committed chunk.
  void serve() {
    try {
      int finals = 0;
      for (;;) {
        {
          std::lock_guard lock(mutex_);
          if (finals == size_ - 1 && localFinished_) return;
        }
        int flag = 0;
        MPI_Status status;
        check(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status), "probe");
        if (!flag) {
          report();
          std::this_thread::sleep_for(std::chrono::microseconds(100));
          continue;
        }
        const int source = status.MPI_SOURCE;
        if (status.MPI_TAG == kRequest) {
          std::uint64_t request[2];
          check(MPI_Recv(request, 2, MPI_UINT64_T, source, kRequest, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE),
                "receive");
          {
            std::lock_guard lock(mutex_);
            done_[static_cast<std::size_t>(source)] = request[0];
            allowed_[static_cast<std::size_t>(source)] = request[1];
          }
          const auto chunk = take();
          const std::uint64_t reply[3] = {chunk ? 1u : 0u, chunk ? chunk->first : 0,
                                          chunk ? chunk->second : 0};
          check(MPI_Send(reply, 3, MPI_UINT64_T, source, kChunk, MPI_COMM_WORLD), "send");
        } else if (status.MPI_TAG == kFinal) {
          int count = 0;
          MPI_Get_count(&status, MPI_UINT64_T, &count);
          std::vector<std::uint64_t> message(static_cast<std::size_t>(count));
          check(MPI_Recv(message.data(), count, MPI_UINT64_T, source, kFinal, MPI_COMM_WORLD,
                         MPI_STATUS_IGNORE),
                "receive");
          const RankResult r = RankResult::decode(message, constraints_);
          std::lock_guard lock(mutex_);
          results_[static_cast<std::size_t>(source)] = r;
          done_[static_cast<std::size_t>(source)] = r.stats.points;
          allowed_[static_cast<std::size_t>(source)] = r.stats.allowed;
          if (r.outcome != Outcome::Done) closed_ = true;  // one rank stopped: all stop
          ++finals;
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "portalscan: error: rank 1 (dispatcher): %s; aborting the job\n",
                   e.what());
      MPI_Abort(MPI_COMM_WORLD, kExitFailure);
    }
  }

  const std::vector<RankResult>& results() const { return results_; }
  bool drained() const { return queue_.empty(); }

 private:
  void report() {
    std::uint64_t done = alreadyDone_, allowed = alreadyAllowed_;
    {
      std::lock_guard lock(mutex_);
      for (auto d : done_) done += d;
      for (auto a : allowed_) allowed += a;
    }
    progress_.update(done, allowed);
  }

  std::mutex mutex_;
  std::deque<ChunkRange> queue_;
  bool closed_ = false;
  bool localFinished_ = false;
  int size_;
  std::size_t constraints_;
  const std::atomic<bool>& stop_;
  Progress& progress_;
  std::uint64_t alreadyDone_;
  std::uint64_t alreadyAllowed_;
  std::vector<std::uint64_t> done_;
  std::vector<std::uint64_t> allowed_;
  std::vector<RankResult> results_;
};

/// Rank 0's engine: chunks straight from the dispatcher's queue.
class LocalSource final : public ChunkSource, public ProgressSink {
 public:
  explicit LocalSource(Dispatcher& d) : dispatcher_(d) {}
  std::optional<ChunkRange> next() override { return dispatcher_.take(); }
  void update(std::uint64_t done, std::uint64_t allowed) override {
    dispatcher_.localProgress(done, allowed);
  }
  void finish(std::uint64_t, std::uint64_t) override {}

 private:
  Dispatcher& dispatcher_;
};

/// The other ranks' engines: one chunk per request to rank 0, which also
/// learns the rank's progress from it.
class RemoteSource final : public ChunkSource, public ProgressSink {
 public:
  std::optional<ChunkRange> next() override {
    const std::uint64_t request[2] = {done_.load(), allowed_.load()};
    check(MPI_Send(request, 2, MPI_UINT64_T, 0, kRequest, MPI_COMM_WORLD), "send");
    std::uint64_t reply[3];
    check(MPI_Recv(reply, 3, MPI_UINT64_T, 0, kChunk, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "receive");
    if (reply[0] == 0) return std::nullopt;
    return ChunkRange{reply[1], reply[2]};
  }
  void update(std::uint64_t done, std::uint64_t allowed) override {
    done_ = done;
    allowed_ = allowed;
  }
  void finish(std::uint64_t, std::uint64_t) override {}

 private:
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::uint64_t> allowed_{0};
};

/// The element-wise minimum of `v` over every rank, in place (in pieces that fit an int count).
void allMin(std::vector<std::uint8_t>& v) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t b = 0; b < v.size(); b += kPiece) {
    check(
        MPI_Allreduce(MPI_IN_PLACE, v.data() + b, static_cast<int>(std::min(kPiece, v.size() - b)),
                      MPI_UINT8_T, MPI_MIN, MPI_COMM_WORLD),
        "allreduce");
  }
}

/// `mpirun -n R portalscan run` of a refine scan: each round's chunks dealt by the dispatcher
/// as in any MPI run; when a round is over every rank learns all its verdicts (an element-wise
/// minimum over the ranks, 2 meaning "not mine") and plans the next round itself, the same
/// round on every rank. The parts are joined in index order at the end: the one-process file.
int refineDistributed(const RunArgs& args, const ScanConfig& config, const std::string& output,
                      const std::string& part, const std::vector<PartFile>& foreign, int rank,
                      int size, std::ostream& out, std::ostream& err) {
  const Subset subset{Subset::Kind::MpiRank, static_cast<std::uint64_t>(rank),
                      static_cast<std::uint64_t>(size)};
  const std::size_t nC = config.chain.constraints().size();
  // 2. Every rank verifies (and repairs) its part and its share of an earlier run's parts,
  // reads their verdicts, then opens its part.
  FileState counted;
  counted.excluded.assign(nC, 0);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> held;  // chunks in the files read here
  std::vector<std::uint8_t> known;
  std::optional<ScanWriter> writer;
  together(rank, size, [&] {
    std::optional<FileState> own;
    const auto add = [&](const FileState& f, const std::string& path) {
      const auto chunks = readVerdictsInto(path, config, known);
      held.insert(held.end(), chunks.begin(), chunks.end());
      counted.allowed += f.allowed;
      for (std::size_t k = 0; k < nC; ++k) counted.excluded[k] += f.excluded[k];
      for (std::size_t st = 0; st < kStatusCount; ++st) counted.status[st] += f.status[st];
      counted.committed.insert(counted.committed.end(), f.committed.begin(), f.committed.end());
    };
    if (args.resume && fs::exists(part)) {
      own = verifyForResume(part, config, subset);
      add(*own, part);
    }
    for (std::size_t i = static_cast<std::size_t>(rank); i < foreign.size();
         i += static_cast<std::size_t>(size)) {
      const FileState f = verifyForResume(foreign[i].path, config, foreign[i].subset);
      ScanWriter(config, foreign[i].path, f).finish();  // no more chunks: joined as it is
      add(f, foreign[i].path);
    }
    if (own) {
      writer.emplace(config, part, *own);
    } else {
      checkOutput(part, true);
      writer.emplace(config, part, true, subset);
    }
  });
  // 3. Every rank learns every verdict the parts hold, and the counts of their points.
  std::uint64_t length = known.size();
  check(MPI_Allreduce(MPI_IN_PLACE, &length, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD),
        "allreduce");
  known.resize(length, 2);
  allMin(known);
  std::vector<std::uint64_t> earlier{counted.points(), counted.allowed, 0};
  earlier.insert(earlier.end(), counted.excluded.begin(), counted.excluded.end());
  earlier.insert(earlier.end(), counted.status.begin(), counted.status.end());
  check(MPI_Allreduce(MPI_IN_PLACE, earlier.data(), static_cast<int>(earlier.size()), MPI_UINT64_T,
                      MPI_SUM, MPI_COMM_WORLD),
        "allreduce");
  Totals totals{earlier[0], earlier[1], {}, {}};
  totals.excluded.assign(earlier.begin() + 3, earlier.begin() + 3 + static_cast<long>(nC));
  std::copy_n(earlier.begin() + 3 + static_cast<long>(nC), kStatusCount, totals.status.begin());
  // The rounds the verdicts plan; every chunk of the parts must be one of theirs.
  Refinement refinement(config);
  const auto planned = replay(refinement, known);
  together(rank, size, [&] {
    const std::set<std::pair<std::uint64_t, std::uint64_t>> plan(planned.begin(), planned.end());
    for (const auto& c : held) {
      if (!plan.contains(c)) {
        throw InputError("the part files hold chunk [" + std::to_string(c.first) + ", " +
                         std::to_string(c.second) + ") where the verdicts plan another: they " +
                         "were not written by this refinement; start again with --force");
      }
    }
    if (rank == 0 && args.resume && totals.points > 0) {
      err << "portalscan: resuming '" << output << "' on " << size << " ranks: " << totals.points
          << " points done, round " << refinement.rounds() - 1 << " of at most "
          << config.refine.depth;
      if (!foreign.empty()) {
        err << " (" << foreign.size() << " part file(s) of a run with "
            << foreign.front().subset.count << " ranks kept, joined at the end)";
      }
      err << "\n";
    }
  });

  // 4. The rounds.
  const InterruptHandler interrupts;
  const auto sampler = makeRefineSampler(refinement, config.points);
  const ChunkObserver observe = [&](const ChunkBuffer& b) {
    for (std::uint64_t r = 0; r < b.rows; ++r)
      refinement.setVerdict(b.index[r], refineVerdict(config.refine, b, r));
  };
  const auto start = Clock::now();
  RunStatistics all;
  all.excluded.assign(nC, 0);
  for (;;) {
    const std::size_t k = refinement.rounds() - 1;
    std::vector<ChunkRange> remaining;
    for (const auto& c : refinement.chunks(k))
      if (c.first >= known.size() || known[c.first] == 2) remaining.push_back(c);
    RankResult result;
    std::uint64_t outcome = 0;
    if (rank == 0) {
      Progress progress(refinement.roundEnd(k), totals.points, Progress::stderrIsTerminal(), err);
      Dispatcher dispatcher(remaining, size, nC, interrupts.stop(), progress, totals.points,
                            totals.allowed);
      std::thread server([&] { dispatcher.serve(); });
      LocalSource source(dispatcher);
      try {
        result.stats =
            execute(config, *sampler, source, *writer, &source, &interrupts.stop(), 0, 0, observe);
        result.outcome = result.stats.stopped ? Outcome::Stopped : Outcome::Done;
        writer->commit();
      } catch (const std::exception& e) {
        err << "portalscan: error: rank 1: " << e.what() << "\n";
        result.outcome = Outcome::Failed;
      }
      dispatcher.localResult(result);
      server.join();
      RunStatistics round;
      round.excluded.assign(nC, 0);
      Outcome worst = addRankResults(dispatcher.results(), nC, round, all);
      if (worst == Outcome::Done && !dispatcher.drained()) worst = Outcome::Stopped;
      totals.add(round);
      all.threads = result.stats.threads;
      all.points += round.points;
      all.rows += round.rows;
      outcome = static_cast<std::uint64_t>(worst);
    } else {
      RemoteSource source;
      workAndReport(result, rank, err, [&] {
        result.stats =
            execute(config, *sampler, source, *writer, &source, &interrupts.stop(), 0, 0, observe);
        writer->commit();
      });
    }
    // A stop between rounds on any rank ends the run too.
    std::uint64_t stop = interrupts.stop().load() ? 1 : 0;
    check(MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD),
          "allreduce");
    check(MPI_Bcast(&outcome, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD), "broadcast");
    if (outcome == static_cast<std::uint64_t>(Outcome::Done) && stop) {
      outcome = static_cast<std::uint64_t>(Outcome::Stopped);
    }
    if (outcome != static_cast<std::uint64_t>(Outcome::Done)) {
      try {
        writer->close();
      } catch (const std::exception& e) {
        err << "portalscan: error: rank " << rank + 1 << ": " << e.what() << "\n";
      }
      const int sig = interrupts.signal() ? interrupts.signal() : SIGTERM;
      if (outcome == static_cast<std::uint64_t>(Outcome::Failed)) {
        if (rank == 0) {
          err << "portalscan: the part files keep every committed chunk: fix the cause and "
                 "resume with: "
              << resumeCommand(args, output, size) << "\n";
        }
        return kExitFailure;
      }
      if (rank == 0) {
        err << "portalscan: interrupted after " << totals.points << " points (round " << k
            << "); the part files keep every finished chunk.\nresume with: "
            << resumeCommand(args, output, size) << "\n";
      }
      return 128 + sig;
    }
    // Every verdict of the round, on every rank.
    const std::uint64_t b = refinement.roundBegin(k), e = refinement.roundEnd(k);
    std::vector<std::uint8_t> verdicts(e - b);
    for (std::uint64_t i = b; i < e; ++i) {
      verdicts[i - b] = i < known.size() && known[i] != 2 ? known[i] : refinement.verdict(i);
    }
    allMin(verdicts);
    for (std::uint64_t i = b; i < e; ++i) {
      if (verdicts[i - b] == 2) {
        throw IoError("round " + std::to_string(k) + ": no rank holds the verdict of point " +
                      std::to_string(i));
      }
      refinement.setVerdict(i, verdicts[i - b] != 0);
    }
    if (!refinement.nextRound()) break;
  }
  writer->finish();
  check(MPI_Barrier(MPI_COMM_WORLD), "barrier");  // every part finished before the join
  if (rank != 0) return kExitOk;

  // 5. Rank 0 joins the parts, in index order, and reports.
  all.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks;
  for (std::size_t k = 0; k < refinement.rounds(); ++k) {
    const auto c = refinement.chunks(k);
    chunks.insert(chunks.end(), c.begin(), c.end());
  }
  std::vector<std::string> parts;
  for (int r = 0; r < size; ++r) parts.push_back(partPath(output, r, size));
  for (const PartFile& f : foreign) parts.push_back(f.path);
  const auto mergeStart = Clock::now();
  MergeSummary merged;
  try {
    merged = mergeScanFiles(config, parts, output, true, &chunks);
  } catch (const std::exception& e) {
    throw IoError(std::string("joining the part files into '") + output + "' failed: " + e.what() +
                  "; they keep every chunk: resume with: " + resumeCommand(args, output, size));
  }
  const double mergeSeconds = std::chrono::duration<double>(Clock::now() - mergeStart).count();
  for (const auto& p : parts) fs::remove(p);
  printSummary(out, config, std::to_string(size) + " MPI ranks", totals, all, merged.rows, output);
  std::vector<std::uint64_t> perRound;
  for (std::size_t k = 0; k < refinement.rounds(); ++k)
    perRound.push_back(refinement.roundEnd(k) - refinement.roundBegin(k));
  printRefinement(out, config, perRound, refinement.boundaryCells(), refinement.budgetReached());
  char line[128];
  std::snprintf(line, sizeof line, "  joined           %zu part files in %.2f s\n", parts.size(),
                mergeSeconds);
  out << line;
  return kExitOk;
}

}  // namespace

int runScanDistributed(const RunArgs& args, std::ostream& out, std::ostream& err) {
  const mpi::Session& session = *mpi::Session::current();
  const int rank = session.rank(), size = session.size();
  try {
    // 1. The arguments, config and output: checked on every rank, agreed.
    std::optional<ScanConfig> config;
    std::string output, part;
    std::vector<PartFile> foreign;  // parts of an earlier run with another rank count
    bool nothingToDo = false;
    together(rank, size, [&] {
      if (args.resume && args.force) throw InputError("--resume and --force exclude each other");
      if (!args.shard.empty()) {
        throw InputError(
            "--shard is for separate jobs (SLURM arrays); under mpirun the ranks share the chunks "
            "of the whole scan");
      }
      config.emplace(runConfig(args));
      output = config->output.path;
      part = partPath(output, rank, size);
      foreign = foreignParts(output, size);
      if (!foreign.empty() && !args.resume) {
        throw InputError("'" + foreign.front().path + "' is a part of an interrupted run with " +
                         std::to_string(foreign.front().subset.count) + " ranks: continue it " +
                         "with --resume (with any number of ranks), or remove its parts");
      }
      // With part files beside it, an existing output is a join that did not finish (a stop
      // during the join): the parts are what counts, and the join writes it anew.
      if (args.resume && fs::exists(output) && partFilesOf(output).empty()) {
        const ScanSummary s = summarise(output, false);
        if (s.configHash != config->identityHash) {
          throw InputError("'" + output + "' holds a scan of a different configuration: " +
                           "refusing to mix them");
        }
        if (s.complete) {
          nothingToDo = true;
          return;
        }
        throw InputError("'" + output + "' is an incomplete scan run without MPI: resume it " +
                         "without mpirun, or start again with --force");
      }
      if (!args.resume) {
        checkOutput(output, args.force, args.config);
        if (fs::exists(part) && !args.force) {
          throw InputError("'" + part + "' is left from an interrupted MPI run: continue it " +
                           "with --resume, or start again with --force");
        }
      }
    });
    if (nothingToDo) {
      if (rank == 0) out << output << ": already complete; nothing to do\n";
      return kExitOk;
    }
    if (config->sampler == SamplerKind::Refine) {
      return refineDistributed(args, *config, output, part, foreign, rank, size, out, err);
    }

    // 2. Every rank opens its part: verified and repaired on resume.
    const Subset subset{Subset::Kind::MpiRank, static_cast<std::uint64_t>(rank),
                        static_cast<std::uint64_t>(size)};
    FileState state;
    state.excluded.assign(config->chain.constraints().size(), 0);
    std::optional<ScanWriter> writer;
    // The parts of an earlier run with another rank count are kept as they are, verified (and
    // repaired) on resume by the ranks in turn, and joined with the new parts at the end.
    std::vector<FileState> inherited;
    together(rank, size, [&] {
      if (args.resume && fs::exists(part)) {
        state = verifyForResume(part, *config, subset);
        writer.emplace(*config, part, state);
      } else {
        checkOutput(part, true);
        writer.emplace(*config, part, true, subset);
      }
      for (std::size_t i = static_cast<std::size_t>(rank); i < foreign.size();
           i += static_cast<std::size_t>(size)) {
        inherited.push_back(verifyForResume(foreign[i].path, *config, foreign[i].subset));
        // It gets no more chunks: finished as it is, so that the join takes it.
        ScanWriter(*config, foreign[i].path, inherited.back()).finish();
      }
    });

    // 3. Rank 0 learns which chunks the parts hold and what they counted.
    const std::size_t nC = config->chain.constraints().size();
    std::vector<std::uint64_t> mine;
    for (const auto& c : state.committed) mine.push_back(c.first);
    FileState counted = state;  // this rank's part and the inherited parts it verified
    for (const FileState& f : inherited) {
      for (const auto& c : f.committed) mine.push_back(c.first);
      counted.allowed += f.allowed;
      for (std::size_t k = 0; k < nC; ++k) counted.excluded[k] += f.excluded[k];
      for (std::size_t st = 0; st < kStatusCount; ++st) counted.status[st] += f.status[st];
      counted.committed.insert(counted.committed.end(), f.committed.begin(), f.committed.end());
    }
    int count = static_cast<int>(mine.size());
    std::vector<int> counts(static_cast<std::size_t>(size)),
        offsets(static_cast<std::size_t>(size));
    check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD), "gather");
    std::vector<std::uint64_t> held;
    if (rank == 0) {
      for (int r = 1; r < size; ++r) offsets[r] = offsets[r - 1] + counts[r - 1];
      held.resize(static_cast<std::size_t>(offsets.back() + counts.back()));
    }
    check(MPI_Gatherv(mine.data(), count, MPI_UINT64_T, held.data(), counts.data(), offsets.data(),
                      MPI_UINT64_T, 0, MPI_COMM_WORLD),
          "gather");
    std::vector<std::uint64_t> earlier{counted.points(), counted.allowed, 0};
    earlier.insert(earlier.end(), counted.excluded.begin(), counted.excluded.end());
    earlier.insert(earlier.end(), counted.status.begin(), counted.status.end());
    check(MPI_Allreduce(MPI_IN_PLACE, earlier.data(), static_cast<int>(earlier.size()),
                        MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD),
          "allreduce");
    Totals totals{earlier[0], earlier[1], {}, {}};
    totals.excluded.assign(earlier.begin() + 3, earlier.begin() + 3 + static_cast<long>(nC));
    std::copy_n(earlier.begin() + 3 + static_cast<long>(nC), kStatusCount, totals.status.begin());

    std::vector<ChunkRange> remaining;
    together(rank, size, [&] {
      if (rank != 0) return;
      std::set<std::uint64_t> done;
      for (auto b : held) {
        if (!done.insert(b).second) {
          throw IoError("chunk at point " + std::to_string(b) + " is in two part files");
        }
      }
      for (const auto& c : allChunks(*config)) {
        if (!done.contains(c.first)) remaining.push_back(c);
      }
      if (args.resume && !held.empty()) {
        err << "portalscan: resuming '" << output << "' on " << size << " ranks: " << totals.points
            << " of " << config->points << " points done";
        if (!foreign.empty()) {
          err << " (" << foreign.size() << " part file(s) of a run with "
              << foreign.front().subset.count << " ranks kept, joined at the end)";
        }
        err << "\n";
      }
    });

    // 4. The run.
    const InterruptHandler interrupts;
    RankResult result;
    const auto start = Clock::now();
    if (rank == 0) {
      Progress progress(config->points, totals.points, Progress::stderrIsTerminal(), err);
      Dispatcher dispatcher(remaining, size, nC, interrupts.stop(), progress, totals.points,
                            totals.allowed);
      std::thread server([&] { dispatcher.serve(); });
      LocalSource source(dispatcher);
      try {
        result.stats = execute(*config, source, *writer, &source, &interrupts.stop());
        result.outcome = result.stats.stopped ? Outcome::Stopped : Outcome::Done;
        writer->finish();
      } catch (const std::exception& e) {
        err << "portalscan: error: rank 1: " << e.what() << "\n";
        result.outcome = Outcome::Failed;
      }
      dispatcher.localResult(result);
      server.join();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

      // 5. Rank 0 reports, and joins the parts when the scan is complete.
      RunStatistics all;
      all.threads = result.stats.threads;
      all.excluded.assign(nC, 0);
      Outcome outcome = addRankResults(dispatcher.results(), nC, all, all);
      all.seconds = seconds;
      totals.add(all);
      if (outcome == Outcome::Done && !dispatcher.drained()) outcome = Outcome::Stopped;
      if (outcome == Outcome::Failed) {
        err << "portalscan: the part files keep every committed chunk: fix the cause and resume "
               "with: "
            << resumeCommand(args, output, size) << "\n";
        return kExitFailure;
      }
      if (outcome == Outcome::Stopped) {
        const int sig = interrupts.signal() ? interrupts.signal() : SIGTERM;
        err << "portalscan: interrupted after " << totals.points << " of " << config->points
            << " points (" << percent(totals.points, config->points) << "); the part files keep "
            << "every finished chunk.\nresume with: " << resumeCommand(args, output, size) << "\n";
        return 128 + sig;
      }
      progress.finish(totals.points, totals.allowed);
      std::vector<std::string> parts;
      for (int r = 0; r < size; ++r) parts.push_back(partPath(output, r, size));
      for (const PartFile& f : foreign) parts.push_back(f.path);
      const auto mergeStart = Clock::now();
      MergeSummary merged;
      try {
        merged = mergeScanFiles(*config, parts, output, true);
      } catch (const std::exception& e) {
        throw IoError(std::string("joining the part files into '") + output +
                      "' failed: " + e.what() +
                      "; they keep every chunk: resume with: " + resumeCommand(args, output, size));
      }
      const double mergeSeconds = std::chrono::duration<double>(Clock::now() - mergeStart).count();
      for (const auto& p : parts) fs::remove(p);
      printSummary(out, *config, std::to_string(size) + " MPI ranks", totals, all, merged.rows,
                   output);
      char line[128];
      std::snprintf(line, sizeof line, "  joined           %zu part files in %.2f s\n",
                    parts.size(), mergeSeconds);
      out << line;
      return kExitOk;
    }

    RemoteSource source;
    workAndReport(result, rank, err, [&] {
      result.stats = execute(*config, source, *writer, &source, &interrupts.stop());
      writer->finish();
    });
    switch (result.outcome) {
      case Outcome::Done:
        return kExitOk;
      case Outcome::Stopped:
        return 128 + (interrupts.signal() ? interrupts.signal() : SIGTERM);
      case Outcome::Failed:
        return kExitFailure;
    }
    return kExitOk;
  } catch (const Quiet& q) {
    return q.code;
  }
}

}  // namespace portalscan::scanner
