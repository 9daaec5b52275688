#pragma once
/// The HDF5 file of a scan (layout in docs/hdf5-format.md): columnar datasets
/// for parameters, observables, constraint verdicts, allowed, status and the
/// global point index, written by one writer from whole chunks. The /chunks
/// group records every committed chunk; its `range` row is written last, so a
/// chunk counts only once all its rows are in.

#include "portalscan/physics/Status.hpp"
#include "portalscan/scanner/Config.hpp"
#include "portalscan/scanner/Hdf5.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace portalscan::scanner {

inline constexpr std::int64_t kFormatVersion = 1;
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
/// an MPI rank's chunks are handed out at run time, so none are planned).
std::vector<std::pair<std::uint64_t, std::uint64_t>> plannedChunks(const ScanConfig& config,
                                                                   const Subset& subset);

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
  std::vector<std::uint8_t> allowed;
  std::vector<std::int8_t> status;
  std::vector<std::uint64_t> index;
  // Counters over every evaluated point of the chunk, kept or not.
  std::uint64_t allowedCount = 0;
  std::vector<std::uint64_t> excluded;  ///< per constraint: points that failed it
  std::array<std::uint64_t, kStatusCount> statusCounts{};
  // Where the time went (seconds, this chunk).
  double samplingSeconds = 0.0;
  double kernelSeconds = 0.0;
  double chainSeconds = 0.0;

  void reset(std::uint64_t capacity, std::size_t parameters, std::size_t observables,
             std::size_t constraints);
};

/// The commit record of one chunk: where its rows are and what they counted.
struct ChunkRecord {
  std::uint64_t rows = 0;
  std::uint64_t allowed = 0;
  std::array<std::uint64_t, kStatusCount> status{};
  std::vector<std::uint64_t> excluded;
  std::uint64_t checksum = 0;  ///< of its rows (verified against the data)
};

/// What a scan file holds after verification (see verifyScanFile).
struct FileState {
  bool complete = false;
  Subset subset;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> committed;  ///< verified chunks
  std::vector<ChunkRecord> records;  ///< their commit records, in file order
  std::uint64_t rows = 0;            ///< rows of the verified chunks
  std::uint64_t allowed = 0;         ///< allowed points of the verified chunks
  std::vector<std::uint64_t> excluded;
  std::array<std::uint64_t, kStatusCount> status{};
  std::uint64_t droppedChunks = 0;  ///< committed chunks that failed verification
  std::uint64_t droppedRows = 0;    ///< rows past the verified chunks (uncommitted or dropped)
  bool closedCleanly = false;       ///< its writer closed it (no crash since)
  bool salvaged = false;            ///< the verified chunks were copied into a fresh file
  std::uint64_t points() const;     ///< points in the verified chunks
};

/// Opens a scan file written for `config` (a different configuration is an
/// InputError naming both hashes), recomputes the checksum of every committed
/// chunk from the data, and keeps the chunks up to the first that fails, is
/// malformed or cannot be read. With `repair`, the file is then made fit to
/// append to, holding exactly the verified chunks: a file its writer closed
/// is truncated in place; one left by a crash (or that could not be read) is
/// rebuilt by copying them into a fresh file that replaces it. A file cut
/// short is first extended to the size its superblock records. A file HDF5
/// cannot open is an IoError.
FileState verifyScanFile(const std::string& path, const ScanConfig& config, bool repair);

class ScanReader;

class ScanWriter {
 public:
  /// Creates the file and its layout. `overwrite` replaces an existing file.
  ScanWriter(const ScanConfig& config, const std::string& path, bool overwrite,
             const Subset& subset = {});
  /// Reopens a verified file to append the chunks it does not hold yet.
  ScanWriter(const ScanConfig& config, const std::string& path, const FileState& state);

  /// Takes a computed chunk. Rows are combined so that HDF5 only ever
  /// receives whole storage chunks. Every `commitInterval` (and on commit(),
  /// close(), finish()) the chunks taken so far are committed: all their rows
  /// written and flushed, then their /chunks records written and flushed.
  void append(const ChunkBuffer& chunk);
  /// Whether the storage chunks of `reader`'s file can be copied into this
  /// one as they are stored (the same chunk shape and filters everywhere).
  bool storesLike(const ScanReader& reader) const;
  /// Takes chunk [begin, end) of a verified file, its `record.rows` rows at
  /// `row`, by copying its storage chunks without decompressing them, when
  /// they are whole storage chunks on both sides and no rows are buffered.
  /// Returns false, having done nothing, otherwise: then append() it.
  bool appendStored(const ScanReader& reader, std::uint64_t row, std::uint64_t begin,
                    std::uint64_t end, const ChunkRecord& record);
  /// Writes every buffered row and commits every chunk taken so far.
  void commit();
  /// Commits, marks the file complete and closes it.
  void finish();
  /// Commits and closes, leaving the file incomplete (an interrupted scan).
  void close();

  std::uint64_t rowsWritten() const { return rowsWritten_; }
  std::uint64_t chunksCommitted() const { return chunksCommitted_; }
  const std::string& path() const { return path_; }
  /// The most time between commits (the config's output.commit_seconds).
  void setCommitInterval(std::chrono::duration<double> interval) { commitInterval_ = interval; }

