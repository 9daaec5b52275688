#include "portalscan/scanner/engine/CatalogueJson.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace portalscan::scanner {

extern const char kCatalogueJson[];  // generated from constraints/data/catalogue.json
extern const std::pair<std::string_view, std::string_view> kLimitFiles[];  // from data/limits/
extern const std::size_t kLimitFileCount;

namespace {

using constraints::Kind;
using constraints::Limit;
using nlohmann::json;

void checkKeys(const json& j, const std::set<std::string>& allowed, const std::string& where) {
  if (!j.is_object()) throw std::logic_error("catalogue: " + where + " is not an object");
  for (const auto& [key, value] : j.items()) {
    if (!allowed.contains(key))
      throw std::logic_error("catalogue: unknown key '" + key + "' in " + where);
  }
}

Kind parseKind(const std::string& s, const std::string& where) {
  if (s == "upper") return Kind::Upper;
  if (s == "lower") return Kind::Lower;
  if (s == "window") return Kind::Window;
  if (s == "gaussian") return Kind::Gaussian;
  if (s == "curve") return Kind::Curve;
  if (s == "region") return Kind::Region;
  if (s == "profile") return Kind::Profile;
  throw std::logic_error("catalogue: unknown kind '" + s + "' in " + where);
}

Limit parseLimit(const json& j, Kind defaultKind, const std::string& where,
                 const LimitTables& tables) {
  checkKeys(j,
            {"kind", "value", "low", "high", "sigma", "cl", "experiment", "arxiv", "reference",
             "note", "file", "x", "profiles", "branch", "cut"},
            where);
  Limit l;
  l.kind = j.contains("kind") ? parseKind(j.at("kind").get<std::string>(), where) : defaultKind;
  l.value = j.value("value", 0.0);
  l.low = j.value("low", 0.0);
  l.high = j.value("high", 0.0);
  l.sigma = j.value("sigma", 0.0);
  l.cl = j.value("cl", 0.95);
  l.experiment = j.value("experiment", "");
  l.arxiv = j.value("arxiv", "");
  l.reference = j.value("reference", "");
  l.note = j.value("note", "");
  if (l.kind == Kind::Curve || l.kind == Kind::Region) {
    const std::string file = j.value("file", "");
    const auto it = tables.find(file);
    if (it == tables.end()) {
      throw std::logic_error("catalogue: " + where + " names limit file '" + file +
                             "', which is not in constraints/data/limits/");
    }
    l.table = it->second;
    l.x = j.value("x", "");
    if (l.x.empty()) throw std::logic_error("catalogue: " + where + " has no 'x'");
    l.cl = l.table->cl;
    // The file is the source: its header names the experiment and the paper.
    if (l.experiment.empty()) l.experiment = l.table->experiment;
    if (l.arxiv.empty()) l.arxiv = l.table->arxiv;
    if (l.reference.empty()) l.reference = l.table->reference;
  } else if (j.contains("file") || j.contains("x")) {
    throw std::logic_error("catalogue: " + where + ": 'file' and 'x' belong to curves and regions");
  }
  if (l.kind == Kind::Profile) {
    // {"profiles": [{"quantity", "file", "file_negative"}, ...], "branch", "cut", "cl"}
    auto table = [&](const json& p, const char* key) {
      const std::string file = p.at(key).get<std::string>();
      const auto it = tables.find(file);
      if (it == tables.end()) {
        throw std::logic_error("catalogue: " + where + " names profile file '" + file +
                               "', which is not in constraints/data/limits/");
      }
      if (it->second->shape != constraints::TableShape::Profile) {
        throw std::logic_error("catalogue: " + where + ": '" + file + "' is not a profile");
      }
      return it->second;
    };
    if (!j.contains("profiles") || !j.at("profiles").is_array() || j.at("profiles").empty()) {
      throw std::logic_error("catalogue: " + where + ": a profile needs 'profiles', a list");
    }
    l.branch = j.value("branch", "");
    for (const json& p : j.at("profiles")) {
      checkKeys(p, {"quantity", "file", "file_negative"}, where + " profile");
      if (!p.contains("quantity") || !p.contains("file")) {
        throw std::logic_error("catalogue: " + where + ": a profile names 'quantity' and 'file'");
      }
      constraints::ProfileTerm t;
      t.quantity = p.at("quantity").get<std::string>();
      t.table = table(p, "file");
      if (p.contains("file_negative")) t.negative = table(p, "file_negative");
      if (l.branch.empty() != !t.negative) {
        throw std::logic_error("catalogue: " + where + ": 'file_negative' goes with 'branch'");
      }
      l.profiles.push_back(std::move(t));
    }
    const std::string cut = j.value("cut", "total");
    if (cut != "total" && cut != "each") {
      throw std::logic_error("catalogue: " + where + ": cut is 'total' or 'each', not '" + cut +
                             "'");
    }
    l.profileCut = cut == "total" ? constraints::ProfileCut::Total : constraints::ProfileCut::Each;
    const auto& first = *l.profiles.front().table;
    if (l.experiment.empty()) l.experiment = first.experiment;
    if (l.arxiv.empty()) l.arxiv = first.arxiv;
    if (l.reference.empty()) l.reference = first.reference;
  } else if (j.contains("profiles") || j.contains("branch") || j.contains("cut")) {
    throw std::logic_error("catalogue: " + where +
                           ": 'profiles', 'branch' and 'cut' belong to profiles");
  }
  if (l.experiment.empty() && l.reference.empty()) {
    throw std::logic_error("catalogue: " + where + " has no source");
  }
  return l;
}

}  // namespace

