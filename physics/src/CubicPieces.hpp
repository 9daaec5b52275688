#pragma once
/// A cubic B-spline on a uniform grid rewritten once as one cubic polynomial per interval
/// (value, first, second and third derivative at the interval's left knot, in units of the
/// step), so that an evaluation is an index and a Horner step instead of Boost's four basis
/// functions. The polynomial is the spline's own piece: the two agree to rounding (about
/// 1e-15 of the values' scale; tests/physics/KernelEqualityTest.cpp measures it).

#include <boost/math/interpolators/cardinal_cubic_b_spline.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace portalscan::physics::detail {

class CubicPieces {
 public:
  CubicPieces() = default;
  /// The spline on [x0, x0 + (n - 1) h].
  CubicPieces(const boost::math::interpolators::cardinal_cubic_b_spline<double>& spline, double x0,
              double h, int n)
      : x0_(x0), inverseStep_(1.0 / h), last_(n - 2) {
    coefficients_.resize(static_cast<std::size_t>(n - 1));
    for (int i = 0; i < n - 1; ++i) {
      const double x = x0 + i * h;
      const double xNext = x0 + (i + 1) * h;
      const double d2 = spline.double_prime(x);
      const double d2Next = spline.double_prime(xNext);
      // On the interval the spline is a cubic: s + s' d + s'' d^2/2 + s''' d^3/6 with
      // s''' = (s''(x_i+1) - s''(x_i))/h; in t = d/h:
      coefficients_[static_cast<std::size_t>(i)] = {spline(x), spline.prime(x) * h,
                                                    0.5 * d2 * h * h, (d2Next - d2) * h * h / 6.0};
    }
  }
  /// The spline at x; x outside the grid is evaluated on the end intervals' polynomials.
  double operator()(double x) const {
    const double f = (x - x0_) * inverseStep_;
    if (std::isnan(f)) return f;
    const int i = static_cast<int>(std::clamp(f, 0.0, static_cast<double>(last_)));
    const double t = f - i;
    const auto& c = coefficients_[static_cast<std::size_t>(i)];
    return c[0] + t * (c[1] + t * (c[2] + t * c[3]));
  }
  /// Its derivative in x, the piece's own (exact for the cubic, continuous across knots
  /// as the spline's is).
  double prime(double x) const {
    const double f = (x - x0_) * inverseStep_;
    if (std::isnan(f)) return f;
    const int i = static_cast<int>(std::clamp(f, 0.0, static_cast<double>(last_)));
    const double t = f - i;
    const auto& c = coefficients_[static_cast<std::size_t>(i)];
    return (c[1] + t * (2.0 * c[2] + t * 3.0 * c[3])) * inverseStep_;
  }
  /// Its second derivative in x, the piece's own (continuous across knots as the spline's is).
  double secondDerivative(double x) const {
    const double f = (x - x0_) * inverseStep_;
    if (std::isnan(f)) return f;
    const int i = static_cast<int>(std::clamp(f, 0.0, static_cast<double>(last_)));
    const double t = f - i;
    const auto& c = coefficients_[static_cast<std::size_t>(i)];
    return (2.0 * c[2] + 6.0 * c[3] * t) * inverseStep_ * inverseStep_;
  }
  /// The value (as operator()), first (as prime) and second derivative (as secondDerivative)
  /// from one look-up of the piece.
  double withDerivatives(double x, double& first, double& second) const {
    const double f = (x - x0_) * inverseStep_;
    if (std::isnan(f)) {
      first = second = f;
      return f;
    }
    const int i = static_cast<int>(std::clamp(f, 0.0, static_cast<double>(last_)));
    const double t = f - i;
    const auto& c = coefficients_[static_cast<std::size_t>(i)];
    first = (c[1] + t * (2.0 * c[2] + t * 3.0 * c[3])) * inverseStep_;
    second = (2.0 * c[2] + 6.0 * c[3] * t) * inverseStep_ * inverseStep_;
    return c[0] + t * (c[1] + t * (c[2] + t * c[3]));
  }

 private:
  double x0_ = 0.0;
  double inverseStep_ = 1.0;
  int last_ = 0;
  std::vector<std::array<double, 4>> coefficients_;
};

}  // namespace portalscan::physics::detail
