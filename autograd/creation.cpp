#include "autograd/creation.hpp"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>

#include "autograd/detail/in_place.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/type_promotion.hpp"

namespace xg {

// A fill value must be representable in the dtype, as in PyTorch ("value cannot be converted to
// type int64_t without overflow"): int64 takes finite values in [−2⁶³, 2⁶³), float32 any value
// whose magnitude is at most FLT_MAX (±inf and NaN are kept as they are).
void detail::check_fill_value(const char* op, double value, Dtype dtype) {
  bool fits = true;
  if (dtype == kInt64) fits = value >= -9223372036854775808.0 && value < 9223372036854775808.0;
  else if (dtype == kFloat32) fits = !std::isfinite(value) || std::abs(value) <= FLT_MAX;
  if (!fits)
    throw std::invalid_argument(std::string(op) + ": value " + format_number(value) + " cannot be converted to " +
                                dtype_name(dtype) + " without overflow");
}

namespace {
using detail::check_fill_value;

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
    case kBool: {
      bool* p = t.data<bool>();
      for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<double>(gen(i)) != 0;  // NaN is true, as in PyTorch
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

Tensor full_like(const Tensor& t, double value) {
  detail::check_defined("full_like", t);
  return full(t.shape(), value, t.dtype());
}
Tensor linspace(double start, double end, std::int64_t steps, Dtype dtype) {
  if (steps < 0) throw std::invalid_argument("linspace: number of steps must be non-negative, got " + std::to_string(steps));
  if (!std::isfinite(start) || !std::isfinite(end))
    throw std::invalid_argument("linspace: expected finite start and end, got start = " + format_number(start) +
                                ", end = " + format_number(end));
  Tensor t = empty({steps}, dtype);
  if (steps == 0) return t;
  // PyTorch's kernel: the first half steps up from start, the second half down from end, so
  // both ends are exact and the values are symmetric.
  const double step = steps == 1 ? 0.0 : (end - start) / static_cast<double>(steps - 1);
  const std::int64_t halfway = steps / 2;
  if (steps == 1) {  // just start, as in PyTorch
    fill_with(t, [=](std::int64_t) { return start; });
    return t;
  }
  fill_with(t, [=](std::int64_t i) {
    return i < halfway ? start + step * static_cast<double>(i) : end - step * static_cast<double>(steps - i - 1);
  });
  return t;
}

Tensor eye(std::int64_t n, std::int64_t m, Dtype dtype) {
  if (n < 0 || m < 0)
    throw std::invalid_argument("eye: n and m must be non-negative, got n = " + std::to_string(n) + ", m = " +
                                std::to_string(m));
  Tensor t = zeros({n, m}, dtype);
  fill_with(t, [m](std::int64_t i) { return i / m == i % m ? 1.0 : 0.0; });
  return t;
}
Tensor eye(std::int64_t n, Dtype dtype) { return eye(n, n, dtype); }

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

Tensor detail::from_bool_vector(const std::vector<bool>& values, const Shape& shape, Dtype dtype) {
  return from_values(values, shape, dtype);
}

// ---- xg::tensor(nested lists) -----------------------------------------------------------

namespace {

std::string path_str(const std::vector<std::size_t>& path) {
  std::string s;
  for (std::size_t i : path) s += "[" + std::to_string(i) + "]";
  return s.empty() ? "the list" : s;
}

// The shape the first element at every depth implies; every other row is checked against it.
Shape nested_shape(const detail::TensorData& d) {
  Shape shape;
  const detail::TensorData* at = &d;
  while (!at->scalar()) {
    shape.push_back(static_cast<std::int64_t>(at->rows().size()));
    if (at->rows().empty()) break;
    at = &at->rows().front();
  }
  return shape;
}

// Collects the numbers in row-major order, checking every row against `shape`.
void flatten_nested(const detail::TensorData& d, const Shape& shape, std::vector<std::size_t>& path,
                    std::vector<const detail::TensorData*>& out) {
  const std::size_t depth = path.size();
  if (d.scalar()) {
    if (depth != shape.size())
      throw std::invalid_argument("tensor: ragged nested list: " + path_str(path) + " is a number where a list of " +
                                  std::to_string(shape[depth]) + " elements was expected");
    out.push_back(&d);
    return;
  }
  if (depth == shape.size())
    throw std::invalid_argument("tensor: ragged nested list: " + path_str(path) + " is a list of " +
                                std::to_string(d.rows().size()) + " elements where a number was expected");
  if (static_cast<std::int64_t>(d.rows().size()) != shape[depth])
    throw std::invalid_argument("tensor: ragged nested list: " + path_str(path) + " has " +
                                std::to_string(d.rows().size()) + " elements, expected " + std::to_string(shape[depth]));
  for (std::size_t i = 0; i < d.rows().size(); ++i) {
    path.push_back(i);
    flatten_nested(d.rows()[i], shape, path, out);
    path.pop_back();
  }
}

}  // namespace

static Tensor tensor_from(const detail::TensorData& data, const Dtype* requested) {
  const Shape shape = nested_shape(data);
  std::vector<const detail::TensorData*> items;
  std::vector<std::size_t> path;
  flatten_nested(data, shape, path, items);
  Dtype dtype = kBool;
  for (const auto* item : items) dtype = promote_types(dtype, item->kind());
  if (items.empty()) dtype = kFloat32;  // torch.tensor([]) is float32
  if (requested) dtype = *requested;
  Tensor t = empty(shape, dtype);
  if (dtype == kInt64) {
    std::int64_t* p = t.data<std::int64_t>();
    for (std::size_t i = 0; i < items.size(); ++i) {
      const auto* item = items[i];
      if (item->kind() != kFloat32) p[i] = item->integer();  // exact, whatever its size
      else {
        check_fill_value("tensor", item->number(), kInt64);
        p[i] = static_cast<std::int64_t>(item->number());
      }
    }
    return t;
  }
  for (const auto* item : items) check_fill_value("tensor", item->number(), dtype);
  fill_with(t, [&items](std::int64_t i) { return items[static_cast<std::size_t>(i)]->number(); });
  return t;
}

Tensor tensor(const detail::TensorData& data) { return tensor_from(data, nullptr); }
Tensor tensor(const detail::TensorData& data, Dtype dtype) { return tensor_from(data, &dtype); }

Tensor scalar_tensor(double value, Dtype dtype) { return filled("scalar_tensor", {}, value, dtype); }

// U[low, high) samples for rand and uniform, checked under the caller's name.
static Tensor uniform_samples(const char* op, const Shape& shape, double low, double high, Generator& generator,
                              Dtype dtype) {
  detail::dispatch_floating(op, dtype, [](auto) { return 0; });
  check_shape_valid(op, shape);
  check_uniform_bounds(op, low, high);
  Tensor t = empty(shape, dtype);
  std::lock_guard<std::mutex> lock(generator.mutex());
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
  std::lock_guard<std::mutex> lock(generator.mutex());
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
  std::lock_guard<std::mutex> lock(generator.mutex());
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = generator.randint(low, high);
  return t;
}
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape) {
  return randint(low, high, shape, default_generator());
}

Tensor rand_like(const Tensor& t, Generator& generator) {
  detail::check_defined("rand_like", t);
  return uniform_samples("rand_like", t.shape(), 0.0, 1.0, generator, t.dtype());
}
Tensor rand_like(const Tensor& t) { return rand_like(t, default_generator()); }
Tensor randn_like(const Tensor& t, Generator& generator) {
  detail::check_defined("randn_like", t);
  detail::dispatch_floating("randn_like", t.dtype(), [](auto) { return 0; });
  return randn(t.shape(), generator, t.dtype());
}
Tensor randn_like(const Tensor& t) { return randn_like(t, default_generator()); }

Tensor randint(std::int64_t high, const Shape& shape, Generator& generator) { return randint(0, high, shape, generator); }
Tensor randint(std::int64_t high, const Shape& shape) { return randint(0, high, shape, default_generator()); }

Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement, Generator& generator) {
  const char* op = "multinomial";
  detail::check_floating(op, probs, "probs");
  if (probs.dim() != 1 && probs.dim() != 2)
    throw std::invalid_argument(std::string(op) + ": probs must be 1-D or 2-D, got shape " + shape_str(probs.shape()));
  const std::int64_t k = probs.shape().back();
  const std::int64_t rows = probs.dim() == 2 ? probs.shape()[0] : 1;
  if (num_samples <= 0)
    throw std::invalid_argument(std::string(op) + ": num_samples must be positive, got " + std::to_string(num_samples));
  if (k == 0) throw std::invalid_argument(std::string(op) + ": probs has no categories (shape " + shape_str(probs.shape()) + ")");
  if (!replacement && num_samples > k)
    throw std::invalid_argument(std::string(op) + ": cannot sample num_samples = " + std::to_string(num_samples) +
                                " > " + std::to_string(k) + " categories without replacement");
  const std::vector<double> w = probs.to_vector();
  Shape out_shape = probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  Tensor out = empty(out_shape, kInt64);
  std::int64_t* o = out.data<std::int64_t>();
  std::lock_guard<std::mutex> lock(generator.mutex());
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<double> row(w.begin() + r * k, w.begin() + (r + 1) * k);
    std::int64_t nonzero = 0;
    for (double v : row) {
      if (!std::isfinite(v) || v < 0)
        throw std::invalid_argument(std::string(op) + ": probability tensor contains either inf, nan or element < 0 (" +
                                    format_number(v) + " in row " + std::to_string(r) + ")");
      nonzero += v > 0 ? 1 : 0;
    }
    if (nonzero == 0)
      throw std::invalid_argument(std::string(op) + ": row " + std::to_string(r) + " of probs sums to zero");
    if (!replacement && num_samples > nonzero)
      throw std::invalid_argument(std::string(op) + ": row " + std::to_string(r) + " has only " + std::to_string(nonzero) +
                                  " non-zero weights, cannot draw " + std::to_string(num_samples) +
                                  " samples without replacement");
    for (std::int64_t s = 0; s < num_samples; ++s) {
      // Inverse CDF over the remaining weights (a drawn category's weight is zeroed without replacement).
      double total = 0;
      for (double v : row) total += v;
      const double u = generator.uniform() * total;
      double acc = 0;
      std::int64_t pick = -1;
      for (std::int64_t c = 0; c < k; ++c) {
        if (row[c] <= 0) continue;
        acc += row[c];
        pick = c;  // the last positive category catches rounding at the top end
        if (u < acc) break;
      }
      o[r * num_samples + s] = pick;
      if (!replacement) row[pick] = 0;
    }
  }
  return out;
}

Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement) {
  return multinomial(probs, num_samples, replacement, default_generator());
}

void uniform_(Tensor& t, double low, double high, Generator& generator) {
  detail::check_floating("uniform_", t);
  detail::check_writable("uniform_", t);
  check_uniform_bounds("uniform_", low, high);
  std::lock_guard<std::mutex> lock(generator.mutex());
  fill_with(t, [&](std::int64_t) { return low + (high - low) * generator.uniform(); });
  detail::bump_version(t);
}

void normal_(Tensor& t, double mean, double stddev, Generator& generator) {
  detail::check_floating("normal_", t);
  detail::check_writable("normal_", t);
  if (!(stddev >= 0)) throw std::invalid_argument("normal_: expected std >= 0, but found std = " + format_number(stddev));
  std::lock_guard<std::mutex> lock(generator.mutex());
  fill_with(t, [&](std::int64_t) { return mean + stddev * generator.normal(); });
  detail::bump_version(t);
}

}  // namespace xg
