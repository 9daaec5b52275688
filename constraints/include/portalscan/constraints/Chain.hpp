#pragma once
/// The constraint chain that judges a point: each constraint applies its
/// statistical kind to one observable (or parameter) of the configured model
/// (a profile constraint: to each of its quantities), giving a pass flag, a
/// statistic (chi^2 for a Gaussian, the total Delta chi^2 for a profile, the
/// observable over its limit otherwise) and a Delta chi^2 under the conventions of
/// Statistics.hpp; a point is allowed when every constraint passes, each cut
/// at its own CL or at a common one. Constraints never see samplers or files.

#include "portalscan/constraints/Catalogue.hpp"
#include "portalscan/physics/Model.hpp"

#include <cstdint>
#include <memory>
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
  /// A constraint defined by the scan configuration, not looked up in the
  /// catalogue (its name must not be a catalogue name).
  std::shared_ptr<const Entry> user;
};

/// A quantity of a point: an observable or a parameter of the model.
struct Quantity {
  bool parameter = false;
  std::size_t index = 0;
  double of(std::span<const double> parameters, std::span<const double> observables) const {
    return parameter ? parameters[index] : observables[index];
  }
};

struct ChainOptions {
  /// Cut every constraint at this CL instead of its own (rescaled under the
  /// conventions of Statistics.hpp; regions keep their own).
  std::optional<double> commonCl;
};

/// One configured constraint.
struct Constraint {
  std::string name;
  std::string family;
  bool absolute = false;
  bool user = false;  ///< defined by the scan configuration
  std::string description;
  std::string variant;     ///< the variant used, "override", or "user"
  Limit limit;             ///< kind, numbers and source
  std::string observable;  ///< the observable (or parameter) it tests for this model
  Quantity tested;
  std::optional<Quantity> x;          ///< curve, region: the abscissa
  std::optional<Quantity> condition;  ///< tested only where the condition quantity < below
  std::string conditionName;
  double conditionBelow = 0.0;
  double cutCl = 0.0;  ///< the CL the pass bit is cut at (its own, or the chain's common CL)
  /// Gaussian: the chi^2 quantile of cutCl for one degree of freedom; profile: for as many
  /// degrees of freedom as terms (cut on the total) or for one (cut on each term)
  double chi2Cut = 0.0;
  double cutFactor = 1.0;  ///< upper, lower, curve: the published bound times this is the cut
  double z = 0.0;          ///< one-sided (two-sided for a window) quantile of the limit's CL

  /// Profile: each term's quantity and tables, the branch quantity, and each branch's
  /// minimum Delta chi^2 (its offset above the fit's global minimum, counted once).
  struct ProfileTermRef {
    Quantity quantity;
    const LimitTable* table = nullptr;
    const LimitTable* negative = nullptr;
  };
  std::vector<ProfileTermRef> profileTerms;
  std::optional<Quantity> branch;
  double offset = 0.0;          ///< the branch >= 0 tables' common minimum
  double offsetNegative = 0.0;  ///< the branch < 0 tables' common minimum
  /// Profile: each term's Delta chi^2 above its branch's minimum (the offset added once
  /// to the total), for `info point`; NaN where the quantity is NaN.
  std::vector<double> profileTermsAt(std::span<const double> parameters,
                                     std::span<const double> observables) const;

  struct Verdict {
    bool pass = false;
    bool tested = true;  ///< false: the condition or the curve's range leaves this point out
    double statistic = 0.0;
    double chi2 = 0.0;
  };
  /// The abscissa of the curve judged last, so that curves sharing one x take its log once.
  struct XCache {
    bool valid = false;
    Quantity quantity;
    bool log = false;
    double value = 0.0;
    double scaled = 0.0;
  };
  /// NaN quantity: not passed, statistic and chi2 NaN. Not tested: passed,
  /// statistic NaN, chi2 0.
  Verdict judge(std::span<const double> parameters, std::span<const double> observables,
                XCache* cache = nullptr) const;
  /// The bound the cut applies (the rescaled value; a curve's at x); NaN for
  /// windows, Gaussians and regions.
  double cutBound(double xValue = 0.0) const;
};

/// One line saying how a constraint's chi2 is computed and where its cut lies,
/// e.g. "upper limit 7e-13 at 90% CL: half-normal, sigma = limit/1.2816; cut at ...".
std::string describeLikelihood(const Constraint& c);

