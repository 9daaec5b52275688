#include "portalscan/scanner/PointReport.hpp"

#include "portalscan/scanner/Text.hpp"

#include <iomanip>
#include <ostream>

namespace portalscan::scanner {

PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          physics::BlockMask blocks) {
  PointReport r;
  r.model = &model;
  r.parameters = std::move(parameters);
  r.observables.assign(model.observables().size(), 0.0);
  r.blocks = model.closure(blocks);
  r.status = model.evaluate(r.parameters, r.blocks, r.observables);
  for (std::size_t i = 0; i < r.observables.size(); ++i) {
    r.shown.push_back((model.blockOf(i) & r.blocks) != 0);
  }
  return r;
}

PointReport evaluatePoint(const physics::Model& model, std::vector<double> parameters,
                          const std::vector<std::size_t>& observables) {
  physics::BlockMask blocks = 0;
  for (std::size_t i : observables) blocks |= model.blockOf(i);
  PointReport r = evaluatePoint(model, std::move(parameters), blocks);
  r.shown.assign(r.observables.size(), false);
  for (std::size_t i : observables) r.shown[i] = true;
  return r;
}

nlohmann::json toJson(const PointReport& r) {
  const auto& model = *r.model;
  nlohmann::json j;
  j["model"] = std::string(model.name());
  nlohmann::json options = nlohmann::json::object();
  for (const auto& [k, v] : model.options()) options[k] = v;
  if (!options.empty()) j["options"] = options;
  nlohmann::json parameters = nlohmann::json::object();
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    parameters[model.parameters()[i].name] = numberToJson(r.parameters[i]);
  }
  j["parameters"] = parameters;
  nlohmann::json observables = nlohmann::json::object();
  for (std::size_t i = 0; i < r.observables.size(); ++i) {
    if (!r.shown[i]) continue;
    observables[model.observables()[i].name] = numberToJson(r.observables[i]);
  }
  j["observables"] = observables;
  j["constraints"] = nlohmann::json::object();
  j["allowed"] = r.status == PointStatus::Ok;
  j["status"] = std::string(toString(r.status));
  return j;
}

void printText(const PointReport& r, std::ostream& out) {
  const auto& model = *r.model;
  out << model.name() << "  (" << model.reference() << ")\n";
  for (const auto& [k, v] : model.options()) out << "  option " << k << " = " << v << "\n";
  out << "status: " << toString(r.status) << "\n\nparameters\n";
  for (std::size_t i = 0; i < r.parameters.size(); ++i) {
    const auto& p = model.parameters()[i];
    out << "  " << std::left << std::setw(26) << p.name << std::setw(14)
        << formatNumber(r.parameters[i]) << (p.unit == "1" ? "" : p.unit) << "\n";
  }
  for (std::size_t b = 0; b < model.blocks().size(); ++b) {
    bool any = false;
    for (std::size_t i = 0; i < r.observables.size(); ++i) {
      any = any || (r.shown[i] && model.observables()[i].block == model.blocks()[b].name);
    }
    if (!any) continue;
    out << "\n" << model.blocks()[b].name << "\n";
    for (std::size_t i = 0; i < r.observables.size(); ++i) {
      const auto& o = model.observables()[i];
      if (o.block != model.blocks()[b].name || !r.shown[i]) continue;
      const std::string unit = o.unit == "1" ? "" : o.unit;
      out << "  " << std::left << std::setw(26) << o.name << std::setw(14)
          << formatNumber(r.observables[i]) << std::setw(6) << unit << o.description;
      if (!model.applies(i)) out << " [only for " << o.appliesTo << "]";
      out << "\n";
    }
  }
}

}  // namespace portalscan::scanner
