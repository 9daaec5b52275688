// The chunk checksum of /chunks/checksum (docs/hdf5-format.md, "Chunk checksums"): version 1,
// one serial multiply-xor chain (every file written before the `checksum_version` attribute),
// and version 2, the same step in four lanes. Both detect every flipped bit, every zeroed
// page and every torn tail tried here; files of either version verify and resume, each with
// its own checksums; a flipped byte in any lane or in the tail of a version-2 chunk is found.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("portalscan-checksum-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// Version 1 as docs/hdf5-format.md states it, written here independently of the library:
/// h ^= n k; for each whole 8-byte little-endian word w: h = (h ^ w) k, h ^= h >> 31; then
/// h = (h ^ t) k with t the remaining 0-7 bytes zero-padded, and the result h ^ (h >> 29);
/// k = 0x9E3779B97F4A7C15, arithmetic mod 2^64.
std::uint64_t documentedVersion1(const unsigned char* p, std::size_t n, std::uint64_t h) {
  const std::uint64_t k = 0x9E3779B97F4A7C15ull;
  h ^= n * k;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    for (int b = 7; b >= 0; --b) w = w << 8 | p[i + static_cast<std::size_t>(b)];
    h = (h ^ w) * k;
    h ^= h >> 31;
  }
  std::uint64_t t = 0;
  for (std::size_t b = n; b > i; --b) t = t << 8 | p[b - 1];
  h = (h ^ t) * k;
  return h ^ (h >> 29);
}

/// The chunk's checksum by documentedVersion1 over its columns in the canonical order, from
/// the seed "portalsc" read as a big-endian word (0x706f7274616c7363).
std::uint64_t documentedChunkVersion1(const ChunkBuffer& c) {
  std::uint64_t h = 0;
  for (char ch : std::string("portalsc")) h = h << 8 | static_cast<unsigned char>(ch);
  for (const auto& [data, bytes] : canonicalColumns(c)) {
    h = documentedVersion1(static_cast<const unsigned char*>(data), c.rows * bytes, h);
  }
  return h;
}

std::vector<unsigned char> randomBytes(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::vector<unsigned char> v(n);
  for (auto& b : v) b = static_cast<unsigned char>(random());
  return v;
}

std::uint64_t sum(const std::vector<unsigned char>& v, std::int64_t version,
                  std::uint64_t seed = 0x1234) {
  return checksumBytes(v.data(), v.size(), seed, version);
}

TEST(Checksum, Version1IsTheDocumentedSerialChain) {
  for (std::size_t n : {0, 1, 7, 8, 9, 15, 16, 31, 32, 33, 100, 4096, 4101}) {
    const auto v = randomBytes(n, static_cast<unsigned>(n) + 1);
    for (std::uint64_t seed : {0ull, 0x706f7274616c7363ull, ~0ull}) {
      EXPECT_EQ(checksumBytes(v.data(), n, seed, kLegacyChecksumVersion),
                documentedVersion1(v.data(), n, seed))
          << n << " bytes";
    }
  }
}

