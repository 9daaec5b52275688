#include "portalscan/scanner/store/Committed.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace portalscan::scanner {

namespace {

/// HDF5 could not open the file at all.
class OpenFailure : public IoError {
 public:
  using IoError::IoError;
};

std::string optionalString(const h5::Object& o, const std::string& name) {
  return o.hasAttribute(name) ? o.stringAttribute(name) : std::string();
}

[[noreturn]] void torn(const std::string& path, const std::string& what) {
  throw IoError("'" + path + "': " + what +
                " (the file is being written; its view did not hold "
                "together)");
}

}  // namespace

CommittedFile::CommittedFile(const std::string& path) : path_(path) {
  if (!std::filesystem::exists(path)) throw InputError("no such file: '" + path + "'");
  try {
    file_ = h5::File::open(path, h5::File::Mode::ReadOnly);
  } catch (const IoError& e) {
    throw OpenFailure("'" + path + "' is not an HDF5 file portalscan can read (" + e.what() + ")");
  }
  const h5::Group& root = file_.root();
  if (!root.hasAttribute("format_version") || !root.hasAttribute("config")) {
    throw InputError("'" + path + "' is not a portalscan scan file");
  }
  formatVersion_ = root.intAttribute("format_version");
  model_ = root.stringAttribute("model");
  config_ = parseJsonText(root.stringAttribute("config"), "'" + path + "' (its config attribute)");
  if (!config_.is_object()) {
    throw InputError("'" + path + "': its stored config is damaged (not a JSON object)");
  }
  if (!root.contains("chunks") || !root.contains("parameters")) {
    throw InputError("'" + path + "' is not a portalscan scan file (no /chunks or /parameters)");
  }
  const std::string options = optionalString(root, "options");
  options_ = options.empty() ? nlohmann::ordered_json::object()
                             : parseJsonText(options, "'" + path + "' (its options attribute)");
  configHash_ = optionalString(root, "config_hash");
  keep_ = root.hasAttribute("keep") ? root.stringAttribute("keep") : std::string("all");
  created_ = optionalString(root, "created");
  version_ = optionalString(root, "portalscan_version");
  complete_ = root.hasAttribute("complete") && root.intAttribute("complete") != 0;
  openForWriting_ =
      root.hasAttribute("open_for_writing") && root.intAttribute("open_for_writing") != 0;
  pointsTotal_ = root.hasAttribute("points_total")
                     ? static_cast<std::uint64_t>(root.intAttribute("points_total"))
                     : 0;

  // The commit records: `range` is written last, so its length is what is committed, and
  // every other record set is at least as long in a view that holds together.
  const h5::Group chunks = root.openGroup("chunks");
  const h5::Dataset range = chunks.openDataset("range");
  chunks_ = range.rows();
  if (range.columns() != 2) throw InputError("'" + path + "': /chunks/range is not [C, 2]");
  // The commit records are stored uncompressed: more of them than the file has bytes for is
  // damage, not an allocation of exabytes.
  const std::uint64_t fileBytes = std::filesystem::file_size(path);
  for (const char* name : {"range", "rows", "allowed", "status", "excluded", "checksum"}) {
    if (!chunks.contains(name)) continue;
    const h5::Dataset d = chunks.openDataset(name);
    const std::uint64_t columns = std::max<std::uint64_t>(1, d.columns());
    if (columns > fileBytes / 8 || d.rows() > fileBytes / 8 / columns) {
      throw InputError("'" + path + "' is damaged: its commit records (/chunks/" + name +
                       ") claim more bytes than the file holds");
    }
    if (d.rows() < chunks_) {
      torn(path, std::string("/chunks/") + name + " is shorter than /chunks/range");
    }
  }
  const auto r = range.read<std::uint64_t>(0, chunks_);
  chunkRows_ = chunks.openDataset("rows").read<std::uint64_t>(0, chunks_);
  for (std::uint64_t k = 0; k < chunks_; ++k) {
    if (r[2 * k + 1] < r[2 * k]) torn(path, "a chunk's range is inverted");
    ranges_.emplace_back(r[2 * k], r[2 * k + 1]);
    pointsEvaluated_ += r[2 * k + 1] - r[2 * k];
    rows_ += chunkRows_[k];
  }

  const h5::Group params = root.openGroup("parameters");
  for (const auto& name : params.members()) {
    const h5::Dataset d = params.openDataset(name);
    StoredColumn c{name,
                   "parameters/" + name,
                   true,
                   optionalString(d, "unit"),
                   optionalString(d, "description"),
                   optionalString(d, "scale"),
                   {}};
    if (d.hasAttribute("range")) c.range = d.doublesAttribute("range");
    parameters_.push_back(std::move(c));
  }
  if (root.contains("observables")) {
    const h5::Group obs = root.openGroup("observables");
    for (const auto& name : obs.members()) {
      const h5::Dataset d = obs.openDataset(name);
      observables_.push_back({name,
                              "observables/" + name,
                              false,
                              optionalString(d, "unit"),
                              optionalString(d, "description"),
                              "",
                              {}});
    }
  }
  std::vector<std::string> stored;
  if (root.contains("constraints")) stored = root.openGroup("constraints").members();
  if (config_.contains("constraints") && config_["constraints"].is_array()) {
    for (const auto& c : config_["constraints"]) {
      if (c.is_object() && c.contains("name") && c["name"].is_string()) {
        const std::string name = c["name"].get<std::string>();
        if (std::find(stored.begin(), stored.end(), name) != stored.end())
          constraints_.push_back(name);
      }
    }
  }
  for (const auto& name : stored) {
    if (std::find(constraints_.begin(), constraints_.end(), name) == constraints_.end())
      constraints_.push_back(name);
  }
  hasChi2_ = root.contains("chi2_total");

  // Every data column holds at least the committed rows.
  auto check = [&](const std::string& p) {
    if (root.openDataset(p).rows() < rows_) torn(path, "'" + p + "' is shorter than its commits");
  };
  for (const auto& c : parameters_) check(c.path);
  for (const auto& c : observables_) check(c.path);
  check("index");
}

