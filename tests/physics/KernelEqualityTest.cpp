// The fast kernel against its reference (slow) path, point by point: every observable of the
// default blocks over a few thousand random points, evaluated once normally and once inside a
// reference::SlowPath scope, which routes alpha_s, the g_* and thermal-weight tables, the
// species-sum table and the freeze-out and reheating solves through their original
// implementations (docs/performance.md, "Kernel speed-up"). The leaf functions are compared
// the same way over their whole ranges.
//
// Tolerances: 1e-10 relative, except for what goes through a temperature solve. The reference
// solves stop at TOMS748's eps_tolerance(40), a bracket of 2^-39 relative width (1.8e-12), in
// ln T for the freeze-out (up to 44 x 1.8e-12 = 8e-11 relative in T_f for T_f in 1e-4 .. 1e19
// GeV) and in T for reheating; the fast solves converge to 1e-13 in ln T. An observable that
// depends on T_f as T_f^k (or through e^(-m/T_f)) moves by k times that; kRootTolerance = 1e-9
// covers k up to 12, and the test prints the largest differences it found.
//
// Chi that never reached equilibrium (chi_regime 0 or 1) is held to the same kRootTolerance: its
// abundance is referred to the end of its production, the peak of the thermalisation ratio r/H
// over T or, above 1, the decoupling root below it. Both paths place the peak as the root of
// d ln(r/H)/d ln T (the fast path from its tables' cubics and K_0/K_1 in double, the reference
// from Boost's spline derivatives and cyl_bessel_k), by the same Newton steps (the slope's
// derivative from the same tables), stopped where the next error is about 1e-12 in ln T; the
// decoupling root is solved to 1e-13 in ln T on both. Y_chi
// of partly thermal chi, Delta_N_eff_BBN and m_wdm_equivalent depend on that temperature through
// g_*s(T) (log-slope at most 0.71): at most about 1e-11. (Before, the reference located the peak
// with Brent's method to 2^-25 |ln T|, the square root of the precision, and these observables
// were compared at 2e-7.) ChiFreezeInPeakAndDecoupling compares the temperatures themselves.

#include "portalscan/physics/ChiFreezeIn.hpp"
#include "portalscan/physics/ChiFreezeOut.hpp"
#include "portalscan/physics/Cosmology.hpp"
#include "portalscan/physics/Electroweak.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/LfvNsi.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/ScalarDecays.hpp"
#include "portalscan/physics/SlowPath.hpp"
#include "portalscan/physics/StrongCoupling.hpp"
#include "portalscan/physics/ThermalHistory.hpp"
#include "portalscan/physics/Units.hpp"

#include <boost/math/quadrature/gauss.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace portalscan::physics {
namespace {

constexpr double kTolerance = 1e-10;
constexpr double kRootTolerance = 1e-9;
/// Chi freeze-in's temperatures (the peak of r/H, the decoupling root) and what follows them
/// directly: the peak located to about 1e-12 in ln T (Newton's stopping rule), the root to
/// 1e-13 (ChiFreezeIn.cpp).
constexpr double kEndOfProduction = 1e-10;

/// The tolerance of the hidden model's observables at a point (the header's comment says why):
/// every regime of chi now at kRootTolerance, the freeze-out's and reheating's.
double hiddenTolerance(const Model&, const std::vector<double>&) { return kRootTolerance; }

/// |a - b| / max(|a|, |b|), 0 when equal (both infinite of one sign, or both NaN too).
double relativeDifference(double a, double b) {
  if (a == b || (std::isnan(a) && std::isnan(b))) return 0.0;
  if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b)) return INFINITY;
  return std::abs(a - b) / std::max(std::abs(a), std::abs(b));
}

/// Evaluates every point both ways; expects equal statuses and each observable within
/// `tolerance(observable, fast outputs of the point)`; prints the largest difference per observable
/// that has one.
template <typename Tolerance>
void expectFastEqualsReference(const Model& model, const std::vector<std::vector<double>>& points,
                               Tolerance tolerance, const char* label) {
  const auto& specs = model.observables();
  std::vector<double> fast(specs.size()), slow(specs.size());
  std::vector<double> largest(specs.size(), 0.0);
  std::vector<double> largestStrict(specs.size(), 0.0);  // over points held to <= kRootTolerance
  std::vector<int> statusCount(32, 0);
  int failures = 0;
  for (const auto& p : points) {
    const PointStatus fastStatus = model.evaluate(p, model.defaultBlocks(), fast);
    PointStatus slowStatus;
    {
      const reference::SlowPath slowPath;
      slowStatus = model.evaluate(p, model.defaultBlocks(), slow);
    }
    EXPECT_EQ(fastStatus, slowStatus);
    ++statusCount[std::min<std::size_t>(static_cast<std::size_t>(fastStatus), 31)];
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const double d = relativeDifference(fast[i], slow[i]);
      const double allowed = tolerance(specs[i].name, fast);
      largest[i] = std::max(largest[i], d);
      if (allowed <= kRootTolerance) largestStrict[i] = std::max(largestStrict[i], d);
      if (!(d <= allowed) && ++failures <= 20) {
        ADD_FAILURE() << label << ": " << specs[i].name << " fast " << fast[i] << " reference "
                      << slow[i] << " (relative " << d << ")";
      }
    }
  }
  std::printf("  %s: %zu points, statuses", label, points.size());
  for (std::size_t k = 0; k < statusCount.size(); ++k) {
    if (statusCount[k] > 0) std::printf(" %zu: %d", k, statusCount[k]);
  }
  std::printf("\n");
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (largest[i] > 0.0) {
      std::printf("  %s %-26s largest relative difference %.2e (%.2e where <= %g asked)\n", label,
                  specs[i].name.c_str(), largest[i], largestStrict[i], kRootTolerance);
    }
  }
  EXPECT_EQ(failures, 0);
}

