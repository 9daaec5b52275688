#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"
#include "portalscan/scanner/cli/Progress.hpp"
#include "portalscan/scanner/cli/Text.hpp"
#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/Refine.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include "Commands.hpp"
#include "Interrupt.hpp"
#include "RunSupport.hpp"
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>

namespace portalscan::scanner {

namespace fs = std::filesystem;

namespace detail {

std::string percent(std::uint64_t part, std::uint64_t whole) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%",
                whole ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  return buffer;
}

std::string megabytes(std::uint64_t bytes) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buffer;
}

/// The output must be creatable: nothing is written before this passes. The
/// scan's own config (`config`, when given) is never an output.
void checkOutput(const std::string& path, bool force, const std::string& config) {
  const fs::path p(path);
  if (fs::exists(p)) {
    if (fs::is_directory(p)) throw InputError("output '" + path + "' is a directory");
    std::error_code ec;
    if (!config.empty() && fs::equivalent(p, config, ec)) {
      throw InputError("output '" + path + "' is the scan's own config: refusing to write over it");
    }
    if (!force) throw InputError("output '" + path + "' exists (use --force to overwrite it)");
    if (!fs::is_regular_file(p)) {
      throw InputError("output '" + path + "' is not a regular file: refusing to replace it");
    }
    if (::access(path.c_str(), W_OK) != 0)
      throw InputError("output '" + path + "' is not writable");
    // The replacement is made beside the file and renamed over it: its folder must be writable.
    const fs::path dir = fs::canonical(p).parent_path();
    if (::access(dir.c_str(), W_OK) != 0) {
      throw InputError("cannot replace output '" + path + "': its folder '" + dir.string() +
                       "' is not writable (the new file is written beside the old one)");
    }
    checkReplaceable(path);
    return;
  }
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) {
    throw InputError("cannot create output '" + path + "': no such directory '" + dir.string() +
                     "'");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw InputError("cannot create output '" + path + "': directory '" + dir.string() +
                     "' is not writable");
  }
}

std::vector<PartFile> partFilesOf(const std::string& output) {
  const fs::path p(output);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = p.stem().string() + ".part-";
  const std::string extension = p.extension().string();
  std::vector<PartFile> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() + extension.size() || name.rfind(prefix, 0) != 0 ||
        !name.ends_with(extension)) {
      continue;
    }
    // K-of-N between the prefix and the extension, both positive integers, K <= N.
    const std::string middle =
        name.substr(prefix.size(), name.size() - prefix.size() - extension.size());
    const auto of = middle.find("-of-");
    if (of == std::string::npos || of == 0 || of + 4 >= middle.size() || of > 9 ||
        middle.size() - of - 4 > 9) {
      continue;
    }
    const std::string k = middle.substr(0, of), n = middle.substr(of + 4);
    if (k.find_first_not_of("0123456789") != std::string::npos ||
        n.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    const std::uint64_t rank = std::stoull(k), size = std::stoull(n);
    if (rank == 0 || rank > size) continue;
    found.push_back({entry.path().string(), Subset{Subset::Kind::MpiRank, rank - 1, size}});
  }
  std::sort(found.begin(), found.end(),
            [](const PartFile& a, const PartFile& b) { return a.path < b.path; });
  return found;
}

ScanConfig runConfig(const RunArgs& args) {
  if (args.threads > kMaxThreads) {
    throw InputError("-j: at most " + std::to_string(kMaxThreads) + " threads (0: every core)");
  }
  ScanConfig config = loadConfig(args.config);
  if (!args.output.empty()) setOutputPath(config, args.output);
  if (args.threads >= 0) setThreads(config, args.threads);
  return config;
}

void Totals::add(const RunStatistics& stats) {
  points += stats.points;
  allowed += stats.allowed;
  for (std::size_t k = 0; k < excluded.size(); ++k) excluded[k] += stats.excluded[k];
  for (std::size_t s = 0; s < kStatusCount; ++s) status[s] += stats.status[s];
}

