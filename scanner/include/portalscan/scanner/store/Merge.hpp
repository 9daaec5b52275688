#pragma once
/// Joining the files of a scan's shards or MPI rank parts into the file an
/// unsharded run writes.

#include "portalscan/scanner/engine/Config.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::scanner {

struct MergeSummary {
  std::uint64_t rows = 0;
  std::uint64_t allowed = 0;
  std::uint64_t chunks = 0;
  std::uint64_t storedCopies = 0;  ///< chunks copied as stored, without recompressing
};

/// Writes `output` with every chunk of `config` taken from the `inputs`
/// (shards or MPI rank parts, each verified and complete), in index order:
/// the file an unsharded run writes. A chunk missing from all inputs, or
/// present in two, is an InputError naming it. `chunks`, when given, are the scan's chunks
/// (a refine scan's, planned from its verdicts); else the config's.
MergeSummary mergeScanFiles(
    const ScanConfig& config, const std::vector<std::string>& inputs, const std::string& output,
    bool overwrite, const std::vector<std::pair<std::uint64_t, std::uint64_t>>* chunks = nullptr);

}  // namespace portalscan::scanner
