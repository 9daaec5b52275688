#pragma once
/// One thin RAII layer over the HDF5 C API. Every call is checked; a failure
/// becomes an IoError carrying HDF5's own message (its error stack is walked,
/// never printed). Handles close themselves. Only what portalscan needs:
/// files, groups, 1-D (and 2-D) extendible chunked datasets of a few numeric
/// types, and scalar attributes.

#include "portalscan/physics/Error.hpp"

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portalscan::scanner::h5 {

/// An owned hid_t with its close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  ~Handle();

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; a failing close is reported (unlike the destructor's).
  void close();

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Native HDF5 type of a C++ element type.
template <typename T>
hid_t nativeType();

/// Attribute access shared by files' root groups, groups and datasets.
class Object {
 public:
  hid_t id() const { return handle_.get(); }
  bool hasAttribute(const std::string& name) const;
  void setAttribute(const std::string& name, std::string_view value);
  void setAttribute(const std::string& name, double value);
  void setAttribute(const std::string& name, std::int64_t value);
  void setAttribute(const std::string& name, const std::vector<double>& values);
  std::string stringAttribute(const std::string& name) const;
  double doubleAttribute(const std::string& name) const;
  std::int64_t intAttribute(const std::string& name) const;
  std::vector<double> doublesAttribute(const std::string& name) const;

 protected:
  Object() = default;
  explicit Object(Handle h) : handle_(std::move(h)) {}
  Handle handle_;
};

/// How a dataset stores its chunks: what a writer needs to filter a chunk
/// itself into bytes HDF5's pipeline reads (h5::encodeChunk), then hand HDF5 the stored
/// bytes (Dataset::appendStoredChunk). Only the pipelines portalscan creates
/// are `known`: none, deflate, or shuffle then deflate.
struct Pipeline {
  bool known = false;
  std::uint64_t chunkRows = 0;   ///< rows per storage chunk (1-D datasets)
  std::size_t elementBytes = 0;  ///< size of one element
  bool shuffle = false;
  int deflate = -1;           ///< gzip level, -1 without deflate
  unsigned shuffleIndex = 0;  ///< position of each filter in the pipeline (its filter-mask bit)
  unsigned deflateIndex = 0;
};

/// Filters one storage chunk as `pipeline` declares it: `rows` elements of
/// `data` (at most `chunkRows`), the rest of the chunk zero (HDF5's fill of a
/// chunk it allocates), shuffled as H5Zshuffle.c does, then one zlib stream
/// in which each byte plane of the shuffle is stored verbatim (when it looks
/// random: 256 samples with fewer than 256 equal pairs), written as
/// fixed-Huffman literals and matches (when it is constant, periodic with a
/// period up to 258 bytes, or a few runs) or deflated at the pipeline's level
/// exactly as H5Zdeflate.c's compress2 would; a chunk with none of the first
/// two kinds is HDF5's own bytes (docs/hdf5-format.md). As in HDF5, a stream over 1.001 n
/// + 12 bytes skips the optional deflate filter (its bit in the mask).
/// Writes the stored bytes into `out` (resized), returns the filter mask.
/// Deterministic (a function of the rows), thread-safe; `scratch` is the
/// caller's and holds the shuffled chunk afterwards. Requires `pipeline.known`.
std::uint32_t encodeChunk(const Pipeline& pipeline, const void* data, std::uint64_t rows,
                          std::vector<unsigned char>& out, std::vector<unsigned char>& scratch);

class Dataset : public Object {
 public:
  Dataset() = default;
  explicit Dataset(Handle h) : Object(std::move(h)) {}

  /// Rows (first dimension) and columns (second, 1 for a 1-D dataset).
  std::uint64_t rows() const;
  std::uint64_t columns() const;
  /// Appends `rows` rows (row-major, `columns()` values each).
  template <typename T>
  void append(const T* data, std::uint64_t rows);
  /// Shrinks or grows to `rows` rows (resume discards what was not committed).
  void resize(std::uint64_t rows);
  template <typename T>
  std::vector<T> read() const;
  /// Rows [begin, end), row-major.
  template <typename T>
  std::vector<T> read(std::uint64_t begin, std::uint64_t end) const;
  /// The storage chunk of a 1-D dataset that starts at `row`, as stored: its
  /// filtered bytes, and in `filterMask` the filters that were skipped.
  std::vector<unsigned char> readStoredChunk(std::uint64_t row, std::uint32_t& filterMask) const;
  /// Writes such a chunk at `row` (within the extent), bypassing the filters.
  void writeStoredChunk(std::uint64_t row, const std::vector<unsigned char>& bytes,
                        std::uint32_t filterMask);
  /// Extends a 1-D dataset whose length is a multiple of its chunk rows by
  /// `rows` (at most one storage chunk) and writes that chunk as stored bytes
  /// (encodeChunk's), bypassing the filters: the rows a worker thread filtered.
  void appendStoredChunk(std::uint64_t rows, const std::vector<unsigned char>& bytes,
                         std::uint32_t filterMask);
  /// The storage properties of a 1-D chunked dataset (`known` false otherwise).
  Pipeline pipeline() const;
  /// Whether `other` stores its chunks as this one does (equal creation
  /// properties: chunk shape, filters, compression level), so that stored
  /// chunks can be copied from one to the other.
  bool storesLike(const Dataset& other) const;
  /// The HDF5 class of the element type (H5T_FLOAT, H5T_INTEGER) and its size.
  H5T_class_t typeClass() const;
  std::size_t typeSize() const;
  bool typeSigned() const;
};

class Group : public Object {
 public:
  Group() = default;
  explicit Group(Handle h) : Object(std::move(h)) {}

  Group createGroup(const std::string& name);
  Group openGroup(const std::string& name) const;
  bool contains(const std::string& name) const;
  /// Names of the direct members, in creation or alphabetical order (HDF5's index).
  std::vector<std::string> members() const;

  /// An extendible dataset with `columns` columns (1: 1-D), chunked by
  /// `chunkRows` rows, gzip `compression` 0-9 (with shuffle; 0: none).
  template <typename T>
  Dataset createDataset(const std::string& name, std::uint64_t chunkRows, int compression,
                        std::uint64_t columns = 1);
  Dataset openDataset(const std::string& name) const;
};

class File {
 public:
  enum class Mode { ReadOnly, ReadWrite };
  /// Creates a new file; fails if it exists unless `overwrite`. An existing file is replaced
  /// only by commitCreation(): until then the new file is a temporary beside it (removed if
  /// the File goes away uncommitted) and the old one is locked, untouched.
  static File create(const std::string& path, bool overwrite);
  /// Puts a replacement created by create(path, true) in place of the old file.
  void commitCreation();
  static File open(const std::string& path, Mode mode);

  Group& root() { return root_; }
  const Group& root() const { return root_; }
  const std::string& path() const { return path_; }
  /// Pushes every buffer of the file to the operating system (H5Fflush).
  void flush();
  /// Flushes, then waits until the operating system has the file on disk
  /// (fdatasync): what a commit needs to survive a power cut, not just a crash.
  void sync();
  /// Checks that `bytes` more bytes can be written past the end of the file
  /// (the file-size limit, the free space of its file system): a full disk is
  /// an IoError here, before HDF5 writes anything it could leave half done.
  void reserve(std::uint64_t bytes);
  /// Closes the root group and the file, reporting failures.
  void close();

 private:
  int descriptor() const;  ///< the POSIX file descriptor under HDF5's sec2 driver

  /// A replacement not yet renamed over its target, and the lock on the target meanwhile.
  struct Pending {
    std::string fresh;
    std::string target;
    std::unique_ptr<class WriteLock> lock;
    Pending() = default;
    Pending(Pending&& other) noexcept;
    Pending& operator=(Pending&& other) noexcept;
    ~Pending();
  };

  std::string path_;
  Handle file_;
  Group root_;
  Pending pending_;
};

/// The lock HDF5 takes on a file it opens for writing (an exclusive flock),
/// taken without opening the file with HDF5: a file that another process is
/// writing, or that a reader such as h5py holds open, is an InputError. Let it
/// go before this process opens the file for writing (flocks of two
/// descriptors conflict even within one process).
class WriteLock {
 public:
  explicit WriteLock(const std::string& path);
  ~WriteLock();
  WriteLock(const WriteLock&) = delete;
  WriteLock& operator=(const WriteLock&) = delete;

 private:
  int fd_ = -1;
};

/// HDF5 1.10 trusts what it reads: a damaged file can crash it (SIGSEGV in
/// H5HG_read on a corrupt global heap, SIGFPE on a zero chunk dimension) or
/// make it loop for ever. `read` — a read of the file at `path` that writes
/// nothing — is first run in a forked child; if the child dies of a signal,
/// exits abnormally or has not finished in time (a read of the structure: 5 s,
/// 1 s more per 20 MB; of the rows too: 30 s, 1 s more per 2 MB), the file is
/// a DamagedFileError (exit code 2), and the caller never does the read that
/// would take the program down. Otherwise the caller reads it itself (HDF5
/// reads the same bytes the same way): an exception in the child is left to
/// that read to report.
enum class Extent { Structure, Rows };
void confine(const std::string& path, const std::function<void()>& read,
             Extent extent = Extent::Structure);

/// What confine throws.
class DamagedFileError : public InputError {
 public:
  using InputError::InputError;
};

/// Turns HDF5's automatic error printing off once per process (errors are
/// reported through exceptions instead).
void silenceErrorPrinting();

}  // namespace portalscan::scanner::h5
