#pragma once
/// Contour lines of a field on a rectangular grid by marching squares, for
/// `portalscan export`. The field's values sit at the nodes (bin centres); a
/// node is inside a region when its value is below the level (NaN never is).
/// The grid is wrapped in a ring of outside nodes on the plot's edges, so every
/// line is a closed polygon: where a region reaches the edge of the plot, its
/// polygon runs along that edge. Polygons keep the region on their left
/// (outer boundaries counter-clockwise, holes clockwise), so a non-zero fill
/// of all of them paints exactly the region.

#include <vector>

namespace portalscan::scanner {

struct Polygon {
  std::vector<double> x, y;  ///< vertices in order; the last joins the first
};

/// Positions `xs` (nx, increasing) and `ys` (ny, increasing) of the nodes in
/// plot coordinates (log10 of a log axis), `values` at node (i, j) as
/// values[i + nx * j], the plot's edges [xLow, xHigh] x [yLow, yHigh]
/// (outside the nodes, or on the outer ones). Between two nodes with finite
/// values the crossing is interpolated linearly; next to a non-finite value
/// (an empty bin, or +-inf) it is halfway, on the bins' common edge; next to
/// the ring it is on the plot's edge. Saddle cells join their inside corners
/// when the mean of the four values is inside, and keep them apart otherwise
/// (and whenever a value is not finite).
std::vector<Polygon> contourPolygons(const std::vector<double>& xs, const std::vector<double>& ys,
                                     const std::vector<double>& values, double level, double xLow,
                                     double xHigh, double yLow, double yHigh);

/// Signed area (shoelace): positive for a counter-clockwise polygon.
double signedArea(const Polygon& p);

}  // namespace portalscan::scanner
