// HDF5 errors are exceptions with one line, on every thread: HDF5's
// thread-safe build keeps its error-printing setting per thread, and a write
// failing on an OpenMP worker printed 40-100 lines of HDF5-DIAG to stderr.

#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/store/Hdf5.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

namespace portalscan::scanner {
namespace {

namespace fs = std::filesystem;

/// What `body` writes to file descriptor 2.
template <class Body>
std::string standardError(const fs::path& capture, const Body& body) {
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  const int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
  body();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::ifstream in(capture);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Hdf5Errors, AFailedWriteOnAnotherThreadPrintsNothing) {
  const fs::path dir =
      fs::temp_directory_path() / ("portalscan-h5err-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "f.h5").string();
  {
    h5::File f = h5::File::create(path, false);  // the main thread's HDF5 calls come first
    f.root().createDataset<double>("x", 16, 0);
    f.close();
  }
  std::string message;
  const std::string printed = standardError(dir / "stderr.txt", [&] {
    std::thread worker([&] {
      h5::File f = h5::File::open(path, h5::File::Mode::ReadOnly);
      h5::Dataset d = f.root().openDataset("x");
      const double row = 1.0;
      try {
        d.append(&row, 1);  // a read-only file: HDF5 refuses the write
      } catch (const IoError& e) {
        message = e.what();
      }
    });
    worker.join();
  });
  fs::remove_all(dir);
  EXPECT_FALSE(message.empty()) << "the write must fail";
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  EXPECT_EQ(printed.find("HDF5-DIAG"), std::string::npos) << printed;
  EXPECT_TRUE(printed.empty()) << printed;
}

}  // namespace
}  // namespace portalscan::scanner
