#include "autograd/ops_promoted.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xvectorize.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/xt_view.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/type_promotion.hpp"

namespace xg {
using detail::BinaryOp;

namespace {

const char* op_name(BinaryOp op) {
  switch (op) {
    case BinaryOp::Add: return "add";
    case BinaryOp::Sub: return "sub";
    case BinaryOp::Mul: return "mul";
    case BinaryOp::Div: return "div";
    case BinaryOp::Maximum: return "maximum";
    case BinaryOp::Minimum: return "minimum";
  }
  return "?";
}

Tensor apply(BinaryOp op, const Tensor& a, const Tensor& b) {
  switch (op) {
    case BinaryOp::Add: return add(a, b);
    case BinaryOp::Sub: return sub(a, b);
    case BinaryOp::Mul: return mul(a, b);
    case BinaryOp::Div: return div(a, b);
    case BinaryOp::Maximum: return maximum(a, b);
    case BinaryOp::Minimum: return minimum(a, b);
  }
  return Tensor();
}

// out = f(a, b) over int64 values with broadcasting (xtensor), result of `dtype` (int64 or bool).
template <typename F>
Tensor integer_kernel(const char* op, const Tensor& a_in, const Tensor& b_in, Dtype dtype, F f) {
  const Tensor a = detail::promoted(a_in.detach(), kInt64), b = detail::promoted(b_in.detach(), kInt64);
  Tensor out = empty(a.shape() == b.shape() ? a.shape() : broadcast_shapes(op, a.shape(), b.shape()), kInt64);
  auto o = detail::xt_mutable_view<std::int64_t>(out);
  xt::noalias(o) = xt::vectorize([f](std::int64_t x, std::int64_t y) -> std::int64_t { return f(x, y); })(
      detail::xt_view<std::int64_t>(a), detail::xt_view<std::int64_t>(b));
  return dtype == kInt64 ? out : out.to(dtype);
}

// Two's-complement wrap-around (PyTorch's int64 arithmetic), without signed-overflow UB.
std::int64_t wrap(std::uint64_t v) { return static_cast<std::int64_t>(v); }

std::int64_t floor_div(std::int64_t x, std::int64_t y) {
  if (y == 0) throw std::invalid_argument("floor_divide: ZeroDivisionError (integer division by zero)");
  if (y == -1) return wrap(0u - static_cast<std::uint64_t>(x));  // INT64_MIN / −1 wraps, as in PyTorch
  std::int64_t q = x / y;
  if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
  return q;
}

std::int64_t floor_mod(std::int64_t x, std::int64_t y) {
  if (y == 0) throw std::invalid_argument("remainder: ZeroDivisionError (integer division by zero)");
  if (y == -1) return 0;
  std::int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) r += y;
  return r;
}

// ⌊x⌋ of a floating tensor, not recorded (floor_divide and remainder's quotient).
Tensor floor_of(const Tensor& x) {
  return detail::map_floating("floor", x, [](auto v) { return std::floor(v); });
}

bool both_integral(const Tensor& a, const Tensor& b) { return !is_floating(a.dtype()) && !is_floating(b.dtype()); }

void check_operands(const char* op, const Tensor& a, const Tensor& b) {
  detail::check_defined(op, a, "first operand");
  detail::check_defined(op, b, "second operand");
}

}  // namespace

Tensor detail::binary_promoted(BinaryOp op, const Tensor& a, const Tensor& b) {
  const char* name = op_name(op);
  check_operands(name, a, b);
  Dtype dtype = result_type(a, b);
  if (op == BinaryOp::Div && !is_floating(dtype)) dtype = kFloat32;  // true division, as PyTorch
  if (is_floating(dtype)) return apply(op, promoted(a, dtype), promoted(b, dtype));
  if (dtype == kBool && op == BinaryOp::Sub)
    throw std::invalid_argument("sub: subtraction, the `-` operator, with two bool tensors is not supported; use the "
                                "`^` or logical_xor() operator instead");
  switch (op) {
    case BinaryOp::Add:
      return integer_kernel(name, a, b, dtype, [](std::int64_t x, std::int64_t y) {
        return wrap(static_cast<std::uint64_t>(x) + static_cast<std::uint64_t>(y));
      });
    case BinaryOp::Sub:
      return integer_kernel(name, a, b, dtype, [](std::int64_t x, std::int64_t y) {
        return wrap(static_cast<std::uint64_t>(x) - static_cast<std::uint64_t>(y));
      });
    case BinaryOp::Mul:
      return integer_kernel(name, a, b, dtype, [](std::int64_t x, std::int64_t y) {
        return wrap(static_cast<std::uint64_t>(x) * static_cast<std::uint64_t>(y));
      });
    case BinaryOp::Maximum:
      return integer_kernel(name, a, b, dtype, [](std::int64_t x, std::int64_t y) { return x > y ? x : y; });
    case BinaryOp::Minimum:
      return integer_kernel(name, a, b, dtype, [](std::int64_t x, std::int64_t y) { return x < y ? x : y; });
    case BinaryOp::Div: break;
  }
  throw std::logic_error("binary_promoted: unreachable");
}

Tensor detail::integral_scalar(const Tensor& a, std::int64_t s) {
  check_defined("operator", a);
  Tensor t = empty({}, kInt64);
  *t.data<std::int64_t>() = s;
  return is_floating(a.dtype()) ? t.to(a.dtype()) : t;
}

// ---- floor_divide / remainder ------------------------------------------------------------

Tensor floor_divide(const Tensor& a, const Tensor& b) {
  check_operands("floor_divide", a, b);
  if (needs_grad({&a, &b}))
    throw std::invalid_argument("floor_divide: is not differentiable (PyTorch 1.13 has no derivative for it either); "
                                "detach() the inputs or use div and floor");
  if (both_integral(a, b)) return integer_kernel("floor_divide", a, b, kInt64, floor_div);
  const Dtype dtype = result_type(a, b);
  NoGradGuard no_grad;
  return floor_of(div(detail::promoted(a, dtype), detail::promoted(b, dtype)));
}

Tensor floor_divide(const Tensor& a, double b) {
  detail::check_defined("floor_divide", a);
  return floor_divide(a, scalar_tensor(b, result_type(a, b)));
}

Tensor remainder(const Tensor& a, const Tensor& b) {
  check_operands("remainder", a, b);
  if (both_integral(a, b)) return integer_kernel("remainder", a, b, kInt64, floor_mod);
  const Dtype dtype = result_type(a, b);
  const Tensor x = detail::promoted(a, dtype), y = detail::promoted(b, dtype);
  Tensor q;
  {
    NoGradGuard no_grad;
    q = floor_of(div(x, y));
  }
  // a − b·⌊a/b⌋ by recorded ops: d/da = 1, d/db = −⌊a/b⌋ (⌊·⌋ is piecewise constant).
  return sub(x, mul(y, q));
}

Tensor remainder(const Tensor& a, double b) {
  detail::check_defined("remainder", a);
  return remainder(a, scalar_tensor(b, result_type(a, b)));
}

Tensor operator%(const Tensor& a, const Tensor& b) { return remainder(a, b); }
Tensor operator%(const Tensor& a, double b) { return remainder(a, b); }

}  // namespace xg
