#pragma once
/// Verification of a scan file against its commit records: what --resume,
/// merge and the MPI join trust, and the repair (truncation or salvage copy)
/// that makes a damaged file fit to append to.

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/store/Layout.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::scanner {

/// The copy of a crashed file's verified chunks (the salvage before a resume)
/// could not be written: the original is intact, and the message says what to
/// free.
class SalvageError : public IoError {
 public:
  using IoError::IoError;
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
/// cannot open is an IoError. With `expected`, a file holding another subset is an
/// InputError before anything is repaired.
FileState verifyScanFile(const std::string& path, const ScanConfig& config, bool repair,
                         const Subset* expected = nullptr);

/// Refuses (InputError) to let --force replace `path` unless it is a portalscan
/// scan file, or an HDF5 file too damaged to open (a crashed scan may be one);
/// a file another process holds is "in use".
void checkReplaceable(const std::string& path);

/// Verifies and repairs the file a run resumes (verifyScanFile), which must
/// hold `subset` of the scan; a file beyond repair is an IoError, another
/// subset an InputError, each saying what to do.
FileState verifyForResume(const std::string& path, const ScanConfig& config, const Subset& subset);

}  // namespace portalscan::scanner
