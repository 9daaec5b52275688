// The ready lfv_nsi and hidden_kev_fermion scans of scans/ (docs/user-guide.md): each runs as
// shipped, finds a non-empty allowed region, and its summary shows the constraints that shape the
// plane (docs/user-guide.md says where each one bites).

#include "integration/CliRunner.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace portalscan::test {
namespace {

nlohmann::json runAndSummarise(const std::string& config) {
  const auto d = freshDirectory("ready_" + config);
  const std::string path = std::string(PORTALSCAN_SOURCE_DIR) + "/scans/" + config + ".json";
  const CliResult run = runCli("run '" + path + "' -j 1 -o out.h5", d.string());
  EXPECT_EQ(run.code, 0) << run.err;
  const CliResult info = runCli("info out.h5 --json", d.string());
  EXPECT_EQ(info.code, 0) << info.err;
  return nlohmann::json::parse(info.out);
}

TEST(ReadyScans, TheMzprimeGnuPlaneHasAnAllowedRegionShapedByTwistNa62AndMesons) {
  const auto j = runAndSummarise("lfv_nsi_mzprime_gnu");
  EXPECT_EQ(j["model"], "lfv_nsi");
  EXPECT_EQ(j["points_evaluated"], 2400);
  EXPECT_GT(j["allowed"].get<int>(), 0);
  EXPECT_LT(j["allowed"].get<int>(), 2400);
  // g_nu = 5e-4 g_psi reaches 1.5e-3 at g_psi = 3: the meson bound (1e-3) cuts the top rows.
  EXPECT_GT(j["excluded"]["meson_decays_g_nu"].get<int>(), 0);
  // g_q = 1e-4 at every point: NA62 excludes whole columns between 35 and 120 MeV.
  EXPECT_GT(j["excluded"]["pi0_gamma_zprime"].get<int>(), 0);
  EXPECT_EQ(j["excluded"]["pi0_gamma_zprime"].get<int>() % 40, 0);
  EXPECT_GT(j["excluded"]["mu_to_e_x"].get<int>(), 0);
  EXPECT_EQ(j["status"]["ok"], 2400);
}

TEST(ReadyScans, TheMzprimeEpsPlaneHasAnAllowedRegion) {
  const auto j = runAndSummarise("lfv_nsi_mzprime_eps");
  EXPECT_EQ(j["points_evaluated"], 3600);
  EXPECT_GT(j["allowed"].get<int>(), 0);
  EXPECT_GT(j["excluded"]["pi0_gamma_zprime"].get<int>(), 0);
  EXPECT_GT(j["excluded"]["mu_to_e_x"].get<int>(), 0);
  EXPECT_EQ(j["status"]["ok"], 3600);
}

TEST(ReadyScans, TheHiddenXrayPlaneHasAnAllowedRegionBoundedByXrayWdmAndOverclosure) {
  // scans/hidden_kev_fermion_xray.json: frozen-in chi (epsilon = 6.5e-9), M_chi 1-100 keV against
  // f_L = f_R. Omega_chi grows with M_chi (overclosure above ~28 keV), the warm-dark-matter test
  // applies from a 35% share (10 keV) and passes above ~20 keV, the X-ray line cuts large f_L.
  const auto j = runAndSummarise("hidden_kev_fermion_xray");
  EXPECT_EQ(j["model"], "hidden_kev_fermion");
  EXPECT_EQ(j["points_evaluated"], 6400);
  EXPECT_GT(j["allowed"].get<int>(), 0);
  EXPECT_LT(j["allowed"].get<int>(), 6400);
  for (const char* c : {"xray_line", "warm_dark_matter", "relic_abundance"})
    EXPECT_GT(j["excluded"][c].get<int>(), 0) << c;
}

}  // namespace
}  // namespace portalscan::test