std::vector<std::uint64_t> CommittedFile::records(const std::string& name,
                                                  std::uint64_t& columns) const {
  const h5::Dataset d = file_.root().openGroup("chunks").openDataset(name);
  columns = d.columns();
  return d.read<std::uint64_t>(0, chunks_);
}

std::vector<double> CommittedFile::doubles(const std::string& dataset) const {
  return file_.root().openDataset(dataset).read<double>(0, rows_);
}

std::vector<std::int8_t> CommittedFile::bytes(const std::string& dataset) const {
  const h5::Dataset d = file_.root().openDataset(dataset);
  if (d.typeSigned()) return d.read<std::int8_t>(0, rows_);
  const auto u = d.read<std::uint8_t>(0, rows_);
  return {u.begin(), u.end()};
}

std::vector<std::uint64_t> CommittedFile::index() const {
  auto index = file_.root().openDataset("index").read<std::uint64_t>(0, rows_);
  const bool all = keep_ == "all";
  std::uint64_t row = 0;
  for (std::uint64_t k = 0; k < chunks_; ++k) {
    const auto [begin, end] = ranges_[k];
    if (all && chunkRows_[k] != end - begin) torn(path_, "a chunk of a keep-all scan lacks rows");
    for (std::uint64_t j = 0; j < chunkRows_[k]; ++j, ++row) {
      const std::uint64_t i = index[row];
      if (i < begin || i >= end || (j > 0 && i <= index[row - 1])) {
        torn(path_, "a committed row's index lies outside its chunk");
      }
    }
  }
  return index;
}

namespace {

/// Whether a writer holds `path` now: HDF5's writers take an exclusive flock on the file,
/// which Linux lists in /proc/locks (read without taking any lock, so a writer is never
/// held up). Empty where /proc/locks cannot be read.
std::optional<bool> writerHolds(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  std::ifstream locks("/proc/locks");
  if (!locks) return std::nullopt;
  char device[64];
  std::snprintf(device, sizeof device, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  std::string line;
  while (std::getline(locks, line)) {
    std::istringstream words(line);
    std::string id, kind, mode, access, pid, where;
    words >> id >> kind >> mode >> access;
    if (access == "->") words >> kind >> mode >> access;  // a blocked request
    words >> pid >> where;
    if (kind == "FLOCK" && access == "WRITE" && where == device) return true;
  }
  return false;
}

/// Whether a failed read of `path` is worth another try: a writer holds the file (or,
/// where locks cannot be seen, its open_for_writing flag says so and it changed lately).
bool mayBeWriting(const std::string& path) {
  if (const auto held = writerHolds(path)) return *held;
  try {
    namespace fs = std::filesystem;
    const auto age = fs::file_time_type::clock::now() - fs::last_write_time(path);
    const h5::File f = h5::File::open(path, h5::File::Mode::ReadOnly);
    return f.root().hasAttribute("open_for_writing") &&
           f.root().intAttribute("open_for_writing") != 0 && age < std::chrono::seconds(30);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

void readCommitted(const std::string& path, const std::function<void(const CommittedFile&)>& read,
                   double seconds) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration<double>(seconds);
  for (int attempt = 0;; ++attempt) {
    try {
      const CommittedFile file(path);
      read(file);
      return;
    } catch (const OpenFailure& e) {
      // HDF5 could not open it: a writer between allocating and writing the space its
      // superblock already counts ("truncated file"), or a file that is not one.
      if (clock::now() >= deadline || !mayBeWriting(path)) throw InputError(e.what());
    } catch (const IoError&) {
      if (clock::now() >= deadline || !mayBeWriting(path)) throw;
    }
    // A writer is flushing: give it a moment, then look again with a fresh view.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10 * (attempt + 1), 200)));
  }
}

}  // namespace portalscan::scanner
