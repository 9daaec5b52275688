// Limit files: parsing, units, interpolation on each axis scale, ranges,
// regions and every malformed file. Expected bounds are computed here from the
// table's own rows (geometric and arithmetic means of neighbouring nodes).

#include "portalscan/constraints/LimitTable.hpp"
#include "portalscan/physics/Error.hpp"

#include "common/FloatComparisons.hpp"
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>
#include <string>

namespace portalscan::constraints {
namespace {

std::string header(const std::string& interpolation, const std::string& extra = "# excluded: above\n") {
  return "# portalscan-limit-1\n"
         "# title: a test curve\n"
         "# experiment: Test\n"
         "# arxiv: 0000.00000\n"
         "# cl: 0.90\n"
         "# x: m_X MeV\n"
         "# y: BR 1\n" +
         extra + "# interpolation: " + interpolation +
         "\n"
         "# digitised: written by hand for this test\n"
         "# licence: none needed (test data)\n";
}

const char* kRows = "1 1e-3\n10 1e-5\n100 1e-4\n";

TEST(LimitTable, ParsesTheHeaderAndConvertsUnits) {
  const LimitTable t = parseLimitTable(header("x=log y=log") + kRows, "test.dat");
  EXPECT_EQ(t.experiment, "Test");
  EXPECT_EQ(t.arxiv, "0000.00000");
  EXPECT_DOUBLE_EQ(t.cl, 0.90);
  EXPECT_EQ(t.x.unit, "MeV");
  EXPECT_EQ(t.x.dimension, "GeV");
  EXPECT_EQ(t.y.dimension, "1");
  EXPECT_EQ(t.excluded, ExcludedSide::Above);
  ASSERT_EQ(t.xs.size(), 3u);
  EXPECT_DOUBLE_EQ(t.xs[0], 1e-3);  // 1 MeV in GeV
  EXPECT_DOUBLE_EQ(t.xMax(), 0.1);
}

TEST(LimitTable, InterpolatesOnEachAxisScale) {
  const double x0 = 1e-3, x1 = 1e-2;  // GeV
  const double y0 = 1e-3, y1 = 1e-5;
  const double xLogMid = std::sqrt(x0 * x1);  // halfway on a log x axis
  const double xLinMid = 0.5 * (x0 + x1);     // halfway on a linear x axis
  // log-log: halfway in log x is halfway in log y.
  const LimitTable ll = parseLimitTable(header("x=log y=log") + kRows, "ll");
  EXPECT_REL(ll.bound(xLogMid), std::sqrt(y0 * y1), 1e-12);
  // log x, linear y.
  const LimitTable lx = parseLimitTable(header("x=log y=linear") + kRows, "lx");
  EXPECT_REL(lx.bound(xLogMid), 0.5 * (y0 + y1), 1e-12);
  // linear x, log y.
  const LimitTable ly = parseLimitTable(header("x=linear y=log") + kRows, "ly");
  EXPECT_REL(ly.bound(xLinMid), std::sqrt(y0 * y1), 1e-12);
  // linear-linear, a quarter of the way into the second segment.
  const LimitTable lin = parseLimitTable(header("x=linear y=linear") + kRows, "lin");
  EXPECT_REL(lin.bound(0.01 + 0.25 * 0.09), 1e-5 + 0.25 * (1e-4 - 1e-5), 1e-12);
}

TEST(LimitTable, EndsAreInsideAndBeyondTheEndsIsNaN) {
  const LimitTable t = parseLimitTable(header("x=log y=log") + kRows, "t");
  EXPECT_EQ(t.bound(1e-3), 1e-3);
  EXPECT_EQ(t.bound(0.1), 1e-4);
  EXPECT_EQ(t.bound(1e-2), 1e-5);
  EXPECT_TRUE(std::isnan(t.bound(0.999e-3)));
  EXPECT_TRUE(std::isnan(t.bound(0.1001)));
  EXPECT_TRUE(std::isnan(t.bound(std::nan(""))));
}

TEST(LimitTable, LongTablesInterpolateLikeABisection) {
  // 1000 uneven rows; the bound at 20000 random x against the test's own bisection.
  std::string text = header("x=log y=log");
  std::vector<double> xs, ys;
  double x = 1.0;
  for (int i = 0; i < 1000; ++i) {
    x *= 1.0 + 0.001 * (1 + (i * 7919) % 13);  // steps of 0.1% to 1.3%
    xs.push_back(x);
    ys.push_back(1e-6 * (2.0 + std::sin(0.37 * i)));
    char row[64];
    std::snprintf(row, sizeof row, "%.17g %.17g\n", xs.back(), ys.back());
    text += row;
  }
  const LimitTable t = parseLimitTable(text, "long");
  std::uint64_t state = 12345;
  for (int k = 0; k < 20000; ++k) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    const double u = static_cast<double>(state >> 11) * 0x1.0p-53;
    const double mev = xs.front() * std::pow(xs.back() / xs.front(), u);
    const std::size_t j = static_cast<std::size_t>(
        std::lower_bound(xs.begin(), xs.end(), mev) - xs.begin());
    double expected = ys[j];
    if (xs[j] != mev) {
      const double f = std::log(mev / xs[j - 1]) / std::log(xs[j] / xs[j - 1]);
      expected = std::exp(std::log(ys[j - 1]) + f * std::log(ys[j] / ys[j - 1]));
    }
    ASSERT_TRUE(::portalscan::test::relativelyClose(t.bound(mev * 1e-3), expected, 1e-9))
        << "x = " << mev << " MeV";
  }
}

TEST(LimitTable, RegionContainsItsInside) {
  // A triangle in log-log: (1, 1e-6), (100, 1e-6), (1, 1e-2) with x in MeV.
  const std::string text = header("x=log y=log", "# shape: region\n") + "1 1e-6\n100 1e-6\n1 1e-2\n";
  const LimitTable t = parseLimitTable(text, "tri");
  EXPECT_EQ(t.shape, TableShape::Region);
  // On log axes the hypotenuse runs from (0, -6) to (2, -2) in decades: y = -6 + 2 log10(x/MeV).
  const double xm = 10e-3;  // 10 MeV: one decade in, the edge is at y = 1e-4
  EXPECT_TRUE(t.inside(xm, 0.5e-4));
  EXPECT_FALSE(t.inside(xm, 2e-4));
  EXPECT_FALSE(t.inside(xm, 0.5e-6));  // below the bottom edge
  EXPECT_FALSE(t.inside(200e-3, 1e-5));  // right of it
  EXPECT_TRUE(t.inside(1e-3, 1e-4));     // on the left edge: boundary counts as inside
}

void expectBad(const std::string& text, const std::string& fragment) {
  try {
    parseLimitTable(text, "bad.dat");
    FAIL() << "expected an InputError containing '" << fragment << "'";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line: " << what;
    EXPECT_EQ(what.rfind("bad.dat", 0), 0u) << "names the file: " << what;
  }
}

TEST(LimitTable, RefusesMalformedFilesWithFileAndLine) {
  const std::string h = header("x=log y=log");
  expectBad("", "empty");
  expectBad("1 2\n3 4\n", "bad.dat:1: the first line");
  expectBad(h + "1 1e-3\n1 1e-4\n", "bad.dat:13: x must increase");
  expectBad(h + "10 1e-3\n1 1e-4\n", "bad.dat:13: x must increase");
  expectBad(h + "1 1e-3\n2 nan\n", "bad.dat:13: not two finite numbers");
  expectBad(h + "1 1e-3 5\n", "bad.dat:12: expected two columns");
  expectBad(h + "1 1e-3\n2 0\n", "bad.dat:13: y must be positive on a log axis");
  expectBad(header("x=log y=linear") + "1 1e-3\n2 -1e-3\n", "bad.dat:13: a bound must be positive");
  expectBad(h + "1 1e-3\n", "at least 2 rows");
  std::string noSource = h;
  noSource.replace(noSource.find("# arxiv: 0000.00000\n"), 20, "");
  expectBad(noSource + kRows, "names no source");
  std::string noLicence = h;
  noLicence.replace(noLicence.find("# licence"), std::string("# licence: none needed (test data)\n").size(), "");
  expectBad(noLicence + kRows, "no 'licence'");
  std::string badUnit = h;
  badUnit.replace(badUnit.find("m_X MeV"), 7, "m_X TeV");
  expectBad(badUnit + kRows, "bad.dat:6: x: unknown unit 'TeV'");
  expectBad(h + "# colour: red\n" + kRows, "unknown header key 'colour'");
  expectBad(h + "# cl: 0.95\n" + kRows, "given twice");
  expectBad(header("x=log") + kRows, "both axes");
  expectBad(header("x=log y=log x=linear") + kRows, "interpolation states x twice");
  expectBad(h + kRows + "#   a continuation after the rows\n", "bad.dat:15: header line after the data");
  expectBad(header("x=cubic y=log") + kRows, "interpolation is");
  expectBad(header("x=log y=log", "# excluded: left\n") + kRows, "excluded is 'above' or 'below'");
}

TEST(LimitTable, LicenceContinuesOverSeveralLines) {
  std::string h = header("x=log y=log");
  h.replace(h.find("# licence: none needed (test data)\n"),
            std::string("# licence: none needed (test data)\n").size(),
            "# licence: MIT License\n#   Copyright (c) 2020 Someone\n");
  const LimitTable t = parseLimitTable(h + kRows, "mit");
  EXPECT_EQ(t.licence, "MIT License\nCopyright (c) 2020 Someone");
}

}  // namespace
}  // namespace portalscan::constraints
