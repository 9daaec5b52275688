// `portalscan spectrum KIND`: the low-energy curves of CN Sec. IV (Figs. 2
// and 4) for a model point or for masses and mixings given directly.

#include "portalscan/physics/BetaSpectrum.hpp"
#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/physics/Units.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Text.hpp"

#include "Commands.hpp"
#include "portalscan_version.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <ostream>
#include <sstream>

namespace portalscan::scanner {
namespace {

using physics::signals::Experiment;
using physics::signals::LightStates;

constexpr double kKeV = 1e-6;  // GeV

struct Column {
  std::string name;
  std::string unit;  ///< "1" for a pure number
  std::string description;
};

struct Kind {
  std::string name;
  std::string title;
  double from, to;  ///< default range of the energy column, GeV
};

const std::vector<Kind>& kinds() {
  static const std::vector<Kind> k = {
      {"tritium_beta", "tritium beta spectrum (CN Eq. 16, Fig. 2)", 0.1 * kKeV, 18.5 * kKeV},
      {"cevns_sns",
       "CEvNS on CsI, pi/mu decay at rest, COHERENT 2017 exposure (CN Eqs. 25-33, Fig. 4a,b)",
       0.5 * kKeV, 46.0 * kKeV},
      {"cevns_reactor",
       "CEvNS on CsI, reactor antineutrinos, per kg-day at 1e13 cm^-2 s^-1 (CN Eqs. 25-33, Fig. "
       "4c,d)",
       0.01 * kKeV, 1.05 * kKeV},
  };
  return k;
}

std::vector<double> parseList(const std::string& text, std::string_view flag) {
  std::vector<double> values;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? comma : comma - start);
    values.push_back(parseFiniteNumber(item, std::string(flag) + " value '" + item + "'"));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (values.size() != 2) {
    throw InputError(std::string(flag) +
                     " takes two comma-separated values (the two chi states), got " +
                     std::to_string(values.size()));
  }
  return values;
}

/// The light states and a description of where they come from.
struct Source {
  LightStates states;
  nlohmann::json description;
  bool model = false;
};

Source sourceOf(const SpectrumArgs& args) {
  const bool direct = !args.masses.empty() || !args.mixings.empty();
  if (direct && !args.model.empty()) {
    throw InputError("give either --model (with --set) or --masses and --mixings, not both");
  }
  if (!direct && args.model.empty()) {
    throw InputError(
        "say whose curve: --model hidden_kev_fermion [--set NAME=VALUE ...], or --masses M1,M2 "
        "--mixings U1,U2");
  }
  Source source;
  if (direct) {
    if (args.masses.empty() || args.mixings.empty()) {
      throw InputError("--masses and --mixings go together");
    }
    if (!args.sets.empty()) throw InputError("--set needs --model");
    if (!args.options.empty()) throw InputError("--option needs --model");
    const auto m = parseList(args.masses, "--masses");
    const auto u = parseList(args.mixings, "--mixings");
    for (double x : m) {
      if (x < 0.0) throw InputError("--masses: a mass must be >= 0 GeV, got " + formatNumber(x));
    }
    for (double x : u) {
      if (x < 0.0 || x > 1.0) {
        throw InputError("--mixings: |U| must lie in [0, 1], got " + formatNumber(x));
      }
    }
    if (u[0] * u[0] + u[1] * u[1] > 1.0) {
      throw InputError("--mixings: |U1|^2 + |U2|^2 = " + formatNumber(u[0] * u[0] + u[1] * u[1]) +
                       " exceeds 1");
    }
    source.states = physics::signals::fromMassesAndMixings(m[0], m[1], u[0], u[1]);
    source.description = {{"masses_GeV", m}, {"mixings", u}};
    return source;
  }
  const auto model =
      physics::ModelRegistry::builtin().create(args.model, parseOptions(args.options));
  const auto* hidden = dynamic_cast<const physics::HiddenKevFermion*>(model.get());
  if (hidden == nullptr) {
    throw InputError("model '" + args.model +
                     "' has no chi states: spectrum curves exist for hidden_kev_fermion");
  }
  const auto values = parseParameterValues(*model, args.sets);
  std::vector<double> out(model->observables().size());
  const auto status =
      model->evaluate(values, physics::BlockMask{1} << *model->blockIndex("spectrum"), out);
  if (status != PointStatus::Ok) {
    throw InputError("the point cannot be evaluated: " + std::string(toString(status)));
  }
  source.states = hidden->lightStatesOfPoint(values);
  source.model = true;
  nlohmann::json parameters;
  for (std::size_t i = 0; i < values.size(); ++i) {
    parameters[model->parameters()[i].name] = values[i];
  }
  source.description = {{"model", args.model}, {"parameters", parameters}};
  if (!args.options.empty()) {
    nlohmann::json options;
    for (const auto& [name, value] : model->options()) options[name] = value;
    source.description["options"] = options;
  }
  return source;
}

nlohmann::json statesJson(const LightStates& s) {
  auto one = [](const physics::signals::NeutralState& n) {
    return nlohmann::json{{"mass_GeV", n.mass}, {"U2_e", n.u2e}, {"U2_mu", n.u2mu}};
  };
  nlohmann::json active = nlohmann::json::array();
  for (const auto& a : s.active) active.push_back(one(a));
  return {{"active", active}, {"chi", {one(s.chi[0]), one(s.chi[1])}}};
}

std::vector<double> grid(const SpectrumArgs& args, const Kind& kind) {
  const double from = args.from.value_or(kind.from), to = args.to.value_or(kind.to);
  if (!(from >= 0.0)) throw InputError("--from must be >= 0 GeV, got " + formatNumber(from));
  if (!(to > from)) {
    throw InputError("--to (" + formatNumber(to) + " GeV) must exceed --from (" +
                     formatNumber(from) + " GeV)");
  }
  if (args.log && !(from > 0.0)) throw InputError("--log needs --from > 0");
  if (args.points < 2 || args.points > 1000000) {
    throw InputError("--points must lie in [2, 1000000], got " + std::to_string(args.points));
  }
  std::vector<double> x(static_cast<std::size_t>(args.points));
  const double n = static_cast<double>(args.points - 1);
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double f = static_cast<double>(i) / n;
    x[i] = args.log ? from * std::pow(to / from, f) : from + (to - from) * f;
  }
  x.back() = to;
  return x;
}

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<double>> rows;
};

