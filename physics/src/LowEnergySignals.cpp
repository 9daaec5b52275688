#include "portalscan/physics/LowEnergySignals.hpp"

#include "portalscan/physics/BetaSpectrum.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
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

/// The share of one source component's decays that each state carries, b_i
/// (erratum E1; CevnsRow): light states first, then the two chi states.
struct Shares {
  std::vector<double> light;
  std::array<double, 2> chi{};
};
Shares shares(const LightStates& states, const Flux& flux) {
  Shares b;
  double total = 0.0;
  for (const auto& a : states.active) {
    b.light.push_back(mixing(a, flux.flavour));  // light states: G = 1
    total += b.light.back();
  }
  for (std::size_t k = 0; k < 2; ++k) {
    const NeutralState& c = states.chi[k];
    const double w = mixing(c, flux.flavour);
    b.chi[k] = w > 0.0 ? w * (flux.emission ? flux.emission(c.mass) : 1.0) : 0.0;
    total += b.chi[k];
  }
  if (total > 0.0) {
    for (double& x : b.light) x /= total;
    for (double& x : b.chi) x /= total;
  }
  return b;
}

/// Per source component (erratum E1; CevnsRow): the share of its decays
/// lost to the sterile directions, sum_i b_i (1 - P_ii), and the weight with
/// which each chi final state is reached, sum_i b_i |P_ki|^2. Then
/// sm - R = lost sm - sum_k moved_k Delta(m_k).
struct Weights {
  double lost = 0.0;
  std::array<double, 2> moved{};
  double of(double sm, const std::array<double, 2>& shift) const {
    return lost * sm - (moved[0] * shift[0] + moved[1] * shift[1]);
  }
};
Weights weights(const LightStates& states, const Flux& flux) {
  const Shares b = shares(states, flux);
  Weights w;
  auto add = [&](const NeutralState& in, double share) {
    if (share == 0.0) return;
    w.lost += share * in.sterile2;
    for (std::size_t k = 0; k < 2; ++k) {
      w.moved[k] += share * zCoupling2(states, states.chi[k], in, flux.flavour);
    }
  };
  for (std::size_t i = 0; i < states.active.size(); ++i) add(states.active[i], b.light[i]);
  for (std::size_t k = 0; k < 2; ++k) add(states.chi[k], b.chi[k]);
  return w;
}

}  // namespace

double zCoupling2(const LightStates& states, const NeutralState& i, const NeutralState& j,
                  Flavour f) {
  double p = 0.0;  // P_ij = sum_alpha U_alpha i U_alpha j (CN Eq. 12, real mixing)
  if (states.perFlavour) {
    const std::size_t a = f == Flavour::Electron ? 0 : 1;
    p = i.amplitude[a] * j.amplitude[a];
  } else {
    for (std::size_t a = 0; a < 3; ++a) p += i.amplitude[a] * j.amplitude[a];
  }
  // Complex mixing (three N_R): Re P adds Im U*_i Im U_j, and Im P = Re U_i Im U_j - Im U_i Re U_j.
  double pIm = 0.0;
  for (std::size_t a = 0; a < 3; ++a) {
    if (i.amplitudeIm[a] == 0.0 && j.amplitudeIm[a] == 0.0) continue;
    if (states.perFlavour && a != (f == Flavour::Electron ? 0u : 1u)) continue;
    p += i.amplitudeIm[a] * j.amplitudeIm[a];
    pIm += i.amplitude[a] * j.amplitudeIm[a] - i.amplitudeIm[a] * j.amplitude[a];
  }
  if (pIm == 0.0) return p * p;  // real mixing: |P|^2 as before
  return p * p + pIm * pIm;
}