TEST(Checksum, EveryFlippedBitZeroedPageAndTornTailIsFoundByBothVersions) {
  for (std::int64_t version : {kLegacyChecksumVersion, kChecksumVersion}) {
    SCOPED_TRACE("version " + std::to_string(version));
    // Every single flipped bit, for lengths around the lanes' 32-byte groups and the tail.
    for (std::size_t n : {1, 7, 8, 9, 24, 31, 32, 33, 40, 57, 64, 100, 1000, 1029}) {
      auto v = randomBytes(n, static_cast<unsigned>(n));
      const std::uint64_t original = sum(v, version);
      std::size_t missed = 0;
      for (std::size_t bit = 0; bit < 8 * n; ++bit) {
        v[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
        missed += sum(v, version) == original ? 1 : 0;
        v[bit / 8] ^= static_cast<unsigned char>(1u << (bit % 8));
      }
      EXPECT_EQ(missed, 0u) << n << " bytes";
    }
    // Every zeroed 4 kB page and every zeroed 512-byte sector of 64 kB of random bytes.
    auto big = randomBytes(65536 + 13, 7);
    const std::uint64_t original = sum(big, version);
    for (std::size_t page : {512, 4096}) {
      for (std::size_t at = 0; at + page <= big.size(); at += page) {
        std::vector<unsigned char> zeroed = big;
        std::memset(zeroed.data() + at, 0, page);
        EXPECT_NE(sum(zeroed, version), original) << page << " bytes zeroed at " << at;
      }
    }
    // A torn tail: the last m bytes zero (what a row past a torn write reads back), and the
    // data one byte shorter (a length that does not match the records).
    for (std::size_t m = 1; m <= 300; ++m) {
      std::vector<unsigned char> torn = big;
      std::memset(torn.data() + torn.size() - m, 0, m);
      EXPECT_NE(sum(torn, version), original) << m << " bytes torn";
    }
    EXPECT_NE(checksumBytes(big.data(), big.size() - 1, 0x1234, version), original);
    // Two words exchanged, in one lane or across lanes: the order counts.
    for (std::size_t a : {0, 8, 16}) {
      for (std::size_t b : {24, 32, 64}) {
        std::vector<unsigned char> swapped = big;
        std::swap_ranges(swapped.begin() + static_cast<long>(a),
                         swapped.begin() + static_cast<long>(a + 8),
                         swapped.begin() + static_cast<long>(b));
        EXPECT_NE(sum(swapped, version), original) << "words at " << a << " and " << b;
      }
    }
    // 20 000 random double flips anywhere: none unseen (a 2^-64 chance each for a good mix).
    std::mt19937_64 random(11);
    std::size_t missed = 0;
    for (int trial = 0; trial < 20000; ++trial) {
      const std::size_t i = random() % (8 * big.size()), j = random() % (8 * big.size());
      if (i == j) continue;
      big[i / 8] ^= static_cast<unsigned char>(1u << (i % 8));
      big[j / 8] ^= static_cast<unsigned char>(1u << (j % 8));
      missed += sum(big, version) == original ? 1 : 0;
      big[i / 8] ^= static_cast<unsigned char>(1u << (i % 8));
      big[j / 8] ^= static_cast<unsigned char>(1u << (j % 8));
    }
    EXPECT_EQ(missed, 0u);
  }
  // Version 2 is another function: files of one are not verified by the other.
  const auto v = randomBytes(1000, 3);
  EXPECT_NE(sum(v, kChecksumVersion), sum(v, kLegacyChecksumVersion));
}

// --- files ---

/// 9 x 10 points of M_chi x kappa in chunks of 45 rows (two chunks): 45 doubles are 11 of the
/// four lanes' groups and one word more, 45 one-byte rows one group, one word and 5 tail bytes.
ScanConfig scan(const std::string& path, int chunkPoints = 45) {
  return parseConfig(nlohmann::ordered_json::parse(
                         R"({"model": "hidden_kev_fermion", "threads": 2,
      "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 9},
                     "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 10}},
      "output": {"chunk_points": )" +
                         std::to_string(chunkPoints) + R"(, "path": ")" + path + R"("}})"),
                     "checksum.json");
}

/// Sets PORTALSCAN_TEST_CHECKSUM_VERSION=1 (the writer's test hook) while it lives.
struct Version1Files {
  Version1Files() { setenv("PORTALSCAN_TEST_CHECKSUM_VERSION", "1", 1); }
  ~Version1Files() { unsetenv("PORTALSCAN_TEST_CHECKSUM_VERSION"); }
};

/// Runs chunks [from, to) of the scan into `path` (created when `from` is 0, else resumed).
void run(const ScanConfig& config, const std::string& path, std::size_t from, std::size_t to) {
  const auto all = allChunks(config);
  const std::vector<ChunkRange> chunks(all.begin() + static_cast<long>(from),
                                       all.begin() + static_cast<long>(to));
  if (from == 0) {
    ScanWriter writer(config, path, true);
    execute(config, chunks, writer, nullptr);
    if (to == all.size()) {
      writer.finish();
    } else {
      writer.close();
    }
    return;
  }
  const FileState state = verifyForResume(path, config, Subset{});
  EXPECT_EQ(state.committed.size(), from);
  ScanWriter writer(config, path, state);
  execute(config, chunks, writer, nullptr);
  writer.finish();
}

bool hasChecksumVersion(const std::string& path, std::int64_t* version = nullptr) {
  const h5::File f = h5::File::open(path, h5::File::Mode::ReadOnly);
  const bool has = f.root().hasAttribute("checksum_version");
  if (has && version) *version = f.root().intAttribute("checksum_version");
  return has;
}

std::vector<std::uint64_t> recorded(const std::string& path) {
  const h5::File f = h5::File::open(path, h5::File::Mode::ReadOnly);
  return f.root().openGroup("chunks").openDataset("checksum").read<std::uint64_t>();
}

/// Every chunk's recorded checksum is documentedChunkVersion1 of its rows as stored.
void expectDocumentedVersion1(const ScanConfig& config, const std::string& path) {
  const FileState state = verifyScanFile(path, config, false);
  const auto sums = recorded(path);
  ASSERT_EQ(sums.size(), state.committed.size());
  ScanReader reader(config, path, state.rows);
  ChunkBuffer buffer;
  std::uint64_t row = 0;
  for (std::size_t k = 0; k < sums.size(); ++k) {
    reader.read(row, state.records[k].rows, buffer);
    EXPECT_EQ(documentedChunkVersion1(buffer), sums[k]) << "chunk " << k;
    row += state.records[k].rows;
  }
}

/// Every data column's rows of `a` and `b`, byte for byte, and the /chunks records but their
/// checksums (with `checksums`, those too).
void expectSameScan(const ScanConfig& config, const std::string& a, const std::string& b,
                    bool checksums) {
  const FileState sa = verifyScanFile(a, config, false), sb = verifyScanFile(b, config, false);
  ASSERT_EQ(sa.rows, sb.rows);
  ASSERT_EQ(sa.committed, sb.committed);
  ScanReader ra(config, a, sa.rows), rb(config, b, sb.rows);
  ChunkBuffer ca, cb;
  ra.read(0, sa.rows, ca);
  rb.read(0, sb.rows, cb);
  const auto columnsA = canonicalColumns(ca), columnsB = canonicalColumns(cb);
  ASSERT_EQ(columnsA.size(), columnsB.size());
  for (std::size_t j = 0; j < columnsA.size(); ++j) {
    EXPECT_EQ(std::memcmp(columnsA[j].first, columnsB[j].first, sa.rows * columnsA[j].second), 0)
        << "column " << j;
  }
  const h5::File fa = h5::File::open(a, h5::File::Mode::ReadOnly);
  const h5::File fb = h5::File::open(b, h5::File::Mode::ReadOnly);
  for (const char* name : {"range", "rows", "allowed", "status", "excluded", "checksum"}) {
    if (!checksums && std::string(name) == "checksum") continue;
    EXPECT_EQ(fa.root().openGroup("chunks").openDataset(name).read<std::uint64_t>(),
              fb.root().openGroup("chunks").openDataset(name).read<std::uint64_t>())
        << name;
  }
}

/// Flips bit 0 of byte `byte` of dataset `name` (its raw bytes, in row order) in place.
void flipByte(const std::string& path, const std::string& name, std::size_t byte) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  const hid_t d = H5Dopen2(f, name.c_str(), H5P_DEFAULT);
  ASSERT_GE(d, 0);
  const hid_t type = H5Dget_type(d);
  const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
  const hid_t space = H5Dget_space(d);
  const auto n = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
  std::vector<unsigned char> bytes(n * H5Tget_size(native));
  ASSERT_GE(H5Dread(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), 0);
  ASSERT_LT(byte, bytes.size());
  bytes[byte] ^= 1;
  ASSERT_GE(H5Dwrite(d, native, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes.data()), 0);
  H5Sclose(space);
  H5Tclose(native);
  H5Tclose(type);
  H5Dclose(d);
  H5Fclose(f);
}

