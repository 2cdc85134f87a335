#pragma once
#include <cstdint>
#include <type_traits>
#include <vector>

#include "autograd/generator.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// All zeros / ones / `value`.
Tensor zeros(const Shape& shape, Dtype dtype = kFloat32);
Tensor ones(const Shape& shape, Dtype dtype = kFloat32);
Tensor full(const Shape& shape, double value, Dtype dtype = kFloat32);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
/// [start, end) in steps of `step` (step ≠ 0), length ceil((end − start)/step).
Tensor arange(double start, double end, double step = 1, Dtype dtype = kFloat32);
Tensor arange(double end, Dtype dtype = kFloat32);
/// A tensor holding `values` (row-major) in `shape`; the counts must agree.
/// For indices use kInt64: from_vector({2, 0, 1}, {3}, xg::kInt64).
/// A braced list is read as doubles; a `std::vector<float>` / `<int64_t>` variable keeps its values
/// exactly and defaults to float32 / int64.
Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype = kFloat32);
namespace detail {
Tensor from_float_vector(const std::vector<float>& values, const Shape& shape, Dtype dtype);
Tensor from_index_vector(const std::vector<std::int64_t>& values, const Shape& shape, Dtype dtype);
}  // namespace detail
template <typename T, typename = std::enable_if_t<std::is_same_v<T, float> || std::is_same_v<T, std::int64_t>>>
Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                   Dtype dtype = std::is_same_v<T, float> ? kFloat32 : kInt64) {
  if constexpr (std::is_same_v<T, float>) return detail::from_float_vector(values, shape, dtype);
  else return detail::from_index_vector(values, shape, dtype);
}
/// A 0-dim tensor.
Tensor scalar_tensor(double value, Dtype dtype = kFloat32);

/// U[0, 1) / N(0, 1) / U[low, high) samples drawn in row-major order from `generator`.
Tensor rand(const Shape& shape, Generator& generator, Dtype dtype = kFloat32);
Tensor rand(const Shape& shape, Dtype dtype = kFloat32);
Tensor randn(const Shape& shape, Generator& generator, Dtype dtype = kFloat32);
Tensor randn(const Shape& shape, Dtype dtype = kFloat32);
Tensor uniform(const Shape& shape, double low, double high, Generator& generator, Dtype dtype = kFloat32);
/// Integers in [low, high) as int64.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator);
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape);

/// In-place fills (no graph may depend on `t`; used by nn init and optimizers under no_grad).
void fill_(Tensor& t, double value);
void uniform_(Tensor& t, double low, double high, Generator& generator);
void normal_(Tensor& t, double mean, double stddev, Generator& generator);
/// Copies src's values into dst (same shape; dtypes may differ).
void copy_(Tensor& dst, const Tensor& src);

}  // namespace xg
