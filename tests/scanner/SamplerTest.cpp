// Samplers: the grid covers exactly its nodes, random and Sobol marginals are
// uniform (Kolmogorov-Smirnov, fixed seeds), the Latin hypercube puts one
// point per stratum per axis, and every sampler is index-addressable.

#include "portalscan/scanner/engine/Sampler.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace portalscan::scanner {
namespace {

std::vector<double> all(const Sampler& s) {
  std::vector<double> u(s.size() * s.dimension());
  s.fill(0, s.size(), u);
  return u;
}

/// Largest gap between the empirical and the uniform CDF of coordinate j.
double ksStatistic(const std::vector<double>& u, std::size_t d, std::size_t j) {
  std::vector<double> x;
  for (std::size_t i = j; i < u.size(); i += d) x.push_back(u[i]);
  std::sort(x.begin(), x.end());
  const double n = static_cast<double>(x.size());
  double dmax = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double k = static_cast<double>(i);
    dmax = std::max({dmax, (k + 1) / n - x[i], x[i] - k / n});
  }
  return dmax;
}

TEST(GridSampler, CoversExactlyItsNodes) {
  const auto s = makeGridSampler({3, 4});
  ASSERT_EQ(s->size(), 12u);
  const auto u = all(*s);
  std::set<std::pair<double, double>> seen;
  for (std::size_t i = 0; i < 12; ++i) seen.insert({u[2 * i], u[2 * i + 1]});
  EXPECT_EQ(seen.size(), 12u);
  for (double a : {0.0, 0.5, 1.0}) {
    for (double b : {0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0}) {
      EXPECT_TRUE(seen.contains({a, b})) << a << ", " << b;
    }
  }
  // The last axis varies fastest.
  EXPECT_EQ(u[1], 0.0);
  EXPECT_REL(u[3], 1.0 / 3.0, 1e-15);
  EXPECT_EQ(u[8], 0.5);
}

TEST(RandomAndSobolSamplers, MarginalsAreUniform) {
  // KS critical value at alpha = 0.01 for n = 20000: 1.628/sqrt(n) = 0.0115.
  const std::uint64_t n = 20000;
  const double critical = 1.628 / std::sqrt(static_cast<double>(n));
  for (const auto& s : {makeRandomSampler(5, n, 12345), makeSobolSampler(5, n, 12345)}) {
    const auto u = all(*s);
    for (std::size_t j = 0; j < 5; ++j) {
      EXPECT_LT(ksStatistic(u, 5, j), critical) << "coordinate " << j;
    }
    EXPECT_GE(*std::min_element(u.begin(), u.end()), 0.0);
    EXPECT_LT(*std::max_element(u.begin(), u.end()), 1.0);
  }
  // Sobol's net structure: far below the random-sampling scale.
  EXPECT_LT(ksStatistic(all(*makeSobolSampler(3, 4096, 1)), 3, 2), 1e-3);
}

TEST(RandomSampler, SeedsGiveDifferentStreams) {
  EXPECT_NE(all(*makeRandomSampler(2, 10, 1)), all(*makeRandomSampler(2, 10, 2)));
  EXPECT_NE(all(*makeSobolSampler(2, 10, 1)), all(*makeSobolSampler(2, 10, 2)));
}

TEST(LatinHypercubeSampler, OnePointPerStratumPerAxis) {
  for (std::uint64_t n : {1u, 2u, 7u, 777u, 4096u}) {
    const std::size_t d = 4;
    const auto u = all(*makeLatinHypercubeSampler(d, n, 99));
    for (std::size_t j = 0; j < d; ++j) {
      std::vector<std::uint64_t> strata;
      for (std::uint64_t i = 0; i < n; ++i)
        strata.push_back(static_cast<std::uint64_t>(u[i * d + j] * static_cast<double>(n)));
      std::sort(strata.begin(), strata.end());
      for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(strata[i], i) << "n " << n << " axis " << j;
    }
  }
}

TEST(Permutation, IsABijection) {
  for (std::uint64_t n = 1; n < 130; ++n) {
    std::vector<bool> hit(n, false);
    for (std::uint64_t x = 0; x < n; ++x) {
      const std::uint64_t y = permute(x, n, 42, 0);
      ASSERT_LT(y, n);
      ASSERT_FALSE(hit[y]) << "n " << n;
      hit[y] = true;
    }
  }
}

TEST(Samplers, PointsAreIndexAddressable) {
  // Any split into ranges gives the same coordinates as one pass: the output
  // does not depend on chunking, thread count or sharding.
  const std::uint64_t n = 1000;
  std::vector<std::unique_ptr<Sampler>> samplers;
  samplers.push_back(makeGridSampler({10, 10, 10}));
  samplers.push_back(makeRandomSampler(3, n, 7));
  samplers.push_back(makeSobolSampler(3, n, 7));
  samplers.push_back(makeLatinHypercubeSampler(3, n, 7));
  for (const auto& s : samplers) {
    const auto whole = all(*s);
    std::vector<double> pieces(whole.size());
    for (std::uint64_t b : {0u, 1u, 100u, 333u, 999u}) {
      const std::uint64_t e = std::min<std::uint64_t>(n, b + 217);
      s->fill(b, e, std::span(pieces.data() + b * 3, (e - b) * 3));
      for (std::uint64_t i = b * 3; i < e * 3; ++i) ASSERT_EQ(pieces[i], whole[i]);
    }
  }
}

TEST(ParameterSpace, PriorsAndDerivedParameters) {
  const auto config = parseConfig(nlohmann::ordered_json::parse(R"({
    "model": "hidden_kev_fermion",
    "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 3},
                   "v_s": {"range": [500, 1500], "points": 3},
                   "f_R": {"equal_to": "f_L", "factor": -2}}})"),
                                  "t.json");
  const ParameterSpace space(config);
  std::vector<double> p(config.kernel->parameters().size());
  const auto& m = *config.kernel;
  const double u0[2] = {0.0, 0.0}, u1[2] = {0.5, 0.5}, u2[2] = {1.0, 1.0};
  space.map(u0, p);
  EXPECT_EQ(p[*m.parameterIndex("M_chi")], 1e-6);
  EXPECT_EQ(p[*m.parameterIndex("v_s")], 500.0);
  space.map(u1, p);
  EXPECT_REL(p[*m.parameterIndex("M_chi")], 1e-5, 1e-14);  // the geometric midpoint
  EXPECT_EQ(p[*m.parameterIndex("v_s")], 1000.0);
  space.map(u2, p);
  EXPECT_EQ(p[*m.parameterIndex("M_chi")], 1e-4);
  EXPECT_EQ(p[*m.parameterIndex("f_R")], -2 * p[*m.parameterIndex("f_L")]);
}

}  // namespace
}  // namespace portalscan::scanner
