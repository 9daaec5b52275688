#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"
#include "portalscan/scanner/cli/Progress.hpp"
#include "portalscan/scanner/cli/Text.hpp"
#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include "Commands.hpp"
#include "Interrupt.hpp"
#include "RunSupport.hpp"
#include <unistd.h>

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

std::string shellWord(const std::string& word) {
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
  std::vector<ChunkRange> chunks;
  std::uint64_t points = 0;
};

RunPlan planRun(const RunArgs& args) {
  if (args.resume && args.force) throw InputError("--resume and --force exclude each other");
  RunPlan p{parseShard(args.shard), runConfig(args), {}, 0};
  if (args.output.empty() && p.subset.kind == Subset::Kind::Shard) {
    setOutputPath(p.config, defaultShardPath(p.config.output.path, p.subset));
  }
  p.chunks = plannedChunks(p.config, p.subset);
  for (const auto& [b, e] : p.chunks) p.points += e - b;
  return p;
}

/// `run --dry-run`: every check of a run, and what it would do; writes nothing.
int dryRun(const RunArgs& args, std::ostream& out) {
  const RunPlan p = planRun(args);
  const std::string& path = p.config.output.path;
  std::string action = "would create it";
  if (fs::exists(path) && args.resume) {
    action = "would resume it";
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
  out << ", " << toString(p.config.sampler) << ", in " << p.chunks.size() << " chunks of "
      << p.config.output.chunkPoints << "\n"
      << "  constraints      ";
  const auto& chain = p.config.chain.constraints();
  for (std::size_t k = 0; k < chain.size(); ++k) out << (k ? ", " : "") << chain[k].name;
  out << "\n  output           " << path << ": " << action << "\n";
  return kExitOk;
}

}  // namespace

int runScan(const RunArgs& args, std::ostream& out, std::ostream& err) {
#if PORTALSCAN_WITH_MPI
  if (const auto* session = mpi::Session::current(); session && session->size() > 1) {
    if (args.dryRun) {  // rank 0 checks and reports, alone
      return session->rank() == 0 ? dryRun(args, out) : kExitOk;
    }
    return runScanDistributed(args, out, err);
  }
#endif
  if (args.dryRun) return dryRun(args, out);
  const RunPlan run = planRun(args);
  const Subset& subset = run.subset;
  const ScanConfig& config = run.config;
  const std::string& path = config.output.path;
  const auto& plan = run.chunks;
  const std::uint64_t planned = run.points;

  FileState state;
  state.excluded.assign(config.chain.constraints().size(), 0);
  std::optional<ScanWriter> writer;
  std::vector<ChunkRange> remaining = plan;
  if (args.resume && fs::exists(path)) {
    state = verifyForResume(path, config, subset);
    if (state.complete) {
      out << path << ": already complete (" << state.points() << " points); nothing to do\n";
      return kExitOk;
    }
    err << "portalscan: resuming '" << path << "': " << state.points() << " of " << planned
        << " points done";
    if (state.droppedChunks)
      err << "; " << state.droppedChunks << " chunk(s) failed verification and are redone";
    if (state.droppedRows)
      err << "; " << state.droppedRows << " row(s) past the verified chunks dropped";
    if (state.salvaged)
      err << "; it was not closed cleanly, so its verified chunks were copied into a fresh file";
    err << "\n";
    remaining.assign(plan.begin() + static_cast<std::ptrdiff_t>(state.committed.size()),
                     plan.end());
    writer.emplace(config, path, state);
  } else {
    if (args.resume)
      err << "portalscan: nothing to resume at '" << path << "': starting the scan\n";
    checkOutput(path, args.force, args.config);
    try {
      writer.emplace(config, path, args.force, subset);
    } catch (const IoError& e) {
      throw InputError("cannot create output '" + path + "': " + e.what());
    }
  }

  const InterruptHandler interrupts;
  Progress progress(planned, state.points(), Progress::stderrIsTerminal(), err);
  RunStatistics stats;
  try {
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

  const MergeSummary merged = mergeScanFiles(config, args.inputs, args.output, args.force);
  out << "portalscan merge: " << args.inputs.size() << " file(s) into " << args.output << ": "
      << config.points << " points, " << merged.rows << " rows, " << merged.allowed << " allowed ("
      << percent(merged.allowed, config.points) << "); " << merged.storedCopies << " of "
      << merged.chunks << " chunks copied as stored\n";
  return kExitOk;
}

int runInfo(const InfoArgs& args, std::ostream& out) {
  const ScanSummary s = summarise(args.file);
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
  out << "  scan             " << s.config.at("sampler").at("kind").get<std::string>() << ", "
      << s.pointsTotal << " points, seed " << s.config.at("sampler").at("seed") << ", "
      << (s.complete ? "complete" : "INCOMPLETE") << "\n";
  out << "  evaluated        " << s.pointsEvaluated << " points in " << s.chunks << " chunks, "
      << s.rows << " rows stored (keep " << s.config.at("output").at("keep").get<std::string>()
      << ")\n";
  out << "  allowed          " << s.allowed << " (" << percent(s.allowed, s.pointsEvaluated)
      << ")\n";
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
