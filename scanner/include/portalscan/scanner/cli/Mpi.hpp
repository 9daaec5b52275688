#pragma once
/// MPI for `mpirun -n R portalscan run ...` (built with PORTALSCAN_ENABLE_MPI).
/// One Session lives in main(): it initialises MPI only when a launcher
/// (mpirun, srun) started the process, so the same binary runs as a plain
/// program too. Everything else about MPI is private to the scanner library.

namespace portalscan::scanner::mpi {

/// True when this binary was built with MPI.
bool built();

class Session {
 public:
  /// Initialises MPI (threads: serialized) when launched by an MPI launcher.
  Session(int& argc, char**& argv);
  ~Session();  ///< finalises MPI
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Finalises MPI now (before a quick exit); the destructor then does nothing.
  void finalize();

  bool active() const { return active_; }
  int rank() const { return rank_; }
  int size() const { return size_; }

  /// The process's session, or nullptr outside MPI.
  static const Session* current();

 private:
  bool active_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace portalscan::scanner::mpi
