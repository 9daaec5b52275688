// Storage chunks filtered by the worker threads (h5::encodeChunk, ScanWriter::prepare): read
// back through HDF5's own filter pipeline they are the rows; byte planes that look random are
// stored verbatim (deflate stored blocks), the others deflated exactly as HDF5's filter does;
// and a file is the same, byte for byte, whatever the number of threads that filtered it.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("portalscan-prefilter-" + std::to_string(getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

/// Rows of one element type: smooth (compressible), random (incompressible) and repeated.
template <typename T>
std::vector<T> sampleRows(std::size_t n, unsigned seed) {
  std::mt19937_64 random(seed);
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      const double r = std::uniform_real_distribution<double>(-1.0, 1.0)(random);
      v[i] = i % 3 == 0 ? std::exp(1e-3 * static_cast<double>(i)) : i % 3 == 1 ? r * 1e300 : 0.5;
    } else {
      v[i] = static_cast<T>(i % 5 == 0 ? random() : i / 3);
    }
  }
  return v;
}

/// Writes the same rows twice, through HDF5's filters (append) and as chunks filtered by
/// encodeChunk (appendStoredChunk), and compares every stored chunk and the rows read back.
/// These rows have no random-looking byte plane (a third of them are 0.5, a third smooth), so
/// every plane is deflated, and deflated as HDF5's filter does: the same bytes.
template <typename T>
void compareWithHdf5(h5::Group& root, const std::string& name, std::uint64_t chunkRows, int level,
                     std::uint64_t rows) {
  SCOPED_TRACE(name);
  const std::vector<T> data = sampleRows<T>(rows, static_cast<unsigned>(rows + chunkRows));
  h5::Dataset byHdf5 = root.createDataset<T>(name + "_hdf5", chunkRows, level);
  h5::Dataset byWorker = root.createDataset<T>(name + "_worker", chunkRows, level);
  byHdf5.append(data.data(), rows);
  const h5::Pipeline pipeline = byWorker.pipeline();
  ASSERT_TRUE(pipeline.known);
  EXPECT_EQ(pipeline.chunkRows, chunkRows);
  EXPECT_EQ(pipeline.elementBytes, sizeof(T));
  EXPECT_EQ(pipeline.shuffle, level > 0);
  EXPECT_EQ(pipeline.deflate, level > 0 ? level : -1);
  std::vector<unsigned char> stored, scratch;
  for (std::uint64_t row = 0; row < rows; row += chunkRows) {
    const std::uint64_t n = std::min(chunkRows, rows - row);
    const std::uint32_t mask = h5::encodeChunk(pipeline, data.data() + row, n, stored, scratch);
    byWorker.appendStoredChunk(n, stored, mask);
  }
  ASSERT_EQ(byWorker.rows(), rows);
  for (std::uint64_t row = 0; row < rows; row += chunkRows) {
    std::uint32_t maskHdf5 = 7, maskWorker = 7;
    EXPECT_EQ(byWorker.readStoredChunk(row, maskWorker), byHdf5.readStoredChunk(row, maskHdf5))
        << "storage chunk at row " << row;
    EXPECT_EQ(maskWorker, maskHdf5) << row;
  }
  EXPECT_EQ(byWorker.read<T>(), data);
}

TEST(Prefilter, CompressiblePlanesAreTheBytesHdf5Stores) {
  const TempDir dir;
  h5::File file = h5::File::create((dir.path / "chunks.h5").string(), false);
  h5::Group& root = file.root();
  for (int level : {0, 1, 6}) {
    // One-row chunks (no shuffle: one element), odd sizes, and the 4096 of the default config;
    // each with whole chunks and a shorter last one.
    for (std::uint64_t chunkRows : {1u, 7u, 64u, 4096u}) {
      const std::uint64_t rows = 3 * chunkRows + (chunkRows + 1) / 2;
      const std::string tag = "_" + std::to_string(level) + "_" + std::to_string(chunkRows);
      compareWithHdf5<double>(root, "double" + tag, chunkRows, level, rows);
      compareWithHdf5<std::uint8_t>(root, "uint8" + tag, chunkRows, level, rows);
      compareWithHdf5<std::int8_t>(root, "int8" + tag, chunkRows, level, rows);
      compareWithHdf5<std::uint64_t>(root, "uint64" + tag, chunkRows, level, rows);
    }
  }
  file.close();
}

