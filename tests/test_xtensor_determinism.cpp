// Determinism of elementwise ops: a value's result may not depend on where it sits in a tensor
// (its offset 0..63 from the 64-byte aligned start, i.e. its lane in every SIMD width) nor on the
// tensor's size (which decides what falls into vector bodies and tails). SIMD code that peels a
// scalar prologue or finishes with a scalar tail (xtensor's assignment does both) would compute
// some positions with a different function and fail here by an ulp.
#define BOOST_TEST_MODULE test_xtensor_determinism
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "test_helpers.hpp"

using namespace xg;

namespace {

constexpr int kPool = 64;        // distinct values; each visits every offset 0..63
constexpr std::int64_t kMaxSize = 130;

// Pools of inputs: a spread of magnitudes and signs (x), and a second operand (y) never zero.
double pool_x(int j) { return (j % 2 ? -1.0 : 1.0) * (0.03125 + 0.37 * j) * (j % 3 == 0 ? 1e-3 : 1.0); }
double pool_y(int j) { return 0.5 + 0.11 * j * (j % 5 == 0 ? -1.0 : 1.0); }

// Tensor of size n whose element i holds pool[(i + shift) % kPool].
Tensor cyclic(double (*pool)(int), std::int64_t n, int shift, Dtype dtype) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = pool(static_cast<int>((i + shift) % kPool));
  return from_vector(v, {n}, dtype);
}

// The bits of element i (as uint64, float32 widened bit-exactly through its own pattern).
std::uint64_t bits(const Tensor& t, std::int64_t i) {
  if (t.dtype() == kFloat32) {
    std::uint32_t b;
    std::memcpy(&b, t.data<float>() + i, 4);
    return b;
  }
  std::uint64_t b;
  std::memcpy(&b, t.data<double>() + i, 8);
  return b;
}

using Op = std::function<Tensor(const Tensor& x, const Tensor& y)>;

// For every size 1..130 and every shift 0..63, out[i] must equal, bit for bit, the op applied to
// a one-element tensor of the same value(s).
void check_position_independent(const std::string& name, const Op& op, Dtype dtype) {
  std::vector<std::uint64_t> reference(kPool);
  for (int j = 0; j < kPool; ++j)
    reference[static_cast<std::size_t>(j)] =
        bits(op(from_vector({pool_x(j)}, {1}, dtype), from_vector({pool_y(j)}, {1}, dtype)), 0);
  int failures = 0;
  for (std::int64_t n = 1; n <= kMaxSize; ++n)
    for (int shift = 0; shift < kPool; ++shift) {
      const Tensor out = op(cyclic(pool_x, n, shift, dtype), cyclic(pool_y, n, shift, dtype));
      BOOST_TEST_REQUIRE(out.numel() == n);
      for (std::int64_t i = 0; i < n; ++i) {
        const int j = static_cast<int>((i + shift) % kPool);
        if (bits(out, i) != reference[static_cast<std::size_t>(j)] && failures++ < 5)
          BOOST_ERROR(name << " (" << dtype_name(dtype) << "): value #" << j << " at offset " << i
                           << " of a size-" << n << " tensor differs from the same value alone");
      }
    }
  BOOST_TEST(failures == 0, name << ": " << failures << " position-dependent results");
}

