// Profile tables (one-dimensional Delta chi^2 of a global fit) and the profile kind of
// constraint, on the NuFIT 4.1 tables of constraints/data/limits/nufit41_*.dat. Every
// expected number comes from the files' rows, read here with a plain parser, and from
// interpolations and crossings computed here; no number is the code's own output. The
// chain is built on a stand-in model that declares hidden_kev_fermion's n_R = 3
// oscillation observables (names and units of the model's), so that the constraint is
// tested without the model's three-N_R kernel; ScanCatalogue tests it on the real model.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/constraints/LimitTable.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <numbers>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace portalscan::constraints {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;

const std::vector<std::string> kQuantities = {"sin2_theta12", "sin2_theta13", "sin2_theta23",
                                              "delta_CP",     "dm2_21",       "dm2_3l"};

std::string fileText(const std::string& name) {
  std::ifstream in(std::filesystem::path(PORTALSCAN_SOURCE_DIR) / "constraints" / "data" /
                   "limits" / name);
  EXPECT_TRUE(in) << name;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The rows as written (x in the file's column, Delta chi^2), by a plain parser.
std::vector<std::pair<double, double>> rawRows(const std::string& name) {
  std::istringstream in(fileText(name));
  std::vector<std::pair<double, double>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream f(line);
    double x = 0.0, y = 0.0;
    f >> x >> y;
    rows.emplace_back(x, y);
  }
  return rows;
}

/// A file column's value in portalscan's native unit, by the files' headers: sin^2 as is,
/// delta_CP in degrees, log10(dm2_21 / eV^2), dm2_3l in 1e-3 eV^2 (1 eV^2 = 1e-18 GeV^2).
double native(const std::string& quantity, double column) {
  if (quantity == "delta_CP") return column * kPi / 180.0;
  if (quantity == "dm2_21") return std::pow(10.0, column) * 1e-18;
  if (quantity == "dm2_3l") return column * 1e-21;
  return column;
}

std::string fileOf(const std::string& ordering, const std::string& quantity) {
  return "nufit41_" + ordering + "_" + quantity + ".dat";
}

std::shared_ptr<const LimitTable> table(const std::string& ordering, const std::string& quantity) {
  const std::string name = fileOf(ordering, quantity);
  return std::make_shared<const LimitTable>(parseLimitTable(fileText(name), name));
}

/// The test's own interpolation: linear in the file's column between the bracketing rows.
double linearAt(const std::vector<std::pair<double, double>>& rows, double column) {
  for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
    const auto [x0, y0] = rows[i];
    const auto [x1, y1] = rows[i + 1];
    if (x0 <= column && column <= x1) return y0 + (column - x0) / (x1 - x0) * (y1 - y0);
  }
  return kNaN;
}

/// The row of the smallest Delta chi^2.
std::pair<double, double> minimumRow(const std::vector<std::pair<double, double>>& rows) {
  auto best = rows.front();
  for (const auto& r : rows) {
    if (r.second < best.second) best = r;
  }
  return best;
}

/// Where the profile crosses `level` (above its minimum) on one side of the minimum, by a
/// linear search outwards from the minimum row and a linear interpolation in the column.
double crossing(const std::vector<std::pair<double, double>>& rows, double level, int side) {
  std::size_t m = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].second < rows[m].second) m = i;
  }
  const double target = rows[m].second + level;
  for (std::size_t i = m; side > 0 ? i + 1 < rows.size() : i > 0; side > 0 ? ++i : --i) {
    const std::size_t j = side > 0 ? i + 1 : i - 1;
    if (rows[j].second >= target) {
      const auto [x0, y0] = rows[i];
      const auto [x1, y1] = rows[j];
      return x0 + (target - y0) / (y1 - y0) * (x1 - x0);
    }
  }
  return kNaN;
}

/// The chi^2 distribution function for 6 degrees of freedom (even k: a finite sum).
double chi2Cdf6(double x) {
  const double h = 0.5 * x;
  return 1.0 - std::exp(-h) * (1.0 + h + 0.5 * h * h);
}

