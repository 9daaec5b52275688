// The tabulated coherent block of lfv_nsi (Cevns.hpp, SnsZprimeTable) against the direct
// integrals it replaces in the scan (snsAveragedCrossSection, snsAveragedCrossSectionShift):
// the table's interpolation against its own sums, the table against the direct integrals, and
// every coherent observable of the model against the direct integrals over random points.

#include "portalscan/physics/Cevns.hpp"
#include "portalscan/physics/LfvNsi.hpp"
#include "portalscan/physics/Model.hpp"
#include "portalscan/physics/Units.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <random>
#include <string>
#include <vector>

namespace portalscan::physics {
namespace {

using namespace cevns;
using P = LfvNsi::Parameter;

double upper(const Nucleus& n) {
  const double e = 0.5 * constants::m_mu;
  return 2 * e * e / (n.mass + 2 * e);  // T_+ at the Michel end point
}

TEST(CevnsTable, InterpolationAgainstTheTablesOwnSums) {
  // The documented grid: x_i = ln(1e-4 T_th) + i/32 in x = ln tau, tau = m^2/2M; cubic Hermite
  // errs most at the midpoints. Also random masses over 1e-7..1e3 GeV (both series regions).
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  double worst = 0.0;
  for (const auto& n : {argon40(), caesium133(), iodine127()}) {
    for (double fraction : {1e-6, 0.033, 0.13, 0.5, 0.97}) {
      const double threshold = fraction * upper(n);
      const SnsZprimeTable table(n, threshold);
      const double x0 = std::log(1e-4 * threshold), x1 = std::log(1e4 * upper(n));
      std::vector<double> masses;
      for (double x = x0 + 0.5 / 32; x < x1; x += 1.0 / 32) {
        masses.push_back(std::sqrt(2 * n.mass * std::exp(x)));
      }
      for (int i = 0; i < 2000; ++i) masses.push_back(std::pow(10.0, -7 + 10 * uniform(rng)));
      for (double m : masses) {
        for (int order : {1, 2}) {
          for (int flavour : {0, 1}) {
            const double exact = table.sExact(order, flavour, m);
            const double error = std::abs(table.s(order, flavour, m) / exact - 1.0);
            worst = std::max(worst, error);
            ASSERT_LT(error, 5e-9) << n.name << " " << threshold << " " << m << " " << order;
          }
        }
      }
    }
  }
  std::cout << "largest relative interpolation error: " << worst << "\n";
}

TEST(CevnsTable, TheTablesLimitsAreTheMomentsOfTheRate) {
  // m -> 0: S1 -> int w/T; m -> inf: S1 tau -> int w. Checked at m = 1e-9 and 1e6 GeV
  // against the sums at a tau 1e3 times further out, where the next term is 1e-3 smaller still.
  const auto n = argon40();
  const SnsZprimeTable table(n, 2e-5);
  for (int flavour : {0, 1}) {
    EXPECT_NEAR(table.s(1, flavour, 1e-9) / table.sExact(1, flavour, 1e-9), 1.0, 1e-12);
    EXPECT_NEAR(table.s(2, flavour, 1e6) / table.sExact(2, flavour, 1e6), 1.0, 1e-12);
    EXPECT_NEAR(table.s(1, flavour, 1e6) / table.sExact(1, flavour, 1e6), 1.0, 1e-12);
  }
}

TEST(CevnsTable, AgreesWithTheDirectIntegrals) {
  // The table (at its threshold and at others, by the sums between the two) against
  // snsAveragedCrossSection(Shift), whose fixed rule in ln(T + tau) is independent of it.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (const auto& n : {argon40(), caesium133(), iodine127()}) {
    const SnsZprimeTable table(n, 0.13 * upper(n));
    for (int i = 0; i < 200; ++i) {
      const double threshold =
          i == 0 ? table.threshold() : upper(n) * std::pow(10.0, -4 * uniform(rng)) * 0.99;
      VectorMediator z;
      z.mass = std::pow(10.0, -3 + 4 * uniform(rng));
      const double g = std::pow(10.0, -6 + 5 * uniform(rng));
      z.protonCoupling = g * (uniform(rng) - 0.3);
      z.neutronCoupling = g * (uniform(rng) - 0.3);
      z.electron = {std::pow(10.0, -6 + 5 * uniform(rng)) * (uniform(rng) - 0.5),
                    std::pow(10.0, -12 + 10 * uniform(rng))};
      z.muon = {std::pow(10.0, -6 + 5 * uniform(rng)) * (uniform(rng) - 0.5), 0.0};
      const auto a = table.averages(z, threshold);
      const double sm = snsAveragedCrossSection(n, threshold);
      const double shift = snsAveragedCrossSectionShift(n, threshold, z);
      EXPECT_NEAR(a.sm / sm, 1.0, 1e-9) << n.name << " " << threshold;
      // The shift's interference and square terms can cancel: relative to the larger of the
      // shift and the SM rate (the ratio's error).
      // The direct rule (10 points on panels 1 wide in ln(T + tau)) itself errs by up to 1e-4 (the
      // accuracy CevnsSns checks it to against Simpson) below 20 keV, where tau >> T_th puts the
      // sqrt(T) of E_min(T) inside its first panel (against adaptive Gauss-Kronrod to 1e-12 the
      // table errs by < 1e-10 there): 1e-8 above.
      const double tolerance = threshold >= 2e-5 ? 1e-8 : 1e-4;
      EXPECT_LT(std::abs(a.shift - shift), tolerance * std::max(std::abs(shift), sm))
          << n.name << " " << threshold << " " << z.mass;
    }
  }
}

TEST(CevnsTable, LfvNsiCoherentObservablesAgainstTheDirectIntegrals) {
  // Every coherent observable of the model (which uses the tables) against the direct
  // integrals, with the Z' couplings rebuilt from the model's g_u, g_d, g_nu as
  // docs/physics/lfv_nsi.md ("COHERENT") states them: g_p = 2 g_u + g_d, g_n = g_u + 2 g_d;
  // flavour gamma couples diagonally with -a_gamma g_B in B - L (0 in kinetic mixing), and
  // nu_alpha <-> nu_beta with g_nu. Random points: m_Z' 1e-3..10 GeV, couplings from SM- to
  // Z'-dominated, the three flavour options, both matter couplings, random thresholds (a third
  // at the defaults, one in twenty at 0).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto logUniform = [&](double lo, double hi) {
    return std::exp(std::log(lo) + (std::log(hi) - std::log(lo)) * uniform(rng));
  };
  const auto ar = argon40(), cs = caesium133(), io = iodine127();
  double worst = 0.0;
  int points = 0;
  for (const char* flavours : {"e-mu", "e-tau", "mu-tau"}) {
    for (const char* matter : {"b_minus_l", "kinetic_mixing"}) {
      const auto model = ModelRegistry::builtin().create(
          "lfv_nsi", {{"flavours", flavours}, {"matter_coupling", matter}});
      const auto index = [&](const char* name) { return *model->observableIndex(name); };
      std::vector<double> out(model->observables().size());
      const bool bMinusL = std::string(matter) == "b_minus_l";
      const int alpha = flavours[0] == 'e' ? 0 : 1;
      const int beta = std::string(flavours).substr(2) == "mu" ? 1 : 2;
      for (int i = 0; i < 500; ++i) {
        auto p = model->defaultParameterValues();
        p[P::m_Zprime] = logUniform(1e-3, 10.0);
        p[P::g_psi] = logUniform(1e-3, 3.0);
        p[P::sin_alpha_mix] = p[P::sin_beta_mix] = std::sqrt(logUniform(1e-6, 0.5));
        p[P::g_B] = logUniform(1e-7, 0.1);
        p[P::delta] = logUniform(1e-7, 0.1);
        p[P::a_e] = 4 * uniform(rng) - 2;
        p[P::a_mu] = 4 * uniform(rng) - 2;
        const double r = uniform(rng);
        if (r > 0.4) {
          p[P::T_threshold_ar] = 0.99 * upper(ar) * std::pow(10.0, -3.5 * uniform(rng));
          p[P::T_threshold_csi] = 0.99 * upper(cs) * std::pow(10.0, -3.5 * uniform(rng));
        } else if (r < 0.05) {
          p[P::T_threshold_ar] = p[P::T_threshold_csi] = 0.0;
        }
        // Points the model refuses (e.g. a light Z' that is not invisible) still carry the
        // coherent block; only the unphysical ones have none.
        const auto status = model->evaluate(p, model->allBlocks(), out);
        if (status == PointStatus::UnphysicalParameter) continue;
        VectorMediator z;
        z.mass = p[P::m_Zprime];
        const double gu = out[index("g_u")], gd = out[index("g_d")], gNu = out[index("g_nu")];
        z.protonCoupling = 2 * gu + gd;
        z.neutronCoupling = gu + 2 * gd;
        for (int f : {0, 1}) {
          NeutrinoZprimeCouplings c;
          if (bMinusL) c.diagonal = -(f == 0 ? p[P::a_e] : p[P::a_mu]) * p[P::g_B];
          if (alpha == f || beta == f) c.offDiagonalSquared = gNu * gNu;
          (f == 0 ? z.electron : z.muon) = c;
        }
        const double tAr = p[P::T_threshold_ar], tCsI = p[P::T_threshold_csi];
        const double arRatio =
            1.0 + snsAveragedCrossSectionShift(ar, tAr, z) / snsAveragedCrossSection(ar, tAr);
        const double csiRatio =
            1.0 + (snsAveragedCrossSectionShift(cs, tCsI, z) +
                   snsAveragedCrossSectionShift(io, tCsI, z)) /
                      (snsAveragedCrossSection(cs, tCsI) + snsAveragedCrossSection(io, tCsI));
        const double arXsec =
            snsAveragedCrossSection(ar, 0.0) * arRatio * units::hbarCInGeVCm * units::hbarCInGeVCm;
        // Tolerance 1e-8 of the larger of the ratio and 1 (of the SM rate, where the
        // interference and Z'^2 terms cancel); 1e-4 for thresholds below 20 keV, the direct
        // rule's own error there (AgreesWithTheDirectIntegrals).
        const double tolerance = std::min(tAr, tCsI) >= 2e-5 ? 1e-8 : 1e-4;
        const double e1 =
            std::abs(out[index("coherent_ar_ratio")] - arRatio) / std::max(1.0, std::abs(arRatio));
        const double e2 = std::abs(out[index("coherent_csi_ratio")] - csiRatio) /
                          std::max(1.0, std::abs(csiRatio));
        const double e3 = std::abs(out[index("coherent_ar_xsec")] / arXsec - 1.0);
        if (tolerance < 1e-6)
          worst = std::max({worst, e1, e2, e3 * std::min(1.0, std::abs(arRatio))});
        EXPECT_LT(e1, tolerance) << flavours << " " << matter << " " << i << " m " << z.mass;
        EXPECT_LT(e2, tolerance) << flavours << " " << matter << " " << i << " m " << z.mass;
        EXPECT_LT(e3 * std::min(1.0, std::abs(arRatio)), tolerance) << flavours << " " << matter;
        ++points;
      }
    }
  }
  EXPECT_GT(points, 2500);
  std::cout << points << " points, largest error (thresholds >= 20 keV) " << worst << "\n";
}

