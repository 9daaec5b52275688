#include "portalscan/physics/ThermalHistory.hpp"

#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/Units.hpp"

#include "CubicPieces.hpp"
#include <boost/math/interpolators/cardinal_cubic_b_spline.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>

#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace portalscan::physics::thermal {
namespace {

using boost::math::interpolators::cardinal_cubic_b_spline;
using std::numbers::pi;

/// log10 through the natural log, which is cheaper; the two differ by rounding.
inline double fastLog10(double x) { return std::log(x) * 0.43429448190325182765; }

// Grid in log10(x) for the per-species weights. Below xMin a species is
// massless to 1e-9; above xMax its weight is below 1e-40 and is set to 0.
constexpr double kLogXMin = -4.0;
constexpr double kLogXMax = 2.0;
constexpr int kXPointsPerDecade = 100;

enum class Moment { Energy, Entropy, Number };

/// Integral over p/T of the thermal distribution, normalised to the massless boson.
double weightIntegral(Statistics s, Moment m, double x) {
  const double sign = s == Statistics::Boson ? -1.0 : 1.0;
  auto occupation = [&](double e) {
    const double b = std::exp(-e);
    return b / (1.0 + sign * b);  // 1/(e^E -+ 1), stable for large E
  };
  auto integrand = [&](double p) {
    const double e = std::sqrt(p * p + x * x);
    if (e == 0.0) return 0.0;
    switch (m) {
      case Moment::Energy:
        return p * p * e * occupation(e);
      case Moment::Entropy:
        return p * p * (e + p * p / (3.0 * e)) * occupation(e);
      case Moment::Number:
        return p * p * occupation(e);
    }
    return 0.0;
  };
  const double value = boost::math::quadrature::gauss_kronrod<double, 61>::integrate(
      integrand, 0.0, std::numeric_limits<double>::infinity(), 15, 1e-12);
  // Massless boson: int p^3/(e^p-1) = pi^4/15; entropy (4/3) of that; number 2 zeta(3).
  switch (m) {
    case Moment::Energy:
      return value * 15.0 / std::pow(pi, 4);
    case Moment::Entropy:
      return value * 45.0 / (4.0 * std::pow(pi, 4));
    case Moment::Number:
      return value / (2.0 * constants::zeta3);
  }
  return 0.0;
}

/// log(weight) tabulated in log10(x).
class WeightTable {
 public:
  WeightTable(Statistics s, Moment m) {
    const int n = static_cast<int>((kLogXMax - kLogXMin) * kXPointsPerDecade) + 1;
    std::vector<double> logw(n);
    for (int i = 0; i < n; ++i) {
      const double x = std::pow(10.0, kLogXMin + i / static_cast<double>(kXPointsPerDecade));
      logw[i] = std::log(weightIntegral(s, m, x));
    }
    massless_ = weightIntegral(s, m, 0.0);
    spline_ = cardinal_cubic_b_spline<double>(logw.begin(), logw.end(), kLogXMin,
                                              1.0 / kXPointsPerDecade);
    pieces_ = detail::CubicPieces(spline_, kLogXMin, 1.0 / kXPointsPerDecade, n);
  }
  double operator()(double x) const {
    if (reference::slowPath()) return referenceValue(x);
    // x <= 1e-4 is lx <= kLogXMin, decided without the log.
    if (x <= 1e-4) return massless_;
    const double lx = fastLog10(x);
    if (lx >= kLogXMax) return 0.0;
    return std::exp(pieces_(lx));
  }
  /// The same from ln x.
  double fromLog(double lnX) const {
    if (reference::slowPath()) return referenceValue(std::exp(lnX));
    if (lnX <= lnXMin_) return massless_;
    const double lx = lnX * 0.43429448190325182765;
    if (lx >= kLogXMax) return 0.0;
    return std::exp(pieces_(lx));
  }
  double referenceValue(double x) const {
    if (x <= 0.0) return massless_;
    const double lx = std::log10(x);
    if (lx <= kLogXMin) return massless_;
    if (lx >= kLogXMax) return 0.0;
    return std::exp(spline_(lx));
  }