/// A stand-in for hidden_kev_fermion with the observables (names, units) it has for n_R = 3.
class OscillationModel : public physics::Model {
 public:
  explicit OscillationModel(const std::string& nR = "3")
      : Model({{"M_N", "GeV", 1.0, "stand-in parameter"}},
              {{"m_nu_1", "GeV", "neutrinos", "", ""},
               {"m_nu_2", "GeV", "neutrinos", "", ""},
               {"m_nu_3", "GeV", "neutrinos", "", ""},
               {"dm2_21", "GeV^2", "neutrinos", "", ""},
               {"dm2_3l", "GeV^2", "neutrinos", "", ""},
               {"sin2_theta12", "1", "neutrinos", "", ""},
               {"sin2_theta13", "1", "neutrinos", "", ""},
               {"sin2_theta23", "1", "neutrinos", "", ""},
               {"delta_CP", "rad", "neutrinos", "", ""}},
              {{"neutrinos", "light neutrinos", false, {}}},
              {{"n_R", {"1", "3"}, "3", "number of right-handed neutrinos"}}, {{"n_R", nR}}) {}
  std::string_view name() const override { return "hidden_kev_fermion"; }
  std::string_view reference() const override { return "stand-in for the profile tests"; }

 protected:
  PointStatus compute(std::span<const double>, physics::BlockMask,
                      std::span<double>) const override {
    return PointStatus::Ok;
  }
};

/// The oscillations entry as the catalogue has it, built from the files.
Entry oscillationsEntry() {
  Entry e;
  e.name = "oscillations";
  e.family = "neutrino oscillations";
  for (const auto& [variant, cut, cl] :
       {std::tuple{"current", ProfileCut::Total, 0.95},
        std::tuple{"each_3sigma", ProfileCut::Each, 0.9973002039367398}}) {
    Limit l;
    l.kind = Kind::Profile;
    l.cl = cl;
    l.profileCut = cut;
    l.branch = "dm2_3l";
    l.experiment = "NuFIT 4.1";
    for (const auto& q : kQuantities) l.profiles.push_back({q, table("NO", q), table("IO", q)});
    e.variants[variant] = l;
  }
  e.uses.push_back({"hidden_kev_fermion", {{"n_R", {"3"}}}, "dm2_3l", {}});
  return e;
}

/// The chain of one oscillations constraint on the stand-in model, and a point at NuFIT's
/// best fit of an ordering (every quantity at its table's minimum row).
struct Oscillations {
  OscillationModel model;
  Catalogue catalogue{{oscillationsEntry()}};
  Chain chain;
  std::vector<double> parameters{1.0};
  std::vector<double> observables;
  explicit Oscillations(const std::string& variant = "current")
      : chain(catalogue, model, {{"oscillations", variant, {}, {}}}),
        observables(model.observables().size(), 0.0) {
    bestFit("NO");
  }
  double& operator[](const std::string& name) { return observables[*model.observableIndex(name)]; }
  void bestFit(const std::string& ordering) {
    for (const auto& q : kQuantities)
      (*this)[q] = native(q, minimumRow(rawRows(fileOf(ordering, q))).first);
  }
  /// Puts `quantity` where its profile of `ordering` is `level` above the minimum (side > 0:
  /// above the best fit).
  void at(const std::string& ordering, const std::string& quantity, double level, int side = 1) {
    (*this)[quantity] =
        native(quantity, crossing(rawRows(fileOf(ordering, quantity)), level, side));
  }
  Constraint::Verdict verdict() const {
    return chain.constraints().at(0).judge(parameters, observables);
  }
};

