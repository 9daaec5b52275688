#pragma once
/// Per-point status: an expected failure of one point is a value written with
/// the point, never an exception out of a kernel.

#include <array>
#include <cstdint>
#include <string_view>

namespace portalscan {

enum class PointStatus : std::int8_t {
  Ok = 0,
  InvalidInput = 1,             ///< a parameter is NaN or infinite
  UnphysicalParameter = 2,      ///< e.g. a negative mass or a coupling out of its domain
  SolverFailed = 3,             ///< a diagonalisation or root finder did not converge
  NonFiniteResult = 4,          ///< a computed observable came out NaN or infinite
  ConstraintObservableNaN = 5,  ///< an observable a constraint needs is NaN for this point
  NoLightNeutrino = 6,          ///< no mostly-active light state: the model has no light nu here
  FreezeOutInvalid = 7,         ///< chi freeze-out outside its contact estimate (M_Z, M_Zs)
  PhiPartlyThermal = 8,         ///< phi^0 neither thermal nor frozen in through the portal
  ZprimeNotInvisible = 9,       ///< lfv_nsi: BR(Z' -> invisible) < 0.9, the model's premise fails
  BudgetExceeded = 10,          ///< the point spent its integrand-evaluation budget
  ChiPartlyThermal = 11,        ///< chi neither a thermal relic nor frozen in through the portal
};

inline constexpr std::array<std::string_view, 12> kPointStatusNames = {"ok",
                                                                       "invalid_input",
                                                                       "unphysical_parameter",
                                                                       "solver_failed",
                                                                       "non_finite_result",
                                                                       "constraint_observable_nan",
                                                                       "no_light_neutrino",
                                                                       "freezeout_invalid",
                                                                       "phi_partially_thermal",
                                                                       "zprime_not_invisible",
                                                                       "evaluation_budget_exceeded",
                                                                       "chi_partially_thermal"};

/// One line per status, for `portalscan list observables` and the docs.
inline constexpr std::array<std::string_view, 12> kPointStatusDescriptions = {
    "evaluated",
    "a parameter is NaN or infinite",
    "a parameter outside its domain (a negative mass, |epsilon| >= 1, ...)",
    "a diagonalisation or root finder did not converge",
    "a computed observable, or an integral on the way to one, came out NaN or infinite",
    "an observable the constraint chain needs is NaN at this point",
    "lfv_nsi, mixing=mass_matrix: the lightest state of a flavour block is mostly sterile "
    "(mt > M), so no state is the light neutrino",
    "hidden_kev_fermion: chi freezes out where the contact (q^2 << M^2) estimate of its "
    "annihilation fails: near M_Z, M_Zs or the electroweak crossover, or where inverse decays "
    "V -> chi chi would matter (observable freezeout_neglected > 0.5)",
    "hidden_kev_fermion: phi^0 is neither thermal nor frozen in through the Higgs portal "
    "(0.1 < thermalisation_ratio < 10); Y_phi is the interpolation Y_eq tanh(Y_FI/Y_eq)",
    "lfv_nsi: BR(Z' -> invisible) < 0.9 below 2 m_pi+ (g_nu^2 >> g_f^2 fails): the sterile "
    "states and the Z' are then visible and the searches the model evades apply",
    "the point's integrals spent their budget of integrand evaluations (a runaway refinement: "
    "the point is recorded instead of stalling the scan)",
    "hidden_kev_fermion: chi is neither a thermal relic nor frozen in through the vector portal "
    "(0.1 < chi_thermalisation_ratio < 10); Y_chi is the interpolation Y_eq tanh(Y_FI/Y_eq)"};

constexpr std::string_view toString(PointStatus s) {
  return kPointStatusNames[static_cast<std::size_t>(s)];
}

}  // namespace portalscan
