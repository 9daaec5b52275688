#include "portalscan/constraints/LimitTable.hpp"

#include "portalscan/physics/Error.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <numbers>
#include <set>

namespace portalscan::constraints {
namespace {

constexpr std::string_view kFormatLine = "# portalscan-limit-1";

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

/// Cuts what a file says to a length fit for a one-line message, control characters escaped.
std::string quoted(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 60)) {
    if (static_cast<unsigned char>(c) < 0x20) {
      out += "?";
    } else {
      out += c;
    }
  }
  if (s.size() > 60) out += "...";
  return "'" + out + "'";
}

class Reader {
 public:
  explicit Reader(const std::string& name) : name_(name) {}
  [[noreturn]] void fail(std::size_t line, const std::string& what) const {
    throw InputError(name_ + ":" + std::to_string(line) + ": " + what);
  }
  [[noreturn]] void fail(const std::string& what) const { throw InputError(name_ + ": " + what); }

 private:
  const std::string& name_;
};

bool parseNumber(std::string_view s, double& value) {
  // A leading '+' as global fits write it ("+0.200"); from_chars takes only '-'.
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, value);
  return ec == std::errc() && ptr == end && std::isfinite(value);
}

/// "m_alpha GeV" -> quantity "m_alpha", unit "GeV": the unit is the last word.
TableAxis parseAxis(std::string_view value, const Reader& r, std::size_t line, const char* which) {
  const auto space = value.find_last_of(" \t");
  if (space == std::string_view::npos) {
    r.fail(line, std::string(which) + ": expected a quantity and its unit, e.g. 'm_X GeV'");
  }
  TableAxis a;
  a.quantity = std::string(trim(value.substr(0, space)));
  a.unit = std::string(value.substr(space + 1));
  if (!unitToNative(a.unit, a.dimension, a.toNative)) {
    r.fail(line, std::string(which) + ": unknown unit " + quoted(a.unit) +
                     " (known: GeV, MeV, keV, eV, GeV^2, MeV^2, keV^2, eV^2, s, rad, deg, 1, "
                     "each optionally scaled, e.g. 1e-3*eV^2)");
  }
  return a;
}

/// Transforms a value onto the axis's interpolation scale.
double onScale(const TableAxis& a, double v) { return a.log ? std::log(v) : v; }

}  // namespace

bool unitToNative(std::string_view unit, std::string& dimension, double& factor) {
  static const std::map<std::string_view, std::pair<std::string_view, double>> kUnits = {
      {"GeV", {"GeV", 1.0}},
      {"MeV", {"GeV", 1e-3}},
      {"keV", {"GeV", 1e-6}},
      {"eV", {"GeV", 1e-9}},
      {"GeV^2", {"GeV^2", 1.0}},
      {"MeV^2", {"GeV^2", 1e-6}},
      {"keV^2", {"GeV^2", 1e-12}},
      {"eV^2", {"GeV^2", 1e-18}},
      {"s", {"s", 1.0}},
      {"rad", {"rad", 1.0}},
      {"deg", {"rad", std::numbers::pi / 180.0}},
      {"1", {"1", 1.0}}};
  // "1e-3*eV^2": a positive, finite scale before the unit.
  double scale = 1.0;
  if (const auto star = unit.find('*'); star != std::string_view::npos) {
    if (!parseNumber(unit.substr(0, star), scale) || !(scale > 0.0)) return false;
    unit.remove_prefix(star + 1);
  }
  const auto it = kUnits.find(unit);
  if (it == kUnits.end()) return false;
  dimension = std::string(it->second.first);
  factor = scale * it->second.second;
  return true;
}

double LimitTable::xMin() const {
  return xs.empty() ? std::numeric_limits<double>::quiet_NaN()
                    : *std::min_element(xs.begin(), xs.end());
}

double LimitTable::xMax() const {
  return xs.empty() ? std::numeric_limits<double>::quiet_NaN()
                    : *std::max_element(xs.begin(), xs.end());
}

double LimitTable::profile(double xv) const {
  if (std::isnan(xv)) return xv;
  if (period > 0.0 && std::isfinite(xv)) {
    // Into [xs.front(), xs.front() + period): the table spans at least one period.
    xv = xs.front() + (xv - xs.front()) - period * std::floor((xv - xs.front()) / period);
    if (xv < xs.front()) xv = xs.front();  // rounding of the floor at the edge
  }
  if (!(xv > xs.front())) return ys.front();  // below the table, and x <= 0 on a log axis
  if (!(xv < xs.back())) return ys.back();
  return bound(xv, onScale(x, xv));
}

