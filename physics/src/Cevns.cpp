#include "portalscan/physics/Cevns.hpp"

#include "portalscan/physics/Quadrature.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/Units.hpp"

#include <boost/math/quadrature/gauss.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace portalscan::physics::cevns {
namespace {

using std::numbers::pi;

using quadrature::integrate;

/// G_F^2 Q_W^2 M/(4 pi): the prefactor of CN Eqs. 25 and 26/34.
double prefactor(const Nucleus& nucleus) {
  const double qw = weakCharge(nucleus);
  return constants::G_F * constants::G_F * qw * qw * nucleus.mass / (4.0 * pi);
}

/// The bracket of CN Eq. 25. Multiplied by 2E^2 it is the quadratic
/// T^2 - b T + c, b = 2E + M - m^2/2M, c = 2E^2 - m^2 (2E + M)/2M; written as
/// (r1 - T)(r2 - T) with its roots it keeps its digits where it vanishes
/// (at T_+ for m = 0), which the printed sum of terms does not.
struct Bracket {
  double e2;     ///< 2 E^2
  double small;  ///< the root r1 near T_+ (T_+ itself at m = 0)
  double large;  ///< the other root r2 > r1

  Bracket(double e, double mass, double m) {
    const double m2 = m * m;
    const double b = 2.0 * e + mass - m2 / (2.0 * mass);
    const double c = 2.0 * e * e - m2 * (2.0 * e + mass) / (2.0 * mass);
    small = 2.0 * c / (b + std::sqrt(b * b - 4.0 * c));
    large = b - small;
    e2 = 2.0 * e * e;
  }
  double at(double t) const { return (small - t) * (large - t) / e2; }
  /// At T = r1 - u, exact for small u.
  double below(double u) const { return u * (large - small + u) / e2; }
};

double zBracket(double e, double t, double mass, double m) { return Bracket(e, mass, m).at(t); }

bool allowed(double e, double t, double mass, double m) {
  const auto range = recoilRange(e, mass, m);
  return range && t >= range->lower && t <= range->upper;
}

/// int_a^b dsigma/dT(E, T) dT for Z exchange (zero where a >= b), to a
/// relative 1e-10 or the absolute accuracy given.
/// The integration runs over the distance u = r1 - T from the bracket's
/// root, where the integrand has no rounding noise even on the tiny ranges
/// near T_+ of the energies just above threshold.
double zCrossSectionIntegral(double e, const Nucleus& nucleus, double m, double a, double b,
                             double absolute = 0.0) {
  if (!(b > a)) return 0.0;
  const Bracket bracket(e, nucleus.mass, m);
  const double factor = prefactor(nucleus);
  return integrate(
      [&](double u) {
        const double f = helmFormFactor(nucleus, bracket.small - u);
        return factor * bracket.below(u) * f * f;
      },
      std::max(bracket.small - b, 0.0), bracket.small - a, quadrature::kTolerance, absolute);
}

/// The events of energy E above the threshold: int_{max(T_th, T_-)}^{T_+} dsigma/dT dT.
double zEventsAbove(double e, const Nucleus& nucleus, double threshold, double m) {
  const auto range = recoilRange(e, nucleus.mass, m);
  if (!range) return 0.0;
  return zCrossSectionIntegral(e, nucleus, m, std::max(threshold, range->lower), range->upper);
}

/// zEventsAbove(m) - zEventsAbove(0) at one energy, without cancellation: the
/// m^2 term over the common range, less the slivers only the massless
/// fermion reaches (T_+(m) < T_+(0), and recoils below T_-(m)).
double zEventsAboveShift(double e, const Nucleus& nucleus, double threshold, double m) {
  const double mass = nucleus.mass;
  const auto massless = recoilRange(e, mass, 0.0);
  if (!massless || massless->upper <= threshold) return 0.0;
  const auto massive = recoilRange(e, mass, m);
  if (!massive || massive->upper <= threshold) {
    return -zCrossSectionIntegral(e, nucleus, 0.0, threshold, massless->upper);
  }
  const double low = std::max(threshold, massive->lower);
  const double common = integrate([&](double t) { return zCrossSectionMassTerm(e, t, nucleus, m); },
                                  low, massive->upper);
  // The slivers are O(m^4) against the O(m^2) common term: they need only
  // the accuracy of the sum, not a relative one their rounding cannot give.
  const double floor = quadrature::kTolerance * std::abs(common);
  const double above =
      zCrossSectionIntegral(e, nucleus, 0.0, massive->upper, massless->upper, floor);
  const double below = zCrossSectionIntegral(e, nucleus, 0.0, threshold, low, floor);
  return common - above - below;
}

double crossSection(double e, double t, const Nucleus& nucleus, double m, Process process) {
  return process == Process::Z ? zCrossSection(e, t, nucleus, m)
                               : scalarCrossSectionPerUH2(e, t, nucleus, m);
}

}  // namespace

// --- Nuclei ---

