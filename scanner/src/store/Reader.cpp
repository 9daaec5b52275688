#include "portalscan/scanner/store/Reader.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"

#include "Common.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>

namespace portalscan::scanner {

using detail::Column;
using detail::dataColumns;
using detail::readBytes;

// --- reading ---

ScanReader::ScanReader(const ScanConfig& config, const std::string& path, std::uint64_t rows,
                       std::uint64_t blockRows)
    : config_(config),
      file_(h5::File::open(path, h5::File::Mode::ReadOnly)),
      blockRows_(std::max<std::uint64_t>(1, blockRows)) {
  for (const Column& col : dataColumns(config)) {
    columns_.push_back(file_.root().openDataset(col.path));
    bytes_.push_back(col.bytes);
  }
  rowsInFile_ = rows;
  blocks_.resize(columns_.size());
}

void ScanReader::read(std::uint64_t row, std::uint64_t rows, ChunkBuffer& chunk) {
  const std::size_t nP = config_.kernel->parameters().size();
  const std::size_t nO = config_.output.observables.size();
  const std::size_t nC = config_.chain.constraints().size();
  chunk.reset(std::max(config_.output.chunkPoints, rows), nP, nO, nC);
  chunk.rows = rows;
  if (row < blockBegin_ || row + rows > blockEnd_) {  // read the next block of every column
    blockBegin_ = row;
    blockEnd_ = std::min(rowsInFile_, row + std::max(rows, blockRows_));
    if (row + rows > blockEnd_) throw IoError("rows past the verified rows of the file");
    for (std::size_t j = 0; j < columns_.size(); ++j) {
      blocks_[j] = readBytes(columns_[j], bytes_[j], blockBegin_, blockEnd_);
    }
  }
  const std::uint64_t cap = chunk.capacity;
  std::size_t j = 0;
  auto take = [&](auto* into) {
    const std::size_t b = bytes_[j];
    std::memcpy(into, blocks_[j].data() + (row - blockBegin_) * b, rows * b);
    ++j;
  };
  for (std::size_t p = 0; p < nP; ++p) take(chunk.parameters.data() + p * cap);
  for (std::size_t o = 0; o < nO; ++o) take(chunk.observables.data() + o * cap);
  for (std::size_t k = 0; k < nC; ++k) {
    take(chunk.pass.data() + k * cap);
    take(chunk.statistic.data() + k * cap);
    take(chunk.chi2.data() + k * cap);
  }
  take(chunk.allowed.data());
  take(chunk.chi2Total.data());
  take(chunk.status.data());
  take(chunk.index.data());
}

namespace {

/// `rows`: read the parameters' rows for their ranges (else only their attributes).
ScanSummary summariseUnconfined(const std::string& path, bool ranges, bool rows = true) {
  ScanSummary s;
  s.path = path;
  h5::File file = [&] {
    try {
      return h5::File::open(path, h5::File::Mode::ReadOnly);
    } catch (const IoError& e) {
      throw InputError("'" + path + "' is not an HDF5 file portalscan can read (" + e.what() + ")");
    }
  }();
  const h5::Group& root = file.root();
  if (!root.hasAttribute("format_version") || !root.hasAttribute("config")) {
    throw InputError("'" + path + "' is not a portalscan scan file");
  }
  s.model = root.stringAttribute("model");
  s.config = parseJsonText(root.stringAttribute("config"), "'" + path + "' (its config attribute)");
  if (!s.config.is_object()) {
    throw InputError("'" + path + "': its stored config is damaged (not a JSON object)");
  }
  s.configHash = root.stringAttribute("config_hash");
  s.version = root.stringAttribute("portalscan_version");
  s.created = root.stringAttribute("created");
  s.complete = root.intAttribute("complete") != 0;
  s.subset =
      root.hasAttribute("subset") ? Subset::fromJson(root.stringAttribute("subset")) : Subset{};
  s.pointsTotal = static_cast<std::uint64_t>(root.intAttribute("points_total"));
  s.rows = root.openDataset("index").rows();
  const h5::Group chunks = root.openGroup("chunks");
  // The commit records are stored uncompressed: more of them than the file has bytes for is
  // damage, not an allocation of exabytes.
  const std::uint64_t fileBytes = std::filesystem::file_size(path);
  for (const char* name : {"range", "allowed", "status", "excluded"}) {
    const h5::Dataset d = chunks.openDataset(name);
    const std::uint64_t columns = std::max<std::uint64_t>(1, d.columns());
    if (columns > fileBytes / 8 || d.rows() > fileBytes / 8 / columns) {
      throw InputError("'" + path + "' is damaged: its commit records (/chunks/" + name +
                       ") claim more bytes than the file holds");
    }
  }
  const auto range = chunks.openDataset("range").read<std::uint64_t>();
  s.chunks = range.size() / 2;
  for (std::size_t k = 0; k < s.chunks; ++k) s.pointsEvaluated += range[2 * k + 1] - range[2 * k];
  const auto allowed = chunks.openDataset("allowed").read<std::uint64_t>(0, s.chunks);
  for (auto a : allowed) s.allowed += a;
  const h5::Dataset statusSet = chunks.openDataset("status");
  const std::size_t statusWidth = statusSet.columns();
  const auto status = statusSet.read<std::uint64_t>(0, s.chunks);
  for (std::size_t k = 0; k < s.chunks; ++k)
    for (std::size_t j = 0; j < kStatusCount && j < statusWidth; ++j)
      s.status[j] += status[k * statusWidth + j];
  try {
    for (const auto& c : s.config.at("constraints"))
      s.constraintNames.push_back(c.at("name").get<std::string>());
  } catch (const nlohmann::json::exception&) {
    throw InputError("'" + path + "': its stored config is damaged (no list of constraints)");
  }
  const h5::Dataset excludedSet = chunks.openDataset("excluded");
  const auto excluded = excludedSet.read<std::uint64_t>(0, s.chunks);
  const std::size_t width = excludedSet.columns();
  s.excluded.assign(s.constraintNames.size(), 0);
  for (std::size_t k = 0; k < s.chunks; ++k)
    for (std::size_t j = 0; j < s.constraintNames.size(); ++j)
      s.excluded[j] += excluded[k * width + j];
  if (ranges) {
    const h5::Group params = root.openGroup("parameters");
    for (const auto& name : params.members()) {
      const h5::Dataset d = params.openDataset(name);
      const std::string scale = d.stringAttribute("scale");
      if (scale == "fixed") continue;
      ScanSummary::Range r{name, scale, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
      if (!rows) continue;
      const std::uint64_t n = d.rows();
      for (std::uint64_t b = 0; b < n; b += 1 << 20) {
        for (double x : d.read<double>(b, std::min<std::uint64_t>(n, b + (1 << 20)))) {
          r.min = std::min(r.min, x);
          r.max = std::max(r.max, x);
        }
      }
      s.parameterRanges.push_back(r);
    }
  }
  s.fileBytes = std::filesystem::file_size(path);
  return s;
}

}  // namespace

ScanSummary summarise(const std::string& path, bool ranges) {
  if (!std::filesystem::exists(path)) throw InputError("no such file: '" + path + "'");
  // A damaged file must not crash the reader, nor make it loop: read it in a child first.
  h5::confine(path, [&] { summariseUnconfined(path, ranges, false); });  // its structure
  return summariseUnconfined(path, ranges);
}

}  // namespace portalscan::scanner
