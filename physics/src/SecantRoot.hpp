#pragma once
/// The secant method for the kernel's self-consistent temperature solves, whose functions
/// (ln of a rate ratio against ln T) are nearly linear near the root, so that it converges in
/// a few steps from a good start where a bracketing solver over a wide bracket needs a dozen
/// evaluations. It gives up (NaN) rather than guess: the callers then take their bracketed
/// solve, so a hard case (a root on a jump of g_*, or outside the bracket) is decided by the
/// same algorithm as before.

#include <cmath>
#include <limits>

namespace portalscan::physics::detail {

/// Root of g near x0 (g(x0) = g0 given) and x1, by secant steps, each of which must stay in
/// [lo, hi]; converged when a step is at most `tolerance` (the secant method's superlinear
/// convergence leaves an error far below that). NaN if not converged within `maxSteps`
/// evaluations, or on a non-finite value or a flat secant.
template <class G>
double secantRoot(G&& g, double x0, double g0, double x1, double lo, double hi, double tolerance,
                  int maxSteps = 16) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (!std::isfinite(g0) || !(x1 >= lo && x1 <= hi)) return kNaN;
  double g1 = g(x1);
  for (int i = 0; i < maxSteps; ++i) {
    if (g1 == 0.0) return x1;
    if (!std::isfinite(g1) || g1 == g0) return kNaN;
    const double x2 = x1 - g1 * (x1 - x0) / (g1 - g0);
    if (!(x2 >= lo && x2 <= hi)) return kNaN;
    if (std::abs(x2 - x1) <= tolerance) return x2;
    x0 = x1;
    g0 = g1;
    x1 = x2;
    g1 = g(x1);
  }
  return kNaN;
}

}  // namespace portalscan::physics::detail
