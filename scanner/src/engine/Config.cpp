#include "portalscan/scanner/engine/Config.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/engine/CatalogueJson.hpp"
#include "portalscan/scanner/engine/JsonText.hpp"

#include <boost/random/sobol.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <set>

namespace portalscan::scanner {
namespace {

using nlohmann::ordered_json;

/// Prefixes every message with the config's name and the JSON path.
class Context {
 public:
  Context(std::string source, std::string path = {})
      : source_(std::move(source)), path_(std::move(path)) {}
  Context operator/(const std::string& key) const {
    return Context(source_, path_.empty() ? key : path_ + "." + key);
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw InputError(source_ + ": " + (path_.empty() ? "" : path_ + ": ") + message);
  }
  const std::string& path() const { return path_; }

 private:
  std::string source_;
  std::string path_;
};

void checkKeys(const ordered_json& j, const std::vector<std::string>& allowed, const Context& ctx) {
  if (!j.is_object()) ctx.fail("expected an object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      ctx.fail(unknownNameMessage("key", key, allowed));
    }
  }
}

/// The index space of a scan: a point's index, and the count of points, are stored as signed
/// 64-bit integers (points_total), and chunk ends computed past the last point must not wrap.
constexpr std::uint64_t kMaxPoints = (std::uint64_t{1} << 63) - 1;
constexpr const char* kMaxPointsMessage =
    "more than 2^63 - 1 points: the scan's point indices would overflow (a scan file counts "
    "them in signed 64-bit integers)";

double finiteNumber(const ordered_json& j, const Context& ctx) {
  if (!j.is_number()) ctx.fail("expected a number, got " + j.dump());
  const double v = j.get<double>();
  if (!std::isfinite(v)) ctx.fail("expected a finite number");
  return v;
}

std::uint64_t positiveInteger(const ordered_json& j, const Context& ctx, bool allowZero = false) {
  if (!j.is_number_integer() ||
      (j.is_number_integer() && j.get<std::int64_t>() < 0 && !j.is_number_unsigned())) {
    ctx.fail("expected a non-negative integer, got " + j.dump());
  }
  const auto v = j.get<std::uint64_t>();
  if (v == 0 && !allowZero) ctx.fail("must be at least 1 (zero points)");
  return v;
}

std::string stringValue(const ordered_json& j, const Context& ctx) {
  if (!j.is_string()) ctx.fail("expected a string, got " + j.dump());
  return j.get<std::string>();
}

std::string choice(const ordered_json& j, const std::vector<std::string>& choices,
                   const Context& ctx) {
  const std::string s = stringValue(j, ctx);
  if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
    ctx.fail(unknownNameMessage("value", s, choices));
  }
  return s;
}

/// FNV-1a, 64 bit: a stable digest of the canonical identity text.
std::string fnv1a(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

/// The shape a limit override was given in.
enum class LimitShape { Value, Window, Gaussian, Table };

/// The shape a limit of `kind` is given in, and how the docs write it.
LimitShape shapeOf(constraints::Kind kind) {
  using constraints::Kind;
  switch (kind) {
    case Kind::Upper:
    case Kind::Lower:
      return LimitShape::Value;
    case Kind::Window:
      return LimitShape::Window;
    case Kind::Gaussian:
      return LimitShape::Gaussian;
    case Kind::Curve:
    case Kind::Region:
    case Kind::Profile:  // its numbers cannot be overridden: the chain says so
      break;
  }
  return LimitShape::Table;
}

const char* shapeText(constraints::Kind kind) {
  switch (shapeOf(kind)) {
    case LimitShape::Value:
      return "a number";
    case LimitShape::Window:
      return "[low, high]";
    case LimitShape::Gaussian:
      return "{mean, sigma}";
    case LimitShape::Table:
      break;
  }
  return "{\"file\": PATH, \"x\": NAME}";
}

struct RequestedConstraint {
  constraints::Request request;
  std::optional<LimitShape> shape;
};

/// Where a scan's own files (user limit curves) are found: beside the config.
struct ConstraintContext {
  const physics::Model& model;
  std::string modelName;
  std::filesystem::path baseDir;
};

constexpr std::uintmax_t kMaxLimitFileBytes = 16u << 20;

/// A limit file named by the config: read relative to the config's folder, or,
/// in the canonical form stored in a scan file, given inline as "text".
std::shared_ptr<const constraints::LimitTable> readLimitTable(const ordered_json& l,
                                                              const ConstraintContext& cx,
                                                              const Context& lc) {
  if (l.contains("builtin")) {
    const std::string name = stringValue(l.at("builtin"), lc / "builtin");
    const auto& tables = builtinLimitTables();
    const auto it = tables.find(name);
    if (it == tables.end()) lc.fail("no limit file '" + name + "' is built into portalscan");
    if (l.contains("fnv1a") &&
        stringValue(l.at("fnv1a"), lc / "fnv1a") != fnv1a(it->second->text)) {
      lc.fail("the built-in limit file '" + name +
              "' differs from the one this scan was made with (another portalscan version)");
    }
    return it->second;
  }
  if (!l.contains("file")) lc.fail("a curve or region limit is {\"file\": PATH, \"x\": NAME}");
  const std::string file = stringValue(l.at("file"), lc / "file");
  std::string text;
  if (l.contains("text")) {
    text = stringValue(l.at("text"), lc / "text");
  } else {
    namespace fs = std::filesystem;
    const fs::path path = fs::path(file).is_absolute() ? fs::path(file) : cx.baseDir / file;
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) lc.fail("limit file '" + path.string() + "': no such file");
    if (!fs::is_regular_file(status)) lc.fail("limit file '" + path.string() + "' is not a file");
    if (fs::file_size(path, ec) > kMaxLimitFileBytes) {
      lc.fail("limit file '" + path.string() + "' is larger than 16 MiB");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) lc.fail("cannot read limit file '" + path.string() + "': permission denied");
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) lc.fail("cannot read limit file '" + path.string() + "'");
  }
  try {
    return std::make_shared<const constraints::LimitTable>(
        constraints::parseLimitTable(text, file));
  } catch (const InputError& e) {
    lc.fail(e.what());
  }
}

