#include "portalscan/constraints/Chain.hpp"

#include "portalscan/constraints/Statistics.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace portalscan::constraints {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// "flavours=e-mu" for the error that says what a constraint needs.
std::string describeOptions(const Use& u) {
  std::string s;
  for (const auto& [option, values] : u.options) {
    if (!s.empty()) s += ", ";
    s += option + "=";
    for (std::size_t i = 0; i < values.size(); ++i) s += (i ? "|" : "") + values[i];
  }
  return s;
}

std::string describeUses(const Entry& e) {
  std::string s;
  for (const Use& u : e.uses) {
    if (!s.empty()) s += "; ";
    s += u.model;
    if (!u.options.empty()) s += " with " + describeOptions(u);
  }
  return s;
}

}  // namespace

Constraint::Verdict Constraint::judge(std::span<const double> parameters,
                                      std::span<const double> observables, XCache* cache) const {
  if (condition && !(condition->of(parameters, observables) < conditionBelow)) {
    return {true, false, kNaN, 0.0};  // not tested at this point
  }
  if (limit.kind == Kind::Profile) {
    // The sum of the tabulated one-dimensional profiles (correlations between the
    // quantities neglected), each relative to its branch's minimum, plus that minimum
    // once: the branch's own offset above the fit's global minimum.
    bool negativeBranch = false;
    if (branch) {
      const double b = branch->of(parameters, observables);
      if (std::isnan(b)) return {false, true, kNaN, kNaN};
      negativeBranch = b < 0.0;
    }
    const double base = negativeBranch ? offsetNegative : offset;
    double total = base;
    double worst = 0.0;
    for (const ProfileTermRef& t : profileTerms) {
      const double v = t.quantity.of(parameters, observables);
      if (std::isnan(v)) return {false, true, kNaN, kNaN};
      const double d = (negativeBranch ? t.negative : t.table)->profile(v) - base;
      total += d;
      worst = std::max(worst, d);
    }
    const bool pass = limit.profileCut == ProfileCut::Total ? total <= chi2Cut : worst <= chi2Cut;
    return {pass, true, total, total};
  }
  // A curve says nothing outside its published range, whatever the tested quantity.
  double bound = kNaN;
  double xv = kNaN;
  if (x) {
    xv = x->of(parameters, observables);
    if (std::isnan(xv)) return {false, true, kNaN, kNaN};
    if (limit.kind == Kind::Curve) {
      const bool log = limit.table->x.log;
      double s;
      if (cache && cache->valid && cache->quantity.parameter == x->parameter &&
          cache->quantity.index == x->index && cache->log == log && cache->value == xv) {
        s = cache->scaled;
      } else {
        s = limit.table->scaled(xv);
        if (cache) *cache = {true, *x, log, xv, s};
      }
      bound = limit.table->bound(xv, s);
      if (std::isnan(bound)) return {true, false, kNaN, 0.0};
    }
  }
  double v = tested.of(parameters, observables);
  if (std::isnan(v)) return {false, true, kNaN, kNaN};
  if (absolute) v = std::abs(v);
  // Upper limit: half-normal at zero with sigma = L/z (Statistics.hpp).
  auto upper = [&](double b) -> Verdict {
    return {v <= b * cutFactor, true, v / b, stats::chi2UpperZ(v, b, z)};
  };
  // Lower limit: the same on the reciprocal; +inf passes, x <= 0 is excluded outright.
  auto lower = [&](double b) -> Verdict {
    return {v >= b * cutFactor, true, v / b, stats::chi2LowerZ(v, b, z)};
  };
  switch (limit.kind) {
    case Kind::Upper:
      return upper(limit.value);
    case Kind::Lower:
      return lower(limit.value);
    case Kind::Window: {
      const double mid = 0.5 * (limit.low + limit.high);
      const double half = 0.5 * (limit.high - limit.low);
      const double s = (v - mid) / half;
      return {std::abs(s) <= cutFactor, true, s, (s * z) * (s * z)};
    }
    case Kind::Gaussian: {
      const double t = (v - limit.value) / limit.sigma;
      return {t * t <= chi2Cut, true, t * t, t * t};
    }
    case Kind::Curve:
      return limit.table->excluded == ExcludedSide::Above ? upper(bound) : lower(bound);
    case Kind::Region: {
      const bool in = limit.table->inside(xv, v);
      return {!in, true, in ? 1.0 : 0.0, in ? stats::kInfinity : 0.0};
    }
    case Kind::Profile:  // judged above
      break;
  }
  return {false, true, kNaN, kNaN};
}