TEST(Checksum, Version1FilesVerifyAndResumeWithTheirOwnChecksums) {
  const TempDir dir;
  const ScanConfig config = scan(dir.file("checksum.h5"));
  const std::size_t chunks = allChunks(config).size();
  ASSERT_EQ(chunks, 2u);
  const std::string fresh = dir.file("fresh.h5");
  run(config, fresh, 0, chunks);
  std::int64_t version = 0;
  ASSERT_TRUE(hasChecksumVersion(fresh, &version));
  EXPECT_EQ(version, kChecksumVersion);
  EXPECT_EQ(verifyScanFile(fresh, config, false).committed.size(), chunks);

  // A file as earlier versions wrote it: no attribute, version-1 checksums (the documented
  // chain, computed here), verified as such; interrupted after its first chunk.
  const std::string old = dir.file("old.h5");
  {
    const Version1Files hook;
    run(config, old, 0, 1);
  }
  EXPECT_FALSE(hasChecksumVersion(old));
  expectDocumentedVersion1(config, old);
  // Resumed in place by this version: the chunk it adds has a version-1 checksum too.
  run(config, old, 1, chunks);
  EXPECT_FALSE(hasChecksumVersion(old));
  const FileState state = verifyScanFile(old, config, false);
  EXPECT_TRUE(state.complete);
  EXPECT_EQ(state.committed.size(), chunks);
  expectDocumentedVersion1(config, old);
  expectSameScan(config, fresh, old, false);
  EXPECT_NE(recorded(fresh), recorded(old));

  // A version-1 file left by a crash (never closed) is copied into a fresh file on resume:
  // that one is version 2, its checksums those of a fresh run.
  const std::string crashed = dir.file("crashed.h5");
  {
    const Version1Files hook;
    run(config, crashed, 0, 1);
  }
  h5::File::open(crashed, h5::File::Mode::ReadWrite)
      .root()
      .setAttribute("open_for_writing", std::int64_t{1});
  run(config, crashed, 1, chunks);
  ASSERT_TRUE(hasChecksumVersion(crashed, &version));
  EXPECT_EQ(version, kChecksumVersion);
  expectSameScan(config, fresh, crashed, true);

  // Merged (a whole file, so its storage chunks would be copied as stored): the output is
  // version 2, its checksums computed anew.
  const std::string merged = dir.file("merged.h5");
  mergeScanFiles(config, {old}, merged, false);
  expectSameScan(config, fresh, merged, true);

  // A version this program does not know is refused, the file untouched.
  const std::string newer = dir.file("newer.h5");
  fs::copy_file(fresh, newer);
  h5::File::open(newer, h5::File::Mode::ReadWrite)
      .root()
      .setAttribute("checksum_version", std::int64_t{3});
  EXPECT_THROW(verifyScanFile(newer, config, false), InputError);
}

