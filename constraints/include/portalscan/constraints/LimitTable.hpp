#pragma once
/// A published limit as a table: a curve bound(x) with its excluded side, a
/// closed excluded region in an (x, y) plane, or a profile: a published
/// one-dimensional Delta chi^2 as a function of one quantity (a global fit's
/// profile likelihood, -2 ln L relative to the fit's minimum). The text format (one file per
/// published limit, docs/constraints.md "Limit files") is a header of
/// `# key: value` lines that name the source, CL and units of each column,
/// then two numbers a row. This layer parses text, never files: the scanner
/// reads the file (or the copy compiled into the binary) and hands over its
/// contents with the name to use in messages.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace portalscan::constraints {

/// One axis of a table: what the column is, its unit as written, the factor
/// that takes it to portalscan's native unit (GeV, s, 1) and the scale on
/// which the published curve is interpolated.
struct TableAxis {
  std::string quantity;
  std::string unit;       ///< as written: GeV, MeV, keV, eV, s, 1
  double toNative = 1.0;  ///< native value = written value * toNative
  std::string dimension;  ///< the native unit: "GeV", "GeV^2", "s", "rad" or "1"
  bool log = false;       ///< interpolate in log of this axis
  /// The column holds log10 of the quantity in `unit` (a profile in log10 of a mass
  /// splitting, as published), not the quantity itself.
  bool log10Column = false;
};

enum class TableShape { Curve, Region, Profile };
enum class ExcludedSide { Above, Below };

struct LimitTable {
  std::string name;  ///< file name, for messages and the catalogue
  std::string title;
  std::string experiment;
  std::string arxiv;
  std::string reference;
  std::string digitised;  ///< what was taken from where
  std::string licence;    ///< licence notice, or the statement that there is none to carry
  double cl = 0.0;        ///< confidence level as published (0.9, 0.95)
  TableAxis x;
  TableAxis y;
  TableShape shape = TableShape::Curve;
  ExcludedSide excluded = ExcludedSide::Above;  ///< curves only
  std::vector<double> xs;                       ///< native units; curves: strictly increasing
  std::vector<double> ys;                       ///< native units
  std::vector<double> sx;  ///< xs on the x axis's interpolation scale (log or as is)
  std::vector<double> sy;  ///< ys on the y axis's scale
  /// Curves: for each of `buckets` equal slices of [sx.front(), sx.back()], the first row
  /// at or after the slice's start, so that a look-up walks a row or two, not a bisection.
  std::vector<std::uint32_t> buckets;
  double bucketScale = 0.0;  ///< buckets per unit of the scaled x axis
  std::string text;          ///< the file as read (hashed and stored as provenance)
  /// Profiles: the period of x (360 for a phase in degrees), native units; 0: not periodic.
  double period = 0.0;
  /// Profiles: the smallest Delta chi^2 of the table and where it lies (native units).
  double minimum = 0.0;
  double argMinimum = 0.0;

  double xMin() const;
  double xMax() const;
  /// The curve's bound at x (native units), interpolated on the stated scales;
  /// NaN outside [xMin, xMax] (the limit says nothing there).
  double bound(double x) const;
  /// The same with x already on the table's x scale (log x on a log axis), for callers that
  /// share one x among several curves (inline: the constraint chain's hot path).
  double bound(double x, double scaledX) const;
  /// x on this table's x scale.
  double scaled(double xv) const { return x.log ? std::log(xv) : xv; }
  /// A profile's Delta chi^2 at x (native units), linear on the stated scales between rows.
  /// A periodic x is first brought into [xMin, xMin + period). Outside the table, the value
  /// at the nearer end (the edge rows of a global fit's table lie far above any cut, and
  /// the profile keeps rising beyond them: the edge is a lower bound); at x <= 0 on a log
  /// axis, the first row's. NaN x: NaN.
  double profile(double x) const;
  /// Whether (x, y) lies inside the closed region (boundary included), with the
  /// polygon's edges straight on the stated axis scales.
  bool inside(double x, double y) const;
};

inline double LimitTable::bound(double xv, double s) const {
  // Outside the table, and NaN x: the published limit says nothing.
  if (!(xv >= xs.front() && xv <= xs.back())) return std::numeric_limits<double>::quiet_NaN();
  // The first row at or after xv: its bucket's first row, then a short walk. s >= sx.front()
  // here (xv >= xs.front()), so the slice's number is a small non-negative integer.
  const std::size_t rows = xs.size();
  const std::size_t k =
      std::min(buckets.size() - 1,
               static_cast<std::size_t>(static_cast<std::int64_t>((s - sx.front()) * bucketScale)));
  std::size_t j = buckets[k];
  const double* const x0 = xs.data();
  while (j + 1 < rows && x0[j] < xv) ++j;
  if (x0[j] == xv) return ys[j];  // a tabulated node, exactly
  const std::size_t i = j - 1;
  const double t = (s - sx[i]) / (sx[j] - sx[i]);
  const double v = sy[i] + t * (sy[j] - sy[i]);
  return y.log ? std::exp(v) : v;
}

/// The native dimension and factor of a unit name ("MeV" -> GeV, 1e-3; "eV^2" ->
/// GeV^2, 1e-18; "deg" -> rad, pi/180), optionally scaled by a number before a '*'
/// ("1e-3*eV^2" -> GeV^2, 1e-21), or false if the unit is not one portalscan knows.
bool unitToNative(std::string_view unit, std::string& dimension, double& factor);

/// Parses a limit file's text. `name` names it in messages. Every problem is an
/// InputError "NAME:LINE: what is wrong" (a missing source header, an unknown
/// key or unit, a row that is not two finite numbers, x not strictly
/// increasing, a bound that is not positive on a log axis, ...).
LimitTable parseLimitTable(std::string_view text, const std::string& name);

}  // namespace portalscan::constraints