 private:
  double massless_ = 0.0;
  double lnXMin_ = std::log(1e-4);  // kLogXMin in ln x
  cardinal_cubic_b_spline<double> spline_;
  detail::CubicPieces pieces_;
};

const WeightTable& table(Statistics s, Moment m) {
  static const std::array<WeightTable, 6> tables = {
      WeightTable(Statistics::Boson, Moment::Energy),
      WeightTable(Statistics::Boson, Moment::Entropy),
      WeightTable(Statistics::Boson, Moment::Number),
      WeightTable(Statistics::Fermion, Moment::Energy),
      WeightTable(Statistics::Fermion, Moment::Entropy),
      WeightTable(Statistics::Fermion, Moment::Number)};
  return tables[(s == Statistics::Boson ? 0 : 3) + static_cast<int>(m)];
}

struct Species {
  double dof;
  double mass;  // GeV
  Statistics statistics;
};

// Species in the photon plasma (neutrinos are treated separately).
// dof: photon 2; gluons 8x2; quarks 3 colours x 2 spins x 2 (q, qbar); charged
// leptons 2 spins x 2; W+- 2x3; Z 3; H 1; pi+- 2; pi0 1.
constexpr std::array<Species, 7> kPlasmaCommon = {{
    {2, 0.0, Statistics::Boson},                 // photon
    {4, constants::m_e, Statistics::Fermion},    // e-+
    {4, constants::m_mu, Statistics::Fermion},   // mu-+
    {4, constants::m_tau, Statistics::Fermion},  // tau-+
    {6, constants::M_W, Statistics::Boson},      // W+-
    {3, constants::M_Z, Statistics::Boson},      // Z
    {1, constants::M_H, Statistics::Boson},      // H
}};
constexpr std::array<Species, 7> kQuarkGluonPhase = {{
    {16, 0.0, Statistics::Boson},  // gluons
    {12, constants::m_u, Statistics::Fermion},
    {12, constants::m_d, Statistics::Fermion},
    {12, constants::m_s, Statistics::Fermion},
    {12, constants::m_c, Statistics::Fermion},
    {12, constants::m_b, Statistics::Fermion},
    {12, constants::m_t, Statistics::Fermion},
}};
constexpr std::array<Species, 2> kHadronPhase = {{
    {2, constants::m_pi_charged, Statistics::Boson},
    {1, constants::m_pi0, Statistics::Boson},
}};
constexpr double kNeutrinoDof = 6.0;  // 3 flavours x (nu, nubar), one helicity each

/// Energy (or entropy) weight of everything in the photon plasma at T.
double plasmaSum(double temperature, Moment m) {
  double sum = 0.0;
  auto add = [&](const Species& sp) {
    sum += sp.dof * table(sp.statistics, m)(sp.mass / temperature);
  };
  for (const auto& sp : kPlasmaCommon) add(sp);
  if (temperature >= kQcdTransitionTemperature) {
    for (const auto& sp : kQuarkGluonPhase) add(sp);
  } else {
    for (const auto& sp : kHadronPhase) add(sp);
  }
  return sum;
}

/// T_nu / T below neutrino decoupling, from the conserved entropy of the photon plasma.
double neutrinoTemperatureRatio(double temperature) {
  if (temperature >= kNeutrinoDecouplingTemperature) return 1.0;
  const double before = plasmaSum(kNeutrinoDecouplingTemperature, Moment::Entropy);
  const double now = plasmaSum(temperature, Moment::Entropy);
  return std::cbrt(now / before);
}

/// g_* and g_*s tabulated in log10(T) on three smooth pieces, so that the
/// QCD switch and neutrino decoupling stay sharp.
class GStarTable {
 public:
  explicit GStarTable(Moment m) {
    const double edges[4] = {std::log10(kMinTemperature),
                             std::log10(kNeutrinoDecouplingTemperature),
                             std::log10(kQcdTransitionTemperature), std::log10(kMaxTemperature)};
    for (int piece = 0; piece < 3; ++piece) {
      const double lo = edges[piece];
      const double hi = edges[piece + 1];
      const int n = std::max(8, static_cast<int>((hi - lo) * kTPointsPerDecade) + 1);
      const double step = (hi - lo) / (n - 1);
      std::vector<double> g(n);
      for (int i = 0; i < n; ++i) {
        // Evaluate strictly inside the piece so each end takes its own phase.
        double lt = lo + i * step;
        if (i == n - 1) lt = hi - 1e-12;
        g[i] = direct(std::pow(10.0, lt), m);
      }
      splines_[piece] = cardinal_cubic_b_spline<double>(g.begin(), g.end(), lo, step);
      pieces_[piece] = detail::CubicPieces(splines_[piece], lo, step, n);
    }
    top_ = direct(kMaxTemperature, m);
    bottom_ = direct(kMinTemperature, m);
  }
  double operator()(double temperature) const {
    if (temperature >= kMaxTemperature) return top_;
    if (temperature <= kMinTemperature) return bottom_;
    const bool slow = reference::slowPath();
    const double lt = slow ? std::log10(temperature) : fastLog10(temperature);
    int piece = 0;
    if (temperature >= kQcdTransitionTemperature) {
      piece = 2;
    } else if (temperature >= kNeutrinoDecouplingTemperature) {
      piece = 1;
    }
    return slow ? splines_[piece](lt) : pieces_[piece](lt);
  }

