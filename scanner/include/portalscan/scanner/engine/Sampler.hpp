#pragma once
/// Samplers see only the unit hypercube. Every sampler is index-addressable:
/// point i is a pure function of (seed, i), so the points do not depend on the
/// thread count, the chunking, the shard split or a resume.

#include "portalscan/scanner/engine/Config.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace portalscan::scanner {

class Sampler {
 public:
  virtual ~Sampler() = default;
  /// Unit-cube coordinates of points [begin, end), row-major, dimension()
  /// values per point, each in [0, 1] (grid nodes include both ends; the
  /// random samplers stay in [0, 1)).
  virtual void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const = 0;
  std::size_t dimension() const { return dimension_; }
  std::uint64_t size() const { return size_; }
  /// The refinement round of point i (0 for every sampler but refine).
  virtual std::uint8_t round(std::uint64_t /*i*/) const { return 0; }

 protected:
  Sampler(std::size_t dimension, std::uint64_t size) : dimension_(dimension), size_(size) {}

 private:
  std::size_t dimension_;
  std::uint64_t size_;
};

/// Mixed-radix grid over `nodes[a]` nodes per axis; the last axis varies fastest.
std::unique_ptr<Sampler> makeGridSampler(std::vector<std::uint64_t> nodes);
/// Uniform random points from Random123's Philox4x32-10 keyed by the seed,
/// counter = (point index, coordinate block).
std::unique_ptr<Sampler> makeRandomSampler(std::size_t dimension, std::uint64_t size,
                                           std::uint64_t seed);
/// Boost.Random's Sobol sequence (its n-th vector for point n), with a random
/// digital shift keyed by the seed (XOR per coordinate): the net properties
/// are kept, and no point sits on the cube's corner.
std::unique_ptr<Sampler> makeSobolSampler(std::size_t dimension, std::uint64_t size,
                                          std::uint64_t seed);
/// Latin hypercube: coordinate j of point i is (pi_j(i) + jitter)/N with pi_j a
/// keyed pseudo-random permutation of [0, N) (a Feistel network with cycle
/// walking, Philox as round function): one point per stratum per axis, with
/// no table of size N.
std::unique_ptr<Sampler> makeLatinHypercubeSampler(std::size_t dimension, std::uint64_t size,
                                                   std::uint64_t seed);

/// The config's sampler; for refine, its base grid (round 0), whose later rounds only a
/// Refinement can plan (engine/Refine.hpp).
std::unique_ptr<Sampler> makeSampler(const ScanConfig& config);

/// Maps unit-cube coordinates to the full parameter vector: axes by their
/// lin/log prior, fixed values, derived parameters.
class ParameterSpace {
 public:
  explicit ParameterSpace(const ScanConfig& config);
  /// `parameters` must hold every parameter of the model (base values are copied in).
  void map(std::span<const double> u, std::span<double> parameters) const;
  std::size_t dimension() const { return axes_.size(); }

 private:
  std::vector<double> base_;
  std::vector<Axis> axes_;
  std::vector<Derived> derived_;
};

/// A keyed pseudo-random permutation of [0, n) (exposed for tests).
std::uint64_t permute(std::uint64_t x, std::uint64_t n, std::uint64_t key, std::uint64_t stream);

}  // namespace portalscan::scanner
