#include "portalscan/physics/Model.hpp"

#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/physics/Quadrature.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>

namespace portalscan::physics {

namespace {
template <typename Spec>
std::optional<std::size_t> findName(const std::vector<Spec>& specs, std::string_view name) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return i;
  }
  return std::nullopt;
}
template <typename Spec>
std::vector<std::string> namesOf(const std::vector<Spec>& specs) {
  std::vector<std::string> names;
  names.reserve(specs.size());
  for (const auto& s : specs) names.push_back(s.name);
  return names;
}
}  // namespace

Model::Model(std::vector<ParameterSpec> parameters, std::vector<ObservableSpec> observables,
             std::vector<BlockSpec> blocks, std::vector<OptionSpec> optionSpecs, Options options)
    : parameters_(std::move(parameters)),
      observables_(std::move(observables)),
      blocks_(std::move(blocks)),
      optionSpecs_(std::move(optionSpecs)),
      options_(std::move(options)),
      applies_(observables_.size(), true) {
  assert(blocks_.size() < 32);
  for (const auto& o : observables_) {
    const auto b = blockIndex(o.block);
    assert(b && "observable in an undeclared block");
    observableBlock_.push_back(BlockMask{1} << *b);
  }
  for (const auto& b : blocks_) {
    BlockMask deps = 0;
    for (const auto& d : b.dependsOn) {
      const auto i = blockIndex(d);
      assert(i && "dependency on an undeclared block");
      deps |= BlockMask{1} << *i;
    }
    blockDependencies_.push_back(deps);
  }
  // Every closure tabulated once when the masks are few (evaluate() asks for one per point).
  if (blocks_.size() <= kTabulatedClosureBlocks) {
    const BlockMask all = allBlocks();
    for (BlockMask m = 0; m <= all; ++m) closures_.push_back(computeClosure(m));
  }
}

std::optional<std::size_t> Model::parameterIndex(std::string_view name) const {
  return findName(parameters_, name);
}
std::optional<std::size_t> Model::observableIndex(std::string_view name) const {
  return findName(observables_, name);
}
std::optional<std::size_t> Model::blockIndex(std::string_view name) const {
  return findName(blocks_, name);
}
std::vector<std::string> Model::parameterNames() const { return namesOf(parameters_); }
std::vector<std::string> Model::observableNames() const { return namesOf(observables_); }
std::vector<std::string> Model::blockNames() const { return namesOf(blocks_); }

BlockMask Model::closure(BlockMask requested) const {
  const BlockMask valid = requested & allBlocks();
  return valid < closures_.size() ? closures_[valid] : computeClosure(valid);
}

BlockMask Model::computeClosure(BlockMask requested) const {
  BlockMask result = requested & allBlocks();
  for (;;) {
    BlockMask next = result;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
      if (result & (BlockMask{1} << i)) next |= blockDependencies_[i];
    }
    if (next == result) return result;
    result = next;
  }
}

BlockMask Model::defaultBlocks() const {
  BlockMask m = 0;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    if (!blocks_[i].optIn) m |= BlockMask{1} << i;
  }
  return m;
}

std::vector<double> Model::defaultParameterValues() const {
  std::vector<double> values;
  for (const auto& p : parameters_) values.push_back(p.defaultValue);
  return values;
}

