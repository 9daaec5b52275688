#pragma once
/// Composite Simpson rule: the tests' integration, independent of the
/// Gauss-Kronrod quadrature the code uses.

namespace portalscan::test {

/// int_a^b f with n (even) equal intervals.
template <class F>
double simpson(F f, double a, double b, int n = 200000) {
  const double h = (b - a) / n;
  double sum = f(a) + f(b);
  for (int i = 1; i < n; ++i) sum += f(a + i * h) * (i % 2 ? 4.0 : 2.0);
  return sum * h / 3.0;
}

}  // namespace portalscan::test
