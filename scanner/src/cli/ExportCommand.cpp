// `portalscan export`: a scan's points binned in a plane of two stored quantities, as a
// profile-likelihood map, the profiled cut verdicts, or a slice; contours by marching
// squares; written as CSV, JSON, a HEPData submission or a PNG (docs/plotting.md).

#include "portalscan/constraints/LimitTable.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Contour.hpp"
#include "portalscan/scanner/cli/Text.hpp"
#include "portalscan/scanner/engine/CatalogueJson.hpp"
#include "portalscan/scanner/store/Committed.hpp"

#include "Commands.hpp"
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

namespace portalscan::scanner {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

/// Wilks' theorem, 2 degrees of freedom: Delta chi2 = -2 ln(1 - CL) for the
/// chi2 distribution with 2 dof, whose CDF is 1 - exp(-x/2).
struct Level {
  double cl;
  double deltaChi2;
  std::string label;
};
const std::vector<Level>& wilksLevels() {
  static const std::vector<Level> levels = {
      {0.6827, -2.0 * std::log(1.0 - 0.6827), "68.3%"},  // 2.30
      {0.95, -2.0 * std::log(1.0 - 0.95), "95%"},        // 5.99
  };
  return levels;
}

std::string fixed2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string g(double v, int digits = 10) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char b[40];
  std::snprintf(b, sizeof b, "%.*g", digits, v);
  return b;
}

// --- units ---

/// Display units: value shown = native value / factor.
bool displayFactor(const std::string& native, const std::string& unit, double& factor) {
  static const std::map<std::string, std::pair<std::string, double>> table = {
      {"TeV", {"GeV", 1e3}},  {"GeV", {"GeV", 1.0}}, {"MeV", {"GeV", 1e-3}},
      {"keV", {"GeV", 1e-6}}, {"eV", {"GeV", 1e-9}}, {"s", {"s", 1.0}},
      {"ms", {"s", 1e-3}},    {"us", {"s", 1e-6}},   {"ns", {"s", 1e-9}},
      {"min", {"s", 60.0}},   {"h", {"s", 3600.0}},  {"yr", {"s", 365.25 * 86400.0}},
  };
  const auto it = table.find(unit);
  if (it == table.end() || it->second.first != native) return false;
  factor = it->second.second;
  return true;
}

std::vector<std::string> unitsOf(const std::string& native) {
  if (native == "GeV") return {"TeV", "GeV", "MeV", "keV", "eV"};
  if (native == "s") return {"s", "ms", "us", "ns", "min", "h", "yr"};
  return {native};
}

// --- input ---

struct Axis {
  std::string role;  ///< "x" or "y"
  std::string name;
  StoredColumn column;
  std::string unit;     ///< display unit
  double factor = 1.0;  ///< display = native / factor
  bool log = false;
  bool grid = false;            ///< bins are the scan grid's own cells
  std::vector<double> edges;    ///< native units, increasing, size bins + 1
  std::vector<double> centres;  ///< plot coordinates (log10 on a log axis), native units
  std::size_t bins() const { return edges.size() - 1; }
  std::string label() const {
    return unit.empty() || unit == "1" ? column.name : column.name + " [" + unit + "]";
  }
  double plot(double native) const { return log ? std::log10(native) : native; }
  double unplot(double p) const { return log ? std::pow(10.0, p) : p; }
  double display(double native) const { return native / factor; }
};

/// One row per point of every input file, the columns export needs.
struct Points {
  std::vector<double> x, y, chi2;
  std::vector<std::int8_t> allowed, status;
  std::vector<std::vector<std::int8_t>> pass;  ///< per constraint
  std::vector<std::vector<double>> chi2By;     ///< per constraint
  std::vector<std::vector<double>> at;         ///< per --at parameter
  std::vector<std::uint32_t> file;
  std::vector<std::uint64_t> index;
};

struct InputFile {
  std::string path;
  std::string model;
  ordered_json options, config;
  std::string configHash, created, version, keep;
  bool complete = false, writing = false;
  std::uint64_t rows = 0, points = 0, total = 0;
  std::vector<StoredColumn> parameters, observables;
  std::vector<std::string> constraints;
  bool hasChi2 = false;
};

/// A column by name: a parameter, else a stored observable; "parameters/NAME" or
/// "observables/NAME" pick one where both exist.
const StoredColumn* findColumn(const InputFile& f, const std::string& name, std::string& note) {
  std::string bare = name;
  int want = 0;  // 0 either, 1 parameter, 2 observable
  if (name.rfind("parameters/", 0) == 0) {
    bare = name.substr(11);
    want = 1;
  } else if (name.rfind("observables/", 0) == 0) {
    bare = name.substr(12);
    want = 2;
  }
  const StoredColumn* p = nullptr;
  const StoredColumn* o = nullptr;
  for (const auto& c : f.parameters)
    if (c.name == bare) p = &c;
  for (const auto& c : f.observables)
    if (c.name == bare) o = &c;
  if (want == 1) return p;
  if (want == 2) return o;
  if (p && o) {
    note = "'" + bare +
           "' is both a parameter and an observable: the parameter is used "
           "(observables/" +
           bare + " for the observable)";
  }
  return p ? p : o;
}

[[noreturn]] void unknownColumn(const InputFile& f, const std::string& name) {
  std::string bare = name.substr(name.find('/') == std::string::npos ? 0 : name.find('/') + 1);
  // An observable the model has but the scan did not store says so.
  try {
    physics::Options options;
    for (const auto& [k, v] : f.options.items()) options[k] = v.get<std::string>();
    const auto model = physics::ModelRegistry::builtin().create(f.model, options);
    for (const auto& o : model->observables()) {
      if (o.name == bare) {
        throw InputError("observable '" + bare + "' is not stored in '" + f.path +
                         "' (the scan's output.observables did not list it)");
      }
    }
  } catch (const InputError& e) {
    if (std::string(e.what()).find("is not stored") != std::string::npos) throw;
  } catch (const std::exception&) {
  }
  std::vector<std::string> names;
  for (const auto& c : f.parameters) names.push_back(c.name);
  for (const auto& c : f.observables) names.push_back(c.name);
  throw InputError(
      unknownNameMessage("parameter or stored observable", bare, names, " in '" + f.path + "'"));
}

// --- binning ---

/// The nodes of a grid axis, as the sampler places them (ParameterSpace::map).
std::vector<double> gridNodes(double low, double high, std::uint64_t n, bool log) {
  std::vector<double> nodes(n);
  for (std::uint64_t k = 0; k < n; ++k) {
    const double u = n == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(n - 1);
    nodes[k] = log ? std::exp(std::log(low) + u * (std::log(high) - std::log(low)))
                   : low + u * (high - low);
  }
  nodes.front() = low;
  nodes.back() = high;
  return nodes;
}

