// A job in which rank 1 throws while rank 0 waits in a collective: the job must end (non-zero,
// with rank 1's message), not hang. Driven by the distributed_abort_without_hang test.
#include <stdexcept>

#include "distributed/collectives.hpp"
#include "distributed/process_group.hpp"
#include "xgrad.hpp"

int main() {
  xg::distributed::init();
  if (xg::distributed::rank() == 1) throw std::runtime_error("loss is NaN at step 7");
  xg::Tensor t = xg::zeros({4});
  xg::distributed::all_reduce(t);  // never completes: rank 1 is gone
  return 0;
}