Nucleus caesium133() {
  return {"Cs133", 55, 78, constants::massCs133_u * constants::u - 55 * constants::m_e,
          helmRadiusFm(133)};
}

Nucleus iodine127() {
  return {"I127", 53, 74, constants::massI127_u * constants::u - 53 * constants::m_e,
          helmRadiusFm(127)};
}

Nucleus withMassNumber(int Z, int N) {
  return {"A", Z, N, (Z + N) * constants::u, helmRadiusFm(Z + N)};
}

double weakCharge(const Nucleus& n) {
  return n.N - n.Z * (1.0 - 4.0 * constants::sin2ThetaW_lowEnergy);
}

double helmRadiusFm(int massNumber) {
  constexpr double s = 0.9, a = 0.52;  // fm, Lewin & Smith (1996)
  const double c = 1.23 * std::cbrt(static_cast<double>(massNumber)) - 0.60;
  return std::sqrt(c * c + 7.0 / 3.0 * pi * pi * a * a - 5.0 * s * s);
}

double helmFormFactor(const Nucleus& nucleus, double recoil) {
  constexpr double s = 0.9;  // fm
  const double q = std::sqrt(2.0 * nucleus.mass * recoil + recoil * recoil) / units::hbarCInGeVFm;
  const double x = q * nucleus.helmRadius;  // 1/fm x fm
  // 3 j_1(x)/x, by its series where the closed form cancels.
  const double x2 = x * x;
  const double bessel = x < 1e-2 ? 1.0 - x2 / 10.0 + x2 * x2 / 280.0
                                 : 3.0 * (std::sin(x) - x * std::cos(x)) / (x2 * x);
  return bessel * std::exp(-0.5 * q * q * s * s);
}

// --- Kinematics ---

double cosTheta(double e, double t, double mass, double m) {
  return (e * t + mass * t + 0.5 * m * m) / (e * std::sqrt(t * t + 2.0 * mass * t));  // CN Eq. 22
}

std::optional<RecoilRange> recoilRange(double e, double mass, double m) {
  if (!(e > 0.0)) return std::nullopt;
  const double m2 = m * m;
  // CN Eq. 23: T+- = [M E^2 - m^2 (M + E)/2 +- E sqrt(D)]/(M (M + 2E)).
  const double discriminant = mass * mass * e * e - m2 * mass * (mass + e) + 0.25 * m2 * m2;
  if (discriminant < 0.0) return std::nullopt;
  const double denominator = mass * (mass + 2.0 * e);
  const double upper =
      (mass * e * e - 0.5 * m2 * (mass + e) + e * std::sqrt(discriminant)) / denominator;
  if (!(upper > 0.0)) return std::nullopt;
  const double lower = 0.25 * m2 * m2 / (denominator * upper);  // T+ T- = m^4/(4 M (M + 2E))
  return RecoilRange{lower, upper};
}

double minimumEnergy(double t, double mass, double m) {
  return (mass * t + 0.5 * m * m) / (std::sqrt(2.0 * mass * t + t * t) - t);  // CN Eq. 28
}

double minimumEnergyForThreshold(double threshold, double mass, double m) {
  if (m == 0.0) return minimumEnergy(threshold, mass, 0.0);
  // The production threshold E_thr, where T_+ = T_-: M^2 E^2 - m^2 M (M + E) + m^4/4 = 0.
  const double m2 = m * m;
  const double b = -m2 * mass, c = -m2 * mass * mass + 0.25 * m2 * m2;
  const double eThreshold = (-b + std::sqrt(b * b - 4.0 * mass * mass * c)) / (2.0 * mass * mass);
  const double turn = (mass * eThreshold * eThreshold - 0.5 * m2 * (mass + eThreshold)) /
                      (mass * (mass + 2.0 * eThreshold));
  return threshold >= turn ? minimumEnergy(threshold, mass, m) : eThreshold;
}

// --- Cross sections ---

double zCrossSectionPointlike(double e, double t, const Nucleus& nucleus, double m) {
  if (!allowed(e, t, nucleus.mass, m)) return 0.0;
  return prefactor(nucleus) * zBracket(e, t, nucleus.mass, m);  // CN Eq. 25, F = 1
}

double zCrossSection(double e, double t, const Nucleus& nucleus, double m) {
  const double f = helmFormFactor(nucleus, t);
  return zCrossSectionPointlike(e, t, nucleus, m) * f * f;  // CN Eq. 25
}

double zCrossSectionMassTerm(double e, double t, const Nucleus& nucleus, double m) {
  const double f = helmFormFactor(nucleus, t);
  return -prefactor(nucleus) * m * m / (4.0 * e * e) *
         (2.0 * e / nucleus.mass - t / nucleus.mass + 1.0) * f * f;  // CN Eq. 25, m^2 term
}

