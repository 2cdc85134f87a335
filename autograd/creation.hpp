#pragma once
#include <cstdint>
#include <initializer_list>
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
/// The shape and dtype of `t` filled with `value` / U[0, 1) / N(0, 1) samples (the random ones
/// need a floating `t`). empty_like is in tensor.hpp.
Tensor full_like(const Tensor& t, double value);
Tensor rand_like(const Tensor& t, Generator& generator);
Tensor rand_like(const Tensor& t);
Tensor randn_like(const Tensor& t, Generator& generator);
Tensor randn_like(const Tensor& t);
/// `steps` evenly spaced values from start to end inclusive (torch::linspace; steps ≥ 0).
Tensor linspace(double start, double end, std::int64_t steps, Dtype dtype = kFloat32);
/// The n×n / n×m identity.
Tensor eye(std::int64_t n, Dtype dtype = kFloat32);
Tensor eye(std::int64_t n, std::int64_t m, Dtype dtype = kFloat32);
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
Tensor from_bool_vector(const std::vector<bool>& values, const Shape& shape, Dtype dtype);
}  // namespace detail
/// A std::vector of any arithmetic type keeps its values exactly (as far as `dtype` can hold
/// them) and picks libtorch's dtype: float → float32, bool → bool, integers → int64 (a
/// std::vector<double> variable takes the overload above: float32 unless told).
template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, double>>>
Tensor from_vector(const std::vector<T>& values, const Shape& shape,
                   Dtype dtype = std::is_same_v<T, float> ? kFloat32 : std::is_same_v<T, bool> ? kBool : kInt64) {
  if constexpr (std::is_same_v<T, float>) return detail::from_float_vector(values, shape, dtype);
  else if constexpr (std::is_same_v<T, bool>) return detail::from_bool_vector(values, shape, dtype);
  else if constexpr (std::is_same_v<T, std::int64_t>) return detail::from_index_vector(values, shape, dtype);
  else if constexpr (std::is_integral_v<T>)
    return detail::from_index_vector(std::vector<std::int64_t>(values.begin(), values.end()), shape, dtype);
  else return from_vector(std::vector<double>(values.begin(), values.end()), shape, dtype);  // long double
}
namespace detail {
/// One element or nested list of xg::tensor's argument: remembers whether each number was
/// written as a bool, an integer or a floating value (libtorch's TensorDataContainer).
class TensorData {
 public:
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  TensorData(T value)  // NOLINT: implicit, so that {{1, 2}, {3, 4}} converts
      : scalar_(true), kind_(std::is_same_v<T, bool> ? kBool : std::is_integral_v<T> ? kInt64 : kFloat32),
        number_(static_cast<double>(value)), integer_(std::is_integral_v<T> ? static_cast<std::int64_t>(value) : 0) {}
  TensorData(std::initializer_list<TensorData> rows) : rows_(rows) {}

  bool scalar() const { return scalar_; }
  Dtype kind() const { return kind_; }  // kBool, kInt64 or kFloat32 (any floating type)
  double number() const { return number_; }
  std::int64_t integer() const { return integer_; }
  const std::vector<TensorData>& rows() const { return rows_; }

 private:
  bool scalar_ = false;
  Dtype kind_ = kFloat32;
  double number_ = 0;
  std::int64_t integer_ = 0;
  std::vector<TensorData> rows_;
};
}  // namespace detail

/// A tensor from a number or nested braced lists (libtorch's torch::tensor):
/// xg::tensor({{0, 0}, {0, 1}}) is int64 [2, 2]; xg::tensor({0.5, 1.5}) float32 [2];
/// xg::tensor({true, false}) bool [2]; xg::tensor(2.5) a float32 0-dim tensor. The dtype is
/// float32 if any number is floating, else int64 if any is an integer, else bool; `dtype`
/// overrides it. Ragged lists are rejected naming the row ("tensor: [1] has 3 elements, expected 2").
Tensor tensor(const detail::TensorData& data);
Tensor tensor(const detail::TensorData& data, Dtype dtype);
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
/// Integers in [0, high) as int64.
Tensor randint(std::int64_t high, const Shape& shape, Generator& generator);
Tensor randint(std::int64_t high, const Shape& shape);
/// Category indices (int64) drawn with probabilities proportional to the rows of `probs` (1-D
/// [k] → [num_samples], 2-D [n, k] → [n, num_samples]); weights must be finite, non-negative
/// and not all zero. Without replacement a category is drawn at most once, so num_samples may
/// not exceed the number of non-zero weights (torch::multinomial).
Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement, Generator& generator);
Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement = false);

/// In-place writes. fill_ and copy_ are t.fill_(value) / dst.copy_(src) (recorded like every
/// in-place op, ops_in_place.hpp; copy_ broadcasts src and converts its dtype); uniform_ and
/// normal_ are not recorded, so they refuse tensors that are part of a graph.
void fill_(Tensor& t, double value);
void uniform_(Tensor& t, double low, double high, Generator& generator);
void normal_(Tensor& t, double mean, double stddev, Generator& generator);
void copy_(Tensor& dst, const Tensor& src);

}  // namespace xg