  /// The same from u = ln T, without the log.
  double fromLog(double u) const {
    if (reference::slowPath()) return (*this)(std::exp(u));
    if (u >= lnMax_) return top_;
    if (u <= lnMin_) return bottom_;
    const int piece = u >= lnQcd_ ? 2 : (u >= lnNu_ ? 1 : 0);
    return pieces_[piece](u * 0.43429448190325182765);
  }

  /// The table piece of u = ln T (from T itself on the slow path), -1 outside the table.
  int pieceOfLog(double u, bool slow, double temperature) const {
    if (slow ? temperature >= kMaxTemperature : u >= lnMax_) return -1;
    if (slow ? temperature <= kMinTemperature : u <= lnMin_) return -1;
    if (slow ? temperature >= kQcdTransitionTemperature : u >= lnQcd_) return 2;
    if (slow ? temperature >= kNeutrinoDecouplingTemperature : u >= lnNu_) return 1;
    return 0;
  }

  /// d ln g / d ln T at u = ln T, from the table's own cubic (0 outside the table, where the
  /// end values are used); inside a reference::SlowPath scope from Boost's spline at
  /// log10(exp(u)).
  double logSlopeOfLog(double u) const {
    const bool slow = reference::slowPath();
    const double temperature = slow ? std::exp(u) : 0.0;
    const int piece = pieceOfLog(u, slow, temperature);
    if (piece < 0) return 0.0;
    constexpr double kInvLn10 = 0.43429448190325182765;
    if (slow) {
      const double lt = std::log10(temperature);
      return splines_[piece].prime(lt) * kInvLn10 / splines_[piece](lt);
    }
    const double lt = u * kInvLn10;
    return pieces_[piece].prime(lt) * kInvLn10 / pieces_[piece](lt);
  }

  /// d^2 ln g / d (ln T)^2 at u = ln T: with g(u) = P(u/ln 10), (g''/g - (g'/g)^2), g' = P'/ln 10,
  /// g'' = P''/ln 10^2 (0 outside the table); inside a reference::SlowPath scope from Boost's
  /// spline.
  double logCurvatureOfLog(double u) const {
    const bool slow = reference::slowPath();
    const double temperature = slow ? std::exp(u) : 0.0;
    const int piece = pieceOfLog(u, slow, temperature);
    if (piece < 0) return 0.0;
    constexpr double kInvLn10 = 0.43429448190325182765;
    double g, g1, g2;
    if (slow) {
      const double lt = std::log10(temperature);
      g = splines_[piece](lt);
      g1 = splines_[piece].prime(lt);
      g2 = splines_[piece].double_prime(lt);
    } else {
      const double lt = u * kInvLn10;
      g = pieces_[piece](lt);
      g1 = pieces_[piece].prime(lt);
      g2 = pieces_[piece].secondDerivative(lt);
    }
    const double slope = g1 * kInvLn10 / g;
    return g2 * kInvLn10 * kInvLn10 / g - slope * slope;
  }

