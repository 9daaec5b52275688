// portalscan run and info on real files: the HDF5 layout of design.md read
// back with the C API, values against `portalscan point`, thread-count
// independence, allowed-only files, and bad input that creates nothing.

#include "integration/CliRunner.hpp"
#include "integration/RawHdf5.hpp"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace portalscan::test {
namespace {

namespace fs = std::filesystem;

std::string writeConfig(const std::string& name, const std::string& json) {
  const auto path = scratchDirectory() / name;
  std::ofstream(path) << json;
  return path.string();
}

std::string scratch(const std::string& name) {
  const auto p = scratchDirectory() / name;
  fs::remove(p);
  return p.string();
}

const char* kHiddenGrid = R"({
  "model": "hidden_kev_fermion",
  "parameters": {
    "M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 6},
    "f_L": {"range": [1e-4, 1.0], "scale": "log", "points": 5},
    "f_R": {"equal_to": "f_L"},
    "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 7}
  },
  "constraints": ["default", "relic_abundance"],
  "output": {"chunk_points": 32}
})";

TEST(ScanRun, WritesTheDesignLayout) {
  const std::string config = writeConfig("layout.json", kHiddenGrid);
  const std::string out = scratch("layout.h5");
  const CliResult r = runCli("run '" + config + "' -o '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("allowed"), std::string::npos);
  EXPECT_NE(r.out.find("points/s"), std::string::npos);

  const RawFile f(out);
  ASSERT_TRUE(f.ok());
  for (auto attr : {"format_version", "portalscan_version", "model", "config", "config_hash",
                    "seed", "sampler", "created", "constants", "git_describe", "status_codes"}) {
    EXPECT_TRUE(f.hasAttribute("/", attr)) << attr;
  }
  EXPECT_EQ(f.stringAttribute("/", "model"), "hidden_kev_fermion");
  const auto config_json = nlohmann::json::parse(f.stringAttribute("/", "config"));
  EXPECT_EQ(config_json["sampler"]["points"], 210);  // the grid's product, stated
  EXPECT_EQ(nlohmann::json::parse(f.stringAttribute("/", "constants"))["G_F"]["value"],
            1.1663788e-5);

  const std::uint64_t n = 6 * 5 * 7;
  EXPECT_EQ(f.rows("/index"), n);
  EXPECT_EQ(f.rows("/allowed"), n);
  EXPECT_EQ(f.rows("/parameters/M_chi"), n);
  EXPECT_EQ(f.stringAttribute("/parameters/M_chi", "unit"), "GeV");
  EXPECT_EQ(f.stringAttribute("/parameters/M_chi", "scale"), "log");
  EXPECT_EQ(f.stringAttribute("/parameters/f_R", "scale"), "derived");
  EXPECT_EQ(f.stringAttribute("/parameters/M_N", "scale"), "fixed");
  EXPECT_EQ(f.stringAttribute("/observables/tau_chi_light", "unit"), "s");
  EXPECT_FALSE(f.stringAttribute("/observables/tau_chi_light", "reference").empty());
  EXPECT_EQ(f.stringAttribute("/constraints/rho_parameter", "observable"), "delta_rho");
  EXPECT_EQ(f.stringAttribute("/constraints/relic_abundance", "kind"), "upper");
  std::size_t size = 0;
  EXPECT_EQ(f.typeClass("/constraints/rho_parameter/pass", &size), H5T_INTEGER);
  EXPECT_EQ(size, 1u);
  EXPECT_EQ(f.typeClass("/status", &size), H5T_INTEGER);
  EXPECT_EQ(size, 1u);
  EXPECT_EQ(f.typeClass("/index", &size), H5T_INTEGER);
  EXPECT_EQ(size, 8u);
  EXPECT_FALSE(f.stringAttribute("/status", "codes").empty());

  const auto index = f.read<std::uint64_t>("/index", H5T_NATIVE_UINT64);
  for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(index[i], i);
  const auto range = f.read<std::uint64_t>("/chunks/range", H5T_NATIVE_UINT64);
  EXPECT_EQ(range.size(), 2 * ((n + 31) / 32));  // ceil(210/32) = 7 committed chunks
  EXPECT_EQ(range.back(), n);

  // A keep-all file: /allowed is the AND of the per-constraint pass bits, row by row.
  const auto allowed = f.read<std::uint8_t>("/allowed", H5T_NATIVE_UINT8);
  const auto constraints = f.members("/constraints");
  // The default chain (13 constraints, relic_abundance among them, docs/constraints.md).
  ASSERT_EQ(constraints.size(), 13u);
  // ... and of status ok: a point outside a formula's validity is never allowed.
  const auto status = f.read<std::int8_t>("/status", H5T_NATIVE_INT8);
  ASSERT_EQ(status.size(), n);
  std::vector<std::uint8_t> all(n, 1);
  for (std::uint64_t i = 0; i < n; ++i) all[i] = status[i] == 0 ? 1 : 0;
  for (const auto& name : constraints) {
    const auto pass = f.read<std::uint8_t>("/constraints/" + name + "/pass", H5T_NATIVE_UINT8);
    ASSERT_EQ(pass.size(), n) << name;
    for (std::uint64_t i = 0; i < n; ++i) all[i] &= pass[i];
  }
  ASSERT_EQ(allowed.size(), n);
  for (std::uint64_t i = 0; i < n; ++i) EXPECT_EQ(allowed[i], all[i]) << "row " << i;

  // Sampled rows against `portalscan point` at the same parameters.
  const CliResult list = runCli("list observables hidden_kev_fermion --json");
  ASSERT_EQ(list.code, 0) << list.err;
  const auto listed = nlohmann::json::parse(list.out);
  for (std::uint64_t row : {std::uint64_t{0}, std::uint64_t{37}, std::uint64_t{123}, n - 1}) {
    std::string sets;
    for (const auto& name : f.members("/parameters")) {
      char value[64];
      std::snprintf(value, sizeof value, "%.17g", f.doubles("/parameters/" + name)[row]);
      sets += " --set " + name + "=" + value;
    }
    const CliResult p = runCli("point hidden_kev_fermion --json" + sets);
    ASSERT_EQ(p.code, 0) << p.err;
    const auto j = nlohmann::json::parse(p.out);
    // "chain" (the default) stores the observables of the blocks the chain needs: every
    // block that is not opt-in except beta_decay (no constraint of this chain reads it), and of
    // those only the ones that apply to the options (not the n_R = 3 ones).
    const auto stored = f.members("/observables");
    std::size_t expectedStored = 0;
    for (const auto& o : listed)
      expectedStored += o["opt_in"] || o["block"] == "beta_decay" || !o["applies"] ? 0 : 1;
    ASSERT_EQ(stored.size(), expectedStored);
    for (const auto& name : stored) {
      const double inFile = f.doubles("/observables/" + name)[row];
      ASSERT_TRUE(j["observables"].contains(name)) << name;
      const auto& value = j["observables"][name];
      if (value.is_null()) {
        EXPECT_TRUE(std::isnan(inFile)) << name;
      } else if (value.is_string()) {
        EXPECT_TRUE(std::isinf(inFile)) << name;
      } else {
        EXPECT_EQ(inFile, value.get<double>()) << name << " row " << row;
      }
    }
    // point applies the default chain, the same 13 as the scan (relic_abundance included).
    ASSERT_EQ(j["constraints"].size(), 13u);
    for (const auto& [name, verdict] : j["constraints"].items()) {
      EXPECT_EQ(f.read<std::uint8_t>("/constraints/" + name + "/pass", H5T_NATIVE_UINT8)[row],
                verdict["allowed"].get<bool>() ? 1 : 0)
          << name;
    }
  }
}

TEST(ScanRun, OneAndTwoThreadsGiveIdenticalFiles) {
  for (const char* keep : {"all", "allowed"}) {
    std::string json = kHiddenGrid;
    json.replace(json.find("\"chunk_points\": 32"), 18,
                 std::string("\"chunk_points\": 16, \"keep\": \"") + keep + "\"");
    const std::string config = writeConfig(std::string("threads_") + keep + ".json", json);
    const std::string one = scratch(std::string("one_") + keep + ".h5");
    const std::string two = scratch(std::string("two_") + keep + ".h5");
    ASSERT_EQ(runCli("run '" + config + "' -j 1 -o '" + one + "'").code, 0);
    ASSERT_EQ(runCli("run '" + config + "' -j 2 -o '" + two + "'").code, 0);
    const RawFile a(one), b(two);
    const auto paths = a.datasets();
    EXPECT_EQ(paths, b.datasets());
    EXPECT_GT(paths.size(), 50u);
    for (const auto& p : paths) EXPECT_EQ(a.bytes(p), b.bytes(p)) << keep << ": " << p;
  }
}

/// The stored (filtered) bytes and filter mask of every storage chunk of a 1-D dataset.
std::vector<std::pair<std::vector<unsigned char>, std::uint32_t>> storedChunks(
    const RawFile& f, const std::string& path, hsize_t chunkRows) {
  std::vector<std::pair<std::vector<unsigned char>, std::uint32_t>> chunks;
  const hid_t d = H5Dopen2(f.id, path.c_str(), H5P_DEFAULT);
  const hsize_t rows = f.rows(path);
  for (hsize_t row = 0; row < rows; row += chunkRows) {
    hsize_t size = 0;
    H5Dget_chunk_storage_size(d, &row, &size);
    std::vector<unsigned char> bytes(size);
    std::uint32_t mask = 7;
    H5Dread_chunk(d, H5P_DEFAULT, &row, &mask, bytes.data());
    chunks.emplace_back(std::move(bytes), mask);
  }
  H5Dclose(d);
  return chunks;
}

TEST(ScanRun, CompressedKeepAllFilesAreIdenticalChunkByChunkAndReadByH5py) {
  // The workers compress their own chunks (ScanWriter::prepare); the writer appends the bytes.
  // 210 points in chunks of 16: 13 whole storage chunks and a last one of 2 rows.
  std::string json = kHiddenGrid;
  json.replace(json.find("\"chunk_points\": 32"), 18,
               "\"chunk_points\": 16, \"keep\": \"all\", \"compression\": 1");
  const std::string config = writeConfig("gzip_all.json", json);
  const std::string one = scratch("gzip_one.h5");
  const std::string two = scratch("gzip_two.h5");
  ASSERT_EQ(runCli("run '" + config + "' -j 1 -o '" + one + "'").code, 0);
  ASSERT_EQ(runCli("run '" + config + "' -j 2 -o '" + two + "'").code, 0);
  const RawFile a(one), b(two);
  const auto paths = a.datasets();
  ASSERT_EQ(paths, b.datasets());
  std::size_t compressed = 0;
  for (const auto& p : paths) {
    EXPECT_EQ(a.bytes(p), b.bytes(p)) << p;
    if (p.rfind("/chunks/", 0) == 0) continue;
    // A data column: chunks of 16 rows, shuffle then deflate level 1, as docs/hdf5-format.md says.
    const hid_t d = H5Dopen2(a.id, p.c_str(), H5P_DEFAULT);
    const hid_t plist = H5Dget_create_plist(d);
    hsize_t chunk = 0;
    EXPECT_EQ(H5Pget_chunk(plist, 1, &chunk), 1) << p;
    EXPECT_EQ(chunk, 16u) << p;
    ASSERT_EQ(H5Pget_nfilters(plist), 2) << p;
    unsigned flags = 0, level = 0;
    std::size_t count = 1;
    EXPECT_EQ(H5Pget_filter2(plist, 0, &flags, &count, &level, 0, nullptr, nullptr),
              H5Z_FILTER_SHUFFLE);
    count = 1;
    EXPECT_EQ(H5Pget_filter2(plist, 1, &flags, &count, &level, 0, nullptr, nullptr),
              H5Z_FILTER_DEFLATE);
    EXPECT_EQ(level, 1u) << p;
    H5Pclose(plist);
    H5Dclose(d);
    // The stored bytes of every storage chunk, not just the rows they decode to.
    const auto chunksA = storedChunks(a, p, 16), chunksB = storedChunks(b, p, 16);
    ASSERT_EQ(chunksA.size(), 14u) << p;
    EXPECT_TRUE(chunksA == chunksB) << p;
    for (const auto& stored : chunksA) EXPECT_EQ(stored.second, 0u) << p;  // every filter applied
    ++compressed;
  }
  EXPECT_GT(compressed, 50u);

  // Stock h5py (Debian's, under /usr/bin/python3) reads every dataset: the same bytes.
  const auto out = freshDirectory("gzip_h5py");
  writeText(out / "read.py", R"(import sys, h5py, numpy as np
path, out = sys.argv[1:3]
names = []
with h5py.File(path, "r") as f:
    f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    for i, name in enumerate(names):
        d = f[name]
        if not name.startswith("chunks/"):
            assert d.compression == "gzip" and d.compression_opts == 1 and d.shuffle, name
            assert d.chunks == (16,), name
        np.ascontiguousarray(d[...]).tofile(out + "/" + str(i) + ".bin")
open(out + "/names.txt", "w").write("\n".join(names) + "\n")
)");
  const CliResult r = runShell("/usr/bin/python3 '" + (out / "read.py").string() + "' '" + two +
                               "' '" + out.string() + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream names(out / "names.txt");
  std::string name;
  std::size_t read = 0;
  for (std::size_t i = 0; std::getline(names, name); ++i) {
    const std::string bin = readFile(out / (std::to_string(i) + ".bin"));
    const auto expected = a.bytes("/" + name);
    EXPECT_EQ(std::vector<unsigned char>(bin.begin(), bin.end()), expected) << name;
    ++read;
  }
  EXPECT_EQ(read, paths.size());
}

TEST(ScanRun, AllowedOnlyFilesAndInfo) {
  std::string json = kHiddenGrid;
  // Constraints that leave part of this grid allowed: every point overcloses, and the
  // undiluted thermal chi relic (T_f = 0.15 GeV, erratum E7) gives Delta N_eff = 1.11 at BBN,
  // above even bbn_neff_chi's BBN-only variant, so the cosmological entries are left out.
  const std::string chain = "[\"default\", \"relic_abundance\"]";
  json.replace(json.find(chain), chain.size(),
               "[\"rho_parameter\", \"z_invisible_width\", \"chi_lifetime\", "
               "\"bbn_reheating\", \"higgs_invisible\"]");
  json.replace(json.find("\"chunk_points\": 32"), 18,
               "\"chunk_points\": 32, \"keep\": \"allowed\"");
  const std::string config = writeConfig("allowed.json", json);
  const std::string out = scratch("allowed.h5");
  ASSERT_EQ(runCli("run '" + config + "' -o '" + out + "'").code, 0);
  const RawFile f(out);
  const auto allowed = f.read<std::uint8_t>("/allowed", H5T_NATIVE_UINT8);
  const auto index = f.read<std::uint64_t>("/index", H5T_NATIVE_UINT64);
  ASSERT_FALSE(allowed.empty());
  ASSERT_LT(allowed.size(), 210u);
  for (auto a : allowed) EXPECT_EQ(a, 1);
  EXPECT_TRUE(std::is_sorted(index.begin(), index.end()));

  const CliResult info = runCli("info '" + out + "' --json");
  ASSERT_EQ(info.code, 0) << info.err;
  const auto j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["points_evaluated"], 210);
  EXPECT_EQ(j["rows"], allowed.size());
  EXPECT_EQ(j["allowed"], allowed.size());
  EXPECT_EQ(j["complete"], true);
  EXPECT_EQ(j["parameter_ranges"]["M_chi"]["scale"], "log");
  std::uint64_t excludedSum = 0;
  for (const auto& [name, count] : j["excluded"].items()) excludedSum += count.get<std::uint64_t>();
  // Every point that is not allowed failed at least one constraint or has a status: here the
  // kappa values 2.2e-8 and 1e-7 leave phi^0 partly thermal (phi_partially_thermal, 60 points).
  std::uint64_t flagged = 0;
  for (const auto& [name, count] : j["status"].items())
    if (name != "ok") flagged += count.get<std::uint64_t>();
  EXPECT_EQ(j["status"]["phi_partially_thermal"], 60u);
  EXPECT_GE(excludedSum + flagged, 210u - allowed.size());
  const CliResult text = runCli("info '" + out + "'");
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("bbn_reheating"), std::string::npos);
}

