#pragma once
/// One point evaluated for `portalscan point`: the model's observables (and,
/// once a chain is configured, the constraint verdicts), as text or JSON.

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
};

/// Evaluates `model` at `parameters` for `blocks`, reporting every observable they hold.
PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          physics::BlockMask blocks);
/// Evaluates only what the named observables need and reports only them.
PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          const std::vector<std::size_t>& observables);

/// design.md's JSON object {"model", "parameters", "observables", "constraints", "allowed",
/// "status"}.
nlohmann::json toJson(const PointReport& report);

/// Human-readable table: parameters, then observables by block with units.
void printText(const PointReport& report, std::ostream& out);

}  // namespace portalscan::scanner