double logUniform(std::mt19937_64& rng, double lo, double hi) {
  return std::exp(std::uniform_real_distribution<double>(std::log(lo), std::log(hi))(rng));
}

TEST(KernelEquality, AlphaSOverItsRange) {
  std::mt19937_64 rng(15);
  std::vector<double> scales = {1.0, constants::m_c, constants::m_b, constants::M_Z, constants::m_t,
                                1e4};
  for (int i = 0; i < 5000; ++i) scales.push_back(logUniform(rng, 1.0, 1e4));
  for (double mu : scales) {
    const double ref = reference::alphaS(mu);
    EXPECT_LE(relativeDifference(alphaS(mu), ref), 1e-13) << "mu = " << mu;
    const reference::SlowPath slowPath;
    EXPECT_EQ(alphaS(mu), ref) << "mu = " << mu;  // the switch routes to the reference
  }
}

TEST(KernelEquality, ThermalTablesOverTheirRanges) {
  using thermal::Statistics;
  std::mt19937_64 rng(16);
  double largestG = 0.0, largestW = 0.0;
  for (int i = 0; i < 5000; ++i) {
    const double t = logUniform(rng, 1e-7, 1e6);
    const double x = logUniform(rng, 1e-5, 200.0);
    auto tables = [&] {
      return std::array<double, 11>{
          thermal::gStar(t), thermal::gStarS(t), thermal::energyWeight(Statistics::Boson, x),
          thermal::energyWeight(Statistics::Fermion, x),
          thermal::numberWeight(Statistics::Boson, x),
          thermal::numberWeight(Statistics::Fermion, x),
          thermal::entropyWeight(Statistics::Fermion, x),
          thermal::entropyWeight(Statistics::Boson, x),
          // the same tables read from ln T and ln x
          thermal::gStarOfLog(std::log(t)), thermal::gStarSOfLog(std::log(t)),
          thermal::energyWeightOfLog(Statistics::Fermion, std::log(x))};
    };
    const auto fast = tables();
    const reference::SlowPath slowPath;
    const auto slow = tables();
    for (int k = 0; k < 11; ++k) {
      const bool g = k < 2 || k == 8 || k == 9;
      const double d = relativeDifference(fast[k], slow[k]);
      (g ? largestG : largestW) = std::max(g ? largestG : largestW, d);
      EXPECT_LE(d, kTolerance) << "quantity " << k << " at T = " << t << ", x = " << x;
    }
  }
  std::printf("  g_* tables: largest relative difference %.2e; weights %.2e\n", largestG, largestW);
}

TEST(KernelEquality, HiddenKevFermionOverTheQuickStartRanges) {
  // scans/quickstart.json: M_N = 1e11 GeV, y_e = 1e-2, v_s = 1 TeV; epsilon, M_chi, f_L = f_R
  // and g_s log-uniform over the scanned ranges (continuous, not the grid; epsilon from 1e-10 to
  // 0.1 takes chi from frozen in through partly thermal to a thermal relic), and kappa, m_phi
  // around the defaults (phi^0 frozen in, partly thermal or thermal).
  const HiddenKevFermion model;
  using P = HiddenKevFermion::Parameter;
  std::mt19937_64 rng(17);
  std::vector<std::vector<double>> points;
  for (int i = 0; i < 2000; ++i) {
    auto p = model.defaultParameterValues();
    p[P::M_N] = 1e11;
    p[P::y_e] = 1e-2;
    p[P::v_s] = 1000.0;
    p[P::epsilon] = logUniform(rng, 1e-10, 0.1);
    p[P::g_s] = logUniform(rng, 0.3, 1.0);
    p[P::M_chi] = logUniform(rng, 1e-6, 1e-4);
    p[P::f_L] = p[P::f_R] = logUniform(rng, 1e-6, 1e-2);
    p[P::kappa] = logUniform(rng, 1e-11, 1e-7);
    p[P::m_phi] = logUniform(rng, 0.5, 20.0);
    points.push_back(p);
  }
  expectFastEqualsReference(
      model, points,
      [&](const std::string&, const auto& out) { return hiddenTolerance(model, out); },
      "quick start");
}

