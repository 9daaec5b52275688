#include "portalscan/scanner/store/Hdf5.hpp"

#include "portalscan/physics/Error.hpp"

#include <emmintrin.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>

namespace portalscan::scanner::h5 {
namespace {

herr_t collectMessage(unsigned, const H5E_error2_t* e, void* data) {
  if (e->desc && *e->desc) static_cast<std::vector<std::string>*>(data)->emplace_back(e->desc);
  return 0;
}

/// One line from HDF5's error stack: the operating system's message when HDF5
/// quotes one ("File too large"), with the innermost HDF5 description.
std::string condense(const std::vector<std::string>& descriptions) {
  std::string system;
  for (const auto& d : descriptions) {
    const auto at = d.find("error message = '");
    if (at == std::string::npos) continue;
    const auto begin = at + 17;
    const auto end = d.find('\'', begin);
    system = d.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    break;
  }
  std::string inner = descriptions.empty() ? std::string() : descriptions.front();
  for (const auto& d : descriptions) {
    if (d.rfind("truncated file", 0) == 0) inner = d;  // keep its eof and stored_eof
  }
  if (inner.rfind("truncated file", 0) != 0) {
    inner = inner.substr(0, inner.find(':'));  // drop "time = ..., filename = ..." details
  }
  std::string line =
      system.empty() ? inner : system + (inner.empty() ? "" : " (HDF5: " + inner + ")");
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

/// Throws an IoError with `what` and HDF5's error stack, then clears the stack.
[[noreturn]] void fail(const std::string& what) {
  std::vector<std::string> descriptions;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collectMessage, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  const std::string detail = condense(descriptions);
  throw IoError(what + (detail.empty() ? "" : ": " + detail));
}

[[noreturn]] void failInUse(const std::string& path) {
  throw InputError("'" + path +
                   "' is in use by another process (a running scan, or a reader such as h5py "
                   "holding it open): close it and try again");
}

/// Opens or creates a file: a file another process holds HDF5's lock on (a
/// running scan, or a reader such as h5py) is an InputError saying so.
hid_t checkOpen(hid_t id, const std::string& path, const std::string& what) {
  if (id >= 0) return id;
  try {
    fail(what);
  } catch (const IoError& e) {
    if (std::string(e.what()).find(std::strerror(EWOULDBLOCK)) != std::string::npos) {
      failInUse(path);
    }
    throw;
  }
}

hid_t check(hid_t id, const std::string& what) {
  if (id < 0) fail(what);
  return id;
}

void check(herr_t status, const std::string& what) {
  if (status < 0) fail(what);
}

Handle dataspaceOf(hid_t dataset) {
  return Handle(check(H5Dget_space(dataset), "cannot get a dataspace"), H5Sclose);
}

std::array<hsize_t, 2> extent(hid_t dataset) {
  Handle space = dataspaceOf(dataset);
  std::array<hsize_t, 2> dims{0, 1};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 1 || rank > 2) fail("unexpected dataset rank");
  check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "cannot read dimensions");
  if (rank == 1) dims[1] = 1;
  return dims;
}

int rankOf(hid_t dataset) { return H5Sget_simple_extent_ndims(dataspaceOf(dataset).get()); }

Handle stringType() {
  Handle t(check(H5Tcopy(H5T_C_S1), "cannot copy the string type"), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), "cannot make a variable-length string type");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "cannot set UTF-8");
  return t;
}

Handle scalarSpace() {
  return Handle(check(H5Screate(H5S_SCALAR), "cannot create a scalar dataspace"), H5Sclose);
}

void replaceAttribute(hid_t object, const std::string& name) {
  const htri_t exists = H5Aexists(object, name.c_str());
  if (exists < 0) fail("cannot query attribute '" + name + "'");
  if (exists > 0) check(H5Adelete(object, name.c_str()), "cannot replace attribute '" + name + "'");
}

Handle openAttribute(hid_t object, const std::string& name) {
  return Handle(
      check(H5Aopen(object, name.c_str(), H5P_DEFAULT), "cannot open attribute '" + name + "'"),
      H5Aclose);
}

/// Replacements of `target` (".NAME.new-PID" beside it, see File::create) left by a process
/// that died before renaming them: with the target's lock held, no live writer can own one
/// whose PID is gone.
void removeStaleReplacements(const std::string& target) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path t(target);
  const fs::path dir = t.has_parent_path() ? t.parent_path() : fs::path(".");
  const std::string prefix = "." + t.filename().string() + ".new-";
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
}

}  // namespace

namespace {
bool insideConfinedRead = false;  ///< in the child of confine: reads nest without new children
}  // namespace

void confine(const std::string& path, const std::function<void()>& read, Extent extent) {
  if (insideConfinedRead) return;
  std::error_code ec;
  const std::uintmax_t bytes = ec ? 0 : std::filesystem::file_size(path, ec);
  // Reading a file's structure takes milliseconds: 5 s, and 1 s more per 20 MB. Reading its
  // rows takes about as long as writing them did: 30 s, and 1 s more per 2 MB, so that a
  // loaded machine or a slow disk is not taken for a loop.
  const unsigned limit =
      extent == Extent::Structure
          ? 5 + static_cast<unsigned>(bytes / 20'000'000)
          : 30 + static_cast<unsigned>(std::min<std::uintmax_t>(bytes / 2'000'000, 1u << 20));
  std::fflush(nullptr);
  const pid_t child = ::fork();
  if (child < 0) return;  // no process to spare: the caller reads unconfined
  if (child == 0) {
    // The child prints nothing (a sanitizer's report of the crash included), writes nothing,
    // and leaves without the parent's exit handlers.
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    std::signal(SIGALRM, SIG_DFL);
    sigset_t alarmOnly;
    sigemptyset(&alarmOnly);
    sigaddset(&alarmOnly, SIGALRM);
    sigprocmask(SIG_UNBLOCK, &alarmOnly, nullptr);
    ::alarm(limit);
    insideConfinedRead = true;
    try {
      read();
    } catch (...) {
      // an error the caller's own read reports
    }
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return;
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
    // (HDF5 loops on damaged metadata: a heap object of size 0, a cycle of B-tree nodes.)
    throw DamagedFileError("'" + path + "' is damaged: reading it did not end within " +
                           std::to_string(limit) + " s (the HDF5 library loops on it)");
  }
  std::string how = "exit code " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 0);
  if (WIFSIGNALED(status)) {
    const char* name = sigabbrev_np(WTERMSIG(status));
    how = name ? std::string("SIG") + name : "signal " + std::to_string(WTERMSIG(status));
  }
  throw DamagedFileError("'" + path + "' is damaged: reading it crashes the HDF5 library (" + how +
                         ")");
}