/// A config's "limit": a number, [low, high], {mean, sigma}, or a limit file {file, x}.
constraints::Limit parseLimitValue(const ordered_json& l, const ConstraintContext& cx,
                                   const Context& lc, LimitShape& shape) {
  constraints::Limit limit;
  if (l.is_number()) {
    limit.value = finiteNumber(l, lc);
    shape = LimitShape::Value;
  } else if (l.is_array()) {
    if (l.size() != 2) lc.fail("a window limit is [low, high]");
    limit.low = finiteNumber(l[0], lc);
    limit.high = finiteNumber(l[1], lc);
    if (!(limit.low < limit.high)) lc.fail("a window needs low < high");
    shape = LimitShape::Window;
  } else if (l.is_object() && (l.contains("file") || l.contains("builtin"))) {
    checkKeys(l, {"file", "builtin", "x", "text", "fnv1a"}, lc);
    limit.table = readLimitTable(l, cx, lc);
    if (l.contains("x")) limit.x = stringValue(l.at("x"), lc / "x");
    shape = LimitShape::Table;
  } else if (l.is_object()) {
    checkKeys(l, {"mean", "sigma"}, lc);
    if (!l.contains("mean") || !l.contains("sigma")) lc.fail("a Gaussian limit is {mean, sigma}");
    limit.value = finiteNumber(l.at("mean"), lc / "mean");
    limit.sigma = finiteNumber(l.at("sigma"), lc / "sigma");
    if (!(limit.sigma > 0)) lc.fail("sigma must be positive");
    shape = LimitShape::Gaussian;
  } else {
    lc.fail("expected a number, [low, high], {mean, sigma} or {file, x}");
  }
  return limit;
}

/// A constraint of the config's own: {"name", "observable", "kind", "limit", "reference", ...}.
RequestedConstraint parseUserConstraint(const ordered_json& j, const ConstraintContext& cx,
                                        const Context& ctx) {
  checkKeys(j,
            {"name", "variant", "observable", "kind", "limit", "cl", "absolute", "reference",
             "description"},
            ctx);
  auto entry = std::make_shared<constraints::Entry>();
  entry->user = true;
  entry->name = stringValue(j.at("name"), ctx / "name");
  {
    // The name becomes an HDF5 group: letters, digits, '_', '-', '.', not '.' or '..'.
    const std::string& n = entry->name;
    const bool ok = !n.empty() && n.size() <= 64 && n != "." && n != ".." &&
                    std::all_of(n.begin(), n.end(), [](unsigned char ch) {
                      return std::isalnum(ch) || ch == '_' || ch == '-' || ch == '.';
                    });
    if (!ok) {
      (ctx / "name").fail("a constraint's name is 1 to 64 letters, digits, '_', '-' or '.'");
    }
  }
  entry->family = "user";
  entry->defaultVariant = "user";
  if (j.contains("variant") && stringValue(j.at("variant"), ctx / "variant") != "user") {
    (ctx / "variant").fail("a constraint of the config's own has no variants");
  }
  const std::string observable = stringValue(j.at("observable"), ctx / "observable");
  if (!cx.model.observableIndex(observable) && !cx.model.parameterIndex(observable)) {
    std::vector<std::string> names = cx.model.observableNames();
    for (const auto& p : cx.model.parameterNames()) names.push_back(p);
    (ctx / "observable")
        .fail(unknownNameMessage("observable or parameter", observable, names,
                                 " of model '" + cx.modelName + "'"));
  }
  if (!j.contains("kind")) ctx.fail("a constraint of the config's own needs a 'kind'");
  const std::string kind = choice(
      j.at("kind"), {"upper", "lower", "window", "gaussian", "curve", "region"}, ctx / "kind");
  if (!j.contains("limit")) ctx.fail("a constraint of the config's own needs a 'limit'");
  if (!j.contains("reference")) {
    ctx.fail("a constraint of the config's own needs a 'reference' (where its numbers come from)");
  }
  LimitShape shape{};
  constraints::Limit limit = parseLimitValue(j.at("limit"), cx, ctx / "limit", shape);
  using constraints::Kind;
  limit.kind = kind == "upper"      ? Kind::Upper
               : kind == "lower"    ? Kind::Lower
               : kind == "window"   ? Kind::Window
               : kind == "gaussian" ? Kind::Gaussian
               : kind == "curve"    ? Kind::Curve
                                    : Kind::Region;
  if (shape != shapeOf(limit.kind)) {
    const bool vowel = kind.find_first_of("aeiou") == 0;
    (ctx / "limit").fail((vowel ? "an " : "a ") + kind + " limit is " + shapeText(limit.kind));
  }
  if (limit.table) {
    if (j.contains("cl")) (ctx / "cl").fail("a curve's CL is the one its file states");
    if (limit.x.empty()) (ctx / "limit").fail("a curve or region needs 'x', its abscissa");
  } else if (j.contains("cl")) {
    limit.cl = finiteNumber(j.at("cl"), ctx / "cl");
    if (!(limit.cl > 0.0 && limit.cl < 1.0)) (ctx / "cl").fail("cl must lie between 0 and 1");
  }
  limit.reference = stringValue(j.at("reference"), ctx / "reference");
  if (limit.reference.find_first_not_of(" \t") == std::string::npos) {
    (ctx / "reference").fail("say where the numbers come from (a paper, a table, a figure)");
  }
  limit.experiment = "user-defined";
  if (limit.table) {
    limit.experiment = limit.table->experiment;
    limit.arxiv = limit.table->arxiv;
  }
  entry->absolute = j.contains("absolute") && j.at("absolute").is_boolean()
                        ? j.at("absolute").get<bool>()
                        : false;
  if (j.contains("absolute") && !j.at("absolute").is_boolean()) {
    (ctx / "absolute").fail("expected true or false");
  }
  entry->description = j.contains("description")
                           ? stringValue(j.at("description"), ctx / "description")
                           : "user-defined: " + observable;
  entry->variants["user"] = std::move(limit);
  entry->uses.push_back({cx.modelName, {}, observable, {}});
  RequestedConstraint r;
  r.request.name = entry->name;
  r.request.variant = "user";
  r.request.user = std::move(entry);
  return r;
}

