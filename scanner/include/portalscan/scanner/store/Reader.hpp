#pragma once
/// Reading a scan file back: its summary (`portalscan info`, the MPI resume
/// check) and the rows of its chunks (merge, salvage).

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Layout.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace portalscan::scanner {

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

/// `ranges`: also read the scanned parameters' ranges (reads their columns).
ScanSummary summarise(const std::string& path, bool ranges = true);

}  // namespace portalscan::scanner
