// Marching squares of `portalscan export` on grids whose contours are known by hand.
#include "portalscan/scanner/cli/Contour.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace portalscan::scanner {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Nodes at 0, 1, 2 on both axes; the plot's edges half a cell beyond, [-0.5, 2.5].
const std::vector<double> kNodes = {0.0, 1.0, 2.0};

std::vector<Polygon> trace(const std::vector<double>& values, double level = 0.5) {
  return contourPolygons(kNodes, kNodes, values, level, -0.5, 2.5, -0.5, 2.5);
}

TEST(Contour, OneInsideNodeIsADiamondOfLinearCrossings) {
  // 0 at the centre, 1 around it, level 0.5: the crossings are halfway to each neighbour,
  // a diamond with half-diagonals 0.5 (area 2 * 0.5^2 = 0.5), counter-clockwise.
  const auto p = trace({1, 1, 1, 1, 0, 1, 1, 1, 1});
  ASSERT_EQ(p.size(), 1u);
  ASSERT_EQ(p[0].x.size(), 4u);
  EXPECT_NEAR(signedArea(p[0]), 0.5, 1e-12);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_NEAR(std::abs(p[0].x[k] - 1.0) + std::abs(p[0].y[k] - 1.0), 0.5, 1e-12);
  }
}

TEST(Contour, InterpolatesLinearlyBetweenFiniteValues) {
  // 0 at the centre and 4 around: the level 1 is crossed a quarter of the way out.
  const auto p = trace({4, 4, 4, 4, 0, 4, 4, 4, 4}, 1.0);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(signedArea(p[0]), 2 * 0.25 * 0.25, 1e-12);
}

TEST(Contour, ARegionThatFillsThePlotIsClosedAlongItsEdges) {
  const auto p = trace({0, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(signedArea(p[0]), 3.0 * 3.0, 1e-12);  // [-0.5, 2.5]^2
  for (std::size_t k = 0; k < p[0].x.size(); ++k) {
    const bool onEdge =
        p[0].x[k] == -0.5 || p[0].x[k] == 2.5 || p[0].y[k] == -0.5 || p[0].y[k] == 2.5;
    EXPECT_TRUE(onEdge) << p[0].x[k] << " " << p[0].y[k];
  }
}

TEST(Contour, AHoleRunsClockwise) {
  const auto p = trace({0, 0, 0, 0, 1, 0, 0, 0, 0});
  ASSERT_EQ(p.size(), 2u);
  const double a = signedArea(p[0]), b = signedArea(p[1]);
  EXPECT_NEAR(std::max(a, b), 9.0, 1e-12);
  EXPECT_NEAR(std::min(a, b), -0.5, 1e-12);
}

TEST(Contour, AnEmptyNeighbourIsNeverInsideAndCutsHalfway) {
  // The centre inside, its right neighbour empty (NaN), the rest outside at 1.
  const auto p = trace({1, 1, 1, 1, 0, kNaN, 1, 1, 1});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(signedArea(p[0]), 0.5, 1e-12);
  // Every NaN node stays outside: a grid of them has no contour.
  EXPECT_TRUE(trace(std::vector<double>(9, kNaN)).empty());
}

TEST(Contour, ASaddleKeepsItsCornersApartUnlessItsCentreIsInside) {
  // Inside at (0,0) and (1,1) of a 2 x 2 grid; outside at the other two.
  const std::vector<double> nodes = {0.0, 1.0};
  const auto apart = contourPolygons(nodes, nodes, {0, 1, 1, 0}, 0.5, -0.5, 1.5, -0.5, 1.5);
  EXPECT_EQ(apart.size(), 2u);  // centre mean 0.5: not below the level
  const auto joined = contourPolygons(nodes, nodes, {0, 0.8, 0.8, 0}, 0.5, -0.5, 1.5, -0.5, 1.5);
  EXPECT_EQ(joined.size(), 1u);  // centre mean 0.4: inside, one region
}

}  // namespace
}  // namespace portalscan::scanner
