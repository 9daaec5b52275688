#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Interrupt.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"
#include "portalscan/scanner/cli/Progress.hpp"
#include "portalscan/scanner/cli/Text.hpp"
#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/Refine.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include "Commands.hpp"
#include "RunSupport.hpp"
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <thread>

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
      << "  points           ";
  if (p.config.sampler == SamplerKind::Refine) {
    // A refine shard's share depends on the verdicts: it runs every N-th chunk of each round.
    out << p.config.points << " at most (refine: "
        << (p.config.refine.sobolBase ? "a Sobol base of up to " : "a base grid of ")
        << p.config.refine.baseSize << ", then up to " << p.config.refine.depth
        << " rounds where the verdict changes), in chunks of " << p.config.output.chunkPoints;
    if (p.subset.kind == Subset::Kind::Shard) {
      out << "; " << p.subset.describe() << " runs 1 chunk in " << p.subset.count
          << " and waits for the other shards at each round";
    }
    out << "\n";
  } else if (p.subset.kind != Subset::Kind::All) {
    out << p.points << " of " << p.config.points << " (" << p.subset.describe() << ")"
        << ", " << toString(p.config.sampler) << ", in " << p.chunks->size() << " chunks of "
        << p.config.output.chunkPoints << "\n";
  } else {
    out << p.points << ", " << toString(p.config.sampler) << ", in " << p.chunks->size()
        << " chunks of " << p.config.output.chunkPoints << "\n";
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

namespace {}  // namespace

namespace detail {

std::vector<std::pair<std::uint64_t, std::uint64_t>> readVerdictsInto(
    const std::string& path, const ScanConfig& config, std::vector<std::uint8_t>& known) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  readCommitted(path, [&](const CommittedFile& file) {
    if (file.configHash() != config.identityHash) {
      throw InputError("'" + path + "' holds a scan of a different configuration (config_hash " +
                       file.configHash() + "): refusing to mix them");
    }
    const RefineConfig& rc = config.refine;
    std::vector<std::uint8_t> in;
    if (rc.criterion == RefineCriterion::Chi2) {
      for (const double x : file.doubles("chi2_total")) in.push_back(x <= rc.chi2Level ? 1 : 0);
    } else {
      const std::string dataset =
          rc.criterion == RefineCriterion::Allowed
              ? std::string("allowed")
              : "constraints/" + config.chain.constraints()[rc.constraint].name + "/pass";
      for (const std::int8_t x : file.bytes(dataset)) in.push_back(x != 0 ? 1 : 0);
    }
    // keep "all": one row per point, the chunks' points in file order.
    std::uint64_t row = 0;
    for (const auto& [b, e] : file.ranges()) {
      if (e > known.size()) known.resize(e, 2);
      for (std::uint64_t i = b; i < e; ++i) {
        if (row >= in.size()) {
          throw IoError("'" + path + "': fewer verdicts than committed points");
        }
        known[i] = in[row++];
      }
    }
    ranges = file.ranges();
  });
  return ranges;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> replay(Refinement& refinement,
                                                            const std::vector<std::uint8_t>& in) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> planned;
  for (;;) {
    const std::size_t k = refinement.rounds() - 1;
    const auto chunks = refinement.chunks(k);
    planned.insert(planned.end(), chunks.begin(), chunks.end());
    bool whole = true;
    for (std::uint64_t i = refinement.roundBegin(k); i < refinement.roundEnd(k); ++i) {
      if (i < in.size() && in[i] != 2) {
        refinement.setVerdict(i, in[i] != 0);
      } else {
        whole = false;
      }
    }
    if (!whole || !refinement.nextRound()) break;
  }
  return planned;
}

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

}  // namespace detail