WriteLock::WriteLock(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) failInUse(path);
    // A file system without flock (HDF5 then opens without locking too).
  }
  removeStaleReplacements(path);
}

WriteLock::~WriteLock() {
  if (fd_ >= 0) ::close(fd_);
}

void silenceErrorPrinting() {
  // HDF5's thread-safe build keeps one error stack, and its printing setting, per thread: a
  // writer on an OpenMP worker thread printed 40-100 lines of HDF5-DIAG on a failed write.
  thread_local bool silenced = false;
  if (!silenced) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    silenced = true;
  }
}

// --- Handle ---

Handle::Handle(Handle&& other) noexcept : id_(other.id_), closer_(other.closer_) { other.id_ = -1; }

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = other.id_;
    closer_ = other.closer_;
    other.id_ = -1;
  }
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && closer_) closer_(id_);
}

void Handle::close() {
  silenceErrorPrinting();
  if (id_ >= 0 && closer_) {
    const herr_t status = closer_(id_);
    id_ = -1;
    check(status, "cannot close an HDF5 object");
  }
}

// --- types ---

template <>
hid_t nativeType<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t nativeType<std::uint8_t>() {
  return H5T_NATIVE_UINT8;
}
template <>
hid_t nativeType<std::int8_t>() {
  return H5T_NATIVE_INT8;
}
template <>
hid_t nativeType<std::uint64_t>() {
  return H5T_NATIVE_UINT64;
}

// --- attributes ---

bool Object::hasAttribute(const std::string& name) const {
  silenceErrorPrinting();
  const htri_t exists = H5Aexists(id(), name.c_str());
  if (exists < 0) fail("cannot query attribute '" + name + "'");
  return exists > 0;
}

void Object::setAttribute(const std::string& name, std::string_view value) {
  silenceErrorPrinting();
  replaceAttribute(id(), name);
  Handle type = stringType();
  Handle space = scalarSpace();
  Handle attr(
      check(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
            "cannot create attribute '" + name + "'"),
      H5Aclose);
  const std::string copy(value);
  const char* data = copy.c_str();
  check(H5Awrite(attr.get(), type.get(), &data), "cannot write attribute '" + name + "'");
}

void Object::setAttribute(const std::string& name, double value) {
  silenceErrorPrinting();
  setAttribute(name, std::vector<double>{value});
}

void Object::setAttribute(const std::string& name, std::int64_t value) {
  silenceErrorPrinting();
  replaceAttribute(id(), name);
  Handle space = scalarSpace();
  Handle attr(
      check(H5Acreate2(id(), name.c_str(), H5T_NATIVE_INT64, space.get(), H5P_DEFAULT, H5P_DEFAULT),
            "cannot create attribute '" + name + "'"),
      H5Aclose);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), "cannot write attribute '" + name + "'");
}

void Object::setAttribute(const std::string& name, const std::vector<double>& values) {
  silenceErrorPrinting();
  replaceAttribute(id(), name);
  Handle space;
  if (values.size() == 1) {
    space = scalarSpace();
  } else {
    const hsize_t n = values.size();
    space = Handle(check(H5Screate_simple(1, &n, nullptr), "cannot create a dataspace"), H5Sclose);
  }
  Handle attr(check(H5Acreate2(id(), name.c_str(), H5T_NATIVE_DOUBLE, space.get(), H5P_DEFAULT,
                               H5P_DEFAULT),
                    "cannot create attribute '" + name + "'"),
              H5Aclose);
  check(H5Awrite(attr.get(), H5T_NATIVE_DOUBLE, values.data()),
        "cannot write attribute '" + name + "'");
}

std::string Object::stringAttribute(const std::string& name) const {
  Handle attr = openAttribute(id(), name);
  Handle type = stringType();
  char* data = nullptr;
  check(H5Aread(attr.get(), type.get(), &data), "cannot read attribute '" + name + "'");
  std::string value = data ? data : "";
  H5free_memory(data);
  return value;
}

double Object::doubleAttribute(const std::string& name) const {
  const auto v = doublesAttribute(name);
  if (v.empty()) fail("attribute '" + name + "' is empty");
  return v.front();
}

std::int64_t Object::intAttribute(const std::string& name) const {
  Handle attr = openAttribute(id(), name);
  std::int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), "cannot read attribute '" + name + "'");
  return value;
}

std::vector<double> Object::doublesAttribute(const std::string& name) const {
  Handle attr = openAttribute(id(), name);
  Handle space(check(H5Aget_space(attr.get()), "cannot get attribute space"), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) fail("cannot size attribute '" + name + "'");
  std::vector<double> values(static_cast<std::size_t>(n));
  check(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, values.data()),
        "cannot read attribute '" + name + "'");
  return values;
}

// --- datasets ---

std::uint64_t Dataset::rows() const { return extent(id())[0]; }
std::uint64_t Dataset::columns() const { return extent(id())[1]; }

template <typename T>
void Dataset::append(const T* data, std::uint64_t rows) {
  silenceErrorPrinting();
  if (rows == 0) return;
  const int rank = rankOf(id());
  auto dims = extent(id());
  const hsize_t start[2] = {dims[0], 0};
  const hsize_t count[2] = {rows, dims[1]};
  hsize_t grown[2] = {dims[0] + rows, dims[1]};
  check(H5Dset_extent(id(), grown), "cannot extend a dataset");
  Handle fileSpace = dataspaceOf(id());
  check(H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
        "cannot select rows");
  Handle memSpace(check(H5Screate_simple(rank, count, nullptr), "cannot create a dataspace"),
                  H5Sclose);
  check(H5Dwrite(id(), nativeType<T>(), memSpace.get(), fileSpace.get(), H5P_DEFAULT, data),
        "cannot write rows");
}

void Dataset::resize(std::uint64_t rows) {
  silenceErrorPrinting();
  auto dims = extent(id());
  hsize_t target[2] = {rows, dims[1]};
  check(H5Dset_extent(id(), target), "cannot resize a dataset");
}

std::vector<unsigned char> Dataset::readStoredChunk(std::uint64_t row,
                                                    std::uint32_t& filterMask) const {
  silenceErrorPrinting();
  const hsize_t offset[1] = {row};
  hsize_t size = 0;
  check(H5Dget_chunk_storage_size(id(), offset, &size), "cannot find a storage chunk");
  std::vector<unsigned char> bytes(size);
  check(H5Dread_chunk(id(), H5P_DEFAULT, offset, &filterMask, bytes.data()),
        "cannot read a storage chunk");
  return bytes;
}