constraints::Catalogue parseCatalogue(std::string_view text, const LimitTables& tables) {
  const json root = json::parse(text);
  checkKeys(root, {"format", "comment", "constraints"}, "the catalogue");
  std::vector<constraints::Entry> entries;
  for (const json& c : root.at("constraints")) {
    constraints::Entry e;
    e.name = c.at("name").get<std::string>();
    const std::string where = "constraint '" + e.name + "'";
    checkKeys(c,
              {"name", "family", "description", "kind", "absolute", "opt_in", "default_variant",
               "variants", "condition", "uses"},
              where);
    e.family = c.at("family").get<std::string>();
    e.description = c.at("description").get<std::string>();
    const Kind kind = parseKind(c.at("kind").get<std::string>(), where);
    e.absolute = c.value("absolute", false);
    e.optIn = c.value("opt_in", false);
    e.defaultVariant = c.value("default_variant", "current");
    for (const auto& [name, limit] : c.at("variants").items()) {
      e.variants[name] = parseLimit(limit, kind, where + " variant '" + name + "'", tables);
    }
    if (c.contains("condition")) {
      const json& cond = c.at("condition");
      checkKeys(cond, {"observable", "below"}, where + " condition");
      e.condition = constraints::Condition{cond.at("observable").get<std::string>(),
                                           cond.at("below").get<double>()};
    }
    for (const json& u : c.at("uses")) {
      checkKeys(u, {"model", "options", "observable", "variants"}, where + " use");
      constraints::Use use;
      use.model = u.at("model").get<std::string>();
      use.observable = u.at("observable").get<std::string>();
      if (u.contains("options")) {
        for (const auto& [option, values] : u.at("options").items()) {
          use.options[option] = values.get<std::vector<std::string>>();
        }
      }
      if (u.contains("variants")) {
        for (const auto& [name, limit] : u.at("variants").items()) {
          // A per-use override keeps the entry's variant fields it does not set.
          json merged =
              c.at("variants").contains(name) ? c.at("variants").at(name) : json::object();
          merged.update(limit);
          use.variants[name] =
              parseLimit(merged, kind, where + " use variant '" + name + "'", tables);
        }
      }
      if (!e.limitFor(use, e.defaultVariant)) {
        throw std::logic_error("catalogue: " + where + " has no default variant '" +
                               e.defaultVariant + "' for model " + use.model);
      }
      e.uses.push_back(std::move(use));
    }
    entries.push_back(std::move(e));
  }
  return constraints::Catalogue(std::move(entries));
}

const LimitTables& builtinLimitTables() {
  static const LimitTables tables = [] {
    LimitTables t;
    for (std::size_t i = 0; i < kLimitFileCount; ++i) {
      const std::string name(kLimitFiles[i].first);
      t[name] = std::make_shared<const constraints::LimitTable>(
          constraints::parseLimitTable(kLimitFiles[i].second, name));
    }
    return t;
  }();
  return tables;
}

const constraints::Catalogue& builtinCatalogue() {
  static const constraints::Catalogue catalogue =
      parseCatalogue(kCatalogueJson, builtinLimitTables());
  return catalogue;
}

}  // namespace portalscan::scanner
