#include "portalscan/scanner/engine/Refine.hpp"

#include "portalscan/physics/Error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace portalscan::scanner {

bool refineVerdict(const RefineConfig& refine, const ChunkBuffer& chunk, std::uint64_t row) {
  switch (refine.criterion) {
    case RefineCriterion::Allowed:
      return chunk.allowed[row] != 0;
    case RefineCriterion::Constraint:
      return chunk.pass[refine.constraint * chunk.capacity + row] != 0;
    case RefineCriterion::Chi2:
      return chunk.chi2Total[row] <= refine.chi2Level;  // NaN: out
  }
  return false;
}

Refinement::Refinement(const ScanConfig& config) : config_(config) {
  const RefineConfig& rc = config.refine;
  const std::size_t d = config.axes.size();
  m_.resize(d);
  stride_.resize(d);
  refined_.assign(d, false);
  plane_ = rc.plane;
  for (std::size_t a : plane_) refined_[a] = true;
  for (std::size_t a = 0; a < d; ++a) {
    const std::uint64_t n = config.axes[a].points;
    m_[a] = refined_[a] ? ((n - 1) << rc.depth) + 1 : n;
  }
  std::uint64_t s = 1;
  for (std::size_t a = d; a-- > 0;) {
    stride_[a] = s;
    s *= m_[a];
  }
  planeStride_.resize(plane_.size());
  s = 1;
  for (std::size_t p = plane_.size(); p-- > 0;) {
    planeStride_[p] = s;
    s *= m_[plane_[p]];
  }
  if (rc.sobolBase) {
    planSobolBase();
  } else {
    planGridBase();
  }
  verdict_.assign(lattice_.size(), 2);
  roundEnd_.push_back(lattice_.size());
  // The level-0 cells: every base cell of the refined axes.
  const std::size_t p = plane_.size();
  Coords origin(p, 0);
  for (;;) {
    candidates_.push_back(origin);
    std::size_t q = p;
    while (q-- > 0) {
      const std::uint64_t n = config.axes[plane_[q]].points;
      origin[q] += std::uint64_t{1} << rc.depth;
      if (origin[q] < ((n - 1) << rc.depth)) break;
      origin[q] = 0;
    }
    if (q == static_cast<std::size_t>(-1)) break;
  }
}

void Refinement::planGridBase() {
  const RefineConfig& rc = config_.refine;
  const std::size_t d = m_.size();
  // Round 0: the base grid in grid order (the last axis fastest); its lattice indices ascend.
  const std::uint64_t base = rc.baseSize;
  lattice_.reserve(base);
  for (std::uint64_t i = 0; i < base; ++i) {
    std::uint64_t rest = i, index = 0;
    for (std::size_t a = d; a-- > 0;) {
      const std::uint64_t n = config_.axes[a].points;
      const std::uint64_t j = rest % n;
      rest /= n;
      index += (refined_[a] ? j << rc.depth : j) * stride_[a];
    }
    lattice_.push_back(index);
  }
}

void Refinement::planSobolBase() {
  const RefineConfig& rc = config_.refine;
  const std::size_t d = m_.size();
  // Round 0: the first base_points points of the scan's Sobol sequence (digital shift from the
  // seed), each snapped to the nearest lattice node (on a profiled axis: its nearest base node);
  // a node reached twice is evaluated once. Sorted by lattice index.
  const auto sobol = makeSobolSampler(d, rc.basePoints, config_.seed);
  constexpr std::uint64_t kBlock = 4096;
  std::vector<double> u(kBlock * d);
  lattice_.reserve(rc.basePoints);
  for (std::uint64_t b = 0; b < rc.basePoints; b += kBlock) {
    const std::uint64_t e = std::min(rc.basePoints, b + kBlock);
    sobol->fill(b, e, u);
    for (std::uint64_t i = 0; i < e - b; ++i) {
      std::uint64_t index = 0;
      for (std::size_t a = 0; a < d; ++a) {
        const double top = static_cast<double>(m_[a] - 1);
        index +=
            static_cast<std::uint64_t>(std::clamp(std::nearbyint(u[i * d + a] * top), 0.0, top)) *
            stride_[a];
      }
      lattice_.push_back(index);
    }
  }
  std::sort(lattice_.begin(), lattice_.end());
  lattice_.erase(std::unique(lattice_.begin(), lattice_.end()), lattice_.end());
  // Each base node inside the closed box of a base cell (on a face: of every cell sharing it),
  // for mixed(): a base cell whose corners were never evaluated is judged by them.
  const std::size_t p = plane_.size();
  const std::uint64_t side = std::uint64_t{1} << rc.depth;
  std::uint64_t cells = 1;
  for (std::size_t j = 0; j < p; ++j) cells *= config_.axes[plane_[j]].points - 1;
  inside_.assign(cells, {});
  std::set<std::uint64_t> keys;
  for (const std::uint64_t index : lattice_) keys.insert(planeKey(index));
  for (const std::uint64_t key : keys) {
    std::vector<std::vector<std::uint64_t>> options(p);  // base-cell coordinate per axis
    for (std::size_t j = 0; j < p; ++j) {
      const std::uint64_t q = key / planeStride_[j] % m_[plane_[j]];
      const std::uint64_t last = config_.axes[plane_[j]].points - 2;
      options[j].push_back(std::min(q / side, last));
      if (q % side == 0 && q > 0 && q / side - 1 != options[j][0])
        options[j].push_back(q / side - 1);
    }
    std::vector<std::size_t> pick(p, 0);
    for (;;) {
      std::uint64_t cell = 0;
      for (std::size_t j = 0; j < p; ++j) {
        cell = cell * (config_.axes[plane_[j]].points - 1) + options[j][pick[j]];
      }
      inside_[cell].push_back(key);
      std::size_t j = p;
      while (j-- > 0) {
        if (++pick[j] < options[j].size()) break;
        pick[j] = 0;
      }
      if (j == static_cast<std::size_t>(-1)) break;
    }
  }
}

