#include "distributed/detail/mpi_context.hpp"

#include <stdexcept>
#include <string>

namespace xg::distributed::detail {

std::mutex& mpi_mutex() {
  static std::mutex m;
  return m;
}

void require_initialized(const char* op) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    throw std::logic_error(std::string(op) + ": call xg::distributed::init() first" +
                           (finalized ? " (finalize() has already been called)" : ""));
}

void check_mpi(int rc, const char* op) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw std::runtime_error(std::string(op) + ": MPI error: " + std::string(text, static_cast<std::size_t>(length)));
}

MPI_Datatype mpi_type(Dtype dtype) {
  switch (dtype) {
    case kFloat32: return MPI_FLOAT;
    case kFloat64: return MPI_DOUBLE;
    case kInt64: return MPI_INT64_T;
    case kBool: return MPI_C_BOOL;
  }
  throw std::logic_error("xg::distributed: unknown dtype");
}

}  // namespace xg::distributed::detail