LightStates fromMassesAndMixings(double m1, double m2, double u1, double u2) {
  LightStates s;
  s.perFlavour = true;
  const double w1 = u1 * u1, w2 = u2 * u2;
  const double a = std::sqrt(std::max(1.0 - w1 - w2, 0.0));
  // nu_l = a nu + u1 chi_1 + u2 chi_2 for each flavour l (a unitary 3x3 per
  // flavour); 1 - P_ii from the other states' weights, without cancellation.
  s.active.push_back({0.0, 1.0 - w1 - w2, 1.0 - w1 - w2, 0.0, {a, a, 0.0}, w1 + w2});
  s.chi[0] = {m1, w1, w1, 0.5, {u1, u1, 0.0}, 1.0 - w1};
  s.chi[1] = {m2, w2, w2, 0.5, {u2, u2, 0.0}, 1.0 - w2};
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
  double sm = 0.0, shift = 0.0, lost = 0.0, scalar = 0.0;
  std::array<double, 2> unitShift{0.0, 0.0}, unitScalar{0.0, 0.0};
  for (const Flux& flux : fluxes(experiment)) {
    double componentSm = 0.0;
    std::array<double, 2> componentShift{0.0, 0.0};
    for (const Nucleus& nucleus : csi()) {
      componentSm += cevns::rate(flux, nucleus, recoil, 0.0, cevns::Process::Z);
      for (std::size_t k = 0; k < 2; ++k) {
        const NeutralState& c = states.chi[k];
        const double s = cevns::zRateShift(flux, nucleus, recoil, c.mass);
        componentShift[k] += s;
        const double h = cevns::rate(flux, nucleus, recoil, c.mass, cevns::Process::Scalar);
        unitScalar[k] += h;
        if (states.portal) {
          const auto& portal = (*states.portal)[flux.flavour == Flavour::Electron ? 0 : 1];
          scalar += cevns::uH2(nucleus, portal) * c.rightHanded2 * h;
        }
      }
    }
    sm += componentSm;
    for (std::size_t k = 0; k < 2; ++k) {
      unitShift[k] += componentShift[k];
      shift += mixing(states.chi[k], flux.flavour) * componentShift[k];  // CN Eq. 30 as printed
    }
    lost += weights(states, flux).of(componentSm, componentShift);  // erratum E1
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  row.sm = norm * sm;
  row.z = norm * (sm - lost);
  row.deviation = sm > 0.0 ? lost / sm : nan;
  row.ratio = 1.0 - row.deviation;
  row.eq31 = sm > 0.0 ? -shift / sm : nan;
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
  double sm = 0.0, shift = 0.0, lost = 0.0;
  for (const Flux& flux : fluxes(experiment)) {
    // A chi state that this component neither emits nor reaches through the
    // Z (P_k i = 0 for every state it emits) needs no shift.
    const Weights w = weights(states, flux);
    std::array<bool, 2> needed{};
    for (std::size_t k = 0; k < 2; ++k) {
      needed[k] = w.moved[k] > 0.0 || mixing(states.chi[k], flux.flavour) > 0.0;
    }
    double componentSm = 0.0;
    std::array<double, 2> componentShift{0.0, 0.0};
    for (const Nucleus& nucleus : csi()) {
      componentSm += cevns::zCount(flux, nucleus, threshold, 0.0);
      for (std::size_t k = 0; k < 2; ++k) {
        if (needed[k]) {
          componentShift[k] += cevns::zCountShift(flux, nucleus, threshold, states.chi[k].mass);
        }
      }
    }
    sm += componentSm;
    for (std::size_t k = 0; k < 2; ++k) {
      shift += mixing(states.chi[k], flux.flavour) * componentShift[k];  // CN Eq. 30 as printed
    }
    lost += w.of(componentSm, componentShift);  // erratum E1
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CevnsCount count;
  count.sm = exposure(experiment) * sm;
  count.deviation = sm > 0.0 ? lost / sm : nan;
  count.ratio = 1.0 - count.deviation;
  count.eq31 = sm > 0.0 ? -shift / sm : nan;
  return count;
}

}  // namespace portalscan::physics::signals