TEST(KernelEquality, ChiFreezeInPeakAndDecoupling) {
  // The freeze-in kernel's own outputs, fast and reference, over portals from frozen-in to
  // thermal chi (epsilon 1e-12 .. 0.3, g_s 1e-3 .. 3, M_3 = g_s v_s with v_s 50 GeV .. 100 TeV:
  // Z_s below, near and above the Z, peaks on both sides of the crossover), the decoupling root
  // searched at every ratio above 1. The temperatures at kEndOfProduction (header); the ratio and
  // the yields read no root: kTolerance.
  std::mt19937_64 rng(19);
  double largest[5] = {0.0, 0.0, 0.0, 0.0, 0.0};
  int withDecoupling = 0;
  for (int i = 0; i < 3000; ++i) {
    const double eps = logUniform(rng, 1e-12, 0.3);
    const double gS = logUniform(rng, 1e-3, 3.0);
    const double m3 = gS * logUniform(rng, 50.0, 1e5);
    const auto portal = cosmology::chiProductionPortal(kineticMixing(eps, m3), gS, m3);
    const cosmology::ChiFreezeIn fast = cosmology::chiFreezeIn(portal);
    cosmology::ChiFreezeIn slow;
    {
      const reference::SlowPath slowPath;
      slow = cosmology::chiFreezeIn(portal);
    }
    const double d[5] = {
        relativeDifference(fast.thermalisationRatio, slow.thermalisationRatio),
        relativeDifference(fast.freezeInYield, slow.freezeInYield),
        relativeDifference(fast.resonantYield, slow.resonantYield),
        relativeDifference(fast.peakTemperature, slow.peakTemperature),
        relativeDifference(fast.decouplingTemperature, slow.decouplingTemperature)};
    const double allowed[5] = {kTolerance, kTolerance, kTolerance, kEndOfProduction,
                               kEndOfProduction};
    for (int k = 0; k < 5; ++k) {
      largest[k] = std::max(largest[k], d[k]);
      EXPECT_LE(d[k], allowed[k]) << "output " << k << " eps " << eps << " g_s " << gS << " M3 "
                                  << m3 << " fast peak " << fast.peakTemperature << " reference "
                                  << slow.peakTemperature;
    }
    if (!std::isnan(fast.decouplingTemperature)) ++withDecoupling;
  }
  std::printf(
      "  chi freeze-in: 3000 portals (%d with a decoupling root); largest relative "
      "difference R %.2e, Y_FI %.2e, Y_res %.2e, T_peak %.2e, T_dec %.2e\n",
      withDecoupling, largest[0], largest[1], largest[2], largest[3], largest[4]);
}

TEST(KernelEquality, FreezeInTablesWithTheirSecondLogDerivatives) {
  // Newton's steps on the slope of ln(r/H) (ChiFreezeIn.cpp) read g_* and the species sum of the
  // contact rate with their first and second log-derivatives from one look-up of each table. On
  // both paths the value and the slope are those of the separate readers, bit for bit, and the
  // curvature is the derivative of that slope: compared here with the slope's central difference
  // in ln T, (s(u + h) - s(u - h))/2h with h = 1e-4 (error ~h^2/6 times the slope's third
  // derivative, and across a knot of the cubics ~h times the jump of the second; rounding
  // ~1e-16/h), at least 1e-3 away from the tables' edges (QCD transition, neutrino decoupling,
  // the crossover and the tables' ends), where the tables switch.
  std::mt19937_64 rng(21);
  cosmology::ChiPortal unit;
  unit.gQ = 1.0;
  const double edges[] = {
      thermal::kMinTemperature,           thermal::kNeutrinoDecouplingTemperature,
      thermal::kQcdTransitionTemperature, cosmology::kElectroweakCrossover,
      thermal::kMaxTemperature,           1e-4};
  double largestG = 0.0, largestRate = 0.0;
  int compared = 0;
  for (int i = 0; i < 4000; ++i) {
    const double u = std::log(logUniform(rng, 2e-6, 5e4));
    bool nearEdge = false;
    for (double e : edges) nearEdge = nearEdge || std::abs(u - std::log(e)) < 1e-3;
    if (nearEdge) continue;
    const double t = std::exp(u);
    const double h = 1e-4;
    for (bool slow : {false, true}) {
      std::optional<reference::SlowPath> scope;
      if (slow) scope.emplace();
      double gSlope = 0.0, gCurvature = 0.0;
      const double g = thermal::gStarOfLogWithLogDerivatives(u, gSlope, gCurvature);
      EXPECT_EQ(g, thermal::gStarOfLog(u)) << "T = " << t;
      EXPECT_EQ(gSlope, thermal::gStarLogSlopeOfLog(u)) << "T = " << t;
      const double gDifference =
          (thermal::gStarLogSlopeOfLog(u + h) - thermal::gStarLogSlopeOfLog(u - h)) / (2.0 * h);
      largestG = std::max(largestG, std::abs(gCurvature - gDifference));
      EXPECT_NEAR(gCurvature, gDifference, 1e-4 + 1e-4 * std::abs(gDifference)) << "T = " << t;
      if (t >= 1e-4 && t < cosmology::kElectroweakCrossover) {
        double rSlope = 0.0, rCurvature = 0.0;
        const double rate =
            cosmology::chiAnnihilationRateWithLogDerivatives(unit, t, u, rSlope, rCurvature);
        EXPECT_EQ(rate, cosmology::chiAnnihilationRate(unit, t, u)) << "T = " << t;
        EXPECT_EQ(rSlope, cosmology::chiAnnihilationRateLogSlope(unit, t, u)) << "T = " << t;
        const double rDifference =
            (cosmology::chiAnnihilationRateLogSlope(unit, std::exp(u + h), u + h) -
             cosmology::chiAnnihilationRateLogSlope(unit, std::exp(u - h), u - h)) /
            (2.0 * h);
        largestRate = std::max(largestRate, std::abs(rCurvature - rDifference));
        EXPECT_NEAR(rCurvature, rDifference, 1e-4 + 1e-4 * std::abs(rDifference)) << "T = " << t;
      }
      ++compared;
    }
  }
  std::printf(
      "  second log-derivatives, %d comparisons: largest |curvature - central difference| g_* "
      "%.2e, species sum %.2e\n",
      compared, largestG, largestRate);
}