TEST(CevnsTable, TwoTablesAtOnceAreTwoReadsBitForBit) {
  // averagedCrossSectionShifts (lfv_nsi's 133Cs and 127I in the two lanes of SSE2 registers)
  // against averagedCrossSectionShift of each table: the same operations per lane, so equal bits,
  // at masses over and beyond the grids (the series on either side, where it falls back to the
  // one-table read), with couplings of either sign, zero charge and zero neutrino couplings.
  const SnsZprimeTable cs(caesium133(), 5e-6), io(iodine127(), 5e-6);
  const SnsZprimeTable ar(argon40(), 2e-5);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  int compared = 0, onGrids = 0;
  for (int i = 0; i < 20000; ++i) {
    VectorMediator z;
    z.mass = std::pow(10.0, -7.0 + 10.0 * uniform(rng));
    auto coupling = [&] {
      return (uniform(rng) < 0.5 ? -1.0 : 1.0) * std::pow(10.0, -6.0 * uniform(rng));
    };
    z.protonCoupling = i % 97 == 0 ? 0.0 : coupling();
    z.neutronCoupling = i % 97 == 0 ? 0.0 : coupling();
    z.electron.diagonal = i % 5 == 0 ? 0.0 : coupling();
    z.muon.diagonal = i % 7 == 0 ? 0.0 : coupling();
    z.electron.offDiagonalSquared = i % 3 == 0 ? 0.0 : std::pow(coupling(), 2);
    z.muon.offDiagonalSquared = i % 2 == 0 ? 0.0 : std::pow(coupling(), 2);
    const double logMass2 = 2.0 * std::log(z.mass);
    for (const auto* pair : {&cs, &ar}) {  // (Cs, I), and two tables at other thresholds
      const SnsZprimeTable& first = *pair;
      const SnsZprimeTable& second = pair == &cs ? io : cs;
      double shifts[2] = {-1.0, -1.0};
      SnsZprimeTable::averagedCrossSectionShifts(first, second, z, logMass2, shifts);
      const double one = first.averagedCrossSectionShift(z, logMass2);
      const double two = second.averagedCrossSectionShift(z, logMass2);
      ASSERT_EQ(std::bit_cast<std::uint64_t>(shifts[0]), std::bit_cast<std::uint64_t>(one))
          << "m = " << z.mass << ": " << shifts[0] << " against " << one;
      ASSERT_EQ(std::bit_cast<std::uint64_t>(shifts[1]), std::bit_cast<std::uint64_t>(two))
          << "m = " << z.mass << ": " << shifts[1] << " against " << two;
      ++compared;
      if (z.mass > 1e-4 && z.mass < 10.0 && one != 0.0) ++onGrids;
    }
  }
  EXPECT_EQ(compared, 40000);
  EXPECT_GT(onGrids, 10000);  // most of them read the grids (1e-4..10 GeV is inside all three)
}

}  // namespace
}  // namespace portalscan::physics
