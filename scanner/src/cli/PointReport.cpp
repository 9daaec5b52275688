#include "portalscan/scanner/cli/PointReport.hpp"

#include "portalscan/scanner/cli/Text.hpp"

#include <cmath>
#include <iomanip>
#include <ostream>

namespace portalscan::scanner {

PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          physics::BlockMask blocks, const constraints::Chain* chain) {
  PointReport r;
  r.model = &model;
  r.parameters = std::move(parameters);
  r.observables.assign(model.observables().size(), 0.0);
  const physics::BlockMask shownBlocks = model.closure(blocks);
  r.blocks = model.closure(blocks | (chain ? chain->blocks() : 0));
  r.status = model.evaluate(r.parameters, r.blocks, r.observables);
  for (std::size_t i = 0; i < r.observables.size(); ++i) {
    r.shown.push_back((model.blockOf(i) & shownBlocks) != 0);
  }
  r.allowed = r.status == PointStatus::Ok;
  if (chain) {
    r.chain = chain;
    r.pass.resize(chain->constraints().size());
    r.statistic.resize(chain->constraints().size());
    r.chi2.resize(chain->constraints().size());
    const auto verdict =
        chain->judge(r.parameters, r.observables, r.status, r.pass, r.statistic, r.chi2);
    for (const auto& c : chain->constraints()) {
      r.tested.push_back(c.judge(r.parameters, r.observables).tested);
    }
    r.allowed = verdict.allowed;
    r.status = verdict.status;
    r.chi2Total = verdict.chi2Total;
  }
  return r;
}

PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          const std::vector<std::size_t>& observables,
                          const constraints::Chain* chain) {
  physics::BlockMask blocks = 0;
  for (std::size_t i : observables) blocks |= model.blockOf(i);
  PointReport r = evaluatePoint(model, std::move(parameters), blocks, chain);
  r.shown.assign(r.observables.size(), false);
  for (std::size_t i : observables) r.shown[i] = true;
  return r;
}

namespace {
nlohmann::json limitJson(const constraints::Limit& l) {
  switch (l.kind) {
    case constraints::Kind::Upper:
    case constraints::Kind::Lower:
      return numberToJson(l.value);
    case constraints::Kind::Window:
      return nlohmann::json::array({l.low, l.high});
    case constraints::Kind::Gaussian:
      return {{"mean", l.value}, {"sigma", l.sigma}};
    case constraints::Kind::Curve:
    case constraints::Kind::Region:
      return {{"file", l.table->name},
              {"x", l.x},
              {"x_range", nlohmann::json::array({l.table->xMin(), l.table->xMax()})},
              {"excluded", l.kind == constraints::Kind::Region                     ? "inside"
                           : l.table->excluded == constraints::ExcludedSide::Above ? "above"
                                                                                   : "below"}};
    case constraints::Kind::Profile: {
      nlohmann::json profiles = nlohmann::json::array();
      for (const auto& p : l.profiles) {
        nlohmann::json pj{{"quantity", p.quantity}, {"file", p.table->name}};
        if (p.negative) pj["file_negative"] = p.negative->name;
        profiles.push_back(pj);
      }
      nlohmann::json j{{"profiles", profiles},
                       {"cut", l.profileCut == constraints::ProfileCut::Total ? "total" : "each"}};
      if (!l.branch.empty()) j["branch"] = l.branch;
      return j;
    }
  }
  return nullptr;
}

/// The relation a constraint asks for at this point, e.g. "< 0.022", "< 1.2e-05 at m_Zprime =
/// 0.05".
std::string boundText(const constraints::Constraint& c, std::span<const double> parameters,
                      std::span<const double> observables) {
  using constraints::Kind;
  if (c.x && std::isnan(c.x->of(parameters, observables))) {
    return "(its abscissa " + c.limit.x + " is NaN here)";
  }
  if (c.limit.kind == Kind::Curve) {
    const double x = c.x->of(parameters, observables);
    const double b = c.cutBound(x);
    const bool above = c.limit.table->excluded == constraints::ExcludedSide::Above;
    if (std::isnan(b)) {
      const std::string unit =
          c.limit.table->x.dimension == "1" ? "" : " " + c.limit.table->x.dimension;
      return "(not tested: " + c.limit.x + " = " + formatNumber(x) + unit +
             " lies outside the curve's " + formatNumber(c.limit.table->xMin()) + " to " +
             formatNumber(c.limit.table->xMax()) + unit + ")";
    }
    const std::string published = c.cutFactor != 1.0
                                      ? formatNumber(c.limit.table->bound(x)) + " at " +
                                            formatNumber(100 * c.limit.cl) + "% CL, "
                                      : "";
    return (above ? "< " : "> ") + formatNumber(b) + " at " + c.limit.x + " = " + formatNumber(x) +
           " (" + published + c.limit.table->name + ")";
  }
  if (c.limit.kind == Kind::Profile) {
    // Each term's Delta chi^2 above its tables' minimum, and that minimum (counted once).
    const std::vector<double> terms = c.profileTermsAt(parameters, observables);
    const bool negative = c.branch && c.branch->of(parameters, observables) < 0.0;
    std::string text = c.limit.profileCut == constraints::ProfileCut::Total
                           ? "total Delta chi^2 < " + formatNumber(c.chi2Cut) + " ("
                           : "each term < " + formatNumber(c.chi2Cut) + " (";
    for (std::size_t i = 0; i < terms.size(); ++i) {
      text += (i ? ", " : "") + c.limit.profiles[i].quantity + " " + formatNumber(terms[i]);
    }
    return text + "; minimum of the " + (negative ? c.limit.branch + " < 0" : "") +
           (c.branch && !negative ? c.limit.branch + " >= 0" : "") + (c.branch ? " " : "") +
           "tables " + formatNumber(negative ? c.offsetNegative : c.offset) + ")";
  }
  if (c.limit.kind == Kind::Region) {
    return "outside the region of " + c.limit.table->name + " at " + c.limit.x + " = " +
           formatNumber(c.x->of(parameters, observables));
  }
  if (c.cutFactor != 1.0 && c.limit.kind == Kind::Window) {
    const double mid = 0.5 * (c.limit.low + c.limit.high);
    const double half = 0.5 * (c.limit.high - c.limit.low) * c.cutFactor;
    return "in [" + formatNumber(mid - half) + ", " + formatNumber(mid + half) + "] (" +
           limitText(c.limit).substr(3) + " at " + formatNumber(100 * c.limit.cl) + "% CL)";
  }
  if (c.cutFactor != 1.0 && (c.limit.kind == Kind::Upper || c.limit.kind == Kind::Lower)) {
    return (c.limit.kind == Kind::Upper ? "< " : "> ") + formatNumber(c.cutBound()) + " (" +
           formatNumber(c.limit.value) + " at " + formatNumber(100 * c.limit.cl) + "% CL)";
  }
  return limitText(c.limit);
}

}  // namespace

