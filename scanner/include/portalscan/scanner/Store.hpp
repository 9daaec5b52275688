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

class ScanWriter {
 public:
  /// Creates the file and its layout. `overwrite` replaces an existing file.
  ScanWriter(const ScanConfig& config, const std::string& path, bool overwrite);

  /// Takes a computed chunk (in index order). Rows are combined so that HDF5
  /// only ever receives whole storage chunks; a chunk is committed (its
  /// /chunks record written) once all its rows are in the file, data flushed
  /// before the record. At most `commitInterval` passes between commits.
  void append(const ChunkBuffer& chunk);
  /// Writes every buffered row and commits every chunk taken so far.
  void commit();
  /// Commits, marks the file complete and closes it.
  void finish();

  std::uint64_t rowsWritten() const { return rowsWritten_; }
  std::uint64_t chunksCommitted() const { return chunksCommitted_; }
  const std::string& path() const { return path_; }
  void setCommitInterval(std::chrono::milliseconds interval) { commitInterval_ = interval; }

 private:
  struct PendingCommit {
    std::uint64_t begin, end, rows, allowed;
    std::array<std::uint64_t, kStatusCount> status;
    std::vector<std::uint64_t> excluded;
    std::uint64_t rowEnd;  ///< rows taken up to and including this chunk
  };
  void writeRows(std::uint64_t n);
  void writeCommits();

  std::string path_;
  h5::File file_;
  std::uint64_t storageRows_ = 1;     ///< rows per HDF5 storage chunk
  std::vector<h5::Dataset> doubles_;  ///< parameters, observables, statistics
  std::vector<h5::Dataset> bytes_;    ///< pass flags, allowed
  h5::Dataset status_;
  h5::Dataset index_;
  h5::Dataset chunkRange_;
  h5::Dataset chunkRows_;
  h5::Dataset chunkAllowed_;
  h5::Dataset chunkStatus_;
  h5::Dataset chunkExcluded_;
  // Rows taken but not yet written, one vector per dataset.
  std::vector<std::vector<double>> pendingDoubles_;
  std::vector<std::vector<std::uint8_t>> pendingBytes_;
  std::vector<std::int8_t> pendingStatus_;
  std::vector<std::uint64_t> pendingIndex_;
  std::uint64_t pendingRows_ = 0;
  std::vector<PendingCommit> commits_;
  std::uint64_t rowsTaken_ = 0;
  std::uint64_t rowsWritten_ = 0;
  std::uint64_t chunksCommitted_ = 0;
  std::chrono::milliseconds commitInterval_{10000};
  std::chrono::steady_clock::time_point lastCommit_;
};

/// A scan file opened for reading (info, tests; resume and merge build on it).
struct ScanSummary {
  std::string path;
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

ScanSummary summarise(const std::string& path);

}  // namespace portalscan::scanner
