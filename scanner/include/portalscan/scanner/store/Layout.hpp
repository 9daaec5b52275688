#pragma once
/// The layout of a scan file (docs/hdf5-format.md) shared by its writer,
/// reader, verification and merge: the format version, which chunks of the
/// scan a file holds, the rows of one chunk in memory, the commit record of a
/// chunk and the checksum over its rows.

#include "portalscan/physics/Status.hpp"
#include "portalscan/scanner/engine/Config.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::scanner {

/// 2: per-constraint chi2 and chi2_total (docs/hdf5-format.md).
inline constexpr std::int64_t kFormatVersion = 2;
/// The checksum of /chunks/checksum (root attribute `checksum_version`, docs/hdf5-format.md):
/// 1, one serial multiply-xor chain over the bytes (every file written before the attribute
/// existed, which has none); 2, the same step in four independent lanes folded at the end (a
/// quarter of the latency chain). New files get kChecksumVersion; a file that is resumed in
/// place keeps its own.
inline constexpr std::int64_t kChecksumVersion = 2;
inline constexpr std::int64_t kLegacyChecksumVersion = 1;
inline constexpr std::size_t kStatusCount = kPointStatusNames.size();

/// Which chunks of the scan a file holds.
struct Subset {
  enum class Kind { All, Shard, MpiRank } kind = Kind::All;
  std::uint64_t index = 0;       ///< shard K - 1, or the MPI rank (from 0)
  std::uint64_t count = 1;       ///< shards N, or MPI ranks
  std::string describe() const;  ///< "all", "shard 2/3", "MPI rank 1/4" (counted from 1)
  std::string toJson() const;
  static Subset fromJson(const std::string& json);
  bool operator==(const Subset&) const = default;
};

/// The chunks of `config` a subset holds (a shard: every N-th, round robin;
/// an MPI rank's chunks are handed out at run time, so none are planned),
/// computed when asked for: a 1e12-point scan has 2.4e8 chunks, and a list of
/// them took 4 GB before a dry run could say anything.
class ChunkPlan {
 public:
  ChunkPlan(const ScanConfig& config, const Subset& subset);
  /// Chunks in the plan.
  std::uint64_t size() const { return count_; }
  /// Chunk k of the plan (k < size()).
  std::pair<std::uint64_t, std::uint64_t> at(std::uint64_t k) const;
  /// Points in the plan's chunks.
  std::uint64_t points() const;

 private:
  std::uint64_t points_ = 0;  ///< of the whole scan
  std::uint64_t chunkPoints_ = 1;
  std::uint64_t first_ = 0;   ///< first chunk of the scan in the plan
  std::uint64_t stride_ = 1;  ///< chunks of the scan from one planned chunk to the next
  std::uint64_t count_ = 0;
};

/// Every chunk of a plan, as a list (for scans whose chunks fit in memory: tests, merge of
/// small files). Runs and dry runs use ChunkPlan.
std::vector<std::pair<std::uint64_t, std::uint64_t>> plannedChunks(const ScanConfig& config,
                                                                   const Subset& subset);

/// Bytes of one stored row, uncompressed (every data column), and of one commit record.
std::uint64_t rowBytes(const ScanConfig& config);
std::uint64_t recordBytes(const ScanConfig& config);

/// The rows of one chunk, structure of arrays: column c of a block lives at
/// [c * capacity, c * capacity + rows).
struct ChunkBuffer {
  std::uint64_t begin = 0;  ///< first global point index
  std::uint64_t end = 0;    ///< one past the last
  std::uint64_t rows = 0;   ///< rows kept (all points, or the allowed ones)
  std::uint64_t capacity = 0;
  std::vector<double> parameters;
  std::vector<double> observables;
  std::vector<std::uint8_t> pass;
  std::vector<double> statistic;
  std::vector<double> chi2;
  std::vector<std::uint8_t> allowed;
  std::vector<double> chi2Total;
  std::vector<std::int8_t> status;
  std::vector<std::uint64_t> index;
  std::vector<std::uint8_t> round;  ///< refine scans only (else empty): each row's round
  // Counters over every evaluated point of the chunk, kept or not.
  std::uint64_t allowedCount = 0;
  std::vector<std::uint64_t> excluded;  ///< per constraint: points that failed it
  std::array<std::uint64_t, kStatusCount> statusCounts{};
  // Where the time went (seconds, this chunk).
  double samplingSeconds = 0.0;
  double kernelSeconds = 0.0;
  double chainSeconds = 0.0;
  double encodeSeconds = 0.0;

  /// What ScanWriter::prepare computed on the worker's thread, so that the one
  /// writer only appends bytes: the checksum of the rows, and when the rows
  /// fill one storage chunk (or end the scan), every column filtered as its
  /// dataset declares (canonical order), with its filter mask.
  struct Prepared {
    bool checksum = false;  ///< `sum` holds chunkChecksum of the rows, of `version`
    std::int64_t version = 0;
    bool stored = false;  ///< `columns` hold the stored chunk of every column
    std::uint64_t sum = 0;
    std::vector<std::vector<unsigned char>> columns;
    std::vector<std::uint32_t> masks;
    std::vector<unsigned char> scratch;
  } prepared;

  void reset(std::uint64_t capacity, std::size_t parameters, std::size_t observables,
             std::size_t constraints, bool withRound = false);
};

/// The commit record of one chunk: where its rows are and what they counted.
struct ChunkRecord {
  std::uint64_t rows = 0;
  std::uint64_t allowed = 0;
  std::array<std::uint64_t, kStatusCount> status{};
  std::vector<std::uint64_t> excluded;
  std::uint64_t checksum = 0;                       ///< of its rows (verified against the data)
  std::int64_t checksumVersion = kChecksumVersion;  ///< of `checksum` (its file's)
};

/// Checksum of one chunk's rows, column by column in the file's canonical
/// order (parameters, observables, per constraint pass, statistic and chi2,
/// allowed, chi2_total, status, index, and a refine scan's round): a 64-bit mix
/// over the bytes, of checksum version `version` (1 or 2, see kChecksumVersion).
std::uint64_t chunkChecksum(const ChunkBuffer& chunk, std::int64_t version);
/// The data columns of a chunk in that canonical order: the first of its
/// `rows` elements and the element size (the order of detail::dataColumns).
std::vector<std::pair<const void*, std::size_t>> canonicalColumns(const ChunkBuffer& chunk);
/// One column's bytes mixed into `seed` (the chunk's checksum so far), by checksum
/// `version`. For fixed bytes, a bijection of the seed; for a fixed seed and length, any
/// change confined to one aligned 8-byte word (or to the last, partial one) changes the result.
std::uint64_t checksumBytes(const void* data, std::size_t bytes, std::uint64_t seed,
                            std::int64_t version);

}  // namespace portalscan::scanner
