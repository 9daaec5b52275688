#include "portalscan/scanner/engine/Sampler.hpp"

#include <Random123/philox.h>
#include <boost/random/sobol.hpp>

#include <bit>
#include <cassert>
#include <cmath>

namespace portalscan::scanner {
namespace {

using Philox = r123::Philox4x32;

/// 53 random bits from two 32-bit words, as a double in [0, 1).
double unitDouble(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 32 | lo) >> 11;
  return static_cast<double>(bits) * 0x1.0p-53;
}

/// Four 32-bit words from Philox at counter (a, b, c, domain) under key `seed`.
Philox::ctr_type philox(std::uint64_t a, std::uint32_t b, std::uint32_t domain,
                        std::uint64_t seed) {
  Philox generator;
  const Philox::ctr_type ctr = {
      {static_cast<std::uint32_t>(a), static_cast<std::uint32_t>(a >> 32), b, domain}};
  const Philox::key_type key = {
      {static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
  return generator(ctr, key);
}

// Domain tags keep the uses of one seed apart.
constexpr std::uint32_t kRandomDomain = 0x52414e44;  // "RAND"
constexpr std::uint32_t kSobolDomain = 0x534f424c;   // "SOBL"
constexpr std::uint32_t kLhsJitter = 0x4c48534a;     // "LHSJ"
constexpr std::uint32_t kLhsPermute = 0x4c485350;    // "LHSP"

class GridSampler final : public Sampler {
 public:
  explicit GridSampler(std::vector<std::uint64_t> nodes)
      : Sampler(nodes.size(), product(nodes)), nodes_(std::move(nodes)) {}

  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const override {
    const std::size_t d = dimension();
    for (std::uint64_t i = begin; i < end; ++i) {
      std::uint64_t rest = i;
      double* row = u.data() + (i - begin) * d;
      for (std::size_t a = d; a-- > 0;) {
        const std::uint64_t n = nodes_[a];
        const std::uint64_t k = rest % n;
        rest /= n;
        row[a] = n == 1 ? 0.0 : static_cast<double>(k) / static_cast<double>(n - 1);
      }
    }
  }

 private:
  static std::uint64_t product(const std::vector<std::uint64_t>& nodes) {
    std::uint64_t p = 1;
    for (auto n : nodes) p *= n;
    return p;
  }
  std::vector<std::uint64_t> nodes_;
};

class RandomSampler final : public Sampler {
 public:
  RandomSampler(std::size_t dimension, std::uint64_t size, std::uint64_t seed)
      : Sampler(dimension, size), seed_(seed) {}

  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const override {
    const std::size_t d = dimension();
    for (std::uint64_t i = begin; i < end; ++i) {
      double* row = u.data() + (i - begin) * d;
      for (std::size_t j = 0; j < d; j += 2) {
        const auto r = philox(i, static_cast<std::uint32_t>(j / 2), kRandomDomain, seed_);
        row[j] = unitDouble(r[0], r[1]);
        if (j + 1 < d) row[j + 1] = unitDouble(r[2], r[3]);
      }
    }
  }

 private:
  std::uint64_t seed_;
};

class SobolSampler final : public Sampler {
 public:
  SobolSampler(std::size_t dimension, std::uint64_t size, std::uint64_t seed)
      : Sampler(dimension, size) {
    for (std::size_t j = 0; j < dimension; ++j) {
      const auto r = philox(j, 0, kSobolDomain, seed);
      shift_.push_back(static_cast<std::uint64_t>(r[0]) << 32 | r[1]);
    }
  }

  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const override {
    const std::size_t d = dimension();
    if (d == 0 || begin == end) return;
    boost::random::sobol engine(d);
    engine.seed(begin);  // the begin-th vector; later ones follow sequentially
    for (std::uint64_t i = begin; i < end; ++i) {
      double* row = u.data() + (i - begin) * d;
      for (std::size_t j = 0; j < d; ++j) {
        const std::uint64_t v = static_cast<std::uint64_t>(engine()) ^ shift_[j];
        row[j] = static_cast<double>(v >> 11) * 0x1.0p-53;
      }
    }
  }

 private:
  std::vector<std::uint64_t> shift_;
};

class LatinHypercubeSampler final : public Sampler {
 public:
  LatinHypercubeSampler(std::size_t dimension, std::uint64_t size, std::uint64_t seed)
      : Sampler(dimension, size), seed_(seed) {}

  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const override {
    const std::size_t d = dimension();
    const double n = static_cast<double>(size());
    for (std::uint64_t i = begin; i < end; ++i) {
      double* row = u.data() + (i - begin) * d;
      for (std::size_t j = 0; j < d; ++j) {
        const std::uint64_t stratum = permute(i, size(), seed_, j);
        const auto r = philox(i, static_cast<std::uint32_t>(j), kLhsJitter, seed_);
        row[j] = (static_cast<double>(stratum) + unitDouble(r[0], r[1])) / n;
      }
    }
  }

 private:
  std::uint64_t seed_;
};

}  // namespace

std::uint64_t permute(std::uint64_t x, std::uint64_t n, std::uint64_t key, std::uint64_t stream) {
  assert(x < n);
  if (n <= 1) return x;
  // Balanced Feistel network on 2h bits, 2^(2h) >= n; cycle walking maps back
  // into [0, n) and keeps the bijection (expected fewer than 4 rounds of walking).
  const unsigned bits = static_cast<unsigned>(std::bit_width(n - 1));
  const unsigned half = std::max(1u, (bits + 1) / 2);
  const std::uint64_t mask = (std::uint64_t{1} << half) - 1;
  do {
    std::uint64_t left = x >> half;
    std::uint64_t right = x & mask;
    for (std::uint32_t round = 0; round < 4; ++round) {
      const auto r = philox(right, round, kLhsPermute ^ static_cast<std::uint32_t>(stream), key);
      const std::uint64_t f = (static_cast<std::uint64_t>(r[0]) << 32 | r[1]) & mask;
      const std::uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (x >= n);
  return x;
}

std::unique_ptr<Sampler> makeGridSampler(std::vector<std::uint64_t> nodes) {
  return std::make_unique<GridSampler>(std::move(nodes));
}
std::unique_ptr<Sampler> makeRandomSampler(std::size_t dimension, std::uint64_t size,
                                           std::uint64_t seed) {
  return std::make_unique<RandomSampler>(dimension, size, seed);
}
std::unique_ptr<Sampler> makeSobolSampler(std::size_t dimension, std::uint64_t size,
                                          std::uint64_t seed) {
  return std::make_unique<SobolSampler>(dimension, size, seed);
}
std::unique_ptr<Sampler> makeLatinHypercubeSampler(std::size_t dimension, std::uint64_t size,
                                                   std::uint64_t seed) {
  return std::make_unique<LatinHypercubeSampler>(dimension, size, seed);
}

std::unique_ptr<Sampler> makeSampler(const ScanConfig& config) {
  const std::size_t d = config.axes.size();
  switch (config.sampler) {
    case SamplerKind::Grid:
    case SamplerKind::Refine: {
      std::vector<std::uint64_t> nodes;
      for (const Axis& a : config.axes) nodes.push_back(a.points);
      return makeGridSampler(std::move(nodes));
    }
    case SamplerKind::Random:
      return makeRandomSampler(d, config.points, config.seed);
    case SamplerKind::Sobol:
      return makeSobolSampler(d, config.points, config.seed);
    case SamplerKind::LatinHypercube:
      return makeLatinHypercubeSampler(d, config.points, config.seed);
  }
  return nullptr;
}

ParameterSpace::ParameterSpace(const ScanConfig& config)
    : base_(config.baseValues), axes_(config.axes), derived_(config.derived) {}

void ParameterSpace::map(std::span<const double> u, std::span<double> parameters) const {
  std::copy(base_.begin(), base_.end(), parameters.begin());
  for (std::size_t a = 0; a < axes_.size(); ++a) {
    const Axis& axis = axes_[a];
    double value;
    if (axis.scale == Scale::Log) {
      const double lo = std::log(axis.low), hi = std::log(axis.high);
      value = std::exp(lo + u[a] * (hi - lo));
    } else {
      value = axis.low + u[a] * (axis.high - axis.low);
    }
    // Grid ends land exactly on the range ends, whatever the rounding of exp/log.
    if (u[a] == 0.0) value = axis.low;
    if (u[a] == 1.0) value = axis.high;
    parameters[axis.parameter] = value;
  }
  for (const Derived& d : derived_) parameters[d.parameter] = d.factor * parameters[d.source];
}

}  // namespace portalscan::scanner
