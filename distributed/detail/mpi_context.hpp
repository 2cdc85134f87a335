#pragma once
#include <mpi.h>

#include <mutex>

#include "autograd/dtype.hpp"

// Internal to xg::distributed: the one lock every MPI call is made under, and error handling.
namespace xg::distributed::detail {

/// Every MPI call of xgrad is made while holding this lock, so the library is correct with any
/// thread level MPI provides from MPI_THREAD_SERIALIZED up (a backward pass may start
/// all-reduces from another thread than the one that waits for them).
std::mutex& mpi_mutex();
/// Throws std::logic_error "<op>: call xg::distributed::init() first" unless initialized.
void require_initialized(const char* op);
/// Throws std::runtime_error "<op>: MPI error: <MPI's text>" when rc is not MPI_SUCCESS.
void check_mpi(int rc, const char* op);
/// The MPI datatype of one element of `dtype`.
MPI_Datatype mpi_type(Dtype dtype);

}  // namespace xg::distributed::detail
