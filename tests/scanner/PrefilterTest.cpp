// Storage chunks filtered by the worker threads (h5::encodeChunk, ScanWriter::prepare) against
// what HDF5's own filter pipeline stores for the same rows: the same bytes and filter masks,
// chunk by chunk, so that a file is the same whichever thread filtered its chunks.

#include "portalscan/scanner/engine/Config.hpp"
#include "portalscan/scanner/engine/Executor.hpp"
#include "portalscan/scanner/store/Store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

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

TEST(Prefilter, EncodedChunksAreTheBytesHdf5Stores) {
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

ScanConfig smallScan(const char* keep, int compression) {
  // 10 x 10 = 100 points in chunks of 16: 6 whole chunks and a short one of 4.
  return parseConfig(nlohmann::ordered_json::parse(std::string(R"({
    "model": "hidden_kev_fermion",
    "threads": 2,
    "parameters": {"M_chi": {"range": [1e-6, 1e-4], "scale": "log", "points": 10},
                   "kappa": {"range": [1e-11, 1e-7], "scale": "log", "points": 10}},
    "output": {"chunk_points": 16, "keep": ")") + keep +
                                                   R"(", "compression": )" +
                                                   std::to_string(compression) + "}}"),
                     "prefilter.json");
}

/// Every data column's stored chunks of two files written for `config`, compared.
void expectSameStoredChunks(const ScanConfig& config, const std::string& a, const std::string& b) {
  const h5::File fa = h5::File::open(a, h5::File::Mode::ReadOnly);
  const h5::File fb = h5::File::open(b, h5::File::Mode::ReadOnly);
  const std::uint64_t chunkRows = config.output.chunkPoints;
  std::size_t compared = 0;
  for (const auto& [path, bytes] : std::vector<std::pair<std::string, int>>{{"parameters/M_chi", 8},
                                                                            {"parameters/kappa", 8},
                                                                            {"allowed", 1},
                                                                            {"chi2_total", 8},
                                                                            {"status", 1},
                                                                            {"index", 8}}) {
    const h5::Dataset da = fa.root().openDataset(path), db = fb.root().openDataset(path);
    ASSERT_EQ(da.rows(), db.rows()) << path;
    for (std::uint64_t row = 0; row < da.rows(); row += chunkRows) {
      std::uint32_t ma = 7, mb = 7;
      EXPECT_EQ(da.readStoredChunk(row, ma), db.readStoredChunk(row, mb)) << path << " " << row;
      EXPECT_EQ(ma, mb) << path << " " << row;
      ++compared;
    }
  }
  EXPECT_GT(compared, 6u);
}

TEST(Prefilter, KeepAllRunsWriteTheWorkersChunksAsHdf5WouldHave) {
  const TempDir dir;
  for (int compression : {1, 0}) {
    SCOPED_TRACE(compression);
    const ScanConfig config = smallScan("all", compression);
    const std::string ran = (dir.path / ("ran" + std::to_string(compression) + ".h5")).string();
    const std::string copied = (dir.path / ("copy" + std::to_string(compression) + ".h5")).string();
    {
      ScanWriter writer(config, ran, false);
      execute(config, allChunks(config), writer, nullptr);
      // Every chunk, the short last one too, went in as the storage chunks its worker made.
      EXPECT_EQ(writer.chunksWrittenPrepared(), allChunks(config).size());
      writer.finish();
    }
    {
      // The same rows through HDF5's own filters: chunks appended unprepared.
      ScanReader reader(config, ran, config.points);
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
    expectSameStoredChunks(config, ran, copied);
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
