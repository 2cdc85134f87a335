#pragma once
// Walking a tensor "along one dim" (internal): a contiguous row-major tensor seen as
// [outer, n, inner], so line (o, k) is the n elements at o·n·inner + k + i·inner. The scans,
// sorts and gathers of ops_statistics / ops_sort / ops_gather use it.
#include <cstdint>

#include "autograd/shape.hpp"

namespace xg::detail {

struct DimLines {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::int64_t count() const { return outer * inner; }
  /// Offset of element 0 of line `line` (0 ≤ line < count()); its elements are `inner` apart.
  std::int64_t base(std::int64_t line) const { return (line / inner) * n * inner + line % inner; }
};

inline DimLines dim_lines(const Shape& shape, std::int64_t dim) {
  DimLines l;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
    if (d < dim) l.outer *= shape[d];
    else if (d == dim) l.n = shape[d];
    else l.inner *= shape[d];
  }
  return l;
}

/// `shape` with dims `reduced[d]` set to 1 (keepdim = true) or removed.
inline Shape reduced_shape(const Shape& shape, const std::vector<bool>& reduced, bool keepdim) {
  Shape out;
  for (std::size_t d = 0; d < shape.size(); ++d)
    if (!reduced[d]) out.push_back(shape[d]);
    else if (keepdim) out.push_back(1);
  return out;
}

}  // namespace xg::detail