std::vector<double> Constraint::profileTermsAt(std::span<const double> parameters,
                                               std::span<const double> observables) const {
  std::vector<double> terms;
  const double b = branch ? branch->of(parameters, observables) : 0.0;
  const bool negativeBranch = b < 0.0;
  const double base = negativeBranch ? offsetNegative : offset;
  for (const ProfileTermRef& t : profileTerms) {
    const double v = t.quantity.of(parameters, observables);
    terms.push_back(std::isnan(v) || std::isnan(b)
                        ? kNaN
                        : (negativeBranch ? t.negative : t.table)->profile(v) - base);
  }
  return terms;
}

double Constraint::cutBound(double xValue) const {
  switch (limit.kind) {
    case Kind::Upper:
    case Kind::Lower:
      return limit.value * cutFactor;
    case Kind::Curve:
      return limit.table->bound(xValue) * cutFactor;
    case Kind::Window:
    case Kind::Gaussian:
    case Kind::Region:
    case Kind::Profile:
      break;
  }
  return kNaN;
}

namespace {

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.4g", v);
  return buffer;
}

std::string percent(double cl) { return number(100.0 * cl) + "%"; }

}  // namespace

static std::string describeLikelihoodOfX(const Constraint& c);

std::string describeLikelihood(const Constraint& c) {
  const std::string text = describeLikelihoodOfX(c);
  return c.absolute ? text + " (x is |" + c.observable + "|)" : text;
}

static std::string describeLikelihoodOfX(const Constraint& c) {
  const Limit& l = c.limit;
  const std::string cut = c.cutCl == l.cl ? "" : "; cut at " + percent(c.cutCl) + " CL (common CL)";
  switch (l.kind) {
    case Kind::Upper:
      return "upper limit " + number(l.value) + " at " + percent(l.cl) +
             " CL: half-normal at 0, sigma = limit/" + number(c.z) +
             ", chi2 = (x/sigma)^2 for x > 0, 0 below" + cut;
    case Kind::Lower:
      return "lower limit " + number(l.value) + " at " + percent(l.cl) +
             " CL: half-normal on 1/x, chi2 = (" + number(c.z) +
             " limit/x)^2 for x > 0, infinite for x <= 0" + cut;
    case Kind::Window:
      return "window [" + number(l.low) + ", " + number(l.high) + "] at " + percent(l.cl) +
             " CL: Gaussian about the centre, sigma = half-width/" + number(c.z) + cut;
    case Kind::Gaussian:
      return "Gaussian " + number(l.value) + " +- " + number(l.sigma) +
             ": chi2 = ((x - mean)/sigma)^2; cut at chi2 < " + number(c.chi2Cut) + " (" +
             percent(c.cutCl) + " CL, 1 dof)";
    case Kind::Curve:
      return "limit curve " + l.table->name + " vs " + l.x + " (" + number(l.table->xMin()) +
             " to " + number(l.table->xMax()) + " " + l.table->x.dimension + ", excluded " +
             (l.table->excluded == ExcludedSide::Above ? "above" : "below") + ", " +
             (l.table->x.log ? "log" : "linear") + " x, " + (l.table->y.log ? "log" : "linear") +
             " y) at " + percent(l.cl) + " CL: " +
             (l.table->excluded == ExcludedSide::Above ? "half-normal at 0"
                                                       : "half-normal on 1/x") +
             " with the bound at x, z = " + number(c.z) +
             "; outside the curve's range not tested (chi2 0)" + cut;
    case Kind::Profile: {
      std::string quantities;
      for (const ProfileTerm& t : l.profiles) {
        quantities += (quantities.empty() ? "" : ", ") + t.quantity;
      }
      const std::string branch = l.branch.empty()
                                     ? ""
                                     : "; tables by the sign of " + l.branch + " (>= 0: minimum " +
                                           number(c.offset) + ", < 0: minimum " +
                                           number(c.offsetNegative) + ", counted once)";
      const std::string n = std::to_string(l.profiles.size());
      return "sum of " + n + " tabulated 1-D Delta chi^2 profiles (" + quantities + ")" + branch +
             ", linear between rows, the edge value outside a table, correlations neglected; " +
             (l.profileCut == ProfileCut::Total
                  ? "cut at total Delta chi^2 < " + number(c.chi2Cut) + " (" + percent(c.cutCl) +
                        " CL, " + n + " dof)"
                  : "cut at each term (relative to its tables' minimum) < " + number(c.chi2Cut) +
                        " (" + percent(c.cutCl) + " CL, 1 dof)");
    }
    case Kind::Region:
      return "excluded region " + l.table->name + " in (" + l.x + ", " + c.observable + ") at " +
             percent(l.cl) + " CL: chi2 0 outside, infinite inside (no likelihood published)";
  }
  return "";
}