  /// fromLog(u), with logSlopeOfLog(u) and logCurvatureOfLog(u), from one look-up (the fast
  /// path: the same operations as the three); the three themselves in a reference::SlowPath scope.
  double fromLogWithLogDerivatives(double u, double& slope, double& curvature) const {
    if (reference::slowPath()) {
      slope = logSlopeOfLog(u);
      curvature = logCurvatureOfLog(u);
      return fromLog(u);
    }
    if (u >= lnMax_ || u <= lnMin_) {
      slope = curvature = 0.0;
      return u >= lnMax_ ? top_ : bottom_;
    }
    const int piece = u >= lnQcd_ ? 2 : (u >= lnNu_ ? 1 : 0);
    constexpr double kInvLn10 = 0.43429448190325182765;
    const double lt = u * kInvLn10;
    double g1, g2;
    const double g = pieces_[piece].withDerivatives(lt, g1, g2);
    slope = g1 * kInvLn10 / g;
    curvature = g2 * kInvLn10 * kInvLn10 / g - slope * slope;
    return g;
  }

  static double direct(double temperature, Moment m) {
    const double r = neutrinoTemperatureRatio(temperature);
    const double nuWeight = table(Statistics::Fermion, m)(0.0);  // 7/8
    const double power = m == Moment::Energy ? 4.0 : 3.0;
    return plasmaSum(temperature, m) + kNeutrinoDof * nuWeight * std::pow(r, power);
  }

 private:
  static constexpr int kTPointsPerDecade = 60;
  std::array<cardinal_cubic_b_spline<double>, 3> splines_;
  std::array<detail::CubicPieces, 3> pieces_;
  double top_ = 0.0;
  double bottom_ = 0.0;
  // The switches in ln T, for fromLog.
  const double lnMax_ = std::log(kMaxTemperature);
  const double lnMin_ = std::log(kMinTemperature);
  const double lnQcd_ = std::log(kQcdTransitionTemperature);
  const double lnNu_ = std::log(kNeutrinoDecouplingTemperature);
};

const GStarTable& energyTable() {
  static const GStarTable t(Moment::Energy);
  return t;
}
const GStarTable& entropyTable() {
  static const GStarTable t(Moment::Entropy);
  return t;
}

}  // namespace

double energyWeight(Statistics s, double x) { return table(s, Moment::Energy)(x); }
double entropyWeight(Statistics s, double x) { return table(s, Moment::Entropy)(x); }
double numberWeight(Statistics s, double x) { return table(s, Moment::Number)(x); }

double gStar(double temperature) { return energyTable()(temperature); }
double gStarS(double temperature) { return entropyTable()(temperature); }
double gStarOfLog(double lnT) { return energyTable().fromLog(lnT); }
double gStarSOfLog(double lnT) { return entropyTable().fromLog(lnT); }
double gStarLogSlopeOfLog(double lnT) { return energyTable().logSlopeOfLog(lnT); }
double gStarOfLogWithLogDerivatives(double lnT, double& logSlope, double& logCurvature) {
  return energyTable().fromLogWithLogDerivatives(lnT, logSlope, logCurvature);
}
double energyWeightOfLog(Statistics s, double lnX) { return table(s, Moment::Energy).fromLog(lnX); }

double gStarDirect(double temperature) { return GStarTable::direct(temperature, Moment::Energy); }
double gStarSDirect(double temperature) { return GStarTable::direct(temperature, Moment::Entropy); }

}  // namespace portalscan::physics::thermal