/// The chunk as stored (zlib stream, or the plain shuffled bytes when the deflate bit of the
/// mask is set), inflated by zlib itself and unshuffled: the rows, zero past `rows`.
std::vector<double> decodeDoubles(const std::vector<unsigned char>& stored, std::uint32_t mask,
                                  std::size_t chunkRows) {
  std::vector<unsigned char> shuffled(chunkRows * 8);
  if (mask & 2u) {
    shuffled = stored;
  } else {
    uLongf size = static_cast<uLongf>(shuffled.size());
    EXPECT_EQ(uncompress(shuffled.data(), &size, stored.data(), static_cast<uLong>(stored.size())),
              Z_OK);
    EXPECT_EQ(size, shuffled.size());
  }
  std::vector<double> rows(chunkRows);
  auto* bytes = reinterpret_cast<unsigned char*>(rows.data());
  for (std::size_t j = 0; j < chunkRows; ++j)
    for (std::size_t k = 0; k < 8; ++k) bytes[j * 8 + k] = shuffled[k * chunkRows + j];
  return rows;
}

TEST(Prefilter, RandomPlanesAreStoredVerbatim) {
  // Doubles 1 + u 2^-36, u uniform in [0, 1): mantissa bits 0-15 random (byte planes 0 and 1
  // after the shuffle), the other six planes constant. The two random planes go into the
  // stream as stored blocks, verbatim; the constant ones deflate to a few bytes.
  const TempDir dir;
  h5::File file = h5::File::create((dir.path / "random.h5").string(), false);
  const std::uint64_t chunkRows = 4096;
  std::mt19937_64 random(7);
  std::vector<double> data(chunkRows + 1000);
  for (double& v : data)
    v = 1.0 + std::ldexp(std::uniform_real_distribution<double>()(random), -36);
  h5::Dataset byWorker = file.root().createDataset<double>("worker", chunkRows, 1);
  h5::Dataset byHdf5 = file.root().createDataset<double>("hdf5", chunkRows, 1);
  byHdf5.append(data.data(), data.size());
  const h5::Pipeline pipeline = byWorker.pipeline();
  ASSERT_TRUE(pipeline.known);
  std::vector<unsigned char> stored, scratch;
  for (std::uint64_t row = 0; row < data.size(); row += chunkRows) {
    const std::uint64_t n = std::min<std::uint64_t>(chunkRows, data.size() - row);
    const std::uint32_t mask = h5::encodeChunk(pipeline, data.data() + row, n, stored, scratch);
    EXPECT_EQ(mask, 0u);
    std::vector<double> expected(chunkRows, 0.0);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(row), n, expected.begin());
    EXPECT_EQ(decodeDoubles(stored, mask, chunkRows), expected) << row;
    if (n == chunkRows) {
      for (std::size_t k = 0; k < 2; ++k) {
        const auto* plane = scratch.data() + k * chunkRows;
        EXPECT_NE(std::search(stored.begin(), stored.end(), plane, plane + chunkRows), stored.end())
            << "byte plane " << k << " stored verbatim";
      }
      EXPECT_LT(stored.size(), 2 * chunkRows + 200);  // two planes and the rest, deflated
    }
    byWorker.appendStoredChunk(n, stored, mask);
  }
  EXPECT_EQ(byWorker.read<double>(), data);  // HDF5's own pipeline reads them
  std::uint32_t maskWorker = 7, maskHdf5 = 7;
  EXPECT_NE(byWorker.readStoredChunk(0, maskWorker), byHdf5.readStoredChunk(0, maskHdf5))
      << "HDF5's filter Huffman-codes the random planes";

  // Random bytes of a one-byte column: one plane, stored. The chunk a thread encodes next is
  // the same as if it had not encoded this one (its deflate state is reset fully).
  const std::vector<std::uint8_t> steps = sampleRows<std::uint8_t>(chunkRows, 3);
  h5::Dataset bytes = file.root().createDataset<std::uint8_t>("noise", chunkRows, 1);
  std::vector<unsigned char> first;
  h5::encodeChunk(bytes.pipeline(), steps.data(), chunkRows, first, scratch);
  std::vector<std::uint8_t> noise(chunkRows);
  for (auto& b : noise) b = static_cast<std::uint8_t>(random());
  const std::uint32_t mask =
      h5::encodeChunk(bytes.pipeline(), noise.data(), chunkRows, stored, scratch);
  EXPECT_NE(std::search(stored.begin(), stored.end(), noise.begin(), noise.end()), stored.end());
  bytes.appendStoredChunk(chunkRows, stored, mask);
  EXPECT_EQ(bytes.read<std::uint8_t>(), noise);
  h5::encodeChunk(bytes.pipeline(), steps.data(), chunkRows, stored, scratch);
  EXPECT_EQ(stored, first) << "a chunk's bytes do not depend on the chunk encoded before";
  EXPECT_LT(first.size(), chunkRows);  // deflated: a fifth of its bytes are random
  file.close();
}

