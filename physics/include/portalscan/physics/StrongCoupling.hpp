#pragma once
/// Two-loop running of the MS-bar strong coupling from alpha_s(M_Z), with
/// flavour thresholds at m_b(m_b) and m_c(m_c) (and m_t above), alpha_s
/// continuous across each threshold (the two-loop matching is continuous;
/// the O(alpha_s^3) jump is beyond this order).
///
/// Within each n_f interval the truncated two-loop RGE
///   d a / d ln mu^2 = -beta0 a^2 - beta1 a^3,  a = alpha_s / (4 pi),
///   beta0 = 11 - 2 n_f / 3,  beta1 = 102 - 38 n_f / 3,
/// is integrated exactly:
///   ln(mu^2/mu0^2) = 1/(beta0 a) - 1/(beta0 a0)
///                    + beta1/beta0^2 ln[ a (beta0 + beta1 a0) / (a0 (beta0 + beta1 a)) ],
/// and solved for a by Newton's method from the one-loop value, from the nearest threshold,
/// whose couplings are computed once per process. Valid for mu >= 1 GeV.

namespace portalscan::physics {

/// alpha_s(mu) in the MS-bar scheme at two loops; mu in GeV, mu >= 1 GeV.
/// Returns NaN below the Landau region of the n_f = 3 running.
double alphaS(double mu);

/// Number of active flavours at scale mu (thresholds m_c, m_b, m_t).
int activeFlavours(double mu);

namespace reference {
/// The original implementation (a bracketing TOMS748 solve per threshold crossed, from M_Z),
/// kept for the test that checks alphaS against it; alphaS calls it inside a SlowPath scope.
double alphaS(double mu);
}  // namespace reference

}  // namespace portalscan::physics
