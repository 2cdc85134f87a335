#pragma once
#include <string>

/// xg::distributed: data-parallel training on MPI (built only when CMake finds MPI).
///
/// The process group is MPI_COMM_WORLD of the job that `mpirun -np N` (or Slurm's `srun`)
/// started; a program run without a launcher is a job of one process (MPI's singleton mode).
/// Every collective in this namespace is called by every rank in the same order, as in
/// torch.distributed.
namespace xg::distributed {

/// Joins the job (MPI_Init_thread). A second call is a no-op; a call after finalize() throws.
/// MPI is finalized automatically at normal exit if the program does not call finalize().
void init();
/// True between init() and finalize().
bool is_initialized();
/// This process's rank in [0, world_size()) (torch.distributed.get_rank()).
int rank();
/// Number of processes in the job (torch.distributed.get_world_size()).
int world_size();
/// Waits until every rank has called barrier().
void barrier();
/// Leaves the job (MPI_Finalize); collectives throw afterwards.
void finalize();
/// Prints "xgrad rank R: <message>" to stderr and ends every process of the job with `exit_code`
/// (MPI_Abort): one rank's error never leaves the others waiting in a collective.
[[noreturn]] void abort(const std::string& message, int exit_code = 1);

}  // namespace xg::distributed