/// A chunk of doubles from its eight byte planes (the inverse of the shuffle).
std::vector<double> fromPlanes(const std::vector<std::vector<unsigned char>>& planes) {
  const std::size_t n = planes[0].size();
  std::vector<double> rows(n);
  auto* bytes = reinterpret_cast<unsigned char*>(rows.data());
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t k = 0; k < 8; ++k) bytes[j * 8 + k] = planes[k][j];
  return rows;
}

/// A plane of period q: its first q bytes runs of 1-6 equal bytes (random values), repeated.
std::vector<unsigned char> periodicPlane(std::size_t n, std::size_t q, std::mt19937_64& random) {
  std::vector<unsigned char> plane(n);
  for (std::size_t i = 0; i < q;) {
    const auto value = static_cast<unsigned char>(random());
    for (std::size_t r = 1 + random() % 6; r > 0 && i < q; --r) plane[i++] = value;
  }
  for (std::size_t i = q; i < n; ++i) plane[i] = plane[i - q];
  return plane;
}

/// The chunk through zlib's own inflate (the stream is standard zlib/DEFLATE): the shuffled
/// chunk; and through HDF5's filter pipeline: the rows.
template <typename T>
void expectDecodes(h5::Group& root, const std::string& name, const std::vector<T>& rows,
                   std::size_t* encodedSize = nullptr) {
  SCOPED_TRACE(name);
  h5::Dataset d = root.createDataset<T>(name, rows.size(), 1);
  std::vector<unsigned char> stored, scratch;
  const std::uint32_t mask =
      h5::encodeChunk(d.pipeline(), rows.data(), rows.size(), stored, scratch);
  ASSERT_EQ(mask, 0u);
  std::vector<unsigned char> inflated(scratch.size());
  uLongf size = static_cast<uLongf>(inflated.size());
  ASSERT_EQ(uncompress(inflated.data(), &size, stored.data(), static_cast<uLong>(stored.size())),
            Z_OK);
  ASSERT_EQ(size, scratch.size());
  EXPECT_TRUE(inflated == scratch);
  d.appendStoredChunk(rows.size(), stored, mask);
  const std::vector<T> back = d.read<T>();  // (compared as bytes: random planes make NaNs)
  ASSERT_EQ(back.size(), rows.size());
  EXPECT_EQ(0, std::memcmp(back.data(), rows.data(), rows.size() * sizeof(T)));
  if (encodedSize) *encodedSize = stored.size();
}