std::uint8_t Refinement::roundOf(std::uint64_t i) const {
  const auto it = std::upper_bound(roundEnd_.begin(), roundEnd_.end(), i);
  return static_cast<std::uint8_t>(it - roundEnd_.begin());
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> Refinement::chunks(std::size_t k) const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
  const std::uint64_t c = config_.output.chunkPoints;
  for (std::uint64_t b = roundBegin(k); b < roundEnd(k); b += c) {
    out.emplace_back(b, std::min(roundEnd(k), b + c));
  }
  return out;
}

std::uint64_t Refinement::planeKey(std::uint64_t index) const {
  std::uint64_t key = 0;
  for (std::size_t p = 0; p < plane_.size(); ++p) {
    const std::size_t a = plane_[p];
    key += (index / stride_[a] % m_[a]) * planeStride_[p];
  }
  return key;
}

std::uint64_t Refinement::planeKeyOf(const Coords& q) const {
  std::uint64_t key = 0;
  for (std::size_t p = 0; p < plane_.size(); ++p) key += q[p] * planeStride_[p];
  return key;
}

bool Refinement::mixed(const Coords& origin, std::uint64_t side) const {
  const std::size_t p = plane_.size();
  const bool sobol = config_.refine.sobolBase;
  int seen = -1;
  for (std::uint64_t corner = 0; corner < (std::uint64_t{1} << p); ++corner) {
    std::uint64_t key = 0;
    for (std::size_t q = 0; q < p; ++q) {
      key += (origin[q] + ((corner >> q) & 1) * side) * planeStride_[q];
    }
    const auto it = nodes_.find(key);
    if (it == nodes_.end()) {
      if (sobol) continue;  // a base cell's corners: judged by its base points below
      throw std::logic_error("refine: a cell corner was never evaluated");
    }
    if (seen >= 0 && it->second != seen) return true;
    seen = it->second;
  }
  if (!sobol) return false;
  // A Sobol base: every base point inside the cell's closed box counts too (a grid base has
  // none there but the corners).
  const std::uint64_t baseSide = std::uint64_t{1} << config_.refine.depth;
  std::uint64_t cell = 0;
  for (std::size_t j = 0; j < p; ++j) {
    cell = cell * (config_.axes[plane_[j]].points - 1) + origin[j] / baseSide;
  }
  for (const std::uint64_t key : inside_[cell]) {
    bool in = true;
    for (std::size_t j = 0; j < p && in; ++j) {
      const std::uint64_t q = key / planeStride_[j] % m_[plane_[j]];
      in = q >= origin[j] && q <= origin[j] + side;
    }
    if (!in) continue;
    const std::uint8_t v = nodes_.at(key);
    if (seen >= 0 && v != seen) return true;
    seen = v;
  }
  return false;
}

