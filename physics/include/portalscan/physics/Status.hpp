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
};

inline constexpr std::array<std::string_view, 6> kPointStatusNames = {"ok",
                                                                      "invalid_input",
                                                                      "unphysical_parameter",
                                                                      "solver_failed",
                                                                      "non_finite_result",
                                                                      "constraint_observable_nan"};

constexpr std::string_view toString(PointStatus s) {
  return kPointStatusNames[static_cast<std::size_t>(s)];
}

}  // namespace portalscan