TEST(Prefilter, PeriodicPlanesAreWrittenAsFixedHuffmanSymbols) {
  // Constant and periodic byte planes (periods 1-258, runs in the first period, remainders
  // that leave 1 or 2 bytes after whole 258-byte matches) are written by the encoder itself,
  // before and after the planes zlib deflates and around stored ones: every chunk inflates
  // with zlib to its shuffled bytes and reads back through HDF5, and a periodic plane takes
  // a fixed-Huffman literal (at most 9 bits) per byte of its first period and a match
  // (at most 8 + 5 length bits, 5 + 7 distance bits) per 258 bytes.
  const TempDir dir;
  h5::File file = h5::File::create((dir.path / "periodic.h5").string(), false);
  h5::Group& root = file.root();
  std::mt19937_64 random(11);
  int cases = 0;
  for (std::size_t n : {1024u, 1025u, 4096u}) {
    for (std::size_t q : {1u, 2u, 3u, 5u, 7u, 16u, 200u, 224u, 225u, 255u, 256u, 257u, 258u}) {
      // All eight planes periodic (period q, and 1 for the sign-exponent plane).
      std::vector<std::vector<unsigned char>> planes;
      for (int k = 0; k < 7; ++k) planes.push_back(periodicPlane(n, q, random));
      planes.push_back(std::vector<unsigned char>(n, static_cast<unsigned char>(0x3f + q)));
      std::size_t size = 0;
      const std::string tag = std::to_string(n) + "_" + std::to_string(q);
      expectDecodes(root, "periodic_" + tag, fromPlanes(planes), &size);
      const std::size_t perPlane = (9 * q + 30 * (n / 258 + 1)) / 8 + 2;
      EXPECT_LE(size, 2 + 4 + 7 * perPlane + (9 + 30 * (n / 258 + 1)) / 8 + 2) << tag;
      // Stored (random) planes first, periodic ones, a deflated plane, a stored one between
      // two deflated ones, and periodic planes last.
      std::vector<std::vector<unsigned char>> mixed(8, std::vector<unsigned char>(n));
      for (auto& b : mixed[0]) b = static_cast<unsigned char>(random());
      mixed[1] = periodicPlane(n, q, random);
      for (std::size_t j = 0; j < n; ++j) {
        mixed[2][j] = static_cast<unsigned char>(j / 37 + (random() % 8 == 0));  // deflated
        mixed[3][j] = static_cast<unsigned char>(random());                      // stored
        mixed[4][j] = static_cast<unsigned char>(j / 11);                        // deflated
      }
      mixed[5] = periodicPlane(n, q, random);
      mixed[6] = periodicPlane(n, std::max<std::size_t>(1, q / 2), random);
      mixed[7].assign(n, 0x40);
      expectDecodes(root, "mixed_" + tag, fromPlanes(mixed));
      // Random planes last: a final stored block after zlib's part.
      std::swap(mixed[0], mixed[7]);
      expectDecodes(root, "stored_last_" + tag, fromPlanes(mixed));
      cases += 3;
    }
  }
  // Planes of few runs (at most n / 64 changes: written here) and of a few more (zlib's), in
  // one chunk: runs of random lengths and values, 1 to 65 changes.
  for (std::size_t changes : {1u, 20u, 63u, 64u, 65u}) {
    std::vector<std::vector<unsigned char>> planes(8, std::vector<unsigned char>(4096));
    for (auto& plane : planes) {
      std::vector<std::size_t> at;
      while (at.size() < changes) {
        const std::size_t j = 1 + random() % 4095;
        if (std::find(at.begin(), at.end(), j) == at.end()) at.push_back(j);
      }
      unsigned char value = static_cast<unsigned char>(random());
      for (std::size_t j = 0; j < plane.size(); ++j) {
        if (std::find(at.begin(), at.end(), j) != at.end())
          value = static_cast<unsigned char>(value + 1 + random() % 255);
        plane[j] = value;
      }
    }
    std::size_t size = 0;
    expectDecodes(root, "runs_" + std::to_string(changes), fromPlanes(planes), &size);
    // A literal (9 bits) and the matches of each run (25 bits a 258 bytes), per plane.
    if (changes <= 64) {
      EXPECT_LE(size, 2 + 4 + 8 * ((changes + 1) * 9 + 25 * (4096 / 258 + changes + 1)) / 8 + 2);
    }
  }
  // One-byte columns longer than a stored block (65 535 bytes): random, constant, period 200.
  std::vector<std::uint8_t> bytes(70000);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(random());
  expectDecodes(root, "random_bytes", bytes);
  std::vector<std::uint8_t> constant(70000, 1);
  std::size_t size = 0;
  expectDecodes(root, "constant_bytes", constant, &size);
  EXPECT_LE(size, 2 + 4 + (3 + 9 + 30 * (70000 / 258 + 1) + 7) / 8 + 1);
  const auto period = periodicPlane(70000, 200, random);
  expectDecodes(root, "periodic_bytes", std::vector<std::uint8_t>(period.begin(), period.end()));
  EXPECT_EQ(cases, 3 * 3 * 13);
  file.close();
}