void printSummary(std::ostream& out, const ScanConfig& config, const std::string& scope,
                  const Totals& totals, const RunStatistics& stats, std::uint64_t rows,
                  const std::string& path) {
  const auto& chain = config.chain.constraints();
  out << "portalscan run: " << config.model << ", " << totals.points << " points ("
      << toString(config.sampler) << (scope.empty() ? "" : ", " + scope) << "), " << stats.threads
      << " thread" << (stats.threads == 1 ? "" : "s") << "\n";
  out << "  allowed          " << totals.allowed << " (" << percent(totals.allowed, totals.points)
      << ")\n";
  out << "  excluded by\n";
  for (std::size_t k = 0; k < chain.size(); ++k) {
    out << "    " << std::left << std::setw(22) << chain[k].name << std::right << std::setw(12)
        << totals.excluded[k] << "  (" << percent(totals.excluded[k], totals.points) << ")\n";
  }
  for (std::size_t s = 1; s < kStatusCount; ++s) {
    if (totals.status[s])
      out << "  status " << kPointStatusNames[s] << ": " << totals.status[s] << "\n";
  }
  const double busy =
      stats.samplingSeconds + stats.kernelSeconds + stats.chainSeconds + stats.writeSeconds;
  char timing[256];
  if (stats.points == 0 || busy <= 0) {
    std::snprintf(timing, sizeof timing, "  time             %.2f s, no points left to evaluate\n",
                  stats.seconds);
  } else {
    std::snprintf(timing, sizeof timing,
                  "  time             %.2f s for %llu points, %s points/s (sampling %.0f%%, kernel "
                  "%.0f%%, chain %.0f%%, writing %.0f%%)\n",
                  stats.seconds, static_cast<unsigned long long>(stats.points),
                  formatCount(static_cast<double>(stats.points) / stats.seconds).c_str(),
                  100 * stats.samplingSeconds / busy, 100 * stats.kernelSeconds / busy,
                  100 * stats.chainSeconds / busy, 100 * stats.writeSeconds / busy);
  }
  out << timing;
  out << "  wrote            " << path << " (" << rows << " rows, "
      << megabytes(fs::file_size(path)) << ")\n";
}

