#include "portalscan/scanner/Store.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Units.hpp"

#include "portalscan_version.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

namespace portalscan::scanner {
namespace {

std::string utcNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string statusCodesJson() {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < kPointStatusNames.size(); ++i) {
    j[std::to_string(i)] = std::string(kPointStatusNames[i]);
  }
  return j.dump();
}

std::string constantsJson() {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& c : constants::kTable) j[c.name] = {{"value", c.value}, {"unit", c.unit}};
  return j.dump();
}

constexpr std::uint64_t kChecksumSeed = 0x706f7274616c7363ull;  // "portalsc"

/// The data datasets of a scan file in the canonical (checksum) order, with the
/// size of their element type.
struct Column {
  std::string path;
  std::size_t bytes;
};

std::vector<Column> dataColumns(const ScanConfig& config) {
  std::vector<Column> columns;
  for (const auto& p : config.kernel->parameters()) columns.push_back({"parameters/" + p.name, 8});
  for (std::size_t i : config.output.observables) {
    columns.push_back({"observables/" + config.kernel->observables()[i].name, 8});
  }
  for (const auto& c : config.chain.constraints()) {
    columns.push_back({"constraints/" + c.name + "/pass", 1});
    columns.push_back({"constraints/" + c.name + "/statistic", 8});
  }
  columns.push_back({"allowed", 1});
  columns.push_back({"status", 1});
  columns.push_back({"index", 8});
  return columns;
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

}  // namespace

// --- subsets ---

std::string Subset::describe() const {
  switch (kind) {
    case Kind::All:
      return "all";
    case Kind::Shard:
      return "shard " + std::to_string(index + 1) + "/" + std::to_string(count);
    case Kind::MpiRank:
      return "MPI rank " + std::to_string(index + 1) + "/" + std::to_string(count);
  }
  return "?";
}

std::string Subset::toJson() const {
  const char* k = kind == Kind::All ? "all" : kind == Kind::Shard ? "shard" : "mpi";
  return nlohmann::ordered_json{{"kind", k}, {"index", index}, {"count", count}}.dump();
}

Subset Subset::fromJson(const std::string& json) {
  const auto j = nlohmann::json::parse(json);
  Subset s;
  const std::string k = j.at("kind").get<std::string>();
  s.kind = k == "shard" ? Kind::Shard : k == "mpi" ? Kind::MpiRank : Kind::All;
  s.index = j.at("index").get<std::uint64_t>();
  s.count = j.at("count").get<std::uint64_t>();
  return s;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> plannedChunks(const ScanConfig& config,
                                                                   const Subset& subset) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks;
  if (subset.kind == Subset::Kind::MpiRank) return chunks;
  const std::uint64_t c = config.output.chunkPoints;
  std::uint64_t k = 0;
  for (std::uint64_t b = 0; b < config.points; b += c, ++k) {
    if (subset.kind == Subset::Kind::Shard && k % subset.count != subset.index) continue;
    chunks.emplace_back(b, std::min(config.points, b + c));
  }
  return chunks;
}

// --- checksums ---

std::uint64_t checksumBytes(const void* data, std::size_t bytes, std::uint64_t h) {
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ull;
  const auto* p = static_cast<const unsigned char*>(data);
  h ^= bytes * k;
  std::size_t i = 0;
  for (; i + 8 <= bytes; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * k;
    h ^= h >> 31;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, p + i, bytes - i);
  h = (h ^ tail) * k;
  return h ^ (h >> 29);
}

