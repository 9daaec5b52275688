#pragma once
/// One point evaluated for `portalscan point`: the model's observables (and,
/// once a chain is configured, the constraint verdicts), as text or JSON.

#include "portalscan/constraints/Chain.hpp"
#include "portalscan/physics/Model.hpp"

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <span>
#include <string>
#include <vector>

namespace portalscan::scanner {

struct PointReport {
  const physics::Model* model = nullptr;
  std::vector<double> parameters;
  std::vector<double> observables;
  physics::BlockMask blocks = 0;
  std::vector<bool>
      shown;  ///< observables to report (those of the computed blocks, or a selection)
  PointStatus status = PointStatus::Ok;
  const constraints::Chain* chain = nullptr;  ///< judged when set
  std::vector<std::uint8_t> pass;
  std::vector<double> statistic;
  std::vector<double> chi2;
  std::vector<bool>
      tested;  ///< per constraint: false where its condition or curve range leaves the point out
  double chi2Total = 0.0;
  bool allowed = false;
};

/// Evaluates `model` at `parameters` for `blocks` (and what `chain` needs), reporting every
/// observable they hold, and judges the point with `chain` if given.
PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          physics::BlockMask blocks, const constraints::Chain* chain = nullptr);
/// Evaluates only what the named observables (and the chain) need; reports only them.
PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          const std::vector<std::size_t>& observables,
                          const constraints::Chain* chain = nullptr);

/// design.md's JSON object {"model", "parameters", "observables", "constraints", "allowed",
/// "status"}.
nlohmann::json toJson(const PointReport& report);

/// Human-readable table: parameters, then observables by block with units.
void printText(const PointReport& report, std::ostream& out);

/// A limit as text: "< 0.00062", "in [a, b]", "= x +- s", "< curve twist.dat(m_X)".
std::string limitText(const constraints::Limit& limit);

/// What a curve or region spans, e.g. "m_Zprime from 0.0096 to 0.087 GeV"; empty otherwise.
std::string rangeText(const constraints::Limit& limit);

}  // namespace portalscan::scanner
