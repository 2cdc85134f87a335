#pragma once
// Sums over dims on xtensor's immediate reducer, in the one order every xgrad sum uses, so that
// sum/mean and every broadcasting op's backward (sum_to_shape) give the same bits as ever.
// Internal to .cpp files.
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::detail {

/// How a sum orders its terms.
enum class SumOrder {
  /// sum/mean: dims of size 1 dropped, neighbouring dims that are both reduced (or both kept)
  /// merged into groups; if the innermost group is reduced its rows are summed first and the row
  /// sums added into the output in row-major order, otherwise the elements are.
  kGroups,
  /// sum_to_shape: the same, except that the tensor's innermost dim alone is the row (summed
  /// first when it is reduced), whatever its neighbours.
  kInnermostRows,
};

/// out = scale · Σ x over the dims marked in `reduced` (one flag per dim of x); `out` has x's
/// kept sizes (any shape with that many elements) and x's dtype. Terms are accumulated in double
/// when `in_double` (sum, mean), else in x's dtype (sum_to_shape).
void sum_dims(const Tensor& x, const std::vector<bool>& reduced, SumOrder order, bool in_double, double scale,
              const Tensor& out);

}  // namespace xg::detail
