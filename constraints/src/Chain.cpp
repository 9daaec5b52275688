#include "portalscan/constraints/Chain.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"

#include <boost/math/distributions/chi_squared.hpp>

#include <cmath>
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

Constraint::Verdict Constraint::judge(std::span<const double> observables) const {
  if (conditionIndex && !(observables[*conditionIndex] < conditionBelow)) {
    return {true, kNaN};  // not tested at this point
  }
  double x = observables[observableIndex];
  if (std::isnan(x)) return {false, kNaN};
  if (absolute) x = std::abs(x);
  switch (limit.kind) {
    case Kind::Upper:
      return {x <= limit.value, x / limit.value};
    case Kind::Lower:
      return {x >= limit.value, x / limit.value};
    case Kind::Window: {
      const double mid = 0.5 * (limit.low + limit.high);
      const double half = 0.5 * (limit.high - limit.low);
      const double s = (x - mid) / half;
      return {std::abs(s) <= 1.0, s};
    }
    case Kind::Gaussian: {
      const double z = (x - limit.value) / limit.sigma;
      return {z * z <= chi2Cut, z * z};
    }
  }
  return {false, kNaN};
}

Chain::Chain(const Catalogue& catalogue, const physics::Model& model,
             const std::vector<Request>& requests) {
  std::set<std::string> seen;
  const std::string modelName(model.name());
  for (const Request& r : requests) {
    const Entry* e = catalogue.find(r.name);
    if (!e) throw InputError(unknownNameMessage("constraint", r.name, catalogue.names()));
    if (!seen.insert(r.name).second) throw InputError("constraint '" + r.name + "' given twice");
    const Use* use = e->useFor(modelName, model.options());
    if (!use) {
      throw InputError("constraint '" + r.name + "' does not apply to model '" + modelName +
                       "' with these options (it applies to " + describeUses(*e) + ")");
    }
    Constraint c;
    c.name = e->name;
    c.family = e->family;
    c.absolute = e->absolute;
    // "override" names an overridden default variant (the stored form of a scan's chain).
    c.variant = r.variant && *r.variant != "override" ? *r.variant : e->defaultVariant;
    const Limit* limit = e->limitFor(*use, c.variant);
    if (!limit) {
      throw InputError(unknownNameMessage("variant", c.variant, e->variantNames(),
                                          " of constraint '" + e->name + "'"));
    }
    c.limit = *limit;
    // A limit equal to the variant's own numbers is that variant, not an override.
    const bool sameNumbers = r.override && r.override->value == c.limit.value &&
                             r.override->low == c.limit.low && r.override->high == c.limit.high &&
                             r.override->sigma == c.limit.sigma;
    if (r.override && !sameNumbers) {
      c.limit.value = r.override->value;
      c.limit.low = r.override->low;
      c.limit.high = r.override->high;
      c.limit.sigma = r.override->sigma;
      c.limit.experiment = "user override of " + c.variant;
      c.limit.arxiv.clear();
      c.limit.reference = "scan configuration";
      c.limit.note = "variant " + c.variant + " replaced by the configuration";
      c.variant = "override";
    }
    c.observable = use->observable;
    const auto index = model.observableIndex(use->observable);
    if (!index) {
      throw InputError("constraint '" + e->name + "' needs observable '" + use->observable +
                       "', which model '" + modelName + "' does not provide");
    }
    if (!model.applies(*index)) {
      throw InputError("constraint '" + e->name + "' needs observable '" + use->observable +
                       "', which does not apply to these options of model '" + modelName + "'");
    }
    c.observableIndex = *index;
    blocks_ |= model.blockOf(*index);
    if (e->condition) {
      const auto ci = model.observableIndex(e->condition->observable);
      if (!ci) {
        throw InputError("constraint '" + e->name + "' is conditioned on observable '" +
                         e->condition->observable + "', which model '" + modelName +
                         "' does not provide");
      }
      c.conditionIndex = *ci;
      c.conditionBelow = e->condition->below;
      blocks_ |= model.blockOf(*ci);
    }
    const Kind kind = c.limit.kind;
    if (kind == Kind::Gaussian) {
      if (!(c.limit.sigma > 0.0) || !(c.limit.cl > 0.0 && c.limit.cl < 1.0)) {
        throw InputError("constraint '" + e->name + "': a Gaussian needs sigma > 0 and 0 < cl < 1");
      }
      c.chi2Cut = boost::math::quantile(boost::math::chi_squared(1.0), c.limit.cl);
    }
    if (kind == Kind::Window && !(c.limit.low < c.limit.high)) {
      throw InputError("constraint '" + e->name + "': a window needs low < high");
    }
    if ((kind == Kind::Upper || kind == Kind::Lower) &&
        !(std::isfinite(c.limit.value) && c.limit.value != 0.0)) {
      throw InputError("constraint '" + e->name + "': the limit must be a finite, nonzero number");
    }
    constraints_.push_back(std::move(c));
  }
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
    requests.push_back({e.name, std::nullopt, std::nullopt});
  }
  return requests;
}

Chain::Result Chain::judge(std::span<const double> observables, PointStatus kernelStatus,
                           std::span<std::uint8_t> pass, std::span<double> statistic) const {
  bool allowed = kernelStatus == PointStatus::Ok;
  bool sawNaN = false;
  for (std::size_t i = 0; i < constraints_.size(); ++i) {
    const Constraint::Verdict v = constraints_[i].judge(observables);
    pass[i] = v.pass ? 1 : 0;
    statistic[i] = v.statistic;
    allowed = allowed && v.pass;
    sawNaN = sawNaN || (!v.pass && std::isnan(v.statistic));
  }
  Result r;
  r.allowed = allowed;
  r.status = kernelStatus != PointStatus::Ok
                 ? kernelStatus
                 : (sawNaN ? PointStatus::ConstraintObservableNaN : PointStatus::Ok);
  return r;
}

}  // namespace portalscan::constraints