std::uint64_t chunkChecksum(const ChunkBuffer& c) {
  const std::uint64_t n = c.rows;
  const std::uint64_t cap = c.capacity;
  std::uint64_t h = kChecksumSeed;
  for (std::size_t j = 0; j < c.parameters.size() / cap; ++j)
    h = checksumBytes(c.parameters.data() + j * cap, n * 8, h);
  for (std::size_t j = 0; j < c.observables.size() / cap; ++j)
    h = checksumBytes(c.observables.data() + j * cap, n * 8, h);
  for (std::size_t j = 0; j < c.pass.size() / cap; ++j) {
    h = checksumBytes(c.pass.data() + j * cap, n, h);
    h = checksumBytes(c.statistic.data() + j * cap, n * 8, h);
  }
  h = checksumBytes(c.allowed.data(), n, h);
  h = checksumBytes(c.status.data(), n, h);
  return checksumBytes(c.index.data(), n * 8, h);
}

void ChunkBuffer::reset(std::uint64_t cap, std::size_t nParameters, std::size_t nObservables,
                        std::size_t nConstraints) {
  capacity = cap;
  rows = 0;
  allowedCount = 0;
  samplingSeconds = kernelSeconds = chainSeconds = 0.0;
  statusCounts.fill(0);
  parameters.resize(cap * nParameters);
  observables.resize(cap * nObservables);
  pass.resize(cap * nConstraints);
  statistic.resize(cap * nConstraints);
  allowed.resize(cap);
  status.resize(cap);
  index.resize(cap);
  excluded.assign(nConstraints, 0);
}

std::uint64_t FileState::points() const {
  std::uint64_t n = 0;
  for (const auto& [b, e] : committed) n += e - b;
  return n;
}

// --- writing ---

