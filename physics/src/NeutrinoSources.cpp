#include "portalscan/physics/NeutrinoSources.hpp"

#include "portalscan/physics/Quadrature.hpp"
#include "portalscan/physics/Units.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace portalscan::physics::sources {
namespace {

using constants::m_mu;
using constants::m_pi_charged;

/// The isotopes' coefficients a_0..a_5 of exp(sum a_k E^k), E in MeV.
constexpr std::array<double, 6> kU235{4.367, -4.577, 2.100, -0.5294, 0.06186, -0.002777};   // Huber
constexpr std::array<double, 6> kPu239{4.757, -5.392, 2.563, -0.6596, 0.07820, -0.003536};  // Huber
constexpr std::array<double, 6> kPu241{2.990, -2.882, 1.278, -0.3343, 0.03905, -0.001754};  // Huber
constexpr std::array<double, 6> kU238{0.4833,    0.1927,   -0.1283,
                                      -0.006762, 0.002233, -0.0001536};  // Mueller et al.

/// Per MeV per fission for one isotope.
double isotope(const std::array<double, 6>& a, double mev) {
  double x = 0.0;
  for (int k = 5; k >= 0; --k) x = x * mev + a[static_cast<std::size_t>(k)];
  return std::exp(x);
}

}  // namespace

double pionLineEnergy() {
  return (m_pi_charged * m_pi_charged - m_mu * m_mu) / (2.0 * m_pi_charged);  // CN Eq. 29a
}

double muonDecayMaxEnergy() { return 0.5 * m_mu; }

double muonDecayNuE(double energy) {
  if (energy < 0.0 || energy > muonDecayMaxEnergy()) return 0.0;
  const double x = energy / m_mu;
  return 192.0 / m_mu * x * x * (0.5 - x);  // CN Eq. 29b, E_mu = m_mu, p_mu = 0
}

double muonDecayNuMuBar(double energy) {
  if (energy < 0.0 || energy > muonDecayMaxEnergy()) return 0.0;
  const double x = energy / m_mu;
  return 64.0 / m_mu * x * x * (0.75 - x);  // CN Eq. 29c, E_mu = m_mu, p_mu = 0
}

double printedEq29bNuE(double energy, double muonEnergy, double muonMomentum) {
  if (energy < 0.0 || energy > 0.5 * muonEnergy) return 0.0;
  const double boost = 1.0 + muonMomentum * muonMomentum / (3.0 * muonEnergy * muonEnergy);
  const double y = energy * muonEnergy / (m_mu * m_mu);
  return 192.0 / m_mu * y * y *
         (m_mu / (2.0 * muonEnergy) - energy / m_mu * boost);  // CN Eq. 29b as printed
}

double printedEq29cNuMuBar(double energy, double muonEnergy, double muonMomentum) {
  if (energy < 0.0 || energy > 0.5 * muonEnergy) return 0.0;
  const double boost = 1.0 + muonMomentum * muonMomentum / (3.0 * muonEnergy * muonEnergy);
  const double x = energy / m_mu;
  return 64.0 / m_mu * x * x *
         (0.75 - energy * muonEnergy / (m_mu * m_mu) * boost);  // CN Eq. 29c as printed
}

double Coherent2017::fluencePerFlavourPerCm2() {
  const double lcm = distanceInMeters * 100.0;
  return neutrinosPerFlavourPerProton * protonsOnTarget /
         (4.0 * std::numbers::pi * lcm * lcm);  // CN Sec. IV.C
}

double Coherent2017::csiUnits() {
  return constants::N_A * detectorMassInKg * 1000.0 / csiMolarMassInGrams;  // CN Eq. 27 text
}

double reactorPerFission(double energy, const FissionFractions& f) {
  if (energy < kReactorMinEnergy || energy > kReactorMaxEnergy) return 0.0;
  const double mev = energy / units::MeV;
  const double perMeV = f.u235 * isotope(kU235, mev) + f.u238 * isotope(kU238, mev) +
                        f.pu239 * isotope(kPu239, mev) + f.pu241 * isotope(kPu241, mev);
  return perMeV / units::MeV;
}

double reactorPerFissionTotal(const FissionFractions& f) {
  return quadrature::integrate([&](double e) { return reactorPerFission(e, f); }, kReactorMinEnergy,
                               kReactorMaxEnergy, 1e-13);
}

double reactorSpectrum(double energy, const FissionFractions& f) {
  return reactorPerFission(energy, f) / reactorPerFissionTotal(f);
}

double pionDecayEmission(double mass) {
  const double dl = m_mu * m_mu / (m_pi_charged * m_pi_charged);
  const double d = mass * mass / (m_pi_charged * m_pi_charged);
  if (!(mass < m_pi_charged - m_mu)) return 0.0;
  // lambda(1, a, b) = 1 + a^2 + b^2 - 2a - 2b - 2ab; Shrock (1981).
  const double lambda = 1.0 + dl * dl + d * d - 2.0 * dl - 2.0 * d - 2.0 * dl * d;
  const double rho = (dl + d - (dl - d) * (dl - d)) * std::sqrt(std::max(lambda, 0.0));
  return rho / (dl * (1.0 - dl) * (1.0 - dl));
}

double muonDecayEmission(double mass) { return mass < m_mu - constants::m_e ? 1.0 : 0.0; }

double reactorEmissionLoss(double mass, const FissionFractions& f) {
  if (mass == 0.0) return 0.0;
  if (!(mass < kReactorMaxEnergy)) return reactorPerFissionTotal(f);
  // 1 - sqrt(1 - x^2) = x^2/(1 + sqrt(1 - x^2)): the loss keeps its digits for keV masses.
  const double low = std::max(kReactorMinEnergy, mass);
  const double lost = quadrature::integrate(
      [&](double e) {
        const double x = mass / e;
        return reactorPerFission(e, f) * x * x / (1.0 + std::sqrt((1.0 - x) * (1.0 + x)));
      },
      low, kReactorMaxEnergy, 1e-10);
  const double below =
      low > kReactorMinEnergy
          ? quadrature::integrate([&](double e) { return reactorPerFission(e, f); },
                                  kReactorMinEnergy, low, 1e-10)
          : 0.0;
  return lost + below;
}

double reactorEmission(double mass, const FissionFractions& f) {
  if (mass == 0.0) return 1.0;
  if (!(mass < kReactorMaxEnergy)) return 0.0;
  return 1.0 - reactorEmissionLoss(mass, f) / reactorPerFissionTotal(f);
}

}  // namespace portalscan::physics::sources
