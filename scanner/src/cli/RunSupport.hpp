#pragma once
// Pieces of `portalscan run` shared by the one-process and the MPI run
// (private to the scanner library).

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/engine/Refine.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include "Commands.hpp"

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace portalscan::scanner::detail {

std::string percent(std::uint64_t part, std::uint64_t whole);
std::string megabytes(std::uint64_t bytes);

/// The output must be creatable: nothing is written before this passes. An
/// existing file is replaced (with `force`) only if it is a scan file, and
/// never when it is the scan's own `config`.
void checkOutput(const std::string& path, bool force, const std::string& config = {});

/// A path as a word of a shell command line: as it is when plain, else in single quotes; one
/// starting with '-' as ./-NAME, which no program takes for an option.
std::string shellWord(const std::string& path);

/// A part file of an MPI run's output OUT (OUT-stem.part-K-of-N.ext) and the subset it holds.
struct PartFile {
  std::string path;
  Subset subset;  ///< MPI rank K - 1 of N
};

/// The part files beside `output`, of any rank count, sorted by name.
std::vector<PartFile> partFilesOf(const std::string& output);

/// The config of a run with the command line's output path and thread count.
ScanConfig runConfig(const RunArgs& args);

/// Counters over every point of a scan, earlier runs included.
struct Totals {
  std::uint64_t points = 0;
  std::uint64_t allowed = 0;
  std::vector<std::uint64_t> excluded;
  std::array<std::uint64_t, kStatusCount> status{};
  void add(const RunStatistics& stats);
};

/// The summary `portalscan run` prints; `scope` ("shard 2/3", "4 MPI ranks")
/// goes in the first line.
void printSummary(std::ostream& out, const ScanConfig& config, const std::string& scope,
                  const Totals& totals, const RunStatistics& stats, std::uint64_t rows,
                  const std::string& path);

/// The criterion's bit (0 or 1) of every committed point of a refine scan file (the whole scan,
/// a shard or an MPI part), stored at its global index in `known`, which grows as needed (2:
/// no verdict known). A file of another configuration is an InputError. Returns the file's
/// committed chunks, in file order.
std::vector<std::pair<std::uint64_t, std::uint64_t>> readVerdictsInto(
    const std::string& path, const ScanConfig& config, std::vector<std::uint8_t>& known);

/// Plans the rounds of `refinement` again from the verdicts `in` (by global index, 2: not
/// known), up to the first round they do not hold whole; returns the chunks of the rounds
/// planned.
std::vector<std::pair<std::uint64_t, std::uint64_t>> replay(Refinement& refinement,
                                                            const std::vector<std::uint8_t>& in);

/// What a refine run prints after the summary (and `info` of its file): the points of each
/// round and how finely the boundary is placed.
void printRefinement(std::ostream& out, const ScanConfig& config,
                     const std::vector<std::uint64_t>& perRound, std::uint64_t boundaryCells,
                     bool budgetReached);

}  // namespace portalscan::scanner::detail