 private:
  struct PendingCommit {
    std::uint64_t begin, end, rows, allowed;
    std::array<std::uint64_t, kStatusCount> status;
    std::vector<std::uint64_t> excluded;
    std::uint64_t rowEnd;  ///< rows taken up to and including this chunk
  };
  void openDatasets(const ScanConfig& config);
  /// Reserves room for what is about to be written (see h5::File::reserve).
  void reserve(std::uint64_t bytes);
  void writeRows(std::uint64_t n);
  void writeCommits();

  std::string path_;
  h5::File file_;
  std::uint64_t storageRows_ = 1;     ///< rows per HDF5 storage chunk
  std::vector<h5::Dataset> doubles_;  ///< parameters, observables, statistics
  std::vector<h5::Dataset> bytes_;    ///< pass flags, allowed
  std::vector<h5::Dataset> columns_;  ///< every data column, in the canonical order
  h5::Dataset status_;
  h5::Dataset index_;
  h5::Dataset chunkRange_;
  h5::Dataset chunkRows_;
  h5::Dataset chunkAllowed_;
  h5::Dataset chunkStatus_;
  h5::Dataset chunkExcluded_;
  h5::Dataset chunkChecksum_;
  // Rows taken but not yet written, one vector per dataset.
  std::vector<std::vector<double>> pendingDoubles_;
  std::vector<std::vector<std::uint8_t>> pendingBytes_;
  std::vector<std::int8_t> pendingStatus_;
  std::vector<std::uint64_t> pendingIndex_;
  std::uint64_t pendingRows_ = 0;
  std::vector<PendingCommit> commits_;
  std::vector<std::uint64_t> pendingChecksums_;  ///< of the commits_, in order
  std::uint64_t rowsTaken_ = 0;
  std::uint64_t rowsWritten_ = 0;
  std::uint64_t chunksCommitted_ = 0;
  std::uint64_t rowBytes_ = 0;        ///< uncompressed bytes of one row, all datasets
  std::uint64_t unflushedBytes_ = 0;  ///< written since the last flush (uncompressed)
  std::chrono::duration<double> commitInterval_{10.0};
  std::chrono::steady_clock::time_point lastCommit_;
};

/// A scan file opened for reading (info, tests; resume and merge build on it).
struct ScanSummary {
  std::string path;
  Subset subset;
  std::string model;
  nlohmann::ordered_json config;
  std::string configHash;
  std::string version;
  std::string created;
  bool complete = false;
  std::uint64_t pointsTotal = 0;      ///< points in the scan (all shards)
  std::uint64_t pointsEvaluated = 0;  ///< points in the committed chunks
  std::uint64_t rows = 0;
  std::uint64_t allowed = 0;
  std::uint64_t chunks = 0;
  std::array<std::uint64_t, kStatusCount> status{};
  std::vector<std::string> constraintNames;
  std::vector<std::uint64_t> excluded;
  struct Range {
    std::string name;
    std::string scale;
    double min = 0.0;
    double max = 0.0;
  };
  std::vector<Range> parameterRanges;  ///< scanned and derived parameters, over the rows
  std::uint64_t fileBytes = 0;
};

/// Reads the rows of chunks back from a scan file (merge, salvage), every
/// column in blocks of `blockRows` rows: front-to-back reading touches each
/// storage chunk once. Only the first `rows` rows (the verified ones) are read.
class ScanReader {
 public:
  ScanReader(const ScanConfig& config, const std::string& path, std::uint64_t rows,
             std::uint64_t blockRows = 1 << 14);
  /// Fills `chunk` with rows [row, row + rows) of every data column; the
  /// caller sets its identity (begin, end) and counters.
  void read(std::uint64_t row, std::uint64_t rows, ChunkBuffer& chunk);
  /// The data columns, in the canonical order.
  const std::vector<h5::Dataset>& columns() const { return columns_; }

 private:
  const ScanConfig& config_;
  h5::File file_;
  std::vector<h5::Dataset> columns_;  ///< canonical order
  std::vector<std::size_t> bytes_;    ///< element size of each column
  std::uint64_t blockRows_;
  std::uint64_t rowsInFile_ = 0;
  std::uint64_t blockBegin_ = 0, blockEnd_ = 0;
  std::vector<std::vector<unsigned char>> blocks_;
};

struct MergeSummary {
  std::uint64_t rows = 0;
  std::uint64_t allowed = 0;
  std::uint64_t chunks = 0;
  std::uint64_t storedCopies = 0;  ///< chunks copied as stored, without recompressing
};

/// Writes `output` with every chunk of `config` taken from the `inputs`
/// (shards or MPI rank parts, each verified and complete), in index order:
/// the file an unsharded run writes. A chunk missing from all inputs, or
/// present in two, is an InputError naming it.
MergeSummary mergeScanFiles(const ScanConfig& config, const std::vector<std::string>& inputs,
                            const std::string& output, bool overwrite);

/// `ranges`: also read the scanned parameters' ranges (reads their columns).
ScanSummary summarise(const std::string& path, bool ranges = true);

/// Checksum of one chunk's rows, column by column in the file's canonical
/// order (parameters, observables, per constraint pass then statistic,
/// allowed, status, index): a 64-bit mix over the bytes.
std::uint64_t chunkChecksum(const ChunkBuffer& chunk);
std::uint64_t checksumBytes(const void* data, std::size_t bytes, std::uint64_t seed);

}  // namespace portalscan::scanner
