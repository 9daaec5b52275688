#include "portalscan/scanner/store/Layout.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"

#include "Common.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

namespace portalscan::scanner {

using detail::kChecksumSeed;

// --- subsets ---

std::string Subset::describe() const {
  switch (kind) {
    case Kind::All:
      return "all";
    case Kind::Shard:
      return "shard " + std::to_string(index + 1) + "/" + std::to_string(count);
    case Kind::MpiRank:
      return "MPI rank " + std::to_string(index + 1) + "/" + std::to_string(count);
  }
  return "?";
}

std::string Subset::toJson() const {
  const char* k = kind == Kind::All ? "all" : kind == Kind::Shard ? "shard" : "mpi";
  return nlohmann::ordered_json{{"kind", k}, {"index", index}, {"count", count}}.dump();
}

Subset Subset::fromJson(const std::string& json) {
  const auto j = parseJsonText(json, "a scan file's subset attribute");
  Subset s;
  try {
    const std::string k = j.at("kind").get<std::string>();
    s.kind = k == "shard" ? Kind::Shard : k == "mpi" ? Kind::MpiRank : Kind::All;
    s.index = j.at("index").get<std::uint64_t>();
    s.count = j.at("count").get<std::uint64_t>();
  } catch (const nlohmann::json::exception&) {
    throw InputError("a scan file's subset attribute is damaged: " + json.substr(0, 80));
  }
  if (s.count == 0 || s.index >= s.count) {
    throw InputError("a scan file's subset attribute is damaged: " + json.substr(0, 80));
  }
  return s;
}

ChunkPlan::ChunkPlan(const ScanConfig& config, const Subset& subset)
    : points_(config.points), chunkPoints_(std::max<std::uint64_t>(1, config.output.chunkPoints)) {
  if (subset.kind == Subset::Kind::MpiRank) return;
  // points_ < 2^63 and chunkPoints_ <= 2^18 (the config's bounds): nothing below overflows.
  const std::uint64_t chunks = points_ / chunkPoints_ + (points_ % chunkPoints_ ? 1 : 0);
  if (subset.kind == Subset::Kind::Shard) {
    first_ = subset.index;
    stride_ = subset.count;
  }
  count_ = chunks > first_ ? (chunks - 1 - first_) / stride_ + 1 : 0;
}

std::pair<std::uint64_t, std::uint64_t> ChunkPlan::at(std::uint64_t k) const {
  const std::uint64_t b = (first_ + k * stride_) * chunkPoints_;
  return {b, std::min(points_, b + chunkPoints_)};
}

std::uint64_t ChunkPlan::points() const {
  if (count_ == 0) return 0;
  const auto [b, e] = at(count_ - 1);  // only the scan's last chunk can be short
  return (count_ - 1) * chunkPoints_ + (e - b);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> plannedChunks(const ScanConfig& config,
                                                                   const Subset& subset) {
  const ChunkPlan plan(config, subset);
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks;
  chunks.reserve(plan.size());
  for (std::uint64_t k = 0; k < plan.size(); ++k) chunks.push_back(plan.at(k));
  return chunks;
}

std::uint64_t rowBytes(const ScanConfig& config) {
  std::uint64_t bytes = 0;
  for (const auto& column : detail::dataColumns(config)) bytes += column.bytes;
  return bytes;
}

std::uint64_t recordBytes(const ScanConfig& config) {
  // range (2), rows, allowed, checksum, the statuses and one count per constraint
  return 8 * (5 + kStatusCount + config.chain.constraints().size());
}

// --- checksums ---

namespace {

constexpr std::uint64_t kMix = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio, odd

/// One step of the checksum: a bijection of `h` for a fixed word, and of the word for a
/// fixed `h` (xor, a multiplication by an odd constant and an xor-shift are each invertible).
inline std::uint64_t step(std::uint64_t h, std::uint64_t w) {
  h = (h ^ w) * kMix;
  return h ^ (h >> 31);
}

inline std::uint64_t load(const unsigned char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;  // little-endian hosts only (as the file's native types)
}

/// The bytes past the last whole 8-byte word, zero-padded into one word.
inline std::uint64_t tailWord(const unsigned char* p, std::size_t n) {
  std::uint64_t tail = 0;
  if (n != 0) std::memcpy(&tail, p, n);  // an empty column may have no storage at all
  return tail;
}

/// Version 1: one chain over the words, the tail, a final xor-shift. Each step waits for the
/// multiplication before it (about 6 cycles per 8 bytes).
std::uint64_t serialChecksum(const unsigned char* p, std::size_t bytes, std::uint64_t h) {
  h ^= bytes * kMix;
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) h = step(h, load(p + i));
  h = (h ^ tailWord(p + i, bytes - i)) * kMix;
  return h ^ (h >> 29);
}

/// Version 2: word i of the column goes to lane i mod 4, each lane a chain of version 1's
/// step from its own constant; the four chains are independent, so their multiplications
/// overlap. The seed (with the length) then takes the lanes in order, and the tail word, by
/// the same step, and the final xor-shift of version 1.
std::uint64_t laneChecksum(const unsigned char* p, std::size_t bytes, std::uint64_t h) {
  // Four distinct odd constants (xxHash's 64-bit primes 1, 2, 3 and 5).
  std::uint64_t a = 0x9E3779B185EBCA87ull, b = 0xC2B2AE3D27D4EB4Full, c = 0x165667B19E3779F9ull,
                d = 0x27D4EB2F165667C5ull;
  std::size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    a = step(a, load(p + i));
    b = step(b, load(p + i + 8));
    c = step(c, load(p + i + 16));
    d = step(d, load(p + i + 24));
  }
  if (i + 8 <= bytes) {
    a = step(a, load(p + i));
    i += 8;
  }
  if (i + 8 <= bytes) {
    b = step(b, load(p + i));
    i += 8;
  }
  if (i + 8 <= bytes) {
    c = step(c, load(p + i));
    i += 8;
  }
  h ^= bytes * kMix;
  h = step(step(step(step(h, a), b), c), d);
  h = (h ^ tailWord(p + i, bytes - i)) * kMix;
  return h ^ (h >> 29);
}

}  // namespace