double scalarCrossSectionPerUH2(double e, double t, const Nucleus& nucleus, double m) {
  if (!allowed(e, t, nucleus.mass, m)) return 0.0;
  const double f = helmFormFactor(nucleus, t);
  const double mass = nucleus.mass;
  return prefactor(nucleus) * (1.0 + t / (2.0 * mass)) *
         (mass * t / (e * e) + m * m / (2.0 * e * e)) * f * f;  // CN Eqs. 26, 34
}

double higgsNucleusCoupling(const Nucleus& nucleus) {
  return kHiggsNucleonEta * nucleus.mass / constants::v;  // g M eta/(2 M_W), g/(2 M_W) = 1/v
}

double pChi(const ScalarPortal& p) {
  const double cosAlpha = std::sqrt(1.0 - p.sinAlpha * p.sinAlpha);
  return cosAlpha + p.sinAlpha * constants::v / p.vs * constants::M_H * constants::M_H /
                        (p.mPhi * p.mPhi);  // CN Eq. 35
}

double uH2(const Nucleus& nucleus, const ScalarPortal& p) {
  const double g = higgsNucleusCoupling(nucleus);
  const double mh2 = constants::M_H * constants::M_H;
  const double qw = weakCharge(nucleus);
  const double pc = pChi(p);
  return p.yChi * p.yChi * g * g * pc * pc /
         (mh2 * mh2 * constants::G_F * constants::G_F * qw * qw);  // CN Eq. 34
}

double scalarCrossSection(double e, double t, const Nucleus& nucleus, double m,
                          const ScalarPortal& p) {
  if (!allowed(e, t, nucleus.mass, m)) return 0.0;
  const double f = helmFormFactor(nucleus, t);
  const double mass = nucleus.mass;
  const double g = higgsNucleusCoupling(nucleus);
  const double cosAlpha = std::sqrt(1.0 - p.sinAlpha * p.sinAlpha);
  const double mixing = 1.0 / (constants::M_H * constants::M_H) +
                        constants::v * (p.sinAlpha / cosAlpha) / (p.vs * p.mPhi * p.mPhi);
  return p.yChi * p.yChi * g * g / (4.0 * pi) * mass * cosAlpha * cosAlpha * mixing * mixing *
         (1.0 + t / (2.0 * mass)) * (mass * t / (e * e) + m * m / (2.0 * e * e)) * f *
         f;  // CN Eq. 26 as printed
}

// --- Sources ---

std::vector<Flux> spallationSource() {
  const double top = sources::muonDecayMaxEnergy();
  return {
      {"nu_mu (pi+ decay line)", Flavour::Muon, 1.0, sources::pionLineEnergy(), nullptr, 0.0, 0.0,
       sources::pionDecayEmission},
      {"nu_e (mu+ decay at rest)", Flavour::Electron, 1.0, 0.0, sources::muonDecayNuE, 0.0, top,
       sources::muonDecayEmission},
      {"nubar_mu (mu+ decay at rest)", Flavour::Muon, 1.0, 0.0, sources::muonDecayNuMuBar, 0.0, top,
       sources::muonDecayEmission},
  };
}

std::vector<Flux> reactorSource(const sources::FissionFractions& fractions) {
  const double total = sources::reactorPerFissionTotal(fractions);
  return {
      {"nubar_e (reactor)", Flavour::Electron, 1.0, 0.0,
       [fractions, total](double e) { return sources::reactorPerFission(e, fractions) / total; },
       sources::kReactorMinEnergy, sources::kReactorMaxEnergy,
       [fractions, total](double m) {
         return m < sources::kReactorMaxEnergy
                    ? 1.0 - sources::reactorEmissionLoss(m, fractions) / total
                    : 0.0;
       }}};
}

double fluenceFromPerCm2(double perCm2) {
  return perCm2 * units::hbarCInGeVCm * units::hbarCInGeVCm;
}

// --- Rates ---

double rate(const Flux& flux, const Nucleus& nucleus, double t, double m, Process process) {
  if (flux.line > 0.0) return flux.weight * crossSection(flux.line, t, nucleus, m, process);
  const double low = std::max(flux.min, minimumEnergy(t, nucleus.mass, m));
  return flux.weight *
         integrate(
             [&](double e) { return flux.spectrum(e) * crossSection(e, t, nucleus, m, process); },
             low, flux.max);
}

double zRateShift(const Flux& flux, const Nucleus& nucleus, double t, double m) {
  const double mass = nucleus.mass;
  const double e0 = minimumEnergy(t, mass, 0.0);  // the massless fermion reaches T from here
  const double em = minimumEnergy(t, mass, m);    // the massive one from here (em >= e0)
  if (flux.line > 0.0) {
    const double e = flux.line;
    if (e >= em) return flux.weight * zCrossSectionMassTerm(e, t, nucleus, m);
    if (e >= e0) return -flux.weight * zCrossSection(e, t, nucleus, 0.0);
    return 0.0;
  }
  const double lowM = std::max(flux.min, em), low0 = std::max(flux.min, e0);
  const double common = integrate(
      [&](double e) { return flux.spectrum(e) * zCrossSectionMassTerm(e, t, nucleus, m); }, lowM,
      flux.max);
  const double lost = integrate(
      [&](double e) { return flux.spectrum(e) * zCrossSection(e, t, nucleus, 0.0); }, low0,
      std::min(lowM, flux.max), quadrature::kTolerance, quadrature::kTolerance * std::abs(common));
  return flux.weight * (common - lost);
}

