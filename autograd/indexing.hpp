#pragma once
// Indexing as libtorch's torch::indexing: t.index({Slice(1, None), 0, None, Ellipsis, idx, mask})
// and t.index_put_({...}, value). Differentiable in the indexed tensor (and in the written value).
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

namespace indexing {

/// "Nothing here": a missing Slice bound, or (as an index) a new size-1 dim (Python's None).
constexpr std::nullopt_t None = std::nullopt;

/// Python's `...`: as many full slices as the other indices leave dims.
struct EllipsisIndexType {};
constexpr EllipsisIndexType Ellipsis{};

/// Python's start:stop:step; missing bounds are None. Negative bounds count from the end and
/// bounds are clamped as in Python; the step must be positive (as in PyTorch).
class Slice {
 public:
  Slice(std::optional<std::int64_t> start = None, std::optional<std::int64_t> stop = None,
        std::optional<std::int64_t> step = None)
      : start_(start), stop_(stop), step_(step) {}
  std::optional<std::int64_t> start() const { return start_; }
  std::optional<std::int64_t> stop() const { return stop_; }
  std::optional<std::int64_t> step() const { return step_; }

 private:
  std::optional<std::int64_t> start_, stop_, step_;
};

/// One entry of an index list: an integer (removes the dim), a Slice, None (adds a dim),
/// Ellipsis (or "..."), an int64 index tensor or a bool mask tensor (advanced indexing).
class TensorIndex {
 public:
  enum class Kind { None, Ellipsis, Integer, Slice, Tensor };
  TensorIndex(std::nullopt_t) : kind_(Kind::None) {}  // NOLINT: implicit, as in libtorch
  TensorIndex(EllipsisIndexType) : kind_(Kind::Ellipsis) {}  // NOLINT
  TensorIndex(const char* text);  // NOLINT: "..." only
  template <typename I, typename = std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>>>
  TensorIndex(I integer) : kind_(Kind::Integer), integer_(static_cast<std::int64_t>(integer)) {}  // NOLINT
  TensorIndex(Slice slice) : kind_(Kind::Slice), slice_(slice) {}  // NOLINT
  TensorIndex(Tensor tensor) : kind_(Kind::Tensor), tensor_(std::move(tensor)) {}  // NOLINT

  Kind kind() const { return kind_; }
  std::int64_t integer() const { return integer_; }
  const Slice& slice() const { return slice_; }
  const Tensor& tensor() const { return tensor_; }

 private:
  Kind kind_;
  std::int64_t integer_ = 0;
  Slice slice_;
  Tensor tensor_;
};

}  // namespace indexing

/// x.flatten()[index] for an int64 `index` of any shape (torch::take): the result has index's
/// shape; negative indices count from the end. Backward adds the gradient back at those positions.
Tensor take(const Tensor& x, const Tensor& index);

}  // namespace xg