TEST(KernelEquality, HiddenKevFermionOverAllParameters) {
  const HiddenKevFermion model;
  using P = HiddenKevFermion::Parameter;
  std::mt19937_64 rng(18);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<std::vector<double>> points;
  for (int i = 0; i < 2000; ++i) {
    auto p = model.defaultParameterValues();
    p[P::M_N] = logUniform(rng, 1e8, 1e16);
    p[P::y_e] = logUniform(rng, 1e-4, 1.0);
    p[P::y_mu] = 0.1 * u(rng);
    p[P::y_tau] = 0.1 * u(rng);
    p[P::f_L] = logUniform(rng, 1e-4, 1.0);
    p[P::f_R] = logUniform(rng, 1e-4, 1.0);
    p[P::v_s] = logUniform(rng, 50.0, 1e5);
    p[P::M_chi] = logUniform(rng, 1e-7, 1e-2);
    p[P::epsilon] = 0.9 * u(rng);
    p[P::g_s] = logUniform(rng, 1e-3, 3.0);
    p[P::m_phi] = logUniform(rng, 0.01, 100.0);
    p[P::kappa] = (u(rng) < 0 ? -1.0 : 1.0) * logUniform(rng, 1e-12, 1e-5);
    p[P::R_detector] = logUniform(rng, 1.0, 20.0);
    points.push_back(p);
  }
  expectFastEqualsReference(
      model, points,
      [&](const std::string&, const auto& out) { return hiddenTolerance(model, out); },
      "all parameters");
}

TEST(KernelEquality, ScalarWidthMemoIsAPureFunctionOfMphi) {
  // The per-thread memo of phi^0's SM width (keyed on the bits of m_phi) returns
  // scalarWidthsToStandardModel(1, m_phi).total() bit for bit, on a miss, on a hit and after
  // other masses; the width at sin(alpha) is sin^2(alpha) times it, within rounding of the
  // reference (sin(alpha) inside every formula), and exactly 0 at sin(alpha) = 0.
  std::mt19937_64 rng(22);
  std::vector<double> masses = {0.2,
                                2.0 * constants::m_pi_charged,
                                kScalarHadronicWindowLow,
                                kScalarHadronicWindowHigh,
                                2.0 * constants::m_D0,
                                2.0 * constants::m_B_charged};
  for (int i = 0; i < 3000; ++i) masses.push_back(logUniform(rng, 0.01, 100.0));
  double largest = 0.0;
  for (std::size_t i = 0; i < masses.size(); ++i) {
    const double m = masses[i];
    const double expected = scalarWidthsToStandardModel(1.0, m).total();
    const double other = masses[(i * 7 + 3) % masses.size()];
    for (int k = 0; k < 2; ++k) {  // a miss, then a hit
      EXPECT_EQ(std::bit_cast<std::uint64_t>(scalarWidthToStandardModelPerSin2(m)),
                std::bit_cast<std::uint64_t>(expected))
          << "m_phi = " << m << ", look-up " << k;
    }
    (void)scalarWidthToStandardModelPerSin2(other);  // evicts m
    EXPECT_EQ(std::bit_cast<std::uint64_t>(scalarWidthToStandardModelPerSin2(m)),
              std::bit_cast<std::uint64_t>(expected))
        << "m_phi = " << m << " after " << other;
    {
      // A look-up on the reference path (reference alpha_s) must not fill the memo.
      const reference::SlowPath slowPath;
      (void)scalarWidthToStandardModelPerSin2(other);
    }
    EXPECT_EQ(std::bit_cast<std::uint64_t>(scalarWidthToStandardModelPerSin2(other)),
              std::bit_cast<std::uint64_t>(scalarWidthsToStandardModel(1.0, other).total()))
        << "m_phi = " << other << " after a reference look-up";
    const double sinAlpha = (i % 2 ? -1.0 : 1.0) * logUniform(rng, 1e-9, 0.3);
    double reference;
    {
      const reference::SlowPath slowPath;
      reference = scalarWidthToStandardModel(sinAlpha, m);
      EXPECT_EQ(reference, scalarWidthsToStandardModel(sinAlpha, m).total());
    }
    const double d = relativeDifference(scalarWidthToStandardModel(sinAlpha, m), reference);
    largest = std::max(largest, d);
    EXPECT_LE(d, kTolerance) << "m_phi = " << m << ", sin(alpha) = " << sinAlpha;
    EXPECT_EQ(scalarWidthToStandardModel(0.0, m), 0.0);
  }
  std::printf("  phi^0 SM width: largest relative difference %.2e\n", largest);
}

