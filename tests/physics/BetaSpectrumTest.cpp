// The tritium beta spectrum with the chi states (CN Eqs. 16-18) and the
// low-energy signals of a point. Expected values: the closed forms of Eq. 16
// evaluated here by hand, the kink positions of Eqs. 17-18, and integrations
// independent of the code's quadrature.

#include "portalscan/physics/BetaSpectrum.hpp"
#include "portalscan/physics/Cevns.hpp"
#include "portalscan/physics/HiddenKevFermion.hpp"
#include "portalscan/physics/LowEnergySignals.hpp"
#include "portalscan/physics/NeutrinoSources.hpp"
#include "portalscan/physics/Units.hpp"

#include "common/Simpson.hpp"
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace portalscan::physics {
namespace {

using units::keV;
constexpr double kQ = constants::Q_tritium;

using test::simpson;

TEST(BetaSpectrum, StandardModelIsNormalisedPerDecay) {
  // (from just above 0: the rate is 0 at E = m_e exactly but finite next to it)
  EXPECT_NEAR(simpson(beta::tritiumRateStandardModel, 1e-18, kQ), 1.0, 1e-9);
  EXPECT_EQ(beta::tritiumRateStandardModel(kQ), 0.0);
  EXPECT_EQ(beta::tritiumRateStandardModel(-1e-9), 0.0);
}

TEST(BetaSpectrum, ZeroMixingIsTheStandardModel) {
  const std::vector<beta::Branch> branches{{0.0, 1.0}, {7.0 * keV, 0.0}, {5.0 * keV, 0.0}};
  for (double t : {0.5 * keV, 5.0 * keV, 12.0 * keV, 18.0 * keV}) {
    EXPECT_DOUBLE_EQ(beta::tritiumRate(t, branches), beta::tritiumRateStandardModel(t));
  }
  const signals::TritiumRow row =
      signals::tritium(signals::fromMassesAndMixings(7 * keV, 5 * keV, 0, 0), 6.0 * keV);
  EXPECT_EQ(row.deviation, 0.0);
  EXPECT_EQ(row.ratio, 1.0);
}

TEST(BetaSpectrum, KinksSitAtQMinusM) {
  // CN Eqs. 17-18: the branch of mass M closes at E_e - m_e = Q - M with the tritium
  // Q = 18.5906 keV: M = 5 keV -> 13.5906 keV, M = 7 keV -> 11.5906 keV, 100 keV closed.
  EXPECT_NEAR(beta::kinkKineticEnergy(5.0 * keV) / keV, 13.5906, 1e-9);
  EXPECT_NEAR(beta::kinkKineticEnergy(7.0 * keV) / keV, 11.5906, 1e-9);
  EXPECT_LT(beta::kinkKineticEnergy(100.0 * keV), 0.0);
  // A branch of mass M contributes below Q - M and nothing above.
  const std::vector<beta::Branch> only{{5.0 * keV, 1.0}};
  const double kink = beta::kinkKineticEnergy(5.0 * keV);
  EXPECT_GT(beta::tritiumRate(kink - 1e-3 * keV, only), 0.0);
  EXPECT_EQ(beta::tritiumRate(kink + 1e-3 * keV, only), 0.0);
}

TEST(BetaSpectrum, Fig2bDeviationInUnitsOfTwoU2) {
  // CN Fig. 2(b): 1 - (dR/dE)_X/(dR/dE)_SM in units of 2|U|^2 for
  // (M1, M2) = (7, 5) keV and |U_e4| = |U_e5| = 0.4. With eps = Q - (E - m_e),
  // it is 1 - [sqrt(1 - M1^2/eps^2) theta + sqrt(1 - M2^2/eps^2) theta]/2.
  const auto states = signals::fromMassesAndMixings(7.0 * keV, 5.0 * keV, 0.4, 0.4);
  for (double t : {2.0 * keV, 5.0 * keV, 12.0 * keV, 14.0 * keV, 18.0 * keV}) {
    const double eps = kQ - t;
    auto open = [&](double m) { return eps > m ? std::sqrt(1.0 - m * m / (eps * eps)) : 0.0; };
    const double expected = 1.0 - 0.5 * (open(7.0 * keV) + open(5.0 * keV));
    const signals::TritiumRow row = signals::tritium(states, t);
    EXPECT_NEAR(row.deviation / (2 * 0.16), expected, 1e-12) << t / keV;
    // The rate itself: the active branch (weight 0.68) and two massive ones.
    const double massless = 0.68 + 0.16 * (open(7.0 * keV) + open(5.0 * keV));
    EXPECT_NEAR(row.rate / row.sm, massless, 1e-12);
  }
}

TEST(BetaSpectrum, FermiFunction) {
  // No charge, no distortion; for Z = 2 it enhances, less at higher energy.
  EXPECT_DOUBLE_EQ(beta::fermiFunction(0, 10.0 * keV), 1.0);
  EXPECT_GT(beta::fermiFunction(2, 1.0 * keV), beta::fermiFunction(2, 10.0 * keV));
  EXPECT_GT(beta::fermiFunction(2, 18.0 * keV), 1.0);
  // x = 2 pi Z alpha E/p at 10 keV, F = x/(1 - e^-x).
  const double e = 10.0 * keV + constants::m_e;
  const double p = std::sqrt(e * e - constants::m_e * constants::m_e);
  const double x = 2 * M_PI * 2 * constants::alpha * e / p;
  EXPECT_NEAR(beta::fermiFunction(2, 10.0 * keV), x / (1 - std::exp(-x)), 1e-12);
}

TEST(LowEnergySignals, ModelPointHasUnitaryMixingAndCevnsObservables) {
  // At the default point the five states' |U_ei|^2 sum to 1 (unitarity), and
  // the CEvNS ratios lie below 1 by 2|U_e chi|^2 at the reactor (erratum E1),
  // by less at the SNS where only the nu_e component mixes (y_mu = 0).
  const HiddenKevFermion model;
  std::vector<double> p;
  for (const auto& spec : model.parameters()) p.push_back(spec.defaultValue);
  const signals::LightStates states = HiddenKevFermion::lightStates(p);
  double sum = 0.0;
  for (const auto& a : states.active) sum += a.u2e;
  for (const auto& c : states.chi) sum += c.u2e;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  ASSERT_TRUE(states.portal.has_value());

  std::vector<double> out(model.observables().size());
  const BlockMask cevns = BlockMask{1} << *model.blockIndex("cevns");
  const auto status = model.evaluate(p, cevns, out);
  ASSERT_EQ(status, PointStatus::Ok);
  auto value = [&](const char* name) { return out[*model.observableIndex(name)]; };
  const double chiMixing = states.chi[0].u2e + states.chi[1].u2e;
  EXPECT_GT(value("cevns_sns_deviation"), 0.0);
  EXPECT_LE(value("cevns_sns_deviation"), chiMixing);
  EXPECT_NEAR(value("cevns_reactor_deviation"), 2 * chiMixing, 1e-4 * chiMixing);
  EXPECT_GE(value("cevns_reactor_deviation"), value("cevns_sns_deviation"));
  // At the default point only the e row mixes (y_mu = 0): to first order (erratum E1, keV
  // states) the SNS loses 2 |U_e chi|^2 of its nu_e events and nothing of the nu_mu line and
  // the nubar_mu, so the deviation is 2 |U_e chi|^2 times the nu_e share of the SM count
  // above the threshold, each component counted with Eq. 25 (Q_W^2 and the Helm form factor).
  const double threshold = p[HiddenKevFermion::T_threshold_sns];
  ASSERT_DOUBLE_EQ(threshold, 5.0 * keV);
  double nuE = 0.0, all = 0.0;
  const auto sns = cevns::spallationSource();
  ASSERT_EQ(sns.size(), 3u);  // the nu_mu line, nu_e, nubar_mu
  for (const auto& flux : sns) {
    for (const auto& nucleus : {cevns::caesium133(), cevns::iodine127()}) {
      const double n = cevns::zCount(flux, nucleus, threshold, 0.0);
      all += n;
      if (flux.flavour == cevns::Flavour::Electron) nuE += n;
    }
  }
  EXPECT_GT(nuE, 0.2 * all);
  EXPECT_LT(nuE, 0.6 * all);
  EXPECT_NEAR(value("cevns_sns_deviation"), 2 * chiMixing * nuE / all, 1e-3 * chiMixing);
  EXPECT_NEAR(value("cevns_sns_ratio"), 1.0, 1e-9);
  // A threshold of 0 is not a recoil threshold: the point fails, not the program.
  p[HiddenKevFermion::T_threshold_sns] = 0.0;
  EXPECT_EQ(model.evaluate(p, cevns, out), PointStatus::UnphysicalParameter);
}

TEST(LowEnergySignals, CevnsDeviationScalesWithMixingAndMass) {
  // Eq. 31 as printed (eq31): at fixed T sum_k |U|^2 (1 - r_k); for keV masses
  // 1 - r_k ~ m_k^2/(4E^2) x (1 + 2E/M)/bracket, so doubling both masses
  // quadruples it and doubling |U|^2 doubles it. With erratum E1 the full
  // deviation is 2|U|^2 = 4|U_chi|^2 to first order, whatever the keV masses.
  using signals::Experiment;
  const double t = 0.3 * keV;
  const auto a = signals::cevns(signals::fromMassesAndMixings(7 * keV, 5 * keV, 0.1, 0.1),
                                Experiment::Reactor, t);
  const auto b = signals::cevns(signals::fromMassesAndMixings(14 * keV, 10 * keV, 0.1, 0.1),
                                Experiment::Reactor, t);
  const auto c = signals::cevns(
      signals::fromMassesAndMixings(7 * keV, 5 * keV, 0.1 * std::sqrt(2.0), 0.1 * std::sqrt(2.0)),
      Experiment::Reactor, t);
  EXPECT_NEAR(b.eq31 / a.eq31, 4.0, 1e-3);
  EXPECT_NEAR(c.eq31 / a.eq31, 2.0, 1e-9);
  EXPECT_GT(a.eq31, 0.0);
  // Eq. 31 against its first order in m^2, written out from Eq. 25: at fixed T the mass term
  // changes the cross section by -C (m^2/4E^2)(1 + 2E/M - T/M), where the massless one is
  // C x bracket, bracket = 1 - M T/(2E^2) - T/E + T^2/(2E^2), and C = G_F^2 M Q_W^2 F^2/(4 pi);
  // so 1 - r_k = sum_N C_N int phi (m_k^2/4E^2)(1 + 2E/M - T/M) / sum_N C_N int phi bracket
  // (the slivers the mass moves at E_min are O(m^4)). With |U_4|^2 = |U_5|^2 = 0.01:
  auto oneMinusR = [&](double m) {
    double lost = 0.0, sm = 0.0;
    for (const auto& n : {cevns::caesium133(), cevns::iodine127()}) {
      const double qw = cevns::weakCharge(n), f = cevns::helmFormFactor(n, t);
      const double weight = qw * qw * n.mass * f * f;
      const double low = std::max(sources::kReactorMinEnergy, cevns::minimumEnergy(t, n.mass, 0.0));
      const double high = sources::kReactorMaxEnergy;
      lost += weight * simpson(
                           [&](double e) {
                             return sources::reactorSpectrum(e) * m * m / (4 * e * e) *
                                    (1 + 2 * e / n.mass - t / n.mass);
                           },
                           low, high, 20000);
      sm += weight * simpson(
                         [&](double e) {
                           return sources::reactorSpectrum(e) *
                                  (1 - n.mass * t / (2 * e * e) - t / e + t * t / (2 * e * e));
                         },
                         low, high, 20000);
    }
    return lost / sm;
  };
  EXPECT_NEAR(a.eq31, 0.01 * (oneMinusR(7 * keV) + oneMinusR(5 * keV)), 1e-4 * a.eq31);
  EXPECT_NEAR(a.eq32, oneMinusR(7 * keV) + oneMinusR(5 * keV), 1e-4 * a.eq32);
  // E1 with |U_chi|^2 = 0.01 per state: (1 - 0.02) 0.02 + 2 x 0.01 x 0.99 lost
  // (0.0394), with the m^2 term on top; doubling the masses barely matters.
  EXPECT_NEAR(a.deviation, 0.0394, 1e-5);
  EXPECT_NEAR(b.deviation, a.deviation, 1e-5);
  EXPECT_GT(c.deviation, 1.9 * a.deviation);
}

}  // namespace
}  // namespace portalscan::physics
