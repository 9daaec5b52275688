#pragma once
// Helpers shared by the store's roles (private to the scanner library): the
// data columns of a scan file in the canonical (checksum) order, reading them
// back as raw bytes, and copying one verified chunk from a reader to a writer.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Layout.hpp"
#include "portalscan/scanner/store/Reader.hpp"
#include "portalscan/scanner/store/Verify.hpp"
#include "portalscan/scanner/store/Writer.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace portalscan::scanner::detail {

inline constexpr std::uint64_t kChecksumSeed = 0x706f7274616c7363ull;  // "portalsc"

/// The data datasets of a scan file in the canonical (checksum) order, with the
/// size of their element type.
struct Column {
  std::string path;
  std::size_t bytes;
};

std::vector<Column> dataColumns(const ScanConfig& config);

/// The checksum version of a scan file's /chunks/checksum (its root attribute
/// `checksum_version`; a file without it, written before, has version 1). A version this
/// program does not know is an InputError naming the file.
std::int64_t checksumVersion(const h5::Group& root, const std::string& path);

/// Rows [begin, end) of a dataset as raw bytes of its native element type.
std::vector<unsigned char> readBytes(const h5::Dataset& d, std::size_t bytes, std::uint64_t begin,
                                     std::uint64_t end);

/// Appends chunk k of a verified file, read at `row`, to `writer`.
void copyChunk(ScanReader& reader, const FileState& state, std::size_t k, std::uint64_t row,
               ChunkBuffer& buffer, ScanWriter& writer);

}  // namespace portalscan::scanner::detail
