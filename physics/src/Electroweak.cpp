#include "portalscan/physics/Electroweak.hpp"

#include "portalscan/physics/Units.hpp"

#include <cmath>
#include <numbers>

namespace portalscan::physics {

using std::numbers::pi;

KineticMixing kineticMixing(double epsilon, double M3) {
  KineticMixing km;
  const double norm = 1.0 / std::sqrt(1.0 - epsilon * epsilon);
  km.sEpsilon = epsilon * norm;  // CN Eq. 37
  km.cEpsilon = norm;
  const double sW = std::sqrt(constants::sin2ThetaW_onShell);
  const double cW2 = 1.0 - constants::sin2ThetaW_onShell;
  const double m0sq = constants::M_W * constants::M_W / cW2;  // M_Z^SM = M_W / c_W
  const double a = m0sq;
  const double b = m0sq * sW * km.sEpsilon;
  const double d = m0sq * sW * sW * km.sEpsilon * km.sEpsilon + km.cEpsilon * km.cEpsilon * M3 * M3;
  if (b == 0.0) {
    km.MZ2 = a;
    km.MZs2 = d;
    return km;
  }
  // Jacobi rotation of the smaller angle: the state continuous with Z_SM keeps index 1.
  const double theta = (d - a) / (2.0 * b);
  const double t = (theta >= 0.0 ? 1.0 : -1.0) / (std::abs(theta) + std::sqrt(theta * theta + 1.0));
  const double c = 1.0 / std::sqrt(1.0 + t * t);
  const double s = t * c;
  km.MZ2 = a - t * b;
  km.MZs2 = d + t * b;
  // Eigenvector of MZ2 is (c, -s) in (Z_SM, X'): Z = c Z_SM - s X', so s_eta = -s (CN Eq. 38).
  km.cosEta = c;
  km.sinEta = -s;
  km.eta = std::atan2(km.sinEta, km.cosEta);
  km.deltaRho = t * b / km.MZ2;  // M0^2/M_Z^2 - 1 without cancellation
  return km;
}

double zNeutrinoCouplingShift(const KineticMixing& km) {
  const double sW = std::sqrt(constants::sin2ThetaW_onShell);
  // r - 1 = (c_eta - 1) + s_eta s_W s_eps, with c_eta - 1 = -s_eta^2/(1 + c_eta).
  const double rMinusOne =
      -km.sinEta * km.sinEta / (1.0 + km.cosEta) + km.sinEta * sW * km.sEpsilon;
  return rMinusOne * (rMinusOne + 2.0);
}

double zToChiChiWidth(const KineticMixing& km, double gS) {
  return km.cEpsilon * km.cEpsilon * km.sinEta * km.sinEta * gS * gS * std::sqrt(km.MZ2) /
         (12.0 * pi);
}

double zToPhiFFbarF(double x) {
  if (!(x > 0.0) || x >= 1.0) return 0.0;
  const double x2 = x * x;
  const double x4 = x2 * x2;
  const double bracket =
      3.0 * x * (20.0 - 8.0 * x2 + x4) / std::sqrt(4.0 - x2) * std::acos(0.5 * x * (3.0 - x2)) -
      3.0 * (4.0 - 6.0 * x2 + x4) * std::log(x) - 0.5 * (1.0 - x2) * (47.0 - 13.0 * x2 + 2.0 * x4);
  return constants::G_F * constants::M_Z * constants::M_Z / (24.0 * std::numbers::sqrt2 * pi * pi) *
         bracket;
}

}  // namespace portalscan::physics
