#pragma once
// Two-way fork/join for kernels (internal). xgrad parallelises only by cutting one piece of work
// into two fixed halves whose boundaries depend on the shape alone, never on the thread count:
// the halves run on two threads when set_num_threads allows it, one after the other otherwise,
// and every result is bitwise the same either way.
#include <cstdint>
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

/// Elementwise work over [0, n): body(begin, end) for two halves on two threads when n is at
/// least min_parallel, one body(0, n) otherwise. The cut is a multiple of 64 elements, so SIMD
/// loops see the same batches either way; bodies must only write their own range.
template <typename Body>
void parallel_range(std::int64_t n, std::int64_t min_parallel, Body&& body) {
  if (n < min_parallel || n < 128) {
    body(std::int64_t{0}, n);
    return;
  }
  const std::int64_t cut = (n / 2 + 63) / 64 * 64;
  run_two_halves([&](int half) {
    if (half == 0)
      body(std::int64_t{0}, cut);
    else
      body(cut, n);
  });
}

/// Row-wise work: body(first_row, last_row) for the two halves of the rows on two threads when
/// the rows hold at least min_parallel elements together, one body(0, rows) otherwise.
template <typename Body>
void parallel_rows(std::int64_t rows, std::int64_t elements_per_row, std::int64_t min_parallel, Body&& body) {
  if (rows < 2 || rows * elements_per_row < min_parallel) {
    body(std::int64_t{0}, rows);
    return;
  }
  const std::int64_t cut = rows / 2;
  run_two_halves([&](int half) {
    if (half == 0)
      body(std::int64_t{0}, cut);
    else
      body(cut, rows);
  });
}

/// Sizes from which splitting pays for the hand-off (~1 µs): cheap arithmetic per element, and
/// transcendental functions (tanh, exp: ~1 ns per element).
constexpr std::int64_t kParallelElements = 1 << 15;
constexpr std::int64_t kParallelTranscendental = 1 << 12;

}  // namespace xg::detail