void Dataset::writeStoredChunk(std::uint64_t row, const std::vector<unsigned char>& bytes,
                               std::uint32_t filterMask) {
  silenceErrorPrinting();
  const hsize_t offset[1] = {row};
  check(H5Dwrite_chunk(id(), H5P_DEFAULT, filterMask, offset, bytes.size(), bytes.data()),
        "cannot write a storage chunk");
}

void Dataset::appendStoredChunk(std::uint64_t rows, const std::vector<unsigned char>& bytes,
                                std::uint32_t filterMask) {
  silenceErrorPrinting();
  if (rows == 0) return;
  const auto dims = extent(id());
  hsize_t grown[1] = {dims[0] + rows};
  check(H5Dset_extent(id(), grown), "cannot extend a dataset");
  const hsize_t offset[1] = {dims[0]};
  check(H5Dwrite_chunk(id(), H5P_DEFAULT, filterMask, offset, bytes.size(), bytes.data()),
        "cannot write a storage chunk");
}

Pipeline Dataset::pipeline() const {
  silenceErrorPrinting();
  Pipeline p;
  if (rankOf(id()) != 1) return p;
  Handle plist(check(H5Dget_create_plist(id()), "cannot get creation properties"), H5Pclose);
  if (H5Pget_layout(plist.get()) != H5D_CHUNKED) return p;
  hsize_t rows = 0;
  if (H5Pget_chunk(plist.get(), 1, &rows) != 1 || rows == 0) return p;
  p.chunkRows = rows;
  p.elementBytes = typeSize();
  const int filters = H5Pget_nfilters(plist.get());
  if (filters < 0 || filters > 2) return p;
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, values[8] = {};
    std::size_t count = 8;
    const H5Z_filter_t filter = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags,
                                               &count, values, 0, nullptr, nullptr);
    if (filter == H5Z_FILTER_SHUFFLE && !p.shuffle && p.deflate < 0) {
      p.shuffle = true;
      p.shuffleIndex = static_cast<unsigned>(i);
    } else if (filter == H5Z_FILTER_DEFLATE && p.deflate < 0 && count >= 1 && values[0] <= 9) {
      p.deflate = static_cast<int>(values[0]);
      p.deflateIndex = static_cast<unsigned>(i);
    } else {
      return p;  // a pipeline portalscan never creates: left to HDF5
    }
  }
  p.known = true;
  return p;
}

namespace {

/// Adler-32 (RFC 1950, sec. 2.2; zlib's adler32) with SSE2, 16 bytes a step: a = 1 + sum of
/// the bytes, b = sum of the running a's, both mod 65521, reduced every NMAX bytes (5552, zlib's
/// bound for 32-bit sums; 5536 here, a multiple of 16). `adler`: the checksum of the bytes
/// before (1 for none), as zlib's adler32 takes it.
std::uint32_t adler32Sse2(std::uint32_t adler, const unsigned char* p, std::size_t n) {
#if !defined(__SSE2__)
  return static_cast<std::uint32_t>(adler32(adler, p, static_cast<uInt>(n)));  // zlib's own
#else
  constexpr std::uint32_t kBase = 65521;
  constexpr std::size_t kMax = 5552 / 16 * 16;
  std::uint64_t a = adler & 0xffffu, b = adler >> 16;
  const __m128i zero = _mm_setzero_si128();
  const __m128i low = _mm_setr_epi16(16, 15, 14, 13, 12, 11, 10, 9);
  const __m128i high = _mm_setr_epi16(8, 7, 6, 5, 4, 3, 2, 1);
  auto sum = [](__m128i x) {
    alignas(16) std::uint32_t t[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(t), x);
    return std::uint64_t{t[0]} + t[1] + t[2] + t[3];
  };
  while (n >= 16) {
    const std::size_t block = std::min(n, kMax) / 16 * 16;
    n -= block;
    // s1: the bytes' sum; s1s: the sum of s1 before each step (each step adds 16 * it to b);
    // s2: the bytes weighted 16..1 by their place in the step.
    __m128i s1 = zero, s1s = zero, s2 = zero;
    for (std::size_t i = 0; i < block; i += 16, p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      s1s = _mm_add_epi32(s1s, s1);
      s1 = _mm_add_epi32(s1, _mm_sad_epu8(v, zero));
      s2 = _mm_add_epi32(s2, _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(v, zero), low),
                                           _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), high)));
    }
    b = (b + a * block + 16 * sum(s1s) + sum(s2)) % kBase;
    a = (a + sum(s1)) % kBase;
  }
  for (; n > 0; --n) {
    a += *p++;
    b += a;
  }
  return static_cast<std::uint32_t>((b % kBase) << 16 | (a % kBase));
#endif
}

/// Adler-32 continued over n bytes equal to c: a grows by n c, b by n a + c n (n + 1) / 2
/// (the running sums of RFC 1950, sec. 8.2, in closed form), both mod 65521.
std::uint32_t adler32Constant(std::uint32_t adler, unsigned char c, std::size_t n) {
  constexpr std::uint64_t kBase = 65521;
  const std::uint64_t a = adler & 0xffffu, b = adler >> 16;
  const std::uint64_t m = n % kBase;
  const std::uint64_t triangle = (n % (2 * kBase)) * ((n + 1) % (2 * kBase)) / 2 % kBase;
  const std::uint64_t b2 = (b + m * a + c * triangle) % kBase;
  const std::uint64_t a2 = (a + m * c) % kBase;
  return static_cast<std::uint32_t>(b2 << 16 | a2);
}

/// Whether a byte plane is left uncompressed (a stored deflate block): its order-2 Renyi
/// entropy, estimated from 256 bytes spread over it, is above 7 bits of 8 — fewer than 256
/// pairs of equal bytes among the samples (uniformly random bytes give 127.5 on average; a
/// plane of a few distinct values, or runs, thousands). Such planes are the low mantissa
/// bytes of doubles that vary at full precision: deflate level 1 spent most of its time on
/// them (about 7 ns a byte of literals) and gained little. Deterministic: a function of the
/// plane alone. Planes under 1024 bytes are always compressed.
bool storePlane(const unsigned char* plane, std::size_t n) {
  constexpr std::size_t kSamples = 256;
#ifdef PORTALSCAN_MEASURE_MAX_PAIRS
  constexpr std::uint32_t kMaxPairs = PORTALSCAN_MEASURE_MAX_PAIRS;
#else
  constexpr std::uint32_t kMaxPairs = 256;
#endif
  if (n < 4 * kSamples) return false;
  std::array<std::uint16_t, 256> counts{};
  const std::size_t step = n / kSamples;
  for (std::size_t i = 0; i < kSamples; ++i) ++counts[plane[i * step]];
  std::uint32_t pairs = 0;
  for (const std::uint16_t c : counts) pairs += c * (c - 1u) / 2;
  return pairs < kMaxPairs;
}

