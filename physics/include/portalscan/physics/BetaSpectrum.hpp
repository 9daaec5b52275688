#pragma once
/// The tritium beta spectrum with massive neutral fermions (CN Sec. IV.A).
///
/// CN Eq. 16: dR/dE_e = K_beta E_e (Q + m_e - E_e) p_e
///     sum_i |U_ei|^2 [(Q + m_e - E_e)^2 - m_i^2]^(1/2) theta(Q + m_e - E_e - m_i),
/// one branch per light state (the three active neutrinos and the two chi
/// states), each opening with a step function at its threshold (audit §2.3).
/// K_beta holds the nuclear matrix element, G_F and the Fermi function; we
/// keep the Fermi function's energy dependence (non-relativistic, Z = 2 for
/// the 3He daughter) and normalise so that the spectrum of a single massless
/// neutrino integrates to 1: dR/dE is then in 1/GeV per decay. Recoil and
/// molecular effects are neglected, as in CN (shared/physics.md).

#include <span>

namespace portalscan::physics::beta {

/// One branch of Eq. 16: a light neutral state and its |U_ei|^2.
struct Branch {
  double mass;    ///< |m_i|, GeV
  double weight;  ///< |U_ei|^2
};

/// The non-relativistic Fermi function F(Z, E) = x/(1 - exp(-x)),
/// x = 2 pi Z alpha E_e/p_e, for the daughter charge Z (E_e total energy).
double fermiFunction(int daughterCharge, double kineticEnergy);

/// dR/dE_e of tritium at electron kinetic energy E_e - m_e (GeV), CN Eq. 16,
/// in 1/GeV per decay (normalised as above). Zero outside (0, Q).
double tritiumRate(double kineticEnergy, std::span<const Branch> branches);

/// The same with one massless neutrino of weight 1: the Standard Model
/// reference of CN Fig. 2.
double tritiumRateStandardModel(double kineticEnergy);

/// The electron kinetic energy at which the branch of mass m opens, Q - m
/// (CN Eqs. 17-18); negative when the branch is closed.
double kinkKineticEnergy(double mass);

}  // namespace portalscan::physics::beta