double zCount(const Flux& flux, const Nucleus& nucleus, double threshold, double m) {
  if (flux.line > 0.0) return flux.weight * zEventsAbove(flux.line, nucleus, threshold, m);
  const double low = std::max(flux.min, minimumEnergyForThreshold(threshold, nucleus.mass, m));
  return flux.weight *
         integrate(
             [&](double e) { return flux.spectrum(e) * zEventsAbove(e, nucleus, threshold, m); },
             low, flux.max, quadrature::kOuterTolerance);
}

double zCountShift(const Flux& flux, const Nucleus& nucleus, double threshold, double m) {
  if (flux.line > 0.0) return flux.weight * zEventsAboveShift(flux.line, nucleus, threshold, m);
  const double mass = nucleus.mass;
  const double e0 = std::max(flux.min, minimumEnergyForThreshold(threshold, mass, 0.0));
  const double em = std::max(flux.min, minimumEnergyForThreshold(threshold, mass, m));
  // Below em only the massless fermion passes the threshold; above it both do.
  const double both = integrate(
      [&](double e) { return flux.spectrum(e) * zEventsAboveShift(e, nucleus, threshold, m); }, em,
      flux.max, quadrature::kOuterTolerance);
  const double lost = integrate(
      [&](double e) { return flux.spectrum(e) * zEventsAbove(e, nucleus, threshold, 0.0); }, e0,
      std::min(em, flux.max), quadrature::kOuterTolerance,
      quadrature::kOuterTolerance * std::abs(both));
  return flux.weight * (both - lost);
}

// --- A vector mediator at a pion-decay-at-rest source ---

Nucleus argon40() {
  constexpr double kArgon40AtomicMass =
      39.9623831237;  // u, AME2020 (Chin. Phys. C 45 (2021) 030003)
  return {"Ar40", 18, 22, kArgon40AtomicMass * constants::u - 18 * constants::m_e,
          helmRadiusFm(40)};
}

namespace {

/// One component of the pi-DAR flux per unit fluence: the nu_mu line, or a Michel spectrum
/// phi(E) = c2 E^2 + c3 E^3 on [0, m_mu/2] (CN Eq. 29b, 29c at rest: nu_e (192/m_mu) x^2 (1/2 - x)
/// = 96 E^2/m_mu^3 - 192 E^3/m_mu^4, nubar_mu (64/m_mu) x^2 (3/4 - x) = 48 E^2/m_mu^3 - 64
/// E^3/m_mu^4, x = E/m_mu).
struct SnsComponent {
  double line;  ///< the line's energy, or 0
  double c2, c3;
  bool electron;  ///< nu_e, else nu_mu or nubar_mu
};

std::array<SnsComponent, 3> snsComponents() {
  const double m = constants::m_mu, m3 = m * m * m, m4 = m3 * m;
  return {{{sources::pionLineEnergy(), 0.0, 0.0, false},
           {0.0, 96.0 / m3, -192.0 / m4, true},
           {0.0, 48.0 / m3, -64.0 / m4, false}}};
}

/// T_+ of a massless final state, 2E^2/(M + 2E) (CN Eq. 23 at m = 0).
double masslessUpper(double e, double mass) { return 2.0 * e * e / (mass + 2.0 * e); }

/// int dE phi(E) (1 - T/E - M T/2E^2 + T^2/2E^2) over E >= E_min(T) (CN Eq. 28 at m = 0): the
/// Freedman bracket (CN Eq. 25 at m = 0) averaged over one component, in closed form for the
/// Michel spectra. With a = (M T - T^2)/2 the integrand is c2 (E^2 - T E - a) + c3 (E^3 - T E^2
/// - a E).
double averagedBracket(const SnsComponent& c, double t, double mass) {
  const double a = 0.5 * (mass * t - t * t);
  if (c.line > 0.0) {
    const double e = c.line;
    return t <= masslessUpper(e, mass) ? 1.0 - t / e - a / (e * e) : 0.0;
  }
  const double top = sources::muonDecayMaxEnergy();
  const double low = minimumEnergy(t, mass, 0.0);
  if (!(low < top)) return 0.0;
  auto h = [&](double e) {
    const double e2 = e * e;
    return c.c2 * (e2 * e / 3.0 - 0.5 * t * e2 - a * e) +
           c.c3 * (0.25 * e2 * e2 - t * e2 * e / 3.0 - 0.5 * a * e2);
  };
  return h(top) - h(low);
}

double componentUpper(const SnsComponent& c, double mass) {
  return masslessUpper(c.line > 0.0 ? c.line : sources::muonDecayMaxEnergy(), mass);
}

/// int_a^b f by 10-point Gauss-Legendre on panels at most 1 wide: a fixed rule instead of the
/// adaptive one, since the coherent block runs for every point of a scan. The integrands (in a
/// logarithmic recoil variable) are e^(+-u) times smooth functions on each panel, where the rule
/// errs far below the 2e-5 and 1e-4 to which the tests check it against Simpson's rule; only
/// at threshold 0 does the sqrt(T) of E_min(T) at the lower end limit it.
template <class F>
double panelIntegral(F&& f, double a, double b) {
  if (!(b > a)) return 0.0;
  const int panels = std::max(1, static_cast<int>(std::ceil(b - a)));
  const double width = (b - a) / panels;
  double sum = 0.0;
  for (int i = 0; i < panels; ++i) {
    sum += boost::math::quadrature::gauss<double, 10>::integrate(f, a + i * width,
                                                                 a + (i + 1) * width);
  }
  if (!std::isfinite(sum)) throw quadrature::NonFiniteIntegral();
  return sum;
}

}  // namespace