/// The shuffle of 8-byte elements (H5Z__filter_shuffle: byte k of element j to k * n + j) for
/// the first `rows` of them, 16 at a time with SSE2: four rounds of byte unpacks transpose the
/// 16 x 8 bytes, each round moving one bit of the row index from the register number into the
/// byte position; plane k ends in register (k & 1) << 2 | (k >> 2 & 1) << 1 | (k >> 1 & 1).
void shuffle8(const unsigned char* src, std::size_t n, std::size_t rows, unsigned char* out) {
  std::size_t j = 0;
#if defined(__SSE2__)
  for (; j + 16 <= rows; j += 16) {
    __m128i v[8], w[8];
    for (int i = 0; i < 8; ++i) {
      v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + j * 8 + 16 * i));
    }
    const auto round = [](const __m128i* in, __m128i* to, int bit) {
      for (int i = 0; i < 8; ++i) {
        if (i >> bit & 1) continue;
        to[i] = _mm_unpacklo_epi8(in[i], in[i | 1 << bit]);
        to[i | 1 << bit] = _mm_unpackhi_epi8(in[i], in[i | 1 << bit]);
      }
    };
    round(v, w, 2);
    round(w, v, 1);
    round(v, w, 0);
    round(w, v, 2);
    for (int k = 0; k < 8; ++k) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k * n + j),
                       v[(k & 1) << 2 | (k >> 2 & 1) << 1 | (k >> 1 & 1)]);
    }
  }
#endif
  for (; j < rows; ++j) {
    for (std::size_t k = 0; k < 8; ++k) out[k * n + j] = src[j * 8 + k];
  }
}

/// One raw-deflate stream per thread (zlib, window 2^15, memLevel 8), reset for each chunk:
/// no allocation and no 256 kB hash-table set-up per chunk, as compress2 did.
struct DeflateState {
  z_stream stream{};
  int level = -1;
  ~DeflateState() {
    if (level >= 0) deflateEnd(&stream);
  }
  z_stream* reset(int wanted) {
    if (level != wanted) {
      if (level >= 0) deflateEnd(&stream);
      stream = z_stream{};
      level = -1;
      if (deflateInit2(&stream, wanted, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return nullptr;
      }
      level = wanted;
    } else if (deflateReset(&stream) != Z_OK ||
               deflateParams(&stream, wanted, Z_DEFAULT_STRATEGY) != Z_OK) {
      // deflateReset keeps the level the last chunk's planes left (deflateParams): set it
      // back, or a chunk's bytes would depend on the chunk its thread filtered before.
      return nullptr;
    }
    return &stream;
  }
};

/// Writes DEFLATE bits (RFC 1951, sec. 3.1.1: least significant bit first) into a buffer sized
/// for them by the caller.
struct BitWriter {
  unsigned char* out;
  std::size_t pos = 0;    ///< whole bytes written
  std::uint64_t acc = 0;  ///< bits not yet written, below 8 between calls
  unsigned bits = 0;
  void put(std::uint32_t value, unsigned count) {  // count <= 32
    acc |= static_cast<std::uint64_t>(value) << bits;
    bits += count;
    while (bits >= 8) {
      out[pos++] = static_cast<unsigned char>(acc);
      acc >>= 8;
      bits -= 8;
    }
  }
  void alignToByte() {
    if (bits > 0) put(0, 8 - bits);
  }
};

/// DEFLATE's fixed Huffman codes (RFC 1951, sec. 3.2.6), bit-reversed for BitWriter::put: each
/// literal, and each match length (3-258) and distance (1-258) with its extra bits (sec.
/// 3.2.5) as one value to put.
struct FixedCodes {
  struct Code {
    std::uint32_t value = 0;
    unsigned bits = 0;
  };
  std::array<Code, 256> literal{};
  Code endOfBlock;
  std::array<Code, 259> length{};
  std::array<Code, 259> distance{};
  FixedCodes() {
    const auto reversed = [](unsigned code, unsigned n) {
      unsigned r = 0;
      for (unsigned i = 0; i < n; ++i) r |= (code >> i & 1u) << (n - 1 - i);
      return r;
    };
    // Literal/length symbols: 0-143 8 bits from 0x30, 144-255 9 bits from 0x190, 256-279 7 bits
    // from 0, 280-287 8 bits from 0xC0.
    const auto symbol = [&](unsigned v) {
      if (v < 144) return Code{reversed(0x30 + v, 8), 8};
      if (v < 256) return Code{reversed(0x190 + v - 144, 9), 9};
      if (v < 280) return Code{reversed(v - 256, 7), 7};
      return Code{reversed(0xC0 + v - 280, 8), 8};
    };
    for (unsigned v = 0; v < 256; ++v) literal[v] = symbol(v);
    endOfBlock = symbol(256);
    static constexpr std::array<unsigned, 29> lengthBase{
        3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
        31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::array<unsigned, 29> lengthExtra{
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::array<unsigned, 17> distanceBase{1,  2,  3,  4,  5,  7,   9,   13, 17,
                                                           25, 33, 49, 65, 97, 129, 193, 257};
    static constexpr std::array<unsigned, 17> distanceExtra{0, 0, 0, 0, 1, 1, 2, 2, 3,
                                                            3, 4, 4, 5, 5, 6, 6, 7};
    for (unsigned len = 3; len <= 258; ++len) {
      unsigned c = 28;
      while (lengthBase[c] > len) --c;
      const Code s = symbol(257 + c);
      length[len] = {s.value | (len - lengthBase[c]) << s.bits, s.bits + lengthExtra[c]};
    }
    for (unsigned d = 1; d <= 258; ++d) {
      unsigned c = 16;
      while (distanceBase[c] > d) --c;
      distance[d] = {reversed(c, 5) | (d - distanceBase[c]) << 5, 5 + distanceExtra[c]};
    }
  }
};

constexpr std::size_t kMaxPeriod = 258;  ///< the longest match: one match repeats a period

/// The period q (1-258) of a byte plane, plane[j + q] == plane[j] for every j, or 0: 1 for a
/// constant plane (a fixed parameter, a column of NaN, a verdict the same on the whole chunk),
/// else the first q whose first 16 bytes repeat the plane's and whose whole shift does, among
/// at most 4 such candidates (a grid's parameters and the observables of its inner axes: the
/// quick start's planes have periods 5, 200 and, in the index, 256). Planes under 1024 bytes:
/// 0, as storePlane. Deterministic: a function of the plane alone.
std::size_t periodOf(const unsigned char* p, std::size_t n) {
  if (n < 1024) return 0;
  if (std::memcmp(p, p + 1, n - 1) == 0) return 1;
  int candidates = 0;
#if defined(__SSE2__)
  const __m128i first = _mm_set1_epi8(static_cast<char>(p[0]));
  const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  for (std::size_t base = 2; base <= kMaxPeriod; base += 16) {
    auto mask = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + base)), first)));
    while (mask != 0) {
      const std::size_t q = base + static_cast<std::size_t>(__builtin_ctz(mask));
      mask &= mask - 1;
      if (q > kMaxPeriod) break;
      const __m128i at = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + q));
      if (_mm_movemask_epi8(_mm_cmpeq_epi8(at, head)) != 0xffff) continue;
      if (std::memcmp(p, p + q, n - q) == 0) return q;
      if (++candidates == 4) return 0;
    }
  }
