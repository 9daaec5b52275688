#include "portalscan/scanner/cli/Mpi.hpp"

#include "portalscan/physics/Error.hpp"

#include <cstdlib>

#if PORTALSCAN_WITH_MPI
#include <mpi.h>
#endif

namespace portalscan::scanner::mpi {
namespace {

const Session* theSession = nullptr;

#if PORTALSCAN_WITH_MPI
/// Set by the launchers portalscan meets: Open MPI's mpirun, PMI-2 and PMIx
/// (srun, MPICH's hydra).
bool launchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}
#endif

}  // namespace

bool built() { return PORTALSCAN_WITH_MPI != 0; }

Session::Session([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
#if PORTALSCAN_WITH_MPI
  if (!launchedByMpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw Error("the MPI library does not provide MPI_THREAD_SERIALIZED");
  }
  // Errors come back as codes; the MPI run turns them into exceptions.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  active_ = true;
  theSession = this;
#endif
}

Session::~Session() { finalize(); }

void Session::finalize() {
#if PORTALSCAN_WITH_MPI
  if (!active_) return;
  MPI_Finalize();
  active_ = false;
  theSession = nullptr;
#endif
}

const Session* Session::current() { return theSession; }

}  // namespace portalscan::scanner::mpi