bool Refinement::nextRound() {
  if (over_) return false;
  // Fold the last round's verdicts into its plane nodes (a node is in if any of its profiled
  // points is in).
  for (std::uint64_t i = absorbed_; i < points(); ++i) {
    if (verdict_[i] == 2) throw std::logic_error("refine: a round was planned before its verdicts");
    auto [it, inserted] = nodes_.try_emplace(planeKey(lattice_[i]), verdict_[i]);
    if (!inserted) it->second = it->second | verdict_[i];
  }
  absorbed_ = points();
  const std::size_t k = rounds();  // the round to plan: splits cells of level k - 1
  const RefineConfig& rc = config_.refine;
  if (k > rc.depth || budgetReached_) {
    over_ = true;
    return false;
  }
  const std::uint64_t side = std::uint64_t{1} << (rc.depth - (k - 1));
  const std::uint64_t half = side / 2;
  const std::size_t p = plane_.size();
  // The profiled axes' base nodes: every plane node is evaluated at each of them.
  std::uint64_t profile = 1;
  for (std::size_t a = 0; a < m_.size(); ++a)
    if (!refined_[a]) profile *= m_[a];

  std::set<std::uint64_t> fresh;  // new plane nodes of this round
  std::vector<Coords> children;
  std::uint64_t splits = 0;
  const std::uint64_t room = rc.budget - points();
  std::uint64_t ternaryCount = 1;
  for (std::size_t q = 0; q < p; ++q) ternaryCount *= 3;
  for (const Coords& cell : candidates_) {
    if (!mixed(cell, side)) continue;
    // Its nodes at the next level: origin + half * {0, 1, 2}^p, those not yet evaluated.
    std::vector<std::uint64_t> added;
    Coords q(p);
    for (std::uint64_t t = 0; t < ternaryCount; ++t) {
      std::uint64_t rest = t;
      for (std::size_t j = 0; j < p; ++j) {
        q[j] = cell[j] + (rest % 3) * half;
        rest /= 3;
      }
      const std::uint64_t key = planeKeyOf(q);
      if (!nodes_.contains(key) && !fresh.contains(key)) added.push_back(key);
    }
    std::sort(added.begin(), added.end());
    added.erase(std::unique(added.begin(), added.end()), added.end());
    if ((fresh.size() + added.size()) * profile > room) {
      budgetReached_ = true;  // this cell and the rest wait for a budget that never comes
      break;
    }
    fresh.insert(added.begin(), added.end());
    ++splits;
    for (std::uint64_t corner = 0; corner < (std::uint64_t{1} << p); ++corner) {
      Coords child = cell;
      for (std::size_t j = 0; j < p; ++j) child[j] += ((corner >> j) & 1) * half;
      children.push_back(std::move(child));
    }
  }
  if (fresh.empty()) {
    over_ = true;
    return false;
  }
  // Every new plane node at every profiled base node, sorted by lattice index.
  std::vector<std::uint64_t> round;
  round.reserve(fresh.size() * profile);
  for (const std::uint64_t key : fresh) {
    std::uint64_t planeIndex = 0;
    for (std::size_t j = 0; j < p; ++j) {
      const std::size_t a = plane_[j];
      planeIndex += (key / planeStride_[j] % m_[a]) * stride_[a];
    }
    for (std::uint64_t o = 0; o < profile; ++o) {
      std::uint64_t rest = o, index = planeIndex;
      for (std::size_t a = m_.size(); a-- > 0;) {
        if (refined_[a]) continue;
        index += (rest % m_[a]) * stride_[a];
        rest /= m_[a];
      }
      round.push_back(index);
    }
  }
  std::sort(round.begin(), round.end());
  lattice_.insert(lattice_.end(), round.begin(), round.end());
  verdict_.resize(lattice_.size(), 2);
  roundEnd_.push_back(lattice_.size());
  std::sort(children.begin(), children.end(),
            [&](const Coords& a, const Coords& b) { return planeKeyOf(a) < planeKeyOf(b); });
  candidates_ = std::move(children);
  split_.push_back(splits);
  return true;
}

std::uint64_t Refinement::boundaryCells() const {
  if (absorbed_ != points()) return 0;
  const std::uint64_t side = std::uint64_t{1} << (config_.refine.depth - level());
  std::uint64_t n = 0;
  for (const Coords& cell : candidates_) n += mixed(cell, side) ? 1 : 0;
  return n;
}

void Refinement::fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const {
  const std::size_t d = m_.size();
  for (std::uint64_t i = begin; i < end; ++i) {
    const std::uint64_t index = lattice_.at(i);
    double* row = u.data() + (i - begin) * d;
    for (std::size_t a = 0; a < d; ++a) {
      const std::uint64_t q = index / stride_[a] % m_[a];
      // q / (m - 1): a base node j << depth gives exactly the grid's j / (n - 1).
      row[a] = m_[a] == 1 ? 0.0 : static_cast<double>(q) / static_cast<double>(m_[a] - 1);
    }
  }
}

namespace {

class RefineSampler final : public Sampler {
 public:
  RefineSampler(const Refinement& r, std::uint64_t size)
      : Sampler(r.dimension(), size), refinement_(r) {}
  void fill(std::uint64_t begin, std::uint64_t end, std::span<double> u) const override {
    refinement_.fill(begin, end, u);
  }
  std::uint8_t round(std::uint64_t i) const override { return refinement_.roundOf(i); }

 private:
  const Refinement& refinement_;
};

}  // namespace

std::unique_ptr<Sampler> makeRefineSampler(const Refinement& refinement, std::uint64_t size) {
  return std::make_unique<RefineSampler>(refinement, size);
}

std::string refineResolution(const ScanConfig& config, std::size_t level) {
  std::string out;
  for (std::size_t a : config.refine.plane) {
    const Axis& axis = config.axes[a];
    const double cells =
        static_cast<double>(axis.points - 1) * std::ldexp(1.0, static_cast<int>(level));
    const bool log = axis.scale == Scale::Log;
    const double span = log ? std::log10(axis.high / axis.low) : axis.high - axis.low;
    char text[128];
    std::snprintf(text, sizeof text, "%s%s %.3g%s", out.empty() ? "" : ", ", axis.name.c_str(),
                  span / cells, log ? " decades" : "");
    out += text;
  }
  return out;
}

}  // namespace portalscan::scanner