#else
  for (std::size_t q = 2; q <= kMaxPeriod; ++q) {
    if (p[q] != p[0] || std::memcmp(p, p + q, 16) != 0) continue;
    if (std::memcmp(p, p + q, n - q) == 0) return q;
    if (++candidates == 4) return 0;
  }
#endif
  return 0;
}

/// Whether a byte plane is a few long runs of equal bytes: at most n / 64 places where a byte
/// differs from the one before (the exponent bytes of slowly varying observables, a status
/// or verdict that changes a few times in a chunk). zlib's level 1 gained a few bytes a plane
/// over putPeriodic's literal and distance-1 matches per run, at about 5 ns a byte. Planes
/// under 1024 bytes: false, as storePlane.
bool fewRuns(const unsigned char* p, std::size_t n) {
  if (n < 1024) return false;
  const std::size_t limit = n / 64;
  std::size_t changes = 0, j = 0;
#if defined(__SSE2__)
  for (; j + 17 <= n; j += 16) {
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j + 1));
    changes += static_cast<std::size_t>(__builtin_popcount(
        ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(a, b))) & 0xffffu));
    if (changes > limit) return false;
  }
#endif
  for (; j + 1 < n; ++j) changes += p[j] != p[j + 1];
  return changes <= limit;
}

/// The length of the run of bytes equal to v from p[i], up to p[end].
std::size_t runFrom(const unsigned char* p, std::size_t i, std::size_t end, unsigned char v) {
  std::size_t j = i;
#if defined(__SSE2__)
  const __m128i b = _mm_set1_epi8(static_cast<char>(v));
  for (; j + 16 <= end; j += 16) {
    const auto equal = static_cast<unsigned>(_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + j)), b)));
    if (equal != 0xffffu) return j + static_cast<std::size_t>(__builtin_ctz(~equal)) - i;
  }
#endif
  while (j < end && p[j] == v) ++j;
  return j - i;
}

/// A plane of period q (q = n: a plane of few runs) as fixed-Huffman symbols (into an open
/// block): its first period as literals, runs of three or more equal bytes in it as matches
/// at distance 1, and the rest as matches at distance q, 258 bytes each.
void putPeriodic(BitWriter& w, const FixedCodes& codes, const unsigned char* p, std::size_t n,
                 std::size_t q) {
  std::size_t i = 0;
  while (i < q) {
    const std::size_t run = i > 0 ? runFrom(p, i, std::min(q, i + kMaxPeriod), p[i - 1]) : 0;
    if (run >= 3) {
      w.put(codes.length[run].value, codes.length[run].bits);
      w.put(codes.distance[1].value, codes.distance[1].bits);
      i += run;
    } else {
      w.put(codes.literal[p[i]].value, codes.literal[p[i]].bits);
      ++i;
    }
  }
  if (q >= n) return;
  std::size_t rest = n - i;
  const FixedCodes::Code distance = codes.distance[q];
  while (rest >= 3) {
    std::size_t len = std::min(kMaxPeriod, rest);
    if (rest - len == 1 || rest - len == 2) len = rest - 3;  // no match under 3 bytes
    w.put(codes.length[len].value, codes.length[len].bits);
    w.put(distance.value, distance.bits);
    rest -= len;
    i += len;
  }
  for (; rest > 0; --rest, ++i) w.put(codes.literal[p[i]].value, codes.literal[p[i]].bits);
}

/// Stored blocks (RFC 1951, sec. 3.2.4) of a plane, 65535 bytes at most each.
void putStored(BitWriter& w, const unsigned char* p, std::size_t n, bool final) {
  do {
    const std::size_t len = std::min<std::size_t>(n, 65535);
    n -= len;
    w.put(final && n == 0 ? 1 : 0, 3);  // BFINAL, BTYPE 00
    w.alignToByte();
    w.put(static_cast<std::uint32_t>(len) | static_cast<std::uint32_t>(~len & 0xffff) << 16, 32);
    std::memcpy(w.out + w.pos, p, len);
    w.pos += len;
    p += len;
  } while (n > 0);
}