namespace {

/// An observable, else a parameter, of the model; nullopt if neither.
std::optional<Quantity> resolve(const physics::Model& model, const std::string& name) {
  if (const auto i = model.observableIndex(name)) return Quantity{false, *i};
  if (const auto i = model.parameterIndex(name)) return Quantity{true, *i};
  return std::nullopt;
}

std::string unitOf(const physics::Model& model, const Quantity& q) {
  return q.parameter ? model.parameters()[q.index].unit : model.observables()[q.index].unit;
}

/// A table column's unit against the quantity it is compared with.
void checkUnit(const Constraint& c, const physics::Model& model, const Quantity& q,
               const std::string& name, const TableAxis& axis, const char* which) {
  const std::string unit = unitOf(model, q);
  if (axis.dimension != unit) {
    throw InputError("constraint '" + c.name + "': " + c.limit.table->name + " gives " + which +
                     " (" + axis.quantity + ") in " + axis.unit + ", but '" + name + "' is in " +
                     unit);
  }
}

/// A profile constraint's terms: each quantity resolved and its tables checked (shape,
/// units); the branch quantity; each branch's minimum, which its tables must share (a
/// global fit's tables of one branch are profiles of one chi^2: one minimum).
void resolveProfile(Constraint& c, const physics::Model& model, const std::string& modelName,
                    physics::BlockMask& blocks) {
  const Limit& l = c.limit;
  const std::string who = "constraint '" + c.name + "'";
  if (l.profiles.empty()) throw InputError(who + ": a profile needs at least one table");
  auto need = [&](const std::string& name, const char* what) -> Quantity {
    const auto q = resolve(model, name);
    if (!q) {
      throw InputError(who + " needs " + what + " '" + name + "', which model '" + modelName +
                       "' does not provide");
    }
    if (!q->parameter && !model.applies(q->index)) {
      throw InputError(who + " needs observable '" + name +
                       "', which does not apply to these options of model '" + modelName + "'");
    }
    if (!q->parameter) blocks |= model.blockOf(q->index);
    return *q;
  };
  if (!l.branch.empty()) c.branch = need(l.branch, "the branch quantity");
  std::set<std::string> seenQuantities;
  auto checkTable = [&](const LimitTable* t, const std::string& quantity, const Quantity& q) {
    if (t->shape != TableShape::Profile) {
      throw InputError(who + ": " + t->name + " is a " +
                       (t->shape == TableShape::Curve ? "curve" : "region") +
                       ", a profile constraint needs profiles (shape: profile)");
    }
    const std::string unit = unitOf(model, q);
    if (t->x.dimension != unit) {
      throw InputError(who + ": " + t->name + " gives " + t->x.quantity + " in " + t->x.unit +
                       ", but '" + quantity + "' is in " + unit);
    }
  };
  for (const ProfileTerm& term : l.profiles) {
    if (!seenQuantities.insert(term.quantity).second) {
      throw InputError(who + ": quantity '" + term.quantity + "' has two profiles");
    }
    if (!term.table)
      throw InputError(who + ": the profile of '" + term.quantity + "' has no table");
    if (l.branch.empty() != !term.negative) {
      throw InputError(who + ": the profile of '" + term.quantity + "' " +
                       (l.branch.empty() ? "has a table for a negative branch, but no branch"
                                         : "needs a table for each sign of " + l.branch));
    }
    const Quantity q = need(term.quantity, "quantity");
    checkTable(term.table.get(), term.quantity, q);
    if (term.negative) checkTable(term.negative.get(), term.quantity, q);
    c.profileTerms.push_back({q, term.table.get(), term.negative.get()});
  }
  // One minimum per branch, counted once in the total.
  auto common = [&](bool negative) {
    const LimitTable* first = negative ? c.profileTerms[0].negative : c.profileTerms[0].table;
    for (const auto& t : c.profileTerms) {
      const LimitTable* table = negative ? t.negative : t.table;
      if (std::abs(table->minimum - first->minimum) > 1e-6 * (1.0 + std::abs(first->minimum))) {
        throw InputError(who +
                         ": the tables of one branch must share their minimum (one fit), "
                         "but " +
                         first->name + " has " + number(first->minimum) + " and " + table->name +
                         " " + number(table->minimum));
      }
    }
    return first->minimum;
  };
  c.offset = common(false);
  if (c.branch) c.offsetNegative = common(true);
}

}  // namespace