RequestedConstraint parseConstraint(const ordered_json& j, const ConstraintContext& cx,
                                    const Context& ctx) {
  RequestedConstraint r;
  if (j.is_string()) {
    r.request.name = j.get<std::string>();
    return r;
  }
  if (j.is_object() && !j.contains("name")) ctx.fail("a constraint needs a 'name'");
  if (j.is_object() && j.contains("observable")) return parseUserConstraint(j, cx, ctx);
  checkKeys(j, {"name", "variant", "limit"}, ctx);
  r.request.name = stringValue(j.at("name"), ctx / "name");
  if (j.contains("variant")) r.request.variant = stringValue(j.at("variant"), ctx / "variant");
  if (j.contains("limit")) {
    LimitShape shape{};
    r.request.override = parseLimitValue(j.at("limit"), cx, ctx / "limit", shape);
    r.shape = shape;
  }
  return r;
}

/// A limit in the canonical form: numbers, or the limit file (inline when it is the user's).
ordered_json limitJson(const constraints::Limit& l) {
  switch (l.kind) {
    case constraints::Kind::Upper:
    case constraints::Kind::Lower:
      return l.value;
    case constraints::Kind::Window:
      return ordered_json::array({l.low, l.high});
    case constraints::Kind::Gaussian:
      return ordered_json{{"mean", l.value}, {"sigma", l.sigma}};
    case constraints::Kind::Curve:
    case constraints::Kind::Region: {
      const auto& tables = builtinLimitTables();
      const auto it = tables.find(l.table->name);
      if (it != tables.end() && it->second == l.table) {
        return ordered_json{
            {"builtin", l.table->name}, {"x", l.x}, {"fnv1a", fnv1a(l.table->text)}};
      }
      return ordered_json{{"file", l.table->name}, {"x", l.x}, {"text", l.table->text}};
    }
    case constraints::Kind::Profile:  // built-in tables only: the variant names them
      break;
  }
  return nullptr;
}

// --- parseConfig, one function per section, called in the order of the file's checks ---

/// The root object's keys.
void checkRootKeys(const ordered_json& j, const Context& root) {
  checkKeys(j,
            {"description", "model", "options", "parameters", "sampler", "constraints", "common_cl",
             "output", "threads"},
            root);
}

/// "model" and "options": the configured kernel.
void parseModel(const ordered_json& j, const Context& root, ScanConfig& c) {
  const auto& registry = physics::ModelRegistry::builtin();

  if (!j.contains("model"))
    root.fail("missing 'model' (one of the models of 'portalscan list models')");
  c.model = stringValue(j.at("model"), root / "model");
  physics::Options requested;
  if (j.contains("options")) {
    const Context oc = root / "options";
    if (!j.at("options").is_object()) oc.fail("expected an object");
    for (const auto& [key, value] : j.at("options").items()) {
      requested[key] = stringValue(value, oc / key);
    }
  }
  try {
    registry.entry(c.model);
  } catch (const InputError& e) {
    (root / "model").fail(e.what());
  }
  try {
    c.options = registry.completeOptions(c.model, requested);
  } catch (const InputError& e) {
    (root / "options").fail(e.what());
  }
  c.kernel = registry.create(c.model, c.options);
}

/// What the sampler section decides for the parameters section.
struct SamplerSection {
  std::string kind;
  bool grid = true;  ///< the axes carry point counts (grid, and refine's base grid)
  std::optional<std::uint64_t> statedGridPoints;  // the canonical form states the product
  ordered_json json;                              ///< the section as given
};

/// "sampler" (first: the grid decides whether axes carry point counts).
SamplerSection parseSampler(const ordered_json& j, const Context& root, ScanConfig& c) {
  ordered_json samplerJson = j.contains("sampler") ? j.at("sampler") : ordered_json::object();
  const Context sc = root / "sampler";
  const bool refine =
      samplerJson.is_object() && samplerJson.contains("kind") && samplerJson.at("kind") == "refine";
  if (refine) {
    checkKeys(samplerJson,
              {"kind", "depth", "budget", "criterion", "plane", "base", "base_points", "seed"}, sc);
  } else {
    checkKeys(samplerJson, {"kind", "points", "seed"}, sc);
  }
  const std::string kind = samplerJson.contains("kind")
                               ? choice(samplerJson.at("kind"),
                                        {"grid", "random", "sobol", "lhs", "refine"}, sc / "kind")
                               : "grid";
  c.sampler = kind == "grid"     ? SamplerKind::Grid
              : kind == "random" ? SamplerKind::Random
              : kind == "sobol"  ? SamplerKind::Sobol
              : kind == "lhs"    ? SamplerKind::LatinHypercube
                                 : SamplerKind::Refine;
  if (samplerJson.contains("seed"))
    c.seed = positiveInteger(samplerJson.at("seed"), sc / "seed", true);
  const bool grid = c.sampler == SamplerKind::Grid || refine;
  std::optional<std::uint64_t> statedGridPoints;  // the canonical form states the product
  if (c.sampler == SamplerKind::Grid && samplerJson.contains("points")) {
    statedGridPoints = positiveInteger(samplerJson.at("points"), sc / "points");
  }
  if (!grid) {
    if (!samplerJson.contains("points")) sc.fail("the " + kind + " sampler needs 'points'");
    c.points = positiveInteger(samplerJson.at("points"), sc / "points");
    if (c.points > kMaxPoints) (sc / "points").fail(kMaxPointsMessage);
  }
  return {kind, grid, statedGridPoints, samplerJson};
}

