#include "portalscan/scanner/store/Reader.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"
#include "portalscan/scanner/store/Committed.hpp"

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
  chunk.reset(std::max(config_.output.chunkPoints, rows), nP, nO, nC,
              config_.sampler == SamplerKind::Refine);
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
  if (!chunk.round.empty()) take(chunk.round.data());
}

namespace {

/// `rows`: read the parameters' rows for their ranges (else only their attributes).
ScanSummary summariseUnconfined(const std::string& path, bool ranges, bool rows = true) {
  ScanSummary s;
  // Only what the commit records vouch for, and again if a running writer's flush got in
  // the way (docs/hdf5-format.md, "Reading a running scan").
  readCommitted(path, [&](const CommittedFile& file) {
    s = ScanSummary{};
    s.path = path;
    const h5::Group& root = file.file().root();
    s.model = file.model();
    s.config = file.config();
    s.configHash = root.stringAttribute("config_hash");
    s.version = file.version();
    s.created = file.created();
    s.complete = file.complete();
    s.subset =
        root.hasAttribute("subset") ? Subset::fromJson(root.stringAttribute("subset")) : Subset{};
    s.pointsTotal = file.pointsTotal();
    s.rows = file.rows();
    s.chunks = file.chunks();
    s.pointsEvaluated = file.pointsEvaluated();
    std::uint64_t width = 0;
    for (auto a : file.records("allowed", width)) s.allowed += a;
    const auto status = file.records("status", width);
    for (std::size_t k = 0; k < s.chunks; ++k)
      for (std::size_t j = 0; j < kStatusCount && j < width; ++j)
        s.status[j] += status[k * width + j];
    try {
      for (const auto& c : s.config.at("constraints"))
        s.constraintNames.push_back(c.at("name").get<std::string>());
    } catch (const nlohmann::json::exception&) {
      throw InputError("'" + path + "': its stored config is damaged (no list of constraints)");
    }
    const auto excluded = file.records("excluded", width);
    s.excluded.assign(s.constraintNames.size(), 0);
    for (std::size_t k = 0; k < s.chunks; ++k)
      for (std::size_t j = 0; j < s.constraintNames.size() && j < width; ++j)
        s.excluded[j] += excluded[k * width + j];
    if (ranges) {
      const h5::Group params = root.openGroup("parameters");
      for (const auto& c : file.parameters()) {
        if (c.scale == "fixed") continue;
        ScanSummary::Range r{c.name, c.scale, std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity()};
        if (!rows) continue;
        const h5::Dataset d = params.openDataset(c.name);
        for (std::uint64_t b = 0; b < s.rows; b += 1 << 20) {
          for (double x : d.read<double>(b, std::min<std::uint64_t>(s.rows, b + (1 << 20)))) {
            r.min = std::min(r.min, x);
            r.max = std::max(r.max, x);
          }
        }
        s.parameterRanges.push_back(r);
      }
    }
  });
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
