#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/Cli.hpp"
#include "portalscan/scanner/Config.hpp"
#include "portalscan/scanner/Executor.hpp"
#include "portalscan/scanner/Progress.hpp"
#include "portalscan/scanner/Store.hpp"
#include "portalscan/scanner/Text.hpp"

#include "Commands.hpp"
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <ostream>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;

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

/// The output must be creatable: nothing is written before this passes.
void checkOutput(const std::string& path, bool force) {
  const fs::path p(path);
  if (fs::exists(p)) {
    if (fs::is_directory(p)) throw InputError("output '" + path + "' is a directory");
    if (!force) throw InputError("output '" + path + "' exists (use --force to overwrite it)");
    if (::access(path.c_str(), W_OK) != 0)
      throw InputError("output '" + path + "' is not writable");
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

}  // namespace

int runScan(const RunArgs& args, std::ostream& out, std::ostream& err) {
  ScanConfig config = loadConfig(args.config);
  if (!args.output.empty()) setOutputPath(config, args.output);
  if (args.threads >= 0) {
    config.threads = args.threads;
    config.canonical["threads"] = args.threads;
  }
  checkOutput(config.output.path, args.force);

  ScanWriter writer(config, config.output.path, args.force);
  const auto chunks = allChunks(config);
  Progress progress(config.points, 0, Progress::stderrIsTerminal(), err);
  const RunStatistics stats = execute(config, chunks, writer, &progress);
  writer.finish();

  const auto& chain = config.chain.constraints();
  out << "portalscan run: " << config.model << ", " << stats.points << " points ("
      << toString(config.sampler) << "), " << stats.threads << " thread"
      << (stats.threads == 1 ? "" : "s") << "\n";
  out << "  allowed          " << stats.allowed << " (" << percent(stats.allowed, stats.points)
      << ")\n";
  out << "  excluded by\n";
  for (std::size_t k = 0; k < chain.size(); ++k) {
    out << "    " << std::left << std::setw(22) << chain[k].name << std::right << std::setw(12)
        << stats.excluded[k] << "  (" << percent(stats.excluded[k], stats.points) << ")\n";
  }
  for (std::size_t s = 1; s < kStatusCount; ++s) {
    if (stats.status[s]) {
      out << "  status " << kPointStatusNames[s] << ": " << stats.status[s] << "\n";
    }
  }
  const double busy = stats.samplingSeconds + stats.kernelSeconds + stats.chainSeconds;
  const double total = busy + stats.writeSeconds;
  char timing[256];
  std::snprintf(timing, sizeof timing,
                "  time             %.2f s, %s points/s (sampling %.0f%%, kernel %.0f%%, chain "
                "%.0f%%, writing %.0f%%)\n",
                stats.seconds,
                formatCount(static_cast<double>(stats.points) / stats.seconds).c_str(),
                100 * stats.samplingSeconds / total, 100 * stats.kernelSeconds / total,
                100 * stats.chainSeconds / total, 100 * stats.writeSeconds / total);
  out << timing;
  out << "  wrote            " << config.output.path << " (" << stats.rows << " rows, "
      << megabytes(fs::file_size(config.output.path)) << ")\n";
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
