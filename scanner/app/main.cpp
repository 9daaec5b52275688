#include <malloc.h>

#include <iostream>

#include "portalscan/scanner/Cli.hpp"

int main(int argc, char** argv) {
  // HDF5's deflate filter allocates and frees zlib's state (about 256 kB) for
  // every storage chunk it compresses. With glibc's default trim threshold each
  // free hands the pages back to the kernel and the next chunk faults them in
  // again, with TLB shootdowns across the worker threads: 30% of a compressed
  // scan's time (docs/performance.md). Keep freed memory in the process.
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  return portalscan::scanner::runCli(argc, argv, std::cout, std::cerr);
}