ScanWriter::ScanWriter(const ScanConfig& config, const std::string& path, bool overwrite,
                       const Subset& subset)
    : path_(path), file_(h5::File::create(path, overwrite)) {
  const physics::Model& model = *config.kernel;
  const std::uint64_t chunkRows =
      std::max<std::uint64_t>(1, std::min(config.output.chunkPoints, config.points));
  const int gz = config.output.compression;
  h5::Group& root = file_.root();
  root.setAttribute("format_version", kFormatVersion);
  root.setAttribute("portalscan_version", std::string(kVersion));
  root.setAttribute("git_describe", std::string(kGitDescribe));
  root.setAttribute("model", config.model);
  nlohmann::ordered_json options = nlohmann::ordered_json::object();
  for (const auto& [k, v] : config.options) options[k] = v;
  root.setAttribute("options", options.dump());
  root.setAttribute("config", config.canonical.dump());
  root.setAttribute("config_hash", config.identityHash);
  root.setAttribute("sampler", toString(config.sampler));
  root.setAttribute("seed", static_cast<std::int64_t>(config.seed));
  root.setAttribute("points_total", static_cast<std::int64_t>(config.points));
  root.setAttribute("keep", std::string(config.output.keep == Keep::All ? "all" : "allowed"));
  root.setAttribute("subset", subset.toJson());
  root.setAttribute("created", utcNow());
  root.setAttribute("constants", constantsJson());
  root.setAttribute("status_codes", statusCodesJson());
  root.setAttribute("complete", std::int64_t{0});
  root.setAttribute("open_for_writing", std::int64_t{1});  // 0 once closed cleanly

  h5::Group params = root.createGroup("parameters");
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    const auto& spec = model.parameters()[i];
    h5::Dataset d = params.createDataset<double>(spec.name, chunkRows, gz);
    d.setAttribute("unit", spec.unit);
    d.setAttribute("description", spec.description);
    auto axis = std::find_if(config.axes.begin(), config.axes.end(),
                             [&](const Axis& a) { return a.parameter == i; });
    auto derived = std::find_if(config.derived.begin(), config.derived.end(),
                                [&](const Derived& x) { return x.parameter == i; });
    if (axis != config.axes.end()) {
      d.setAttribute("scale", toString(axis->scale));
      d.setAttribute("range", std::vector<double>{axis->low, axis->high});
    } else if (derived != config.derived.end()) {
      d.setAttribute("scale", std::string("derived"));
      d.setAttribute("equal_to", model.parameters()[derived->source].name);
      d.setAttribute("factor", derived->factor);
    } else {
      d.setAttribute("scale", std::string("fixed"));
      d.setAttribute("value", config.baseValues[i]);
    }
  }
  h5::Group obs = root.createGroup("observables");
  for (std::size_t i : config.output.observables) {
    const auto& spec = model.observables()[i];
    h5::Dataset d = obs.createDataset<double>(spec.name, chunkRows, gz);
    d.setAttribute("unit", spec.unit);
    d.setAttribute("description", spec.description);
    d.setAttribute("reference", spec.reference);
    d.setAttribute("block", spec.block);
  }
  h5::Group cons = root.createGroup("constraints");
  for (const auto& c : config.chain.constraints()) {
    h5::Group g = cons.createGroup(c.name);
    g.setAttribute("observable", c.observable);
    g.setAttribute("family", c.family);
    g.setAttribute("kind", constraints::toString(c.limit.kind));
    g.setAttribute("variant", c.variant);
    switch (c.limit.kind) {
      case constraints::Kind::Upper:
      case constraints::Kind::Lower:
        g.setAttribute("limit", c.limit.value);
        break;
      case constraints::Kind::Window:
        g.setAttribute("limit", std::vector<double>{c.limit.low, c.limit.high});
        break;
      case constraints::Kind::Gaussian:
        g.setAttribute("limit", std::vector<double>{c.limit.value, c.limit.sigma});
        break;
    }
    g.setAttribute("cl", c.limit.cl);
    g.setAttribute("experiment", c.limit.experiment);
    g.setAttribute("arxiv", c.limit.arxiv);
    g.setAttribute("reference", c.limit.reference);
    g.setAttribute("note", c.limit.note);
    g.createDataset<std::uint8_t>("pass", chunkRows, gz);
    g.createDataset<double>("statistic", chunkRows, gz);
  }
  root.createDataset<std::uint8_t>("allowed", chunkRows, gz);
  root.createDataset<std::int8_t>("status", chunkRows, gz).setAttribute("codes", statusCodesJson());
  root.createDataset<std::uint64_t>("index", chunkRows, gz);
  h5::Group chunks = root.createGroup("chunks");
  chunks.setAttribute("description",
                      std::string("one row per committed chunk; 'range' (begin, end of the global "
                                  "point index) is written last and is the commit record"));
  const std::uint64_t nConstraints = std::max<std::size_t>(1, config.chain.constraints().size());
  chunks.createDataset<std::uint64_t>("rows", 256, 0);
  chunks.createDataset<std::uint64_t>("allowed", 256, 0);
  chunks.createDataset<std::uint64_t>("status", 256, 0, kStatusCount);
  chunks.createDataset<std::uint64_t>("excluded", 256, 0, nConstraints);
  chunks.createDataset<std::uint64_t>("checksum", 256, 0);
  chunks.createDataset<std::uint64_t>("range", 256, 0, 2);
  openDatasets(config);
  file_.sync();
}

ScanWriter::ScanWriter(const ScanConfig& config, const std::string& path, const FileState& state)
    : path_(path), file_(h5::File::open(path, h5::File::Mode::ReadWrite)) {
  file_.root().setAttribute("complete", std::int64_t{0});  // until finish()
  file_.root().setAttribute("open_for_writing", std::int64_t{1});
  openDatasets(config);
  file_.sync();
  rowsTaken_ = rowsWritten_ = state.rows;
  chunksCommitted_ = state.committed.size();
}

