#pragma once
/// A physics model as a kernel: parameters in, observables out.
///
/// A model is configured once from its options (strings, not scanned) and is
/// const afterwards, so one instance serves every thread. Observables are
/// grouped in blocks; a caller asks for blocks and the model evaluates only
/// those and the blocks they depend on. Per-point failure is a PointStatus,
/// never an exception out of `evaluate`.

#include "portalscan/physics/Status.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace portalscan::physics {

struct ParameterSpec {
  std::string name;
  std::string unit;  ///< "GeV" or "1"
  double defaultValue = 0.0;
  std::string description;
  /// Options for which it is used, e.g. "mixing=mass_matrix"; empty: always.
  std::string appliesTo = {};
};

struct ObservableSpec {
  std::string name;
  std::string unit;  ///< "GeV", "GeV^2", "s", "1"
  std::string block;
  std::string description;
  std::string reference;  ///< paper and equation, e.g. "CN Eq. 13"
  /// Options for which it applies, e.g. "flavours=e-mu"; empty: always.
  std::string appliesTo = {};
};

struct BlockSpec {
  std::string name;
  std::string description;
  bool optIn = false;                  ///< not computed unless asked for
  std::vector<std::string> dependsOn;  ///< blocks whose results it uses
};

struct OptionSpec {
  std::string name;
  std::vector<std::string> choices;
  std::string defaultChoice;
  std::string description;
};

using Options = std::map<std::string, std::string, std::less<>>;
using BlockMask = std::uint32_t;

class Model {
 public:
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  virtual std::string_view name() const = 0;
  /// The paper the model comes from.
  virtual std::string_view reference() const = 0;

  const std::vector<ParameterSpec>& parameters() const { return parameters_; }
  const std::vector<ObservableSpec>& observables() const { return observables_; }
  const std::vector<BlockSpec>& blocks() const { return blocks_; }
  const std::vector<OptionSpec>& optionSpecs() const { return optionSpecs_; }
  /// The configured options, every option present (defaults filled in).
  const Options& options() const { return options_; }

  std::optional<std::size_t> parameterIndex(std::string_view name) const;
  std::optional<std::size_t> observableIndex(std::string_view name) const;
  std::optional<std::size_t> blockIndex(std::string_view name) const;
  std::vector<std::string> parameterNames() const;
  std::vector<std::string> observableNames() const;
  std::vector<std::string> blockNames() const;

  /// Whether observable i applies to the configured options (if not, it is NaN).
  bool applies(std::size_t observable) const { return applies_[observable]; }
  /// The block observable i belongs to, as a mask.
  BlockMask blockOf(std::size_t observable) const { return observableBlock_[observable]; }
  /// The blocks `requested` needs, dependencies included.
  BlockMask closure(BlockMask requested) const;
  /// Every block that is not opt-in.
  BlockMask defaultBlocks() const;
  BlockMask allBlocks() const { return (BlockMask{1} << blocks_.size()) - 1; }

  std::vector<double> defaultParameterValues() const;

  /// Evaluates one point. `parameters` follows parameters(); `out` has one slot
  /// per observable. Observables outside closure(blocks), and those that do not
  /// apply, are NaN. Never throws.
  PointStatus evaluate(std::span<const double> parameters, BlockMask blocks,
                       std::span<double> out) const noexcept;

  /// Why a point is unphysical_parameter: the first parameter outside its domain and the
  /// domain, e.g. "M_N = -1: must be > 0"; empty when every parameter the blocks use is in it.
  virtual std::string unphysicalParameter(std::span<const double> parameters,
                                          BlockMask blocks) const;

 protected:
  Model(std::vector<ParameterSpec> parameters, std::vector<ObservableSpec> observables,
        std::vector<BlockSpec> blocks, std::vector<OptionSpec> optionSpecs, Options options);

  /// Fills the observables of the blocks in `blocks` (already closed under dependencies).
  virtual PointStatus compute(std::span<const double> parameters, BlockMask blocks,
                              std::span<double> out) const = 0;

  void setApplies(std::string_view observable, bool applies);
  BlockMask mask(std::string_view block) const;

  /// Set by a model whose compute(), given every block, writes every observable that applies
  /// whatever it returns, except when it returns UnphysicalParameter or SolverFailed (it may then
  /// have written nothing): evaluate() skips the NaN fill before compute() for such a call and
  /// NaN-fills after those two returns (and after a throw) instead. The outputs are the same.
  bool completeCompute_ = false;

 private:
  std::vector<ParameterSpec> parameters_;
  std::vector<ObservableSpec> observables_;
  std::vector<BlockSpec> blocks_;
  std::vector<OptionSpec> optionSpecs_;
  Options options_;
  std::vector<bool> applies_;
  /// The observables that do not apply, so that evaluate() need not walk applies_.
  std::vector<std::size_t> notApplying_;
  std::vector<BlockMask> observableBlock_;
  std::vector<BlockMask> blockDependencies_;
  /// closure(m) for every mask m when there are at most kTabulatedClosureBlocks blocks.
  static constexpr std::size_t kTabulatedClosureBlocks = 10;
  std::vector<BlockMask> closures_;
  BlockMask computeClosure(BlockMask requested) const;
};

/// Name-keyed registry of models: each registers once; duplicates are refused.
/// "NAME = VALUE: RULE", the text of Model::unphysicalParameter.
std::string describeDomainViolation(const Model& model, std::size_t parameter, double value,
                                    const char* rule);

class ModelRegistry {
 public:
  using Factory = std::unique_ptr<Model> (*)(const Options&);
  struct Entry {
    std::string name;
    std::string summary;
    std::vector<OptionSpec> options;
    Factory factory;
  };

  void add(Entry entry);
  std::vector<std::string> names() const;
  /// Throws InputError ("unknown model ... did you mean") for an unknown name.
  const Entry& entry(std::string_view name) const;
  /// Validates the options (unknown option or value: InputError), fills the
  /// defaults and constructs the model.
  std::unique_ptr<Model> create(std::string_view name, const Options& options = {}) const;
  /// Options completed with defaults, validated.
  Options completeOptions(std::string_view name, const Options& options) const;

  /// The registry with portalscan's built-in models.
  static const ModelRegistry& builtin();

 private:
  std::vector<Entry> entries_;
};

}  // namespace portalscan::physics
