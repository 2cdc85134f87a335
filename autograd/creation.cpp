#include "autograd/creation.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/detail/in_place.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"

namespace xg {
namespace {

// A fill value must be representable in the dtype, as in PyTorch ("value cannot be converted to
// type int64_t without overflow"): int64 takes finite values in [−2⁶³, 2⁶³), float32 any value
// whose magnitude is at most FLT_MAX (±inf and NaN are kept as they are).
void check_fill_value(const char* op, double value, Dtype dtype) {
  bool fits = true;
  if (dtype == kInt64) fits = value >= -9223372036854775808.0 && value < 9223372036854775808.0;
  else if (dtype == kFloat32) fits = !std::isfinite(value) || std::abs(value) <= FLT_MAX;
  if (!fits)
    throw std::invalid_argument(std::string(op) + ": value " + format_number(value) + " cannot be converted to " +
                                dtype_name(dtype) + " without overflow");
}

// U[low, high) bounds: finite, low ≤ high (PyTorch: "uniform_ expects to return a [from, to)
// range, but found from=1 > to=0").
void check_uniform_bounds(const char* op, double low, double high) {
  if (!std::isfinite(low) || !std::isfinite(high))
    throw std::invalid_argument(std::string(op) + ": expected finite bounds, got low = " + format_number(low) +
                                ", high = " + format_number(high));
  if (low > high)
    throw std::invalid_argument(std::string(op) + ": expected a [low, high) range, but found low = " + format_number(low) +
                                " > high = " + format_number(high));
}

}  // namespace

// Writes gen(i) into every element of t, converting to t's dtype.
template <typename Gen>
static void fill_with(Tensor& t, Gen&& gen) {
  const std::int64_t n = t.numel();
  switch (t.dtype()) {
    case kFloat32: {
      float* p = t.data<float>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(gen(i));
      break;
    }
    case kFloat64: {
      double* p = t.data<double>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<double>(gen(i));
      break;
    }
    case kInt64: {
      std::int64_t* p = t.data<std::int64_t>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<std::int64_t>(gen(i));
      break;
    }
  }
}

Tensor zeros(const Shape& shape, Dtype dtype) {
  check_shape_valid("zeros", shape);
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, static_cast<std::size_t>(t.numel()) * element_size(dtype));
  return t;
}

static Tensor filled(const char* op, const Shape& shape, double value, Dtype dtype) {
  check_shape_valid(op, shape);
  check_fill_value(op, value, dtype);
  Tensor t = empty(shape, dtype);
  fill_with(t, [value](std::int64_t) { return value; });
  return t;
}

Tensor ones(const Shape& shape, Dtype dtype) { return filled("ones", shape, 1.0, dtype); }
Tensor full(const Shape& shape, double value, Dtype dtype) { return filled("full", shape, value, dtype); }

Tensor zeros_like(const Tensor& t) {
  detail::check_defined("zeros_like", t);
  return zeros(t.shape(), t.dtype());
}
Tensor ones_like(const Tensor& t) {
  detail::check_defined("ones_like", t);
  return ones(t.shape(), t.dtype());
}

Tensor arange(double start, double end, double step, Dtype dtype) {
  if (step == 0 || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step))
    throw std::invalid_argument("arange: expected finite start/end and a non-zero step, got start = " +
                                std::to_string(start) + ", end = " + std::to_string(end) +
                                ", step = " + std::to_string(step));
  if ((end - start) / step < 0)
    throw std::invalid_argument("arange: step " + std::to_string(step) + " never reaches end " + std::to_string(end) +
                                " from start " + std::to_string(start));
  const auto n = static_cast<std::int64_t>(std::ceil((end - start) / step));
  Tensor t = empty({n}, dtype);
  fill_with(t, [=](std::int64_t i) { return start + static_cast<double>(i) * step; });
  return t;
}

Tensor arange(double end, Dtype dtype) { return arange(0, end, 1, dtype); }

template <typename T>
static Tensor from_values(const std::vector<T>& values, const Shape& shape, Dtype dtype) {
  check_shape_valid("from_vector", shape);
  if (static_cast<std::int64_t>(values.size()) != shape_numel(shape))
    throw std::invalid_argument("from_vector: " + std::to_string(values.size()) + " values cannot fill shape " +
                                shape_str(shape) + " (" + std::to_string(shape_numel(shape)) + " elements)");
  Tensor t = empty(shape, dtype);
  fill_with(t, [&values](std::int64_t i) { return values[static_cast<std::size_t>(i)]; });
  return t;
}

