#include "portalscan/scanner/cli/Cli.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"
#include "portalscan/scanner/engine/Config.hpp"

#include "Commands.hpp"
#include "portalscan_version.hpp"
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <sstream>

namespace portalscan::scanner {

namespace {

/// An error message as one line a terminal shows as it is: control characters (a newline in a
/// name would forge more "portalscan: error:" lines) escaped, and at most 2000 characters.
std::string oneLine(const std::string& message) {
  std::string out;
  for (const char c : message) {
    if (out.size() >= 2000) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (u < 0x20 || u == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out;
}

/// CLI11's "The following arguments were not expected: --forc" with, for an option, the
/// nearest one the command knows ("did you mean '--force'?").
std::string unexpectedArgumentMessage(CLI::App& app, int argc, const char* const* argv,
                                      const std::string& what) {
  const std::string command = argc > 1 ? argv[1] : "";
  const std::string help = " (see portalscan " + (command.empty() ? "" : command + " ") + "--help)";
  // The first of the unexpected words that looks like an option.
  const auto colon = what.find(": ");
  std::istringstream extras(colon == std::string::npos ? "" : what.substr(colon + 2));
  std::string word;
  while (extras >> word && !(word.size() >= 2 && word[0] == '-')) {
  }
  if (word.size() < 2 || word[0] != '-') return what + help;
  const std::string name = word.substr(0, word.find('='));
  std::vector<std::string> known;
  CLI::App* sub = nullptr;
  try {
    sub = app.get_subcommand(command);
  } catch (const CLI::OptionNotFound&) {
    sub = &app;
  }
  for (const CLI::Option* o : sub->get_options()) {
    for (const auto& l : o->get_lnames()) known.push_back("--" + l);
    for (const auto& n : o->get_snames()) known.push_back("-" + n);
  }
  return unknownNameMessage("option", name, known, command.empty() ? "" : " for " + command) + help;
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"portalscan: parallel parameter-space scanner for hidden-sector neutrino models",
               "portalscan"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(kVersion) + " (" + kGitDescribe + ")");

  RunArgs runArgs;
  if (argc > 0 && argv[0] && argv[0][0] != '\0') runArgs.program = argv[0];
  auto* run = app.add_subcommand("run", "Scan a model's parameter space into an HDF5 file");
  run->add_option("CONFIG", runArgs.config, "Scan configuration (JSON, see docs/config.md)")
      ->required();
  run->add_option("-o,--output", runArgs.output, "Output file (overrides the config's)");
  run->add_option("-j,--threads", runArgs.threads, "Threads (overrides the config's; 0: all cores)")
      ->check(CLI::Range(0, kMaxThreads));
  run->add_flag("--force", runArgs.force, "Overwrite an existing output file");
  run->add_flag("--resume", runArgs.resume,
                "Continue an interrupted scan in its output file (starts it if there is none)");
  run->add_option("--shard", runArgs.shard, "Run the K-th of N slices of the scan (1 <= K <= N)")
      ->type_name("K/N");
  run->add_option("--wait", runArgs.wait,
                  "Refine shards: seconds to wait for the other shards' verdicts of a round "
                  "before giving up (default 3600)")
      ->check(CLI::Range(0.0, 1e9))
      ->type_name("SECONDS");
  run->add_flag("--dry-run", runArgs.dryRun,
                "Check the config and output and say what the run would do; write nothing");

  PointArgs pointArgs;
  auto* point = app.add_subcommand("point", "Evaluate one parameter point of a model");
  point->add_option("MODEL", pointArgs.model,
                    "Model name (portalscan list models); may be left out with --config");
  point
      ->add_option("--config", pointArgs.config,
                   "Judge the point with this scan config's constraints (its own ones too), "
                   "options and fixed parameter values")
      ->type_name("CONFIG.json");
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
  list->add_option("MODEL", listArgs.model,
                   "Model (parameters, observables; optional for constraints)");
  list->add_option("--option", listArgs.options, "NAME=VALUE: a model option (repeatable)")
      ->type_name("NAME=VALUE");
  list->add_flag("--json", listArgs.json, "Print JSON");

  MergeArgs mergeArgs;
  auto* merge = app.add_subcommand("merge", "Join the shard files of one scan into one file");
  merge->add_option("-o,--output", mergeArgs.output, "The merged file")->required();
  merge->add_option("INPUTS", mergeArgs.inputs, "Shard files (or MPI part files)")->required();
  merge->add_flag("--force", mergeArgs.force, "Overwrite an existing output file");

  SpectrumArgs spectrumArgs;
  auto* spectrum = app.add_subcommand(
      "spectrum", "Low-energy curves of the chi states: tritium beta spectrum, CEvNS (CN Sec. IV)");
  spectrum->add_option("KIND", spectrumArgs.kind, "tritium_beta | cevns_sns | cevns_reactor")
      ->required();
  spectrum->add_option("--model", spectrumArgs.model, "A model point (hidden_kev_fermion)");
  spectrum
      ->add_option("--set", spectrumArgs.sets, "NAME=VALUE: a parameter of --model (repeatable)")
      ->type_name("NAME=VALUE");
  spectrum
      ->add_option("--option", spectrumArgs.options,
                   "NAME=VALUE: an option of --model, e.g. n_R=3 (repeatable)")
      ->type_name("NAME=VALUE");
  spectrum->add_option("--masses", spectrumArgs.masses, "The two chi masses, GeV")
      ->type_name("M1,M2");
  spectrum
      ->add_option("--mixings", spectrumArgs.mixings,
                   "|U_l4|,|U_l5|: the chi states' mixing with each flavour")
      ->type_name("U1,U2");
  spectrum->add_option("--from", spectrumArgs.from, "First energy (E_e - m_e or T), GeV");
  spectrum->add_option("--to", spectrumArgs.to, "Last energy, GeV");
  spectrum->add_option("--points", spectrumArgs.points, "Number of rows (default 400)");
  spectrum->add_flag("--log", spectrumArgs.log, "Logarithmic energy steps");
  spectrum->add_option("--format", spectrumArgs.format, "csv (default) | json");
  spectrum->add_option("-o,--output", spectrumArgs.output, "Write to this file (default: stdout)");

  InfoArgs infoArgs;
  auto* info = app.add_subcommand("info", "Summarise a scan file");
  info->add_option("FILE", infoArgs.file, "HDF5 file written by portalscan run")->required();
  info->add_flag("--json", infoArgs.json, "Print JSON");

  ExportArgs exportArgs;
  auto* exportCmd = app.add_subcommand(
      "export", "Exclusion plot data of scan files: profile likelihood or cut maps and contours");
  exportCmd->add_option("FILES", exportArgs.inputs, "Scan files (several: one model, combined)")
      ->required();
  exportCmd->add_option("--x", exportArgs.x, "Horizontal axis: a parameter or stored observable")
      ->required();
  exportCmd->add_option("--y", exportArgs.y, "Vertical axis: a parameter or stored observable")
      ->required();
  exportCmd
      ->add_option("--bins", exportArgs.bins,
                   "Bins NX,NY (default: a grid axis's own cells, else 40)")
      ->type_name("NX,NY");
  exportCmd->add_flag("--log-x", exportArgs.logX, "Logarithmic x axis (default: as scanned)");
  exportCmd->add_flag("--log-y", exportArgs.logY, "Logarithmic y axis (default: as scanned)");
  exportCmd->add_flag("--lin-x", exportArgs.linX, "Linear x axis");
  exportCmd->add_flag("--lin-y", exportArgs.linY, "Linear y axis");
  exportCmd->add_option("--units", exportArgs.units, "Display units, e.g. x=keV,y=s")
      ->type_name("x=UNIT,y=UNIT");
  exportCmd->add_option("--mode", exportArgs.mode,
                        "profile (default with chi2) | cuts | slice (with --at)");
  exportCmd->add_option("--constraints", exportArgs.constraints,
                        "Constraints drawn on their own: all (default) or NAME,...");
  exportCmd->add_option("--at", exportArgs.at, "NAME=VALUE: hold a parameter (--mode slice)")
      ->type_name("NAME=VALUE");
  exportCmd
      ->add_option("--overlay", exportArgs.overlays,
                   "A published limit curve to draw (constraints/data/limits/ name, or a file)")
      ->type_name("NAME");
  exportCmd->add_option("--format", exportArgs.format, "csv | json | hepdata | png");
  exportCmd->add_option("-o,--output", exportArgs.output, "Output file (hepdata: a folder)")
      ->required();

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
  } catch (const CLI::ExtrasError& e) {
    err << "portalscan: error: " << oneLine(unexpectedArgumentMessage(app, argc, argv, e.what()))
        << "\n";
    return kExitBadInput;
  } catch (const CLI::ParseError& e) {
    err << "portalscan: error: " << oneLine(e.what()) << " (see portalscan --help)\n";
    return kExitBadInput;
  }

  // Under mpirun only `run` is shared among the ranks; the other commands run once, on rank 0.
  if (const auto* session = mpi::Session::current();
      session && session->rank() > 0 && !run->parsed()) {
    return kExitOk;
  }
  try {
    if (run->parsed()) return runScan(runArgs, out, err);
    if (point->parsed()) return runPoint(pointArgs, out);
    if (list->parsed()) return runList(listArgs, out);
    if (info->parsed()) return runInfo(infoArgs, out);
    if (merge->parsed()) return runMerge(mergeArgs, out);
    if (spectrum->parsed()) return runSpectrum(spectrumArgs, out);
    if (exportCmd->parsed()) return runExport(exportArgs, out);
  } catch (const InputError& e) {
    err << "portalscan: error: " << oneLine(e.what()) << "\n";
    return kExitBadInput;
  } catch (const IoError& e) {
    err << "portalscan: error: " << oneLine(e.what()) << "\n";
    return kExitFailure;
  } catch (const std::exception& e) {
    err << "portalscan: internal error: " << oneLine(e.what()) << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace portalscan::scanner