/// The most rounds of refinement: a round is stored as an 8-bit number, and 2^30 halvings of an
/// axis are far past double precision.
constexpr std::uint64_t kMaxRefineDepth = 30;

/// The refine sampler's own keys (after the parameters and the chain, which they name).
void parseRefine(const SamplerSection& s, const Context& root, ScanConfig& c) {
  if (c.sampler != SamplerKind::Refine) return;
  const Context sc = root / "sampler";
  const ordered_json& r = s.json;
  RefineConfig& rc = c.refine;
  if (r.contains("depth")) {
    const std::uint64_t depth = positiveInteger(r.at("depth"), sc / "depth", true);
    if (depth == 0) {
      (sc / "depth")
          .fail("depth 0 refines nothing: at least 1 (or use the grid sampler for the base grid)");
    }
    if (depth > kMaxRefineDepth) {
      (sc / "depth").fail("at most " + std::to_string(kMaxRefineDepth) + " rounds");
    }
    rc.depth = static_cast<std::uint32_t>(depth);
  }
  if (c.axes.empty()) sc.fail("the refine sampler needs at least one scanned parameter");
  // The base design: the grid of the parameters' points, or Sobol points snapped to the lattice.
  if (r.contains("base"))
    rc.sobolBase = choice(r.at("base"), {"grid", "sobol"}, sc / "base") == "sobol";
  if (rc.sobolBase) {
    if (!r.contains("base_points")) {
      (sc / "base").fail("a Sobol base design needs 'base_points' (how many Sobol points)");
    }
    rc.basePoints = positiveInteger(r.at("base_points"), sc / "base_points");
    if (rc.basePoints > (std::uint64_t{1} << 28)) {
      (sc / "base_points")
          .fail("at most 2^28 = 268435456 points (the base design is planned in memory)");
    }
  } else {
    for (const char* key : {"base_points", "seed"}) {
      if (r.contains(key)) {
        (sc / key).fail(std::string("only with \"base\": \"sobol\" (the base grid has no ") +
                        (std::string(key) == "seed" ? "randomness" : "point count of its own") +
                        ")");
      }
    }
  }
  // The lattice follows the model's parameter order, whatever the order of the config's keys:
  // the canonical form (and so a resumed or re-read scan) lists them that way.
  std::stable_sort(c.axes.begin(), c.axes.end(),
                   [](const Axis& a, const Axis& b) { return a.parameter < b.parameter; });
  // The refined axes: a named plane (the others profiled on their base nodes), or every axis.
  if (r.contains("plane")) {
    const Context pc = sc / "plane";
    const ordered_json& plane = r.at("plane");
    if (!plane.is_array() || plane.empty()) pc.fail("expected a list of scanned parameters");
    std::vector<std::string> scanned;
    for (const Axis& a : c.axes) scanned.push_back(a.name);
    for (const auto& item : plane) {
      const std::string name = stringValue(item, pc);
      const auto it = std::find(scanned.begin(), scanned.end(), name);
      if (it == scanned.end()) {
        const bool known = c.kernel->parameterIndex(name).has_value();
        pc.fail(known ? "'" + name + "' is not scanned (give it a range to refine it)"
                      : unknownNameMessage("parameter", name, scanned, " among the scanned ones"));
      }
      const auto a = static_cast<std::size_t>(it - scanned.begin());
      if (std::find(rc.plane.begin(), rc.plane.end(), a) != rc.plane.end()) {
        pc.fail("'" + name + "' is named twice");
      }
      rc.plane.push_back(a);
    }
    std::sort(rc.plane.begin(), rc.plane.end());
  } else {
    for (std::size_t a = 0; a < c.axes.size(); ++a) rc.plane.push_back(a);
  }
  for (std::size_t a : rc.plane) {
    if (c.axes[a].points < 2) {
      (root / "parameters" / c.axes[a].name / "points")
          .fail("a refined parameter needs at least 2 base points (the corners of its cells)");
    }
  }
  // The lattice every point lies on: (n - 1) 2^depth + 1 nodes on a refined axis, the base
  // nodes on a profiled one. Its size bounds the scan, and its indices must fit.
  std::uint64_t lattice = 1;
  bool overflow = false;
  for (std::size_t a = 0; a < c.axes.size(); ++a) {
    const bool refined = std::find(rc.plane.begin(), rc.plane.end(), a) != rc.plane.end();
    const std::uint64_t n = c.axes[a].points;
    std::uint64_t m = n;
    if (refined) {
      if (n - 1 > (kMaxPoints >> rc.depth)) {
        overflow = true;
        break;
      }
      m = ((n - 1) << rc.depth) + 1;
    }
    if (lattice > kMaxPoints / m) {
      overflow = true;
      break;
    }
    lattice *= m;
  }
  if (overflow) {
    (sc / "depth")
        .fail("depth " + std::to_string(rc.depth) +
              " puts the refinement lattice past 2^63 - 1 points: lower it, or refine a plane");
  }
  rc.baseSize = rc.sobolBase ? rc.basePoints : c.points;  // at most (Sobol: before duplicates)
  rc.budget = lattice;
  if (r.contains("budget")) {
    rc.budget = positiveInteger(r.at("budget"), sc / "budget");
    if (rc.budget < rc.baseSize) {
      (sc / "budget")
          .fail("a budget of " + std::to_string(rc.budget) + " points is below the base design's " +
                std::to_string(rc.baseSize) +
                (rc.sobolBase ? " (its base_points)" : " (the grid of the parameters' points)"));
    }
    rc.budget = std::min(rc.budget, lattice);
  }
  c.points = rc.budget;
  if (r.contains("criterion")) {
    const Context cc = sc / "criterion";
    const ordered_json& k = r.at("criterion");
    if (k.is_string()) {
      if (k.get<std::string>() != "allowed") {
        cc.fail("expected \"allowed\", {\"constraint\": NAME} or {\"chi2_total\": LEVEL}");
      }
    } else {
      if (!k.is_object() || k.size() != 1) {
        cc.fail("expected \"allowed\", {\"constraint\": NAME} or {\"chi2_total\": LEVEL}");
      }
      checkKeys(k, {"constraint", "chi2_total"}, cc);
      if (k.contains("constraint")) {
        const std::string name = stringValue(k.at("constraint"), cc / "constraint");
        const auto& chain = c.chain.constraints();
        std::vector<std::string> names;
        for (const auto& con : chain) names.push_back(con.name);
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) {
          (cc / "constraint")
              .fail(unknownNameMessage("constraint", name, names, " in the scan's chain"));
        }
        rc.criterion = RefineCriterion::Constraint;
        rc.constraint = static_cast<std::size_t>(it - names.begin());
      } else {
        rc.chi2Level = finiteNumber(k.at("chi2_total"), cc / "chi2_total");
        if (!(rc.chi2Level > 0.0)) (cc / "chi2_total").fail("a Delta chi^2 level must be > 0");
        rc.criterion = RefineCriterion::Chi2;
      }
    }
  }
}

