#pragma once
/// The one writer of a scan file (layout in docs/hdf5-format.md): columnar
/// datasets for parameters, observables, constraint verdicts, allowed, status
/// and the global point index, written from whole chunks. The /chunks group
/// records every committed chunk; its `range` row is written last, so a chunk
/// counts only once all its rows are in.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Layout.hpp"
#include "portalscan/scanner/store/Verify.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace portalscan::scanner {

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
  /// The writer's work that can run on the thread that computed `chunk`,
  /// before append(): its checksum, and when its rows make one whole storage
  /// chunk (keep: all; or the scan's last, shorter chunk) every column
  /// filtered (shuffle, gzip) for the pipeline its dataset declares
  /// (h5::encodeChunk: random-looking byte planes stored, the rest deflated).
  /// append() then only hands those bytes to HDF5 (direct chunk writes) if
  /// the file's rows end on a storage-chunk boundary, and otherwise writes the
  /// rows through HDF5's filters as before: the same rows either way, and for
  /// keep: all always the first way, so a file does not depend on the thread
  /// count. Thread-safe (const; several threads prepare their own chunks at once).
  void prepare(ChunkBuffer& chunk) const;
  /// Chunks append() wrote as prepared storage chunks, since this writer opened.
  std::uint64_t chunksWrittenPrepared() const { return preparedWritten_; }
  /// Whether the storage chunks of `reader`'s file can be copied into this
  /// one as they are stored (the same chunk shape and filters everywhere).
  bool storesLike(const ScanReader& reader) const;
  /// Takes chunk [begin, end) of a verified file, its `record.rows` rows at
  /// `row`, by copying its storage chunks without decompressing them, when
  /// they are whole storage chunks on both sides and no rows are buffered.
  /// Returns false, having done nothing, otherwise (or when `record`'s checksum is of
  /// another version than this file's): then append() it.
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
  /// The version of the checksums this writer records (kChecksumVersion for a new file; a
  /// reopened file's own).
  std::int64_t checksumVersion() const { return checksumVersion_; }
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
  std::uint64_t storageRows_ = 1;        ///< rows per HDF5 storage chunk
  std::vector<h5::Dataset> doubles_;     ///< parameters, observables, statistics
  std::vector<h5::Dataset> bytes_;       ///< pass flags, allowed
  std::vector<h5::Dataset> columns_;     ///< every data column, in the canonical order
  std::vector<h5::Pipeline> pipelines_;  ///< of columns_
  bool prefilter_ = false;        ///< every column's pipeline is known, one storage chunk of rows
  std::uint64_t scanPoints_ = 0;  ///< points of the whole scan
  std::int64_t checksumVersion_ = kChecksumVersion;
  std::uint64_t preparedWritten_ = 0;
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

}  // namespace portalscan::scanner