/// The zlib stream (RFC 1950) of `plain` as `planes` byte planes of `n` bytes: a zlib header,
/// the planes in one DEFLATE stream, and the Adler-32 of `plain`. Each plane is, by what it
/// holds (a function of the plane alone, so that files are the same for any thread count):
/// - periodic (periodOf: constant, or repeating every 2-258 bytes): fixed-Huffman symbols
///   written here (putPeriodic), a few dozen bytes, where zlib's match finder spent 4-5 ns a
///   byte on them;
/// - random-looking (storePlane): stored blocks, verbatim;
/// - else deflated by zlib at `level`.
/// The planes before the first and after the last deflated plane are written here; those from
/// the first to the last deflated one go through one zlib raw-deflate stream as before
/// (stored ones at level 0 through deflateParams), which starts after the bits written before
/// it (deflatePrime) and ends, when planes written here follow, with a sync flush (an empty
/// stored block). zlib's matches reach back only into what it was given, so its distances
/// hold in the whole stream. A chunk with no periodic or random plane is HDF5's own bytes.
/// False when the stream is over `capacity` bytes (HDF5's filter then fails too).
bool deflatePlanes(const unsigned char* plain, std::size_t planes, std::size_t n, int level,
                   std::vector<unsigned char>& out, std::size_t capacity) {
  static const FixedCodes codes;
  static thread_local DeflateState state;
  static thread_local std::vector<unsigned char> buffer;
  if (capacity < 6) return false;
  enum class Kind : unsigned char { Deflated, Stored, Periodic };
  constexpr std::size_t kMaxPlanes = 16;
  if (planes > kMaxPlanes) return false;
  std::array<Kind, kMaxPlanes> kind{};
  std::array<std::size_t, kMaxPlanes> period{};
  std::size_t first = planes, last = 0;
  for (std::size_t k = 0; k < planes; ++k) {
    const unsigned char* plane = plain + k * n;
    // Constant, else random-looking, else periodic (the search only for the planes left).
    const bool constant = n >= 1024 && std::memcmp(plane, plane + 1, n - 1) == 0;
    if (constant) {
      kind[k] = Kind::Periodic;
      period[k] = 1;
    } else if (storePlane(plane, n)) {
      kind[k] = Kind::Stored;
    } else {
      period[k] = periodOf(plane, n);
      if (period[k] == 0 && fewRuns(plane, n)) period[k] = n;
      kind[k] = period[k] > 0 ? Kind::Periodic : Kind::Deflated;
    }
    if (kind[k] == Kind::Deflated) {
      first = std::min(first, k);
      last = k;
    }
  }
  // Room for any plane written here (fixed Huffman: at most 9 bits a byte) and zlib's part.
  buffer.resize(std::max(buffer.size(), capacity + planes * (n + n / 8 + 16) + 64));
  unsigned char* o = buffer.data();
  // CMF 0x78 (deflate, 32 kB window) and FLG with zlib's level hint and the check bits.
  const unsigned hint = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
  const unsigned header = 0x7800u | hint << 6;
  o[0] = 0x78;
  o[1] = static_cast<unsigned char>((header + 31 - header % 31) & 0xff);
  BitWriter w{o + 2};
  // Planes k in [from, to) written here, consecutive periodic ones in one fixed-Huffman block.
  const auto writeHere = [&](std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to;) {
      const unsigned char* plane = plain + k * n;
      if (kind[k] == Kind::Stored) {
        putStored(w, plane, n, k + 1 == planes);
        ++k;
        continue;
      }
      std::size_t end = k;
      while (end < to && kind[end] != Kind::Stored) ++end;
      w.put(end == planes ? 3 : 2, 3);  // BFINAL on the last plane's block, BTYPE 01
      for (; k < end; ++k) putPeriodic(w, codes, plain + k * n, n, period[k]);
      w.put(codes.endOfBlock.value, codes.endOfBlock.bits);
    }
  };
  if (first == planes) {
    writeHere(0, planes);
  } else {
    writeHere(0, first);
    z_stream* z = state.reset(level);
    if (!z) return false;
    if (w.bits > 0 && deflatePrime(z, static_cast<int>(w.bits), static_cast<int>(w.acc)) != Z_OK)
      return false;
    unsigned char* zlibStart = w.out + w.pos;
    const std::size_t room = buffer.size() - static_cast<std::size_t>(zlibStart - o) - 4;
    z->next_out = zlibStart;
    z->avail_out = static_cast<uInt>(std::min<std::size_t>(room, capacity));
    int current = level;
    for (std::size_t k = first; k <= last; ++k) {
      const int wanted = kind[k] == Kind::Stored ? 0 : level;
      if (wanted != current) {
        if (deflateParams(z, wanted, Z_DEFAULT_STRATEGY) != Z_OK) return false;
        current = wanted;
      }
      const bool end = k == last;
      const int flush = !end ? Z_NO_FLUSH : last + 1 == planes ? Z_FINISH : Z_SYNC_FLUSH;
      z->next_in = const_cast<unsigned char*>(plain + k * n);
      z->avail_in = static_cast<uInt>(n);
      const int result = deflate(z, flush);
      if (result != (flush == Z_FINISH ? Z_STREAM_END : Z_OK)) return false;
      if (z->avail_in != 0 || (flush == Z_SYNC_FLUSH && z->avail_out == 0)) return false;
    }
    w = BitWriter{o + 2};
    w.pos = static_cast<std::size_t>(z->next_out - w.out);
    writeHere(last + 1, planes);
  }
  w.alignToByte();  // (a final fixed block's last bits)
  std::size_t size = 2 + w.pos;
  if (size + 4 > capacity) return false;
  std::uint32_t check = 1;
  for (std::size_t k = 0; k < planes; ++k) {
    check = period[k] == 1 ? adler32Constant(check, plain[k * n], n)
                           : adler32Sse2(check, plain + k * n, n);
  }
  for (int i = 3; i >= 0; --i) o[size++] = static_cast<unsigned char>(check >> (8 * i));
  out.assign(o, o + size);
  return true;
}

}  // namespace

std::uint32_t encodeChunk(const Pipeline& pipeline, const void* data, std::uint64_t rows,
                          std::vector<unsigned char>& out, std::vector<unsigned char>& scratch) {
  const std::size_t e = pipeline.elementBytes;
  const std::size_t n = static_cast<std::size_t>(pipeline.chunkRows);
  const std::size_t bytes = n * e;
  // The whole chunk, its rows past `rows` zero (HDF5's default fill value).
  std::vector<unsigned char>& plain = pipeline.deflate >= 0 ? scratch : out;
  plain.resize(bytes);
  const auto* src = static_cast<const unsigned char*>(data);
  const std::size_t used = static_cast<std::size_t>(rows) * e;
  const bool shuffled = pipeline.shuffle && e > 1 && n > 1;
  if (!shuffled) {
    std::memcpy(plain.data(), src, used);
    std::memset(plain.data() + used, 0, bytes - used);
  } else {
    // H5Z__filter_shuffle: byte k of element j goes to k * n + j (the rows past `rows` are
    // zero, so each byte plane is zero from `rows` on).
    if (e == 8) shuffle8(src, n, static_cast<std::size_t>(rows), plain.data());
    for (std::size_t k = 0; k < e; ++k) {
      unsigned char* plane = plain.data() + k * n;
      if (e != 8) {
        for (std::size_t j = 0; j < rows; ++j) plane[j] = src[j * e + k];
      }
      std::memset(plane + rows, 0, n - static_cast<std::size_t>(rows));
    }
  }
  if (pipeline.deflate < 0) return 0;
  // HDF5's deflate filter (H5Z__filter_deflate) compresses into DEFLATE_SIZE_ADJUST(nbytes) =
  // ceil(nbytes * 1.001f) + 12 bytes and, if that fails, skips the optional filter (its bit in
  // the mask): the same bound and the same fallback here.
  const auto capacity =
      static_cast<std::size_t>(std::ceil(static_cast<double>(bytes) * double{1.001F}) + 12);
  bool ok = false;
  if (pipeline.deflate == 0) {
    // Level 0 (never created by portalscan): zlib's own stored blocks, as HDF5 writes them.
    uLongf size = static_cast<uLongf>(capacity);
    out.resize(size);
    ok = compress2(out.data(), &size, plain.data(), static_cast<uLong>(bytes), 0) == Z_OK;
    if (ok) out.resize(size);
  } else {
    // Byte planes the shuffle made (one, unshuffled), each deflated or stored (storePlane).
    ok = deflatePlanes(plain.data(), shuffled ? e : 1, shuffled ? n : bytes, pipeline.deflate, out,
                       capacity);
  }
  if (ok) return 0;
  out.assign(plain.begin(), plain.end());
  return std::uint32_t{1} << pipeline.deflateIndex;
}