/// "parameters": fixed values, scanned axes and derived parameters; the grid's
/// point count.
void parseParameters(const ordered_json& j, const Context& root, const SamplerSection& s,
                     ScanConfig& c) {
  const physics::Model& model = *c.kernel;
  const Context sc = root / "sampler";
  const std::string& kind = s.kind;
  const bool grid = s.grid;
  const std::optional<std::uint64_t>& statedGridPoints = s.statedGridPoints;
  c.baseValues = model.defaultParameterValues();
  const Context pc = root / "parameters";
  std::map<std::string, std::pair<std::string, double>> derivedSources;  // name -> (source, factor)
  if (j.contains("parameters")) {
    if (!j.at("parameters").is_object()) pc.fail("expected an object");
    for (const auto& [name, spec] : j.at("parameters").items()) {
      const Context ctx = pc / name;
      const auto index = model.parameterIndex(name);
      if (!index) {
        ctx.fail(unknownNameMessage("parameter", name, model.parameterNames(),
                                    " of model '" + c.model + "'"));
      }
      if (spec.is_number()) {
        c.baseValues[*index] = finiteNumber(spec, ctx);
        continue;
      }
      checkKeys(spec, {"value", "range", "scale", "points", "equal_to", "factor"}, ctx);
      if (spec.contains("value")) {
        if (spec.size() != 1) ctx.fail("a fixed parameter has only 'value'");
        c.baseValues[*index] = finiteNumber(spec.at("value"), ctx / "value");
        continue;
      }
      if (spec.contains("equal_to")) {
        if (spec.contains("range") || spec.contains("scale") || spec.contains("points")) {
          ctx.fail("a derived parameter ('equal_to') has no range");
        }
        const double factor =
            spec.contains("factor") ? finiteNumber(spec.at("factor"), ctx / "factor") : 1.0;
        derivedSources[name] = {stringValue(spec.at("equal_to"), ctx / "equal_to"), factor};
        continue;
      }
      if (!spec.contains("range"))
        ctx.fail("expected a number, {\"value\"}, {\"range\"} or {\"equal_to\"}");
      if (spec.contains("factor")) (ctx / "factor").fail("'factor' belongs to a derived parameter");
      const ordered_json& range = spec.at("range");
      const Context rc = ctx / "range";
      if (!range.is_array() || range.size() != 2) rc.fail("expected [low, high]");
      Axis axis;
      axis.name = name;
      axis.parameter = *index;
      axis.low = finiteNumber(range[0], rc);
      axis.high = finiteNumber(range[1], rc);
      if (axis.low > axis.high) {
        rc.fail("inverted range [" + range[0].dump() + ", " + range[1].dump() + "]: low > high");
      }
      if (axis.low == axis.high) {
        rc.fail("empty range [" + range[0].dump() + ", " + range[1].dump() +
                "]: use a fixed value instead");
      }
      if (spec.contains("scale")) {
        axis.scale = choice(spec.at("scale"), {"lin", "log"}, ctx / "scale") == "log"
                         ? Scale::Log
                         : Scale::Linear;
      }
      if (axis.scale == Scale::Log && !(axis.low > 0.0)) {
        rc.fail("a log range must be positive (it touches zero or is negative)");
      }
      if (grid) {
        if (!spec.contains("points")) {
          ctx.fail(c.sampler == SamplerKind::Refine
                       ? "the refine sampler needs 'points' for each range (its base grid)"
                       : "the grid sampler needs 'points' for each range");
        }
        axis.points = positiveInteger(spec.at("points"), ctx / "points");
      } else if (spec.contains("points")) {
        (ctx / "points")
            .fail("per-parameter points belong to the grid sampler; the " + kind +
                  " sampler takes 'points' in 'sampler'");
      }
      c.axes.push_back(axis);
    }
  }
  for (const auto& [name, sourceAndFactor] : derivedSources) {
    const Context ctx = pc / name / "equal_to";
    const auto& [sourceName, factor] = sourceAndFactor;
    const auto sourceIndex = model.parameterIndex(sourceName);
    if (!sourceIndex) {
      ctx.fail(unknownNameMessage("parameter", sourceName, model.parameterNames(),
                                  " of model '" + c.model + "'"));
    }
    if (derivedSources.contains(sourceName)) ctx.fail("'" + sourceName + "' is itself derived");
    if (sourceName == name) ctx.fail("a parameter cannot equal itself");
    c.derived.push_back({name, *model.parameterIndex(name), *sourceIndex, factor});
  }
  if (grid) {
    c.points = 1;
    for (const Axis& a : c.axes) {
      if (c.points > kMaxPoints / a.points) pc.fail(std::string("the grid: ") + kMaxPointsMessage);
      c.points *= a.points;
    }
    if (statedGridPoints && *statedGridPoints != c.points) {
      (sc / "points").fail("a grid's points are set per parameter (\"points\" in each range)");
    }
  }
  if (c.sampler == SamplerKind::Sobol &&
      c.axes.size() > boost::random::default_sobol_table::max_dimension) {
    sc.fail("Sobol supports at most " +
            std::to_string(boost::random::default_sobol_table::max_dimension) +
            " scanned parameters");
  }
}