TEST(KernelEquality, HiddenKevFermionWithThePhiSectorFixed) {
  // The quick start as scanned (scans/quickstart.json): kappa, v_s, m_phi fixed, so the SM-width
  // memo hits at every point; here in runs of 1 to 4 points at one of three (kappa, m_phi) pairs
  // (hits and misses, the three mass regimes of the hadronic width), epsilon, M_chi,
  // f_L = f_R (pseudo-Dirac chi: the phi^0 chi-chi couplings are cancellations) and g_s drawn as
  // in the quick start. Against the reference, and bit for bit against the same points in the
  // reverse order (what a memo must not change).
  const HiddenKevFermion model;
  using P = HiddenKevFermion::Parameter;
  std::mt19937_64 rng(23);
  const double phiSector[3][2] = {{1e-9, 0.5}, {3e-9, 2.0}, {1e-8, 7.0}};  // kappa, m_phi
  std::vector<std::vector<double>> points;
  while (points.size() < 2000) {
    const int sector = static_cast<int>(rng() % 3);
    const int run = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < run; ++k) {
      auto p = model.defaultParameterValues();
      p[P::M_N] = 1e11;
      p[P::y_e] = 1e-2;
      p[P::v_s] = 1000.0;
      p[P::kappa] = phiSector[sector][0];
      p[P::m_phi] = phiSector[sector][1];
      p[P::epsilon] = logUniform(rng, 1e-10, 0.1);
      p[P::g_s] = logUniform(rng, 0.3, 1.0);
      p[P::M_chi] = logUniform(rng, 1e-6, 1e-4);
      p[P::f_L] = p[P::f_R] = logUniform(rng, 1e-6, 1e-2);
      points.push_back(p);
    }
  }
  expectFastEqualsReference(
      model, points,
      [&](const std::string&, const auto& out) { return hiddenTolerance(model, out); },
      "phi sector fixed");
  const auto blocks = model.defaultBlocks();
  std::vector<std::vector<double>> forward(points.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    forward[i].resize(model.observables().size());
    model.evaluate(points[i], blocks, forward[i]);
  }
  std::vector<double> out(model.observables().size());
  int differing = 0;
  for (std::size_t i = points.size(); i-- > 0;) {
    model.evaluate(points[i], blocks, out);
    for (std::size_t k = 0; k < out.size(); ++k) {
      if (std::bit_cast<std::uint64_t>(out[k]) != std::bit_cast<std::uint64_t>(forward[i][k])) {
        ++differing;
      }
    }
  }
  EXPECT_EQ(differing, 0);
}

TEST(KernelEquality, ReheatingSolveOverItsRange) {
  // T_reheat from Gamma: fast (secant in ln T from the fixed-point iterate, which is taken as the
  // root where g_* is flat; TOMS748 where the root sits on g_*'s jump) against the reference
  // (TOMS748 in T, a bracket of 2^-39 relative: its midpoint within 9.1e-13 of the root; the fast
  // solve within 1.3e-13 in ln T): 2e-12. T = c g_*^(-1/4), c = K sqrt(Gamma M_Pl), from c = 1e-6
  // GeV (g_* flat) to 1e5 GeV, and densely where the root sits on g_*'s jump at the QCD switch (c /
  // T_QCD between g_*(T_QCD-)^(1/4) and g_*(T_QCD)^(1/4)).
  const double w0 = 1e-20;
  const double c0 = cosmology::reheatingTemperature(w0, 1.0);
  auto widthFor = [&](double c) { return w0 * (c / c0) * (c / c0); };
  const double tq = thermal::kQcdTransitionTemperature;
  const double below = std::pow(thermal::gStar(std::nextafter(tq, 0.0)), 0.25);
  const double above = std::pow(thermal::gStar(tq), 0.25);
  std::mt19937_64 rng(24);
  std::vector<double> widths;
  for (int i = 0; i < 4000; ++i) widths.push_back(widthFor(logUniform(rng, 1e-6, 1e5)));
  for (int i = 0; i < 1000; ++i) {
    widths.push_back(widthFor(tq * logUniform(rng, 0.99 * below, 1.01 * above)));
  }
  double largest = 0.0;
  int onTheJump = 0;
  for (const double w : widths) {
    const double fast = cosmology::reheatingTemperature(w);
    double slow;
    {
      const reference::SlowPath slowPath;
      slow = cosmology::reheatingTemperature(w);
    }
    onTheJump += std::abs(fast / tq - 1.0) < 1e-11;
    // On the jump both must pick the same side: g_*(T_reheat) downstream jumps with it.
    EXPECT_EQ(fast < tq, slow < tq) << "Gamma = " << w << ": " << fast << " against " << slow;
    const double d = relativeDifference(fast, slow);
    largest = std::max(largest, d);
    EXPECT_LE(d, 2e-12) << "Gamma = " << w << ": " << fast << " against " << slow;
  }
  EXPECT_GT(onTheJump, 100);
  std::printf("  T_reheat: %zu widths (%d on the QCD jump), largest relative difference %.2e\n",
              widths.size(), onTheJump, largest);
}

