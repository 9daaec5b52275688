#include "portalscan/scanner/store/Writer.hpp"

#include "portalscan/physics/Units.hpp"
#include "portalscan/scanner/store/Reader.hpp"

#include "Common.hpp"
#include "portalscan_version.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>

namespace portalscan::scanner {

using detail::Column;
using detail::dataColumns;

namespace {

/// Test hook (tests/integration/ReliabilityTest.cpp, MpiTest.cpp): with
/// PORTALSCAN_TEST_STOP_AFTER_CHUNKS=N in the environment, the process stops
/// itself (SIGSTOP) once, right after the commit that brings its file to N or
/// more committed chunks, so that a test can signal it at a known point of the
/// run rather than after a guessed sleep. Unset (always, outside tests): nothing.
void stopForTestAfterCommit(std::uint64_t committed) {
  static const std::uint64_t at = [] {
    const char* v = std::getenv("PORTALSCAN_TEST_STOP_AFTER_CHUNKS");
    return v ? std::strtoull(v, nullptr, 10) : 0ull;
  }();
  static bool stopped = false;
  if (at != 0 && !stopped && committed >= at) {
    stopped = true;
    std::raise(SIGSTOP);
  }
}

/// Test hook (tests/scanner/ChecksumTest.cpp): with PORTALSCAN_TEST_CHECKSUM_VERSION=1 in the
/// environment, a new file is written as every file was before checksum version 2: version-1
/// checksums and no `checksum_version` attribute, so that the tests can make the files older
/// versions left. Unset (always, outside tests): kChecksumVersion.
std::int64_t newFileChecksumVersion() {
  const char* v = std::getenv("PORTALSCAN_TEST_CHECKSUM_VERSION");
  return v && std::string(v) == "1" ? kLegacyChecksumVersion : kChecksumVersion;
}

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

}  // namespace

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
  checksumVersion_ = newFileChecksumVersion();
  if (checksumVersion_ != kLegacyChecksumVersion) {
    root.setAttribute("checksum_version", checksumVersion_);
  }
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
      case constraints::Kind::Curve:
      case constraints::Kind::Region:
        g.setAttribute("limit_file", c.limit.table->name);
        g.setAttribute("limit_table", c.limit.table->text);
        g.setAttribute("x", c.limit.x);
        g.setAttribute("x_range",
                       std::vector<double>{c.limit.table->xMin(), c.limit.table->xMax()});
        break;
      case constraints::Kind::Profile: {
        // "quantity: file[, file where branch < 0]" a line per profile; the tables are built in.
        std::string files;
        for (const auto& p : c.limit.profiles) {
          files += p.quantity + ": " + p.table->name +
                   (p.negative ? ", " + p.negative->name : std::string()) + "\n";
        }
        g.setAttribute("limit_files", files);
        g.setAttribute("branch", c.limit.branch);
        g.setAttribute(
            "cut",
            std::string(c.limit.profileCut == constraints::ProfileCut::Total ? "total" : "each"));
        g.setAttribute("cut_chi2", c.chi2Cut);
        break;
      }
    }
    g.setAttribute("cl", c.limit.cl);
    g.setAttribute("cut_cl", c.cutCl);
    g.setAttribute("absolute", std::int64_t{c.absolute ? 1 : 0});
    g.setAttribute("experiment", c.limit.experiment);
    g.setAttribute("arxiv", c.limit.arxiv);
    g.setAttribute("reference", c.limit.reference);
    g.setAttribute("note", c.limit.note);
    g.createDataset<std::uint8_t>("pass", chunkRows, gz);
    g.createDataset<double>("statistic", chunkRows, gz);
    g.createDataset<double>("chi2", chunkRows, gz)
        .setAttribute("convention", constraints::describeLikelihood(c));
  }
  root.createDataset<std::uint8_t>("allowed", chunkRows, gz);
  root.createDataset<double>("chi2_total", chunkRows, gz)
      .setAttribute("description",
                    std::string("sum of the chain's chi2 (independent measurements assumed); NaN "
                                "where the kernel failed or a constraint's quantity is NaN"));
  root.createDataset<std::int8_t>("status", chunkRows, gz).setAttribute("codes", statusCodesJson());
  root.createDataset<std::uint64_t>("index", chunkRows, gz);
  if (config.sampler == SamplerKind::Refine) {
    root.createDataset<std::uint8_t>("round", chunkRows, gz)
        .setAttribute("description",
                      std::string("the refinement round that placed the point (0: the base grid)"));
  }
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
  file_.commitCreation();  // a replaced file is replaced only now, by a whole new one
}

ScanWriter::ScanWriter(const ScanConfig& config, const std::string& path, const FileState& state)
    : path_(path), file_(h5::File::open(path, h5::File::Mode::ReadWrite)) {
  // The chunks appended are checksummed as the file's others are.
  checksumVersion_ = detail::checksumVersion(file_.root(), path);
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
    doubles_.push_back(g.openDataset("chi2"));
    bytes_.push_back(g.openDataset("pass"));
  }
  doubles_.push_back(root.openDataset("chi2_total"));
  bytes_.push_back(root.openDataset("allowed"));
  if (config.sampler == SamplerKind::Refine) bytes_.push_back(root.openDataset("round"));
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
  // The workers filter chunks themselves (prepare) only for the pipelines portalscan creates,
  // read from the file: a resumed file keeps the compression it was created with.
  pipelines_.clear();
  prefilter_ = true;
  for (const h5::Dataset& d : columns_) {
    pipelines_.push_back(d.pipeline());
    prefilter_ =
        prefilter_ && pipelines_.back().known && pipelines_.back().chunkRows == storageRows_;
  }
  scanPoints_ = config.points;
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