/// "constraints": the requests and the chain they make.
void parseConstraints(const ordered_json& j, const Context& root,
                      const std::filesystem::path& baseDir, ScanConfig& c) {
  const physics::Model& model = *c.kernel;
  const Context cc = root / "constraints";
  const ConstraintContext cx{model, c.model, baseDir};
  std::vector<RequestedConstraint> asked;
  const ordered_json constraintsJson =
      j.contains("constraints") ? j.at("constraints") : ordered_json("default");
  const auto defaults = constraints::Chain::defaultRequests(builtinCatalogue(), model);
  auto addDefaults = [&] {
    for (const auto& d : defaults) asked.push_back({d, std::nullopt});
  };
  if (constraintsJson.is_string()) {
    if (constraintsJson.get<std::string>() == "default") {
      addDefaults();
    } else {
      asked.push_back(parseConstraint(constraintsJson, cx, cc));
    }
  } else if (constraintsJson.is_array()) {
    std::vector<RequestedConstraint> explicitOnes;
    bool withDefaults = false;
    for (std::size_t i = 0; i < constraintsJson.size(); ++i) {
      const ordered_json& item = constraintsJson[i];
      if (item.is_string() && item.get<std::string>() == "default") {
        withDefaults = true;
      } else {
        explicitOnes.push_back(parseConstraint(item, cx, cc / ("[" + std::to_string(i) + "]")));
      }
    }
    if (withDefaults) addDefaults();
    for (auto& e : explicitOnes) {  // an explicit entry replaces the default one of that name
      auto same = std::find_if(asked.begin(), asked.end(), [&](const RequestedConstraint& a) {
        return a.request.name == e.request.name;
      });
      if (same != asked.end() && withDefaults) {
        *same = e;
      } else {
        asked.push_back(e);
      }
    }
  } else {
    cc.fail("expected \"default\" or a list of constraints");
  }
  // A limit override must have the shape of the variant's kind; say so before the chain
  // would reject the numbers.
  for (const auto& a : asked) {
    if (!a.shape) continue;
    const auto* entry = builtinCatalogue().find(a.request.name);
    const auto* use = entry ? entry->useFor(c.model, model.options()) : nullptr;
    const auto* limit =
        use ? entry->limitFor(*use, a.request.variant.value_or(entry->defaultVariant)) : nullptr;
    if (!limit) continue;  // the chain names the problem
    const constraints::Kind k = limit->kind;
    if (k == constraints::Kind::Profile) continue;  // the chain refuses any override
    if (*a.shape != shapeOf(k)) {
      // Which variants would take the shape given, to point at one.
      std::string others;
      for (const auto& v : entry->variantNames()) {
        const auto* l = entry->limitFor(*use, v);
        if (l && shapeOf(l->kind) == *a.shape) others += (others.empty() ? "" : ", ") + v;
      }
      cc.fail("the limit of '" + a.request.name + "' has the wrong shape for a " +
              constraints::toString(k) + " limit: give " + shapeText(k) +
              (others.empty() ? std::string()
                              : " (or choose a variant whose limit has this shape with "
                                "\"variant\": " +
                                    others + ")"));
    }
  }
  for (const auto& a : asked) c.constraintRequests.push_back(a.request);
  constraints::ChainOptions options;
  if (j.contains("common_cl")) {
    options.commonCl = finiteNumber(j.at("common_cl"), root / "common_cl");
    if (!(*options.commonCl > 0.0 && *options.commonCl < 1.0)) {
      (root / "common_cl").fail("a CL between 0 and 1, e.g. 0.95");
    }
  }
  try {
    c.chain = constraints::Chain(builtinCatalogue(), model, c.constraintRequests, options);
  } catch (const InputError& e) {
    cc.fail(e.what());
  }
}

