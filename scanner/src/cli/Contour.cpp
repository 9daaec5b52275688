#include "portalscan/scanner/cli/Contour.hpp"

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <unordered_map>

namespace portalscan::scanner {

namespace {

/// The padded grid: (nx + 2) x (ny + 2) nodes, the outer ring on the plot's edges.
struct Padded {
  std::size_t nx, ny;        ///< padded sizes
  std::vector<double> x, y;  ///< node positions
  std::vector<double> v;     ///< values (ring: NaN)
  std::vector<bool> ring;    ///< whether a node is on the ring
  double at(std::size_t i, std::size_t j) const { return v[i + nx * j]; }
  bool isRing(std::size_t i, std::size_t j) const { return ring[i + nx * j]; }
};

struct Point {
  double x, y;
  int side = 0;  ///< on the plot's edge: 1 a vertical side (x fixed), 2 a horizontal one
};

}  // namespace

std::vector<Polygon> contourPolygons(const std::vector<double>& xs, const std::vector<double>& ys,
                                     const std::vector<double>& values, double level, double xLow,
                                     double xHigh, double yLow, double yHigh) {
  const std::size_t nx = xs.size(), ny = ys.size();
  if (nx == 0 || ny == 0 || values.size() != nx * ny) {
    throw std::invalid_argument("contourPolygons: values do not match the grid");
  }
  Padded g{nx + 2, ny + 2, {}, {}, {}, {}};
  g.x.push_back(xLow);
  g.x.insert(g.x.end(), xs.begin(), xs.end());
  g.x.push_back(xHigh);
  g.y.push_back(yLow);
  g.y.insert(g.y.end(), ys.begin(), ys.end());
  g.y.push_back(yHigh);
  g.v.assign(g.nx * g.ny, std::nan(""));
  g.ring.assign(g.nx * g.ny, true);
  for (std::size_t j = 0; j < ny; ++j) {
    for (std::size_t i = 0; i < nx; ++i) {
      g.v[(i + 1) + g.nx * (j + 1)] = values[i + nx * j];
      g.ring[(i + 1) + g.nx * (j + 1)] = false;
    }
  }
  auto inside = [&](std::size_t i, std::size_t j) {
    const double v = g.at(i, j);
    return !g.isRing(i, j) && v < level;  // NaN compares false
  };
  // The crossing on the edge from node a to node b (one inside, one not).
  auto crossing = [&](std::size_t ia, std::size_t ja, std::size_t ib, std::size_t jb) {
    const Point pa{g.x[ia], g.y[ja]}, pb{g.x[ib], g.y[jb]};
    // A ring node sits on a vertical side when the edge runs along x, else on a horizontal one.
    const int side = ja == jb ? 1 : 2;
    if (g.isRing(ia, ja)) return Point{pa.x, pa.y, side};
    if (g.isRing(ib, jb)) return Point{pb.x, pb.y, side};
    const double va = g.at(ia, ja), vb = g.at(ib, jb);
    double t = 0.5;
    if (std::isfinite(va) && std::isfinite(vb) && va != vb) {
      t = std::min(1.0, std::max(0.0, (level - va) / (vb - va)));
    }
    return Point{pa.x + t * (pb.x - pa.x), pa.y + t * (pb.y - pa.y), 0};
  };
  // Edge ids: horizontal edge from node (i, j) to (i + 1, j) is 2 (i + nx j), vertical
  // edge from (i, j) to (i, j + 1) is 2 (i + nx j) + 1.
  struct Segment {
    std::uint64_t from, to;
    std::vector<Point> points;  ///< the point on `from`, and a plot corner it turns round
  };
  std::unordered_map<std::uint64_t, Segment> byStart;
  for (std::size_t j = 0; j + 1 < g.ny; ++j) {
    for (std::size_t i = 0; i + 1 < g.nx; ++i) {
      // Corners counter-clockwise, and the edge from corner k to corner k + 1.
      const std::size_t ci[4] = {i, i + 1, i + 1, i};
      const std::size_t cj[4] = {j, j, j + 1, j + 1};
      bool in[4];
      int count = 0;
      for (int k = 0; k < 4; ++k) count += in[k] = inside(ci[k], cj[k]);
      if (count == 0 || count == 4) continue;
      const std::uint64_t edge[4] = {2 * (i + g.nx * j), 2 * ((i + 1) + g.nx * j) + 1,
                                     2 * (i + g.nx * (j + 1)), 2 * (i + g.nx * j) + 1};
      bool join = false;  // a saddle's inside corners joined through the centre
      if (count == 2 && in[0] == in[2]) {
        double sum = 0.0;
        bool finite = true;
        for (int k = 0; k < 4; ++k) {
          const double v = g.at(ci[k], cj[k]);
          finite = finite && !g.isRing(ci[k], cj[k]) && std::isfinite(v);
          sum += v;
        }
        join = finite && sum / 4.0 < level;
      }
      for (int k = 0; k < 4; ++k) {
        const int k1 = (k + 1) % 4;
        if (!(in[k] && !in[k1])) continue;  // edge k leaves the region (walking CCW)
        // Its segment ends where the walk comes back in: the next such edge
        // counter-clockwise when the saddle is joined, else the previous one.
        int m = k;
        for (int step = 1; step < 4; ++step) {
          const int e = join ? (k + step) % 4 : (k - step + 4) % 4;
          if (!in[e] && in[(e + 1) % 4]) {
            m = e;
            break;
          }
        }
        const Point pk = crossing(ci[k], cj[k], ci[k1], cj[k1]);
        const Point pm = crossing(ci[m], cj[m], ci[(m + 1) % 4], cj[(m + 1) % 4]);
        Segment seg{edge[k], edge[m], {pk}};
        // From one side of the plot to the other through a corner cell: keep the corner.
        if (pk.side && pm.side && pk.side != pm.side) {
          seg.points.push_back(pk.side == 1 ? Point{pk.x, pm.y, 0} : Point{pm.x, pk.y, 0});
        }
        byStart[edge[k]] = std::move(seg);
      }
    }
  }
  std::vector<Polygon> polygons;
  while (!byStart.empty()) {
    Polygon p;
    const std::uint64_t first = byStart.begin()->first;
    std::uint64_t at = first;
    while (true) {
      auto it = byStart.find(at);
      if (it == byStart.end()) break;  // cannot happen with the ring; stop rather than spin
      for (const Point& q : it->second.points) {
        p.x.push_back(q.x);
        p.y.push_back(q.y);
      }
      at = it->second.to;
      byStart.erase(it);
      if (at == first) break;
    }
    if (p.x.size() >= 3) polygons.push_back(std::move(p));
  }
  return polygons;
}

double signedArea(const Polygon& p) {
  double a = 0.0;
  const std::size_t n = p.x.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t l = (k + 1) % n;
    a += p.x[k] * p.y[l] - p.x[l] * p.y[k];
  }
  return 0.5 * a;
}

}  // namespace portalscan::scanner
