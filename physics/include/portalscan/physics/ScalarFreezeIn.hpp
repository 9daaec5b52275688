#pragma once
/// Production of phi^0 through the quartic Higgs portal kappa (H^dag H)(phi^* phi)
/// (Chang & Ng Eq. 1; erratum E11): thermal or frozen in.
///
/// phi = (v_s + phi^0)/sqrt2 gives (kappa/2) (H^dag H) (phi^0)^2, so
///   above the electroweak crossover  H H^dag -> phi^0 phi^0, |M|^2 = kappa^2 for each of the
///                                    two complex Higgs components (massless, Boltzmann):
///                                    phi^0 production rate density 2 gamma = kappa^2 T^4/(64
///                                    pi^5);
///   below it                         h -> phi^0 phi^0, Gamma = kappa^2 v^2 beta/(32 pi M_H)
///                                    (CN Eq. 68), rate density 2 Gamma M_H^2 T K_1(M_H/T)/(2 pi^2)
///                                    (the collision term of Hall, Jedamzik, March-Russell,
///                                    West, arXiv:0911.1120, Sec. 2, two phi^0 per decay).
/// The freeze-in yield is Y_FI = int dT P(T)/(s H T) with the SM g_*(T), g_*s(T); with
/// constant g_* and decays from T = infinity it is HJMW's decay yield (Sec. 2) times 2,
///   Y = 2 x 135 Gamma M_Pl/(8 pi^3 1.66 g_*s sqrt(g_*) M_H^2),  1.66 = sqrt(4 pi^3/45).
/// The thermalisation ratio is max over T of P(T)/(n_eq H), n_eq = zeta(3) T^3/pi^2.

namespace portalscan::physics::cosmology {

/// Regime boundaries of `thermalisation_ratio`: at or below kFreezeInRatio phi^0 is frozen in
/// (inverse processes change Y by < 1%), at or above kThermalRatio it is thermal.
inline constexpr double kFreezeInRatio = 0.1;
inline constexpr double kThermalRatio = 10.0;

struct ScalarPortalYield {
  double thermalisationRatio = 0.0;  ///< max_T (phi^0 production rate per equilibrium phi^0)/H
  double freezeInYield = 0.0;        ///< Y_FI, inverse processes neglected
  double decayFreezeInYield = 0.0;   ///< the part of Y_FI from h -> phi^0 phi^0
  double peakTemperature = 0.0;      ///< T of the maximum of the ratio, GeV
  /// Below the peak, the T where the ratio falls back to 1 (phi^0 leaves equilibrium through
  /// the portal); NaN if the ratio never reaches 1 below the crossover.
  double decouplingTemperature = 0.0;
};

/// For quartic kappa and phi^0 mass m_phi (h -> phi phi closed for m_phi >= M_H/2; phi^0 is
/// taken massless in the production).
ScalarPortalYield scalarPortalYield(double kappa, double mPhi);

}  // namespace portalscan::physics::cosmology