void ScanWriter::openDatasets(const ScanConfig& config) {
  const h5::Group& root = file_.root();
  storageRows_ = std::max<std::uint64_t>(1, std::min(config.output.chunkPoints, config.points));
  doubles_.clear();
  bytes_.clear();
  const h5::Group params = root.openGroup("parameters");
  for (const auto& p : config.kernel->parameters()) doubles_.push_back(params.openDataset(p.name));
  const h5::Group obs = root.openGroup("observables");
  for (std::size_t i : config.output.observables) {
    doubles_.push_back(obs.openDataset(config.kernel->observables()[i].name));
  }
  const h5::Group cons = root.openGroup("constraints");
  for (const auto& c : config.chain.constraints()) {
    const h5::Group g = cons.openGroup(c.name);
    doubles_.push_back(g.openDataset("statistic"));
    bytes_.push_back(g.openDataset("pass"));
  }
  bytes_.push_back(root.openDataset("allowed"));
  status_ = root.openDataset("status");
  index_ = root.openDataset("index");
  const h5::Group chunks = root.openGroup("chunks");
  chunkRows_ = chunks.openDataset("rows");
  chunkAllowed_ = chunks.openDataset("allowed");
  chunkStatus_ = chunks.openDataset("status");
  chunkExcluded_ = chunks.openDataset("excluded");
  chunkChecksum_ = chunks.openDataset("checksum");
  chunkRange_ = chunks.openDataset("range");
  columns_.clear();
  for (const Column& col : dataColumns(config)) columns_.push_back(root.openDataset(col.path));
  pendingDoubles_.assign(doubles_.size(), {});
  pendingBytes_.assign(bytes_.size(), {});
  rowBytes_ = 8 * doubles_.size() + bytes_.size() + 1 + 8;
  commitInterval_ = std::chrono::duration<double>(config.output.commitSeconds);
  lastCommit_ = std::chrono::steady_clock::now();
}

void ScanWriter::reserve(std::uint64_t bytes) {
  // Uncompressed size plus a quarter, and room for HDF5's metadata.
  file_.reserve(bytes + bytes / 4 + (1u << 20));
}

void ScanWriter::append(const ChunkBuffer& c) {
  // Take the rows: SoA columns of the chunk, in the order of doubles_ / bytes_.
  const std::uint64_t n = c.rows;
  const std::size_t nParameters = c.parameters.size() / c.capacity;
  const std::size_t nObservables = c.observables.size() / c.capacity;
  const std::size_t nConstraints = c.pass.size() / c.capacity;
  auto take = [n](auto& into, const auto* from) { into.insert(into.end(), from, from + n); };
  std::size_t d = 0;
  for (std::size_t j = 0; j < nParameters; ++j)
    take(pendingDoubles_[d++], c.parameters.data() + j * c.capacity);
  for (std::size_t j = 0; j < nObservables; ++j)
    take(pendingDoubles_[d++], c.observables.data() + j * c.capacity);
  for (std::size_t j = 0; j < nConstraints; ++j)
    take(pendingDoubles_[d++], c.statistic.data() + j * c.capacity);
  for (std::size_t j = 0; j < nConstraints; ++j)
    take(pendingBytes_[j], c.pass.data() + j * c.capacity);
  take(pendingBytes_[nConstraints], c.allowed.data());
  take(pendingStatus_, c.status.data());
  take(pendingIndex_, c.index.data());
  pendingRows_ += n;
  rowsTaken_ += n;
  commits_.push_back({c.begin, c.end, n, c.allowedCount, c.statusCounts, c.excluded, rowsTaken_});
  pendingChecksums_.push_back(chunkChecksum(c));

  // Write up to the last storage-chunk boundary the buffered rows reach (after a
  // forced partial write this first completes the partly filled chunk); a
  // partial chunk only when a commit is due.
  writeRows(pendingRows_ - (rowsWritten_ + pendingRows_) % storageRows_);
  if (std::chrono::steady_clock::now() - lastCommit_ >= commitInterval_) commit();
}

bool ScanWriter::storesLike(const ScanReader& reader) const {
  const auto& theirs = reader.columns();
  if (theirs.size() != columns_.size()) return false;
  for (std::size_t j = 0; j < columns_.size(); ++j) {
    if (!columns_[j].storesLike(theirs[j])) return false;
  }
  return true;
}

