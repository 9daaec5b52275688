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
///
/// Two guards make every integral end: a NaN or infinite bound, rule value or
/// error estimate throws NonFiniteIntegral at once (a NaN estimate is never
/// "below the tolerance", so bisection used to run to the maximal depth on it,
/// in every level of a nested integral), and the integrand evaluations of one
/// model point are counted against an EvaluationBudget, whose exhaustion
/// throws BudgetExceeded. Model::evaluate turns both into the point's status.

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace portalscan::physics::quadrature {

/// The relative accuracy of a single integral.
inline constexpr double kTolerance = 1e-10;
/// The relative accuracy of the outer integral of a nested one: its integrand
/// carries the inner integrals' ~1e-10 noise, which a tighter outer tolerance
/// would chase to the maximal depth.
inline constexpr double kOuterTolerance = 1e-7;
/// At most 2^kMaxDepth subintervals.
inline constexpr int kMaxDepth = 10;

/// An integral whose bounds, integrand or error estimate came out NaN or infinite.
struct NonFiniteIntegral : std::runtime_error {
  NonFiniteIntegral() : std::runtime_error("an integral's integrand or bound is not finite") {}
};

/// The integrand evaluations allowed to one point are spent.
struct BudgetExceeded : std::runtime_error {
  BudgetExceeded() : std::runtime_error("the point's integrand-evaluation budget is spent") {}
};

/// The integrand evaluations one model point may spend (Model::evaluate sets it). The costliest
/// points measured (hidden_kev_fermion with every block, at its defaults and CN's benchmark 1:
/// QuadratureTest) use 1.8e4; a budget 1000 times that ends a runaway point within seconds,
/// while a nested integral refined to depth 10 in both levels would need 4e9.
inline constexpr std::uint64_t kPointEvaluationBudget = 20'000'000;

namespace detail {

struct Counter {
  std::uint64_t used = 0;
  std::uint64_t limit = std::numeric_limits<std::uint64_t>::max();
};
/// The current thread's count: a point is evaluated on one thread.
inline thread_local Counter counter;

}  // namespace detail

/// For its lifetime, the integrand evaluations on this thread are counted
/// against `limit`; when it ends, the enclosing limit comes back and the
/// evaluations spent count in the enclosing scope too.
class EvaluationBudget {
 public:
  explicit EvaluationBudget(std::uint64_t limit) : saved_(detail::counter) {
    detail::counter = {0, limit};
  }
  ~EvaluationBudget() {
    saved_.used += detail::counter.used;
    detail::counter = saved_;
  }
  EvaluationBudget(const EvaluationBudget&) = delete;
  EvaluationBudget& operator=(const EvaluationBudget&) = delete;
  /// The evaluations spent so far in this scope.
  std::uint64_t used() const { return detail::counter.used; }

 private:
  detail::Counter saved_;
};

namespace detail {

inline constexpr int kRulePoints = 31;

/// The 31-point rule on [lo, hi] and its error estimate (Boost returns the
/// estimate of the rule on [-1, 1]: scaled here to [lo, hi]).
template <class F>
double rule(F& f, double lo, double hi, double& error) {
  Counter& c = counter;
  if (c.used > c.limit - kRulePoints) throw BudgetExceeded();
  c.used += kRulePoints;
  const double value = boost::math::quadrature::gauss_kronrod<double, kRulePoints>::integrate(
      f, lo, hi, 0, 0.0, &error);
  error *= 0.5 * (hi - lo);
  if (!std::isfinite(value) || !std::isfinite(error)) throw NonFiniteIntegral();
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

/// int_a^b f(t) dt to max(relative x |integral|, absolute) (0 when b <= a). Throws
/// NonFiniteIntegral on a bound that is not finite and BudgetExceeded (see above).
template <class F>
double integrate(F&& f, double a, double b, double relative = kTolerance, double absolute = 0.0) {
  if (!std::isfinite(a) || !std::isfinite(b) || !std::isfinite(b - a)) throw NonFiniteIntegral();
  if (!(b > a)) return 0.0;
  const double width = b - a;
  auto unit = [&](double x) { return f(a + width * x); };
  double error = 0.0;
  const double value = detail::rule(unit, 0.0, 1.0, error);
  const double target = std::max(relative * std::abs(value), absolute / width);
  if (!std::isfinite(target)) throw NonFiniteIntegral();
  return width * detail::bisect(unit, 0.0, 1.0, value, error, target, kMaxDepth);
}

}  // namespace portalscan::physics::quadrature