TEST(KernelEquality, ReheatingSecantStopsWithinItsErrorBound) {
  // The fast reheating solve (Cosmology.cpp, reheatingSecant) also stops when the secant's error
  // estimate C |x_n+1 - x_n| |x_n - x_n-1| is below 1e-14, with C = g''/(2 g') <= 0.2 for
  // g(u) = u - ln c + ln(g_*(u))/4 inside each smooth piece of the g_* table. That bound, from the
  // table itself (central differences of d ln g_*/d ln T, away from the pieces' ends) ...
  const double ends[4] = {std::log(thermal::kQcdTransitionTemperature),
                          std::log(thermal::kNeutrinoDecouplingTemperature),
                          std::log(thermal::kMinTemperature), std::log(thermal::kMaxTemperature)};
  double slope = 0.0;
  double curvature = 0.0;
  const double h = 1e-6;
  for (double u = ends[2]; u < ends[3]; u += 1e-5) {
    bool nearEnd = false;
    for (double e : ends) nearEnd = nearEnd || std::abs(u - e) < 3.0 * h;
    if (nearEnd) continue;
    slope = std::max(slope, std::abs(thermal::gStarLogSlopeOfLog(u)));
    curvature = std::max(curvature, std::abs(thermal::gStarLogSlopeOfLog(u + h) -
                                             thermal::gStarLogSlopeOfLog(u - h)) /
                                        (2.0 * h));
  }
  const double c = (curvature / 4.0) / (2.0 * (1.0 - slope / 4.0));
  std::printf("  g_* table: |d ln g_*/d ln T| <= %.3f, |d^2 ln g_*/d(ln T)^2| <= %.3f, C <= %.3f\n",
              slope, curvature, c);
  EXPECT_LE(c, 0.2);
  // ... and the solve against the root bisected to adjacent doubles in u (the same g), at 5 000
  // widths from c = 1e-6 to 1e5 GeV, leaving out roots within 1e-6 of a piece's end (the jump at
  // the QCD switch has none; the test above covers it): within the step rule's 1e-13, plus the
  // rounding of exp.
  std::mt19937_64 rng(25);
  const double w0 = 1e-20;
  const double c0 = cosmology::reheatingTemperature(w0, 1.0);
  double largest = 0.0;
  int compared = 0;
  for (int i = 0; i < 5000; ++i) {
    const double cw = logUniform(rng, 1e-6, 1e5);
    const double w = w0 * (cw / c0) * (cw / c0);
    const double lnC = std::log(cosmology::reheatingTemperature(w, 1.0));
    auto g = [&](double u) { return u - lnC + 0.25 * std::log(thermal::gStarOfLog(u)); };
    double lo = lnC - 0.25 * std::log(200.0);
    double hi = lnC - 0.25 * std::log(2.0);
    if (!(g(lo) < 0.0 && g(hi) > 0.0)) continue;
    while (std::nextafter(lo, hi) < hi) {
      const double mid = 0.5 * (lo + hi);
      if (mid <= lo || mid >= hi) break;
      (g(mid) < 0.0 ? lo : hi) = mid;
    }
    bool nearEnd = false;
    for (double e : ends) nearEnd = nearEnd || std::abs(lo - e) < 1e-6;
    if (nearEnd) continue;
    ++compared;
    const double d = relativeDifference(cosmology::reheatingTemperature(w), std::exp(lo));
    largest = std::max(largest, d);
    EXPECT_LE(d, 2e-13) << "Gamma = " << w;
  }
  EXPECT_GT(compared, 4000);
  std::printf("  T_reheat against the bisected root: %d widths, largest relative difference %.2e\n",
              compared, largest);
}

/// lfv_nsi's three mixing modes, each at 1 000 points from `draw(model, rng, u)`, fast against
/// reference at kTolerance.
template <typename Draw>
void expectLfvNsiModesEqual(std::uint64_t seed, Draw draw, const char* label) {
  const Options modes[3] = {{},
                            {{"mixing", "mass_matrix"}, {"version", "lepton_number_violating"}},
                            {{"mixing", "mass_matrix"}, {"version", "lepton_number_conserving"}}};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (const auto& options : modes) {
    const auto model = ModelRegistry::builtin().create("lfv_nsi", options);
    std::vector<std::vector<double>> points;
    for (int i = 0; i < 1000; ++i) points.push_back(draw(*model, rng, u));
    expectFastEqualsReference(
        *model, points, [](const std::string&, const auto&) { return kTolerance; }, label);
  }
}

