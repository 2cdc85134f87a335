#include "autograd/detail/parallel.hpp"

#include <pthread.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>

#include "autograd/backend.hpp"
#include "autograd/detail/cpu_quota.hpp"

namespace xg::detail {
namespace {

// fork copies only the calling thread: oneTBB's workers are gone in the child, so a child runs
// every kernel on its own thread.
std::atomic<bool> forked_child{false};

// One arena per thread count in use (set_num_threads may change it between calls). Arenas are
// never destroyed: a thread may be inside one at exit, and a forked child must not tear down
// workers it does not have.
tbb::task_arena& arena_with(int threads) {
  static std::mutex mutex;
  static auto* arenas = new std::map<int, tbb::task_arena*>;
  thread_local int last_threads = 0;
  thread_local tbb::task_arena* last = nullptr;
  if (threads == last_threads) return *last;
  std::lock_guard<std::mutex> lock(mutex);
  tbb::task_arena*& arena = (*arenas)[threads];
  if (!arena) arena = new tbb::task_arena(threads);
  last_threads = threads;
  last = arena;
  return *arena;
}

// Threads for a kernel of `blocks` blocks: never more than the blocks, nor than the CPUs this
// process may use (affinity mask and cgroup quota): threads beyond that only take turns on the
// same CPUs, and their switches cost more than they add (bench/RESULTS.md, "Choosing the runtime").
int threads_for(std::int64_t blocks) {
  static const int cpus = [] {
    pthread_atfork(nullptr, nullptr, [] { forked_child.store(true, std::memory_order_relaxed); });
    return std::max(1, available_cpus());
  }();
  if (blocks < 2 || forked_child.load(std::memory_order_relaxed)) return 1;
  return static_cast<int>(std::min<std::int64_t>({get_num_threads(), cpus, blocks}));
}

}  // namespace

void run_blocks(std::int64_t blocks, void (*fn)(void* ctx, std::int64_t block), void* ctx) {
  const int threads = threads_for(blocks);
  if (threads == 1) {
    for (std::int64_t b = 0; b < blocks; ++b) fn(ctx, b);
    return;
  }
  // The calling thread works too, and finishes whatever blocks a descheduled worker has not
  // started (work stealing): a kernel never waits for a thread that is not running, which is what
  // keeps a loaded or shared machine from stalling every step. static_partitioner gives each
  // thread one contiguous run of blocks first (neighbouring rows of a product stay in one cache).
  // An exception in a block cancels the blocks not yet started and is rethrown here.
  arena_with(threads).execute([&] {
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, blocks, 1),
        [&](const tbb::blocked_range<std::int64_t>& range) {
          for (std::int64_t b = range.begin(); b < range.end(); ++b) fn(ctx, b);
        },
        tbb::static_partitioner());
  });
}

}  // namespace xg::detail
