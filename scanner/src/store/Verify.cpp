#include "portalscan/scanner/store/Verify.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Reader.hpp"
#include "portalscan/scanner/store/Writer.hpp"

#include "Common.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <set>

namespace portalscan::scanner {

using detail::Column;
using detail::copyChunk;
using detail::dataColumns;
using detail::kChecksumSeed;
using detail::readBytes;

std::uint64_t FileState::points() const {
  std::uint64_t n = 0;
  for (const auto& [b, e] : committed) n += e - b;
  return n;
}

// --- verification ---

namespace {

void salvageInto(const std::string& fresh, const std::string& path, const ScanConfig& config,
                 const FileState& state);

/// Set in the child of h5::confine: the structure is read (attributes, commit records, every
/// dataset and its extent), the rows are not (their checksums take the time of a full read).
bool structureOnly = false;

/// The verified chunks of a scan file, without changing it.
struct Verification {
  FileState state;
  std::uint64_t recorded = 0;  ///< commit records present
  std::uint64_t longest = 0;   ///< rows of the longest data dataset
  bool readFailed = false;     ///< some data could not be read
};

Verification verify(h5::File& file, const ScanConfig& config, std::int64_t checksumVersion) {
  h5::Group& root = file.root();
  Verification v;
  FileState& state = v.state;
  state.complete = root.intAttribute("complete") != 0;
  state.closedCleanly =
      root.hasAttribute("open_for_writing") && root.intAttribute("open_for_writing") == 0;
  state.subset =
      root.hasAttribute("subset") ? Subset::fromJson(root.stringAttribute("subset")) : Subset{};
  state.excluded.assign(config.chain.constraints().size(), 0);

  // The commit records: as many as every /chunks dataset holds. Records that
  // cannot be read vouch for nothing: then no chunk is verified.
  std::uint64_t recorded = 0, excludedWidth = 1, statusWidth = kStatusCount;
  std::vector<std::uint64_t> range, rows, allowed, status, excluded, checksum;
  try {
    const h5::Group chunks = root.openGroup("chunks");
    std::vector<h5::Dataset> records;
    for (const char* name : {"range", "rows", "allowed", "status", "excluded", "checksum"}) {
      records.push_back(chunks.openDataset(name));
    }
    recorded = std::numeric_limits<std::uint64_t>::max();
    for (const auto& d : records) recorded = std::min(recorded, d.rows());
    // The records are stored uncompressed: what claims more bytes than the file has is damage
    // (a corrupt extent would otherwise be an allocation of exabytes).
    const std::uint64_t fileBytes = std::filesystem::file_size(file.path());
    for (const auto& d : records) {
      const std::uint64_t columns = std::max<std::uint64_t>(1, d.columns());
      if (columns > fileBytes / 8 || recorded > fileBytes / 8 / columns) {
        throw IoError("commit records larger than the file");
      }
    }
    range = records[0].read<std::uint64_t>(0, recorded);
    rows = records[1].read<std::uint64_t>(0, recorded);
    allowed = records[2].read<std::uint64_t>(0, recorded);
    status = records[3].read<std::uint64_t>(0, recorded);
    excluded = records[4].read<std::uint64_t>(0, recorded);
    checksum = records[5].read<std::uint64_t>(0, recorded);
    excludedWidth = records[4].columns();
    statusWidth = records[3].columns();
  } catch (const IoError&) {
    // Records that cannot be read are damage: the file is never "complete" then.
    v.readFailed = true;
    recorded = 0;
    state.complete = false;
  }
  v.recorded = recorded;

  // Well-formed records: real chunks of this scan, none twice; for a planned
  // subset exactly its chunks in order (an MPI rank's part holds the chunks
  // handed to it, ascending within a run, in any order across resumes).
  const bool planned = state.subset.kind != Subset::Kind::MpiRank;
  const ChunkPlan plan(config, state.subset);
  const std::uint64_t c = config.output.chunkPoints;
  std::uint64_t candidates = 0;
  std::set<std::uint64_t> seen;
  // A refine scan's chunks follow its rounds, which depend on its verdicts: they cover
  // [0, points) in order, at most C points each, a round's last one shorter (the run
  // checks them against the rounds it replays from the verdicts). A shard holds every N-th
  // of them, ascending; an MPI rank's part those handed to it, none twice.
  const bool refine = config.sampler == SamplerKind::Refine;
  std::uint64_t refineEnd = 0;
  for (std::uint64_t k = 0; k < recorded; ++k) {
    const std::uint64_t b = range[2 * k], e = range[2 * k + 1];
    if (refine) {
      const bool placed = state.subset.kind == Subset::Kind::All     ? b == refineEnd
                          : state.subset.kind == Subset::Kind::Shard ? b >= refineEnd
                                                                     : seen.insert(b).second;
      if (!placed || e <= b || e - b > c || e > config.points || rows[k] > e - b) break;
      refineEnd = e;
      ++candidates;
      continue;
    }
    const bool chunk = b % c == 0 && b < config.points && e == std::min(config.points, b + c) &&
                       rows[k] <= e - b && seen.insert(b).second;
    if (!chunk || (planned && (k >= plan.size() || plan.at(k) != std::make_pair(b, e)))) break;
    ++candidates;
  }

  // Checksums from the data, column by column in the canonical order. A block
  // that cannot be read is read again chunk by chunk: the first chunk that
  // cannot be read ends the candidates.
  const auto columns = dataColumns(config);
  std::vector<std::uint64_t> rowStart(candidates + 1, 0);
  for (std::uint64_t k = 0; k < candidates; ++k) rowStart[k + 1] = rowStart[k] + rows[k];
  std::vector<h5::Dataset> data;
  for (const Column& col : columns) {
    try {
      data.push_back(root.openDataset(col.path));
      while (candidates > 0 && rowStart[candidates] > data.back().rows()) --candidates;
      v.longest = std::max(v.longest, data.back().rows());
    } catch (const IoError&) {
      v.readFailed = true;
      candidates = 0;
      data.emplace_back();
    }
  }
  if (structureOnly) candidates = 0;
  std::vector<std::uint64_t> hashes(candidates, kChecksumSeed);
  constexpr std::uint64_t kBlockRows = 1 << 20;
  for (std::size_t j = 0; j < columns.size() && candidates > 0; ++j) {
    const std::size_t bytes = columns[j].bytes;
    std::uint64_t k = 0;
    while (k < candidates) {
      std::uint64_t last = k;  // chunks [k, last) read as one block
      while (last < candidates && (rowStart[last + 1] - rowStart[k] <= kBlockRows || last == k))
        ++last;
      try {
        const auto block = readBytes(data[j], bytes, rowStart[k], rowStart[last]);
        for (std::uint64_t i = k; i < last; ++i) {
          hashes[i] = checksumBytes(block.data() + (rowStart[i] - rowStart[k]) * bytes,
                                    rows[i] * bytes, hashes[i], checksumVersion);
        }
      } catch (const IoError&) {
        v.readFailed = true;
        for (std::uint64_t i = k; i < last; ++i) {
          try {
            const auto one = readBytes(data[j], bytes, rowStart[i], rowStart[i + 1]);
            hashes[i] = checksumBytes(one.data(), one.size(), hashes[i], checksumVersion);
          } catch (const IoError&) {
            candidates = i;
            break;
          }
        }
      }
      k = last;
    }
  }
  std::uint64_t verified = 0;
  while (verified < candidates && hashes[verified] == checksum[verified]) ++verified;

  for (std::uint64_t k = 0; k < verified; ++k) {
    state.committed.emplace_back(range[2 * k], range[2 * k + 1]);
    ChunkRecord r;
    r.rows = rows[k];
    r.allowed = allowed[k];
    // A record holds the statuses of the program that wrote it (fewer in an older one).
    for (std::size_t s = 0; s < kStatusCount && s < statusWidth; ++s) {
      r.status[s] = status[k * statusWidth + s];
    }
    for (std::size_t j = 0; j < state.excluded.size(); ++j) {
      r.excluded.push_back(excluded[k * excludedWidth + j]);
    }
    r.checksum = checksum[k];
    r.checksumVersion = checksumVersion;
    state.allowed += r.allowed;
    for (std::size_t s = 0; s < kStatusCount; ++s) state.status[s] += r.status[s];
    for (std::size_t j = 0; j < state.excluded.size(); ++j) state.excluded[j] += r.excluded[j];
    state.records.push_back(std::move(r));
  }
  state.rows = verified ? rowStart[verified] : 0;
  state.droppedChunks = recorded - verified;
  state.droppedRows = v.longest > state.rows ? v.longest - state.rows : 0;
  if (verified < recorded) state.complete = false;
  // A complete file of a planned subset holds every chunk of its plan.
  if (planned && !refine && verified != plan.size()) state.complete = false;
  return v;
}

/// Opens a scan file to read; with `repair`, a file cut short by a failed
/// write (HDF5: "truncated file: eof = ..., stored_eof = N") is first extended
/// with zeros to the N bytes its superblock records, so that HDF5 opens it and
/// the checksums decide which chunks survived.
/// `probe` is called before the file is opened after that extension (see verifyScanFile).
h5::File openForVerification(const std::string& path, bool repair,
                             const std::function<void()>& probe) {
  const auto mode = h5::File::Mode::ReadOnly;
  try {
    return h5::File::open(path, mode);
  } catch (const IoError& e) {
    const std::string message = e.what();
    const auto at = message.find("stored_eof = ");
    if (!repair || message.find("truncated file") == std::string::npos || at == std::string::npos) {
      throw;
    }
    const std::uint64_t storedEof = std::stoull(message.substr(at + 13));
    if (storedEof <= std::filesystem::file_size(path)) throw;
    std::filesystem::resize_file(path, storedEof);
    probe();
    return h5::File::open(path, mode);
  }
}

/// Copies the verified chunks into a fresh file and puts it in place of `path`.
/// The copy needs room beside the file; if it cannot be written, the partial
/// copy is removed and the original is left as it was (SalvageError).
void salvage(const std::string& path, const ScanConfig& config, const FileState& state) {
  namespace fs = std::filesystem;
  const std::string fresh = path + ".salvage";
  const fs::path dir = fs::absolute(path).parent_path();
  std::error_code ec;
  const std::uintmax_t need = fs::file_size(path, ec);
  auto failure = [&](const std::string& why) {
    const double mb = static_cast<double>(need) / 1e6;
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MB", mb);
    return SalvageError("cannot resume '" + path + "': it was not closed cleanly, so its " +
                        std::to_string(state.points()) +
                        " verified points are first copied into a fresh file beside it (about " +
                        size + "), and " + why + "; '" + path +
                        "' is untouched: free that much space in '" + dir.string() +
                        "' (or make it writable) and resume again");
  };
  const fs::space_info space = fs::space(dir, ec);
  if (!ec && space.available < need) {
    throw failure("only " + std::to_string(space.available / 1000000) + " MB are free there");
  }
  try {
    salvageInto(fresh, path, config, state);
  } catch (const IoError& e) {
    fs::remove(fresh, ec);
    throw failure(std::string("writing that copy failed (") + e.what() + ")");
  } catch (const InputError& e) {
    fs::remove(fresh, ec);
    throw failure(std::string("writing that copy failed (") + e.what() + ")");
  }
  // Through a symlink, the link's target is what is replaced.
  fs::rename(fresh, fs::is_symlink(path) ? fs::canonical(path) : fs::path(path));
}

void salvageInto(const std::string& fresh, const std::string& path, const ScanConfig& config,
                 const FileState& state) {
  {
    ScanWriter writer(config, fresh, true, state.subset);
    if (!state.committed.empty()) {
      ScanReader reader(config, path, state.rows);
      ChunkBuffer buffer;
      std::uint64_t row = 0;
      for (std::size_t k = 0; k < state.committed.size(); ++k) {
        copyChunk(reader, state, k, row, buffer, writer);
        row += state.records[k].rows;
      }
    }
    if (state.complete) {
      writer.finish();
    } else {
      writer.close();
    }
  }
}

}  // namespace

FileState verifyScanFile(const std::string& path, const ScanConfig& config, bool repair,
                         const Subset* expected) {
  std::optional<h5::WriteLock> lock;  // no writer may work on it meanwhile
  if (repair) lock.emplace(path);
  // Its structure read in a child first: a damaged file can crash HDF5 or make it loop.
  const auto probe = [&] {
    // The structure first, quickly (what loops is metadata); then the rows, whose chunks
    // (their index, their filters) can crash HDF5 too.
    h5::confine(path, [&] {
      structureOnly = true;
      verifyScanFile(path, config, false, expected);
    });
    h5::confine(
        path, [&] { verifyScanFile(path, config, false, expected); }, h5::Extent::Rows);
  };
  probe();
  Verification v;
  {
    h5::File file = openForVerification(path, repair, probe);
    const h5::Group& root = file.root();
    if (!root.hasAttribute("format_version") || !root.hasAttribute("config_hash")) {
      throw InputError("'" + path + "' is not a portalscan scan file");
    }
    if (const std::int64_t version = root.intAttribute("format_version");
        version != kFormatVersion) {
      throw InputError("'" + path + "' has scan-file format " + std::to_string(version) +
                       " (an older portalscan); this one writes format " +
                       std::to_string(kFormatVersion) +
                       " with chi2 datasets and can neither resume nor merge it: run the scan "
                       "again with this version");
    }
    const std::string hash = root.stringAttribute("config_hash");
    if (hash != config.identityHash) {
      throw InputError("'" + path + "' holds a scan of a different configuration (config_hash " +
                       hash + " in the file, " + config.identityHash +
                       " for this config): refusing to mix them");
    }
    if (expected) {
      // Before any repair: a file of another subset is refused as it is, not rewritten first.
      const Subset held =
          root.hasAttribute("subset") ? Subset::fromJson(root.stringAttribute("subset")) : Subset{};
      if (!(held == *expected)) {
        throw InputError("'" + path + "' holds " + held.describe() + " of the scan, not " +
                         expected->describe());
      }
    }
    // Files written before checksum version 2 have no `checksum_version` and version 1.
    v = verify(file, config, detail::checksumVersion(root, path));
  }
  const FileState& state = v.state;
  const bool intact = state.droppedChunks == 0 && state.droppedRows == 0 && !v.readFailed;
  if (!repair || (intact && state.closedCleanly)) return state;
  if (state.closedCleanly && !v.readFailed) {
    // A sound file with a bad tail (a chunk that failed its checksum): cut
    // the tail off in place.
    try {
      lock.reset();
      h5::File file = h5::File::open(path, h5::File::Mode::ReadWrite);
      h5::Group& root = file.root();
      for (const Column& col : dataColumns(config)) root.openDataset(col.path).resize(state.rows);
      h5::Group chunks = root.openGroup("chunks");
      for (const char* name : {"range", "rows", "allowed", "status", "excluded", "checksum"}) {
        chunks.openDataset(name).resize(state.committed.size());
      }
      root.setAttribute("complete", std::int64_t{0});
      file.sync();
      return state;
    } catch (const IoError&) {
      // fall through to the salvage copy
    }
  }
  // A file its writer never closed: HDF5 may have written some of its
  // metadata after the last commit (cache evictions), beyond what the file's
  // superblock records, and appending to it could overwrite them. Its
  // verified chunks go into a fresh file instead.
  salvage(path, config, state);
  FileState salvaged = state;
  salvaged.salvaged = true;
  salvaged.closedCleanly = true;
  return salvaged;
}

/// Whether an existing file may be replaced by --force: a portalscan scan file
/// (or a damaged HDF5 file, which may be one), never anything else.
void checkReplaceable(const std::string& path) {
  static constexpr char kHdf5Signature[8] = {'\x89', 'H', 'D', 'F', '\r', '\n', '\x1a', '\n'};
  char head[8] = {};
  std::ifstream in(path, std::ios::binary);
  in.read(head, sizeof head);
  const std::string refusal = "output '" + path +
                              "' exists and is not a portalscan scan file: --force replaces only "
                              "scan files (remove it yourself if you mean to)";
  if (in.gcount() != sizeof head || std::memcmp(head, kHdf5Signature, sizeof head) != 0) {
    throw InputError(refusal);
  }
  bool scanFile = true;
  const auto read = [&] {
    const h5::File file = h5::File::open(path, h5::File::Mode::ReadOnly);
    scanFile =
        file.root().hasAttribute("format_version") && file.root().hasAttribute("config_hash");
  };
  try {
    h5::confine(path, read);
    read();
  } catch (const IoError&) {
    // damaged beyond opening: it may well be a scan file that crashed
  } catch (const InputError&) {
    // damaged so that HDF5 cannot read it safely: likewise
  }
  if (!scanFile) throw InputError(refusal);
}

FileState verifyForResume(const std::string& path, const ScanConfig& config, const Subset& subset) {
  FileState state;
  try {
    state = verifyScanFile(path, config, true, &subset);
  } catch (const SalvageError&) {
    throw;  // the file is sound; the message says what to do
  } catch (const h5::DamagedFileError& e) {
    throw InputError(std::string("cannot resume: ") + e.what() + "; start again with --force");
  } catch (const IoError& e) {
    // A file HDF5 cannot read is bad input (exit 2), like any other damaged input file.
    throw InputError("cannot resume from '" + path + "': the file is damaged beyond repair (" +
                     e.what() + "); start again with --force");
  }
  if (!(state.subset == subset)) {
    throw InputError("'" + path + "' holds " + state.subset.describe() + " of the scan, not " +
                     subset.describe());
  }
  return state;
}

}  // namespace portalscan::scanner