ScanConfig smallScan(const char* keep, int compression, int points = 10, int chunkPoints = 16,
                     int threads = 2) {
  // points x points of M_chi x kappa in chunks of chunkPoints (10 x 10 in 16: 6 whole chunks
  // and a short one of 4).
  return parseConfig(
      nlohmann::ordered_json::parse(
          R"({"model": "hidden_kev_fermion", "threads": )" + std::to_string(threads) +
          R"(, "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": )" +
          std::to_string(points) +
          R"(}, "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": )" +
          std::to_string(points) + R"(}}, "output": {"chunk_points": )" +
          std::to_string(chunkPoints) + R"(, "keep": ")" + keep +
          R"(", "observables": "all", "compression": )" + std::to_string(compression) + "}}"),
      "prefilter.json");
}

/// The columns compared below, by path and element type.
template <typename F>
void forEachColumn(F&& f) {
  f.template operator()<double>("parameters/M_chi");
  f.template operator()<double>("parameters/kappa");
  f.template operator()<double>("observables/tau_chi_light");
  f.template operator()<double>("observables/dm_decay_rate");
  f.template operator()<std::uint8_t>("allowed");
  f.template operator()<double>("chi2_total");
  f.template operator()<std::int8_t>("status");
  f.template operator()<std::uint64_t>("index");
}

/// The stored chunks (bytes and filter masks) of two files, compared.
void expectSameStoredChunks(const ScanConfig& config, const std::string& a, const std::string& b) {
  const h5::File fa = h5::File::open(a, h5::File::Mode::ReadOnly);
  const h5::File fb = h5::File::open(b, h5::File::Mode::ReadOnly);
  std::size_t compared = 0;
  forEachColumn([&]<typename T>(const std::string& path) {
    const h5::Dataset da = fa.root().openDataset(path), db = fb.root().openDataset(path);
    ASSERT_EQ(da.rows(), db.rows()) << path;
    for (std::uint64_t row = 0; row < da.rows(); row += config.output.chunkPoints) {
      std::uint32_t ma = 7, mb = 7;
      EXPECT_EQ(da.readStoredChunk(row, ma), db.readStoredChunk(row, mb)) << path << " " << row;
      EXPECT_EQ(ma, mb) << path << " " << row;
      ++compared;
    }
  });
  EXPECT_GE(compared, 16u);
}

/// Storage chunks whose bytes differ between two files.
std::size_t differentChunks(const ScanConfig& config, const std::string& a, const std::string& b) {
  const h5::File fa = h5::File::open(a, h5::File::Mode::ReadOnly);
  const h5::File fb = h5::File::open(b, h5::File::Mode::ReadOnly);
  std::size_t different = 0;
  forEachColumn([&]<typename T>(const std::string& path) {
    const h5::Dataset da = fa.root().openDataset(path), db = fb.root().openDataset(path);
    for (std::uint64_t row = 0; row < da.rows(); row += config.output.chunkPoints) {
      std::uint32_t ma = 7, mb = 7;
      different += da.readStoredChunk(row, ma) != db.readStoredChunk(row, mb);
    }
  });
  return different;
}