TEST(ProfileTable, NuFitRowsAreNodesAndLinearBetweenThem) {
  for (const char* ordering : {"NO", "IO"}) {
    for (const auto& q : kQuantities) {
      const std::string name = fileOf(ordering, q);
      const auto t = table(ordering, q);
      const auto rows = rawRows(name);
      ASSERT_EQ(t->shape, TableShape::Profile) << name;
      ASSERT_EQ(t->xs.size(), rows.size()) << name;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto [x, y] = rows[i];
        EXPECT_NEAR(t->profile(native(q, x)), y, 1e-9 * (1.0 + y)) << name << " at " << x;
        if (i + 1 == rows.size()) continue;
        // Halfway between two rows (in the file's column: log10 for dm2_21), the mean.
        const double mid = 0.5 * (x + rows[i + 1].first);
        EXPECT_NEAR(t->profile(native(q, mid)), linearAt(rows, mid), 1e-9 * (1.0 + y))
            << name << " at " << mid;
      }
      // The minimum row: where the table says its minimum lies.
      const auto [bx, by] = minimumRow(rows);
      EXPECT_EQ(t->minimum, by) << name;
      EXPECT_NEAR(t->argMinimum, native(q, bx), 1e-12 * std::abs(native(q, bx))) << name;
    }
  }
}

TEST(ProfileTable, IoTablesCarryTheOrderingOffsetAndNoTablesStartAtZero) {
  // NuFIT's inverted-ordering tables are relative to the global minimum (normal ordering):
  // each has the same minimum, the Delta chi^2 of the best IO fit; each NO table has 0.
  const double io = minimumRow(rawRows(fileOf("IO", "dm2_3l"))).second;
  EXPECT_NEAR(io, 10.45, 0.01);  // NuFIT 4.1 with SK atmospheric data: IO at Delta chi^2 10.4
  for (const auto& q : kQuantities) {
    EXPECT_EQ(minimumRow(rawRows(fileOf("NO", q))).second, 0.0) << q;
    EXPECT_EQ(minimumRow(rawRows(fileOf("IO", q))).second, io) << q;
  }
}

TEST(ProfileTable, PhaseIsPeriodicAndOutsideTheTableTheEdgeRowHolds) {
  const auto dcp = table("NO", "delta_CP");
  const auto rows = rawRows(fileOf("NO", "delta_CP"));
  // The file spans -180 to 360 degrees and repeats itself after 360 (the data, exactly).
  for (const auto& [x, y] : rows) {
    for (const auto& [x2, y2] : rows) {
      if (x2 == x + 360.0) {
        EXPECT_EQ(y2, y) << x;
      }
    }
  }
  for (double deg : {-170.0, -2.5, 12.5, 221.0, 359.0}) {
    const double expected = linearAt(rows, deg);
    EXPECT_NEAR(dcp->profile(deg * kPi / 180.0), expected, 1e-9) << deg;
    EXPECT_NEAR(dcp->profile(deg * kPi / 180.0 + 2.0 * kPi), expected, 1e-9) << deg;
    EXPECT_NEAR(dcp->profile(deg * kPi / 180.0 - 4.0 * kPi), expected, 1e-9) << deg;
  }
  // Beyond the rows: the edge row's value (the profile keeps rising outside a global fit's
  // table, so the edge is a lower bound, far above any cut).
  const auto t13 = table("NO", "sin2_theta13");
  const auto r13 = rawRows(fileOf("NO", "sin2_theta13"));
  EXPECT_EQ(t13->profile(0.09), r13.back().second);
  EXPECT_EQ(t13->profile(-0.01), r13.front().second);
  const auto dms = table("NO", "dm2_21");
  const auto rms = rawRows(fileOf("NO", "dm2_21"));
  EXPECT_EQ(dms->profile(0.0), rms.front().second);  // x <= 0 on the log axis
  EXPECT_EQ(dms->profile(1e-15), rms.back().second);
  EXPECT_GT(rms.front().second, 100.0);
  EXPECT_GT(rms.back().second, 100.0);
  EXPECT_TRUE(std::isnan(dms->profile(kNaN)));
}

