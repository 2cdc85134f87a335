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