Tensor from_vector(const std::vector<double>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}
Tensor detail::from_float_vector(const std::vector<float>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}
Tensor detail::from_index_vector(const std::vector<std::int64_t>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}

Tensor scalar_tensor(double value, Dtype dtype) { return filled("scalar_tensor", {}, value, dtype); }

// U[low, high) samples for rand and uniform, checked under the caller's name.
static Tensor uniform_samples(const char* op, const Shape& shape, double low, double high, Generator& generator,
                              Dtype dtype) {
  detail::dispatch_floating(op, dtype, [](auto) { return 0; });
  check_shape_valid(op, shape);
  check_uniform_bounds(op, low, high);
  Tensor t = empty(shape, dtype);
  fill_with(t, [&](std::int64_t) { return low + (high - low) * generator.uniform(); });
  return t;
}

Tensor rand(const Shape& shape, Generator& generator, Dtype dtype) {
  return uniform_samples("rand", shape, 0.0, 1.0, generator, dtype);
}
Tensor rand(const Shape& shape, Dtype dtype) { return rand(shape, default_generator(), dtype); }

Tensor randn(const Shape& shape, Generator& generator, Dtype dtype) {
  detail::dispatch_floating("randn", dtype, [](auto) { return 0; });
  check_shape_valid("randn", shape);
  Tensor t = empty(shape, dtype);
  fill_with(t, [&generator](std::int64_t) { return generator.normal(); });
  return t;
}
Tensor randn(const Shape& shape, Dtype dtype) { return randn(shape, default_generator(), dtype); }

Tensor uniform(const Shape& shape, double low, double high, Generator& generator, Dtype dtype) {
  return uniform_samples("uniform", shape, low, high, generator, dtype);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator) {
  if (high <= low)
    throw std::invalid_argument("randint: expected low < high, got low = " + std::to_string(low) +
                                ", high = " + std::to_string(high));
  check_shape_valid("randint", shape);
  Tensor t = empty(shape, kInt64);
  std::int64_t* p = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = generator.randint(low, high);
  return t;
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape) {
  return randint(low, high, shape, default_generator());
}

void fill_(Tensor& t, double value) {
  detail::check_defined("fill_", t);
  detail::check_writable("fill_", t);
  check_fill_value("fill_", value, t.dtype());
  fill_with(t, [value](std::int64_t) { return value; });
}

void uniform_(Tensor& t, double low, double high, Generator& generator) {
  detail::check_floating("uniform_", t);
  detail::check_writable("uniform_", t);
  check_uniform_bounds("uniform_", low, high);
  fill_with(t, [&](std::int64_t) { return low + (high - low) * generator.uniform(); });
}

void normal_(Tensor& t, double mean, double stddev, Generator& generator) {
  detail::check_floating("normal_", t);
  detail::check_writable("normal_", t);
  if (!(stddev >= 0)) throw std::invalid_argument("normal_: expected std >= 0, but found std = " + format_number(stddev));
  fill_with(t, [&](std::int64_t) { return mean + stddev * generator.normal(); });
}

void copy_(Tensor& dst, const Tensor& src) {
  detail::check_defined("copy_", dst, "destination");
  detail::check_defined("copy_", src, "source");
  detail::check_writable("copy_", dst);
  if (dst.shape() != src.shape())
    throw std::invalid_argument("copy_: source shape " + shape_str(src.shape()) + " does not match destination shape " +
                                shape_str(dst.shape()));
  if (dst.dtype() == src.dtype()) {
    if (dst.raw_data() != src.raw_data())
      std::memcpy(dst.raw_data(), src.raw_data(), static_cast<std::size_t>(src.numel()) * element_size(src.dtype()));
    return;
  }
  const Tensor converted = src.detach().to(dst.dtype());
  std::memcpy(dst.raw_data(), converted.raw_data(), static_cast<std::size_t>(src.numel()) * element_size(dst.dtype()));
}

}  // namespace xg
