// The workers' encode of a keep-all run in isolation (docs/performance.md, "Encoding the
// quick start's rows"): every 1-D chunked column of a scan file, read back, cut into its
// storage chunks and filtered again by h5::encodeChunk, as ScanWriter::prepare does, on one
// thread. Prints the CPU time per row (all columns of a row), the stored bytes, and how many
// of them equal the file's own stored chunks (the same encoder gives 100%); then the CPU time
// per row of the chunk checksum (checksumBytes over every column's storage chunks, as
// ScanWriter::prepare does) of checksum versions 1 and 2 (docs/hdf5-format.md).
//
//   bench_encode FILE [repetitions]

#include "portalscan/scanner/store/Hdf5.hpp"
#include "portalscan/scanner/store/Layout.hpp"

#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace h5 = portalscan::scanner::h5;

namespace {

struct Column {
  std::string name;
  h5::Pipeline pipeline;
  std::vector<unsigned char> bytes;              // the rows, native element bytes
  std::vector<std::vector<unsigned char>> file;  // the file's stored chunks
  std::uint64_t rows = 0;
};

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

herr_t collect(hid_t root, const char* name, const H5O_info_t* info, void* data) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  auto& columns = *static_cast<std::vector<Column>*>(data);
  const std::string path(name);
  if (path.rfind("chunks/", 0) == 0 || path.rfind("commits", 0) == 0) return 0;
  h5::Dataset d(h5::Handle(H5Dopen2(root, name, H5P_DEFAULT), H5Dclose));
  Column c;
  c.name = path;
  c.pipeline = d.pipeline();
  if (!c.pipeline.known || c.pipeline.deflate < 0) return 0;
  c.rows = d.rows();
  c.bytes.resize(c.rows * c.pipeline.elementBytes);
  const hid_t type = H5Dget_type(d.id());
  const hid_t native = H5Tget_native_type(type, H5T_DIR_ASCEND);
  if (H5Dread(d.id(), native, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.bytes.data()) < 0) std::exit(1);
  H5Tclose(native);
  H5Tclose(type);
  for (std::uint64_t r = 0; r < c.rows; r += c.pipeline.chunkRows) {
    std::uint32_t mask = 0;
    c.file.push_back(d.readStoredChunk(r, mask));
  }
  columns.push_back(std::move(c));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_encode FILE [repetitions]\n");
    return 2;
  }
  const int repetitions = argc > 2 ? std::atoi(argv[2]) : 3;
  std::vector<Column> columns;
  {
    h5::File f = h5::File::open(argv[1], h5::File::Mode::ReadOnly);
    H5Ovisit2(f.root().id(), H5_INDEX_NAME, H5_ITER_INC, collect, &columns, H5O_INFO_BASIC);
  }
  std::uint64_t rows = 0, rowBytes = 0;
  for (const Column& c : columns) {
    rows = std::max(rows, c.rows);
    rowBytes += c.pipeline.elementBytes;
  }
  std::vector<unsigned char> out, scratch;
  double best = 1e300;
  std::uint64_t stored = 0, same = 0, chunks = 0;
  for (int rep = 0; rep < repetitions; ++rep) {
    stored = same = chunks = 0;
    const double t0 = cpuSeconds();
    for (const Column& c : columns) {
      const std::uint64_t n = c.pipeline.chunkRows;
      for (std::uint64_t r = 0, k = 0; r < c.rows; r += n, ++k) {
        const std::uint64_t m = std::min(n, c.rows - r);
        h5::encodeChunk(c.pipeline, c.bytes.data() + r * c.pipeline.elementBytes, m, out, scratch);
        stored += out.size();
        same += out == c.file[k];
        ++chunks;
      }
    }
    best = std::min(best, cpuSeconds() - t0);
  }
  // Each chunk inflated by zlib: the shuffled chunk the encoder was given.
  std::uint64_t inflated = 0;
  std::vector<unsigned char> plain;
  for (const Column& c : columns) {
    const std::uint64_t n = c.pipeline.chunkRows;
    for (std::uint64_t r = 0; r < c.rows; r += n) {
      const std::uint64_t m = std::min(n, c.rows - r);
      const std::uint32_t mask = h5::encodeChunk(
          c.pipeline, c.bytes.data() + r * c.pipeline.elementBytes, m, out, scratch);
      plain.resize(scratch.size());
      uLongf size = static_cast<uLongf>(plain.size());
      if (mask != 0 || uncompress(plain.data(), &size, out.data(), out.size()) != Z_OK ||
          size != scratch.size() || plain != scratch) {
        std::fprintf(stderr, "%s: the chunk at row %llu does not inflate to its rows\n",
                     c.name.c_str(), static_cast<unsigned long long>(r));
        return 1;
      }
      ++inflated;
    }
  }
  std::printf(
      "%zu columns, %llu rows of %llu bytes: %.1f ns per row (best of %d), %.2f MB stored, "
      "%llu of %llu chunks equal to the file's, %llu inflated by zlib to their rows\n",
      columns.size(), static_cast<unsigned long long>(rows),
      static_cast<unsigned long long>(rowBytes), 1e9 * best / static_cast<double>(rows),
      repetitions, 1e-6 * static_cast<double>(stored), static_cast<unsigned long long>(same),
      static_cast<unsigned long long>(chunks), static_cast<unsigned long long>(inflated));
  // The chunk checksum: every column's storage chunks, of both versions, timed alike; read
  // from memory (each chunk once, as this loop meets it) and from the cache (each chunk
  // timed a second time, right after a first, untimed pass).
  for (const std::int64_t version :
       {portalscan::scanner::kLegacyChecksumVersion, portalscan::scanner::kChecksumVersion}) {
    double fromMemory = 1e300, fromCache = 1e300;
    std::uint64_t h = 0;
    for (int rep = 0; rep < repetitions; ++rep) {
      double cached = 0.0;
      const double t0 = cpuSeconds();
      for (const Column& c : columns) {
        const std::size_t e = c.pipeline.elementBytes;
        for (std::uint64_t r = 0; r < c.rows; r += c.pipeline.chunkRows) {
          const std::uint64_t m = std::min<std::uint64_t>(c.pipeline.chunkRows, c.rows - r);
          h = portalscan::scanner::checksumBytes(c.bytes.data() + r * e, m * e, h, version);
        }
      }
      fromMemory = std::min(fromMemory, cpuSeconds() - t0);
      for (const Column& c : columns) {
        const std::size_t e = c.pipeline.elementBytes;
        for (std::uint64_t r = 0; r < c.rows; r += c.pipeline.chunkRows) {
          const std::uint64_t m = std::min<std::uint64_t>(c.pipeline.chunkRows, c.rows - r);
          h = portalscan::scanner::checksumBytes(c.bytes.data() + r * e, m * e, h, version);
          const double t1 = cpuSeconds();
          h = portalscan::scanner::checksumBytes(c.bytes.data() + r * e, m * e, h, version);
          cached += cpuSeconds() - t1;
        }
      }
      fromCache = std::min(fromCache, cached);
    }
    std::printf(
        "checksum version %lld: %.1f ns per row from memory, %.1f from the cache (best of %d; "
        "%016llx)\n",
        static_cast<long long>(version), 1e9 * fromMemory / static_cast<double>(rows),
        1e9 * fromCache / static_cast<double>(rows), repetitions,
        static_cast<unsigned long long>(h));
  }
  return 0;
}