double snsAveragedCrossSection(const Nucleus& nucleus, double threshold) {
  const double mass = nucleus.mass;
  const double q = 0.5 * weakCharge(nucleus);
  const double factor = constants::G_F * constants::G_F * mass / pi * q * q;
  // In u = ln(T + 1 keV) with the fixed rule of panelIntegral: the recoils from threshold to T_+
  // span one to five panels.
  constexpr double scale = 1e-6;  // GeV
  double sum = 0.0;
  for (const auto& c : snsComponents()) {
    const double low = std::max(threshold, 0.0), high = componentUpper(c, mass);
    if (!(high > low)) continue;
    sum += panelIntegral(
        [&](double u) {
          const double shifted = std::exp(u);
          const double t = std::max(shifted - scale, 0.0);
          const double f = helmFormFactor(nucleus, t);
          return averagedBracket(c, t, mass) * f * f * shifted;
        },
        std::log(low + scale), std::log(high + scale));
  }
  return factor * sum / 3.0;
}

double snsAveragedCrossSectionShift(const Nucleus& nucleus, double threshold,
                                    const VectorMediator& z) {
  const double mass = nucleus.mass;
  const double q = 0.5 * weakCharge(nucleus);
  const double charge = nucleus.Z * z.protonCoupling + nucleus.N * z.neutronCoupling;
  if (charge == 0.0) return 0.0;
  const double tau = z.mass * z.mass / (2.0 * mass);  // m^2 + 2 M T = 2 M (T + tau)
  const double kNorm = charge / (std::numbers::sqrt2 * constants::G_F * 2.0 * mass);
  double sum = 0.0;
  for (const auto& c : snsComponents()) {
    const auto& g = c.electron ? z.electron : z.muon;
    const double squares = g.diagonal * g.diagonal + g.offDiagonalSquared;
    if (g.diagonal == 0.0 && squares == 0.0) continue;
    const double low = std::max(threshold, 0.0), high = componentUpper(c, mass);
    if (!(high > low)) continue;
    // In u = ln(T + tau), dT = e^u du: the propagator's 1/(T + tau) becomes e^-u, smooth over the
    // many decades between tau and T_+ of a light Z'.
    auto integrand = [&](double u) {
      const double shifted = std::exp(u);
      const double t = std::max(shifted - tau, 0.0);
      const double k = kNorm / shifted;  // K(T) = charge/(sqrt2 G_F (m^2 + 2 M T))
      const double f = helmFormFactor(nucleus, t);
      return averagedBracket(c, t, mass) * f * f * (-2.0 * q * g.diagonal * k + squares * k * k) *
             shifted;
    };
    sum += panelIntegral(integrand, std::log(low + tau), std::log(high + tau));
  }
  return constants::G_F * constants::G_F * mass / pi * sum / 3.0;
}

}  // namespace portalscan::physics::cevns

// --- The tabulated coherent block (model lfv_nsi): see SnsZprimeTable in Cevns.hpp ---

