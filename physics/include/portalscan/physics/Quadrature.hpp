#pragma once
/// Adaptive Gauss-Kronrod quadrature on a finite interval, on Boost.Math's
/// 31-point Gauss-Kronrod rule.
///
/// Boost 1.74's adaptive gauss_kronrod compares the error of the rule on
/// [-1, 1] with the tolerance times the integral on [a, b]: on an interval of
/// width w it demands an accuracy w/2 times finer than asked and, for small w,
/// recurses to its maximal depth (2 million evaluations for a straight line on
/// [0, 1e-6]); and it knows only a relative tolerance, which the tiny
/// corrections of the CEvNS rates (an O(m^4) sliver next to an O(m^2) shift)
/// cannot reach through their rounding noise. Here the rule is applied on
/// [a, b] mapped to [0, 1], bisecting where its error estimate exceeds the
/// larger of a relative and an absolute tolerance, split between halves as
/// Boost does.

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <algorithm>
#include <cmath>

namespace portalscan::physics::quadrature {

/// The relative accuracy of a single integral.
inline constexpr double kTolerance = 1e-10;
/// The relative accuracy of the outer integral of a nested one: its integrand
/// carries the inner integrals' ~1e-10 noise, which a tighter outer tolerance
/// would chase to the maximal depth.
inline constexpr double kOuterTolerance = 1e-7;
/// At most 2^kMaxDepth subintervals.
inline constexpr int kMaxDepth = 10;

namespace detail {

/// The 31-point rule on [lo, hi] and its error estimate (Boost returns the
/// estimate of the rule on [-1, 1]: scaled here to [lo, hi]).
template <class F>
double rule(F& f, double lo, double hi, double& error) {
  const double value =
      boost::math::quadrature::gauss_kronrod<double, 31>::integrate(f, lo, hi, 0, 0.0, &error);
  error *= 0.5 * (hi - lo);
  return value;
}

template <class F>
double bisect(F& f, double lo, double hi, double value, double error, double target, int depth) {
  if (error <= target || depth == 0) return value;
  const double mid = 0.5 * (lo + hi);
  double errorLo = 0.0, errorHi = 0.0;
  const double valueLo = rule(f, lo, mid, errorLo);
  const double valueHi = rule(f, mid, hi, errorHi);
  return bisect(f, lo, mid, valueLo, errorLo, 0.5 * target, depth - 1) +
         bisect(f, mid, hi, valueHi, errorHi, 0.5 * target, depth - 1);
}

}  // namespace detail

/// int_a^b f(t) dt to max(relative x |integral|, absolute) (0 when b <= a).
template <class F>
double integrate(F&& f, double a, double b, double relative = kTolerance, double absolute = 0.0) {
  if (!(b > a)) return 0.0;
  const double width = b - a;
  auto unit = [&](double x) { return f(a + width * x); };
  double error = 0.0;
  const double value = detail::rule(unit, 0.0, 1.0, error);
  const double target = std::max(relative * std::abs(value), absolute / width);
  return width * detail::bisect(unit, 0.0, 1.0, value, error, target, kMaxDepth);
}

}  // namespace portalscan::physics::quadrature
