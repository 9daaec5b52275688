#include "portalscan/constraints/Chain.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/PointReport.hpp"
#include "portalscan/scanner/cli/Text.hpp"
#include "portalscan/scanner/engine/CatalogueJson.hpp"
#include "portalscan/scanner/engine/Config.hpp"

#include "Commands.hpp"

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <set>

namespace portalscan::scanner {

using physics::ModelRegistry;

physics::Options parseOptions(const std::vector<std::string>& assignments) {
  physics::Options options;
  for (const auto& a : assignments) {
    auto [name, value] = parseAssignment(a, "--option");
    if (options.contains(name)) throw InputError("option '" + name + "' given twice");
    options[name] = value;
  }
  return options;
}

std::vector<double> parseParameterValues(const physics::Model& model,
                                         const std::vector<std::string>& assignments,
                                         std::vector<double> values) {
  if (values.empty()) values = model.defaultParameterValues();
  std::set<std::string> seen;
  for (const auto& a : assignments) {
    auto [name, text] = parseAssignment(a, "--set");
    const auto index = model.parameterIndex(name);
    if (!index) {
      throw InputError(unknownNameMessage("parameter", name, model.parameterNames(),
                                          " of model '" + std::string(model.name()) + "'"));
    }
    if (!seen.insert(name).second) throw InputError("parameter '" + name + "' set twice");
    values[*index] = parseFiniteNumber(text, "value of parameter '" + name + "'");
  }
  return values;
}

namespace {

physics::BlockMask parseBlocks(const physics::Model& model, const std::vector<std::string>& names) {
  if (names.empty()) return model.defaultBlocks();
  physics::BlockMask mask = 0;
  for (const auto& n : names) {
    if (n == "all") {
      mask |= model.allBlocks();
      continue;
    }
    const auto i = model.blockIndex(n);
    if (!i) {
      auto candidates = model.blockNames();
      candidates.push_back("all");
      throw InputError(unknownNameMessage("block", n, candidates,
                                          " of model '" + std::string(model.name()) + "'"));
    }
    mask |= physics::BlockMask{1} << *i;
  }
  return mask;
}

}  // namespace

int runPoint(const PointArgs& args, std::ostream& out) {
  if (!args.observables.empty() && !args.blocks.empty()) {
    throw InputError("give either --block or --observable, not both");
  }
  std::shared_ptr<const physics::Model> model;
  constraints::Chain chain;
  std::vector<double> values;
  if (!args.config.empty()) {
    // The scan's model, options, chain and fixed values; --set on top, derived ones follow.
    ScanConfig config = loadConfig(args.config);
    if (!args.model.empty() && args.model != config.model) {
      throw InputError("the config '" + args.config + "' scans model '" + config.model +
                       "', not '" + args.model + "'");
    }
    if (!args.options.empty()) {
      throw InputError("the config '" + args.config + "' sets the options; drop --option");
    }
    model = config.kernel;
    chain = config.chain;
    values = parseParameterValues(*model, args.sets, config.baseValues);
    for (const auto& d : config.derived) {
      const std::string& name = model->parameters()[d.parameter].name;
      const bool setByHand = std::any_of(args.sets.begin(), args.sets.end(), [&](const auto& a) {
        return a.rfind(name + "=", 0) == 0;
      });
      if (!setByHand) values[d.parameter] = d.factor * values[d.source];
    }
  } else {
    if (args.model.empty()) throw InputError("point needs a MODEL (or --config CONFIG.json)");
    model = ModelRegistry::builtin().create(args.model, parseOptions(args.options));
    chain = constraints::Chain(builtinCatalogue(), *model,
                               constraints::Chain::defaultRequests(builtinCatalogue(), *model));
    values = parseParameterValues(*model, args.sets);
  }
  PointReport report;
  if (!args.observables.empty()) {
    std::vector<std::size_t> selected;
    for (const auto& name : args.observables) {
      const auto i = model->observableIndex(name);
      if (!i) {
        throw InputError(unknownNameMessage("observable", name, model->observableNames(),
                                            " of model '" + std::string(model->name()) + "'"));
      }
      selected.push_back(*i);
    }
    report = evaluatePoint(*model, std::move(values), selected, &chain);
  } else {
    report = evaluatePoint(*model, std::move(values), parseBlocks(*model, args.blocks), &chain);
  }
  if (args.json) {
    out << toJson(report).dump(2) << "\n";
  } else {
    printText(report, out);
  }
  return kExitOk;
}

namespace {
std::string unitText(const std::string& unit) { return unit == "1" ? "-" : unit; }

void listConstraints(const ListArgs& args, std::ostream& out);
}  // namespace

int runList(const ListArgs& args, std::ostream& out) {
  const std::vector<std::string> kinds = {"models", "parameters", "observables", "constraints"};
  if (std::find(kinds.begin(), kinds.end(), args.what) == kinds.end()) {
    throw InputError(unknownNameMessage("list", args.what, kinds));
  }
  const auto& registry = ModelRegistry::builtin();
  if (args.what == "models") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& name : registry.names()) {
      const auto& e = registry.entry(name);
      nlohmann::json options = nlohmann::json::array();
      for (const auto& o : e.options) {
        options.push_back({{"name", o.name},
                           {"choices", o.choices},
                           {"default", o.defaultChoice},
                           {"description", o.description}});
      }
      j.push_back({{"name", e.name}, {"summary", e.summary}, {"options", options}});
      if (!args.json) {
        out << std::left << std::setw(22) << e.name << e.summary << "\n";
        for (const auto& o : e.options) {
          out << "    --option " << o.name << "=";
          for (std::size_t i = 0; i < o.choices.size(); ++i) {
            out << (i ? "|" : "") << o.choices[i];
          }
          out << "  (default " << o.defaultChoice << "): " << o.description << "\n";
        }
      }
    }
    if (args.json) out << j.dump(2) << "\n";
    return kExitOk;
  }
  if (args.what == "constraints") {
    listConstraints(args, out);
    return kExitOk;
  }
  if (args.model.empty()) {
    throw InputError("list " + args.what + " needs a MODEL (one of: " + [&] {
      std::string s;
      for (const auto& n : registry.names()) s += (s.empty() ? "" : ", ") + n;
      return s;
    }() + ")");
  }
  const auto model = registry.create(args.model, parseOptions(args.options));
  if (args.what == "parameters") {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& p : model->parameters()) {
      j.push_back({{"name", p.name},
                   {"unit", p.unit},
                   {"default", p.defaultValue},
                   {"description", p.description},
                   {"applies_to", p.appliesTo.empty() ? "all options" : p.appliesTo}});
      if (!args.json) {
        out << std::left << std::setw(16) << p.name << std::setw(6) << unitText(p.unit)
            << std::setw(12) << formatNumber(p.defaultValue) << p.description;
        if (!p.appliesTo.empty()) out << " (used with " << p.appliesTo << ")";
        out << "\n";
      }
    }
    if (args.json) out << j.dump(2) << "\n";
    return kExitOk;
  }
  // observables
  nlohmann::json j = nlohmann::json::array();
  for (std::size_t i = 0; i < model->observables().size(); ++i) {
    const auto& o = model->observables()[i];
    const auto& block = model->blocks()[*model->blockIndex(o.block)];
    j.push_back({{"name", o.name},
                 {"unit", o.unit},
                 {"block", o.block},
                 {"opt_in", block.optIn},
                 {"description", o.description},
                 {"reference", o.reference},
                 {"applies_to", o.appliesTo.empty() ? "all options" : o.appliesTo},
                 {"applies", model->applies(i)}});
    if (!args.json) {
      out << std::left << std::setw(26) << o.name << std::setw(6) << unitText(o.unit)
          << std::setw(13) << (o.block + (block.optIn ? "*" : "")) << o.description << " ["
          << o.reference << "]";
      if (!o.appliesTo.empty()) out << " (applies to " << o.appliesTo << ")";
      out << "\n";
    }
  }
  if (args.json) {
    out << j.dump(2) << "\n";
  } else {
    out << "(* opt-in block: not computed unless asked for)\n";
    // What a point's status can say (stored in /status): a point with any but ok is not allowed.
    out << "\npoint statuses (/status; any but ok makes a point not allowed)\n";
    for (std::size_t s = 0; s < kPointStatusNames.size(); ++s) {
      out << "  " << std::left << std::setw(2) << s << " " << std::setw(26) << kPointStatusNames[s]
          << kPointStatusDescriptions[s] << "\n";
    }
  }
  return kExitOk;
}