Chain::Chain(const Catalogue& catalogue, const physics::Model& model,
             const std::vector<Request>& requests, const ChainOptions& options)
    : options_(options) {
  if (options_.commonCl && !(*options_.commonCl > 0.0 && *options_.commonCl < 1.0)) {
    throw InputError("the common CL must lie between 0 and 1 (e.g. 0.95)");
  }
  std::set<std::string> seen;
  const std::string modelName(model.name());
  for (const Request& r : requests) {
    const Entry* e = r.user ? r.user.get() : catalogue.find(r.name);
    if (!e) throw InputError(unknownNameMessage("constraint", r.name, catalogue.names()));
    if (r.user && catalogue.find(r.name)) {
      throw InputError("constraint '" + r.name +
                       "' is a catalogue name: give a user-defined constraint a name of its own "
                       "(or override the catalogue's limit)");
    }
    if (!seen.insert(r.name).second) throw InputError("constraint '" + r.name + "' given twice");
    const Use* use = e->useFor(modelName, model.options());
    if (!use) {
      throw InputError("constraint '" + r.name + "' does not apply to model '" + modelName +
                       "' with these options (it applies to " + describeUses(*e) + ")");
    }
    Constraint c;
    c.name = e->name;
    c.family = e->family;
    c.description = e->description;
    c.absolute = e->absolute;
    c.user = e->user;
    // "override" names an overridden default variant (the stored form of a scan's chain).
    c.variant = r.variant && *r.variant != "override" ? *r.variant : e->defaultVariant;
    const Limit* limit = e->limitFor(*use, c.variant);
    if (!limit) {
      throw InputError(unknownNameMessage("variant", c.variant, e->variantNames(),
                                          " of constraint '" + e->name + "'"));
    }
    c.limit = *limit;
    if (r.override && c.limit.kind == Kind::Profile) {
      throw InputError("constraint '" + e->name +
                       "' is a sum of published Delta chi^2 tables: its numbers cannot be "
                       "overridden (choose one of its variants: " +
                       [&] {
                         std::string v;
                         for (const auto& n : e->variantNames()) v += (v.empty() ? "" : ", ") + n;
                         return v;
                       }() +
                       ")");
    }
    // A limit equal to the variant's own numbers is that variant, not an override.
    const bool sameNumbers =
        r.override && r.override->value == c.limit.value && r.override->low == c.limit.low &&
        r.override->high == c.limit.high && r.override->sigma == c.limit.sigma &&
        (r.override->table ? c.limit.table && r.override->table->text == c.limit.table->text
                           : true) &&
        (r.override->x.empty() || r.override->x == c.limit.x);
    if (r.override && !sameNumbers) {
      c.limit.value = r.override->value;
      c.limit.low = r.override->low;
      c.limit.high = r.override->high;
      c.limit.sigma = r.override->sigma;
      if (r.override->table) {
        c.limit.table = r.override->table;
        c.limit.cl = r.override->table->cl;
      }
      if (!r.override->x.empty()) c.limit.x = r.override->x;
      c.limit.experiment = "user override of " + c.variant;
      c.limit.arxiv.clear();
      c.limit.reference = "scan configuration";
      c.limit.note = "variant " + c.variant + " replaced by the configuration";
      if (r.override->table) {
        c.limit.experiment += " (" + r.override->table->experiment + ")";
        c.limit.arxiv = r.override->table->arxiv;
        c.limit.reference = r.override->table->reference;
        c.limit.note += " with " + r.override->table->name;
      }
      c.variant = "override";
    }
    if (c.user) c.variant = "user";
    c.observable = use->observable;
    const auto tested = resolve(model, use->observable);
    if (!tested) {
      throw InputError("constraint '" + e->name + "' needs observable '" + use->observable +
                       "', which model '" + modelName + "' does not provide");
    }
    if (!tested->parameter && !model.applies(tested->index)) {
      throw InputError("constraint '" + e->name + "' needs observable '" + use->observable +
                       "', which does not apply to these options of model '" + modelName + "'");
    }
    c.tested = *tested;
    if (!tested->parameter) blocks_ |= model.blockOf(tested->index);
    if (e->condition) {
      const auto ci = resolve(model, e->condition->observable);
      if (!ci) {
        throw InputError("constraint '" + e->name + "' is conditioned on observable '" +
                         e->condition->observable + "', which model '" + modelName +
                         "' does not provide");
      }
      c.condition = *ci;
      c.conditionName = e->condition->observable;
      c.conditionBelow = e->condition->below;
      if (!ci->parameter) blocks_ |= model.blockOf(ci->index);
    }
    const Kind kind = c.limit.kind;
    if (kind == Kind::Curve || kind == Kind::Region) {
      if (!c.limit.table) {
        throw InputError("constraint '" + e->name + "': a " + toString(kind) +
                         " needs its limit file");
      }
      if (c.limit.x.empty()) {
        throw InputError("constraint '" + e->name + "': a " + toString(kind) +
                         " needs 'x', the observable or parameter of its abscissa");
      }
      if (c.limit.table->shape != (kind == Kind::Curve ? TableShape::Curve : TableShape::Region)) {
        const TableShape shape = c.limit.table->shape;
        throw InputError("constraint '" + e->name + "': " + c.limit.table->name + " is a " +
                         (shape == TableShape::Curve    ? "curve"
                          : shape == TableShape::Region ? "region"
                                                        : "Delta chi^2 profile") +
                         ", the constraint a " + toString(kind));
      }
      const auto xq = resolve(model, c.limit.x);
      if (!xq) {
        throw InputError(unknownNameMessage("observable or parameter", c.limit.x,
                                            model.observableNames(),
                                            " (the x of constraint '" + e->name + "')"));
      }
      if (!xq->parameter && !model.applies(xq->index)) {
        throw InputError("constraint '" + e->name + "' needs observable '" + c.limit.x +
                         "', which does not apply to these options of model '" + modelName + "'");
      }
      c.x = *xq;
      if (!xq->parameter) blocks_ |= model.blockOf(xq->index);
      c.limit.cl = c.limit.table->cl;
      checkUnit(c, model, *xq, c.limit.x, c.limit.table->x, "x");
      checkUnit(c, model, c.tested, c.observable, c.limit.table->y, "y");
    }
    if (kind == Kind::Profile) resolveProfile(c, model, modelName, blocks_);
    if (!(c.limit.cl > 0.0 && c.limit.cl < 1.0)) {
      throw InputError("constraint '" + e->name + "': the CL must lie between 0 and 1");
    }
    // Regions carry no likelihood to rescale: they keep their own CL.
    c.cutCl = kind == Kind::Region ? c.limit.cl : options_.commonCl.value_or(c.limit.cl);
    switch (kind) {
      case Kind::Upper:
        c.z = stats::limitZ(c.limit.cl);
        c.cutFactor = stats::rescaleUpper(1.0, c.limit.cl, c.cutCl);
        break;
      case Kind::Lower:
        c.z = stats::limitZ(c.limit.cl);
        c.cutFactor = stats::rescaleLower(1.0, c.limit.cl, c.cutCl);
        break;
      case Kind::Curve:
        c.z = stats::limitZ(c.limit.cl);
        c.cutFactor = c.limit.table->excluded == ExcludedSide::Above
                          ? stats::rescaleUpper(1.0, c.limit.cl, c.cutCl)
                          : stats::rescaleLower(1.0, c.limit.cl, c.cutCl);
        break;
      case Kind::Window:
        c.z = stats::twoSidedZ(c.limit.cl);
        c.cutFactor = stats::twoSidedZ(c.cutCl) / c.z;
        break;
      case Kind::Gaussian:
      case Kind::Region:
      case Kind::Profile:
        break;
    }
    // Without a common CL every cut is exactly the published number.
    if (c.cutCl == c.limit.cl) c.cutFactor = 1.0;
    if (kind == Kind::Gaussian) {
      if (!(c.limit.sigma > 0.0)) {
        throw InputError("constraint '" + e->name + "': a Gaussian needs sigma > 0 and 0 < cl < 1");
      }
      c.chi2Cut = boost::math::quantile(boost::math::chi_squared(1.0), c.cutCl);
    }
    if (kind == Kind::Profile) {
      const double dof = c.limit.profileCut == ProfileCut::Total
                             ? static_cast<double>(c.profileTerms.size())
                             : 1.0;
      c.chi2Cut = boost::math::quantile(boost::math::chi_squared(dof), c.cutCl);
    }
    if (kind == Kind::Window && !(c.limit.low < c.limit.high)) {
      throw InputError("constraint '" + e->name + "': a window needs low < high");
    }
    if ((kind == Kind::Upper || kind == Kind::Lower) &&
        !(std::isfinite(c.limit.value) && c.limit.value > 0.0)) {
      throw InputError("constraint '" + e->name +
                       "': an upper or lower limit must be a finite, positive number (for a "
                       "signed quantity use 'absolute' or a window)");
    }
    constraints_.push_back(std::move(c));
  }
  compile();
}