class Chain {
 public:
  Chain() = default;
  /// Resolves the requests against the model and its options. Throws InputError
  /// for an unknown name or variant, or a constraint that does not apply to the
  /// model and options (with the options it needs).
  Chain(const Catalogue& catalogue, const physics::Model& model,
        const std::vector<Request>& requests, const ChainOptions& options = {});

  /// Every entry of the catalogue that applies to the model and its options and
  /// is not opt-in.
  static std::vector<Request> defaultRequests(const Catalogue& catalogue,
                                              const physics::Model& model);

  const std::vector<Constraint>& constraints() const { return constraints_; }
  const ChainOptions& options() const { return options_; }
  /// The observable blocks the chain needs.
  physics::BlockMask blocks() const { return blocks_; }

  struct Result {
    bool allowed = false;
    PointStatus status = PointStatus::Ok;
    double chi2Total = 0.0;  ///< sum of the chain's chi2 (NaN if the kernel failed or one is NaN)
  };
  /// Judges one point; `pass`, `statistic` and `chi2` have one slot per
  /// constraint. A point whose kernel failed is not allowed and keeps the
  /// kernel's status; an observable the chain needs that is NaN makes the
  /// point not allowed with status ConstraintObservableNaN.
  Result judge(std::span<const double> parameters, std::span<const double> observables,
               PointStatus kernelStatus, std::span<std::uint8_t> pass, std::span<double> statistic,
               std::span<double> chi2) const;

 private:
  /// A constraint compiled for judge(): its kind, resolved indices and numbers in one flat
  /// record (no optional, string or map on the way), the same arithmetic as
  /// Constraint::judge in the same order, so that every verdict, statistic and chi2 is the
  /// same to the bit (ChainFastPathTest).
  struct Step {
    enum class Op : std::uint8_t {
      Upper,
      Lower,
      Window,
      Gaussian,
      CurveAbove,
      CurveBelow,
      Region,
      Profile
    };
    /// Where a quantity is read: 0 the observables, 1 the parameters (Quantity::parameter);
    /// kNone: the step has no such quantity.
    static constexpr std::uint8_t kNone = 2;
    Op op = Op::Upper;
    bool absolute = false;
    std::uint8_t testedFrom = 0, xFrom = kNone, conditionFrom = kNone;
    /// Curves: the slot of judge()'s per-call cache of the scaled x, shared by every curve
    /// of the same x quantity and x scale; -1: not shared.
    std::int8_t slot = -1;
    std::uint32_t tested = 0, x = 0, condition = 0;
    double conditionBelow = 0.0;
    double value = 0.0;      ///< upper, lower: the limit; window: the centre; Gaussian: the mean
    double cut = 0.0;        ///< upper, lower: the limit times cutFactor; Gaussian: chi2Cut
    double half = 0.0;       ///< window: the half-width; Gaussian: sigma
    double z = 0.0;          ///< the constraint's z
    double cutFactor = 1.0;  ///< curves, window: the constraint's cutFactor
    double xLow = 0.0, xHigh = 0.0;  ///< curves: the table's first and last x
    /// Curves, regions: the constraint's table (shared with its Limit, so that a copy of
    /// the chain keeps it alive). Profiles are judged by Constraint::judge.
    const LimitTable* table = nullptr;
  };
  /// An upper or lower limit without a condition (most of a chain): judged in a loop of its
  /// own, without dispatch. `out`: the constraint's slot in judge()'s outputs.
  struct Bound {
    std::uint32_t out = 0;
    std::uint32_t index = 0;
    std::uint8_t from = 0;  ///< 0 the observables, 1 the parameters
    bool absolute = false;
    double value = 0.0;  ///< the limit
    double cut = 0.0;    ///< the limit times cutFactor
    double z = 0.0;
    double zValue = 0.0;  ///< lower limits: z times the limit
  };
  /// The most x slots judge() shares among curves.
  static constexpr int kSlots = 8;
  void compile();

  std::vector<Constraint> constraints_;
  std::vector<Step> steps_;
  std::vector<Bound> uppers_, lowers_;
  std::vector<std::uint32_t> general_;  ///< the other steps, in order
  ChainOptions options_;
  physics::BlockMask blocks_ = 0;
};

}  // namespace portalscan::constraints
