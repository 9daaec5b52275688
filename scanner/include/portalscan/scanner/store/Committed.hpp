#pragma once
/// A scan file read by what it holds, without its configuration: its stored
/// columns and only the rows of its committed chunks (docs/hdf5-format.md).
/// What `export` and `info` read, also while a scan is still writing the file.
///
/// A reader takes no HDF5 file lock, so it never blocks the writer; but HDF5
/// (without SWMR) gives a reader no consistent view while the writer flushes:
/// a B-tree or extent read in the middle of a flush can fail or point at rows
/// not yet there. So a reader (1) reads only the rows that the /chunks records
/// vouch for (their `range` row is written after the rows, on a later flush),
/// (2) checks what it read against those records (every record set at least as
/// long as `range`, every data column at least as long as the committed rows,
/// the /index of each committed chunk inside its range and increasing), and
/// (3) when anything fails on a file whose writer still has it open
/// (`open_for_writing` = 1), opens it again and retries, for a few seconds.

#include "portalscan/scanner/store/Hdf5.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::scanner {

/// A parameter or observable column of a scan file.
struct StoredColumn {
  std::string name;        ///< as stored (M_chi)
  std::string path;        ///< parameters/M_chi
  bool parameter = false;  ///< a parameter (else an observable)
  std::string unit;        ///< native unit: GeV, s, 1, ...
  std::string description;
  std::string scale;          ///< parameters: lin, log, fixed, derived; observables: empty
  std::vector<double> range;  ///< a scanned parameter's [low, high]
};

/// The committed content of a scan file.
class CommittedFile {
 public:
  /// Opens `path` read-only and without a lock, and reads its commit records.
  /// A file that is not a portalscan scan file is an InputError; a view that
  /// does not hold together (see above) an IoError.
  explicit CommittedFile(const std::string& path);

  const std::string& path() const { return path_; }
  const h5::File& file() const { return file_; }
  const std::string& model() const { return model_; }
  const nlohmann::ordered_json& config() const { return config_; }
  const nlohmann::ordered_json& options() const { return options_; }
  const std::string& configHash() const { return configHash_; }
  const std::string& keep() const { return keep_; }
  const std::string& created() const { return created_; }
  const std::string& version() const { return version_; }
  std::int64_t formatVersion() const { return formatVersion_; }
  bool complete() const { return complete_; }
  bool openForWriting() const { return openForWriting_; }

  /// Committed chunks, the rows they stored, the points they evaluated.
  std::uint64_t chunks() const { return chunks_; }
  std::uint64_t rows() const { return rows_; }
  std::uint64_t pointsEvaluated() const { return pointsEvaluated_; }
  std::uint64_t pointsTotal() const { return pointsTotal_; }
  /// [begin, end) of each committed chunk, and its rows, in file order.
  const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges() const { return ranges_; }
  const std::vector<std::uint64_t>& chunkRows() const { return chunkRows_; }
  /// Rows [0, chunks) of a /chunks record set (row-major, its columns wide).
  std::vector<std::uint64_t> records(const std::string& name, std::uint64_t& columns) const;

  const std::vector<StoredColumn>& parameters() const { return parameters_; }
  const std::vector<StoredColumn>& observables() const { return observables_; }
  /// The chain's constraints in the config's order (else the file's).
  const std::vector<std::string>& constraints() const { return constraints_; }
  /// Whether the file has /chi2_total (format version 2 and later).
  bool hasChi2() const { return hasChi2_; }

  /// The committed rows of a dataset (path inside the file), as doubles.
  std::vector<double> doubles(const std::string& dataset) const;
  /// The same for a uint8 or int8 dataset (pass, allowed, status).
  std::vector<std::int8_t> bytes(const std::string& dataset) const;
  /// The committed rows of /index, checked against the commit records (each
  /// chunk's rows inside its range and increasing; every point for keep all).
  std::vector<std::uint64_t> index() const;

 private:
  std::string path_;
  h5::File file_;
  std::string model_, configHash_, keep_, created_, version_;
  nlohmann::ordered_json config_, options_;
  std::int64_t formatVersion_ = 0;
  bool complete_ = false, openForWriting_ = false, hasChi2_ = false;
  std::uint64_t chunks_ = 0, rows_ = 0, pointsEvaluated_ = 0, pointsTotal_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  std::vector<std::uint64_t> chunkRows_;
  std::vector<StoredColumn> parameters_, observables_;
  std::vector<std::string> constraints_;
};

/// Runs `read` on a fresh CommittedFile of `path`; when it throws an IoError
/// and the file's writer still has it open (or the file could not be read
/// far enough to tell), opens the file again and retries, for up to about
/// `seconds`. An InputError, or an IoError on a closed file, goes through at once.
void readCommitted(const std::string& path, const std::function<void(const CommittedFile&)>& read,
                   double seconds = 5.0);

}  // namespace portalscan::scanner