std::string rangeText(const constraints::Limit& l) {
  if (!l.table) return "";
  const auto& x = l.table->x;
  return l.x + " from " + formatNumber(l.table->xMin() / x.toNative) + " to " +
         formatNumber(l.table->xMax() / x.toNative) + (x.unit == "1" ? "" : " " + x.unit);
}

std::string limitText(const constraints::Limit& l) {
  switch (l.kind) {
    case constraints::Kind::Upper:
      return "< " + formatNumber(l.value);
    case constraints::Kind::Lower:
      return "> " + formatNumber(l.value);
    case constraints::Kind::Window:
      return "in [" + formatNumber(l.low) + ", " + formatNumber(l.high) + "]";
    case constraints::Kind::Gaussian:
      return "= " + formatNumber(l.value) + " +- " + formatNumber(l.sigma);
    case constraints::Kind::Curve:
      return std::string(l.table->excluded == constraints::ExcludedSide::Above ? "< " : "> ") +
             "curve(" + l.x + ")";
    case constraints::Kind::Region:
      return "outside region(" + l.x + ")";
    case constraints::Kind::Profile:
      // "sum of 6 Delta chi^2, 95% CL (6 dof)" / "each Delta chi^2, 99.73% CL (1 dof)"
      return (l.profileCut == constraints::ProfileCut::Total
                  ? "sum of " + std::to_string(l.profiles.size()) + " Delta chi^2, "
                  : std::string("each Delta chi^2, ")) +
             formatNumber(100 * l.cl) + "% CL (" +
             (l.profileCut == constraints::ProfileCut::Total ? std::to_string(l.profiles.size())
                                                             : std::string("1")) +
             " dof)";
  }
  return "";
}