std::vector<Request> Chain::defaultRequests(const Catalogue& catalogue,
                                            const physics::Model& model) {
  std::vector<Request> requests;
  for (const Entry& e : catalogue.entries()) {
    if (e.optIn) continue;
    const Use* use = e.useFor(std::string(model.name()), model.options());
    if (!use) continue;
    const auto index = model.observableIndex(use->observable);
    if (!index || !model.applies(*index)) continue;
    requests.push_back({e.name, std::nullopt, std::nullopt, nullptr});
  }
  return requests;
}

void Chain::compile() {
  steps_.clear();
  uppers_.clear();
  lowers_.clear();
  general_.clear();
  steps_.reserve(constraints_.size());
  // Curves of one x quantity on one x scale share one slot of judge()'s cache of scaled x.
  struct SlotKey {
    Quantity quantity;
    bool log;
  };
  std::vector<SlotKey> slots;
  auto from = [](const Quantity& q) -> std::uint8_t { return q.parameter ? 1 : 0; };
  for (const Constraint& c : constraints_) {
    Step s;
    s.absolute = c.absolute;
    s.testedFrom = from(c.tested);
    s.tested = static_cast<std::uint32_t>(c.tested.index);
    if (c.condition) {
      s.conditionFrom = from(*c.condition);
      s.condition = static_cast<std::uint32_t>(c.condition->index);
      s.conditionBelow = c.conditionBelow;
    }
    if (c.x) {
      s.xFrom = from(*c.x);
      s.x = static_cast<std::uint32_t>(c.x->index);
    }
    s.z = c.z;
    s.cutFactor = c.cutFactor;
    s.table = c.limit.table.get();
    switch (c.limit.kind) {
      case Kind::Upper:
        s.op = Step::Op::Upper;
        s.value = c.limit.value;
        s.cut = c.limit.value * c.cutFactor;
        break;
      case Kind::Lower:
        s.op = Step::Op::Lower;
        s.value = c.limit.value;
        s.cut = c.limit.value * c.cutFactor;
        break;
      case Kind::Window:
        s.op = Step::Op::Window;
        s.value = 0.5 * (c.limit.low + c.limit.high);
        s.half = 0.5 * (c.limit.high - c.limit.low);
        break;
      case Kind::Gaussian:
        s.op = Step::Op::Gaussian;
        s.value = c.limit.value;
        s.half = c.limit.sigma;
        s.cut = c.chi2Cut;
        break;
      case Kind::Curve: {
        s.op = c.limit.table->excluded == ExcludedSide::Above ? Step::Op::CurveAbove
                                                              : Step::Op::CurveBelow;
        s.xLow = c.limit.table->xs.front();
        s.xHigh = c.limit.table->xs.back();
        const bool log = c.limit.table->x.log;
        std::size_t k = 0;
        while (k < slots.size() && !(slots[k].quantity.parameter == c.x->parameter &&
                                     slots[k].quantity.index == c.x->index && slots[k].log == log))
          ++k;
        if (k == slots.size() && slots.size() < kSlots) slots.push_back({*c.x, log});
        s.slot = k < slots.size() ? static_cast<std::int8_t>(k) : -1;
        break;
      }
      case Kind::Region:
        s.op = Step::Op::Region;
        break;
      case Kind::Profile:
        s.op = Step::Op::Profile;
        break;
    }
    const auto i = static_cast<std::uint32_t>(steps_.size());
    if ((s.op == Step::Op::Upper || s.op == Step::Op::Lower) && s.conditionFrom == Step::kNone) {
      Bound b;
      b.out = i;
      b.index = s.tested;
      b.from = s.testedFrom;
      b.absolute = s.absolute;
      b.value = s.value;
      b.cut = s.cut;
      b.z = s.z;
      b.zValue = s.z * s.value;
      (s.op == Step::Op::Upper ? uppers_ : lowers_).push_back(b);
    } else {
      general_.push_back(i);
    }
    steps_.push_back(s);
  }
}

