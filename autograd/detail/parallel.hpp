#pragma once
// Intra-op parallelism (internal). A kernel cuts its work into blocks whose boundaries depend on
// the shape alone, never on the thread count, and oneTBB threads take whole blocks. Every block
// is computed by the same code over the same range whichever thread runs it, so results are
// bitwise the same for 1, 2, 3 or 64 threads (tests/test_backend_threads.cpp checks 1–16).
#include <algorithm>
#include <cstdint>
#include <utility>

namespace xg::detail {

/// Runs fn(ctx, b) for every block b in [0, blocks) on up to get_num_threads() threads, the
/// calling one included, and never more threads than the CPUs this process may use (one in a
/// forked child: oneTBB's workers do not survive fork). An exception thrown by a block cancels
/// the blocks not yet started and is rethrown here.
void run_blocks(std::int64_t blocks, void (*fn)(void* ctx, std::int64_t block), void* ctx);

/// The same for a callable: block(b) for b in [0, blocks).
template <typename Block>
void parallel_blocks(std::int64_t blocks, Block&& block) {
  using B = std::remove_reference_t<Block>;
  run_blocks(blocks, [](void* ctx, std::int64_t b) { (*static_cast<B*>(ctx))(b); }, &block);
}

/// Sizes from which cutting a kernel pays for the hand-off to other threads (~1 µs): cheap
/// arithmetic per element, and transcendental functions (tanh, exp: ~1 ns per element).
constexpr std::int64_t kParallelElements = 1 << 15;
constexpr std::int64_t kParallelTranscendental = 1 << 12;
/// At most this many blocks per kernel: enough for 64 threads to share any large kernel, few
/// enough that a block's fixed cost stays negligible.
constexpr std::int64_t kMaxBlocks = 256;

/// The block length for n elements of a kernel worth splitting from min_parallel elements on: an
/// eighth of min_parallel (so the smallest split kernels still feed several threads), more when
/// n would need over kMaxBlocks blocks, and always a multiple of 64 so SIMD loops see the same
/// batches as one pass over [0, n) would.
inline std::int64_t block_length(std::int64_t n, std::int64_t min_parallel) {
  const std::int64_t base = std::max<std::int64_t>(64, min_parallel / 8);
  const std::int64_t spread = (n + kMaxBlocks - 1) / kMaxBlocks;
  return (std::max(base, spread) + 63) / 64 * 64;
}

/// Elementwise work over [0, n): body(begin, end) over fixed blocks on several threads when n is
/// at least min_parallel, one body(0, n) otherwise. Bodies must only write their own range.
template <typename Body>
void parallel_range(std::int64_t n, std::int64_t min_parallel, Body&& body) {
  if (n < min_parallel || n < 128) {
    body(std::int64_t{0}, n);
    return;
  }
  const std::int64_t length = block_length(n, min_parallel);
  parallel_blocks((n + length - 1) / length, [&](std::int64_t b) { body(b * length, std::min(n, (b + 1) * length)); });
}

/// Row-wise work: body(first_row, last_row) over fixed blocks of rows on several threads when the
/// rows hold at least min_parallel elements together, one body(0, rows) otherwise.
template <typename Body>
void parallel_rows(std::int64_t rows, std::int64_t elements_per_row, std::int64_t min_parallel, Body&& body) {
  if (rows < 2 || rows * elements_per_row < min_parallel) {
    body(std::int64_t{0}, rows);
    return;
  }
  const std::int64_t per_row = std::max<std::int64_t>(1, elements_per_row);
  const std::int64_t base = std::max<std::int64_t>(1, min_parallel / 8 / per_row);
  const std::int64_t length = std::max(base, (rows + kMaxBlocks - 1) / kMaxBlocks);
  parallel_blocks((rows + length - 1) / length,
                  [&](std::int64_t b) { body(b * length, std::min(rows, (b + 1) * length)); });
}

}  // namespace xg::detail
