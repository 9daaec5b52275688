#include "portalscan/scanner/Store.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Units.hpp"

#include "portalscan_version.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <limits>

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

}  // namespace

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

ScanWriter::ScanWriter(const ScanConfig& config, const std::string& path, bool overwrite)
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
  root.setAttribute("created", utcNow());
  root.setAttribute("constants", constantsJson());
  root.setAttribute("status_codes", statusCodesJson());
  root.setAttribute("complete", std::int64_t{0});

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
    doubles_.push_back(std::move(d));
  }
  h5::Group obs = root.createGroup("observables");
  for (std::size_t i : config.output.observables) {
    const auto& spec = model.observables()[i];
    h5::Dataset d = obs.createDataset<double>(spec.name, chunkRows, gz);
    d.setAttribute("unit", spec.unit);
    d.setAttribute("description", spec.description);
    d.setAttribute("reference", spec.reference);
    d.setAttribute("block", spec.block);
    doubles_.push_back(std::move(d));
  }
  h5::Group cons = root.createGroup("constraints");
  std::vector<h5::Dataset> statistics;
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
    bytes_.push_back(g.createDataset<std::uint8_t>("pass", chunkRows, gz));
    statistics.push_back(g.createDataset<double>("statistic", chunkRows, gz));
  }
  for (auto& d : statistics) doubles_.push_back(std::move(d));
  bytes_.push_back(root.createDataset<std::uint8_t>("allowed", chunkRows, gz));
  status_ = root.createDataset<std::int8_t>("status", chunkRows, gz);
  status_.setAttribute("codes", statusCodesJson());
  index_ = root.createDataset<std::uint64_t>("index", chunkRows, gz);
  h5::Group chunks = root.createGroup("chunks");
  chunks.setAttribute("description",
                      std::string("one row per committed chunk; 'range' (begin, end of the global "
                                  "point index) is written last and is the commit record"));
  const std::uint64_t nConstraints = std::max<std::size_t>(1, config.chain.constraints().size());
  chunkRows_ = chunks.createDataset<std::uint64_t>("rows", 256, 0);
  chunkAllowed_ = chunks.createDataset<std::uint64_t>("allowed", 256, 0);
  chunkStatus_ = chunks.createDataset<std::uint64_t>("status", 256, 0, kStatusCount);
  chunkExcluded_ = chunks.createDataset<std::uint64_t>("excluded", 256, 0, nConstraints);
  chunkRange_ = chunks.createDataset<std::uint64_t>("range", 256, 0, 2);
  storageRows_ = chunkRows;
  pendingDoubles_.resize(doubles_.size());
  pendingBytes_.resize(bytes_.size());
  lastCommit_ = std::chrono::steady_clock::now();
  file_.flush();
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

  // Whole storage chunks go out at once; a partial one only when a commit is due.
  const bool due = std::chrono::steady_clock::now() - lastCommit_ >= commitInterval_;
  // Write up to the last storage-chunk boundary the buffered rows reach (after a
  // forced partial write this first completes the partly filled chunk).
  writeRows(pendingRows_ - (rowsWritten_ + pendingRows_) % storageRows_);
  if (due) writeRows(pendingRows_);
  writeCommits();
}

void ScanWriter::commit() {
  writeRows(pendingRows_);
  writeCommits();
}

void ScanWriter::writeRows(std::uint64_t n) {
  if (n == 0) return;
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
  file_.flush();
  for (std::size_t k = 0; k < ready; ++k) {
    const PendingCommit& p = commits_[k];
    chunkRows_.append(&p.rows, 1);
    chunkAllowed_.append(&p.allowed, 1);
    chunkStatus_.append(p.status.data(), 1);
    std::vector<std::uint64_t> excluded = p.excluded;
    excluded.resize(chunkExcluded_.columns(), 0);
    chunkExcluded_.append(excluded.data(), 1);
    const std::uint64_t range[2] = {p.begin, p.end};
    chunkRange_.append(range, 1);  // the commit record, last
  }
  file_.flush();
  commits_.erase(commits_.begin(), commits_.begin() + static_cast<std::ptrdiff_t>(ready));
  chunksCommitted_ += ready;
  lastCommit_ = std::chrono::steady_clock::now();
}

void ScanWriter::finish() {
  commit();
  file_.root().setAttribute("complete", std::int64_t{1});
  file_.flush();
  doubles_.clear();
  bytes_.clear();
  status_ = h5::Dataset();
  index_ = h5::Dataset();
  for (h5::Dataset* d :
       {&chunkRange_, &chunkRows_, &chunkAllowed_, &chunkStatus_, &chunkExcluded_}) {
    *d = h5::Dataset();
  }
  file_.close();
}

ScanSummary summarise(const std::string& path) {
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
  const h5::Group params = root.openGroup("parameters");
  for (const auto& name : params.members()) {
    const h5::Dataset d = params.openDataset(name);
    const std::string scale = d.stringAttribute("scale");
    if (scale == "fixed") continue;
    ScanSummary::Range r{name, scale, std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()};
    const std::uint64_t rows = d.rows();
    for (std::uint64_t b = 0; b < rows; b += 1 << 20) {
      for (double x : d.read<double>(b, std::min<std::uint64_t>(rows, b + (1 << 20)))) {
        r.min = std::min(r.min, x);
        r.max = std::max(r.max, x);
      }
    }
    s.parameterRanges.push_back(r);
  }
  s.fileBytes = std::filesystem::file_size(path);
  return s;
}

}  // namespace portalscan::scanner