bool ScanWriter::appendStored(const ScanReader& reader, std::uint64_t row, std::uint64_t begin,
                              std::uint64_t end, const ChunkRecord& record) {
  const std::uint64_t n = record.rows;
  if (n != storageRows_ || pendingRows_ != 0 || rowsWritten_ % storageRows_ != 0 ||
      row % storageRows_ != 0) {
    return false;
  }
  reserve(unflushedBytes_ + n * rowBytes_);
  const auto& sources = reader.columns();
  for (std::size_t j = 0; j < columns_.size(); ++j) {
    std::uint32_t filterMask = 0;
    const std::vector<unsigned char> stored = sources[j].readStoredChunk(row, filterMask);
    columns_[j].resize(rowsWritten_ + n);
    columns_[j].writeStoredChunk(rowsWritten_, stored, filterMask);
  }
  unflushedBytes_ += n * rowBytes_;
  rowsTaken_ += n;
  rowsWritten_ += n;
  commits_.push_back({begin, end, n, record.allowed, record.status, record.excluded, rowsTaken_});
  pendingChecksums_.push_back(record.checksum);
  if (std::chrono::steady_clock::now() - lastCommit_ >= commitInterval_) commit();
  return true;
}

void ScanWriter::commit() {
  writeRows(pendingRows_);
  writeCommits();
}

void ScanWriter::writeRows(std::uint64_t n) {
  if (n == 0) return;
  unflushedBytes_ += n * rowBytes_;
  reserve(unflushedBytes_);  // HDF5 may write whole storage chunks right away
  auto drop = [n](auto& v) { v.erase(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n)); };
  for (std::size_t j = 0; j < doubles_.size(); ++j) {
    doubles_[j].append(pendingDoubles_[j].data(), n);
    drop(pendingDoubles_[j]);
  }
  for (std::size_t j = 0; j < bytes_.size(); ++j) {
    bytes_[j].append(pendingBytes_[j].data(), n);
    drop(pendingBytes_[j]);
  }
  status_.append(pendingStatus_.data(), n);
  drop(pendingStatus_);
  index_.append(pendingIndex_.data(), n);
  drop(pendingIndex_);
  pendingRows_ -= n;
  rowsWritten_ += n;
}

void ScanWriter::writeCommits() {
  std::size_t ready = 0;
  while (ready < commits_.size() && commits_[ready].rowEnd <= rowsWritten_) ++ready;
  if (ready == 0) return;
  // The rows first, on their own flush, then the records: a record never
  // reaches the file before the rows it vouches for.
  reserve(unflushedBytes_);
  file_.sync();
  unflushedBytes_ = 0;
  reserve(0);
  for (std::size_t k = 0; k < ready; ++k) {
    const PendingCommit& p = commits_[k];
    chunkRows_.append(&p.rows, 1);
    chunkAllowed_.append(&p.allowed, 1);
    chunkStatus_.append(p.status.data(), 1);
    std::vector<std::uint64_t> excluded = p.excluded;
    excluded.resize(chunkExcluded_.columns(), 0);
    chunkExcluded_.append(excluded.data(), 1);
    chunkChecksum_.append(&pendingChecksums_[k], 1);
    const std::uint64_t range[2] = {p.begin, p.end};
    chunkRange_.append(range, 1);  // the commit record, last
  }
  file_.sync();
  commits_.erase(commits_.begin(), commits_.begin() + static_cast<std::ptrdiff_t>(ready));
  pendingChecksums_.erase(pendingChecksums_.begin(),
                          pendingChecksums_.begin() + static_cast<std::ptrdiff_t>(ready));
  chunksCommitted_ += ready;
  lastCommit_ = std::chrono::steady_clock::now();
}

void ScanWriter::finish() {
  commit();
  reserve(0);
  file_.root().setAttribute("complete", std::int64_t{1});
  close();
}