/// "output": path, keep, stored observables (and so the blocks computed), compression,
/// chunking and commits.
void parseOutput(const ordered_json& j, const Context& root, const std::string& source,
                 ScanConfig& c) {
  const physics::Model& model = *c.kernel;
  const ordered_json outputJson = j.contains("output") ? j.at("output") : ordered_json::object();
  const Context oc = root / "output";
  checkKeys(outputJson,
            {"path", "keep", "observables", "compression", "chunk_points", "commit_seconds"}, oc);
  if (outputJson.contains("path")) {
    c.output.path = stringValue(outputJson.at("path"), oc / "path");
    if (c.output.path.empty()) (oc / "path").fail("empty path");
  } else {
    c.output.path = std::filesystem::path(source).stem().string() + ".h5";
  }
  if (outputJson.contains("keep")) {
    c.output.keep = choice(outputJson.at("keep"), {"all", "allowed"}, oc / "keep") == "allowed"
                        ? Keep::Allowed
                        : Keep::All;
  }
  if (outputJson.contains("compression")) {
    const std::uint64_t level =
        positiveInteger(outputJson.at("compression"), oc / "compression", true);
    if (level > 9) (oc / "compression").fail("gzip levels are 0-9");
    c.output.compression = static_cast<int>(level);
  }
  if (outputJson.contains("chunk_points")) {
    c.output.chunkPoints = positiveInteger(outputJson.at("chunk_points"), oc / "chunk_points");
    if (c.output.chunkPoints > kMaxChunkPoints) {
      (oc / "chunk_points")
          .fail("at most " + std::to_string(kMaxChunkPoints) + " points per chunk (default 4096)");
    }
  }
  // Buffers follow what the scan needs: one chunk holds the whole of a smaller scan (the chunk
  // boundaries are the same either way).
  c.output.chunkPointsAsGiven = c.output.chunkPoints;
  c.output.chunkPoints = std::min(c.output.chunkPoints, std::max<std::uint64_t>(1, c.points));
  if (outputJson.contains("commit_seconds")) {
    c.output.commitSeconds = finiteNumber(outputJson.at("commit_seconds"), oc / "commit_seconds");
    if (c.output.commitSeconds < 0) (oc / "commit_seconds").fail("must be >= 0");
  }
  physics::BlockMask stored = c.chain.blocks();
  std::vector<bool> keepObservable(model.observables().size(), false);
  const ordered_json observablesJson =
      outputJson.contains("observables") ? outputJson.at("observables") : ordered_json("chain");
  const Context obc = oc / "observables";
  if (observablesJson.is_string()) {
    const std::string which = choice(observablesJson, {"chain", "all"}, obc);
    stored = which == "all" ? model.allBlocks() : model.closure(c.chain.blocks());
    for (std::size_t i = 0; i < keepObservable.size(); ++i) {
      keepObservable[i] = (model.blockOf(i) & stored) && model.applies(i);
    }
  } else if (observablesJson.is_array()) {
    for (const auto& item : observablesJson) {
      const std::string name = stringValue(item, obc);
      const auto index = model.observableIndex(name);
      if (!index) {
        obc.fail(unknownNameMessage("observable", name, model.observableNames(),
                                    " of model '" + c.model + "'"));
      }
      if (!model.applies(*index)) {
        obc.fail("observable '" + name + "' does not apply to these options (only for " +
                 model.observables()[*index].appliesTo + ")");
      }
      keepObservable[*index] = true;
      stored |= model.blockOf(*index);
    }
  } else {
    obc.fail("expected \"chain\", \"all\" or a list of observable names");
  }
  for (std::size_t i = 0; i < keepObservable.size(); ++i) {
    if (keepObservable[i]) c.output.observables.push_back(i);
  }
  c.output.blocks = model.closure(stored | c.chain.blocks());
}

/// "threads".
void parseThreads(const ordered_json& j, const Context& root, ScanConfig& c) {
  if (j.contains("threads")) {
    const std::uint64_t n = positiveInteger(j.at("threads"), root / "threads", true);
    if (n > kMaxThreads) {
      (root / "threads")
          .fail("at most " + std::to_string(kMaxThreads) + " threads (0: every core)");
    }
    c.threads = static_cast<int>(n);
  }
}

