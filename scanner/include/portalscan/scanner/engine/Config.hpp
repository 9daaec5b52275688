#pragma once
/// Scan configurations: the JSON format of docs/config.md, parsed and
/// validated before any work starts. Every error is an InputError whose
/// message is one line naming the problem (with a "did you mean" for names).

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/physics/Model.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace portalscan::scanner {

/// The most threads a run may ask for (OpenMP's runtime fails far below INT_MAX).
inline constexpr int kMaxThreads = 1024;
/// The most points per chunk: a chunk's buffers (every column, per thread) stay in the
/// hundreds of MB, and an HDF5 storage chunk far below its 4 GB limit.
inline constexpr std::uint64_t kMaxChunkPoints = 262144;

enum class Scale { Linear, Log };
enum class SamplerKind { Grid, Random, Sobol, LatinHypercube, Refine };

std::string toString(Scale s);
std::string toString(SamplerKind k);

/// A scanned parameter: its range, prior and (grid) node count.
struct Axis {
  std::string name;
  std::size_t parameter = 0;
  double low = 0.0;
  double high = 0.0;
  Scale scale = Scale::Linear;
  std::uint64_t points = 0;  ///< grid nodes along this axis (grid sampler only)
};

/// parameter = factor * source (e.g. f_R = f_L).
struct Derived {
  std::string name;
  std::size_t parameter = 0;
  std::size_t source = 0;
  double factor = 1.0;
};

enum class Keep { All, Allowed };

/// The verdict the refine sampler follows (docs/config.md, "refine").
enum class RefineCriterion { Allowed, Constraint, Chi2 };

/// The refine sampler: a grid over the axes' `points` (the base design), then
/// rounds that split the cells whose corners disagree on the criterion.
struct RefineConfig {
  std::uint32_t depth = 4;   ///< rounds after the base design (halvings of a cell)
  std::uint64_t budget = 0;  ///< the most points of the whole scan (base included)
  RefineCriterion criterion = RefineCriterion::Allowed;
  std::size_t constraint = 0;      ///< Constraint: index into the chain
  double chi2Level = 0.0;          ///< Chi2: a point is "in" when chi2_total <= this
  std::vector<std::size_t> plane;  ///< indices into axes that are refined (ascending)
  std::uint64_t baseSize = 0;      ///< points of the base design (the grid's product; Sobol:
                                   ///< base_points, before duplicates on the lattice are dropped)
  bool sobolBase = false;          ///< base design: Sobol points snapped to the lattice
  std::uint64_t basePoints = 0;    ///< Sobol base: how many of the sequence's points
};

struct OutputConfig {
  std::string path;
  Keep keep = Keep::All;
  std::vector<std::size_t> observables;  ///< indices into the model's observables, in model order
  physics::BlockMask blocks = 0;         ///< blocks to compute (chain + stored observables, closed)
  int compression = 1;                   ///< gzip level 0-9 (with shuffle)
  std::uint64_t chunkPoints = 4096;      ///< points per chunk: the unit of work, writing and resume
                                         ///< (at most the scan's points)
  std::uint64_t chunkPointsAsGiven = 4096;  ///< as the config says (its canonical form)
  double commitSeconds = 10.0;              ///< most time between commits (0: after every chunk)
};

struct ScanConfig {
  std::string model;
  physics::Options options;                      ///< complete (defaults filled)
  std::shared_ptr<const physics::Model> kernel;  ///< the configured model
  std::vector<double> baseValues;  ///< every parameter: default, or fixed by the config
  std::vector<Axis> axes;
  std::vector<Derived> derived;
  SamplerKind sampler = SamplerKind::Grid;
  std::uint64_t points = 0;  ///< total points (the grid's product, or the sampler's count; refine:
                             ///< its budget, the most points it may evaluate)
  std::uint64_t seed = 1;
  RefineConfig refine;  ///< the refine sampler's settings (sampler == Refine)
  std::vector<constraints::Request> constraintRequests;
  constraints::Chain chain;
  OutputConfig output;
  int threads = 0;  ///< 0: every available core

  /// The validated configuration with every default written out (stored in the file).
  nlohmann::ordered_json canonical;
  /// Hash of everything that decides the file's contents (not the output path,
  /// threads or compression): what --resume and merge compare.
  std::string identityHash;
};

/// Parses and validates a configuration. `source` names it in messages;
/// `baseDir` is where the limit files it names are found (the config's folder).
ScanConfig parseConfig(const nlohmann::ordered_json& json, const std::string& source,
                       const std::filesystem::path& baseDir = {});

/// Reads a JSON file and parses it; a missing or malformed file is an InputError.
ScanConfig loadConfig(const std::filesystem::path& path);

/// Rewrites the output path (the command line's -o), keeping the identity.
void setOutputPath(ScanConfig& config, const std::string& path);

/// Rewrites the thread count (the command line's -j; 0: every core), keeping the identity.
void setThreads(ScanConfig& config, int threads);

}  // namespace portalscan::scanner