TEST(ProfileTable, MalformedProfilesAreRefused) {
  const std::string head =
      "# portalscan-limit-1\n# experiment: e\n# arxiv: 1\n# digitised: d\n# licence: l\n"
      "# shape: profile\n# y: Delta_chi2 1\n";
  auto parse = [&](const std::string& rest) { return parseLimitTable(head + rest, "p.dat"); };
  const std::string ok = "# x: a 1\n# interpolation: x=linear y=linear\n0 1\n1 0\n2 4\n";
  EXPECT_EQ(parse(ok).minimum, 0.0);
  EXPECT_EQ(parse(ok).argMinimum, 1.0);
  EXPECT_THROW(parse("# cl: 0.95\n" + ok), InputError);         // a likelihood has no CL
  EXPECT_THROW(parse("# excluded: above\n" + ok), InputError);  // nor a side
  EXPECT_THROW(parse("# x: a 1\n# interpolation: x=linear y=log\n0 1\n1 2\n"), InputError);
  EXPECT_THROW(parse("# x: a 1\n# interpolation: x=linear y=linear\n0 1\n1 -2\n"), InputError);
  EXPECT_THROW(parse("# x: a 1\n# interpolation: x=linear y=linear\n0 1\n0 2\n"), InputError);
  EXPECT_THROW(parse("# x: a deg\n# period: 360\n# interpolation: x=linear y=linear\n0 1\n180 2\n"),
               InputError);  // rows short of one period
  EXPECT_THROW(parse("# x: a eV^2\n# x-column: ln\n# interpolation: x=log y=linear\n0 1\n1 2\n"),
               InputError);
  EXPECT_THROW(parse("# x: a eV^2\n# x-column: log10\n# period: 1\n"
                     "# interpolation: x=log y=linear\n0 1\n1 2\n"),
               InputError);
  // A curve has no x-column or period.
  EXPECT_THROW(parseLimitTable("# portalscan-limit-1\n# experiment: e\n# arxiv: 1\n# digitised: d\n"
                               "# licence: l\n# cl: 0.9\n# x: m GeV\n# y: b 1\n# excluded: above\n"
                               "# period: 2\n# interpolation: x=log y=log\n1 1\n2 2\n",
                               "c.dat"),
               InputError);
  // Scaled units and '+' signs, as the NuFIT tables write them.
  const auto t = parse("# x: d 1e-3*eV^2\n# interpolation: x=linear y=linear\n+1.0 3\n+2.0 5\n");
  EXPECT_DOUBLE_EQ(t.xs[0], 1e-21);
  EXPECT_DOUBLE_EQ(t.profile(1.5e-21), 4.0);
  std::string dim;
  double factor = 0.0;
  EXPECT_TRUE(unitToNative("deg", dim, factor));
  EXPECT_EQ(dim, "rad");
  EXPECT_DOUBLE_EQ(factor, kPi / 180.0);
  EXPECT_FALSE(unitToNative("-1*eV^2", dim, factor));
  EXPECT_FALSE(unitToNative("2*furlong", dim, factor));
}

TEST(OscillationsConstraint, ZeroAtEachOrderingsBestFitWithTheIoOffsetCountedOnce) {
  Oscillations o;
  const auto no = o.verdict();
  EXPECT_TRUE(no.pass);
  // Every quantity on its minimum row: 0 up to the rounding of the unit conversions.
  EXPECT_NEAR(no.chi2, 0.0, 1e-12);
  EXPECT_EQ(no.statistic, no.chi2);
  o.bestFit("IO");
  ASSERT_LT(o["dm2_3l"], 0.0);
  const double offset = minimumRow(rawRows(fileOf("IO", "dm2_3l"))).second;
  const auto io = o.verdict();
  EXPECT_NEAR(io.chi2, offset, 1e-12);  // once, not six times
  EXPECT_TRUE(io.pass);                 // 10.45 < 12.59, the 95% quantile for 6 dof
  // The IO best fit with dm2_3l flipped positive is judged by the NO tables: the sum of the
  // NO rows interpolated here at the IO best-fit values (|dm2_3l| as it stands).
  o["dm2_3l"] = -o["dm2_3l"];
  double expected = 0.0;
  for (const auto& q : kQuantities) {
    double column = minimumRow(rawRows(fileOf("IO", q))).first;
    if (q == "dm2_3l") column = -column;
    if (q == "delta_CP" && column > 180.0) column -= 360.0;
    expected += linearAt(rawRows(fileOf("NO", q)), column);
  }
  EXPECT_GT(expected, 0.5);
  EXPECT_NEAR(o.verdict().chi2, expected, 1e-9);
}

