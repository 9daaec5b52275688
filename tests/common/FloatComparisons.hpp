#pragma once
/// Tolerance helpers shared by the tests: relative and absolute comparisons
/// with messages that show both numbers and the achieved relative difference.

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

namespace portalscan::test {

inline ::testing::AssertionResult relativelyClose(double actual, double expected,
                                                  double tolerance) {
  if (actual == expected) return ::testing::AssertionSuccess();
  const double scale = std::max(std::abs(actual), std::abs(expected));
  const double rel = std::abs(actual - expected) / scale;
  if (std::isfinite(rel) && rel <= tolerance) return ::testing::AssertionSuccess();
  std::ostringstream s;
  s.precision(17);
  s << "actual " << actual << " vs expected " << expected << ": relative difference " << rel
    << " > " << tolerance;
  return ::testing::AssertionFailure() << s.str();
}

inline ::testing::AssertionResult absolutelyClose(double actual, double expected,
                                                  double tolerance) {
  const double diff = std::abs(actual - expected);
  if (diff <= tolerance) return ::testing::AssertionSuccess();
  std::ostringstream s;
  s.precision(17);
  s << "actual " << actual << " vs expected " << expected << ": difference " << diff << " > "
    << tolerance;
  return ::testing::AssertionFailure() << s.str();
}

}  // namespace portalscan::test

#define EXPECT_REL(actual, expected, tol) \
  EXPECT_TRUE(::portalscan::test::relativelyClose((actual), (expected), (tol)))
#define EXPECT_ABS(actual, expected, tol) \
  EXPECT_TRUE(::portalscan::test::absolutelyClose((actual), (expected), (tol)))
