// Chain::judge (the compiled chain of the scan's hot loop) against a straightforward
// evaluation written here from each constraint's published numbers: the statistical
// conventions of docs/constraints.md "Statistics" (half-normal upper and lower limits, a
// window's Gaussian about its centre, a Gaussian's pull, a curve's bound interpolated between
// the table's rows found by bisection, a region's inside, a profile's sum of Delta chi^2),
// the condition and the NaN rules of Chain.hpp. Every pass flag, statistic, chi2, the
// verdict, its status and the chi2 total must agree to the bit, for every constraint and
// variant of the built-in catalogue that applies to hidden_kev_fermion (one and three N_R)
// and lfv_nsi (each flavour pair, both versions, both mixings), at its own CL and at a common
// CL, over a few thousand kernel points of which some have a quantity the chain reads set
// to NaN, +-inf, zero, its negative, or a curve's first, last or a tabulated abscissa.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/constraints/LimitTable.hpp"
#include "portalscan/scanner/engine/CatalogueJson.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace portalscan::scanner {
namespace {

using constraints::Chain;
using constraints::Constraint;
using constraints::Kind;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

struct Verdict {
  bool pass;
  double statistic;
  double chi2;
};

double quantity(const constraints::Quantity& q, const std::vector<double>& p,
                const std::vector<double>& o) {
  return q.parameter ? p[q.index] : o[q.index];
}

/// A curve's bound at x: the row pair around x by bisection, linear in the table's scales.
double boundAt(const constraints::LimitTable& t, double x) {
  if (!(x >= t.xs.front() && x <= t.xs.back())) return kNaN;
  const std::size_t j = static_cast<std::size_t>(std::lower_bound(t.xs.begin(), t.xs.end(), x) -
                                                 t.xs.begin());  // first row >= x
  if (t.xs[j] == x) return t.ys[j];
  const double s = t.x.log ? std::log(x) : x;
  const std::size_t i = j - 1;
  const double f = (s - t.sx[i]) / (t.sx[j] - t.sx[i]);
  const double y = t.sy[i] + f * (t.sy[j] - t.sy[i]);
  return t.y.log ? std::exp(y) : y;
}

/// Upper limit b at z: chi2 = (x z / b)^2 for x > 0, 0 for x <= 0.
Verdict upper(double x, double b, double z, double cutFactor) {
  const double t = x * z / b;
  return {x <= b * cutFactor, x / b, x > 0.0 ? t * t : 0.0};
}

/// Lower limit b at z: chi2 = (z b / x)^2 for x > 0, +inf for x <= 0.
Verdict lower(double x, double b, double z, double cutFactor) {
  const double t = z * b / x;
  return {x >= b * cutFactor, x / b, x > 0.0 ? t * t : kInf};
}

Verdict reference(const Constraint& c, const std::vector<double>& p, const std::vector<double>& o) {
  const Verdict untested{true, kNaN, 0.0}, nan{false, kNaN, kNaN};
  if (c.condition && !(quantity(*c.condition, p, o) < c.conditionBelow)) return untested;
  const constraints::Limit& l = c.limit;
  if (l.kind == Kind::Profile) {
    const double b = c.branch ? quantity(*c.branch, p, o) : 0.0;
    if (std::isnan(b)) return nan;
    const bool negative = b < 0.0;
    const double base = negative ? c.offsetNegative : c.offset;
    double total = base, worst = 0.0;
    for (const auto& term : c.profileTerms) {
      const double v = quantity(term.quantity, p, o);
      if (std::isnan(v)) return nan;
      const double d = (negative ? term.negative : term.table)->profile(v) - base;
      total += d;
      worst = std::max(worst, d);
    }
    const double cut = l.profileCut == constraints::ProfileCut::Total ? total : worst;
    return {cut <= c.chi2Cut, total, total};
  }
  double x = kNaN, bound = kNaN;
  if (l.kind == Kind::Curve || l.kind == Kind::Region) {
    x = quantity(*c.x, p, o);
    if (std::isnan(x)) return nan;
  }
  if (l.kind == Kind::Curve) {
    bound = boundAt(*l.table, x);
    if (std::isnan(bound)) return untested;
  }
  double v = quantity(c.tested, p, o);
  if (std::isnan(v)) return nan;
  if (c.absolute) v = std::abs(v);
  switch (l.kind) {
    case Kind::Upper:
      return upper(v, l.value, c.z, c.cutFactor);
    case Kind::Lower:
      return lower(v, l.value, c.z, c.cutFactor);
    case Kind::Curve:
      return l.table->excluded == constraints::ExcludedSide::Above
                 ? upper(v, bound, c.z, c.cutFactor)
                 : lower(v, bound, c.z, c.cutFactor);
    case Kind::Window: {
      const double pull = (v - 0.5 * (l.low + l.high)) / (0.5 * (l.high - l.low));
      return {std::abs(pull) <= c.cutFactor, pull, (pull * c.z) * (pull * c.z)};
    }
    case Kind::Gaussian: {
      const double pull = (v - l.value) / l.sigma;
      return {pull * pull <= c.chi2Cut, pull * pull, pull * pull};
    }
    case Kind::Region: {
      const bool in = l.table->inside(x, v);
      return {!in, in ? 1.0 : 0.0, in ? kInf : 0.0};
    }
    case Kind::Profile:
      break;
  }
  return nan;
}

bool same(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

/// Every request of the catalogue that applies to the model, one per (entry, variant): the
/// chains built from variant k of each entry (k = 0, 1, ...; an entry with fewer variants
/// repeats its last).
std::vector<std::vector<constraints::Request>> variantChains(const physics::Model& model) {
  std::vector<std::vector<constraints::Request>> chains;
  for (const auto& e : builtinCatalogue().entries()) {
    const auto names = e.variantNames();
    std::vector<constraints::Request> accepted;
    for (const auto& v : names) {
      const constraints::Request r{e.name, v, std::nullopt, nullptr};
      try {
        const Chain one(builtinCatalogue(), model, {r});
      } catch (const std::exception&) {
        continue;  // does not apply to these options
      }
      accepted.push_back(r);
    }
    for (std::size_t k = 0; k < accepted.size(); ++k) {
      if (chains.size() <= k) chains.emplace_back();
      chains[k].push_back(accepted[k]);
    }
  }
  // A chain with fewer entries than the first: fill it with the entries' first variants.
  for (std::size_t k = 1; k < chains.size(); ++k) {
    for (const auto& r : chains[0]) {
      if (std::none_of(chains[k].begin(), chains[k].end(),
                       [&](const constraints::Request& q) { return q.name == r.name; }))
        chains[k].push_back(r);
    }
  }
  return chains;
}

struct Case {
  const char* model;
  physics::Options options;
  const char* logAxis;  ///< a parameter drawn log-uniform over [lo, hi] (the curves' axis)
  double lo, hi;
};

void PrintTo(const Case& c, std::ostream* os) {
  *os << c.model;
  for (const auto& [k, v] : c.options) *os << " " << k << "=" << v;
}

class ChainFastPath : public ::testing::TestWithParam<Case> {};

TEST_P(ChainFastPath, EveryVerdictBitForBitAsTheReference) {
  const Case& tc = GetParam();
  const auto model = physics::ModelRegistry::builtin().create(tc.model, tc.options);
  auto requestSets = variantChains(*model);
  ASSERT_FALSE(requestSets.empty());
  std::vector<Chain> chains;
  for (const auto& r : requestSets) chains.emplace_back(builtinCatalogue(), *model, r);
  chains.emplace_back(builtinCatalogue(), *model, requestSets[0],
                      constraints::ChainOptions{0.9});  // a common CL rescales the cuts
  chains.emplace_back(builtinCatalogue(), *model,
                      Chain::defaultRequests(builtinCatalogue(), *model));

  std::mt19937_64 rng(15);
  std::uniform_real_distribution<double> jitter(0.5, 2.0), unit(0.0, 1.0);
  const std::size_t axis = *model->parameterIndex(tc.logAxis);
  const int points = 1500;
  std::size_t compared = 0, untested = 0, nans = 0, failedKernel = 0;
  for (int n = 0; n < points; ++n) {
    auto p = model->defaultParameterValues();
    for (double& x : p) x *= jitter(rng);
    p[axis] = tc.lo * std::pow(tc.hi / tc.lo, unit(rng));
    std::vector<double> o(model->observables().size(), kNaN);
    PointStatus status = model->evaluate(p, model->allBlocks(), o);
    for (const Chain& chain : chains) {
      std::vector<double> pp = p, oo = o;
      PointStatus ss = status;
      // One point in four: a quantity the chain reads set to an edge value.
      if (unit(rng) < 0.25) {
        const auto& c = chain.constraints()[rng() % chain.constraints().size()];
        constraints::Quantity q = c.tested;
        const double pick = unit(rng);
        if (c.x && pick < 0.5) q = *c.x;
        if (c.condition && pick > 0.85) q = *c.condition;
        if (!c.profileTerms.empty()) q = c.profileTerms[rng() % c.profileTerms.size()].quantity;
        double& target = q.parameter ? pp[q.index] : oo[q.index];
        const auto* table = c.limit.table.get();
        switch (rng() % 10) {
          case 0:
            target = kNaN;
            break;
          case 1:
            target = -kNaN;
            break;
          case 2:
            target = kInf;
            break;
          case 3:
            target = -kInf;
            break;
          case 4:
            target = 0.0;
            break;
          case 5:
            target = -0.0;
            break;
          case 6:
            target = -target;
            break;
          case 7:
            if (table) target = table->xs.front();
            break;
          case 8:
            if (table) target = table->xs.back();
            break;
          case 9:
            if (table) target = table->xs[rng() % table->xs.size()];
            break;
        }
      }
      if (unit(rng) < 0.05) ss = PointStatus::SolverFailed;
      const std::size_t k = chain.constraints().size();
      std::vector<std::uint8_t> pass(k, 7);
      std::vector<double> statistic(k, -1.0), chi2(k, -1.0);
      const auto r = chain.judge(pp, oo, ss, pass, statistic, chi2);
      bool allowed = ss == PointStatus::Ok, sawNaN = false;
      double total = 0.0;
      for (std::size_t i = 0; i < k; ++i) {
        const Constraint& c = chain.constraints()[i];
        const Verdict want = reference(c, pp, oo);
        ASSERT_EQ(pass[i], want.pass ? 1 : 0) << c.name << " point " << n;
        ASSERT_TRUE(same(statistic[i], want.statistic))
            << c.name << " point " << n << ": statistic " << statistic[i] << " vs "
            << want.statistic;
        ASSERT_TRUE(same(chi2[i], want.chi2))
            << c.name << " point " << n << ": chi2 " << chi2[i] << " vs " << want.chi2;
        // The per-constraint judge (`portalscan point`, `info`) agrees as well.
        const auto single = c.judge(pp, oo);
        ASSERT_EQ(single.pass, want.pass) << c.name;
        ASSERT_TRUE(same(single.statistic, want.statistic)) << c.name;
        ASSERT_TRUE(same(single.chi2, want.chi2)) << c.name;
        allowed = allowed && want.pass;
        sawNaN = sawNaN || (!want.pass && std::isnan(want.statistic));
        total += want.chi2;
        untested += want.pass && std::isnan(want.statistic) ? 1 : 0;
        nans += !want.pass && std::isnan(want.statistic) ? 1 : 0;
        ++compared;
      }
      EXPECT_EQ(r.allowed, allowed) << "point " << n;
      EXPECT_EQ(r.status, ss != PointStatus::Ok ? ss
                          : sawNaN              ? PointStatus::ConstraintObservableNaN
                                                : PointStatus::Ok)
          << "point " << n;
      EXPECT_TRUE(same(r.chi2Total, ss == PointStatus::Ok ? total : kNaN)) << "point " << n;
      failedKernel += ss != PointStatus::Ok ? 1 : 0;
    }
  }
  // The points reach every path: judged, not tested, NaN, and failed kernels.
  EXPECT_GT(compared, 10000u);
  EXPECT_GT(untested, 100u);
  EXPECT_GT(nans, 100u);
  EXPECT_GT(failedKernel, 100u);
}

INSTANTIATE_TEST_SUITE_P(
    Models, ChainFastPath,
    ::testing::Values(Case{"hidden_kev_fermion", {}, "M_chi", 1e-6, 1e-4},
                      Case{"hidden_kev_fermion", {{"n_R", "3"}}, "M_chi", 1e-6, 1e-4},
                      Case{"lfv_nsi", {}, "m_Zprime", 1e-3, 1.0},
                      Case{"lfv_nsi", {{"flavours", "e-tau"}}, "m_Zprime", 1e-3, 1.0},
                      Case{"lfv_nsi",
                           {{"flavours", "mu-tau"}, {"version", "lepton_number_violating"}},
                           "m_Zprime",
                           1e-3,
                           1.0},
                      Case{"lfv_nsi",
                           {{"flavours", "e-mu"},
                            {"version", "lepton_number_conserving"},
                            {"matter_coupling", "b_minus_l"},
                            {"mixing", "phenomenological"}},
                           "m_Zprime",
                           1e-3,
                           1.0}),
    [](const ::testing::TestParamInfo<Case>& param) {
      std::string name = std::string(param.param.model) + "_" + std::to_string(param.index);
      return name;
    });

}  // namespace
}  // namespace portalscan::scanner