namespace {

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

/// The files of a refine scan's N shards, by shard (K - 1): `path` is shard K's, named
/// STEM.shard-K-of-N.EXT, and its siblings are found by that name in its folder.
std::vector<std::string> shardFiles(const std::string& path, const Subset& subset) {
  const fs::path p(path);
  const std::string tail =
      ".shard-" + std::to_string(subset.index + 1) + "-of-" + std::to_string(subset.count);
  const std::string stem = p.stem().string();
  if (!stem.ends_with(tail)) {
    throw InputError("--shard " + std::to_string(subset.index + 1) + "/" +
                     std::to_string(subset.count) + " of a refine scan: its file must be named " +
                     "STEM" + tail + p.extension().string() + " (the shards read one another's " +
                     "files by that name), not '" + p.filename().string() + "'; leave out -o " +
                     "for the default");
  }
  const std::string base = stem.substr(0, stem.size() - tail.size());
  std::vector<std::string> files;
  for (std::uint64_t j = 0; j < subset.count; ++j) {
    files.push_back((p.parent_path() / (base + ".shard-" + std::to_string(j + 1) + "-of-" +
                                        std::to_string(subset.count) + p.extension().string()))
                        .string());
  }
  return files;
}

std::string describeSeconds(double s) {
  char text[32];
  if (s < 120) {
    std::snprintf(text, sizeof text, "%.0f s", s);
  } else {
    std::snprintf(text, sizeof text, "%.1f min", s / 60);
  }
  return text;
}

/// `portalscan run` of a refine scan: its rounds one after the other, each a list of chunks
/// run like any scan's (threads, commits, interruption), the next planned from the verdicts.
/// A shard (K of N) runs every N-th chunk of the scan's chunk sequence (the rounds' chunks one
/// after the other), commits, and before planning the next round reads the other shards'
/// verdicts of the round from their files, waiting for them up to `--wait` seconds.
int runRefine(const RunArgs& args, const RunPlan& run, std::ostream& out, std::ostream& err) {
  using Clock = std::chrono::steady_clock;
  const ScanConfig& config = run.config;
  const Subset& subset = run.subset;
  const bool sharded = subset.kind == Subset::Kind::Shard;
  const std::uint64_t shards = sharded ? subset.count : 1, me = sharded ? subset.index : 0;
  const std::string& path = config.output.path;
  const std::vector<std::string> files =
      sharded ? shardFiles(path, subset) : std::vector<std::string>{path};
  Refinement refinement(config);
  FileState state;
  state.excluded.assign(config.chain.constraints().size(), 0);
  std::optional<ScanWriter> writer;
  std::vector<std::uint8_t> known;  // verdicts read from files, by global index (2: none)
  if (args.resume && fs::exists(path)) {
    state = verifyForResume(path, config, subset);
    const auto held = readVerdictsInto(path, config, known);
    if (held != state.committed) {
      throw IoError("'" + path + "': its committed chunks read back differently from how they " +
                    "verified");
    }
    if (state.complete) {
      out << path << ": already complete (" << state.points() << " points); nothing to do\n";
      return kExitOk;
    }
    err << "portalscan: resuming '" << path << "': " << state.points() << " points done";
    if (!sharded) {
      Refinement probe(config);
      replay(probe, known);
      err << ", round " << probe.rounds() - 1 << " of at most " << config.refine.depth;
    }
    err << repairNote(state) << "\n";
    writer.emplace(config, path, state);
  } else {
    createWriter(writer, args, config, subset, err);
  }
  const auto notThisRefinement = [&](const std::string& file,
                                     const std::pair<std::uint64_t, std::uint64_t>& chunk) {
    return InputError("'" + file + "' holds chunk [" + std::to_string(chunk.first) + ", " +
                      std::to_string(chunk.second) + ") where the verdicts plan another: it " +
                      "was not written by this refinement (another scan or version); run it " +
                      "afresh with --force");
  };

  const InterruptHandler interrupts;
  const auto interrupted = [&](const std::string& when) {
    writer->close();
    const int sig = interrupts.signal();
    err << "portalscan: interrupted by " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << " " << when
        << "; '" << path << "' keeps every finished chunk.\n"
        << "resume with: " << resumeCommand(args, path, subset) << "\n";
    return 128 + (sig ? sig : SIGINT);
  };
  const auto sampler = makeRefineSampler(refinement, config.points);
  const ChunkObserver observe = [&](const ChunkBuffer& b) {
    for (std::uint64_t r = 0; r < b.rows; ++r)
      refinement.setVerdict(b.index[r], refineVerdict(config.refine, b, r));
  };
  Totals totals{state.points(), state.allowed, state.excluded, state.status};
  RunStatistics all;
  all.excluded.assign(config.chain.constraints().size(), 0);
  std::size_t matched = 0;    // the file's committed chunks met in the plan so far
  std::uint64_t ordinal = 0;  // chunks of the rounds before this one
  std::uint64_t mine = 0;     // points of this file's chunks through this round
  std::uint64_t done = 0;     // of them, evaluated (before or in this run)
  std::vector<std::vector<ChunkRange>> planOf(shards);  // every shard's chunks so far
  for (;;) {
    const std::size_t k = refinement.rounds() - 1;
    const auto chunks = refinement.chunks(k);
    std::vector<ChunkRange> todo;
    for (std::size_t j = 0; j < chunks.size(); ++j) {
      const std::uint64_t owner = (ordinal + j) % shards;
      planOf[owner].push_back(chunks[j]);
      if (owner != me) continue;
      mine += chunks[j].second - chunks[j].first;
      if (matched < state.committed.size()) {
        if (state.committed[matched] != chunks[j])
          throw notThisRefinement(path, state.committed[matched]);
        ++matched;
        done += chunks[j].second - chunks[j].first;
        continue;
      }
      todo.push_back(chunks[j]);
    }
    for (std::uint64_t i = refinement.roundBegin(k); i < refinement.roundEnd(k); ++i)
      if (i < known.size() && known[i] != 2) refinement.setVerdict(i, known[i] != 0);
    if (!todo.empty()) {
      ListSource source(todo);
      Progress progress(mine, done, Progress::stderrIsTerminal(), err);
      RunStatistics stats;
      try {
        stats = execute(config, *sampler, source, *writer, &progress, &interrupts.stop(), done,
                        totals.allowed, observe);
        writer->commit();  // the other shards read this round's verdicts from the file
      } catch (const IoError& e) {
        throw IoError(std::string(e.what()) + "; '" + path +
                      "' keeps every committed chunk: fix the cause and resume with: " +
                      resumeCommand(args, path, subset));
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
      done += stats.points;
      if (stats.stopped || done < mine) {
        return interrupted("after " + std::to_string(totals.points) + " points (round " +
                           std::to_string(k) + ")");
      }
    }
    if (interrupts.stop().load()) {  // between rounds: the next one starts in the resumed run
      return interrupted("after round " + std::to_string(k) + " (" + std::to_string(totals.points) +
                         " points)");
    }
    if (sharded) {
      // The other shards' verdicts of round k, from their files.
      const auto start = Clock::now();
      double reportAt = 10, pause = 0.05;
      std::vector<bool> have(shards, false);
      have[me] = true;
      for (;;) {
        std::string lacking;
        std::uint64_t missing = 0;
        for (std::uint64_t j = 0; j < shards; ++j) {
          if (have[j]) continue;
          const std::string& f = files[j];
          const std::string who = "shard " + std::to_string(j + 1) + "/" + std::to_string(shards);
          std::string why;
          if (!fs::exists(f)) {
            why = "no file '" + f + "' yet";
          } else {
            try {
              const auto held = readVerdictsInto(f, config, known);
              const auto& plan = planOf[j];
              for (std::size_t c = 0; c < std::min(held.size(), plan.size()); ++c)
                if (held[c] != plan[c]) throw notThisRefinement(f, held[c]);
              if (held.size() >= plan.size()) {
                have[j] = true;
                continue;
              }
              why = "'" + f + "' holds " + std::to_string(held.size()) + " of its " +
                    std::to_string(plan.size()) + " chunks through round " + std::to_string(k);
            } catch (const IoError& e) {
              why = "'" + f + "' cannot be read yet (" + e.what() + ")";
            }
          }
          ++missing;
          lacking += (lacking.empty() ? "" : "; ") + who + ": " + why;
        }
        if (missing == 0) break;
        const double waited = std::chrono::duration<double>(Clock::now() - start).count();
        if (interrupts.stop().load()) {
          return interrupted("while waiting for round " + std::to_string(k) +
                             " of the other shards (" + std::to_string(totals.points) + " points)");
        }
        if (waited >= args.wait) {
          writer->close();
          err << "portalscan: error: " << subset.describe() << " gave up after "
              << describeSeconds(waited) << " waiting for round " << k << " of " << lacking
              << ": run all " << shards << " shards at the same time; '" << path
              << "' keeps its chunks, resume with: " << resumeCommand(args, path, subset) << "\n";
          return kExitFailure;
        }
        if (waited >= reportAt) {
          err << "portalscan: " << subset.describe() << " waits for round " << k << " of "
              << lacking << " (" << describeSeconds(waited) << " of at most "
              << describeSeconds(args.wait) << ")\n";
          reportAt += 60;
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(pause));
        pause = std::min(2.0, pause * 2);
      }
      for (std::uint64_t i = refinement.roundBegin(k); i < refinement.roundEnd(k); ++i) {
        const std::uint8_t v = i < known.size() && known[i] != 2 ? known[i] : refinement.verdict(i);
        if (v == 2)
          throw IoError("round " + std::to_string(k) + ": no verdict for point " +
                        std::to_string(i) + " in the shards' files");
        refinement.setVerdict(i, v != 0);
      }
    }
    ordinal += chunks.size();
    if (!refinement.nextRound()) break;
  }
  if (matched < state.committed.size()) throw notThisRefinement(path, state.committed[matched]);
  writer->finish();
  printSummary(out, config, sharded ? subset.describe() : "", totals, all, state.rows + all.rows,
               path);
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

  for (const auto& in : args.inputs) {
    std::error_code ec;
    if (fs::exists(args.output) && fs::equivalent(args.output, in, ec)) {
      throw InputError("the output '" + args.output + "' is one of the inputs");
    }
  }
  checkOutput(args.output, args.force);

  // A refine scan's chunks follow its rounds: planned again from the inputs' verdicts (a round
  // whose verdicts are not all there ends the plan, and its missing chunks are named).
  std::optional<std::vector<std::pair<std::uint64_t, std::uint64_t>>> chunks;
  std::optional<Refinement> refinement;
  if (config.sampler == SamplerKind::Refine) {
    std::vector<std::uint8_t> known;
    for (const auto& in : args.inputs) readVerdictsInto(in, config, known);
    refinement.emplace(config);
    chunks = replay(*refinement, known);
  }
  const MergeSummary merged =
      mergeScanFiles(config, args.inputs, args.output, args.force, chunks ? &*chunks : nullptr);
  const std::uint64_t points = refinement ? refinement->points() : config.points;
  out << "portalscan merge: " << args.inputs.size() << " file(s) into " << args.output << ": "
      << points << " points, " << merged.rows << " rows, " << merged.allowed << " allowed ("
      << percent(merged.allowed, points) << "); " << merged.storedCopies << " of " << merged.chunks
      << " chunks copied as stored\n";
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
  std::vector<std::uint8_t> in;
  readVerdictsInto(s.path, config, in);
  Refinement refinement(config);
  replay(refinement, in);
  RefineInfo info;
  if (s.subset.kind != Subset::Kind::All) {
    // A shard or part holds a share of each round: its points per round, from /round.
    readCommitted(s.path, [&](const CommittedFile& file) {
      info.perRound.clear();
      for (const std::int8_t r : file.bytes("round")) {
        const auto k = static_cast<std::size_t>(static_cast<std::uint8_t>(r));
        if (info.perRound.size() <= k) info.perRound.resize(k + 1, 0);
        ++info.perRound[k];
      }
    });
    info.cellSide = refineResolution(config, info.perRound.empty() ? 0 : info.perRound.size() - 1);
    return info;
  }
  for (std::size_t k = 0; k < refinement.rounds(); ++k) {
    std::uint64_t n = 0;
    for (std::uint64_t i = refinement.roundBegin(k); i < refinement.roundEnd(k); ++i)
      n += i < in.size() && in[i] != 2 ? 1 : 0;
    if (n > 0) info.perRound.push_back(n);
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
      out << "  refinement       " << rounds.perRound.size()
          << (s.subset.kind == Subset::Kind::All ? " round(s) so far: "
                                                 : " round(s) in this file: ");
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