Table tritiumTable(const LightStates& states, const std::vector<double>& energies) {
  Table t;
  t.columns = {
      {"E_kin", "GeV", "electron kinetic energy E_e - m_e"},
      {"dR_dE_sm", "1/GeV", "Standard Model spectrum (one massless neutrino), per decay"},
      {"dR_dE", "1/GeV",
       "spectrum with every light state as its own branch (CN Eq. 16), per decay"},
      {"ratio", "1", "dR_dE / dR_dE_sm"},
      {"deviation", "1",
       "1 - ratio, computed without cancellation (CN Fig. 2b before dividing by 2|U|^2)"},
  };
  for (double e : energies) {
    const auto r = physics::signals::tritium(states, e);
    t.rows.push_back({r.kinetic, r.sm, r.rate, r.ratio, r.deviation});
  }
  return t;
}

Table cevnsTable(const LightStates& states, Experiment experiment, bool model,
                 const std::vector<double>& recoils) {
  Table t;
  t.columns = {
      {"T", "GeV", "nuclear recoil kinetic energy"},
      {"dN_dT_sm", "1/GeV", "Standard Model events per recoil energy for the exposure (Cs + I)"},
      {"dN_dT", "1/GeV",
       "Z-exchange events, mass states incoherent with Z couplings U^dag U (CN Eq. 30, erratum "
       "E1)"},
      {"ratio", "1", "dN_dT / dN_dT_sm"},
      {"deviation", "1",
       "1 - ratio, computed without cancellation (CN Eq. 31 with erratum E1: about 2|U|^2)"},
      {"r_Z_1", "1", "dN^(Z)(M_1)/dN^(Z)(0), unit mixing (CN Eq. 31)"},
      {"r_Z_2", "1", "dN^(Z)(M_2)/dN^(Z)(0), unit mixing (CN Eq. 31)"},
      {"eq32", "1", "2 - r_Z_1 - r_Z_2: CN Eq. 32, per |U_chi|^2 (Fig. 4a,c)"},
      {"r_H_1", "1", "dN^(H)(M_1)/dN^(Z)(0) per |U_H|^2 (CN Eq. 33)"},
      {"r_H_2", "1", "dN^(H)(M_2)/dN^(Z)(0) per |U_H|^2 (CN Eq. 33)"},
      {"eq33", "1", "r_H_1 + r_H_2: CN Eq. 33, per |U_H|^2 (Fig. 4b,d)"},
      {"deviation_eq31", "1",
       "1 - ratio of CN Eqs. 30-31 as printed (final-state mass term only, before erratum E1)"},
  };
  if (model) {
    t.columns.push_back({"dN_dT_scalar", "1/GeV",
                         "scalar-exchange events of the point (CN Eqs. 26, 34-35), eta = 0.3"});
  }
  for (double x : recoils) {
    const auto r = physics::signals::cevns(states, experiment, x);
    std::vector<double> row = {r.recoil,    r.sm,        r.z,    r.ratio,          r.deviation,
                               r.zRatio[0], r.zRatio[1], r.eq32, r.scalarRatio[0], r.scalarRatio[1],
                               r.eq33,      r.eq31};
    if (model) row.push_back(r.scalar);
    t.rows.push_back(std::move(row));
  }
  return t;
}