void ScanWriter::close() {
  commit();
  reserve(0);
  // The last write: a file whose flag is still 1 was not closed by its writer
  // (a crash), and its HDF5 structures are not trusted (verifyScanFile).
  file_.root().setAttribute("open_for_writing", std::int64_t{0});
  file_.sync();
  doubles_.clear();
  columns_.clear();
  bytes_.clear();
  status_ = h5::Dataset();
  index_ = h5::Dataset();
  for (h5::Dataset* d : {&chunkRange_, &chunkRows_, &chunkAllowed_, &chunkStatus_, &chunkExcluded_,
                         &chunkChecksum_}) {
    *d = h5::Dataset();
  }
  file_.close();
}

// --- verification ---

namespace {

/// The verified chunks of a scan file, without changing it.
struct Verification {
  FileState state;
  std::uint64_t recorded = 0;  ///< commit records present
  std::uint64_t longest = 0;   ///< rows of the longest data dataset
  bool readFailed = false;     ///< some data could not be read
};

Verification verify(h5::File& file, const ScanConfig& config) {
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
  std::uint64_t recorded = 0, excludedWidth = 1;
  std::vector<std::uint64_t> range, rows, allowed, status, excluded, checksum;
  try {
    const h5::Group chunks = root.openGroup("chunks");
    std::vector<h5::Dataset> records;
    for (const char* name : {"range", "rows", "allowed", "status", "excluded", "checksum"}) {
      records.push_back(chunks.openDataset(name));
    }
    recorded = std::numeric_limits<std::uint64_t>::max();
    for (const auto& d : records) recorded = std::min(recorded, d.rows());
    range = records[0].read<std::uint64_t>(0, recorded);
    rows = records[1].read<std::uint64_t>(0, recorded);
    allowed = records[2].read<std::uint64_t>(0, recorded);
    status = records[3].read<std::uint64_t>(0, recorded);
    excluded = records[4].read<std::uint64_t>(0, recorded);
    checksum = records[5].read<std::uint64_t>(0, recorded);
    excludedWidth = records[4].columns();
  } catch (const IoError&) {
    v.readFailed = true;
    recorded = 0;
  }
  v.recorded = recorded;

  // Well-formed records: real chunks of this scan, none twice; for a planned
  // subset exactly its chunks in order (an MPI rank's part holds the chunks
  // handed to it, ascending within a run, in any order across resumes).
  const bool planned = state.subset.kind != Subset::Kind::MpiRank;
  const auto plan = plannedChunks(config, state.subset);
  const std::uint64_t c = config.output.chunkPoints;
  std::uint64_t candidates = 0;
  std::set<std::uint64_t> seen;
  for (std::uint64_t k = 0; k < recorded; ++k) {
    const std::uint64_t b = range[2 * k], e = range[2 * k + 1];
    const bool chunk = b % c == 0 && b < config.points && e == std::min(config.points, b + c) &&
                       rows[k] <= e - b && seen.insert(b).second;
    if (!chunk || (planned && (k >= plan.size() || plan[k] != std::make_pair(b, e)))) break;
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
                                    rows[i] * bytes, hashes[i]);
        }
      } catch (const IoError&) {
        v.readFailed = true;
        for (std::uint64_t i = k; i < last; ++i) {
          try {
            const auto one = readBytes(data[j], bytes, rowStart[i], rowStart[i + 1]);
            hashes[i] = checksumBytes(one.data(), one.size(), hashes[i]);
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
    for (std::size_t s = 0; s < kStatusCount; ++s) r.status[s] = status[k * kStatusCount + s];
    for (std::size_t j = 0; j < state.excluded.size(); ++j) {
      r.excluded.push_back(excluded[k * excludedWidth + j]);
    }
    r.checksum = checksum[k];
    state.allowed += r.allowed;
    for (std::size_t s = 0; s < kStatusCount; ++s) state.status[s] += r.status[s];
    for (std::size_t j = 0; j < state.excluded.size(); ++j) state.excluded[j] += r.excluded[j];
    state.records.push_back(std::move(r));
  }
  state.rows = verified ? rowStart[verified] : 0;
  state.droppedChunks = recorded - verified;
  state.droppedRows = v.longest > state.rows ? v.longest - state.rows : 0;
  if (verified < recorded) state.complete = false;
  return v;
}

/// Opens a scan file to read; with `repair`, a file cut short by a failed
/// write (HDF5: "truncated file: eof = ..., stored_eof = N") is first extended
/// with zeros to the N bytes its superblock records, so that HDF5 opens it and
/// the checksums decide which chunks survived.
h5::File openForVerification(const std::string& path, bool repair) {
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
    return h5::File::open(path, mode);
  }
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

/// Copies the verified chunks into a fresh file and puts it in place of `path`.
void salvage(const std::string& path, const ScanConfig& config, const FileState& state) {
  const std::string fresh = path + ".salvage";
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
  std::filesystem::rename(fresh, path);
}

}  // namespace

