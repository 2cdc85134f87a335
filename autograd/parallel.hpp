#pragma once
// Two-way fork/join for kernels (internal). xgrad parallelises only by cutting one piece of work
// into two fixed halves whose boundaries depend on the shape alone, never on the thread count:
// the halves run on two threads when set_num_threads allows it, one after the other otherwise,
// and every result is bitwise the same either way.
#include <utility>

namespace xg::detail {

/// Runs fn(ctx, 0) on the calling thread and fn(ctx, 1) on the helper thread and returns when
/// both are done; runs both here when only one thread is allowed or the helper is busy (another
/// thread of the program is using it). fn must not throw.
void run_two_halves(void (*fn)(void* ctx, int half), void* ctx);

/// The same for a callable: half(0) and half(1).
template <typename Half>
void run_two_halves(Half&& half) {
  using H = std::remove_reference_t<Half>;
  run_two_halves([](void* ctx, int which) { (*static_cast<H*>(ctx))(which); }, &half);
}

}  // namespace xg::detail
