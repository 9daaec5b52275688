#pragma once
/// The refine sampler (docs/config.md, "refine"): a base grid, then rounds that
/// halve the cells whose corners disagree on the criterion. Every point lies on
/// a lattice fixed by the config ((n - 1) 2^depth + 1 nodes on a refined axis,
/// the base nodes on a profiled one); round k's points are a pure function of
/// the config and the verdicts of rounds < k, sorted by their lattice index, and
/// numbered on from the previous round's last global index. A Refinement holds
/// the points planned so far and the verdicts seen so far; the driver evaluates
/// round k, gives it the verdicts, and asks for round k + 1.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Sampler.hpp"
#include "portalscan/scanner/store/Layout.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace portalscan::scanner {

/// Whether row `row` of a computed chunk is "in" under the criterion: allowed, the
/// chosen constraint's pass bit, or chi2_total <= the level (NaN is out).
bool refineVerdict(const RefineConfig& refine, const ChunkBuffer& chunk, std::uint64_t row);

class Refinement {
 public:
  explicit Refinement(const ScanConfig& config);

  /// Rounds planned so far (round 0 is the base grid).
  std::size_t rounds() const { return roundEnd_.size(); }
  std::uint64_t roundBegin(std::size_t k) const { return k == 0 ? 0 : roundEnd_[k - 1]; }
  std::uint64_t roundEnd(std::size_t k) const { return roundEnd_[k]; }
  /// Points planned so far: the end of the last round.
  std::uint64_t points() const { return lattice_.size(); }
  /// The round of global point i (i < points()).
  std::uint8_t roundOf(std::uint64_t i) const;
  /// The chunks of round k: [begin + j C, min(begin + (j + 1) C, end)).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks(std::size_t k) const;

  /// Records the verdict of point i (i < points()).
  void setVerdict(std::uint64_t i, bool in) { verdict_.at(i) = in ? 1 : 0; }
  /// The verdict of point i: 0 out, 1 in, 2 not yet set.
  std::uint8_t verdict(std::uint64_t i) const { return verdict_.at(i); }
  /// Plans the next round from the verdicts of every point so far (each must be
  /// set). Returns false, planning nothing, when the refinement is over: the
  /// depth is reached, no cell is mixed, or the budget is spent.
  bool nextRound();

  /// Unit-cube coordinates of points [begin, end) (as Sampler::fill).
  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const;
  std::size_t dimension() const { return m_.size(); }

  /// Cells split in each round after the base (round k: cells of level k - 1).
  const std::vector<std::uint64_t>& splitCells() const { return split_; }
  /// The cells of the finest level reached whose corners disagree: where the
  /// boundary lies once the last round is evaluated (every verdict set).
  std::uint64_t boundaryCells() const;
  /// The finest level of cells reached (the last round's number).
  std::size_t level() const { return rounds() - 1; }
  /// Whether the budget stopped the refinement (a round was cut short).
  bool budgetReached() const { return budgetReached_; }

 private:
  using Coords = std::vector<std::uint64_t>;
  std::uint64_t planeKey(std::uint64_t latticeIndex) const;
  std::uint64_t planeKeyOf(const Coords& planeCoords) const;
  bool mixed(const Coords& origin, std::uint64_t side) const;
  void planGridBase();
  void planSobolBase();

  const ScanConfig& config_;
  std::vector<std::uint64_t> m_;       ///< lattice nodes per axis (all axes)
  std::vector<std::uint64_t> stride_;  ///< lattice index strides (last axis fastest)
  std::vector<bool> refined_;          ///< per axis
  std::vector<std::size_t> plane_;     ///< refined axes
  std::vector<std::uint64_t> planeStride_;
  std::vector<std::uint64_t> lattice_;  ///< lattice index of every planned point, by global index
  std::vector<std::uint8_t> verdict_;   ///< per point: 0 out, 1 in, 2 not yet known
  std::vector<std::uint64_t> roundEnd_;
  std::unordered_map<std::uint64_t, std::uint8_t> nodes_;  ///< plane node -> any point in
  std::uint64_t absorbed_ = 0;                             ///< points folded into nodes_
  std::vector<Coords> candidates_;  ///< cells of the last level, by origin (plane coords)
  std::vector<std::uint64_t> split_;
  /// Sobol base: per base cell (mixed radix over the refined axes), the plane nodes of the base
  /// points in its closed box.
  std::vector<std::vector<std::uint64_t>> inside_;
  bool budgetReached_ = false;
  bool over_ = false;
};

/// A Sampler over the planned points of a Refinement (which must outlive it).
std::unique_ptr<Sampler> makeRefineSampler(const Refinement& refinement, std::uint64_t size);

/// "M_chi 0.0012 decades, kappa 0.0024 decades": the side of a cell of `level` along each refined
/// axis, in decades (log) or in the axis's unit (lin).
std::string refineResolution(const ScanConfig& config, std::size_t level);

}  // namespace portalscan::scanner