std::string shellWord(const std::string& path) {
  // A path starting with '-' would be read as an option however it is quoted: ./-name is not.
  const std::string word = !path.empty() && path.front() == '-' ? "./" + path : path;
  const bool plain = !word.empty() && word.find_first_not_of(
                                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_-./=+:,@%") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace detail

using namespace detail;

namespace {

/// "--shard K/N" with 1 <= K <= N.
Subset parseShard(const std::string& text) {
  Subset s;
  if (text.empty()) return s;
  const auto slash = text.find('/');
  std::uint64_t k = 0, n = 0;
  try {
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    std::size_t used = 0;
    k = std::stoull(text.substr(0, slash), &used);
    if (used != slash) throw std::invalid_argument("trailing");
    n = std::stoull(text.substr(slash + 1), &used);
    if (used != text.size() - slash - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw InputError("--shard expects K/N (the K-th of N shards), got '" + text + "'");
  }
  if (n == 0 || k == 0 || k > n) {
    throw InputError("--shard K/N needs 1 <= K <= N, got '" + text + "'");
  }
  s.kind = Subset::Kind::Shard;
  s.index = k - 1;
  s.count = n;
  return s;
}

std::string defaultShardPath(const std::string& path, const Subset& subset) {
  const fs::path p(path);
  return (p.parent_path() / (p.stem().string() + ".shard-" + std::to_string(subset.index + 1) +
                             "-of-" + std::to_string(subset.count) + p.extension().string()))
      .string();
}

/// The command that resumes this run, with the binary as it was invoked so that it runs as
/// printed (portalscan need not be on PATH).
std::string resumeCommand(const RunArgs& args, const std::string& path, const Subset& subset) {
  std::string c = shellWord(args.program) + " run " + shellWord(args.config) + " --resume -o " +
                  shellWord(path);
  if (subset.kind == Subset::Kind::Shard) c += " --shard " + args.shard;
  return c;
}

/// A run's subset, config (output path set) and chunks, from its arguments.
struct RunPlan {
  Subset subset;
  ScanConfig config;
  std::optional<ChunkPlan> chunks;
  std::uint64_t points = 0;
};

RunPlan planRun(const RunArgs& args) {
  if (args.resume && args.force) throw InputError("--resume and --force exclude each other");
  RunPlan p{parseShard(args.shard), runConfig(args), {}, 0};
  if (p.config.sampler == SamplerKind::Refine && p.subset.kind == Subset::Kind::Shard) {
    throw InputError(
        "--shard: a refine scan runs in one process (each round depends on every "
        "earlier verdict); run it whole, with threads (-j)");
  }
  if (args.output.empty() && p.subset.kind == Subset::Kind::Shard) {
    setOutputPath(p.config, defaultShardPath(p.config.output.path, p.subset));
  }
  p.chunks.emplace(p.config, p.subset);
  p.points = p.chunks->points();
  return p;
}

/// A shard that gets no chunk (a scan of fewer chunks than shards) is legal, and its file holds
/// no points: said, so that nobody wonders where they went.
std::string emptyShardWarning(const RunPlan& p) {
  if (p.subset.kind != Subset::Kind::Shard || p.chunks->size() > 0) return "";
  const ChunkPlan all(p.config, Subset{});
  return "portalscan: warning: " + p.subset.describe() + " holds none of the scan's " +
         std::to_string(all.size()) + " chunk" + (all.size() == 1 ? "" : "s") + " (" +
         std::to_string(p.config.points) + " points in chunks of " +
         std::to_string(p.config.output.chunkPoints) + "): its file will hold no points";
}

/// The chunks of a plan from chunk `first` on, one at a time.
class PlanSource final : public ChunkSource {
 public:
  PlanSource(const ChunkPlan& plan, std::uint64_t first) : plan_(plan), next_(first) {}
  std::optional<ChunkRange> next() override {
    if (next_ >= plan_.size()) return std::nullopt;
    return plan_.at(next_++);
  }

 private:
  const ChunkPlan& plan_;
  std::uint64_t next_;
};

/// What --resume would find in an existing output: the same checks as the run's (the config,
/// the subset), nothing repaired or written.
std::string resumeAction(const std::string& path, const ScanConfig& config, const Subset& subset,
                         std::uint64_t planned) {
  const FileState state = verifyScanFile(path, config, false, &subset);
  if (state.complete) return "already complete (" + std::to_string(state.points()) + " points)";
  std::string action = "would resume it (" + std::to_string(state.points()) + " of " +
                       std::to_string(planned) + " points done";
  if (state.droppedChunks)
    action += "; " + std::to_string(state.droppedChunks) + " chunk(s) fail verification";
  if (!state.closedCleanly) action += "; not closed cleanly: its verified chunks would be copied";
  return action + ")";
}

/// "12.3 MB", "4.56 GB", "789 TB": three digits in the largest unit that is at most the size.
std::string sizeText(double bytes) {
  static const char* const units[] = {"MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  double value = bytes / 1e6;
  while (value >= 1000.0 && u < 4) {
    value /= 1000.0;
    ++u;
  }
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.3g %s", value, units[u]);
  return buffer;
}

/// `run --dry-run`: every check of a run, and what it would do; writes nothing.
int dryRun(const RunArgs& args, std::ostream& out, std::ostream& err) {
  const RunPlan p = planRun(args);
  if (const std::string w = emptyShardWarning(p); !w.empty()) err << w << "\n";
  const std::string& path = p.config.output.path;
  std::string action = "would create it";
  if (fs::exists(path) && args.resume) {
    action = resumeAction(path, p.config, p.subset, p.points);
  } else {
    checkOutput(path, args.force, args.config);
    if (fs::exists(path)) action = "would overwrite it";
  }
  out << "portalscan run --dry-run: config is valid (config_hash " << p.config.identityHash << ")\n"
      << "  model            " << p.config.model << "\n"
      << "  points           " << p.points;
  if (p.subset.kind != Subset::Kind::All) {
    out << " of " << p.config.points << " (" << p.subset.describe() << ")";
  }
  if (p.config.sampler == SamplerKind::Refine) {
    out << " at most (refine: a base grid of " << p.config.refine.baseSize << ", then up to "
        << p.config.refine.depth << " rounds where the verdict changes), in chunks of "
        << p.config.output.chunkPoints << "\n";
  } else {
    out << ", " << toString(p.config.sampler) << ", in " << p.chunks->size() << " chunks of "
        << p.config.output.chunkPoints << "\n";
  }
  out << "  constraints      ";
  const auto& chain = p.config.chain.constraints();
  for (std::size_t k = 0; k < chain.size(); ++k) out << (k ? ", " : "") << chain[k].name;
  out << "\n  output           " << path << ": " << action << "\n";
  if (p.points == 0) return kExitOk;
  // A timed sample of points spread over the scan: at most 0.5 s.
  const CostSample cost = sampleCost(p.config, 0.5);
  const double points = static_cast<double>(p.points);
  const double rows = points * cost.keptFraction;
  const double bytes =
      rows * static_cast<double>(rowBytes(p.config)) +
      static_cast<double>(p.chunks->size()) * static_cast<double>(recordBytes(p.config));
  const double seconds = points * cost.secondsPerPoint / cost.threads;
  out << "  estimate         from " << cost.points << " sampled point"
      << (cost.points == 1 ? "" : "s") << " (" << formatCount(1.0 / cost.secondsPerPoint)
      << " points/s on one thread";
  if (p.config.output.keep == Keep::Allowed) {
    char kept[32];
    std::snprintf(kept, sizeof kept, "%.3g%%", 100.0 * cost.keptFraction);
    out << ", " << kept << " kept";
  }
  out << ")\n"
      << "  run time         about " << formatDuration(seconds) << " on " << cost.threads
      << " thread" << (cost.threads == 1 ? "" : "s") << "\n"
      << "  file size        up to " << sizeText(bytes) << " ("
      << static_cast<std::uint64_t>(rows + 0.5) << " rows of " << rowBytes(p.config)
      << " bytes before " << (p.config.output.compression > 0 ? "gzip" : "any compression")
      << ")\n";
  return kExitOk;
}

}  // namespace

namespace {

/// The criterion's bit of every committed point of a refine scan file, in index order.
std::vector<std::uint8_t> readVerdicts(const std::string& path, const ScanConfig& config) {
  std::vector<std::uint8_t> in;
  readCommitted(path, [&](const CommittedFile& file) {
    const RefineConfig& rc = config.refine;
    in.clear();
    if (rc.criterion == RefineCriterion::Chi2) {
      for (const double x : file.doubles("chi2_total")) in.push_back(x <= rc.chi2Level ? 1 : 0);
      return;
    }
    const std::string dataset =
        rc.criterion == RefineCriterion::Allowed
            ? std::string("allowed")
            : "constraints/" + config.chain.constraints()[rc.constraint].name + "/pass";
    for (const std::int8_t x : file.bytes(dataset)) in.push_back(x != 0 ? 1 : 0);
  });
  return in;
}

/// Plans the rounds of `refinement` again from the verdicts of a file's points, up to the first
/// round the file does not hold whole; returns the chunks of the rounds planned.
std::vector<std::pair<std::uint64_t, std::uint64_t>> replay(Refinement& refinement,
                                                            const std::vector<std::uint8_t>& in) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> planned;
  for (;;) {
    const std::size_t k = refinement.rounds() - 1;
    const auto chunks = refinement.chunks(k);
    planned.insert(planned.end(), chunks.begin(), chunks.end());
    // The verdicts the file holds of this round (all of it, or the part before a stop).
    const std::uint64_t end = std::min<std::uint64_t>(refinement.roundEnd(k), in.size());
    for (std::uint64_t i = refinement.roundBegin(k); i < end; ++i)
      refinement.setVerdict(i, in[i] != 0);
    if (refinement.roundEnd(k) > in.size()) break;
    if (!refinement.nextRound()) break;
  }
  return planned;
}

/// What a refine run prints after the summary (and `info` of its file): the points of each round
/// and how finely the boundary is placed.
void printRefinement(std::ostream& out, const ScanConfig& config,
                     const std::vector<std::uint64_t>& perRound, std::uint64_t boundaryCells,
                     bool budgetReached) {
  out << "  refinement       " << perRound.size() << " round" << (perRound.size() == 1 ? "" : "s")
      << " (depth " << config.refine.depth << ", budget " << config.refine.budget << "): ";
  for (std::size_t k = 0; k < perRound.size(); ++k) out << (k ? " + " : "") << perRound[k];
  out << " points\n";
  const std::size_t level = perRound.empty() ? 0 : perRound.size() - 1;
  out << "  boundary         " << boundaryCells << " cells of level " << level
      << " hold it; cell side " << refineResolution(config, level)
      << (budgetReached ? " (the budget stopped the refinement)" : "") << "\n";
}

/// What a resume repaired in the file it continues, for its "resuming" line: "" or "; ...".
std::string repairNote(const FileState& state) {
  std::string note;
  if (state.droppedChunks)
    note +=
        "; " + std::to_string(state.droppedChunks) + " chunk(s) failed verification and are redone";
  if (state.droppedRows)
    note += "; " + std::to_string(state.droppedRows) + " row(s) past the verified chunks dropped";
  if (state.salvaged)
    note += "; it was not closed cleanly, so its verified chunks were copied into a fresh file";
  return note;
}

/// A fresh output for `run` (also after a --resume that found no file): refused over a file
/// that --force may not replace, an IoError of the store said as bad input.
void createWriter(std::optional<ScanWriter>& writer, const RunArgs& args, const ScanConfig& config,
                  const Subset& subset, std::ostream& err) {
  const std::string& path = config.output.path;
  if (args.resume) err << "portalscan: nothing to resume at '" << path << "': starting the scan\n";
  checkOutput(path, args.force, args.config);
  try {
    writer.emplace(config, path, args.force, subset);
  } catch (const IoError& e) {
    throw InputError("cannot create output '" + path + "': " + e.what());
  }
}

/// `portalscan run` of a refine scan: its rounds one after the other, each a list of chunks
/// run like any scan's (threads, commits, interruption), the next planned from the verdicts.
int runRefine(const RunArgs& args, const RunPlan& run, std::ostream& out, std::ostream& err) {
  const ScanConfig& config = run.config;
  const std::string& path = config.output.path;
  Refinement refinement(config);
  FileState state;
  state.excluded.assign(config.chain.constraints().size(), 0);
  std::optional<ScanWriter> writer;
  std::uint64_t next = 0;  // the first point not in the file
  if (args.resume && fs::exists(path)) {
    state = verifyForResume(path, config, Subset{});
    next = state.points();
    const std::vector<std::uint8_t> in = readVerdicts(path, config);
    if (in.size() != next) {
      throw IoError("'" + path + "': " + std::to_string(in.size()) + " verdicts for " +
                    std::to_string(next) + " committed points");
    }
    // Replay the rounds from the verdicts; the file's chunks must be theirs.
    const auto planned = replay(refinement, in);
    for (std::size_t c = 0; c < state.committed.size(); ++c) {
      if (c >= planned.size() || planned[c] != state.committed[c]) {
        throw InputError("'" + path + "' holds chunk [" + std::to_string(state.committed[c].first) +
                         ", " + std::to_string(state.committed[c].second) +
                         ") where its verdicts plan another: it was not written by this "
                         "version's refinement; run it afresh with --force");
      }
    }
    if (state.complete) {
      out << path << ": already complete (" << state.points() << " points); nothing to do\n";
      return kExitOk;
    }
    err << "portalscan: resuming '" << path << "': " << next << " points done, round "
        << refinement.rounds() - 1 << " of at most " << config.refine.depth;
    err << repairNote(state) << "\n";
    writer.emplace(config, path, state);
  } else {
    createWriter(writer, args, config, Subset{}, err);
  }

  const InterruptHandler interrupts;
  const auto sampler = makeRefineSampler(refinement, config.points);
  const ChunkObserver observe = [&](const ChunkBuffer& b) {
    for (std::uint64_t r = 0; r < b.rows; ++r)
      refinement.setVerdict(b.index[r], refineVerdict(config.refine, b, r));
  };
  Totals totals{state.points(), state.allowed, state.excluded, state.status};
  RunStatistics all;
  all.excluded.assign(config.chain.constraints().size(), 0);
  for (;;) {
    const std::size_t k = refinement.rounds() - 1;
    if (next < refinement.roundEnd(k)) {
      std::vector<ChunkRange> chunks;
      for (const auto& c : refinement.chunks(k))
        if (c.first >= next) chunks.push_back(c);
      ListSource source(chunks);
      Progress progress(refinement.roundEnd(k), next, Progress::stderrIsTerminal(), err);
      RunStatistics stats;
      try {
        stats = execute(config, *sampler, source, *writer, &progress, &interrupts.stop(), next,
                        totals.allowed, observe);
      } catch (const IoError& e) {
        throw IoError(std::string(e.what()) + "; '" + path +
                      "' keeps every committed chunk: fix the cause and resume with: " +
                      resumeCommand(args, path, Subset{}));
      }
      totals.add(stats);
      all.threads = stats.threads;
      all.points += stats.points;
      all.rows += stats.rows;
      all.seconds += stats.seconds;
      all.samplingSeconds += stats.samplingSeconds;
      all.kernelSeconds += stats.kernelSeconds;
      all.chainSeconds += stats.chainSeconds;
      all.writeSeconds += stats.writeSeconds;
      next += stats.points;
      if (stats.stopped || next < refinement.roundEnd(k)) {
        writer->close();
        const int sig = interrupts.signal();
        err << "portalscan: interrupted by " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << " after "
            << totals.points << " points (round " << k << "); '" << path
            << "' keeps every finished chunk.\n"
            << "resume with: " << resumeCommand(args, path, Subset{}) << "\n";
        return 128 + (sig ? sig : SIGINT);
      }
    }
    if (interrupts.stop().load()) {  // between rounds: the next one starts in the resumed run
      writer->close();
      const int sig = interrupts.signal();
      err << "portalscan: interrupted by " << (sig == SIGTERM ? "SIGTERM" : "SIGINT")
          << " after round " << k << " (" << totals.points << " points); '" << path
          << "' keeps every finished chunk.\n"
          << "resume with: " << resumeCommand(args, path, Subset{}) << "\n";
      return 128 + (sig ? sig : SIGINT);
    }
    if (!refinement.nextRound()) break;
  }
  writer->finish();
  printSummary(out, config, "", totals, all, state.rows + all.rows, path);
  std::vector<std::uint64_t> perRound;
  for (std::size_t k = 0; k < refinement.rounds(); ++k)
    perRound.push_back(refinement.roundEnd(k) - refinement.roundBegin(k));
  printRefinement(out, config, perRound, refinement.boundaryCells(), refinement.budgetReached());
  return kExitOk;
}

}  // namespace

int runScan(const RunArgs& args, std::ostream& out, std::ostream& err) {
#if PORTALSCAN_WITH_MPI
  if (const auto* session = mpi::Session::current(); session && session->size() > 1) {
    if (args.dryRun) {  // rank 0 checks and reports, alone
      return session->rank() == 0 ? dryRun(args, out, err) : kExitOk;
    }
    return runScanDistributed(args, out, err);
  }
#endif
  if (args.dryRun) return dryRun(args, out, err);
  const RunPlan run = planRun(args);
  if (run.config.sampler == SamplerKind::Refine) {
    if (args.resume) {
      if (const auto parts = partFilesOf(run.config.output.path); !parts.empty()) {
        throw InputError("'" + run.config.output.path + "' has part files of an MPI run such as '" +
                         parts.front().path + "': resume it under mpirun");
      }
    }
    return runRefine(args, run, out, err);
  }
  const Subset& subset = run.subset;
  const ScanConfig& config = run.config;
  const std::string& path = config.output.path;
  const ChunkPlan& plan = *run.chunks;
  const std::uint64_t planned = run.points;
  if (const std::string w = emptyShardWarning(run); !w.empty()) err << w << "\n";

  FileState state;
  state.excluded.assign(config.chain.constraints().size(), 0);
  std::optional<ScanWriter> writer;
  std::uint64_t firstRemaining = 0;  // chunks of the plan before it are in the file
  if (args.resume) {
    // An interrupted MPI run keeps its chunks in part files beside the output: resuming it
    // here would ignore them and run everything again.
    if (const auto parts = partFilesOf(path); !parts.empty()) {
      throw InputError("'" + path + "' is the output of an interrupted MPI run: its chunks are " +
                       "in " + std::to_string(parts.size()) + " part file(s) such as '" +
                       parts.front().path + "'; resume it under MPI (any number of ranks), " +
                       "e.g.: mpirun -n " + std::to_string(parts.front().subset.count) + " " +
                       shellWord(args.program) + " run " + shellWord(args.config) +
                       " --resume -o " + shellWord(path));
    }
  }
  if (args.resume && fs::exists(path)) {
    state = verifyForResume(path, config, subset);
    if (state.complete) {
      out << path << ": already complete (" << state.points() << " points); nothing to do\n";
      return kExitOk;
    }
    err << "portalscan: resuming '" << path << "': " << state.points() << " of " << planned
        << " points done" << repairNote(state) << "\n";
    firstRemaining = state.committed.size();
    writer.emplace(config, path, state);
  } else {
    createWriter(writer, args, config, subset, err);
  }

  const InterruptHandler interrupts;
  Progress progress(planned, state.points(), Progress::stderrIsTerminal(), err);
  RunStatistics stats;
  try {
    PlanSource remaining(plan, firstRemaining);
    stats = execute(config, remaining, *writer, &progress, &interrupts.stop(), state.points(),
                    state.allowed);
  } catch (const IoError& e) {
    throw IoError(std::string(e.what()) + "; '" + path +
                  "' keeps every committed chunk: fix the cause and resume with: " +
                  resumeCommand(args, path, subset));
  }
  Totals totals{state.points(), state.allowed, state.excluded, state.status};
  totals.add(stats);
  if (stats.stopped) {
    writer->close();
    const int sig = interrupts.signal();
    err << "portalscan: interrupted by " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << " after "
        << totals.points << " of " << planned << " points (" << percent(totals.points, planned)
        << "); '" << path << "' keeps every finished chunk.\n"
        << "resume with: " << resumeCommand(args, path, subset) << "\n";
    return 128 + (sig ? sig : SIGINT);
  }
  writer->finish();
  printSummary(out, config, subset.kind == Subset::Kind::All ? "" : subset.describe(), totals,
               stats, state.rows + stats.rows, path);
  return kExitOk;
}

int runMerge(const MergeArgs& args, std::ostream& out) {
  if (args.inputs.empty()) throw InputError("merge needs at least one input file");
  for (const auto& in : args.inputs) {
    if (!fs::exists(in)) throw InputError("no such file: '" + in + "'");
  }
  const ScanSummary first = summarise(args.inputs.front(), false);
  const ScanConfig config = parseConfig(first.config, args.inputs.front());
  if (config.sampler == SamplerKind::Refine) {
    throw InputError("'" + args.inputs.front() + "' is a refine scan: it runs in one process " +
                     "and is never split, so there is nothing to merge");
  }
  for (const auto& in : args.inputs) {
    std::error_code ec;
    if (fs::exists(args.output) && fs::equivalent(args.output, in, ec)) {
      throw InputError("the output '" + args.output + "' is one of the inputs");
    }
  }
  checkOutput(args.output, args.force);

  const MergeSummary merged = mergeScanFiles(config, args.inputs, args.output, args.force);
  out << "portalscan merge: " << args.inputs.size() << " file(s) into " << args.output << ": "
      << config.points << " points, " << merged.rows << " rows, " << merged.allowed << " allowed ("
      << percent(merged.allowed, config.points) << "); " << merged.storedCopies << " of "
      << merged.chunks << " chunks copied as stored\n";
  return kExitOk;
}

namespace {

/// A refine file's rounds as `info` shows them: the points of each (those evaluated so far),
/// the boundary cells once the refinement is over, the cell side of the level reached.
struct RefineInfo {
  std::vector<std::uint64_t> perRound;
  bool over = false;
  std::uint64_t boundaryCells = 0;
  bool budgetReached = false;
  std::string cellSide;
};

RefineInfo refineInfo(const ScanSummary& s) {
  const ScanConfig config = parseConfig(s.config, s.path);
  const auto in = readVerdicts(s.path, config);
  Refinement refinement(config);
  replay(refinement, in);
  RefineInfo info;
  for (std::size_t k = 0; k < refinement.rounds(); ++k) {
    const std::uint64_t b = refinement.roundBegin(k);
    const std::uint64_t e = std::min<std::uint64_t>(refinement.roundEnd(k), in.size());
    if (e > b) info.perRound.push_back(e - b);
  }
  info.over = s.complete;
  if (info.over) info.boundaryCells = refinement.boundaryCells();
  info.budgetReached = refinement.budgetReached();
  info.cellSide = refineResolution(config, info.perRound.empty() ? 0 : info.perRound.size() - 1);
  return info;
}

}  // namespace

int runInfo(const InfoArgs& args, std::ostream& out) {
  const ScanSummary s = summarise(args.file);
  const bool refine = s.config.at("sampler").at("kind") == "refine";
  const RefineInfo rounds = refine ? refineInfo(s) : RefineInfo{};
  if (args.json) {
    nlohmann::ordered_json j;
    j["file"] = s.path;
    j["model"] = s.model;
    j["options"] = s.config.at("options");
    j["sampler"] = s.config.at("sampler");
    j["complete"] = s.complete;
    j["subset"] = nlohmann::json::parse(s.subset.toJson());
    j["points_total"] = s.pointsTotal;
    j["points_evaluated"] = s.pointsEvaluated;
    j["rows"] = s.rows;
    j["allowed"] = s.allowed;
    j["chunks"] = s.chunks;
    nlohmann::ordered_json status = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kStatusCount; ++i)
      status[std::string(kPointStatusNames[i])] = s.status[i];
    j["status"] = status;
    nlohmann::ordered_json excluded = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < s.constraintNames.size(); ++k)
      excluded[s.constraintNames[k]] = s.excluded[k];
    j["excluded"] = excluded;
    if (refine) {
      j["refinement"] = {
          {"points_per_round", rounds.perRound},
          {"boundary_cells",
           rounds.over ? nlohmann::ordered_json(rounds.boundaryCells) : nlohmann::ordered_json()},
          {"budget_reached", rounds.budgetReached},
          {"cell_side", rounds.cellSide}};
    }
    nlohmann::ordered_json ranges = nlohmann::ordered_json::object();
    for (const auto& r : s.parameterRanges) {
      ranges[r.name] = {
          {"scale", r.scale}, {"min", numberToJson(r.min)}, {"max", numberToJson(r.max)}};
    }
    j["parameter_ranges"] = ranges;
    j["config"] = s.config;
    j["config_hash"] = s.configHash;
    j["portalscan_version"] = s.version;
    j["created"] = s.created;
    j["file_bytes"] = s.fileBytes;
    out << j.dump(2) << "\n";
    return kExitOk;
  }
  out << s.path << ": " << s.model;
  const auto& options = s.config.at("options");
  for (const auto& [k, v] : options.items()) out << " " << k << "=" << v.get<std::string>();
  out << "\n";
  if (s.subset.kind != Subset::Kind::All)
    out << "  holds            " << s.subset.describe() << " of the scan\n";
  if (refine) {
    out << "  scan             refine (depth " << s.config.at("sampler").at("depth")
        << "), at most " << s.pointsTotal << " points, " << (s.complete ? "complete" : "INCOMPLETE")
        << "\n";
  } else {
    out << "  scan             " << s.config.at("sampler").at("kind").get<std::string>() << ", "
        << s.pointsTotal << " points, seed " << s.config.at("sampler").at("seed") << ", "
        << (s.complete ? "complete" : "INCOMPLETE") << "\n";
  }
  out << "  evaluated        " << s.pointsEvaluated << " points in " << s.chunks << " chunks, "
      << s.rows << " rows stored (keep " << s.config.at("output").at("keep").get<std::string>()
      << ")\n";
  out << "  allowed          " << s.allowed << " (" << percent(s.allowed, s.pointsEvaluated)
      << ")\n";
  if (refine) {
    const ScanConfig config = parseConfig(s.config, s.path);
    if (rounds.over) {
      printRefinement(out, config, rounds.perRound, rounds.boundaryCells, rounds.budgetReached);
    } else {
      out << "  refinement       " << rounds.perRound.size() << " round(s) so far: ";
      for (std::size_t k = 0; k < rounds.perRound.size(); ++k)
        out << (k ? " + " : "") << rounds.perRound[k];
      out << " points (cell side " << rounds.cellSide << ")\n";
    }
  }
  out << "  excluded by\n";
  for (std::size_t k = 0; k < s.constraintNames.size(); ++k) {
    out << "    " << std::left << std::setw(22) << s.constraintNames[k] << std::right
        << std::setw(12) << s.excluded[k] << "  (" << percent(s.excluded[k], s.pointsEvaluated)
        << ")\n";
  }
  for (std::size_t i = 1; i < kStatusCount; ++i) {
    if (s.status[i]) out << "  status " << kPointStatusNames[i] << ": " << s.status[i] << "\n";
  }
  out << "  parameters\n";
  for (const auto& r : s.parameterRanges) {
    out << "    " << std::left << std::setw(16) << r.name << std::setw(8) << r.scale << "["
        << formatNumber(r.min) << ", " << formatNumber(r.max) << "]\n";
  }
  out << "  written by       portalscan " << s.version << " on " << s.created << ", "
      << megabytes(s.fileBytes) << "\n";
  return kExitOk;
}

}  // namespace portalscan::scanner