/// Bin edges (native) from nodes: halfway between nodes (geometrically on a log axis),
/// the outer edges half a cell beyond the outer nodes.
std::vector<double> cellEdges(const std::vector<double>& nodes, bool log) {
  std::vector<double> p;
  for (double v : nodes) p.push_back(log ? std::log10(v) : v);
  std::vector<double> e;
  e.push_back(p[0] - 0.5 * (p[1] - p[0]));
  for (std::size_t k = 0; k + 1 < p.size(); ++k) e.push_back(0.5 * (p[k] + p[k + 1]));
  e.push_back(p.back() + 0.5 * (p.back() - p[p.size() - 2]));
  for (double& v : e) v = log ? std::pow(10.0, v) : v;
  return e;
}

std::size_t binOf(const Axis& a, double v) {
  const auto& e = a.edges;
  if (!(v >= e.front() && v <= e.back())) return std::size_t(-1);
  auto it = std::upper_bound(e.begin(), e.end(), v);
  std::size_t b = static_cast<std::size_t>(it - e.begin());
  return b == 0 ? 0 : std::min(b - 1, a.bins() - 1);
}

// --- output helpers ---

/// Writes `text` to `path` through a temporary beside it, renamed over it when whole.
void writeWhole(const fs::path& path, const std::string& text) {
  const fs::path tmp =
      path.parent_path() / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()));
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IoError("cannot write '" + path.string() + "'");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError("cannot write '" + path.string() + "': " + ec.message());
  }
}

/// A double as JSON: NaN null, +-inf "inf"/"-inf" (as numberToJson, ordered).
nlohmann::ordered_json num(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

std::string yamlString(const std::string& s) { return nlohmann::json(s).dump(); }

bool isHdf5(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char sig[8] = {};
  in.read(sig, 8);
  return in.gcount() == 8 && std::string(sig, 8) == "\x89HDF\r\n\x1a\n";
}

/// The directory of the running binary (for the plotting script beside it).
fs::path binaryDirectory() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : self.parent_path();
}

fs::path plotScript() {
  if (const char* env = std::getenv("PORTALSCAN_PLOT_SCRIPT"); env && *env) return env;
  // Build tree (build/X/bin/portalscan -> build/X/share/portalscan/) and an installed
  // prefix (PREFIX/bin -> PREFIX/share/portalscan/) have the same shape.
  return binaryDirectory() / ".." / "share" / "portalscan" / "export_png.py";
}

}  // namespace