const std::vector<std::pair<std::string, Op>>& unary_ops() {
  static const std::vector<std::pair<std::string, Op>> ops = {
      {"neg", [](const Tensor& x, const Tensor&) { return neg(x); }},
      {"exp", [](const Tensor& x, const Tensor&) { return exp(x); }},
      {"log", [](const Tensor& x, const Tensor&) { return log(abs(x)); }},
      {"sqrt", [](const Tensor& x, const Tensor&) { return sqrt(abs(x)); }},
      {"tanh", [](const Tensor& x, const Tensor&) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x, const Tensor&) { return sigmoid(x); }},
      {"relu", [](const Tensor& x, const Tensor&) { return relu(x); }},
      {"abs", [](const Tensor& x, const Tensor&) { return abs(x); }},
      {"pow", [](const Tensor& x, const Tensor&) { return pow(abs(x), 2.5); }},
      {"clamp", [](const Tensor& x, const Tensor&) { return clamp(x, -3.0, 4.0); }},
      // activations and math (ops_activation, ops_math)
      {"softplus", [](const Tensor& x, const Tensor&) { return softplus(x, 1.5, 4.0); }},
      {"gelu", [](const Tensor& x, const Tensor&) { return gelu(x); }},
      {"gelu_tanh", [](const Tensor& x, const Tensor&) { return gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x, const Tensor&) { return silu(x); }},
      {"mish", [](const Tensor& x, const Tensor&) { return mish(x); }},
      {"leaky_relu", [](const Tensor& x, const Tensor&) { return leaky_relu(x, 0.2); }},
      {"elu", [](const Tensor& x, const Tensor&) { return elu(x, 0.7, 1.3, 0.8); }},
      {"selu", [](const Tensor& x, const Tensor&) { return selu(x); }},
      {"hardtanh", [](const Tensor& x, const Tensor&) { return hardtanh(x, -2.0, 3.0); }},
      {"log_sigmoid", [](const Tensor& x, const Tensor&) { return log_sigmoid(x); }},
      {"sin", [](const Tensor& x, const Tensor&) { return sin(x); }},
      {"cos", [](const Tensor& x, const Tensor&) { return cos(x); }},
      {"tan", [](const Tensor& x, const Tensor&) { return tan(x); }},
      {"asin", [](const Tensor& x, const Tensor&) { return asin(x / 25.0); }},
      {"acos", [](const Tensor& x, const Tensor&) { return acos(x / 25.0); }},
      {"atan", [](const Tensor& x, const Tensor&) { return atan(x); }},
      {"sinh", [](const Tensor& x, const Tensor&) { return sinh(x); }},
      {"cosh", [](const Tensor& x, const Tensor&) { return cosh(x); }},
      {"log1p", [](const Tensor& x, const Tensor&) { return log1p(abs(x)); }},
      {"expm1", [](const Tensor& x, const Tensor&) { return expm1(x); }},
      {"log2", [](const Tensor& x, const Tensor&) { return log2(abs(x)); }},
      {"log10", [](const Tensor& x, const Tensor&) { return log10(abs(x)); }},
      {"rsqrt", [](const Tensor& x, const Tensor&) { return rsqrt(abs(x)); }},
      {"reciprocal", [](const Tensor& x, const Tensor&) { return reciprocal(x); }},
      {"square", [](const Tensor& x, const Tensor&) { return square(x); }},
      {"sign", [](const Tensor& x, const Tensor&) { return sign(x); }},
      {"floor", [](const Tensor& x, const Tensor&) { return floor(x); }},
      {"ceil", [](const Tensor& x, const Tensor&) { return ceil(x); }},
      {"round", [](const Tensor& x, const Tensor&) { return round(x); }},
      {"trunc", [](const Tensor& x, const Tensor&) { return trunc(x); }},
      {"frac", [](const Tensor& x, const Tensor&) { return frac(x); }},
      {"erf", [](const Tensor& x, const Tensor&) { return erf(x); }},
      {"erfinv", [](const Tensor& x, const Tensor&) { return erfinv(x / 25.0); }},
      {"lgamma", [](const Tensor& x, const Tensor&) { return lgamma(x); }},
      {"digamma", [](const Tensor& x, const Tensor&) { return digamma(x); }},
  };
  return ops;
}

const std::vector<std::pair<std::string, Op>>& binary_ops() {
  static const std::vector<std::pair<std::string, Op>> ops = {
      {"add", [](const Tensor& x, const Tensor& y) { return x + y; }},
      {"sub", [](const Tensor& x, const Tensor& y) { return x - y; }},
      {"mul", [](const Tensor& x, const Tensor& y) { return x * y; }},
      {"div", [](const Tensor& x, const Tensor& y) { return x / y; }},
      {"maximum", [](const Tensor& x, const Tensor& y) { return maximum(x, y); }},
      {"minimum", [](const Tensor& x, const Tensor& y) { return minimum(x, y); }},
      {"add_scalar", [](const Tensor& x, const Tensor&) { return x + 0.1; }},
      {"mul_scalar", [](const Tensor& x, const Tensor&) { return x * 0.3; }},
      {"rdiv_scalar", [](const Tensor&, const Tensor& y) { return 1.7 / y; }},
      {"atan2", [](const Tensor& x, const Tensor& y) { return atan2(x, y); }},
      {"pow_tensor", [](const Tensor& x, const Tensor& y) { return pow(abs(y), x / 7.0); }},
      {"lerp", [](const Tensor& x, const Tensor& y) { return lerp(x, y, y / 3.0); }},
      // the general broadcasting path: [2, n] with [n] (both rows must match the reference)
      {"add_broadcast",
       [](const Tensor& x, const Tensor& y) { return select(stack({x, x}, 0) + y, 0, 1); }},
      {"mul_broadcast_column",
       [](const Tensor& x, const Tensor& y) { return select(unsqueeze(x, 1) * stack({y, y}, 1), 1, 1); }},
  };
  return ops;
}

}  // namespace

BOOST_AUTO_TEST_CASE(storage_alignment_value) {
  for (Dtype dtype : {kFloat32, kFloat64, kInt64})
    for (std::int64_t n = 0; n <= kMaxSize; ++n) {
      const Tensor t = zeros({n}, dtype);
      BOOST_TEST(reinterpret_cast<std::uintptr_t>(t.raw_data()) % 64 == 0u,
                 dtype_name(dtype) << " tensor of " << n << " elements is not 64-byte aligned");
    }
}

BOOST_AUTO_TEST_CASE(unary_ops_position_independent_value) {
  for (Dtype dtype : {kFloat32, kFloat64})
    for (const auto& [name, op] : unary_ops()) check_position_independent(name, op, dtype);
}

BOOST_AUTO_TEST_CASE(binary_ops_position_independent_value) {
  for (Dtype dtype : {kFloat32, kFloat64})
    for (const auto& [name, op] : binary_ops()) check_position_independent(name, op, dtype);
}
