#include "portalscan/scanner/Cli.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/PointReport.hpp"
#include "portalscan/scanner/Text.hpp"

#include "portalscan_version.hpp"
#include <CLI/CLI.hpp>

#include <iomanip>
#include <iostream>
#include <set>

namespace portalscan::scanner {
namespace {

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
                                         const std::vector<std::string>& assignments) {
  std::vector<double> values = model.defaultParameterValues();
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

struct PointArgs {
  std::string model;
  std::vector<std::string> sets;
  std::vector<std::string> options;
  std::vector<std::string> blocks;
  std::vector<std::string> observables;
  bool json = false;
};

int runPoint(const PointArgs& args, std::ostream& out) {
  const auto model = ModelRegistry::builtin().create(args.model, parseOptions(args.options));
  auto values = parseParameterValues(*model, args.sets);
  if (!args.observables.empty() && !args.blocks.empty()) {
    throw InputError("give either --block or --observable, not both");
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
    report = evaluatePoint(*model, std::move(values), selected);
  } else {
    report = evaluatePoint(*model, std::move(values), parseBlocks(*model, args.blocks));
  }
  if (args.json) {
    out << toJson(report).dump(2) << "\n";
  } else {
    printText(report, out);
  }
  return kExitOk;
}

struct ListArgs {
  std::string what;
  std::string model;
  std::vector<std::string> options;
  bool json = false;
};

std::string unitText(const std::string& unit) { return unit == "1" ? "-" : unit; }

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
    throw InputError("the constraint chain is not built yet");
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
  }
  return kExitOk;
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"portalscan: parallel parameter-space scanner for hidden-sector neutrino models",
               "portalscan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion) + " (" + kGitDescribe + ")");

  PointArgs pointArgs;
  auto* point = app.add_subcommand("point", "Evaluate one parameter point of a model");
  point->add_option("MODEL", pointArgs.model, "Model name (portalscan list models)")->required();
  point->add_option("--set", pointArgs.sets, "NAME=VALUE: a parameter value (repeatable)")
      ->type_name("NAME=VALUE");
  point->add_option("--option", pointArgs.options, "NAME=VALUE: a model option (repeatable)")
      ->type_name("NAME=VALUE");
  point
      ->add_option("--block", pointArgs.blocks,
                   "Observable block to compute (repeatable; 'all' includes opt-in blocks)")
      ->type_name("NAME");
  point
      ->add_option("--observable", pointArgs.observables,
                   "Report only this observable (repeatable; computes only what it needs)")
      ->type_name("NAME");
  point->add_flag("--json", pointArgs.json, "Print one JSON object");

  ListArgs listArgs;
  auto* list = app.add_subcommand(
      "list", "List models, constraints, or a model's parameters and observables");
  list->add_option("WHAT", listArgs.what, "models | constraints | parameters | observables")
      ->required();
  list->add_option("MODEL", listArgs.model, "Model (for parameters and observables)");
  list->add_option("--option", listArgs.options, "NAME=VALUE: a model option (repeatable)")
      ->type_name("NAME=VALUE");
  list->add_flag("--json", listArgs.json, "Print JSON");

  // CLI11 reports an unknown first word only as "a subcommand is required": name it.
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> commands;
    for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      commands.push_back(sub->get_name());
    }
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      err << "portalscan: error: " << unknownNameMessage("command", argv[1], commands) << "\n";
      return kExitBadInput;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, out, err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    err << "portalscan: error: " << e.what() << " (see portalscan --help)\n";
    return kExitBadInput;
  }

  try {
    if (point->parsed()) return runPoint(pointArgs, out);
    if (list->parsed()) return runList(listArgs, out);
  } catch (const InputError& e) {
    err << "portalscan: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const IoError& e) {
    err << "portalscan: error: " << e.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "portalscan: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace portalscan::scanner
