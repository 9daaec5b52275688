#include "portalscan/physics/LowEnergySignals.hpp"

#include "portalscan/physics/BetaSpectrum.hpp"
#include "portalscan/physics/Units.hpp"

#include <cmath>
#include <limits>

namespace portalscan::physics::signals {
namespace {

using cevns::Flavour;
using cevns::Flux;
using cevns::Nucleus;

const std::vector<Flux>& fluxes(Experiment experiment) {
  static const std::vector<Flux> sns = cevns::spallationSource();
  static const std::vector<Flux> reactor = cevns::reactorSource();
  return experiment == Experiment::Sns ? sns : reactor;
}

const std::array<Nucleus, 2>& csi() {
  static const std::array<Nucleus, 2> nuclei{cevns::caesium133(), cevns::iodine127()};
  return nuclei;
}

double mixing(const NeutralState& s, Flavour f) { return f == Flavour::Electron ? s.u2e : s.u2mu; }

}  // namespace

LightStates fromMassesAndMixings(double m1, double m2, double u1, double u2) {
  LightStates s;
  const double w1 = u1 * u1, w2 = u2 * u2;
  s.active.push_back({0.0, 1.0 - w1 - w2, 1.0 - w1 - w2, 0.0});
  s.chi[0] = {m1, w1, w1, 0.5};
  s.chi[1] = {m2, w2, w2, 0.5};
  return s;
}

TritiumRow tritium(const LightStates& states, double kinetic) {
  std::vector<beta::Branch> branches;
  for (const auto& a : states.active) branches.push_back({a.mass, a.u2e});
  for (const auto& c : states.chi) branches.push_back({c.mass, c.u2e});
  TritiumRow row{kinetic, beta::tritiumRateStandardModel(kinetic), 0.0, 0.0, 0.0};
  row.rate = beta::tritiumRate(kinetic, branches);
  if (!(row.sm > 0.0)) {
    row.ratio = row.deviation = std::numeric_limits<double>::quiet_NaN();
    return row;
  }
  // 1 - ratio = sum_i |U_ei|^2 (1 - sqrt(1 - m_i^2/eps^2) theta) + (1 - sum_i |U_ei|^2),
  // each term small and exact (CN Eq. 16 over the massless reference).
  const double eps = constants::Q_tritium - kinetic;
  double deviation = 1.0;
  for (const auto& b : branches) deviation -= b.weight;
  for (const auto& b : branches) {
    if (b.mass >= eps) {
      deviation += b.weight;
    } else {
      const double x = b.mass / eps;
      deviation += b.weight * x * x / (1.0 + std::sqrt((1.0 - x) * (1.0 + x)));
    }
  }
  row.deviation = deviation;
  row.ratio = 1.0 - deviation;
  return row;
}

double exposure(Experiment experiment) {
  using sources::Coherent2017;
  if (experiment == Experiment::Sns) {
    return Coherent2017::csiUnits() *
           cevns::fluenceFromPerCm2(Coherent2017::fluencePerFlavourPerCm2());
  }
  const double unitsPerKg = constants::N_A * 1000.0 / Coherent2017::csiMolarMassInGrams;
  return unitsPerKg * cevns::fluenceFromPerCm2(1e13 * 86400.0);
}

CevnsRow cevns(const LightStates& states, Experiment experiment, double recoil) {
  const double norm = exposure(experiment);
  CevnsRow row{};
  row.recoil = recoil;
  double sm = 0.0, shift = 0.0, scalar = 0.0;
  std::array<double, 2> unitShift{0.0, 0.0}, unitScalar{0.0, 0.0};
  for (const Flux& flux : fluxes(experiment)) {
    for (const Nucleus& nucleus : csi()) {
      sm += cevns::rate(flux, nucleus, recoil, 0.0, cevns::Process::Z);
      for (std::size_t k = 0; k < 2; ++k) {
        const NeutralState& c = states.chi[k];
        const double s = cevns::zRateShift(flux, nucleus, recoil, c.mass);
        unitShift[k] += s;
        shift += mixing(c, flux.flavour) * s;  // CN Eq. 30
        const double h = cevns::rate(flux, nucleus, recoil, c.mass, cevns::Process::Scalar);
        unitScalar[k] += h;
        if (states.portal) {
          const auto& portal = (*states.portal)[flux.flavour == Flavour::Electron ? 0 : 1];
          scalar += cevns::uH2(nucleus, portal) * c.rightHanded2 * h;
        }
      }
    }
  }
  row.sm = norm * sm;
  row.z = norm * (sm + shift);
  row.deviation = sm > 0.0 ? -shift / sm : std::numeric_limits<double>::quiet_NaN();
  row.ratio = 1.0 - row.deviation;
  for (std::size_t k = 0; k < 2; ++k) {
    row.zRatio[k] = sm > 0.0 ? 1.0 + unitShift[k] / sm : std::numeric_limits<double>::quiet_NaN();
    row.scalarRatio[k] = sm > 0.0 ? unitScalar[k] / sm : std::numeric_limits<double>::quiet_NaN();
  }
  row.eq32 =
      sm > 0.0 ? -(unitShift[0] + unitShift[1]) / sm : std::numeric_limits<double>::quiet_NaN();
  row.eq33 = row.scalarRatio[0] + row.scalarRatio[1];
  row.scalar = states.portal ? norm * scalar : std::numeric_limits<double>::quiet_NaN();
  return row;
}

CevnsCount cevnsCount(const LightStates& states, Experiment experiment, double threshold) {
  double sm = 0.0, shift = 0.0;
  for (const Flux& flux : fluxes(experiment)) {
    for (const Nucleus& nucleus : csi()) {
      sm += cevns::zCount(flux, nucleus, threshold, 0.0);
      for (const NeutralState& c : states.chi) {
        const double w = mixing(c, flux.flavour);
        if (w > 0.0) shift += w * cevns::zCountShift(flux, nucleus, threshold, c.mass);
      }
    }
  }
  CevnsCount count;
  count.sm = exposure(experiment) * sm;
  count.deviation = sm > 0.0 ? -shift / sm : std::numeric_limits<double>::quiet_NaN();
  count.ratio = 1.0 - count.deviation;
  return count;
}

}  // namespace portalscan::physics::signals