TEST(KernelEquality, LfvNsiAtTheDefaultThresholdsOverAWideZprimeMassRange) {
  // The thresholds at their defaults (the coherent block's own tables: one ln m_Z'^2 for the
  // three nuclei on the fast path) and m_Z' log-uniform over 1e-4 .. 1e3 GeV: r = m_Z'^2/m_mu^2
  // from 1e-6 to 1e8 (the g - 2 loop's closed form in both regimes against the adaptive
  // integral), the coherent tables' low series, grid and contact series.
  expectLfvNsiModesEqual(
      20,
      [](const Model& model, std::mt19937_64& rng, std::uniform_real_distribution<double>& u) {
        auto p = model.defaultParameterValues();
        for (std::size_t k = 0; k < p.size(); ++k) {
          if (k != LfvNsi::T_threshold_ar && k != LfvNsi::T_threshold_csi) {
            p[k] *= std::pow(10.0, u(rng));
          }
        }
        p[LfvNsi::m_Zprime] = logUniform(rng, 1e-4, 1e3);
        p[LfvNsi::a_mu] = u(rng);  // g_mu != 0: Delta_a_mu is not 0 x the loop
        return p;
      },
      "lfv_nsi thresholds");
}

/// Threshold pairs (T_threshold_ar, T_threshold_csi) other than the defaults (2e-5, 5e-6), each
/// reaching one branch of SnsZprimeTable::averages: below the table's threshold (the sums over
/// [T, T_th] added), above it by less than 2x (those over [T_th, T] subtracted), far above (those
/// over [T, T_+] afresh), and tiny (many panels).
constexpr double kFixedThresholds[4][2] = {
    {1.2e-5, 3e-6}, {3e-5, 8e-6}, {1e-4, 3e-5}, {1e-8, 1e-9}};

TEST(KernelEquality, LfvNsiAtFixedThresholdsOtherThanTheDefaults) {
  // A scan that fixes the thresholds elsewhere: the fast path sums over the nodes it keeps in its
  // per-thread cache from the second point on, the reference path takes every node's form factor
  // afresh at every point (fast and reference alternate point by point, so the reference never
  // sees the cache).
  for (const auto& t : kFixedThresholds) {
    expectLfvNsiModesEqual(
        22,
        [&t](const Model& model, std::mt19937_64& rng, std::uniform_real_distribution<double>& u) {
          auto p = model.defaultParameterValues();
          for (double& x : p) x *= std::pow(10.0, u(rng));
          p[LfvNsi::m_Zprime] = logUniform(rng, 1e-4, 1e3);
          p[LfvNsi::T_threshold_ar] = t[0];
          p[LfvNsi::T_threshold_csi] = t[1];
          return p;
        },
        "lfv_nsi fixed thresholds");
  }
}

TEST(KernelEquality, LfvNsiResultsDoNotDependOnWhatWasEvaluatedBefore) {
  // The same points at one fixed threshold pair, once in a row (the cache hit from the second
  // point) and once each after points at the three other pairs (its entries evicted, refilled
  // or taken afresh): every observable bit for bit the same, and the same as at a cold start.
  const auto model = ModelRegistry::builtin().create("lfv_nsi");
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  auto draw = [&](const double* t) {
    auto p = model->defaultParameterValues();
    for (double& x : p) x *= std::pow(10.0, u(rng));
    p[LfvNsi::T_threshold_ar] = t[0];
    p[LfvNsi::T_threshold_csi] = t[1];
    return p;
  };
  const std::size_t n = model->observables().size();
  for (int which = 0; which < 4; ++which) {
    std::vector<std::vector<double>> points, others;
    for (int i = 0; i < 300; ++i) {
      points.push_back(draw(kFixedThresholds[which]));
      others.push_back(draw(kFixedThresholds[(which + 1 + i % 3) % 4]));
    }
    std::vector<double> inRow(points.size() * n), interleaved(points.size() * n), scratch(n);
    std::vector<PointStatus> rowStatus, mixedStatus;
    for (std::size_t i = 0; i < points.size(); ++i) {
      rowStatus.push_back(
          model->evaluate(points[i], model->defaultBlocks(), std::span(inRow.data() + i * n, n)));
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
      model->evaluate(others[i], model->defaultBlocks(), scratch);
      mixedStatus.push_back(model->evaluate(points[i], model->defaultBlocks(),
                                            std::span(interleaved.data() + i * n, n)));
    }
    EXPECT_EQ(rowStatus, mixedStatus);
    int differing = 0;
    for (std::size_t k = 0; k < inRow.size(); ++k) {
      const bool same =
          inRow[k] == interleaved[k] || (std::isnan(inRow[k]) && std::isnan(interleaved[k]));
      if (!same && ++differing <= 5) {
        ADD_FAILURE() << "threshold pair " << which << ", point " << k / n << ": "
                      << model->observables()[k % n].name << " " << inRow[k] << " in a row, "
                      << interleaved[k] << " interleaved";
      }
    }
    EXPECT_EQ(differing, 0);
  }
}