TEST(OscillationsConstraint, OneAndThreeSigmaBoundariesGiveOneAndNine) {
  for (const char* ordering : {"NO", "IO"}) {
    for (const auto& q : kQuantities) {
      for (int side : {-1, 1}) {
        for (double level : {1.0, 9.0}) {
          Oscillations o;
          o.bestFit(ordering);
          const auto rows = rawRows(fileOf(ordering, q));
          const double c = crossing(rows, level, side);
          if (std::isnan(c)) continue;  // delta_CP below its NO best fit: no 3 sigma in the rows
          o.at(ordering, q, level, side);
          const double offset = minimumRow(rows).second;
          EXPECT_NEAR(o.verdict().chi2, offset + level, 1e-9)
              << ordering << " " << q << " side " << side << " level " << level;
          const auto& c0 = o.chain.constraints().at(0);
          EXPECT_NEAR(
              c0.profileTermsAt(o.parameters, o.observables)[static_cast<std::size_t>(
                  std::find(kQuantities.begin(), kQuantities.end(), q) - kQuantities.begin())],
              level, 1e-9);
        }
      }
    }
  }
}

TEST(OscillationsConstraint, TotalCutAtTheSixDofQuantileAndEachCutAtThreeSigma) {
  // chi^2 with 6 dof: its CDF is 1 - exp(-x/2) (1 + x/2 + (x/2)^2/2); 0.95 at 12.59.
  Oscillations total;
  EXPECT_NEAR(chi2Cdf6(total.chain.constraints().at(0).chi2Cut), 0.95, 1e-12);
  EXPECT_NEAR(total.chain.constraints().at(0).chi2Cut, 12.59, 0.005);
  Oscillations each("each_3sigma");
  EXPECT_NEAR(each.chain.constraints().at(0).chi2Cut, 9.0, 1e-9);  // 3 sigma, 1 dof
  for (Oscillations* o : {&total, &each}) {
    // dm2_21 alone at 3.5 and at 2.8 sigma (Delta chi^2 12.25 and 7.84).
    o->at("NO", "dm2_21", 12.25);
    EXPECT_EQ(o->verdict().pass, o == &total);  // within 12.59, beyond 9
    o->at("NO", "dm2_21", 7.84, -1);
    EXPECT_TRUE(o->verdict().pass);
    // 5 sigma off (Delta chi^2 25): fails either way.
    o->at("NO", "dm2_21", 25.0);
    EXPECT_FALSE(o->verdict().pass);
    EXPECT_NEAR(o->verdict().chi2, 25.0, 1e-9);
    // Two quantities at 2.9 sigma each (8.41 + 8.41 = 16.8): each within 3 sigma, the total not.
    o->bestFit("NO");
    o->at("NO", "sin2_theta12", 8.41);
    o->at("NO", "sin2_theta13", 8.41, -1);
    EXPECT_EQ(o->verdict().pass, o == &each);
    EXPECT_NEAR(o->verdict().chi2, 16.82, 1e-9);
  }
  // Inverted ordering: the offset 10.45 leaves 2.14 for the total; the each cut ignores it.
  total.bestFit("IO");
  each.bestFit("IO");
  total.at("IO", "sin2_theta23", 4.0);
  each.at("IO", "sin2_theta23", 4.0);
  EXPECT_FALSE(total.verdict().pass);
  EXPECT_TRUE(each.verdict().pass);
}

TEST(OscillationsConstraint, ACommonClMovesTheCut) {
  OscillationModel model;
  const Catalogue catalogue{{oscillationsEntry()}};
  ChainOptions options;
  options.commonCl = 0.90;
  const Chain chain(catalogue, model, {{"oscillations", std::nullopt, {}, {}}}, options);
  EXPECT_NEAR(chi2Cdf6(chain.constraints().at(0).chi2Cut), 0.90, 1e-12);  // 6 dof, 90%: 10.64
  EXPECT_NEAR(chain.constraints().at(0).chi2Cut, 10.64, 0.005);
}