std::string number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.12g", x);
  return buffer;
}

std::string heading(const Column& c) {
  return c.unit == "1" ? c.name : c.name + " [" + c.unit + "]";
}

}  // namespace

namespace {

void writeTable(const SpectrumArgs& args, std::ostream& out) {
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.name);
  const auto it = std::find_if(kinds().begin(), kinds().end(),
                               [&](const Kind& k) { return k.name == args.kind; });
  if (it == kinds().end()) throw InputError(unknownNameMessage("spectrum", args.kind, names));
  if (args.format != "csv" && args.format != "json") {
    throw InputError(unknownNameMessage("format", args.format, {"csv", "json"}));
  }
  const Kind& kind = *it;
  const std::vector<double> x = grid(args, kind);
  const Source source = sourceOf(args);
  const Table table =
      kind.name == "tritium_beta"
          ? tritiumTable(source.states, x)
          : cevnsTable(source.states,
                       kind.name == "cevns_sns" ? Experiment::Sns : Experiment::Reactor,
                       source.model, x);

  if (args.format == "json") {
    nlohmann::json j;
    j["kind"] = kind.name;
    j["title"] = kind.title;
    j["portalscan_version"] = std::string(kVersion) + " (" + kGitDescribe + ")";
    j["source"] = source.description;
    j["states"] = statesJson(source.states);
    j["columns"] = nlohmann::json::array();
    for (const auto& c : table.columns) {
      j["columns"].push_back({{"name", c.name}, {"unit", c.unit}, {"description", c.description}});
    }
    j["rows"] = nlohmann::json::array();
    for (const auto& row : table.rows) {
      nlohmann::json r = nlohmann::json::array();
      for (double v : row) r.push_back(numberToJson(v));
      j["rows"].push_back(std::move(r));
    }
    out << j.dump(1) << "\n";
    return;
  }
  out << "# portalscan " << kVersion << " spectrum " << kind.name << ": " << kind.title << "\n";
  out << "# source: " << source.description.dump() << "\n";
  out << "# states: " << statesJson(source.states).dump() << "\n";
  for (const auto& c : table.columns) out << "# " << heading(c) << ": " << c.description << "\n";
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    out << (i ? "," : "") << heading(table.columns[i]);
  }
  out << "\n";
  for (const auto& row : table.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out << (i ? "," : "") << number(row[i]);
    out << "\n";
  }
}

/// Writes `text` to `path` through a temporary file renamed into place, so
/// that a failure leaves no half-written file.
void writeFileAtomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  const std::filesystem::path temporary = target.string() + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) {
      throw InputError("cannot write '" + path + "': " + std::strerror(errno));
    }
    file << text;
    file.flush();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw IoError("cannot write '" + path + "': " + std::strerror(errno));
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, target, error);
  if (error) {
    std::filesystem::remove(temporary, error);
    throw IoError("cannot write '" + path + "': " + error.message());
  }
}

}  // namespace

int runSpectrum(const SpectrumArgs& args, std::ostream& out) {
  if (args.output.empty()) {
    writeTable(args, out);
    return kExitOk;
  }
  std::ostringstream text;
  writeTable(args, text);
  writeFileAtomically(args.output, text.str());
  return kExitOk;
}

}  // namespace portalscan::scanner