namespace {

/// A dataset's chunk shape and filter pipeline (id, flags, parameters of each).
std::vector<std::uint64_t> storageOf(hid_t dataset) {
  Handle plist(check(H5Dget_create_plist(dataset), "cannot get creation properties"), H5Pclose);
  std::vector<std::uint64_t> d;
  if (H5Pget_layout(plist.get()) != H5D_CHUNKED) return d;
  hsize_t dims[2] = {0, 0};
  const int rank = H5Pget_chunk(plist.get(), 2, dims);
  d.insert(d.end(), {static_cast<std::uint64_t>(rank), dims[0], dims[1]});
  const int filters = H5Pget_nfilters(plist.get());
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0, values[8] = {};
    std::size_t count = 8;
    const H5Z_filter_t id = H5Pget_filter2(plist.get(), static_cast<unsigned>(i), &flags, &count,
                                           values, 0, nullptr, nullptr);
    d.insert(d.end(), {static_cast<std::uint64_t>(id), flags, count});
    for (std::size_t k = 0; k < std::min<std::size_t>(count, 8); ++k) d.push_back(values[k]);
  }
  return d;
}

}  // namespace

bool Dataset::storesLike(const Dataset& other) const {
  if (rankOf(id()) != 1 || rankOf(other.id()) != 1) return false;
  const std::vector<std::uint64_t> mine = storageOf(id());
  if (mine.empty() || mine != storageOf(other.id())) return false;
  Handle a(check(H5Dget_type(id()), "cannot get a type"), H5Tclose);
  Handle b(check(H5Dget_type(other.id()), "cannot get a type"), H5Tclose);
  return H5Tequal(a.get(), b.get()) > 0;
}

template <typename T>
std::vector<T> Dataset::read() const {
  silenceErrorPrinting();
  return read<T>(0, rows());
}

template <typename T>
std::vector<T> Dataset::read(std::uint64_t begin, std::uint64_t end) const {
  silenceErrorPrinting();
  const auto dims = extent(id());
  if (end > dims[0] || begin > end) fail("row range out of bounds");
  std::vector<T> out((end - begin) * dims[1]);
  if (out.empty()) return out;
  const int rank = rankOf(id());
  const hsize_t start[2] = {begin, 0};
  const hsize_t count[2] = {end - begin, dims[1]};
  Handle fileSpace = dataspaceOf(id());
  check(H5Sselect_hyperslab(fileSpace.get(), H5S_SELECT_SET, start, nullptr, count, nullptr),
        "cannot select rows");
  Handle memSpace(check(H5Screate_simple(rank, count, nullptr), "cannot create a dataspace"),
                  H5Sclose);
  check(H5Dread(id(), nativeType<T>(), memSpace.get(), fileSpace.get(), H5P_DEFAULT, out.data()),
        "cannot read rows");
  return out;
}

H5T_class_t Dataset::typeClass() const {
  Handle t(check(H5Dget_type(id()), "cannot get a dataset type"), H5Tclose);
  return H5Tget_class(t.get());
}

std::size_t Dataset::typeSize() const {
  Handle t(check(H5Dget_type(id()), "cannot get a dataset type"), H5Tclose);
  return H5Tget_size(t.get());
}

bool Dataset::typeSigned() const {
  Handle t(check(H5Dget_type(id()), "cannot get a dataset type"), H5Tclose);
  return H5Tget_sign(t.get()) == H5T_SGN_2;
}

template void Dataset::append<double>(const double*, std::uint64_t);
template void Dataset::append<std::uint8_t>(const std::uint8_t*, std::uint64_t);
template void Dataset::append<std::int8_t>(const std::int8_t*, std::uint64_t);
template void Dataset::append<std::uint64_t>(const std::uint64_t*, std::uint64_t);
template std::vector<double> Dataset::read<double>() const;
template std::vector<std::uint8_t> Dataset::read<std::uint8_t>() const;
template std::vector<std::int8_t> Dataset::read<std::int8_t>() const;
template std::vector<std::uint64_t> Dataset::read<std::uint64_t>() const;
template std::vector<double> Dataset::read<double>(std::uint64_t, std::uint64_t) const;
template std::vector<std::uint8_t> Dataset::read<std::uint8_t>(std::uint64_t, std::uint64_t) const;
template std::vector<std::int8_t> Dataset::read<std::int8_t>(std::uint64_t, std::uint64_t) const;
template std::vector<std::uint64_t> Dataset::read<std::uint64_t>(std::uint64_t,
                                                                 std::uint64_t) const;

// --- groups ---

Group Group::createGroup(const std::string& name) {
  silenceErrorPrinting();
  return Group(Handle(check(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                            "cannot create group '" + name + "'"),
                      H5Gclose));
}

Group Group::openGroup(const std::string& name) const {
  silenceErrorPrinting();
  return Group(
      Handle(check(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "cannot open group '" + name + "'"),
             H5Gclose));
}

bool Group::contains(const std::string& name) const {
  const htri_t exists = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
  if (exists < 0) fail("cannot look up '" + name + "'");
  return exists > 0;
}