double LimitTable::bound(double xv) const {
  if (!(xv >= xs.front() && xv <= xs.back())) return std::numeric_limits<double>::quiet_NaN();
  return bound(xv, onScale(x, xv));
}

bool LimitTable::inside(double xv, double yv) const {
  if (!std::isfinite(xv) || !std::isfinite(yv)) return false;
  if ((x.log && !(xv > 0.0)) || (y.log && !(yv > 0.0))) return false;
  const double px = onScale(x, xv);
  const double py = onScale(y, yv);
  // Even-odd ray casting towards +x, on the stated scales.
  bool in = false;
  const std::size_t n = xs.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const double xi = sx[i], yi = sy[i];
    const double xj = sx[j], yj = sy[j];
    // A point on an edge counts as inside.
    const double cross = (xj - xi) * (py - yi) - (yj - yi) * (px - xi);
    if (cross == 0.0 && px >= std::min(xi, xj) && px <= std::max(xi, xj) &&
        py >= std::min(yi, yj) && py <= std::max(yi, yj)) {
      return true;
    }
    if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) in = !in;
  }
  return in;
}

LimitTable parseLimitTable(std::string_view text, const std::string& name) {
  const Reader r(name);
  LimitTable t;
  t.name = name;
  t.text = std::string(text);
  if (text.empty()) r.fail("the file is empty");
  std::map<std::string, std::string> header;
  std::map<std::string, std::size_t> headerLine;
  std::vector<std::size_t> rowLines;  // the file line of each data row
  static const std::set<std::string> kKeys = {
      "title", "experiment",    "arxiv",     "reference", "cl",   "x",      "y",       "excluded",
      "shape", "interpolation", "digitised", "licence",   "note", "period", "x-column"};
  std::string lastKey;
  std::size_t lineNo = 0;
  bool sawFormat = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto eol = text.find('\n', pos);
    const std::string_view raw =
        text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? text.size() + 1 : eol + 1;
    ++lineNo;
    const std::string_view line = trim(raw);
    if (lineNo == 1) {
      if (line != kFormatLine) {
        r.fail(1, "the first line must be '" + std::string(kFormatLine) +
                      "' (a portalscan limit file)");
      }
      sawFormat = true;
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == '#') {
      std::string_view body = raw.substr(raw.find('#') + 1);
      if (trim(body).empty()) continue;
      // "#   more text" continues the previous key (a licence notice over several lines).
      if (body.size() > 2 && body[0] == ' ' && body[1] == ' ' && !lastKey.empty()) {
        if (!t.xs.empty()) r.fail(lineNo, "header line after the data");
        header[lastKey] += "\n" + std::string(trim(body));
        continue;
      }
      body = trim(body);
      const auto colon = body.find(':');
      if (colon == std::string_view::npos) {
        r.fail(lineNo, "a header line is '# key: value', not " + quoted(body));
      }
      const std::string key(trim(body.substr(0, colon)));
      if (!kKeys.contains(key)) r.fail(lineNo, "unknown header key " + quoted(key));
      if (header.contains(key)) r.fail(lineNo, "header key '" + key + "' given twice");
      if (!t.xs.empty()) r.fail(lineNo, "header line after the data");
      header[key] = std::string(trim(body.substr(colon + 1)));
      headerLine[key] = lineNo;
      lastKey = key;
      continue;
    }
    // A data row: two finite numbers.
    std::vector<std::string_view> fields;
    std::size_t f = 0;
    while (f < line.size()) {
      const auto start = line.find_first_not_of(" \t,", f);
      if (start == std::string_view::npos) break;
      const auto end = line.find_first_of(" \t,", start);
      fields.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
      f = end == std::string_view::npos ? line.size() : end;
    }
    if (fields.size() != 2) {
      r.fail(lineNo, "expected two columns (x y), found " + std::to_string(fields.size()));
    }
    double xv = 0.0, yv = 0.0;
    if (!parseNumber(fields[0], xv) || !parseNumber(fields[1], yv)) {
      r.fail(lineNo, "not two finite numbers: " + quoted(line));
    }
    t.xs.push_back(xv);
    t.ys.push_back(yv);
    rowLines.push_back(lineNo);
  }
  if (!sawFormat) r.fail(1, "not a portalscan limit file");
  auto need = [&](const char* key) -> const std::string& {
    const auto it = header.find(key);
    if (it == header.end() || it->second.empty()) {
      r.fail(
          std::string("the header has no '") + key +
          "' (every limit file names its source, CL, units, what was digitised and the licence)");
    }
    return it->second;
  };
  t.title = header.contains("title") ? header["title"] : "";
  t.experiment = need("experiment");
  t.arxiv = header.contains("arxiv") ? header["arxiv"] : "";
  t.reference = header.contains("reference") ? header["reference"] : "";
  if (t.arxiv.empty() && t.reference.empty()) {
    r.fail("the header names no source: give 'arxiv' or 'reference'");
  }
  t.digitised = need("digitised");
  t.licence = need("licence");
  const std::string shape = header.contains("shape") ? header["shape"] : "curve";
  if (shape == "profile") {
    // A profile is a likelihood, not a limit: the constraint that uses it sets the cut.
    if (header.contains("cl")) {
      r.fail(headerLine["cl"],
             "a profile has no CL of its own (it is a Delta chi^2; the constraint sets the cut)");
    }
  } else {
    const std::string& cl = need("cl");
    if (!parseNumber(cl, t.cl) || !(t.cl > 0.0 && t.cl < 1.0)) {
      r.fail(headerLine["cl"],
             "cl must be a number between 0 and 1 (0.90, 0.95), not " + quoted(cl));
    }
  }
  t.x = parseAxis(need("x"), r, headerLine["x"], "x");
  t.y = parseAxis(need("y"), r, headerLine["y"], "y");
  if (header.contains("x-column")) {
    if (shape != "profile") r.fail(headerLine["x-column"], "x-column belongs to profiles");
    if (header["x-column"] != "log10") {
      r.fail(headerLine["x-column"],
             "x-column is 'log10' (the column is log10 of x in its unit), not " +
                 quoted(header["x-column"]));
    }
    t.x.log10Column = true;
  }
  if (header.contains("period")) {
    if (shape != "profile") r.fail(headerLine["period"], "period belongs to profiles");
    if (t.x.log10Column) r.fail(headerLine["period"], "a log10 column cannot be periodic");
    if (!parseNumber(header["period"], t.period) || !(t.period > 0.0)) {
      r.fail(headerLine["period"],
             "period must be a positive number in x's unit, not " + quoted(header["period"]));
    }
    t.period *= t.x.toNative;
  }
  if (shape == "curve") {
    t.shape = TableShape::Curve;
    if (!header.contains("excluded")) {
      r.fail("a curve's header needs 'excluded: above' (an upper limit) or 'excluded: below'");
    }
    const std::string& side = need("excluded");
    if (side == "above") {
      t.excluded = ExcludedSide::Above;
    } else if (side == "below") {
      t.excluded = ExcludedSide::Below;
    } else {
      r.fail(headerLine["excluded"], "excluded is 'above' or 'below', not " + quoted(side));
    }
  } else if (shape == "region") {
    t.shape = TableShape::Region;
    if (header.contains("excluded")) {
      r.fail(headerLine["excluded"], "a region excludes its inside: no 'excluded' key");
    }
  } else if (shape == "profile") {
    t.shape = TableShape::Profile;
    if (header.contains("excluded")) {
      r.fail(headerLine["excluded"], "a profile excludes nothing by itself: no 'excluded' key");
    }
    if (t.y.dimension != "1") {
      r.fail(headerLine["y"], "a profile's y is Delta chi^2, unit 1, not " + quoted(t.y.unit));
    }
  } else {
    r.fail(headerLine["shape"], "shape is 'curve', 'region' or 'profile', not " + quoted(shape));
  }
  {
    // "x=linear y=log"
    const std::string& interp = need("interpolation");
    bool sawX = false, sawY = false;
    std::size_t p = 0;
    while (p < interp.size()) {
      const auto start = interp.find_first_not_of(' ', p);
      if (start == std::string::npos) break;
      const auto end = interp.find(' ', start);
      const std::string word = interp.substr(start, end == std::string::npos ? end : end - start);
      p = end == std::string::npos ? interp.size() : end;
      const auto eq = word.find('=');
      const std::string axis = word.substr(0, eq);
      const std::string scale = eq == std::string::npos ? "" : word.substr(eq + 1);
      if ((axis != "x" && axis != "y") || (scale != "linear" && scale != "log")) {
        r.fail(headerLine["interpolation"],
               "interpolation is 'x=linear|log y=linear|log', not " + quoted(interp));
      }
      bool& saw = axis == "x" ? sawX : sawY;
      if (saw) r.fail(headerLine["interpolation"], "interpolation states " + axis + " twice");
      (axis == "x" ? t.x : t.y).log = scale == "log";
      saw = true;
    }
    if (!sawX || !sawY) {
      r.fail(headerLine["interpolation"],
             "interpolation must state both axes, e.g. 'x=linear y=log'");
    }
  }
  if (t.shape == TableShape::Profile && t.y.log) {
    r.fail(headerLine["interpolation"],
           "a profile's Delta chi^2 is interpolated linearly (y=linear)");
  }
  const bool rowsIncrease = t.shape != TableShape::Region;
  const std::size_t minimum = rowsIncrease ? 2 : 3;
  if (t.xs.size() < minimum) {
    r.fail(std::string("a ") +
           (t.shape == TableShape::Curve     ? "curve"
            : t.shape == TableShape::Profile ? "profile"
                                             : "region") +
           " needs at least " + std::to_string(minimum) + " rows, found " +
           std::to_string(t.xs.size()));
  }
  for (std::size_t i = 0; i < t.xs.size(); ++i) {
    const std::size_t line = rowLines[i];
    if (t.x.log && !t.x.log10Column && !(t.xs[i] > 0.0)) {
      r.fail(line, "x must be positive on a log axis");
    }
    if (t.y.log && !(t.ys[i] > 0.0)) r.fail(line, "y must be positive on a log axis");
    if (t.shape == TableShape::Curve) {
      if (i > 0 && !(t.xs[i] > t.xs[i - 1])) {
        r.fail(line, "x must increase strictly down a curve's rows");
      }
      if (!(t.ys[i] > 0.0)) r.fail(line, "a bound must be positive");
    }
    if (t.shape == TableShape::Profile) {
      if (i > 0 && !(t.xs[i] > t.xs[i - 1])) {
        r.fail(line, "x must increase strictly down a profile's rows");
      }
      if (!(t.ys[i] >= 0.0)) r.fail(line, "a Delta chi^2 cannot be negative");
    }
  }
  for (std::size_t i = 0; i < t.xs.size(); ++i) {
    if (t.x.log10Column) {
      t.xs[i] = std::pow(10.0, t.xs[i]);
      if (!(std::isfinite(t.xs[i]) && t.xs[i] > 0.0)) {
        r.fail(rowLines[i], "log10 of x out of range: 10^x is not a finite, positive number");
      }
    }
    t.xs[i] *= t.x.toNative;
    t.ys[i] *= t.y.toNative;
    t.sx.push_back(onScale(t.x, t.xs[i]));
    t.sy.push_back(onScale(t.y, t.ys[i]));
  }
  if (t.shape == TableShape::Profile) {
    if (t.period > 0.0 && t.xs.back() - t.xs.front() < t.period * (1.0 - 1e-12)) {
      r.fail("the rows of a periodic profile must span at least one period");
    }
    const auto best = std::min_element(t.ys.begin(), t.ys.end());
    t.minimum = *best;
    t.argMinimum = t.xs[static_cast<std::size_t>(best - t.ys.begin())];
  }
  if (t.shape != TableShape::Region) {
    const std::size_t n = 2 * t.xs.size();
    t.bucketScale = static_cast<double>(n) / (t.sx.back() - t.sx.front());
    std::size_t j = 0;
    for (std::size_t k = 0; k < n; ++k) {
      const double start = t.sx.front() + static_cast<double>(k) / t.bucketScale;
      while (j + 1 < t.sx.size() && t.sx[j] < start) ++j;
      // One row back, so that rounding of the slice edges never skips the row wanted.
      t.buckets.push_back(static_cast<std::uint32_t>(j > 0 ? j - 1 : 0));
    }
  }
  return t;
}

}  // namespace portalscan::constraints
