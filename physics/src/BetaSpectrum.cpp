#include "portalscan/physics/BetaSpectrum.hpp"

#include "portalscan/physics/Quadrature.hpp"
#include "portalscan/physics/Units.hpp"

#include <cmath>
#include <numbers>

namespace portalscan::physics::beta {
namespace {

constexpr int kHeliumCharge = 2;  // 3H -> 3He+ e- nubar

/// CN Eq. 16 without K_beta's constant: E_e eps p_e F sum_i w_i sqrt(eps^2 - m_i^2),
/// eps = Q + m_e - E_e the energy left to the neutral fermion.
double unnormalised(double kinetic, std::span<const Branch> branches) {
  const double q = constants::Q_tritium;
  if (!(kinetic > 0.0) || !(kinetic < q)) return 0.0;
  const double me = constants::m_e;
  const double energy = kinetic + me;
  const double momentum = std::sqrt(kinetic * (kinetic + 2.0 * me));
  const double eps = q - kinetic;  // = Q + m_e - E_e
  double sum = 0.0;
  for (const Branch& b : branches) {
    if (b.weight == 0.0 || eps <= b.mass) continue;  // theta(eps - m_i)
    sum += b.weight * std::sqrt((eps - b.mass) * (eps + b.mass));
  }
  return energy * eps * momentum * fermiFunction(kHeliumCharge, kinetic) * sum;
}

/// The integral of the massless spectrum over (0, Q): the normalisation.
double normalisation() {
  static const double n = [] {
    const Branch massless[] = {{0.0, 1.0}};
    auto f = [&](double t) { return unnormalised(t, massless); };
    return quadrature::integrate(f, 0.0, constants::Q_tritium, 1e-13);
  }();
  return n;
}

}  // namespace

double fermiFunction(int daughterCharge, double kineticEnergy) {
  const double me = constants::m_e;
  const double energy = kineticEnergy + me;
  const double momentum = std::sqrt(kineticEnergy * (kineticEnergy + 2.0 * me));
  const double x = 2.0 * std::numbers::pi * daughterCharge * constants::alpha * energy / momentum;
  return x == 0.0 ? 1.0 : x / -std::expm1(-x);
}

double tritiumRate(double kineticEnergy, std::span<const Branch> branches) {
  return unnormalised(kineticEnergy, branches) / normalisation();
}

double tritiumRateStandardModel(double kineticEnergy) {
  const Branch massless[] = {{0.0, 1.0}};
  return tritiumRate(kineticEnergy, massless);
}

double kinkKineticEnergy(double mass) { return constants::Q_tritium - mass; }

}  // namespace portalscan::physics::beta