FileState verifyScanFile(const std::string& path, const ScanConfig& config, bool repair) {
  std::optional<h5::WriteLock> lock;  // no writer may work on it meanwhile
  if (repair) lock.emplace(path);
  Verification v;
  {
    h5::File file = openForVerification(path, repair);
    const h5::Group& root = file.root();
    if (!root.hasAttribute("format_version") || !root.hasAttribute("config_hash")) {
      throw InputError("'" + path + "' is not a portalscan scan file");
    }
    const std::string hash = root.stringAttribute("config_hash");
    if (hash != config.identityHash) {
      throw InputError("'" + path + "' holds a scan of a different configuration (config_hash " +
                       hash + " in the file, " + config.identityHash +
                       " for this config): refusing to mix them");
    }
    v = verify(file, config);
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

// --- merging ---

MergeSummary mergeScanFiles(const ScanConfig& config, const std::vector<std::string>& inputs,
                            const std::string& output, bool overwrite) {
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
  const auto all = plannedChunks(config, Subset{});
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

// --- reading ---

ScanReader::ScanReader(const ScanConfig& config, const std::string& path, std::uint64_t rows,
                       std::uint64_t blockRows)
    : config_(config),
      file_(h5::File::open(path, h5::File::Mode::ReadOnly)),
      blockRows_(std::max<std::uint64_t>(1, blockRows)) {
  for (const Column& col : dataColumns(config)) {
    columns_.push_back(file_.root().openDataset(col.path));
    bytes_.push_back(col.bytes);
  }
  rowsInFile_ = rows;
  blocks_.resize(columns_.size());
}

void ScanReader::read(std::uint64_t row, std::uint64_t rows, ChunkBuffer& chunk) {
  const std::size_t nP = config_.kernel->parameters().size();
  const std::size_t nO = config_.output.observables.size();
  const std::size_t nC = config_.chain.constraints().size();
  chunk.reset(std::max(config_.output.chunkPoints, rows), nP, nO, nC);
  chunk.rows = rows;
  if (row < blockBegin_ || row + rows > blockEnd_) {  // read the next block of every column
    blockBegin_ = row;
    blockEnd_ = std::min(rowsInFile_, row + std::max(rows, blockRows_));
    if (row + rows > blockEnd_) throw IoError("rows past the verified rows of the file");
    for (std::size_t j = 0; j < columns_.size(); ++j) {
      blocks_[j] = readBytes(columns_[j], bytes_[j], blockBegin_, blockEnd_);
    }
  }
  const std::uint64_t cap = chunk.capacity;
  std::size_t j = 0;
  auto take = [&](auto* into) {
    const std::size_t b = bytes_[j];
    std::memcpy(into, blocks_[j].data() + (row - blockBegin_) * b, rows * b);
    ++j;
  };
  for (std::size_t p = 0; p < nP; ++p) take(chunk.parameters.data() + p * cap);
  for (std::size_t o = 0; o < nO; ++o) take(chunk.observables.data() + o * cap);
  for (std::size_t k = 0; k < nC; ++k) {
    take(chunk.pass.data() + k * cap);
    take(chunk.statistic.data() + k * cap);
  }
  take(chunk.allowed.data());
  take(chunk.status.data());
  take(chunk.index.data());
}

ScanSummary summarise(const std::string& path, bool ranges) {
  if (!std::filesystem::exists(path)) throw InputError("no such file: '" + path + "'");
  ScanSummary s;
  s.path = path;
  h5::File file = [&] {
    try {
      return h5::File::open(path, h5::File::Mode::ReadOnly);
    } catch (const IoError& e) {
      throw InputError("'" + path + "' is not an HDF5 file portalscan can read (" + e.what() + ")");
    }
  }();
  const h5::Group& root = file.root();
  if (!root.hasAttribute("format_version") || !root.hasAttribute("config")) {
    throw InputError("'" + path + "' is not a portalscan scan file");
  }
  s.model = root.stringAttribute("model");
  s.config = nlohmann::ordered_json::parse(root.stringAttribute("config"));
  s.configHash = root.stringAttribute("config_hash");
  s.version = root.stringAttribute("portalscan_version");
  s.created = root.stringAttribute("created");
  s.complete = root.intAttribute("complete") != 0;
  s.subset =
      root.hasAttribute("subset") ? Subset::fromJson(root.stringAttribute("subset")) : Subset{};
  s.pointsTotal = static_cast<std::uint64_t>(root.intAttribute("points_total"));
  s.rows = root.openDataset("index").rows();
  const h5::Group chunks = root.openGroup("chunks");
  const auto range = chunks.openDataset("range").read<std::uint64_t>();
  s.chunks = range.size() / 2;
  for (std::size_t k = 0; k < s.chunks; ++k) s.pointsEvaluated += range[2 * k + 1] - range[2 * k];
  const auto allowed = chunks.openDataset("allowed").read<std::uint64_t>(0, s.chunks);
  for (auto a : allowed) s.allowed += a;
  const auto status = chunks.openDataset("status").read<std::uint64_t>(0, s.chunks);
  for (std::size_t k = 0; k < s.chunks; ++k)
    for (std::size_t j = 0; j < kStatusCount; ++j) s.status[j] += status[k * kStatusCount + j];
  for (const auto& c : s.config.at("constraints"))
    s.constraintNames.push_back(c.at("name").get<std::string>());
  const h5::Dataset excludedSet = chunks.openDataset("excluded");
  const auto excluded = excludedSet.read<std::uint64_t>(0, s.chunks);
  const std::size_t width = excludedSet.columns();
  s.excluded.assign(s.constraintNames.size(), 0);
  for (std::size_t k = 0; k < s.chunks; ++k)
    for (std::size_t j = 0; j < s.constraintNames.size(); ++j)
      s.excluded[j] += excluded[k * width + j];
  if (ranges) {
    const h5::Group params = root.openGroup("parameters");
    for (const auto& name : params.members()) {
      const h5::Dataset d = params.openDataset(name);
      const std::string scale = d.stringAttribute("scale");
      if (scale == "fixed") continue;
      ScanSummary::Range r{name, scale, std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
      const std::uint64_t n = d.rows();
      for (std::uint64_t b = 0; b < n; b += 1 << 20) {
        for (double x : d.read<double>(b, std::min<std::uint64_t>(n, b + (1 << 20)))) {
          r.min = std::min(r.min, x);
          r.max = std::max(r.max, x);
        }
      }
      s.parameterRanges.push_back(r);
    }
  }
  s.fileBytes = std::filesystem::file_size(path);
  return s;
}

}  // namespace portalscan::scanner