namespace portalscan::physics::cevns {
namespace {

constexpr double kGridStep = SnsZprimeTable::kGridStep;  // in x = ln tau
constexpr double kLowSeries = 1e-4;  // the series in tau/T below tau = 1e-4 T_th
constexpr double kHighSeries = 1e4;  // the series in T/tau above tau = 1e4 T_+
constexpr double kPanel = 0.25;      // width of the Gauss-Legendre panels in ln T

/// Calls node(T, weight) for the 10-point Gauss-Legendre rule in v = ln T on [a, b] (dT = T dv),
/// on panels at most kPanel wide and broken at `edge` (the line's T_+, where its bracket ends).
/// The integrands w T/(T + tau)^n are smooth in v (the propagator's poles lie at Im v = +-pi).
template <class F>
void forEachNode(double a, double b, double edge, F&& node) {
  if (!(b > a)) return;
  double breaks[3] = {std::log(a), 0.0, std::log(b)};
  int count = 2;
  if (a < edge && edge < b) {
    breaks[1] = std::log(edge);
    count = 3;
  } else {
    breaks[1] = breaks[2];
  }
  using Rule = boost::math::quadrature::gauss<double, 10>;
  const auto& abscissa = Rule::abscissa();
  const auto& weights = Rule::weights();
  for (int j = 0; j + 1 < count; ++j) {
    const int panels =
        std::max(1, static_cast<int>(std::ceil((breaks[j + 1] - breaks[j]) / kPanel)));
    const double half = 0.5 * (breaks[j + 1] - breaks[j]) / panels;
    for (int i = 0; i < panels; ++i) {
      const double centre = breaks[j] + (2 * i + 1) * half;
      for (std::size_t k = 0; k < abscissa.size(); ++k) {
        for (double sign : {-1.0, 1.0}) {
          const double t = std::exp(centre + sign * half * abscissa[k]);
          node(t, half * weights[k] * t);
        }
      }
    }
  }
}

/// w_f(T) of both flavours: the averaged Freedman bracket of their components times F^2.
std::array<double, 2> flavourWeights(const Nucleus& nucleus, double t) {
  const auto components = snsComponents();
  const double f = helmFormFactor(nucleus, t);
  const double f2 = f * f;
  return {averagedBracket(components[1], t, nucleus.mass) * f2,
          (averagedBracket(components[0], t, nucleus.mass) +
           averagedBracket(components[2], t, nucleus.mass)) *
              f2};
}

}  // namespace

SnsZprimeTable::SnsZprimeTable(const Nucleus& nucleus, double threshold)
    : nucleus_(nucleus), halfWeakCharge_(0.5 * weakCharge(nucleus)), threshold_(threshold) {
  const auto components = snsComponents();
  lineTop_ = componentUpper(components[0], nucleus.mass);
  top_ = componentUpper(components[1], nucleus.mass);
  if (!(threshold > 0.0 && threshold < top_)) {
    throw std::invalid_argument("SnsZprimeTable: the threshold must lie in (0, T_+)");
  }
  forEachNode(threshold, top_, lineTop_, [&](double t, double weight) {
    const auto w = flavourWeights(nucleus, t);
    nodeT_.push_back(t);
    nodeWeight_.push_back(weight);
    nodeW_[0].push_back(w[0]);
    nodeW_[1].push_back(w[1]);
  });
  for (int fl = 0; fl < 2; ++fl) {
    auto& f = flavours_[fl];
    for (std::size_t i = 0; i < nodeT_.size(); ++i) {
      const double t = nodeT_[i], w = nodeWeight_[i] * nodeW_[fl][i];
      f.s0 += w;
      double inverse = 1.0;
      for (auto& a : f.inverse) a += w * (inverse /= t);
      double power = 1.0;
      for (auto& mj : f.moment) {
        mj += w * power;
        power *= t;
      }
    }
  }
  smTotal_ = constants::G_F * constants::G_F * nucleus.mass / pi * halfWeakCharge_ *
             halfWeakCharge_ * (flavours_[0].s0 + flavours_[1].s0) / 3.0;

  logTwoMass_ = std::log(2.0 * nucleus.mass);
  kNormUnit_ = 1.0 / (std::numbers::sqrt2 * constants::G_F * 2.0 * nucleus.mass);
  prefactor_ = constants::G_F * constants::G_F * nucleus.mass / pi / 3.0;
  inverseTwoMass_ = 1.0 / (2.0 * nucleus.mass);
  tc_ = std::sqrt(threshold * top_);
  tauLow_ = kLowSeries * threshold;
  x0_ = std::log(tauLow_);
  const int count =
      static_cast<int>(std::ceil((std::log(kHighSeries * top_) - x0_) / kGridStep)) + 1;
  tauHigh_ = std::exp(x0_ + (count - 1) * kGridStep);
  grid_.resize(count);
  gridLastCell_ = count - 2;
  protons_ = nucleus.Z;
  neutrons_ = nucleus.N;
  minusWeakCharge_ = -2.0 * halfWeakCharge_;
  for (int i = 0; i < count; ++i) {
    const double tau = std::exp(x0_ + i * kGridStep);
    std::array<double, 2> s3;
    const auto s = exact(tau, s3.data());
    const double c = tau + tc_;
    for (int fl = 0; fl < 2; ++fl) {
      const double s1 = s[1][fl], s2 = s[2][fl];
      auto& g = grid_[i];
      g[2 * fl] = s1 * c;                                           // R1 = S1 (tau + T_c)
      g[2 * fl + 1] = s2 * c * c;                                   // R2 = S2 (tau + T_c)^2
      g[4 + 2 * fl] = tau * (s1 - s2 * c);                          // dR1/dx; dS1/dtau = -S2
      g[5 + 2 * fl] = tau * (2.0 * s2 * c - 2.0 * s3[fl] * c * c);  // dR2/dx; dS2/dtau = -2 S3
    }
  }
}

SnsZprimeTable::Values SnsZprimeTable::exact(double tau, double* s3) const {
  Values s{};
  double t3[2] = {0.0, 0.0};
  for (std::size_t i = 0; i < nodeT_.size(); ++i) {
    const double inv = 1.0 / (nodeT_[i] + tau);
    for (int fl = 0; fl < 2; ++fl) {
      const double w = nodeWeight_[i] * nodeW_[fl][i];
      s[0][fl] += w;
      s[1][fl] += w * inv;
      s[2][fl] += w * inv * inv;
      t3[fl] += w * inv * inv * inv;
    }
  }
  if (s3 != nullptr) {
    s3[0] = t3[0];
    s3[1] = t3[1];
  }
  return s;
}

namespace {

/// The nodes of one partial() range [a, b] of one nucleus: T and weight x w_f(T) of both
/// flavours, the products partial() sums (the same multiplications, so the same bits).
struct PartialNodes {
  int Z = -1, N = -1;
  double mass = 0.0, helmRadius = 0.0, a = 0.0, b = 0.0, edge = 0.0;
  struct Node {
    double t, x0, x1;
  };
  std::vector<Node> nodes;
  bool filled = false;  ///< nodes holds the range's nodes (kept from the range's second use)
  bool holds(const Nucleus& n, double lo, double hi, double e) const {
    return Z == n.Z && N == n.N && mass == n.mass && helmRadius == n.helmRadius && a == lo &&
           b == hi && edge == e;
  }
};

/// The calling thread's last few ranges (a scan at fixed thresholds other than the defaults
/// asks for the same three, one per nucleus, at every point). A cache of the nodes only: what
/// partial() sums from them is what it sums without them, bit for bit, so the results do not
/// depend on what the thread evaluated before.
constexpr std::size_t kPartialCacheEntries = 4;
struct PartialCache {
  std::array<PartialNodes, kPartialCacheEntries> entries;
  std::size_t next = 0;  ///< the entry a miss refills (round robin)
};
thread_local PartialCache partialCache;

}  // namespace

SnsZprimeTable::Values SnsZprimeTable::partial(double a, double b, double tau) const {
  Values s{};
  // The nodes' products, in node order: x_f = weight w_f(T), then x_f/(T + tau)^n.
  auto add = [&](double t, double x0, double x1) {
    const double inv = 1.0 / (t + tau);
    s[0][0] += x0;
    s[1][0] += x0 * inv;
    s[2][0] += x0 * inv * inv;
    s[0][1] += x1;
    s[1][1] += x1 * inv;
    s[2][1] += x1 * inv * inv;
  };
  auto direct = [&] {
    forEachNode(a, b, lineTop_, [&](double t, double weight) {
      const auto w = flavourWeights(nucleus_, t);
      add(t, weight * w[0], weight * w[1]);
    });
    return s;
  };
  if (reference::slowPath()) return direct();  // the reference path: every form factor afresh
  auto& cache = partialCache;
  PartialNodes* entry = nullptr;
  for (auto& e : cache.entries) {
    if (e.holds(nucleus_, a, b, lineTop_)) {
      entry = &e;
      break;
    }
  }
  if (entry == nullptr) {
    // First sight of this range: only its key is kept, the sums taken as on the reference path
    // (a scan that varies the thresholds pays no copying); the nodes are kept from the second.
    auto& e = cache.entries[cache.next];
    cache.next = (cache.next + 1) % kPartialCacheEntries;
    e.Z = nucleus_.Z;
    e.N = nucleus_.N;
    e.mass = nucleus_.mass;
    e.helmRadius = nucleus_.helmRadius;
    e.a = a;
    e.b = b;
    e.edge = lineTop_;
    e.filled = false;
    return direct();
  }
  if (!entry->filled) {
    entry->nodes.clear();
    forEachNode(a, b, lineTop_, [&](double t, double weight) {
      const auto w = flavourWeights(nucleus_, t);
      entry->nodes.push_back({t, weight * w[0], weight * w[1]});
    });
    entry->filled = true;
  }
  const PartialNodes* nodes = entry;
  for (const auto& n : nodes->nodes) add(n.t, n.x0, n.x1);
  return s;
}

SnsZprimeTable::Values SnsZprimeTable::values(double tau) const {
  return values(tau, tau > tauLow_ && tau < tauHigh_ ? std::log(tau) : 0.0);
}

SnsZprimeTable::Cell SnsZprimeTable::cellAt(double x) const {
  const double position = (x - x0_) / kGridStep;
  const int i = std::min(static_cast<int>(position), gridLastCell_);
  const double u = position - i, v = 1.0 - u;
  // The cubic Hermite basis on [x_i, x_i+1], the derivatives scaled by the step.
  return {&grid_[static_cast<std::size_t>(i)],
          &grid_[static_cast<std::size_t>(i) + 1],
          (1.0 + 2.0 * u) * v * v,
          kGridStep * u * v * v,
          u * u * (3.0 - 2.0 * u),
          -kGridStep * u * u * v};
}

SnsZprimeTable::Values SnsZprimeTable::values(double tau, double logTau) const {
  Values s;
  for (int fl = 0; fl < 2; ++fl) s[0][fl] = flavours_[fl].s0;
  if (tau <= tauLow_) {
    // 1/(T + tau)^n in powers of tau/T <= 1e-4: three terms leave 1e-12.
    for (int fl = 0; fl < 2; ++fl) {
      const auto& a = flavours_[fl].inverse;
      s[1][fl] = a[0] - tau * (a[1] - tau * a[2]);
      s[2][fl] = a[1] - tau * (2.0 * a[2] - 3.0 * tau * a[3]);
    }
    return s;
  }
  if (tau >= tauHigh_) {
    // In powers of T/tau <= 1e-4: S_n -> tau^-n int w, the contact limit.
    const double r = 1.0 / tau;
    for (int fl = 0; fl < 2; ++fl) {
      const auto& m = flavours_[fl].moment;
      s[1][fl] = r * (m[0] - r * (m[1] - r * m[2]));
      s[2][fl] = r * r * (m[0] - r * (2.0 * m[1] - 3.0 * r * m[2]));
    }
    return s;
  }
  const auto [pa, pb, h00, h10, h01, h11] = cellAt(logTau);
  const auto& a = *pa;
  const auto& b = *pb;
  const double c = 1.0 / (tau + tc_);
  for (int fl = 0; fl < 2; ++fl) {
    const int o = 2 * fl;
    s[1][fl] = (h00 * a[o] + h10 * a[o + 4] + h01 * b[o] + h11 * b[o + 4]) * c;
    s[2][fl] = (h00 * a[o + 1] + h10 * a[o + 5] + h01 * b[o + 1] + h11 * b[o + 5]) * c * c;
  }
  return s;
}

double SnsZprimeTable::s(int n, int flavour, double zprimeMass) const {
  return values(zprimeMass * zprimeMass / (2.0 * nucleus_.mass))[n][flavour];
}

double SnsZprimeTable::sExact(int n, int flavour, double zprimeMass) const {
  return exact(zprimeMass * zprimeMass / (2.0 * nucleus_.mass), nullptr)[n][flavour];
}

double SnsZprimeTable::combine(const Values& s, const VectorMediator& z) const {
  const double charge = nucleus_.Z * z.protonCoupling + nucleus_.N * z.neutronCoupling;
  if (charge == 0.0) return 0.0;
  const double kNorm = charge / (std::numbers::sqrt2 * constants::G_F * 2.0 * nucleus_.mass);
  double sum = 0.0;
  for (int fl = 0; fl < 2; ++fl) {
    const auto& g = fl == 0 ? z.electron : z.muon;
    const double squares = g.diagonal * g.diagonal + g.offDiagonalSquared;
    // |C_ff|^2 - Q_W^2/4 = -Q_W g_ff X k + g_ff^2 X^2 k^2; the C_fb add g_fb^2 X^2 k^2.
    sum +=
        -2.0 * halfWeakCharge_ * g.diagonal * kNorm * s[1][fl] + squares * kNorm * kNorm * s[2][fl];
  }
  return constants::G_F * constants::G_F * nucleus_.mass / pi * sum / 3.0;
}

double SnsZprimeTable::averagedCrossSectionShift(const VectorMediator& z) const {
  return combine(values(z.mass * z.mass / (2.0 * nucleus_.mass)), z);
}

SnsZprimeTable::Averages SnsZprimeTable::averages(const VectorMediator& z, double threshold) const {
  if (threshold == threshold_) return {smTotal_, averagedCrossSectionShift(z)};
  if (!(threshold > 0.0 && threshold < top_)) {
    throw std::invalid_argument("SnsZprimeTable: the threshold must lie in (0, T_+)");
  }
  const double tau = z.mass * z.mass / (2.0 * nucleus_.mass);
  Values s;
  if (threshold > std::min(2.0 * threshold_, 0.5 * (threshold_ + top_))) {
    s = partial(threshold, top_, tau);  // few events left: taken afresh, no cancellation
  } else {
    // The table's sums plus those over [T, T_th] (T < T_th) or less those over [T_th, T]
    // (T < 2 T_th and below the midpoint of [T_th, T_+]: less than half the events removed).
    s = values(tau);
    const bool below = threshold < threshold_;
    const auto extra =
        below ? partial(threshold, threshold_, tau) : partial(threshold_, threshold, tau);
    for (int n = 0; n < 3; ++n) {
      for (int fl = 0; fl < 2; ++fl) s[n][fl] += below ? extra[n][fl] : -extra[n][fl];
    }
  }
  const double sm = constants::G_F * constants::G_F * nucleus_.mass / pi * halfWeakCharge_ *
                    halfWeakCharge_ * (s[0][0] + s[0][1]) / 3.0;
  return {sm, combine(s, z)};
}

}  // namespace portalscan::physics::cevns