nlohmann::json toJson(const PointReport& r) {
  const auto& model = *r.model;
  nlohmann::json j;
  j["model"] = std::string(model.name());
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : model.options()) options[k] = v;
  if (!options.empty()) j["options"] = options;
  nlohmann::json parameters = nlohmann::json::object();
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    parameters[model.parameters()[i].name] = numberToJson(r.parameters[i]);
  }
  j["parameters"] = parameters;
  nlohmann::json observables = nlohmann::json::object();
  for (std::size_t i = 0; i < r.observables.size(); ++i) {
    if (!r.shown[i]) continue;
    observables[model.observables()[i].name] = numberToJson(r.observables[i]);
  }
  j["observables"] = observables;
  nlohmann::json constraintsJson = nlohmann::json::object();
  if (r.chain) {
    for (std::size_t k = 0; k < r.chain->constraints().size(); ++k) {
      const auto& c = r.chain->constraints()[k];
      const double x = c.tested.of(r.parameters, r.observables);
      nlohmann::json cj = {{"allowed", r.pass[k] != 0},
                           {"value", numberToJson(c.absolute ? std::abs(x) : x)},
                           {"limit", limitJson(c.limit)},
                           {"kind", constraints::toString(c.limit.kind)},
                           {"observable", c.observable},
                           {"statistic", numberToJson(r.statistic[k])},
                           {"chi2", numberToJson(r.chi2[k])},
                           {"tested", static_cast<bool>(r.tested[k])},
                           {"cl", c.limit.cl},
                           {"cut_cl", c.cutCl},
                           {"variant", c.variant}};
      cj["absolute"] = c.absolute;
      if (c.limit.kind == constraints::Kind::Curve) {
        // The published bound at x, and the bound the cut applies (they differ with a common CL).
        const double xv = c.x->of(r.parameters, r.observables);
        cj["x"] = numberToJson(xv);
        cj["bound"] = numberToJson(c.limit.table->bound(xv));
        cj["cut_bound"] = numberToJson(c.cutBound(xv));
      } else if (c.limit.kind == constraints::Kind::Upper ||
                 c.limit.kind == constraints::Kind::Lower) {
        cj["cut_bound"] = numberToJson(c.cutBound());
      } else if (c.limit.kind == constraints::Kind::Profile) {
        // Each quantity's Delta chi^2 above its tables' minimum; the minimum counted once.
        const std::vector<double> terms = c.profileTermsAt(r.parameters, r.observables);
        nlohmann::json tj = nlohmann::json::object();
        for (std::size_t i = 0; i < terms.size(); ++i) {
          tj[c.limit.profiles[i].quantity] = numberToJson(terms[i]);
        }
        cj["terms"] = tj;
        const bool negative = c.branch && c.branch->of(r.parameters, r.observables) < 0.0;
        cj["offset"] = negative ? c.offsetNegative : c.offset;
        cj["cut_chi2"] = c.chi2Cut;
      }
      if (c.user) cj["user"] = true;
      constraintsJson[c.name] = cj;
    }
  }
  j["constraints"] = constraintsJson;
  if (r.chain) j["chi2_total"] = numberToJson(r.chi2Total);
  j["allowed"] = r.allowed;
  j["status"] = std::string(toString(r.status));
  if (r.status == PointStatus::UnphysicalParameter) {
    if (const std::string why = model.unphysicalParameter(r.parameters, r.blocks); !why.empty())
      j["unphysical_parameter"] = why;
  }
  return j;
}

void printText(const PointReport& r, std::ostream& out) {
  const auto& model = *r.model;
  out << model.name() << "  (" << model.reference() << ")\n";
  for (const auto& [k, v] : model.options()) out << "  option " << k << " = " << v << "\n";
  out << "status: " << toString(r.status);
  if (r.status == PointStatus::UnphysicalParameter) {
    if (const std::string why = model.unphysicalParameter(r.parameters, r.blocks); !why.empty())
      out << " (" << why << ")";
  }
  out << "\n\nparameters\n";
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    const auto& p = model.parameters()[i];
    out << "  " << std::left << std::setw(26) << p.name << std::setw(14)
        << formatNumber(r.parameters[i]) << (p.unit == "1" ? "" : p.unit) << "\n";
  }
  for (std::size_t b = 0; b < model.blocks().size(); ++b) {
    bool any = false;
    for (std::size_t i = 0; i < r.observables.size(); ++i) {
      any = any || (r.shown[i] && model.observables()[i].block == model.blocks()[b].name);
    }
    if (!any) continue;
    out << "\n" << model.blocks()[b].name << "\n";
    for (std::size_t i = 0; i < r.observables.size(); ++i) {
      const auto& o = model.observables()[i];
      if (o.block != model.blocks()[b].name || !r.shown[i]) continue;
      const std::string unit = o.unit == "1" ? "" : o.unit;
      out << "  " << std::left << std::setw(26) << o.name << std::setw(14)
          << formatNumber(r.observables[i]) << std::setw(6) << unit << o.description;
      if (!model.applies(i)) out << " [only for " << o.appliesTo << "]";
      out << "\n";
    }
  }
  if (r.chain) {
    out << "\nconstraints\n";
    for (std::size_t k = 0; k < r.chain->constraints().size(); ++k) {
      const auto& c = r.chain->constraints()[k];
      const double x = c.tested.of(r.parameters, r.observables);
      const std::string verdict = !r.tested[k] ? "-" : (r.pass[k] ? "pass" : "FAIL");
      const std::string bound = boundText(c, r.parameters, r.observables);
      out << "  " << std::left << std::setw(22) << c.name << std::setw(6) << verdict
          << (c.absolute ? "|" + c.observable + "|" : c.observable) << " = "
          << formatNumber(c.absolute ? std::abs(x) : x)
          << (r.tested[k] && !r.pass[k] ? ", must be " : " ") << bound << "  chi2 "
          << formatNumber(r.chi2[k]) << "  (" << c.variant << ")\n";
    }
    out << "  chi2_total = " << formatNumber(r.chi2Total)
        << " (sum over the chain; see docs/constraints.md)\n";
  }
  out << "\nallowed: " << (r.allowed ? "yes" : "no") << "\n";
}

}  // namespace portalscan::scanner