PointStatus Model::evaluate(std::span<const double> parameters, BlockMask blocks,
                            std::span<double> out) const noexcept {
  assert(parameters.size() == parameters_.size());
  assert(out.size() == observables_.size());
  // NaN first (what compute() does not write stays NaN; not needed for a complete compute()
  // given every block, completeCompute_); the input check
  // without a branch per parameter (both measured: docs/performance.md, "lfv_nsi's default
  // chain at 40 ns" and "lfv_nsi's kernel: the frame, the tables in line, cached partial sums").
  // Both two doubles a step in SSE2 registers (GCC/Clang vector extensions, unaligned loads and
  // stores by memcpy), eight (the fill) or four (the check) a loop turn: fewer instructions than a
  // memcpy from a block of NaNs (rep movsq) or a scalar loop.
  using Pair = double __attribute__((vector_size(16)));
  using Bits = std::uint64_t __attribute__((vector_size(16)));
  auto fillNaN = [&out] {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    const Pair nans = {nan, nan};
    double* o = out.data();
    const std::size_t n = out.size();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (std::size_t j = 0; j < 8; j += 2) std::memcpy(o + i + j, &nans, sizeof nans);
    }
    for (; i + 2 <= n; i += 2) std::memcpy(o + i, &nans, sizeof nans);
    for (; i < n; ++i) o[i] = nan;
  };
  // closure() inline: the tabulated closure without a call; every block's mask from the table's
  // size when tabulated (allBlocks() divides the size of blocks_ by a BlockSpec's).
  const BlockMask all =
      closures_.empty() ? allBlocks() : static_cast<BlockMask>(closures_.size() - 1);
  const BlockMask valid = blocks & all;
  const BlockMask closed = valid < closures_.size() ? closures_[valid] : computeClosure(valid);
  // A model whose compute() writes every observable that applies (completeCompute_) needs no fill
  // when every block is asked for: only the early returns without results, and a throw, are
  // NaN-filled after compute() (the same outputs; ModelEvaluate tests).
  const bool complete = completeCompute_ && closed == all;
  if (!complete) fillNaN();
  // Not finite = exponent all ones: (bits & exponent) + one exponent unit reaches the sign bit.
  constexpr std::uint64_t exponent = 0x7ff0000000000000u, unit = 0x0010000000000000u;
  {
    const Bits exponents = {exponent, exponent}, units = {unit, unit};
    Bits reached = {0, 0}, reached2 = {0, 0};
    const double* values = parameters.data();
    const std::size_t n = parameters.size();
    std::size_t k = 0;
    for (; k + 4 <= n; k += 4) {
      Bits x, y;
      std::memcpy(&x, values + k, sizeof x);
      std::memcpy(&y, values + k + 2, sizeof y);
      reached |= (x & exponents) + units;
      reached2 |= (y & exponents) + units;
    }
    reached |= reached2;
    std::uint64_t any = reached[0] | reached[1];
    for (; k < n; ++k) {
      std::uint64_t bits;
      std::memcpy(&bits, values + k, sizeof bits);
      any |= (bits & exponent) + unit;
    }
    if (any >> 63) {
      if (complete) fillNaN();
      return PointStatus::InvalidInput;
    }
  }
  PointStatus status;
  bool thrown = true;
  try {
    const quadrature::EvaluationBudget budget(quadrature::kPointEvaluationBudget);
    status = compute(parameters, closed, out);
    thrown = false;
  } catch (const quadrature::NonFiniteIntegral&) {
    status = PointStatus::NonFiniteResult;
  } catch (const quadrature::BudgetExceeded&) {
    status = PointStatus::BudgetExceeded;
  } catch (...) {
    // A numerical library that signals failure by throwing (Boost's root
    // finders) must not take the scan down: the point records it.
    status = PointStatus::SolverFailed;
  }
  if (thrown) {
    // What compute() wrote before it threw is half a point: none of it is a result.
    fillNaN();
  } else if (complete &&
             (status == PointStatus::UnphysicalParameter || status == PointStatus::SolverFailed)) {
    fillNaN();  // the early returns of a complete compute(): nothing written
  }
  for (const std::size_t i : notApplying_) out[i] = std::numeric_limits<double>::quiet_NaN();
  return status;
}

std::string Model::unphysicalParameter(std::span<const double>, BlockMask) const { return {}; }

std::string describeDomainViolation(const Model& model, std::size_t parameter, double value,
                                    const char* rule) {
  char number[32];
  std::snprintf(number, sizeof number, "%.6g", value);
  return model.parameters()[parameter].name + " = " + number + ": " + rule;
}

void Model::setApplies(std::string_view observable, bool applies) {
  const auto i = observableIndex(observable);
  assert(i);
  applies_[*i] = applies;
  notApplying_.clear();
  for (std::size_t k = 0; k < applies_.size(); ++k) {
    if (!applies_[k]) notApplying_.push_back(k);
  }
}

BlockMask Model::mask(std::string_view block) const {
  const auto i = blockIndex(block);
  assert(i);
  return BlockMask{1} << *i;
}

// --- registry ---

void ModelRegistry::add(Entry entry) {
  for (const auto& e : entries_) {
    if (e.name == entry.name) throw std::logic_error("model '" + entry.name + "' registered twice");
  }
  entries_.push_back(std::move(entry));
}

std::vector<std::string> ModelRegistry::names() const {
  std::vector<std::string> n;
  for (const auto& e : entries_) n.push_back(e.name);
  return n;
}

const ModelRegistry::Entry& ModelRegistry::entry(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return e;
  }
  throw InputError(unknownNameMessage("model", name, names()));
}

Options ModelRegistry::completeOptions(std::string_view name, const Options& options) const {
  const Entry& e = entry(name);
  std::vector<std::string> optionNames;
  for (const auto& o : e.options) optionNames.push_back(o.name);
  Options complete;
  for (const auto& [key, value] : options) {
    const auto spec = std::find_if(e.options.begin(), e.options.end(),
                                   [&](const OptionSpec& o) { return o.name == key; });
    if (spec == e.options.end()) {
      if (optionNames.empty()) {
        throw InputError("model '" + e.name + "' has no options (got '" + key + "')");
      }
      throw InputError(
          unknownNameMessage("option", key, optionNames, " of model '" + e.name + "'"));
    }
    if (std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end()) {
      throw InputError(
          unknownNameMessage("value", value, spec->choices, " of option '" + key + "'"));
    }
    complete[key] = value;
  }
  for (const auto& o : e.options) {
    if (!complete.contains(o.name)) complete[o.name] = o.defaultChoice;
  }
  return complete;
}

std::unique_ptr<Model> ModelRegistry::create(std::string_view name, const Options& options) const {
  const Options complete = completeOptions(name, options);
  return entry(name).factory(complete);
}

}  // namespace portalscan::physics