TEST(OscillationsConstraint, NanObservablesFailTheConstraintAndMarkThePoint) {
  for (const auto& q : kQuantities) {
    Oscillations o;
    o[q] = kNaN;
    const auto v = o.verdict();
    EXPECT_FALSE(v.pass) << q;
    EXPECT_TRUE(std::isnan(v.chi2)) << q;
    std::vector<std::uint8_t> pass(1);
    std::vector<double> statistic(1), chi2(1);
    const auto r =
        o.chain.judge(o.parameters, o.observables, PointStatus::Ok, pass, statistic, chi2);
    EXPECT_FALSE(r.allowed) << q;
    EXPECT_EQ(r.status, PointStatus::ConstraintObservableNaN) << q;
  }
}

TEST(OscillationsConstraint, AppliesOnlyWithThreeRightHandedNeutrinos) {
  const Catalogue catalogue{{oscillationsEntry()}};
  const OscillationModel three("3"), one("1");
  EXPECT_EQ(Chain::defaultRequests(catalogue, three).size(), 1u);
  EXPECT_TRUE(Chain::defaultRequests(catalogue, one).empty());
  try {
    Chain(catalogue, one, {{"oscillations", std::nullopt, {}, {}}});
    ADD_FAILURE() << "applied with n_R = 1";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("n_R=3"), std::string::npos) << e.what();
  }
}

TEST(OscillationsConstraint, BadEntriesAreRefused) {
  const OscillationModel model;
  auto refused = [&](Entry e, const std::string& why) {
    const Catalogue catalogue{{std::move(e)}};
    try {
      Chain(catalogue, model, {{"oscillations", std::nullopt, {}, {}}});
      ADD_FAILURE() << "accepted: " << why;
    } catch (const InputError& err) {
      EXPECT_NE(std::string(err.what()).find(why), std::string::npos) << err.what();
    }
  };
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles[0].negative = table("NO", "sin2_theta12");  // minimum 0
    refused(e, "share their minimum");
  }
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles[1].quantity = "sin2_theta12";
    refused(e, "has two profiles");
  }
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles[2].negative = nullptr;
    refused(e, "needs a table for each sign of dm2_3l");
  }
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles[0].table = table("NO", "delta_CP");  // degrees for a sine
    refused(e, "is in 1");
  }
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles[0].quantity = "sin2_theta99";
    refused(e, "does not provide");
  }
  {
    Entry e = oscillationsEntry();
    e.variants["current"].profiles.clear();
    refused(e, "at least one table");
  }
  {
    Entry e = oscillationsEntry();
    auto curve = std::make_shared<LimitTable>(*table("NO", "sin2_theta12"));
    curve->shape = TableShape::Curve;
    e.variants["current"].profiles[0].table = curve;
    refused(e, "needs profiles");
  }
  // A profile is no limit curve or region: a curve or region constraint refuses one.
  for (const Kind kind : {Kind::Curve, Kind::Region}) {
    Entry e;
    e.name = "oscillations";
    Limit l;
    l.kind = kind;
    l.x = "dm2_21";
    l.table = table("NO", "sin2_theta12");
    l.experiment = "test";
    e.variants["current"] = l;
    e.uses.push_back({"hidden_kev_fermion", {}, "sin2_theta12", {}});
    refused(e, "is a Delta chi^2 profile, the constraint a " + toString(kind));
  }
  // Its numbers are tables: an override is refused with the variants to choose from.
  const Catalogue catalogue{{oscillationsEntry()}};
  Limit override;
  override.value = 1.0;
  try {
    Chain(catalogue, model, {{"oscillations", std::nullopt, override, {}}});
    ADD_FAILURE() << "override accepted";
  } catch (const InputError& err) {
    EXPECT_NE(std::string(err.what()).find("each_3sigma"), std::string::npos) << err.what();
  }
}

}  // namespace
}  // namespace portalscan::constraints