TEST(Checksum, AFlippedByteInAnyLaneOrTheTailOfAVersion2ChunkIsFound) {
  const TempDir dir;
  const ScanConfig config = scan(dir.file("checksum.h5"));
  const std::string path = dir.file("flip.h5");
  run(config, path, 0, allChunks(config).size());
  ASSERT_TRUE(hasChecksumVersion(path));
  ASSERT_EQ(verifyScanFile(path, config, false).committed.size(), 2u);
  // The second chunk (rows 45-89): in `index` (8-byte rows) the words of lanes 1-4 and the
  // one word after the last whole group; in `status` (1-byte rows) a byte of each of its
  // whole words and each of its 5 tail bytes.
  std::vector<std::pair<std::string, std::size_t>> flips;
  for (std::size_t row : {0, 1, 2, 3, 5, 44}) flips.emplace_back("index", 8 * (45 + row));
  for (std::size_t row : {0, 8, 16, 24, 32, 40, 41, 42, 43, 44})
    flips.emplace_back("status", 45 + row);
  for (const auto& [name, byte] : flips) {
    SCOPED_TRACE(name + " byte " + std::to_string(byte));
    flipByte(path, name, byte);
    const FileState state = verifyScanFile(path, config, false);
    EXPECT_EQ(state.committed.size(), 1u);
    EXPECT_EQ(state.droppedChunks, 1u);
    flipByte(path, name, byte);
    EXPECT_EQ(verifyScanFile(path, config, false).committed.size(), 2u);
  }
}

}  // namespace
}  // namespace portalscan::scanner