std::vector<std::string> Group::members() const {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  check(H5Literate(id(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect, &names),
        "cannot list a group");
  return names;
}

template <typename T>
Dataset Group::createDataset(const std::string& name, std::uint64_t chunkRows, int compression,
                             std::uint64_t columns) {
  silenceErrorPrinting();
  const int rank = columns == 1 ? 1 : 2;
  const hsize_t dims[2] = {0, columns};
  const hsize_t maxDims[2] = {H5S_UNLIMITED, columns};
  const hsize_t chunk[2] = {chunkRows, columns};
  Handle space(check(H5Screate_simple(rank, dims, maxDims), "cannot create a dataspace"), H5Sclose);
  Handle plist(check(H5Pcreate(H5P_DATASET_CREATE), "cannot create a property list"), H5Pclose);
  check(H5Pset_chunk(plist.get(), rank, chunk), "cannot set chunking");
  if (compression > 0) {
    check(H5Pset_shuffle(plist.get()), "cannot set the shuffle filter");
    check(H5Pset_deflate(plist.get(), static_cast<unsigned>(compression)),
          "cannot set gzip compression");
  }
  return Dataset(Handle(check(H5Dcreate2(id(), name.c_str(), nativeType<T>(), space.get(),
                                         H5P_DEFAULT, plist.get(), H5P_DEFAULT),
                              "cannot create dataset '" + name + "'"),
                        H5Dclose));
}

template Dataset Group::createDataset<double>(const std::string&, std::uint64_t, int,
                                              std::uint64_t);
template Dataset Group::createDataset<std::uint8_t>(const std::string&, std::uint64_t, int,
                                                    std::uint64_t);
template Dataset Group::createDataset<std::int8_t>(const std::string&, std::uint64_t, int,
                                                   std::uint64_t);
template Dataset Group::createDataset<std::uint64_t>(const std::string&, std::uint64_t, int,
                                                     std::uint64_t);

Dataset Group::openDataset(const std::string& name) const {
  silenceErrorPrinting();
  return Dataset(
      Handle(check(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "cannot open dataset '" + name + "'"),
             H5Dclose));
}

// --- files ---

File File::create(const std::string& path, bool overwrite) {
  namespace fs = std::filesystem;
  silenceErrorPrinting();
  File f;
  f.path_ = path;
  std::error_code ec;
  if (overwrite && fs::exists(path, ec)) {
    // Nothing touches an existing file before its lock is held (a running scan
    // or a reader keeps it: InputError, the file as it was); the replacement is
    // created beside it and renamed over it by commitCreation() once it is whole,
    // so a failure before then leaves the old file as it was.
    const fs::path target = fs::is_symlink(path) ? fs::canonical(path) : fs::path(path);
    auto lock = std::make_unique<WriteLock>(target.string());
    const fs::path fresh = target.parent_path() / ("." + target.filename().string() + ".new-" +
                                                   std::to_string(::getpid()));
    fs::remove(fresh, ec);
    const hid_t id = H5Fcreate(fresh.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (id < 0) {
      fs::remove(fresh, ec);
      checkOpen(id, fresh.string(), "cannot create the replacement '" + fresh.string() + "'");
    }
    f.file_ = Handle(id, H5Fclose);
    f.pending_.fresh = fresh.string();
    f.pending_.target = target.string();
    f.pending_.lock = std::move(lock);
  } else {
    f.file_ = Handle(checkOpen(H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT),
                               path, "cannot create '" + path + "'"),
                     H5Fclose);
  }
  f.root_ =
      Group(Handle(check(H5Gopen2(f.file_.get(), "/", H5P_DEFAULT), "cannot open '/'"), H5Gclose));
  return f;
}

void File::commitCreation() {
  if (pending_.fresh.empty()) return;
  std::error_code ec;
  std::filesystem::rename(pending_.fresh, pending_.target, ec);
  if (ec) throw IoError("cannot replace '" + path_ + "': " + ec.message());
  pending_.fresh.clear();
  pending_.lock.reset();
}

File::Pending::Pending(Pending&& other) noexcept
    : fresh(std::move(other.fresh)), target(std::move(other.target)), lock(std::move(other.lock)) {
  other.fresh.clear();
}

File::Pending& File::Pending::operator=(Pending&& other) noexcept {
  if (this != &other) {
    fresh = std::move(other.fresh);
    target = std::move(other.target);
    lock = std::move(other.lock);
    other.fresh.clear();
  }
  return *this;
}

File::Pending::~Pending() {
  // A replacement that never made it: the old file stays, the temporary goes.
  if (!fresh.empty()) {
    std::error_code ec;
    std::filesystem::remove(fresh, ec);
  }
}

File File::open(const std::string& path, Mode mode) {
  silenceErrorPrinting();
  File f;
  f.path_ = path;
  // A reader does not take HDF5's file lock, so that a running scan can be
  // looked at (portalscan info); writers still lock, so two never write at once.
  Handle access(check(H5Pcreate(H5P_FILE_ACCESS), "cannot create a property list"), H5Pclose);
  if (mode == Mode::ReadOnly) {
    check(H5Pset_file_locking(access.get(), false, true), "cannot configure file locking");
  }
  f.file_ =
      Handle(checkOpen(H5Fopen(path.c_str(), mode == Mode::ReadOnly ? H5F_ACC_RDONLY : H5F_ACC_RDWR,
                               access.get()),
                       path, "cannot open '" + path + "'"),
             H5Fclose);
  f.root_ =
      Group(Handle(check(H5Gopen2(f.file_.get(), "/", H5P_DEFAULT), "cannot open '/'"), H5Gclose));
  return f;
}

int File::descriptor() const {
  void* handle = nullptr;
  check(H5Fget_vfd_handle(file_.get(), H5P_DEFAULT, &handle), "cannot get the file descriptor");
  return *static_cast<int*>(handle);
}

void File::reserve(std::uint64_t bytes) {
  const int fd = descriptor();
  struct stat st {};
  if (fstat(fd, &st) != 0) throw IoError("cannot stat '" + path_ + "': " + std::strerror(errno));
  const auto mb = [](std::uint64_t b) { return std::to_string((b + 999999) / 1000000) + " MB"; };
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  struct rlimit limit {};
  if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      size + bytes > limit.rlim_cur) {
    throw IoError("cannot write to '" + path_ + "': " + std::strerror(EFBIG) +
                  " (the file-size limit is " + mb(limit.rlim_cur) + "; the next rows need up to " +
                  mb(bytes) + " more)");
  }
  struct statvfs fs {};
  if (fstatvfs(fd, &fs) == 0) {
    const std::uint64_t available = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (available < bytes) {
      throw IoError("cannot write to '" + path_ + "': " + std::strerror(ENOSPC) + " (" +
                    mb(available) + " free; the next rows need up to " + mb(bytes) + ")");
    }
  }
}

void File::flush() {
  silenceErrorPrinting();
  check(H5Fflush(file_.get(), H5F_SCOPE_LOCAL), "cannot flush '" + path_ + "'");
}

void File::sync() {
  silenceErrorPrinting();
  flush();
  if (fdatasync(descriptor()) != 0) {
    throw IoError("cannot sync '" + path_ + "' to disk: " + std::strerror(errno));
  }
}

void File::close() {
  silenceErrorPrinting();
  root_ = Group();
  file_.close();
}

}  // namespace portalscan::scanner::h5
