#include "portalscan/physics/Error.hpp"
#include "portalscan/scanner/cli/Cli.hpp"
#include "portalscan/scanner/cli/Mpi.hpp"

#include <malloc.h>

#include <cstdlib>
#include <iostream>
#include <optional>

int main(int argc, char** argv) {
  // HDF5's deflate filter allocates and frees zlib's state (about 256 kB) for
  // every storage chunk it compresses. With glibc's default trim threshold each
  // free hands the pages back to the kernel and the next chunk faults them in
  // again, with TLB shootdowns across the worker threads: 30% of a compressed
  // scan's time (docs/performance.md). Keep freed memory in the process.
  // Setting it also freezes glibc's adaptive mmap threshold at 128 kB, so that
  // every larger buffer (HDF5's, the readers' blocks) would be mapped, faulted
  // in and unmapped again: serve those from the heap too.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  std::optional<portalscan::scanner::mpi::Session> mpi;
  try {
    mpi.emplace(argc, argv);  // MPI, when mpirun or srun started us
  } catch (const portalscan::Error& e) {
    std::cerr << "portalscan: error: " << e.what() << "\n";
    return portalscan::scanner::kExitFailure;
  }
  const int code = portalscan::scanner::runCli(argc, argv, std::cout, std::cerr);
  if (code == portalscan::scanner::kExitFailure) {
    mpi.reset();
    // After a failed write (a full disk) HDF5 cannot close the file, and its
    // exit-time clean-up crashes trying again. The file already holds every
    // committed chunk, as after a hard kill, which --resume handles: leave
    // without HDF5's clean-up.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code);
  }
  return code;
}
