#include "portalscan/scanner/store/Merge.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/store/Layout.hpp"
#include "portalscan/scanner/store/Reader.hpp"
#include "portalscan/scanner/store/Verify.hpp"
#include "portalscan/scanner/store/Writer.hpp"

#include "Common.hpp"

#include <algorithm>
#include <map>

namespace portalscan::scanner {

using detail::Column;
using detail::copyChunk;
using detail::dataColumns;

// --- merging ---

MergeSummary mergeScanFiles(const ScanConfig& config, const std::vector<std::string>& inputs,
                            const std::string& output, bool overwrite,
                            const std::vector<std::pair<std::uint64_t, std::uint64_t>>* chunks) {
  // Every verified chunk of every input, and where it lives.
  struct Source {
    std::size_t file;
    std::size_t k;      ///< chunk k of its file
    std::uint64_t row;  ///< its first row there
  };
  std::map<std::uint64_t, Source> sources;  // by first point index
  std::vector<FileState> states;
  for (std::size_t f = 0; f < inputs.size(); ++f) {
    const std::string& in = inputs[f];
    states.push_back(verifyScanFile(in, config, false));
    const FileState& state = states.back();
    if (state.droppedChunks) {
      throw InputError("'" + in + "' has " + std::to_string(state.droppedChunks) +
                       " chunk(s) that fail verification: resume it first");
    }
    if (!state.complete) {
      throw InputError("'" + in + "' is incomplete (" + std::to_string(state.points()) +
                       " points): finish it with --resume first");
    }
    std::uint64_t row = 0;
    for (std::size_t k = 0; k < state.committed.size(); ++k) {
      const auto [it, inserted] = sources.emplace(state.committed[k].first, Source{f, k, row});
      if (!inserted) {
        throw InputError("points [" + std::to_string(state.committed[k].first) + ", " +
                         std::to_string(state.committed[k].second) + ") are in both '" +
                         inputs[it->second.file] + "' and '" + in + "'");
      }
      row += state.records[k].rows;
    }
  }
  // Every chunk of the scan exactly once.
  const auto all = chunks ? *chunks : plannedChunks(config, Subset{});
  std::vector<std::pair<std::uint64_t, std::uint64_t>> missing;
  for (const auto& chunk : all) {
    if (!sources.contains(chunk.first)) missing.push_back(chunk);
  }
  if (!missing.empty()) {
    std::string message = std::to_string(missing.size()) + " of " + std::to_string(all.size()) +
                          " chunks are missing (first: points [" +
                          std::to_string(missing[0].first) + ", " +
                          std::to_string(missing[0].second) + "))";
    const Subset& first = states[0].subset;
    if (first.kind != Subset::Kind::All) {
      std::vector<bool> present(first.count, false);
      for (const auto& s : states) {
        if (s.subset.kind == first.kind && s.subset.count == first.count) {
          present[s.subset.index] = true;
        }
      }
      std::string absent;
      for (std::uint64_t k = 0; k < present.size(); ++k) {
        if (!present[k]) {
          absent += (absent.empty() ? "" : ", ") + std::to_string(k + 1) + "/" +
                    std::to_string(present.size());
        }
      }
      if (!absent.empty()) {
        message += std::string("; missing ") +
                   (first.kind == Subset::Kind::Shard ? "shard(s) " : "rank part(s) ") + absent;
      }
    }
    throw InputError(message);
  }

  // Re-append the chunks in index order through the one writer: the result is
  // the file an unsharded run writes.
  // Each input is read front to back in blocks, within a memory budget.
  std::uint64_t rowBytes = 0;
  for (const Column& col : dataColumns(config)) rowBytes += col.bytes;
  const std::uint64_t blockRows = std::clamp<std::uint64_t>(
      (std::uint64_t{256} << 20) / (inputs.size() * rowBytes), config.output.chunkPoints, 1 << 16);
  std::vector<ScanReader> readers;
  readers.reserve(inputs.size());
  for (std::size_t f = 0; f < inputs.size(); ++f) {
    readers.emplace_back(config, inputs[f], states[f].rows, blockRows);
  }
  ScanWriter writer(config, output, overwrite);
  // Whole storage chunks with the same filters are copied as stored: no
  // decompression, no recompression (the bulk of a merge's time otherwise).
  std::vector<bool> storedLike;
  for (const ScanReader& reader : readers) storedLike.push_back(writer.storesLike(reader));
  ChunkBuffer buffer;
  MergeSummary summary;
  for (const auto& [begin, end] : all) {
    const Source& s = sources.at(begin);
    const ChunkRecord& record = states[s.file].records[s.k];
    if (storedLike[s.file] && writer.appendStored(readers[s.file], s.row, begin, end, record)) {
      ++summary.storedCopies;
    } else {
      copyChunk(readers[s.file], states[s.file], s.k, s.row, buffer, writer);
    }
    ++summary.chunks;
    summary.rows += record.rows;
    summary.allowed += record.allowed;
  }
  writer.finish();
  return summary;
}

}  // namespace portalscan::scanner
