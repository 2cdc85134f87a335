#pragma once
#include <cstdint>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

// Rearranging elements (copies into new contiguous tensors), libtorch names.

/// Reverses the order of elements along each dim in `dims`.
Tensor flip(const Tensor& x, const std::vector<std::int64_t>& dims);
/// Rolls elements by shifts[i] along dims[i] (elements leaving one end re-enter at the other);
/// with no dims, x is rolled as if flattened.
Tensor roll(const Tensor& x, const std::vector<std::int64_t>& shifts, const std::vector<std::int64_t>& dims = {});
/// x tiled repeats[i] times along dim i (repeats may have more entries than x has dims).
Tensor repeat(const Tensor& x, const std::vector<std::int64_t>& repeats);
/// repeat, padding repeats with leading 1s when x has more dims (torch::tile).
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps);
/// Lower / upper triangle of the last two dims (elements above / below diagonal k zeroed).
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);
/// 1-D x: the square matrix with x on diagonal k; 2-D x: its k-th diagonal as 1-D.
Tensor diag(const Tensor& x, std::int64_t diagonal = 0);
/// torch::constant_pad_nd / F::pad(mode = constant): pad = {last_left, last_right,
/// second_last_left, ...}; negative amounts crop.
Tensor constant_pad_nd(const Tensor& x, const std::vector<std::int64_t>& pad, double value = 0.0);
/// Moves dim `source` to position `destination` (the others keep their order).
Tensor movedim(const Tensor& x, std::int64_t source, std::int64_t destination);
/// Transpose of a ≤ 2-D tensor (0-D and 1-D are returned as they are); 3-D and more throw.
Tensor t(const Tensor& x);

}  // namespace xg