int runExport(const ExportArgs& args, std::ostream& out) {
  // --- the arguments, checked before anything is read or written ---
  if (args.inputs.empty()) throw InputError("export needs at least one scan file");
  const std::vector<std::string> formats = {"csv", "json", "hepdata", "png"};
  std::string format = args.format;
  if (format.empty()) {
    const std::string ext = fs::path(args.output).extension().string();
    format = ext == ".csv" ? "csv" : ext == ".json" ? "json" : ext == ".png" ? "png" : "";
    if (format.empty())
      throw InputError("say --format csv|json|hepdata|png (or end -o with .csv, .json or .png)");
  }
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    throw InputError(unknownNameMessage("format", format, formats));
  }
  const std::vector<std::string> modes = {"profile", "cuts", "slice"};
  if (!args.mode.empty() && std::find(modes.begin(), modes.end(), args.mode) == modes.end()) {
    throw InputError(unknownNameMessage("mode", args.mode, modes));
  }
  if (!args.at.empty() && args.mode != "slice") {
    throw InputError("--at holds parameters fixed for --mode slice only");
  }
  if (args.mode == "slice" && args.at.empty()) {
    throw InputError("--mode slice needs at least one --at NAME=VALUE");
  }
  std::size_t nxBins = 0, nyBins = 0;
  if (!args.bins.empty()) {
    const auto comma = args.bins.find(',');
    if (comma == std::string::npos)
      throw InputError("--bins expects NX,NY, got '" + args.bins + "'");
    const double bx = parseFiniteNumber(args.bins.substr(0, comma), "--bins NX");
    const double by = parseFiniteNumber(args.bins.substr(comma + 1), "--bins NY");
    if (bx < 2 || by < 2 || bx > 2000 || by > 2000 || bx != std::floor(bx) ||
        by != std::floor(by)) {
      throw InputError("--bins takes whole numbers from 2 to 2000, got '" + args.bins + "'");
    }
    nxBins = static_cast<std::size_t>(bx);
    nyBins = static_cast<std::size_t>(by);
  }
  std::map<std::string, std::string> units;  // "x"/"y" -> unit
  for (const auto& u : args.units) {
    std::stringstream ss(u);
    std::string item;
    while (std::getline(ss, item, ',')) {
      auto [k, v] = parseAssignment(item, "--units");
      if (k == args.x) k = "x";
      if (k == args.y) k = "y";
      if (k != "x" && k != "y")
        throw InputError("--units names x or y (or the axis), got '" + k + "'");
      units[k] = v;
    }
  }
  std::vector<std::pair<std::string, double>> at;
  for (const auto& a : args.at) {
    const auto [k, v] = parseAssignment(a, "--at");
    if (k == args.x || k == args.y)
      throw InputError("--at " + k + ": '" + k + "' is an axis of the plot");
    at.emplace_back(k, parseFiniteNumber(v, "--at " + k));
  }
  // Overlays: a limit file compiled into portalscan (constraints/data/limits/), or a file.
  std::vector<std::shared_ptr<const constraints::LimitTable>> overlays;
  for (const auto& name : args.overlays) {
    const auto& tables = builtinLimitTables();
    auto it = tables.find(name);
    if (it == tables.end()) it = tables.find(name + ".dat");
    if (it != tables.end()) {
      overlays.push_back(it->second);
      continue;
    }
    if (fs::is_regular_file(name)) {
      std::ifstream in(name);
      std::stringstream ss;
      ss << in.rdbuf();
      overlays.push_back(std::make_shared<const constraints::LimitTable>(
          constraints::parseLimitTable(ss.str(), name)));
      continue;
    }
    std::vector<std::string> known;
    for (const auto& [k, v] : tables) known.push_back(k.substr(0, k.size() - 4));
    throw InputError(unknownNameMessage("limit curve", name, known,
                                        " (constraints/data/limits/, or a limit file)"));
  }
  for (const auto& t : overlays) {
    if (t->shape == constraints::TableShape::Profile) {
      throw InputError(
          "--overlay " + t->name +
          ": a Delta chi^2 profile, not a limit curve or region (it has no line to draw)");
    }
  }
  // The output: never a scan file, never one of the inputs.
  if (args.output.empty()) throw InputError("export needs -o OUT");
  const fs::path output(args.output);
  {
    std::error_code ec;
    for (const auto& in : args.inputs) {
      if (fs::exists(output) && fs::equivalent(output, in, ec)) {
        throw InputError("output '" + args.output + "' is one of the scan files");
      }
    }
    if (fs::exists(output)) {
      if (format == "hepdata") {
        if (!fs::is_directory(output) ||
            (!fs::is_empty(output) && !fs::exists(output / "submission.yaml"))) {
          throw InputError("output '" + args.output +
                           "' exists and is not a HEPData folder written by export");
        }
      } else if (fs::is_directory(output)) {
        throw InputError("output '" + args.output + "' is a directory");
      } else if (isHdf5(output)) {
        throw InputError("output '" + args.output + "' is an HDF5 file: refusing to write over it");
      }
    }
    const fs::path dir = output.has_parent_path() ? output.parent_path() : fs::path(".");
    if (!fs::is_directory(dir)) {
      throw InputError("cannot create output '" + args.output + "': no such directory '" +
                       dir.string() + "'");
    }
    if (::access(dir.c_str(), W_OK) != 0) {
      throw InputError("cannot create output '" + args.output + "': directory '" + dir.string() +
                       "' is not writable");
    }
  }

  // --- the files: metadata first, every file, before any column is read ---
  std::vector<InputFile> files;
  for (const auto& path : args.inputs) {
    InputFile f;
    readCommitted(path, [&](const CommittedFile& c) {
      f.path = path;
      f.model = c.model();
      f.options = c.options();
      f.config = c.config();
      f.configHash = c.configHash();
      f.created = c.created();
      f.version = c.version();
      f.keep = c.keep();
      f.complete = c.complete();
      f.writing = c.openForWriting();
      f.rows = c.rows();
      f.points = c.pointsEvaluated();
      f.total = c.pointsTotal();
      f.parameters = c.parameters();
      f.observables = c.observables();
      f.constraints = c.constraints();
      f.hasChi2 = c.hasChi2();
    });
    if (!files.empty()) {
      if (f.model != files.front().model) {
        throw InputError("'" + path + "' is a scan of " + f.model + ", '" + files.front().path +
                         "' of " + files.front().model + ": export combines scans of one model");
      }
      if (f.options != files.front().options) {
        throw InputError("'" + path + "' has the options " + f.options.dump() + ", '" +
                         files.front().path + "' " + files.front().options.dump() +
                         ": export combines scans of one model with the same options");
      }
    }
    files.push_back(std::move(f));
  }
  std::vector<std::string> notes;
  auto axisFor = [&](const std::string& role, const std::string& name) {
    Axis a;
    a.role = role;
    a.name = name;
    std::string note;
    for (const auto& f : files) {
      const StoredColumn* c = findColumn(f, name, note);
      if (!c) unknownColumn(f, name);
      if (&f == &files.front()) a.column = *c;
      if (c->unit != a.column.unit) {
        throw InputError("'" + name + "' is in " + c->unit + " in '" + f.path + "' but in " +
                         a.column.unit + " in '" + files.front().path + "'");
      }
    }
    if (!note.empty()) notes.push_back(note);
    if (a.column.scale == "fixed") {
      throw InputError("axis " + role + ": parameter '" + a.column.name +
                       "' is fixed in this scan (one value)");
    }
    a.unit = a.column.unit;
    if (const auto it = units.find(role); it != units.end()) {
      if (!displayFactor(a.column.unit, it->second, a.factor)) {
        const auto known = unitsOf(a.column.unit);
        throw InputError("--units " + role + "=" + it->second + ": '" + a.column.name + "' is in " +
                         a.column.unit + " (units: " +
                         [&] {
                           std::string s;
                           for (const auto& k : known) s += (s.empty() ? "" : ", ") + k;
                           return s;
                         }() +
                         ")");
      }
      a.unit = it->second;
    }
    return a;
  };
  Axis ax = axisFor("x", args.x);
  Axis ay = axisFor("y", args.y);
  if (ax.column.path == ay.column.path) throw InputError("--x and --y are the same quantity");

  const bool hasChi2 =
      std::all_of(files.begin(), files.end(), [](const InputFile& f) { return f.hasChi2; });
  std::string mode = args.mode.empty() ? (hasChi2 ? "profile" : "cuts") : args.mode;
  if ((mode == "profile") && !hasChi2) {
    for (const auto& f : files) {
      if (!f.hasChi2) {
        throw InputError("'" + f.path + "' has no chi2 (format version 1): use --mode cuts");
      }
    }
  }
  const bool useChi2 = mode == "profile" || (mode == "slice" && hasChi2);
  // Constraints: those of the first file, or the ones named; each in every file.
  std::vector<std::string> constraintNames;
  if (args.constraints.empty() || args.constraints == "all") {
    constraintNames = files.front().constraints;
  } else {
    std::stringstream ss(args.constraints);
    std::string item;
    while (std::getline(ss, item, ',')) constraintNames.push_back(item);
  }
  for (const auto& f : files) {
    for (const auto& name : constraintNames) {
      if (std::find(f.constraints.begin(), f.constraints.end(), name) == f.constraints.end()) {
        throw InputError(
            unknownNameMessage("constraint", name, f.constraints, " in '" + f.path + "'"));
      }
    }
  }
  const bool keepAll =
      std::all_of(files.begin(), files.end(), [](const InputFile& f) { return f.keep == "all"; });
  if (!keepAll) {
    notes.push_back(
        "a file keeps only allowed points (keep: allowed): excluded points are not "
        "stored, so bins without allowed points are empty and no constraint's own "
        "region can be drawn");
  }
  // Slice parameters: parameters of every file.
  std::vector<StoredColumn> atColumns;
  for (const auto& [name, value] : at) {
    std::string note;
    const StoredColumn* c = nullptr;
    for (const auto& f : files) {
      c = findColumn(f, name, note);
      if (!c) unknownColumn(f, name);
      if (!c->parameter) throw InputError("--at " + name + ": only a parameter can be held fixed");
    }
    atColumns.push_back(*c);
  }

  // --- the columns ---
  Points pts;
  const std::size_t nC = keepAll ? constraintNames.size() : 0;
  pts.pass.resize(nC);
  pts.chi2By.resize(useChi2 ? nC : 0);
  pts.at.resize(at.size());
  for (std::size_t fi = 0; fi < files.size(); ++fi) {
    InputFile& f = files[fi];
    std::string note;
    const std::string xPath = findColumn(f, args.x, note)->path;
    const std::string yPath = findColumn(f, args.y, note)->path;
    readCommitted(f.path, [&](const CommittedFile& c) {
      // A retry starts the file's rows again.
      auto cut = [&](auto& v, std::size_t n) { v.resize(n); };
      const std::size_t n0 = pts.x.size();
      cut(pts.x, n0), cut(pts.y, n0), cut(pts.chi2, n0), cut(pts.allowed, n0), cut(pts.status, n0);
      cut(pts.file, n0), cut(pts.index, n0);
      for (auto& v : pts.pass) cut(v, n0);
      for (auto& v : pts.chi2By) cut(v, n0);
      for (auto& v : pts.at) cut(v, n0);
      const auto index = c.index();
      const auto x = c.doubles(xPath);
      const auto y = c.doubles(yPath);
      const auto allowed = c.bytes("allowed");
      const auto status = c.bytes("status");
      const auto chi2 = useChi2 ? c.doubles("chi2_total") : std::vector<double>(c.rows(), kNaN);
      pts.x.insert(pts.x.end(), x.begin(), x.end());
      pts.y.insert(pts.y.end(), y.begin(), y.end());
      pts.chi2.insert(pts.chi2.end(), chi2.begin(), chi2.end());
      pts.allowed.insert(pts.allowed.end(), allowed.begin(), allowed.end());
      pts.status.insert(pts.status.end(), status.begin(), status.end());
      pts.index.insert(pts.index.end(), index.begin(), index.end());
      pts.file.insert(pts.file.end(), c.rows(), static_cast<std::uint32_t>(fi));
      for (std::size_t k = 0; k < nC; ++k) {
        const auto p = c.bytes("constraints/" + constraintNames[k] + "/pass");
        pts.pass[k].insert(pts.pass[k].end(), p.begin(), p.end());
        if (useChi2) {
          const auto q = c.doubles("constraints/" + constraintNames[k] + "/chi2");
          pts.chi2By[k].insert(pts.chi2By[k].end(), q.begin(), q.end());
        }
      }
      for (std::size_t a = 0; a < at.size(); ++a) {
        const auto v = c.doubles("parameters/" + atColumns[a].name);
        pts.at[a].insert(pts.at[a].end(), v.begin(), v.end());
      }
      f.rows = c.rows();
      f.points = c.pointsEvaluated();
      f.writing = c.openForWriting();
      f.complete = c.complete();
    });
  }
  const std::size_t N = pts.x.size();
  if (N == 0) throw InputError("the scan files hold no committed points yet");

  // --- the slice ---
  std::vector<bool> keep(N, true);
  for (std::size_t a = 0; a < at.size(); ++a) {
    std::vector<double> values = pts.at[a];
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (values.size() > 1000 && values.size() * 2 > N) {
      throw InputError("--at " + at[a].first + ": '" + at[a].first + "' is not on a grid (" +
                       std::to_string(values.size()) + " distinct values in " + std::to_string(N) +
                       " points): a slice needs grid values; use --mode profile");
    }
    const bool log = atColumns[a].scale == "log" && values.front() > 0 && at[a].second > 0;
    double best = values.front();
    for (double v : values) {
      const double d = log ? std::abs(std::log(v / at[a].second)) : std::abs(v - at[a].second);
      const double db =
          log ? std::abs(std::log(best / at[a].second)) : std::abs(best - at[a].second);
      if (d < db) best = v;
    }
    for (std::size_t r = 0; r < N; ++r) keep[r] = keep[r] && pts.at[a][r] == best;
    notes.push_back(
        "slice: " + at[a].first + " = " + g(best, 6) +
        (atColumns[a].unit == "1" || atColumns[a].unit.empty() ? std::string()
                                                               : " " + atColumns[a].unit) +
        (best == at[a].second ? "" : " (the stored value nearest " + g(at[a].second, 6) + ")"));
  }
  if (mode == "slice") {
    std::vector<std::string> profiled;
    for (const auto& p : files.front().parameters) {
      if (p.scale == "fixed" || p.scale == "derived" || p.path == ax.column.path ||
          p.path == ay.column.path)
        continue;
      if (std::none_of(atColumns.begin(), atColumns.end(),
                       [&](const StoredColumn& c) { return c.name == p.name; }))
        profiled.push_back(p.name);
    }
    if (!profiled.empty()) {
      std::string s;
      for (const auto& p : profiled) s += (s.empty() ? "" : ", ") + p;
      notes.push_back("not held by --at, so profiled (minimum over them in each bin): " + s);
    }
  }

  // --- the axes' ranges and bins ---
  std::size_t droppedAxis = 0;
  auto setBins = [&](Axis& a, const std::vector<double>& v, std::size_t requested, bool logFlag,
                     bool linFlag) {
    const bool scanned = a.column.parameter &&
                         (a.column.scale == "lin" || a.column.scale == "log") &&
                         a.column.range.size() == 2;
    double lo = kInf, hi = -kInf, posLo = kInf;
    bool nonPositive = false;
    for (std::size_t r = 0; r < N; ++r) {
      if (!keep[r] || !std::isfinite(v[r])) continue;
      lo = std::min(lo, v[r]);
      hi = std::max(hi, v[r]);
      if (v[r] > 0)
        posLo = std::min(posLo, v[r]);
      else
        nonPositive = true;
    }
    if (!(lo <= hi))
      throw InputError("axis " + a.role + ": '" + a.column.name +
                       "' has no finite value in the points");
    if (lo == hi) {
      throw InputError("axis " + a.role + ": '" + a.column.name + "' takes one value (" + g(lo, 6) +
                       " " + a.column.unit + ") in these points: nothing to plot against");
    }
    if (logFlag && linFlag)
      throw InputError("--log-" + a.role + " and --lin-" + a.role + " together");
    a.log =
        logFlag ||
        (!linFlag && ((a.column.scale == "log") || (!scanned && !nonPositive && hi / lo > 100.0)));
    if (a.log && nonPositive) {
      throw InputError("axis " + a.role + ": a log axis over non-positive values ('" +
                       a.column.name + "' reaches " + g(lo, 6) + ")");
    }
    // A grid axis keeps the grid's own cells, rebuilt from the scan's range and points
    // (never from the stored minimum and maximum, which keep: allowed files move).
    std::optional<std::vector<double>> nodes;
    if (requested == 0 && scanned) {
      for (const auto& f : files) {
        const auto& cfg = f.config;
        const std::string kind = cfg.contains("sampler") ? cfg["sampler"].value("kind", "") : "";
        const bool grid = kind == "grid" || kind == "refine";
        const auto* spec = cfg.contains("parameters") && cfg["parameters"].contains(a.column.name)
                               ? &cfg["parameters"][a.column.name]
                               : nullptr;
        if (!grid || !spec || !spec->is_object() || !spec->contains("points")) {
          nodes.reset();
          break;
        }
        auto n = (*spec)["points"].get<std::uint64_t>();
        // A refine scan's refined axis: the cells of its finest lattice, (n - 1) 2^depth.
        if (kind == "refine" && n >= 2) {
          const auto& plane = cfg["sampler"]["plane"];
          if (std::find(plane.begin(), plane.end(), a.column.name) != plane.end()) {
            n = ((n - 1) << cfg["sampler"]["depth"].get<unsigned>()) + 1;
          }
        }
        const auto range = (*spec)["range"];
        const bool slog = (*spec).value("scale", "lin") == "log";
        auto these = gridNodes(range[0].get<double>(), range[1].get<double>(), n, slog);
        if (n < 2 || slog != a.log) {
          nodes.reset();
          break;
        }
        if (nodes && *nodes != these) {
          nodes.reset();
          break;
        }
        nodes = these;
      }
    }
    if (nodes) {
      a.grid = true;
      a.edges = cellEdges(*nodes, a.log);
    } else {
      const std::size_t n = requested ? requested : 40;
      double l = scanned ? a.column.range[0] : (a.log ? posLo : lo);
      double h = scanned ? a.column.range[1] : hi;
      if (scanned) {  // several files may cover more
        l = std::min(l, a.log ? posLo : lo);
        h = std::max(h, hi);
      }
      a.edges.resize(n + 1);
      for (std::size_t k = 0; k <= n; ++k) {
        const double u = static_cast<double>(k) / static_cast<double>(n);
        a.edges[k] = a.log ? std::pow(10.0, std::log10(l) + u * (std::log10(h) - std::log10(l)))
                           : l + u * (h - l);
      }
      a.edges.front() = l;
      a.edges.back() = h;
    }
    a.centres.clear();
    for (std::size_t k = 0; k < a.bins(); ++k) {
      a.centres.push_back(0.5 * (a.plot(a.edges[k]) + a.plot(a.edges[k + 1])));
    }
  };
  setBins(ax, pts.x, nxBins, args.logX, args.linX);
  setBins(ay, pts.y, nyBins, args.logY, args.linY);
  const std::size_t NX = ax.bins(), NY = ay.bins(), NB = NX * NY;

  // --- per bin: points, the profile minimum, the cut verdicts ---
  std::vector<std::uint64_t> count(NB, 0), valid(NB, 0), anyAllowed(NB, 0);
  std::vector<double> minChi2(NB, kInf);
  std::vector<std::vector<double>> minChi2By(pts.chi2By.size(), std::vector<double>(NB, kInf));
  std::vector<std::vector<std::uint64_t>> passing(nC, std::vector<std::uint64_t>(NB, 0));
  double globalMin = kInf;
  std::size_t best = std::size_t(-1);
  std::vector<double> globalMinBy(pts.chi2By.size(), kInf);
  std::uint64_t failed = 0;
  for (std::size_t r = 0; r < N; ++r) {
    if (!keep[r]) continue;
    const std::size_t bx = binOf(ax, pts.x[r]), by = binOf(ay, pts.y[r]);
    if (bx == std::size_t(-1) || by == std::size_t(-1)) {
      ++droppedAxis;
      continue;
    }
    const std::size_t b = bx + NX * by;
    ++count[b];
    if (pts.status[r] != 0) {
      ++failed;
      continue;
    }
    ++valid[b];
    if (pts.allowed[r]) ++anyAllowed[b];
    for (std::size_t k = 0; k < nC; ++k) passing[k][b] += pts.pass[k][r] != 0;
    if (useChi2) {
      const double c = pts.chi2[r];
      if (!std::isnan(c)) {
        minChi2[b] = std::min(minChi2[b], c);
        if (c < globalMin) {
          globalMin = c;
          best = r;
        }
      }
      for (std::size_t k = 0; k < pts.chi2By.size(); ++k) {
        const double ck = pts.chi2By[k][r];
        if (std::isnan(ck)) continue;
        minChi2By[k][b] = std::min(minChi2By[k][b], ck);
        globalMinBy[k] = std::min(globalMinBy[k], ck);
      }
    }
  }
  if (useChi2 && !std::isfinite(globalMin)) {
    throw InputError(
        "no point of the plane has a finite chi2_total: nothing to profile (use --mode cuts)");
  }
  // A refine scan leaves most fine bins empty on purpose: inside a cell it did not split, every
  // corner agreed. Such a bin takes the verdict of the nearest bin with points (breadth first
  // over the bins, ties to the lower bin number), so the plot shows the regions, not the holes.
  bool refined = false;
  for (const auto& f : files) {
    refined = refined ||
              (f.config.contains("sampler") && f.config["sampler"].value("kind", "") == "refine");
  }
  std::uint64_t filled = 0;
  std::vector<bool> filledBin(NB, false);
  if (refined) {
    std::vector<std::size_t> from(NB, std::size_t(-1));
    std::vector<std::size_t> queue;
    for (std::size_t b = 0; b < NB; ++b) {
      if (count[b]) {
        from[b] = b;
        queue.push_back(b);
      }
    }
    for (std::size_t q = 0; q < queue.size(); ++q) {
      const std::size_t b = queue[q], bx = b % NX, by = b / NX;
      const std::size_t next[4] = {bx > 0 ? b - 1 : b, bx + 1 < NX ? b + 1 : b, by > 0 ? b - NX : b,
                                   by + 1 < NY ? b + NX : b};
      for (const std::size_t n : next) {
        if (from[n] != std::size_t(-1)) continue;
        from[n] = from[b];
        queue.push_back(n);
      }
    }
    for (std::size_t b = 0; b < NB; ++b) {
      const std::size_t f = from[b];
      if (count[b] || f == std::size_t(-1)) continue;
      ++filled;
      filledBin[b] = true;
      valid[b] = valid[f];
      anyAllowed[b] = anyAllowed[f];
      minChi2[b] = minChi2[f];
      for (auto& v : minChi2By) v[b] = v[f];
      for (auto& v : passing) v[b] = v[f];
    }
  }
  std::uint64_t empty = 0, noValid = 0;
  for (std::size_t b = 0; b < NB; ++b) {
    if (count[b] == 0 && !filledBin[b])
      ++empty;
    else if (valid[b] == 0)
      ++noValid;
  }
  if (droppedAxis) {
    notes.push_back(std::to_string(droppedAxis) +
                    " points lie outside the plot or have a non-finite " +
                    "axis value, and are left out");
  }
  if (failed)
    notes.push_back(std::to_string(failed) +
                    " points failed (a status other than ok) and count in no bin's verdict");
  if (filled) {
    notes.push_back(std::to_string(filled) + " of " + std::to_string(NB) +
                    " bins of the refine scan hold no point and take the verdict of the nearest " +
                    "bin with points (no refinement there: the corners of its cell agreed)");
  }
  notes.push_back(std::to_string(empty) + " of " + std::to_string(NB) +
                  " bins hold no point (empty: shown as such, never as allowed)" +
                  (noValid ? "; " + std::to_string(noValid) + " hold only failed points" : ""));

  // The fields to contour: main (region kept: below the level) and per constraint.
  std::vector<double> delta(NB, kNaN), allowedField(NB, kNaN);
  for (std::size_t b = 0; b < NB; ++b) {
    if (valid[b] == 0) continue;
    if (useChi2) delta[b] = std::isinf(minChi2[b]) ? kInf : minChi2[b] - globalMin;
    allowedField[b] = anyAllowed[b] ? 0.0 : 1.0;
  }
  // excludedBy[k][b]: 1 where constraint k alone excludes the bin (cuts: every point fails
  // it; profile: its own Delta chi2, profiled, above the 95% level), 0 elsewhere, NaN empty.
  const double level95 = wilksLevels()[1].deltaChi2;
  std::vector<std::vector<double>> excludedBy(nC, std::vector<double>(NB, kNaN));
  std::vector<std::vector<double>> deltaBy(pts.chi2By.size(), std::vector<double>(NB, kNaN));
  for (std::size_t k = 0; k < nC; ++k) {
    for (std::size_t b = 0; b < NB; ++b) {
      if (valid[b] == 0) continue;
      if (useChi2) {
        const double d = std::isinf(minChi2By[k][b]) ? kInf : minChi2By[k][b] - globalMinBy[k];
        deltaBy[k][b] = d;
        excludedBy[k][b] = d >= level95 ? 1.0 : 0.0;
      } else {
        excludedBy[k][b] = passing[k][b] == 0 ? 1.0 : 0.0;
      }
    }
  }

  // --- contours ---
  struct Contour {
    std::string kind;        ///< "allowed" (the region kept at the level) or "excluded_by"
    std::string constraint;  ///< "all" for the combined region, else a constraint's name
    double level;            ///< Delta chi2 (profile) or 0.5 (an indicator)
    double cl;               ///< 0: a cut at each constraint's own CL
    std::string clLabel;
    std::vector<Polygon> polygons;  ///< native units
  };
  std::vector<Contour> contours;
  const double xl = ax.plot(ax.edges.front()), xh = ax.plot(ax.edges.back());
  const double yl = ay.plot(ay.edges.front()), yh = ay.plot(ay.edges.back());
  auto trace = [&](const std::vector<double>& field, double level) {
    auto polys = contourPolygons(ax.centres, ay.centres, field, level, xl, xh, yl, yh);
    for (auto& p : polys) {
      for (double& v : p.x) v = ax.unplot(v);
      for (double& v : p.y) v = ay.unplot(v);
    }
    return polys;
  };
  if (useChi2) {
    for (const auto& l : wilksLevels()) {
      contours.push_back({"allowed", "all", l.deltaChi2, l.cl, l.label, trace(delta, l.deltaChi2)});
    }
  } else {
    contours.push_back({"allowed", "all", 0.5, 0.0, "cut", trace(allowedField, 0.5)});
  }
  for (std::size_t k = 0; k < nC; ++k) {
    std::vector<double> f(NB);
    for (std::size_t b = 0; b < NB; ++b)
      f[b] = std::isnan(excludedBy[k][b]) ? kNaN : 1.0 - excludedBy[k][b];
    auto polys = trace(f, 0.5);
    contours.push_back({"excluded_by", constraintNames[k], useChi2 ? level95 : 0.5,
                        useChi2 ? 0.95 : 0.0, useChi2 ? "95%" : "cut", std::move(polys)});
  }

  // --- describing it ---
  std::string modeLine;
  if (useChi2) {
    modeLine =
        "profile likelihood: per bin the minimum of chi2_total over its points minus the "
        "minimum over all points" +
        std::string(mode == "slice" ? " of the slice" : "") + " (" + g(globalMin, 6) +
        "); contours at Delta chi2 = " + fixed2(wilksLevels()[0].deltaChi2) + " (68.3% CL) and " +
        fixed2(level95) + " (95% CL), 2 degrees of freedom (Wilks)";
    if (mode == "slice") modeLine = "slice, " + modeLine;
  } else {
    modeLine =
        "cuts: a bin is allowed where at least one of its points passes every constraint "
        "(each cut at its own CL, or the scan's common_cl); a constraint's region is where "
        "every point of the bin fails it";
    if (mode == "slice") modeLine = "slice, " + modeLine;
  }
  if (useChi2 && nC) {
    notes.push_back("a constraint's region: where its own chi2, profiled, exceeds its minimum by " +
                    g(level95, 3) + " (95% CL, 2 dof)");
  }
  std::string optionsText;
  for (const auto& [k, v] : files.front().options.items()) {
    optionsText += (optionsText.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  }
  std::uint64_t totalRows = 0;
  for (const auto& f : files) totalRows += f.rows;
  for (const auto& f : files) {
    if (f.writing || !f.complete) {
      notes.push_back("'" + f.path + "' is " + (f.writing ? "still being written" : "incomplete") +
                      ": its " + std::to_string(f.points) + " committed points of " +
                      std::to_string(f.total) + " are used");
    }
  }

  ordered_json j;
  j["portalscan_export"] = 1;
  j["model"] = files.front().model;
  j["options"] = files.front().options;
  j["mode"] = mode;
  j["statistic"] = useChi2 ? "delta_chi2" : "cut";
  j["description"] = modeLine;
  ordered_json inputs = ordered_json::array();
  for (const auto& f : files) {
    inputs.push_back({{"path", f.path},
                      {"config_hash", f.configHash},
                      {"created", f.created},
                      {"portalscan_version", f.version},
                      {"keep", f.keep},
                      {"complete", f.complete},
                      {"points_evaluated", f.points},
                      {"rows", f.rows},
                      {"description", f.config.value("description", "")}});
  }
  j["inputs"] = inputs;
  auto axisJson = [&](const Axis& a) {
    ordered_json e = ordered_json::array();
    for (double v : a.edges) e.push_back(a.display(v));
    return ordered_json{{"name", a.column.name},
                        {"dataset", a.column.path},
                        {"description", a.column.description},
                        {"unit", a.unit},
                        {"native_unit", a.column.unit},
                        {"log", a.log},
                        {"bins", a.grid ? "the scan grid's cells" : "equal"},
                        {"label", a.label()},
                        {"edges", e}};
  };
  j["x"] = axisJson(ax);
  j["y"] = axisJson(ay);
  if (useChi2) {
    ordered_json levels = ordered_json::array();
    for (const auto& l : wilksLevels())
      levels.push_back({{"cl", l.cl}, {"delta_chi2", l.deltaChi2}, {"dof", 2}});
    j["levels"] = levels;
    j["chi2_min"] = globalMin;
    j["chi2_min_at"] = {{"file", files[pts.file[best]].path},
                        {"index", pts.index[best]},
                        {"x", ax.display(pts.x[best])},
                        {"y", ay.display(pts.y[best])}};
  }
  j["constraints"] = constraintNames;
  // Bins, [ix][iy]: points, the statistic, per constraint excluded-by.
  auto grid2 = [&](auto value) {
    ordered_json rows = ordered_json::array();
    for (std::size_t i = 0; i < NX; ++i) {
      ordered_json col = ordered_json::array();
      for (std::size_t jj = 0; jj < NY; ++jj) col.push_back(ordered_json(value(i + NX * jj)));
      rows.push_back(col);
    }
    return rows;
  };
  ordered_json bins;
  bins["layout"] = "[x bin][y bin]";
  bins["points"] = grid2([&](std::size_t b) { return count[b]; });
  bins["valid_points"] = grid2([&](std::size_t b) { return valid[b]; });
  if (useChi2) bins["delta_chi2"] = grid2([&](std::size_t b) { return num(delta[b]); });
  bins["any_allowed"] = grid2([&](std::size_t b) {
    return valid[b] ? ordered_json(anyAllowed[b] > 0) : ordered_json(nullptr);
  });
  ordered_json by = ordered_json::object();
  for (std::size_t k = 0; k < nC; ++k) {
    by[constraintNames[k]] = grid2([&](std::size_t b) {
      return std::isnan(excludedBy[k][b]) ? ordered_json(nullptr)
                                          : ordered_json(excludedBy[k][b] > 0.5);
    });
  }
  bins["excluded_by"] = by;
  j["bins"] = bins;
  ordered_json cj = ordered_json::array();
  for (const auto& c : contours) {
    ordered_json polys = ordered_json::array();
    for (const auto& p : c.polygons) {
      ordered_json xs = ordered_json::array(), ys = ordered_json::array();
      for (double v : p.x) xs.push_back(ax.display(v));
      for (double v : p.y) ys.push_back(ay.display(v));
      polys.push_back({{"x", xs}, {"y", ys}});
    }
    ordered_json e{{"kind", c.kind}, {"constraint", c.constraint}, {"cl", c.clLabel}};
    if (c.kind == "allowed" && useChi2) e["delta_chi2"] = c.level;
    e["closed"] = true;
    e["polygons"] = polys;
    cj.push_back(e);
  }
  j["contours"] = cj;
  ordered_json ov = ordered_json::array();
  for (const auto& t : overlays) {
    ordered_json xs = ordered_json::array(), ys = ordered_json::array();
    for (std::size_t k = 0; k < t->xs.size(); ++k) {
      xs.push_back(t->xs[k] / ax.factor);
      ys.push_back(t->ys[k] / ay.factor);
    }
    std::string label = t->experiment + (t->arxiv.empty() ? "" : " (arXiv:" + t->arxiv + ")") +
                        ", " + g(100 * t->cl, 3) + "% CL";
    ov.push_back({{"name", t->name},
                  {"title", t->title},
                  {"label", label},
                  {"x_quantity", t->x.quantity + " " + t->x.dimension},
                  {"y_quantity", t->y.quantity + " " + t->y.dimension},
                  {"shape", t->shape == constraints::TableShape::Region ? "region" : "curve"},
                  {"excluded", t->excluded == constraints::ExcludedSide::Above ? "above" : "below"},
                  {"x", xs},
                  {"y", ys}});
    if (t->x.dimension != ax.column.unit || t->y.dimension != ay.column.unit) {
      notes.push_back("overlay " + t->name + " is in " + t->x.dimension + " vs " + t->y.dimension +
                      ", the axes in " + ax.column.unit + " vs " + ay.column.unit +
                      ": check that it belongs in this plane");
    }
  }
  j["overlays"] = ov;
  j["notes"] = notes;
  std::string subtitle =
      files.front().model + (optionsText.empty() ? "" : " (" + optionsText + ")") + ", " +
      std::to_string(totalRows) + " points in " + std::to_string(files.size()) +
      (files.size() == 1 ? " file" : " files") + "; " +
      (useChi2 ? (mode == "slice" ? "slice, " : std::string()) + "profile likelihood, 2 dof"
               : (mode == "slice" ? "slice, " : std::string()) + "profiled cuts");
  for (const auto& n : notes) {
    if (n.rfind("slice: ", 0) == 0) subtitle += "; " + n.substr(7);
  }
  {
    std::string profiled;
    for (const auto& p : files.front().parameters) {
      if (p.scale != "lin" && p.scale != "log") continue;
      if (p.path == ax.column.path || p.path == ay.column.path) continue;
      if (std::any_of(atColumns.begin(), atColumns.end(),
                      [&](const StoredColumn& c) { return c.name == p.name; }))
        continue;
      profiled += (profiled.empty() ? "" : ", ") + p.name;
    }
    if (!profiled.empty()) subtitle += "; minimum over " + profiled + " in each bin";
  }
  j["subtitle"] = subtitle;

  // --- writing ---
  std::vector<std::string> written;
  if (format == "json") {
    writeWhole(output, j.dump(1) + "\n");
    written.push_back(output.string());
  } else if (format == "csv") {
    std::ostringstream s, c;
    auto header = [&](std::ostringstream& o) {
      o << "# portalscan export: " << subtitle << "\n# " << modeLine << "\n";
      for (const auto& f : files)
        o << "# input: " << f.path << " (config_hash " << f.configHash << ", " << f.rows
          << " rows)\n";
      for (const auto& n : notes) o << "# note: " << n << "\n";
    };
    header(s);
    s << "# x: " << ax.label() << (ax.log ? ", log" : "") << "; y: " << ay.label()
      << (ay.log ? ", log" : "") << "\n";
    s << "# points: points in the bin; any_allowed: 1 if one of them passes every constraint, "
         "empty where the bin has no valid point";
    if (useChi2)
      s << "; delta_chi2: min chi2_total in the bin minus the minimum " << g(globalMin, 8);
    s << "; excluded_by_NAME: 1 where that constraint alone excludes the bin\n";
    s << "x_low,x_high,y_low,y_high,points" << (useChi2 ? ",delta_chi2" : "") << ",any_allowed";
    for (const auto& n : constraintNames) s << (nC ? ",excluded_by_" + n : "");
    s << "\n";
    for (std::size_t jj = 0; jj < NY; ++jj) {
      for (std::size_t i = 0; i < NX; ++i) {
        const std::size_t b = i + NX * jj;
        s << g(ax.display(ax.edges[i])) << "," << g(ax.display(ax.edges[i + 1])) << ","
          << g(ay.display(ay.edges[jj])) << "," << g(ay.display(ay.edges[jj + 1])) << ","
          << count[b];
        if (useChi2) s << "," << (valid[b] ? g(delta[b]) : "");
        s << "," << (valid[b] ? (anyAllowed[b] ? "1" : "0") : "");
        for (std::size_t k = 0; k < nC; ++k)
          s << "," << (std::isnan(excludedBy[k][b]) ? "" : excludedBy[k][b] > 0.5 ? "1" : "0");
        s << "\n";
      }
    }
    header(c);
    c << "# each contour is closed polygons (region on the left; holes run clockwise), one row per "
         "vertex; kind allowed: the region kept at that level; excluded_by: a constraint's "
         "region\n";
    c << "contour,kind,constraint,cl,delta_chi2,polygon,vertex,x [" << ax.unit << "],y [" << ay.unit
      << "]\n";
    for (std::size_t n = 0; n < contours.size(); ++n) {
      const auto& k = contours[n];
      for (std::size_t p = 0; p < k.polygons.size(); ++p) {
        for (std::size_t v = 0; v < k.polygons[p].x.size(); ++v) {
          c << n << "," << k.kind << "," << k.constraint << "," << k.clLabel << ","
            << (useChi2 ? g(k.level, 4) : "") << "," << p << "," << v << ","
            << g(ax.display(k.polygons[p].x[v])) << "," << g(ay.display(k.polygons[p].y[v]))
            << "\n";
        }
      }
    }
    fs::path contoursPath = output;
    contoursPath.replace_extension("");
    contoursPath += ".contours.csv";
    writeWhole(output, s.str());
    writeWhole(contoursPath, c.str());
    written.push_back(output.string());
    written.push_back(contoursPath.string());
  } else if (format == "hepdata") {
    // A folder: submission.yaml (HEPData's submission format: a first document about the whole
    // submission, then one per table) and one YAML data table per contour polygon.
    const fs::path tmp = output.parent_path() /
                         ("." + output.filename().string() + ".tmp-" + std::to_string(::getpid()));
    std::error_code ec;
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp);
    try {
      std::ostringstream sub;
      sub << "---\ncomment: "
          << yamlString("portalscan export of " + subtitle + ". " + modeLine + ". " +
                        [&] {
                          std::string s;
                          for (const auto& n : notes) s += n + ". ";
                          return s;
                        }())
          << "\n";
      sub << "additional_resources:\n";
      for (const auto& f : files) {
        sub << "- {location: " << yamlString(fs::path(f.path).filename().string())
            << ", description: "
            << yamlString("portalscan scan file, config_hash " + f.configHash + ", " +
                          std::to_string(f.rows) + " rows")
            << "}\n";
      }
      std::size_t table = 0;
      for (const auto& c : contours) {
        for (std::size_t p = 0; p < c.polygons.size(); ++p) {
          ++table;
          const std::string file = "contour_" + std::to_string(table) + ".yaml";
          std::string what =
              c.kind == "allowed"
                  ? (useChi2 ? "Region allowed at " + c.clLabel + " CL (Delta chi2 < " +
                                   g(c.level, 3) + ", 2 dof)"
                             : "Region where a point passes every constraint")
                  : "Region excluded by " + c.constraint +
                        (useChi2 ? " at 95% CL (its own Delta chi2 > " + g(level95, 3) + ")"
                                 : " (every point fails it)");
          if (c.polygons.size() > 1)
            what += ", part " + std::to_string(p + 1) + " of " + std::to_string(c.polygons.size());
          std::string name = "Contour " + std::to_string(table);
          sub << "---\nname: " << yamlString(name) << "\n";
          sub << "description: "
              << yamlString(
                     what +
                     ": the closed boundary polygon (the region on its left) in the plane of " +
                     ax.label() + " and " + ay.label() + ". " + modeLine + ".")
              << "\n";
          sub << "keywords:\n- {name: observables, values: [" << yamlString(ay.column.name)
              << "]}\n";
          sub << "- {name: phrases, values: [\"Exclusion limit\", \"Profile likelihood\"]}\n";
          sub << "data_file: " << file << "\n";
          std::ostringstream t;
          t << "independent_variables:\n- header: {name: " << yamlString(ax.column.name);
          if (!(ax.unit.empty() || ax.unit == "1")) t << ", units: " << yamlString(ax.unit);
          t << "}\n  values:\n";
          for (double v : c.polygons[p].x) t << "  - {value: " << g(ax.display(v)) << "}\n";
          t << "dependent_variables:\n- header: {name: " << yamlString(ay.column.name);
          if (!(ay.unit.empty() || ay.unit == "1")) t << ", units: " << yamlString(ay.unit);
          t << "}\n  qualifiers:\n";
          t << "  - {name: CL, value: "
            << yamlString(c.clLabel == "cut" ? "each constraint's own" : c.clLabel) << "}\n";
          t << "  - {name: constraint, value: "
            << yamlString(c.constraint == "all" ? "all (chi2_total)" : c.constraint) << "}\n";
          t << "  - {name: region, value: "
            << yamlString(c.kind == "allowed" ? "allowed" : "excluded") << "}\n";
          if (useChi2) t << "  - {name: Delta chi2, value: " << g(c.level, 4) << "}\n";
          t << "  - {name: model, value: "
            << yamlString(files.front().model +
                          (optionsText.empty() ? "" : " (" + optionsText + ")"))
            << "}\n";
          t << "  values:\n";
          for (double v : c.polygons[p].y) t << "  - {value: " << g(ay.display(v)) << "}\n";
          std::ofstream(tmp / file) << t.str();
        }
      }
      std::ofstream(tmp / "submission.yaml") << sub.str();
      if (!std::ofstream(tmp / "submission.yaml", std::ios::app))
        throw IoError("cannot write '" + tmp.string() + "'");
      if (fs::exists(output)) fs::remove_all(output);
      fs::rename(tmp, output);
      written.push_back(output.string() + "/ (submission.yaml, " + std::to_string(table) +
                        " tables)");
    } catch (...) {
      fs::remove_all(tmp, ec);
      throw;
    }
  } else {  // png
    const fs::path script = plotScript();
    if (!fs::is_regular_file(script)) {
      throw IoError("the plotting script is missing: '" + script.string() +
                    "' (set PORTALSCAN_PLOT_SCRIPT to scanner/share/export_png.py)");
    }
    const char* pythonEnv = std::getenv("PORTALSCAN_PYTHON");
    const std::string python = pythonEnv && *pythonEnv ? pythonEnv : "/usr/bin/python3";
    const fs::path stem = output.parent_path() /
                          ("." + output.filename().string() + ".tmp-" + std::to_string(::getpid()));
    const fs::path jsonPath = stem.string() + ".json", pngPath = stem.string() + ".png";
    writeWhole(jsonPath, j.dump() + "\n");
    const pid_t pid = fork();
    if (pid == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
      execl(python.c_str(), python.c_str(), script.c_str(), jsonPath.c_str(), pngPath.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    std::error_code ec;
    fs::remove(jsonPath, ec);
    if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(pngPath)) {
      fs::remove(pngPath, ec);
      throw IoError("the plotting script failed (" + python + " " + script.string() +
                    "; it needs Debian's python3-matplotlib)");
    }
    fs::rename(pngPath, output, ec);
    if (ec) {
      fs::remove(pngPath, ec);
      throw IoError("cannot write '" + output.string() + "'");
    }
    written.push_back(output.string());
  }

  out << "portalscan export: " << subtitle << "\n";
  out << "  " << modeLine << "\n";
  out << "  x " << ax.label() << (ax.log ? " (log)" : "") << ", " << NX << " bins"
      << (ax.grid ? " (the scan grid's cells)" : "") << "; y " << ay.label()
      << (ay.log ? " (log)" : "") << ", " << NY << " bins"
      << (ay.grid ? " (the scan grid's cells)" : "") << "\n";
  for (const auto& n : notes) out << "  " << n << "\n";
  for (const auto& c : contours) {
    if (c.polygons.empty()) continue;
    out << "  contour "
        << (c.kind == "allowed" ? "allowed, " + c.clLabel + (useChi2 ? " CL" : "")
                                : "excluded by " + c.constraint)
        << ": " << c.polygons.size() << (c.polygons.size() == 1 ? " polygon" : " polygons") << "\n";
  }
  for (const auto& w : written) out << "  wrote " << w << "\n";
  return kExitOk;
}

}  // namespace portalscan::scanner
