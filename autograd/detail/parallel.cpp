#include "autograd/detail/parallel.hpp"

#include <omp.h>
#include <pthread.h>

#include <atomic>
#include <exception>
#include <mutex>

#include "autograd/backend.hpp"

namespace xg::detail {
namespace {

// fork copies only the calling thread: GNU OpenMP's worker pool is gone in the child, and a
// parallel region there can hang. A child runs every kernel on its own thread instead.
std::atomic<bool> forked_child{false};

void mark_forked_child() { forked_child.store(true, std::memory_order_relaxed); }

int threads_for(std::int64_t blocks) {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, mark_forked_child); });
  if (blocks < 2 || omp_in_parallel() || forked_child.load(std::memory_order_relaxed)) return 1;
  return static_cast<int>(std::min<std::int64_t>(get_num_threads(), blocks));
}

}  // namespace

void run_blocks(std::int64_t blocks, void (*fn)(void* ctx, std::int64_t block), void* ctx) {
  const int threads = threads_for(blocks);
  if (threads == 1) {
    for (std::int64_t b = 0; b < blocks; ++b) fn(ctx, b);
    return;
  }
  // An exception must not leave an OpenMP region (that terminates the program): the first one is
  // kept and rethrown on the calling thread once every block has run.
  std::exception_ptr error;
  std::atomic<bool> failed{false};
  // schedule(static): each thread takes one contiguous run of blocks, which keeps neighbouring
  // rows of a product on one core's cache; block boundaries, not the schedule, fix the results.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t b = 0; b < blocks; ++b) {
    try {
      fn(ctx, b);
    } catch (...) {
      if (!failed.exchange(true)) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace xg::detail