/// I(r) = int_0^1 2z(1-z)^2/((1-z)^2 + z r) dz independently of the model's code: composite
/// 30-point Gauss-Legendre in long double (64-bit mantissa) on panels halving towards z = 0 and
/// towards z = 1 (there in t = 1 - z, exact near the end point), which resolve the integrand's
/// scales 1/r at z = 0 (large r) and sqrt(r) at z = 1 (small r) down to r = 1e-30 and up to 1e30.
long double g2LoopReference(long double r) {
  using Rule = boost::math::quadrature::gauss<long double, 30>;
  // In t = 1 - z: 2(1-t) t^2/(t^2 + (1-t) r); in z: 2z(1-z)^2/((1-z)^2 + z r).
  auto nearOne = [r](long double t) { return 2 * (1 - t) * t * t / (t * t + (1 - t) * r); };
  auto nearZero = [r](long double z) {
    return 2 * z * (1 - z) * (1 - z) / ((1 - z) * (1 - z) + z * r);
  };
  long double sum = 0.0L;
  for (int k = 1; k <= 110; ++k) {  // [2^-(k+1), 2^-k] for k = 1..110 on each side of 1/2
    const long double hi = std::ldexp(1.0L, -k), lo = std::ldexp(1.0L, -k - 1);
    sum += Rule::integrate(nearZero, lo, hi) + Rule::integrate(nearOne, lo, hi);
  }
  return sum;  // the two pieces below 2^-111 are below 1e-66 of the whole
}

TEST(KernelEquality, G2LoopClosedFormOverTheWholeMassRange) {
  // By hand: at r = 2, D = 1 + z^2 and N/D = 2z - 4 + 4/(1 + z^2): pi - 3; at r = 4, D =
  // (1 + z)^2 and with u = 1 + z, N/D = 2(u - 5 + 8/u - 4/u^2): 16 ln 2 - 11.
  EXPECT_NEAR(LfvNsi::g2Loop(2.0), std::numbers::pi - 3.0, 1e-15);
  EXPECT_NEAR(LfvNsi::g2Loop(4.0), 16.0 * std::numbers::ln2 - 11.0, 1e-15);
  // The limits of docs/physics/lfv_nsi.md: 1 (m_Z' << m_mu) and 2/(3r) (m_Z' >> m_mu).
  EXPECT_NEAR(LfvNsi::g2Loop(0.0), 1.0, 0.0);
  EXPECT_NEAR(LfvNsi::g2Loop(1e-40), 1.0, 1e-19);
  EXPECT_LE(relativeDifference(LfvNsi::g2Loop(1e200), 2.0 / 3e200), 1e-150);
  // Against the long-double integral: r from 1e-30 to 1e30 (m_Z' from 1e-16 m_mu to 1e15
  // m_mu), densely through r = 4 (where the two forms meet at 5) and over the scanned decades.
  std::mt19937_64 rng(21);
  std::vector<double> rs = {4.0, 5.0, std::nextafter(5.0, 6.0), 1e-32, 1e-31};
  for (int i = 0; i < 2000; ++i) rs.push_back(logUniform(rng, 1e-30, 1e30));
  for (int i = 0; i < 2000; ++i) rs.push_back(logUniform(rng, 1e-2, 1e3));
  for (int i = 0; i < 1000; ++i)
    rs.push_back(std::uniform_real_distribution<double>(3.0, 7.0)(rng));
  double largest = 0.0, largestAt = 0.0, largestAdaptive = 0.0;
  for (const double r : rs) {
    const double closed = LfvNsi::g2Loop(r);
    const double d = relativeDifference(closed, static_cast<double>(g2LoopReference(r)));
    if (d > largest) {
      largest = d;
      largestAt = r;
    }
    EXPECT_LE(d, 1e-12) << "r = " << r;
    // The reference path (adaptive Gauss-Kronrod to 1e-10 relative on pieces cut at the
    // integrand's scales; the budget of one point allows r from 1e-20 to 1e20).
    if (r >= 1e-20 && r <= 1e20) {
      const double a = relativeDifference(closed, LfvNsi::g2LoopIntegral(r));
      largestAdaptive = std::max(largestAdaptive, a);
      EXPECT_LE(a, kTolerance) << "r = " << r;
    }
  }
  std::printf(
      "  g - 2 loop: %zu values of r; largest relative difference %.2e (at r = %.4g) "
      "against the long-double integral, %.2e against the adaptive one\n",
      rs.size(), largest, largestAt, largestAdaptive);
}

TEST(KernelEquality, LfvNsiInEveryMixingMode) {
  expectLfvNsiModesEqual(
      19,
      [](const Model& model, std::mt19937_64& rng, std::uniform_real_distribution<double>& u) {
        auto p = model.defaultParameterValues();
        for (double& x : p) x *= std::pow(10.0, u(rng));
        return p;
      },
      "lfv_nsi");
}

}  // namespace
}  // namespace portalscan::physics
