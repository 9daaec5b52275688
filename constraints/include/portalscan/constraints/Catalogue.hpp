#pragma once
/// Measurements and limits as data. A catalogue entry names a constraint, its
/// statistical kind, its named variants (`current`, `paper`, ...) each with its
/// value and source, and the models (and options) it applies to with the
/// observable it tests there. The catalogue text lives in
/// constraints/data/catalogue.json; the scanner parses it into these structs,
/// so this layer knows nothing of JSON.

#include "portalscan/constraints/LimitTable.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace portalscan::constraints {

/// The statistical kinds. Curve: a bound that is a function of another
/// quantity (a LimitTable with its excluded side). Region: a closed excluded
/// region in the plane of another quantity (x) and the tested one (y).
/// Profile: a sum of published one-dimensional Delta chi^2 profiles (LimitTables
/// of shape profile), one per quantity, the set of tables chosen by the sign of a
/// branch quantity (a global fit's normal- and inverted-ordering tables).
enum class Kind { Upper, Lower, Window, Gaussian, Curve, Region, Profile };

std::string toString(Kind kind);

/// One term of a profile constraint: the Delta chi^2 table of one quantity.
struct ProfileTerm {
  std::string quantity;                        ///< an observable or parameter
  std::shared_ptr<const LimitTable> table;     ///< where the branch quantity is >= 0 (or no branch)
  std::shared_ptr<const LimitTable> negative;  ///< where it is < 0; null without a branch
};

/// How a profile constraint is cut: the total Delta chi^2 against the chi^2 quantile
/// with one degree of freedom per term, or each term (relative to its branch's
/// minimum) against the one-degree-of-freedom quantile.
enum class ProfileCut { Total, Each };

/// A measured value or bound, with its statistical kind and its source.
struct Limit {
  Kind kind = Kind::Upper;
  double value = 0.0;  ///< the bound (upper, lower); the mean (Gaussian)
  double low = 0.0;    ///< window
  double high = 0.0;   ///< window
  double sigma = 0.0;  ///< Gaussian
  double cl = 0.95;    ///< confidence level (Gaussian: sets the chi^2 cut)
  std::string x;       ///< curve, region: the abscissa, an observable or a parameter
  std::shared_ptr<const LimitTable> table;  ///< curve, region
  std::vector<ProfileTerm> profiles;        ///< profile: one table (pair) per quantity
  std::string branch;  ///< profile: the quantity whose sign picks the tables; empty: none
  ProfileCut profileCut = ProfileCut::Total;  ///< profile
  std::string experiment;
  std::string arxiv;      ///< arXiv id, empty when the source has none
  std::string reference;  ///< journal or paper equation
  std::string note;
};

/// The constraint is only tested where `observable` < `below` (else it passes).
struct Condition {
  std::string observable;
  double below = 0.0;
};

/// Where an entry applies: a model, optionally only for some option values,
/// and the observable it tests there. Variant values may differ per use
/// (each paper quotes its own number).
struct Use {
  std::string model;
  std::map<std::string, std::vector<std::string>> options;  ///< option -> allowed values
  std::string observable;
  std::map<std::string, Limit> variants;  ///< overrides of the entry's variants
};

struct Entry {
  std::string name;
  bool user = false;  ///< defined in a scan configuration, not in the catalogue
  std::string family;
  std::string description;
  bool absolute = false;  ///< test |observable|
  bool optIn = false;     ///< not in a model's default chain
  std::string defaultVariant = "current";
  std::map<std::string, Limit> variants;
  std::optional<Condition> condition;
  std::vector<Use> uses;

  /// The use that matches a model and its (complete) options, if any.
  const Use* useFor(const std::string& model,
                    const std::map<std::string, std::string, std::less<>>& options) const;
  /// The variant's limit for a use (its override, else the entry's); nullptr if unknown.
  const Limit* limitFor(const Use& use, const std::string& variant) const;
  std::vector<std::string> variantNames() const;
};

class Catalogue {
 public:
  Catalogue() = default;
  explicit Catalogue(std::vector<Entry> entries);

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace portalscan::constraints
