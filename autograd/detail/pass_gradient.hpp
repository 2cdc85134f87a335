#pragma once
// The backward of ops whose gradient reaches every input unchanged (add of equal shapes, add of a
// scalar, clone). It is a named type so that the engine recognises it (std::function::target)
// and hands the incoming gradient to the inputs itself, in a vector the pass reuses: no call and
// no result vector to allocate and free per node (that malloc + free was ~180 of a recorded add's
// ~2,800 instructions, bench/RESULTS.md "Per-op overhead"). Called like any closure, it returns
// the same gradients, so every other caller sees no difference.
#include <cstddef>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::detail {

struct PassGradient {
  std::size_t inputs;
  std::vector<Tensor> operator()(const Tensor& g) const { return std::vector<Tensor>(inputs, g); }
};

}  // namespace xg::detail
