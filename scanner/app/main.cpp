#include <malloc.h>

#include <cstdlib>
#include <iostream>

#include "portalscan/scanner/Cli.hpp"

int main(int argc, char** argv) {
  // HDF5's deflate filter allocates and frees zlib's state (about 256 kB) for
  // every storage chunk it compresses. With glibc's default trim threshold each
  // free hands the pages back to the kernel and the next chunk faults them in
  // again, with TLB shootdowns across the worker threads: 30% of a compressed
  // scan's time (docs/performance.md). Keep freed memory in the process.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  const int code = portalscan::scanner::runCli(argc, argv, std::cout, std::cerr);
  if (code == portalscan::scanner::kExitFailure) {
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