namespace {

nlohmann::json limitToJson(const constraints::Limit& l) {
  nlohmann::json j{{"kind", constraints::toString(l.kind)},
                   {"cl", l.cl},
                   {"experiment", l.experiment},
                   {"arxiv", l.arxiv},
                   {"reference", l.reference},
                   {"note", l.note}};
  switch (l.kind) {
    case constraints::Kind::Upper:
    case constraints::Kind::Lower:
      j["value"] = l.value;
      break;
    case constraints::Kind::Window:
      j["low"] = l.low;
      j["high"] = l.high;
      break;
    case constraints::Kind::Gaussian:
      j["mean"] = l.value;
      j["sigma"] = l.sigma;
      break;
    case constraints::Kind::Curve:
    case constraints::Kind::Region: {
      const auto& t = *l.table;
      j["file"] = t.name;
      j["x"] = l.x;
      j["x_range"] = {t.xMin(), t.xMax()};
      j["x_unit_in_file"] = t.x.unit;
      j["y_unit_in_file"] = t.y.unit;
      j["rows"] = t.xs.size();
      j["interpolation"] = {{"x", t.x.log ? "log" : "linear"}, {"y", t.y.log ? "log" : "linear"}};
      j["excluded"] = l.kind == constraints::Kind::Region              ? "inside"
                      : t.excluded == constraints::ExcludedSide::Above ? "above"
                                                                       : "below";
      j["digitised"] = t.digitised;
      j["licence"] = t.licence;
      break;
    }
    case constraints::Kind::Profile: {
      // Each quantity's tables, with where they come from and their range.
      auto tableJson = [](const constraints::LimitTable& t) {
        return nlohmann::json{{"file", t.name},
                              {"rows", t.xs.size()},
                              {"x_range", {t.xMin(), t.xMax()}},
                              {"x_unit_in_file", t.x.unit},
                              {"x_column", t.x.log10Column ? "log10" : "as is"},
                              {"minimum", t.minimum},
                              {"at", t.argMinimum},
                              {"digitised", t.digitised},
                              {"licence", t.licence}};
      };
      nlohmann::json profiles = nlohmann::json::array();
      for (const auto& p : l.profiles) {
        nlohmann::json pj{{"quantity", p.quantity}, {"table", tableJson(*p.table)}};
        if (p.negative) pj["table_negative"] = tableJson(*p.negative);
        profiles.push_back(pj);
      }
      j["profiles"] = profiles;
      if (!l.branch.empty()) j["branch"] = l.branch;
      j["cut"] = l.profileCut == constraints::ProfileCut::Total ? "total" : "each";
      break;
    }
  }
  return j;
}

std::string sourceText(const constraints::Limit& l) {
  std::string s = l.experiment;
  if (!l.arxiv.empty()) s += " (arXiv:" + l.arxiv + ")";
  if (!l.reference.empty()) s += (s.empty() ? "" : "; ") + l.reference;
  return s;
}

/// Every catalogue entry, or those that apply to MODEL (with its options), with
/// each use's observable and every variant's limit and source.
void listConstraints(const ListArgs& args, std::ostream& out) {
  const auto& catalogue = builtinCatalogue();
  std::unique_ptr<physics::Model> model;
  if (!args.model.empty())
    model = physics::ModelRegistry::builtin().create(args.model, parseOptions(args.options));
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : catalogue.entries()) {
    const constraints::Use* only =
        model ? e.useFor(std::string(model->name()), model->options()) : nullptr;
    if (model && !only) continue;
    nlohmann::json uses = nlohmann::json::array();
    for (const auto& u : e.uses) {
      if (only && &u != only) continue;
      nlohmann::json variants = nlohmann::json::object();
      for (const auto& v : e.variantNames()) {
        if (const auto* l = e.limitFor(u, v)) variants[v] = limitToJson(*l);
      }
      uses.push_back({{"model", u.model},
                      {"options", u.options},
                      {"observable", u.observable},
                      {"variants", variants}});
    }
    nlohmann::json entry{{"name", e.name},
                         {"family", e.family},
                         {"description", e.description},
                         {"default_variant", e.defaultVariant},
                         {"opt_in", e.optIn},
                         {"absolute", e.absolute},
                         {"uses", uses}};
    if (e.condition) {
      entry["condition"] = {{"observable", e.condition->observable}, {"below", e.condition->below}};
    }
    j.push_back(entry);
    if (args.json) continue;
    out << e.name << (e.optIn ? "  (opt-in)" : "") << " — " << e.description << "\n";
    for (const auto& u : e.uses) {
      if (only && &u != only) continue;
      std::string where = u.model;
      for (const auto& [option, values] : u.options) {
        where += " " + option + "=";
        for (std::size_t i = 0; i < values.size(); ++i) where += (i ? "|" : "") + values[i];
      }
      out << "    " << where << ": " << (e.absolute ? "|" + u.observable + "|" : u.observable);
      if (e.condition)
        out << " (tested where " << e.condition->observable << " < "
            << formatNumber(e.condition->below) << ")";
      out << "\n";
      for (const auto& v : e.variantNames()) {
        const auto* l = e.limitFor(u, v);
        if (!l) continue;
        const std::string text = limitText(*l);
        const std::string name = v + (v == e.defaultVariant ? "*" : "");
        // Columns of 12 and 14 characters, and a space after a longer entry (overclosure*).
        out << "        " << std::left << std::setw(12) << name << (name.size() >= 12 ? " " : "")
            << std::setw(14) << text << (text.size() >= 14 ? " " : "") << sourceText(*l) << "\n";
        if (l->table) {
          out << "        " << std::setw(12) << "" << l->table->name << ": " << l->table->xs.size()
              << " points, " << rangeText(*l) << ", " << formatNumber(100 * l->cl)
              << "% CL; outside that range not tested\n";
        }
        for (const auto& p : l->profiles) {
          auto range = [](const constraints::LimitTable& t) {
            const auto& x = t.x;
            return t.name + " (" + std::to_string(t.xs.size()) + " rows, " +
                   formatNumber(t.xMin() / x.toNative) + " to " +
                   formatNumber(t.xMax() / x.toNative) + (x.unit == "1" ? "" : " " + x.unit) +
                   ", minimum " + formatNumber(t.minimum) + ")";
          };
          out << "        " << std::setw(12) << "" << p.quantity << ": " << range(*p.table);
          if (p.negative) out << "; " << l->branch << " < 0: " << range(*p.negative);
          out << "\n";
        }
      }
    }
  }
  if (args.json) {
    out << j.dump(2) << "\n";
  } else {
    out << "(* default variant)\n";
  }
}

}  // namespace

}  // namespace portalscan::scanner