void ScanWriter::prepare(ChunkBuffer& c) const {
  const auto t = std::chrono::steady_clock::now();
  ChunkBuffer::Prepared& p = c.prepared;
  const auto columns = canonicalColumns(c);
  p.stored = false;
  const bool whole = c.rows == storageRows_ || (c.rows > 0 && c.rows < storageRows_ &&
                                                c.rows == c.end - c.begin && c.end == scanPoints_);
  const bool encode = prefilter_ && whole && columns.size() == pipelines_.size();
  if (encode) {
    p.columns.resize(columns.size());
    p.masks.resize(columns.size());
  }
  // The checksum (chunkChecksum, column by column in the canonical order) and each column's
  // stored chunk in one pass over the columns: a column is read from memory once for both.
  std::uint64_t h = detail::kChecksumSeed;
  for (std::size_t j = 0; j < columns.size(); ++j) {
    h = checksumBytes(columns[j].first, c.rows * columns[j].second, h, checksumVersion_);
    if (encode) {
      p.masks[j] =
          h5::encodeChunk(pipelines_[j], columns[j].first, c.rows, p.columns[j], p.scratch);
    }
  }
  p.sum = h;
  p.version = checksumVersion_;
  p.checksum = true;
  p.stored = encode;
  c.encodeSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void ScanWriter::append(const ChunkBuffer& c) {
  const std::uint64_t sum = c.prepared.checksum && c.prepared.version == checksumVersion_
                                ? c.prepared.sum
                                : chunkChecksum(c, checksumVersion_);
  if (c.prepared.stored && pendingRows_ == 0 && rowsWritten_ % storageRows_ == 0) {
    // The rows make one storage chunk at a boundary: their prefiltered bytes go in as stored.
    const std::uint64_t n = c.rows;
    unflushedBytes_ += n * rowBytes_;
    reserve(unflushedBytes_);
    for (std::size_t j = 0; j < columns_.size(); ++j) {
      columns_[j].appendStoredChunk(n, c.prepared.columns[j], c.prepared.masks[j]);
    }
    rowsTaken_ += n;
    rowsWritten_ += n;
    ++preparedWritten_;
    commits_.push_back({c.begin, c.end, n, c.allowedCount, c.statusCounts, c.excluded, rowsTaken_});
    pendingChecksums_.push_back(sum);
    if (std::chrono::steady_clock::now() - lastCommit_ >= commitInterval_) commit();
    return;
  }
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
  for (std::size_t j = 0; j < nConstraints; ++j) {
    take(pendingDoubles_[d++], c.statistic.data() + j * c.capacity);
    take(pendingDoubles_[d++], c.chi2.data() + j * c.capacity);
  }
  take(pendingDoubles_[d++], c.chi2Total.data());
  for (std::size_t j = 0; j < nConstraints; ++j)
    take(pendingBytes_[j], c.pass.data() + j * c.capacity);
  take(pendingBytes_[nConstraints], c.allowed.data());
  if (bytes_.size() > nConstraints + 1) take(pendingBytes_[nConstraints + 1], c.round.data());
  take(pendingStatus_, c.status.data());
  take(pendingIndex_, c.index.data());
  pendingRows_ += n;
  rowsTaken_ += n;
  commits_.push_back({c.begin, c.end, n, c.allowedCount, c.statusCounts, c.excluded, rowsTaken_});
  pendingChecksums_.push_back(sum);

  // Write up to the last storage-chunk boundary the buffered rows reach (after a
  // forced partial write this first completes the partly filled chunk); a
  // partial chunk only when a commit is due.
  // (With keep: allowed a chunk may add fewer rows than a commit left in a partly filled
  // storage chunk: then there is no boundary to reach yet, and nothing is written.)
  const std::uint64_t boundary = (rowsWritten_ + pendingRows_) / storageRows_ * storageRows_;
  writeRows(boundary > rowsWritten_ ? boundary - rowsWritten_ : 0);
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
  // (A record of another checksum version is not copied: append() checksums its rows anew.)
  if (n != storageRows_ || pendingRows_ != 0 || rowsWritten_ % storageRows_ != 0 ||
      row % storageRows_ != 0 || record.checksumVersion != checksumVersion_) {
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
  stopForTestAfterCommit(chunksCommitted_);
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
  pipelines_.clear();
  prefilter_ = false;
  bytes_.clear();
  status_ = h5::Dataset();
  index_ = h5::Dataset();
  for (h5::Dataset* d : {&chunkRange_, &chunkRows_, &chunkAllowed_, &chunkStatus_, &chunkExcluded_,
                         &chunkChecksum_}) {
    *d = h5::Dataset();
  }
  file_.close();
}

}  // namespace portalscan::scanner
