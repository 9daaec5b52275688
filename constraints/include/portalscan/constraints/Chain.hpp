#pragma once
/// The constraint chain that judges a point: each constraint applies its
/// statistical kind to one observable of the configured model, giving a pass
/// flag and a statistic (chi^2 for a Gaussian, the observable over its limit
/// otherwise); a point is allowed when every constraint passes. Constraints
/// never see samplers or files.

#include "portalscan/constraints/Catalogue.hpp"
#include "portalscan/physics/Model.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace portalscan::constraints {

/// What a scan asks for: a catalogue name, optionally a variant, and
/// optionally a limit that replaces the variant's numbers (same kind; upper and
/// lower: value; window: low, high; Gaussian: value = mean, sigma).
struct Request {
  std::string name;
  std::optional<std::string> variant;
  std::optional<Limit> override;
};

/// One configured constraint.
struct Constraint {
  std::string name;
  std::string family;
  bool absolute = false;
  std::string variant;     ///< the variant used, or "override"
  Limit limit;             ///< kind, numbers and source
  std::string observable;  ///< the observable it tests for this model
  std::size_t observableIndex = 0;
  std::optional<std::size_t> conditionIndex;  ///< tested only where obs[condition] < below
  double conditionBelow = 0.0;
  double chi2Cut = 0.0;  ///< Gaussian: the chi^2 quantile of `cl` for one degree of freedom

  struct Verdict {
    bool pass = false;
    double statistic = 0.0;
  };
  /// NaN observable: not passed, statistic NaN.
  Verdict judge(std::span<const double> observables) const;
};

class Chain {
 public:
  Chain() = default;
  /// Resolves the requests against the model and its options. Throws InputError
  /// for an unknown name or variant, or a constraint that does not apply to the
  /// model and options (with the options it needs).
  Chain(const Catalogue& catalogue, const physics::Model& model,
        const std::vector<Request>& requests);

  /// Every entry of the catalogue that applies to the model and its options and
  /// is not opt-in.
  static std::vector<Request> defaultRequests(const Catalogue& catalogue,
                                              const physics::Model& model);

  const std::vector<Constraint>& constraints() const { return constraints_; }
  /// The observable blocks the chain needs.
  physics::BlockMask blocks() const { return blocks_; }

  struct Result {
    bool allowed = false;
    PointStatus status = PointStatus::Ok;
  };
  /// Judges one point; `pass` and `statistic` have one slot per constraint.
  /// A point whose kernel failed is not allowed and keeps the kernel's status;
  /// an observable the chain needs that is NaN makes the point not allowed with
  /// status ConstraintObservableNaN.
  Result judge(std::span<const double> observables, PointStatus kernelStatus,
               std::span<std::uint8_t> pass, std::span<double> statistic) const;

 private:
  std::vector<Constraint> constraints_;
  physics::BlockMask blocks_ = 0;
};

}  // namespace portalscan::constraints
