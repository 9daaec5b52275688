#pragma once
// The commands behind the CLI (private to the scanner library).

#include "portalscan/physics/Model.hpp"

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace portalscan::scanner {

struct PointArgs {
  std::string model;
  std::string config;  ///< judge with this scan config's chain (its own constraints too)
  std::vector<std::string> sets;
  std::vector<std::string> options;
  std::vector<std::string> blocks;
  std::vector<std::string> observables;
  bool json = false;
};

struct ListArgs {
  std::string what;
  std::string model;
  std::vector<std::string> options;
  bool json = false;
};

struct RunArgs {
  std::string program = "portalscan";  ///< the binary as invoked (argv[0]), for printed commands
  std::string config;
  std::string output;
  int threads = -1;  ///< -1: the config's
  bool force = false;
  bool resume = false;
  std::string shard;  ///< "K/N", empty: the whole scan
  bool dryRun = false;
  double wait = 3600;  ///< refine shards: seconds to wait for the other shards' rounds
};

struct MergeArgs {
  std::string output;
  std::vector<std::string> inputs;
  bool force = false;
};

struct SpectrumArgs {
  std::string kind;
  std::string model;
  std::vector<std::string> sets;
  std::vector<std::string> options;  ///< "--option NAME=VALUE" of --model (n_R=3, ...)
  std::string masses;                ///< "M1,M2", GeV
  std::string mixings;               ///< "U1,U2", |U_l4|, |U_l5|
  std::optional<double> from, to;    ///< the energy column's range, GeV
  int points = 400;
  bool log = false;
  std::string format = "csv";
  std::string output;  ///< empty: standard output
};

struct InfoArgs {
  std::string file;
  bool json = false;
};

struct ExportArgs {
  std::vector<std::string> inputs;  ///< scan files of one model
  std::string x, y;                 ///< parameters or stored observables
  std::string bins;                 ///< "NX,NY"; empty: a grid's cells, else 40,40
  bool logX = false, logY = false, linX = false, linY = false;
  std::vector<std::string> units;  ///< "x=keV,y=s"
  std::string mode;                ///< profile | cuts | slice; empty: profile if chi2 exists
  std::string constraints;         ///< all | NAME,...
  std::vector<std::string> at;     ///< NAME=VALUE (slice)
  std::vector<std::string> overlays;
  std::string format;  ///< csv | json | hepdata | png; empty: from -o's extension
  std::string output;
};

int runPoint(const PointArgs& args, std::ostream& out);
int runList(const ListArgs& args, std::ostream& out);
int runScan(const RunArgs& args, std::ostream& out, std::ostream& err);
/// `run` under mpirun with more than one rank (MpiRun.cpp, MPI builds only).
int runScanDistributed(const RunArgs& args, std::ostream& out, std::ostream& err);
int runInfo(const InfoArgs& args, std::ostream& out);
int runMerge(const MergeArgs& args, std::ostream& out);
int runSpectrum(const SpectrumArgs& args, std::ostream& out);
int runExport(const ExportArgs& args, std::ostream& out);

/// `values` (empty: the model's defaults) with "--set NAME=VALUE" applied.
std::vector<double> parseParameterValues(const physics::Model& model,
                                         const std::vector<std::string>& assignments,
                                         std::vector<double> values = {});

/// "--option NAME=VALUE" list to options.
physics::Options parseOptions(const std::vector<std::string>& assignments);

}  // namespace portalscan::scanner
