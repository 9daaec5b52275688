#include "portalscan/physics/Error.hpp"
#include "portalscan/physics/Names.hpp"
#include "portalscan/scanner/cli/Text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace portalscan::scanner {
namespace {

TEST(Text, ParsesWholeFiniteNumbersOnly) {
  EXPECT_EQ(parseFiniteNumber("1e14", "x"), 1e14);
  EXPECT_EQ(parseFiniteNumber("+2.5", "x"), 2.5);
  EXPECT_EQ(parseFiniteNumber("-3", "x"), -3.0);
  EXPECT_THROW(parseFiniteNumber("1e14x", "x"), InputError);
  EXPECT_THROW(parseFiniteNumber("", "x"), InputError);
  EXPECT_THROW(parseFiniteNumber("nan", "x"), InputError);
  EXPECT_THROW(parseFiniteNumber("inf", "x"), InputError);
  EXPECT_THROW(parseFiniteNumber("1e999", "x"), InputError);
}

TEST(Text, Assignments) {
  EXPECT_EQ(parseAssignment("M_N=1e10", "--set"),
            (std::pair<std::string, std::string>{"M_N", "1e10"}));
  EXPECT_THROW(parseAssignment("M_N", "--set"), InputError);
  EXPECT_THROW(parseAssignment("=1", "--set"), InputError);
  EXPECT_THROW(parseAssignment("M_N=", "--set"), InputError);
}

TEST(Text, NonFiniteNumbersInJson) {
  EXPECT_TRUE(numberToJson(std::nan("")).is_null());
  EXPECT_EQ(numberToJson(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(numberToJson(1.5), 1.5);
}

TEST(Names, DidYouMean) {
  const std::vector<std::string> names = {"M_N", "M_chi", "m_phi", "kappa"};
  EXPECT_EQ(closestName("M_n", names), "M_N");
  EXPECT_EQ(closestName("kapa", names), "kappa");
  EXPECT_FALSE(closestName("completely_different", names));
  EXPECT_EQ(unknownNameMessage("parameter", "kapa", names, " of model 'm'"),
            "unknown parameter 'kapa' of model 'm' (did you mean 'kappa'?)");
}

}  // namespace
}  // namespace portalscan::scanner