TEST(ScanRun, OtherSamplersAndTheLfvModel) {
  const std::string config = writeConfig("lfv.json", R"({
    "model": "lfv_nsi",
    "options": {"flavours": "e-tau", "matter_coupling": "kinetic_mixing"},
    "parameters": {"g_psi": {"range": [0.02, 1], "scale": "log"},
                   "m_Zprime": {"range": [0.01, 0.5], "scale": "log"}},
    "sampler": {"kind": "sobol", "points": 300, "seed": 5},
    "output": {"chunk_points": 64}})");
  const std::string out = scratch("lfv.h5");
  const CliResult r = runCli("run '" + config + "' -o '" + out + "'");
  ASSERT_EQ(r.code, 0) << r.err;
  const RawFile f(out);
  EXPECT_EQ(f.rows("/index"), 300u);
  EXPECT_TRUE(f.exists("/constraints/tau_to_l_zprime"));
  EXPECT_FALSE(f.exists("/observables/R_mue"));  // e-mu only: not stored for e-tau
  for (double g : f.doubles("/parameters/g_psi")) {
    EXPECT_GE(g, 0.02);
    EXPECT_LE(g, 1.0);
  }
}

TEST(ScanRun, BadInputCreatesNothing) {
  const std::string out = scratch("never.h5");
  auto expectRefused = [&](const std::string& args, const char* fragment) {
    const CliResult r = runCli(args);
    EXPECT_EQ(r.code, 2) << args;
    EXPECT_EQ(r.errLines(), 1) << r.err;
    EXPECT_NE(r.err.find(fragment), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(out)) << args;
  };
  expectRefused(
      "run '" +
          writeConfig(
              "bad1.json",
              R"({"model": "hidden_kev_fermion", "parameters": {"M_chi": {"range": [1e-4, 1e-6], "points": 3}}})") +
          "' -o '" + out + "'",
      "inverted range");
  expectRefused("run '" + writeConfig("bad2.json", R"({"model": "hidden", "output": {}})") +
                    "' -o '" + out + "'",
                "unknown model");
  expectRefused("run '" + writeConfig("bad3.json", "{not json") + "' -o '" + out + "'",
                "not valid JSON");
  expectRefused("run '" + (scratchDirectory() / "missing.json").string() + "' -o '" + out + "'",
                "no such file");
  expectRefused("run '" + writeConfig("ok.json", kHiddenGrid) + "' -o '/nonexistent/dir/x.h5'",
                "no such directory");

  // An existing output is kept unless --force.
  const std::string existing = scratch("existing.h5");
  std::ofstream(existing) << "precious";
  const CliResult r =
      runCli("run '" + writeConfig("ok2.json", kHiddenGrid) + "' -o '" + existing + "'");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("exists"), std::string::npos);
  std::ifstream in(existing);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
  // ... and even with --force when it is not a scan file (DataLossTest covers scan files).
  const CliResult forced =
      runCli("run '" + writeConfig("ok3.json", kHiddenGrid) + "' -o '" + existing + "' --force");
  EXPECT_EQ(forced.code, 2);
  EXPECT_NE(forced.err.find("is not a portalscan scan file"), std::string::npos) << forced.err;
  std::ifstream again(existing);
  again >> content;
  EXPECT_EQ(content, "precious");

  // info on something that is not a scan file.
  const CliResult info = runCli("info '" + writeConfig("plain.txt", "hello") + "'");
  EXPECT_EQ(info.code, 2);
  EXPECT_EQ(info.errLines(), 1);
}

}  // namespace
}  // namespace portalscan::test
