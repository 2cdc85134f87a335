#pragma once
#include <cstdint>

#include "autograd/tensor.hpp"

namespace xg {

// Index-driven reads and writes along one dim (libtorch names). `index` is int64 with x's rank;
// along every other dim it may be shorter than x (PyTorch's rule). Indices must lie in
// [0, size): negative or too large ones throw naming the value and the op.

/// out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1); out has index's shape. Gradient:
/// scatter_add of g into zeros.
Tensor gather(const Tensor& x, std::int64_t dim, const Tensor& index);
/// self with src written at the indexed positions (later writes to one position win, in
/// row-major order of index). Gradients: g with the written positions zeroed to self,
/// gather(g) to src.
Tensor scatter(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
/// self with `value` written at the indexed positions.
Tensor scatter(const Tensor& self, std::int64_t dim, const Tensor& index, double value);
/// self with src added at the indexed positions (repeated indices accumulate, in row-major
/// order of index: deterministic). Gradients: g to self, gather(g) to src.
Tensor scatter_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& src);
/// self with alpha·source's slices added at the rows `index` (1-D int64) along `dim`.
Tensor index_add(const Tensor& self, std::int64_t dim, const Tensor& index, const Tensor& source, double alpha = 1.0);
/// gather with broadcasting of x and indices over the other dims (torch::take_along_dim).
Tensor take_along_dim(const Tensor& x, const Tensor& indices, std::int64_t dim);
/// Without a dim: both flattened.
Tensor take_along_dim(const Tensor& x, const Tensor& indices);

}  // namespace xg
