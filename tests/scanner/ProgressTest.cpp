#include "portalscan/scanner/cli/Progress.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

namespace portalscan::scanner {
namespace {

TEST(Progress, TerminalRedrawsABarWithRateAndEta) {
  std::ostringstream out;
  Progress p(1000, 0, true, out);
  p.finish(1000, 250);
  const std::string s = out.str();
  EXPECT_EQ(s.front(), '\r');  // redrawn in place
  EXPECT_NE(s.find("100.0%"), std::string::npos);
  EXPECT_NE(s.find("points/s"), std::string::npos);
  EXPECT_NE(s.find("ETA"), std::string::npos);
  EXPECT_NE(s.find("allowed 25.00%"), std::string::npos);
  EXPECT_EQ(s.back(), '\n');
}

TEST(Progress, LogsGetPlainLinesAtTheirInterval) {
  std::ostringstream out;
  Progress p(1000, 0, false, out, std::chrono::seconds(3600));
  p.update(10, 1);  // within the interval: nothing
  EXPECT_TRUE(out.str().empty());
  p.finish(1000, 10);
  EXPECT_EQ(out.str().rfind("progress: 1000/1000 points (100.0%)", 0), 0u) << out.str();
  EXPECT_EQ(out.str().find('\r'), std::string::npos);
}

TEST(Progress, AnInterruptedRunDoesNotClaimZeroTimeLeft) {
  // The final line of a run stopped half-way said "ETA 0:00".
  for (const bool terminal : {true, false}) {
    std::ostringstream out;
    Progress p(1000, 0, terminal, out, std::chrono::seconds(3600));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    p.finish(500, 10);
    EXPECT_EQ(out.str().find("ETA 0:00"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("ETA of the rest 0:"), std::string::npos) << out.str();
  }
  std::ostringstream done;
  Progress p(1000, 0, false, done);
  p.finish(1000, 10);
  EXPECT_NE(done.str().find("ETA 0:00"), std::string::npos) << done.str();
}

TEST(Progress, Formatting) {
  EXPECT_EQ(formatDuration(62), "1:02");
  EXPECT_EQ(formatDuration(3723), "1:02:03");
  EXPECT_EQ(formatDuration(-1), "--:--");
  EXPECT_EQ(formatCount(1234), "1.2 k");
  EXPECT_EQ(formatCount(2.5e6), "2.50 M");
}

}  // namespace
}  // namespace portalscan::scanner