/// The rows of two files read through HDF5's filter pipeline, compared (NaN equal to NaN).
void expectSameRows(const std::string& a, const std::string& b) {
  const h5::File fa = h5::File::open(a, h5::File::Mode::ReadOnly);
  const h5::File fb = h5::File::open(b, h5::File::Mode::ReadOnly);
  forEachColumn([&]<typename T>(const std::string& path) {
    const std::vector<T> ra = fa.root().openDataset(path).read<T>();
    const std::vector<T> rb = fb.root().openDataset(path).read<T>();
    ASSERT_EQ(ra.size(), rb.size()) << path;
    EXPECT_EQ(0, std::memcmp(ra.data(), rb.data(), ra.size() * sizeof(T))) << path;
  });
}

TEST(Prefilter, KeepAllRunsAreTheSameForOneAndTwoThreads) {
  // 40 x 40 points in chunks of 1024 (one whole and a short last one of 576): byte planes
  // long enough for the encoder's test, every observable stored, so that some planes are
  // stored and others deflated.
  const TempDir dir;
  for (int compression : {1, 0}) {
    SCOPED_TRACE(compression);
    const std::string tag = std::to_string(compression);
    std::vector<std::string> ran;
    for (int threads : {2, 1}) {
      const ScanConfig config = smallScan("all", compression, 40, 1024, threads);
      ran.push_back((dir.path / ("ran" + tag + "_" + std::to_string(threads) + ".h5")).string());
      ScanWriter writer(config, ran.back(), false);
      execute(config, allChunks(config), writer, nullptr);
      // Every chunk, the short last one too, went in as the storage chunks its worker made.
      EXPECT_EQ(writer.chunksWrittenPrepared(), allChunks(config).size());
      writer.finish();
    }
    const ScanConfig config = smallScan("all", compression, 40, 1024);
    expectSameStoredChunks(config, ran[0], ran[1]);
    // The same rows through HDF5's own filters (chunks appended unprepared): other bytes where
    // a plane was stored, the same rows.
    const std::string copied = (dir.path / ("copy" + tag + ".h5")).string();
    {
      ScanReader reader(config, ran[0], config.points);
      ScanWriter writer(config, copied, false);
      ChunkBuffer buffer;
      for (const auto& [begin, end] : allChunks(config)) {
        reader.read(begin, end - begin, buffer);
        buffer.begin = begin;
        buffer.end = end;
        buffer.excluded.assign(config.chain.constraints().size(), 0);
        writer.append(buffer);
      }
      EXPECT_EQ(writer.chunksWrittenPrepared(), 0u);
      writer.finish();
    }
    expectSameRows(ran[0], copied);
    if (compression == 0) {
      expectSameStoredChunks(config, ran[0], copied);
    } else {
      // Some planes (the full-precision observables' low bytes) were stored by the workers.
      EXPECT_GT(differentChunks(config, ran[0], copied), 0u);
    }
  }
}

TEST(Prefilter, AllowedRowsGoThroughHdf5sFilters) {
  // keep: allowed gathers the rows of several chunks into one storage chunk: nothing a worker
  // can filter alone, unless every point of its chunk is kept.
  const TempDir dir;
  const ScanConfig config = smallScan("allowed", 1);
  ScanWriter writer(config, (dir.path / "allowed.h5").string(), false);
  const RunStatistics stats = execute(config, allChunks(config), writer, nullptr);
  EXPECT_LT(stats.rows, config.points);
  EXPECT_EQ(writer.chunksWrittenPrepared(), 0u);
  writer.finish();
}

}  // namespace
}  // namespace portalscan::scanner
