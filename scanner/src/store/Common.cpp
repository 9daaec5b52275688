#include "Common.hpp"

#include "portalscan/physics/Error.hpp"

#include <cstring>

namespace portalscan::scanner::detail {

std::vector<Column> dataColumns(const ScanConfig& config) {
  std::vector<Column> columns;
  for (const auto& p : config.kernel->parameters()) columns.push_back({"parameters/" + p.name, 8});
  for (std::size_t i : config.output.observables) {
    columns.push_back({"observables/" + config.kernel->observables()[i].name, 8});
  }
  for (const auto& c : config.chain.constraints()) {
    columns.push_back({"constraints/" + c.name + "/pass", 1});
    columns.push_back({"constraints/" + c.name + "/statistic", 8});
    columns.push_back({"constraints/" + c.name + "/chi2", 8});
  }
  columns.push_back({"allowed", 1});
  columns.push_back({"chi2_total", 8});
  columns.push_back({"status", 1});
  columns.push_back({"index", 8});
  if (config.sampler == SamplerKind::Refine) columns.push_back({"round", 1});
  return columns;
}

std::int64_t checksumVersion(const h5::Group& root, const std::string& path) {
  if (!root.hasAttribute("checksum_version")) return kLegacyChecksumVersion;
  const std::int64_t version = root.intAttribute("checksum_version");
  if (version != kLegacyChecksumVersion && version != kChecksumVersion) {
    throw InputError("'" + path + "' has chunk checksums of version " + std::to_string(version) +
                     " (a newer portalscan); this one knows versions 1 and 2 and can neither " +
                     "verify, resume nor merge it");
  }
  return version;
}

/// Rows [begin, end) of a dataset as raw bytes of its native element type.
std::vector<unsigned char> readBytes(const h5::Dataset& d, std::size_t bytes, std::uint64_t begin,
                                     std::uint64_t end) {
  std::vector<unsigned char> out((end - begin) * bytes);
  auto copy = [&](const auto& v) {
    if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  };
  if (bytes == 8 && d.typeClass() == H5T_FLOAT) {
    copy(d.read<double>(begin, end));
  } else if (bytes == 8) {
    copy(d.read<std::uint64_t>(begin, end));
  } else if (d.typeSigned()) {
    copy(d.read<std::int8_t>(begin, end));
  } else {
    copy(d.read<std::uint8_t>(begin, end));
  }
  return out;
}

/// Appends chunk k of a verified file, read at `row`, to `writer`.
void copyChunk(ScanReader& reader, const FileState& state, std::size_t k, std::uint64_t row,
               ChunkBuffer& buffer, ScanWriter& writer) {
  const ChunkRecord& r = state.records[k];
  reader.read(row, r.rows, buffer);
  buffer.begin = state.committed[k].first;
  buffer.end = state.committed[k].second;
  buffer.allowedCount = r.allowed;
  buffer.statusCounts = r.status;
  buffer.excluded = r.excluded;
  writer.append(buffer);
}

}  // namespace portalscan::scanner::detail
