#include "distributed/process_group.hpp"

#include <cstdlib>
#include <exception>
#include <iostream>
#include <stdexcept>

#include "distributed/detail/mpi_context.hpp"

namespace xg::distributed {
using detail::check_mpi;
using detail::mpi_mutex;
using detail::require_initialized;

namespace {
// Programs that never call finalize() still leave MPI cleanly (Open MPI prints a warning and
// exits non-zero when a process ends without MPI_Finalize).
void finalize_at_exit() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
}

// An exception nobody caught on one rank ends the whole job with its message: the other ranks
// may be waiting for this one in a collective, and would otherwise wait forever.
[[noreturn]] void abort_job_on_terminate() {
  std::string what = "terminate called without an active exception";
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what = std::string("uncaught exception: ") + ex.what();
    } catch (...) {
      what = "uncaught exception of a type not derived from std::exception";
    }
  }
  abort(what, 1);
}
}  // namespace

void init() {
  std::lock_guard<std::mutex> lock(mpi_mutex());
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) throw std::logic_error("distributed.init: MPI was already finalized in this process");
  if (initialized) return;
  int provided = 0;
  check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "distributed.init");
  // Errors come back as return codes (turned into exceptions) instead of killing the job.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  std::atexit(finalize_at_exit);
  std::set_terminate(abort_job_on_terminate);
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw std::runtime_error("distributed.init: this MPI library provides thread level " + std::to_string(provided) +
                             "; xgrad needs at least MPI_THREAD_SERIALIZED");
  }
}

bool is_initialized() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

int rank() {
  require_initialized("distributed.rank");
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int world_size() {
  require_initialized("distributed.world_size");
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

void barrier() {
  require_initialized("distributed.barrier");
  std::lock_guard<std::mutex> lock(mpi_mutex());
  check_mpi(MPI_Barrier(MPI_COMM_WORLD), "distributed.barrier");
}

void finalize() {
  require_initialized("distributed.finalize");
  std::lock_guard<std::mutex> lock(mpi_mutex());
  check_mpi(MPI_Finalize(), "distributed.finalize");
}

void abort(const std::string& message, int exit_code) {
  int r = -1;
  if (is_initialized()) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  std::cerr << "xgrad rank " << r << ": " << message << std::endl;
  if (is_initialized()) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace xg::distributed