std::uint64_t checksumBytes(const void* data, std::size_t bytes, std::uint64_t h,
                            std::int64_t version) {
  const auto* p = static_cast<const unsigned char*>(data);
  return version == kLegacyChecksumVersion ? serialChecksum(p, bytes, h)
                                           : laneChecksum(p, bytes, h);
}

std::vector<std::pair<const void*, std::size_t>> canonicalColumns(const ChunkBuffer& c) {
  const std::uint64_t cap = c.capacity;
  std::vector<std::pair<const void*, std::size_t>> columns;
  if (cap == 0) return columns;
  for (std::size_t j = 0; j < c.parameters.size() / cap; ++j)
    columns.emplace_back(c.parameters.data() + j * cap, 8);
  for (std::size_t j = 0; j < c.observables.size() / cap; ++j)
    columns.emplace_back(c.observables.data() + j * cap, 8);
  for (std::size_t j = 0; j < c.pass.size() / cap; ++j) {
    columns.emplace_back(c.pass.data() + j * cap, 1);
    columns.emplace_back(c.statistic.data() + j * cap, 8);
    columns.emplace_back(c.chi2.data() + j * cap, 8);
  }
  columns.emplace_back(c.allowed.data(), 1);
  columns.emplace_back(c.chi2Total.data(), 8);
  columns.emplace_back(c.status.data(), 1);
  columns.emplace_back(c.index.data(), 8);
  if (!c.round.empty()) columns.emplace_back(c.round.data(), 1);  // refine scans only
  return columns;
}

std::uint64_t chunkChecksum(const ChunkBuffer& c, std::int64_t version) {
  std::uint64_t h = kChecksumSeed;
  for (const auto& [data, bytes] : canonicalColumns(c))
    h = checksumBytes(data, c.rows * bytes, h, version);
  return h;
}

void ChunkBuffer::reset(std::uint64_t cap, std::size_t nParameters, std::size_t nObservables,
                        std::size_t nConstraints, bool withRound) {
  capacity = cap;
  rows = 0;
  allowedCount = 0;
  samplingSeconds = kernelSeconds = chainSeconds = encodeSeconds = 0.0;
  prepared.checksum = prepared.stored = false;
  statusCounts.fill(0);
  parameters.resize(cap * nParameters);
  observables.resize(cap * nObservables);
  pass.resize(cap * nConstraints);
  statistic.resize(cap * nConstraints);
  chi2.resize(cap * nConstraints);
  allowed.resize(cap);
  chi2Total.resize(cap);
  status.resize(cap);
  index.resize(cap);
  round.resize(withRound ? cap : 0);
  excluded.assign(nConstraints, 0);
}

}  // namespace portalscan::scanner