/// The canonical form (every default written out) and the identity hash over it.
void writeCanonical(const ordered_json& j, ScanConfig& c) {
  const physics::Model& model = *c.kernel;
  const bool grid = c.sampler == SamplerKind::Grid || c.sampler == SamplerKind::Refine;
  ordered_json canonical;
  if (j.contains("description")) canonical["description"] = j.at("description");
  canonical["model"] = c.model;
  canonical["options"] = ordered_json::object();
  for (const auto& [k, v] : c.options) canonical["options"][k] = v;
  // Parameters in the model's order, except that the scanned axes keep the order the config gave
  // them (the sampler's coordinate order: the grid's fastest axis, the Sobol dimensions): the
  // k-th scanned slot in model order holds the k-th axis. A config whose axes are in model order
  // keeps the form (and hash) it always had; one that orders them otherwise samples other points
  // in another order, so its hash differs, and the stored form parses back to the same order.
  ordered_json params = ordered_json::object();
  std::size_t nextAxis = 0;
  for (std::size_t i = 0; i < model.parameters().size(); ++i) {
    const std::string& name = model.parameters()[i].name;
    const bool scanned =
        std::any_of(c.axes.begin(), c.axes.end(), [&](const Axis& a) { return a.parameter == i; });
    auto der = std::find_if(c.derived.begin(), c.derived.end(),
                            [&](const Derived& d) { return d.parameter == i; });
    if (scanned) {
      const Axis& axis = c.axes[nextAxis++];
      ordered_json a{{"range", {axis.low, axis.high}}, {"scale", toString(axis.scale)}};
      if (grid) a["points"] = axis.points;
      params[axis.name] = a;
    } else if (der != c.derived.end()) {
      params[name] = {{"equal_to", model.parameters()[der->source].name}, {"factor", der->factor}};
    } else {
      params[name] = c.baseValues[i];
    }
  }
  canonical["parameters"] = params;
  if (c.sampler == SamplerKind::Refine) {
    const RefineConfig& rc = c.refine;
    ordered_json criterion = "allowed";
    if (rc.criterion == RefineCriterion::Constraint) {
      criterion = {{"constraint", c.chain.constraints()[rc.constraint].name}};
    } else if (rc.criterion == RefineCriterion::Chi2) {
      criterion = {{"chi2_total", rc.chi2Level}};
    }
    ordered_json plane = ordered_json::array();
    for (std::size_t a : rc.plane) plane.push_back(c.axes[a].name);
    canonical["sampler"] = {{"kind", "refine"},
                            {"depth", rc.depth},
                            {"budget", rc.budget},
                            {"criterion", criterion},
                            {"plane", plane}};
    if (rc.sobolBase) {  // only then: the grid base's files keep their config hash
      canonical["sampler"]["base"] = "sobol";
      canonical["sampler"]["base_points"] = rc.basePoints;
      canonical["sampler"]["seed"] = c.seed;
    }
  } else {
    canonical["sampler"] = {{"kind", toString(c.sampler)}, {"points", c.points}, {"seed", c.seed}};
  }
  ordered_json chainJson = ordered_json::array();
  for (const auto& con : c.chain.constraints()) {
    if (con.user) {
      ordered_json u{{"name", con.name},
                     {"variant", con.variant},
                     {"observable", con.observable},
                     {"kind", constraints::toString(con.limit.kind)},
                     {"limit", limitJson(con.limit)}};
      if (!con.limit.table) u["cl"] = con.limit.cl;
      u["absolute"] = con.absolute;
      u["reference"] = con.limit.reference;
      u["description"] = con.description;
      chainJson.push_back(u);
      continue;
    }
    if (con.limit.kind == constraints::Kind::Profile) {
      // No numbers to override: the variant names its built-in tables.
      chainJson.push_back({{"name", con.name}, {"variant", con.variant}});
      continue;
    }
    chainJson.push_back(
        {{"name", con.name}, {"variant", con.variant}, {"limit", limitJson(con.limit)}});
  }
  canonical["constraints"] = chainJson;
  if (c.chain.options().commonCl) canonical["common_cl"] = *c.chain.options().commonCl;
  ordered_json observableNames = ordered_json::array();
  for (std::size_t i : c.output.observables) observableNames.push_back(model.observables()[i].name);
  canonical["output"] = {{"path", c.output.path},
                         {"keep", c.output.keep == Keep::All ? "all" : "allowed"},
                         {"observables", observableNames},
                         {"compression", c.output.compression},
                         {"chunk_points", c.output.chunkPointsAsGiven},
                         {"commit_seconds", c.output.commitSeconds}};
  canonical["threads"] = c.threads;
  ordered_json identity = canonical;
  identity.erase("description");
  identity.erase("threads");
  identity["output"].erase("path");
  identity["output"].erase("compression");
  identity["output"].erase("commit_seconds");
  c.identityHash = fnv1a(identity.dump());
  c.canonical = std::move(canonical);
}

}  // namespace

std::string toString(Scale s) { return s == Scale::Log ? "log" : "lin"; }

std::string toString(SamplerKind k) {
  switch (k) {
    case SamplerKind::Grid:
      return "grid";
    case SamplerKind::Random:
      return "random";
    case SamplerKind::Sobol:
      return "sobol";
    case SamplerKind::LatinHypercube:
      return "lhs";
    case SamplerKind::Refine:
      return "refine";
  }
  return "?";
}

ScanConfig parseConfig(const ordered_json& j, const std::string& source,
                       const std::filesystem::path& baseDir) {
  const Context root(source);
  checkRootKeys(j, root);
  ScanConfig c;
  parseModel(j, root, c);
  const SamplerSection sampler = parseSampler(j, root, c);
  parseParameters(j, root, sampler, c);
  parseConstraints(j, root, baseDir, c);
  parseRefine(sampler, root, c);
  parseOutput(j, root, source, c);
  if (c.sampler == SamplerKind::Refine && c.output.keep != Keep::All) {
    (root / "output" / "keep").fail("the refine sampler needs every point's verdict: keep \"all\"");
  }
  parseThreads(j, root, c);
  writeCanonical(j, c);
  return c;
}

ScanConfig loadConfig(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    throw InputError("config '" + path.string() + "' is not a file");
  }
  if (std::filesystem::exists(path, ec) &&
      std::filesystem::file_size(path, ec) > kMaxLimitFileBytes) {
    throw InputError("config '" + path.string() + "' is larger than 16 MiB");
  }
  std::ifstream in(path);
  if (!in) {
    throw InputError("cannot read config '" + path.string() + "': " +
                     (std::filesystem::exists(path) ? "permission denied" : "no such file"));
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const ordered_json j = parseJsonText(text, path.string());
  return parseConfig(j, path.string(), path.parent_path());
}

void setOutputPath(ScanConfig& config, const std::string& path) {
  config.output.path = path;
  config.canonical["output"]["path"] = path;
}

void setThreads(ScanConfig& config, int threads) {
  config.threads = threads;
  config.canonical["threads"] = threads;
}

}  // namespace portalscan::scanner