Chain::Result Chain::judge(std::span<const double> parameters, std::span<const double> observables,
                           PointStatus kernelStatus, std::span<std::uint8_t> pass,
                           std::span<double> statistic, std::span<double> chi2) const {
  // The arithmetic of Constraint::judge, step for step, on the compiled form: the same
  // verdicts to the bit (ChainFastPathTest), with one dispatch per constraint and no
  // optional, lambda or cache copy on the way.
  const double* const from[2] = {observables.data(), parameters.data()};
  bool allowed = kernelStatus == PointStatus::Ok;
  bool sawNaN = false;
  double total = 0.0;
  double scaled[kSlots];
  unsigned haveScaled = 0;
  // A NaN tested quantity: not passed, statistic and chi2 NaN, the point not allowed.
  const auto failNaN = [&](std::size_t out) {
    pass[out] = 0;
    statistic[out] = kNaN;
    chi2[out] = kNaN;
    allowed = false;
    sawNaN = true;
  };
  // Upper limits: half-normal at zero with sigma = L/z (Statistics.hpp, chi2UpperZ).
  for (const Bound& b : uppers_) {
    double v = from[b.from][b.index];
    if (std::isnan(v)) [[unlikely]] {
      failNaN(b.out);
      continue;
    }
    if (b.absolute) v = std::abs(v);
    const bool ok = v <= b.cut;
    const double t = v * b.z / b.value;
    pass[b.out] = ok ? 1 : 0;
    statistic[b.out] = v / b.value;
    chi2[b.out] = v > 0.0 ? t * t : 0.0;
    allowed &= ok;
  }
  // Lower limits: the same on the reciprocal (chi2LowerZ); +inf passes, x <= 0 is excluded.
  for (const Bound& b : lowers_) {
    double v = from[b.from][b.index];
    if (std::isnan(v)) [[unlikely]] {
      failNaN(b.out);
      continue;
    }
    if (b.absolute) v = std::abs(v);
    const bool ok = v >= b.cut;
    const double t = b.zValue / v;
    pass[b.out] = ok ? 1 : 0;
    statistic[b.out] = v / b.value;
    chi2[b.out] = v > 0.0 ? t * t : stats::kInfinity;
    allowed &= ok;
  }
  const Step* const steps = steps_.data();
  for (const std::uint32_t i : general_) {
    const Step& s = steps[i];
    bool ok = true;
    double st = kNaN;
    double c2 = 0.0;  // not tested: passed, statistic NaN, chi2 0
    if (s.conditionFrom == Step::kNone || from[s.conditionFrom][s.condition] < s.conditionBelow) {
      double v = from[s.testedFrom][s.tested];
      // The tested quantity, |v| where the constraint asks; NaN: not passed, chi2 NaN.
      const auto take = [&](double& x) {
        if (std::isnan(x)) {
          ok = false;
          c2 = kNaN;
          return false;
        }
        if (s.absolute) x = std::abs(x);
        return true;
      };
      switch (s.op) {
        case Step::Op::Upper:
          // Upper limit: half-normal at zero with sigma = L/z (Statistics.hpp).
          if (!take(v)) break;
          ok = v <= s.cut;
          st = v / s.value;
          c2 = stats::chi2UpperZ(v, s.value, s.z);
          break;
        case Step::Op::Lower:
          // Lower limit: the same on the reciprocal; +inf passes, x <= 0 is excluded.
          if (!take(v)) break;
          ok = v >= s.cut;
          st = v / s.value;
          c2 = stats::chi2LowerZ(v, s.value, s.z);
          break;
        case Step::Op::Window: {
          if (!take(v)) break;
          const double t = (v - s.value) / s.half;
          ok = std::abs(t) <= s.cutFactor;
          st = t;
          c2 = (t * s.z) * (t * s.z);
          break;
        }
        case Step::Op::Gaussian: {
          if (!take(v)) break;
          const double t = (v - s.value) / s.half;
          ok = t * t <= s.cut;
          st = t * t;
          c2 = t * t;
          break;
        }
        case Step::Op::CurveAbove:
        case Step::Op::CurveBelow: {
          // A curve says nothing outside its published range, whatever the tested quantity.
          const double xv = from[s.xFrom][s.x];
          if (std::isnan(xv)) {
            ok = false;
            c2 = kNaN;
            break;
          }
          // Outside [xs.front(), xs.back()] LimitTable::bound is NaN: not tested (and no
          // log taken).
          if (!(xv >= s.xLow && xv <= s.xHigh)) break;
          double sx;
          if (s.slot >= 0 && (haveScaled >> s.slot & 1u)) {
            sx = scaled[s.slot];
          } else {
            sx = s.table->scaled(xv);
            if (s.slot >= 0) {
              scaled[s.slot] = sx;
              haveScaled |= 1u << s.slot;
            }
          }
          const double bound = s.table->bound(xv, sx);
          if (std::isnan(bound)) break;
          if (!take(v)) break;
          if (s.op == Step::Op::CurveAbove) {
            ok = v <= bound * s.cutFactor;
            st = v / bound;
            c2 = stats::chi2UpperZ(v, bound, s.z);
          } else {
            ok = v >= bound * s.cutFactor;
            st = v / bound;
            c2 = stats::chi2LowerZ(v, bound, s.z);
          }
          break;
        }
        case Step::Op::Region: {
          const double xv = from[s.xFrom][s.x];
          if (std::isnan(xv) || !take(v)) {
            ok = false;
            c2 = kNaN;
            break;
          }
          const bool in = s.table->inside(xv, v);
          ok = !in;
          st = in ? 1.0 : 0.0;
          c2 = in ? stats::kInfinity : 0.0;
          break;
        }
        case Step::Op::Profile: {
          const Constraint::Verdict verdict = constraints_[i].judge(parameters, observables);
          ok = verdict.pass;
          st = verdict.statistic;
          c2 = verdict.chi2;
          break;
        }
      }
    }
    pass[i] = ok ? 1 : 0;
    statistic[i] = st;
    chi2[i] = c2;
    allowed &= ok;
    sawNaN |= !ok & std::isnan(st);
  }
  // The sum in the chain's order, as the stored chi2_total has always been summed.
  const std::size_t n = steps_.size();
  for (std::size_t i = 0; i < n; ++i) total += chi2[i];
  Result r;
  r.allowed = allowed;
  r.status = kernelStatus != PointStatus::Ok
                 ? kernelStatus
                 : (sawNaN ? PointStatus::ConstraintObservableNaN : PointStatus::Ok);
  r.chi2Total = kernelStatus == PointStatus::Ok ? total : kNaN;
  return r;
}

}  // namespace portalscan::constraints
