#include "autograd/ops_binary.hpp"

#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/pass_gradient.hpp"
#include "autograd/detail/xreduce.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_promoted.hpp"
#include "autograd/ops_unary.hpp"

namespace xg {
using detail::dispatch_floating;

namespace {

// Strides of `shape` seen through the broadcast `out` shape: right-aligned, 0 where the operand
// is stretched along a dim.
std::vector<std::int64_t> broadcast_strides(const Shape& shape, const Shape& out) {
  std::vector<std::int64_t> strides(out.size(), 0);
  const auto own = contiguous_strides(shape);
  const std::size_t offset = out.size() - shape.size();
  for (std::size_t d = 0; d < shape.size(); ++d)
    strides[d + offset] = (shape[d] == 1 && out[d + offset] != 1) ? 0 : own[d];
  return strides;
}

// Walks `out` row by row (innermost dim contiguous), keeping each operand's offset with an
// odometer over the outer dims; body(row, offset_a, offset_b) handles one innermost row.
// Hand-written, not an xtensor assignment of xt::adapt views: (32, 512) + (512) took 2.6 us
// this way and 7.7 us through xtensor's broadcasting assignment (bench/RESULTS.md).
template <typename Body>
void for_each_row(const Shape& out, const std::vector<std::int64_t>& sa, const std::vector<std::int64_t>& sb,
                  Body&& body) {
  const std::size_t rank = out.size();
  const std::int64_t inner = out[rank - 1];
  const std::int64_t rows = inner == 0 ? 0 : shape_numel(out) / inner;
  std::vector<std::int64_t> index(rank, 0);
  std::int64_t off_a = 0, off_b = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    body(r, off_a, off_b);
    for (std::size_t d = rank - 1; d-- > 0;) {
      off_a += sa[d];
      off_b += sb[d];
      if (++index[d] < out[d]) break;
      off_a -= sa[d] * out[d];
      off_b -= sb[d] * out[d];
      index[d] = 0;
    }
  }
}

// out = f(a, b) with broadcasting. f is a generic lambda on scalars.
template <typename F>
Tensor broadcast_binary(const char* op, const Tensor& a, const Tensor& b, F f) {
  detail::check_floating(op, a, "first operand");
  detail::check_floating(op, b, "second operand");
  detail::check_same_dtype(op, a, b);
  const bool same = a.shape() == b.shape();
  Tensor out = same ? empty(a.shape(), a.dtype()) : empty(broadcast_shapes(op, a.shape(), b.shape()), a.dtype());
  const Shape& out_shape = out.shape();
  dispatch_floating(op, a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* po = out.data<T>();
    const std::int64_t n = out.numel();
    if (same) {
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], pb[i]);
    } else if (b.numel() == 1 && a.numel() == n) {
      const T vb = pb[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(pa[i], vb);
    } else if (a.numel() == 1 && b.numel() == n) {
      const T va = pa[0];
      for (std::int64_t i = 0; i < n; ++i) po[i] = f(va, pb[i]);
    } else {
      const auto sa = broadcast_strides(a.shape(), out_shape);
      const auto sb = broadcast_strides(b.shape(), out_shape);
      const std::int64_t inner = out_shape.back();
      const std::int64_t ia = sa.back(), ib = sb.back();
      for_each_row(out_shape, sa, sb, [&](std::int64_t r, std::int64_t oa, std::int64_t ob) {
        const T* ra = pa + oa;
        const T* rb = pb + ob;
        T* ro = po + r * inner;
        if (ia && ib) for (std::int64_t i = 0; i < inner; ++i) ro[i] = f(ra[i], rb[i]);
        else if (ia) for (std::int64_t i = 0; i < inner; ++i) ro[i] = f(ra[i], rb[0]);
        else if (ib) for (std::int64_t i = 0; i < inner; ++i) ro[i] = f(ra[0], rb[i]);
        else for (std::int64_t i = 0; i < inner; ++i) ro[i] = f(ra[0], rb[0]);
      });
    }
  });
  return out;
}

}  // namespace

Tensor sum_to_shape(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const Shape& gs = grad.shape();
  if (shape.size() > gs.size() || broadcast_shapes("sum_to_shape", shape, gs) != gs)
    throw std::invalid_argument("sum_to_shape: shape " + shape_str(shape) + " does not broadcast to gradient shape " +
                                shape_str(gs));
  // Reduced: the leading dims `shape` lacks and the dims where it has 1 and the gradient more.
  std::vector<bool> reduced(gs.size(), true);
  const std::size_t lead = gs.size() - shape.size();
  for (std::size_t d = lead; d < gs.size(); ++d) reduced[d] = shape[d - lead] == 1 && gs[d] != 1;
  Tensor out = empty(shape, grad.dtype());
  detail::sum_dims(grad, reduced, detail::SumOrder::kInnermostRows, /*in_double=*/false, 1.0, out);
  return out;
}

// ---- tensor ⊕ tensor -------------------------------------------------------------------

Tensor add(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Add, a, b);  // type promotion
  Tensor out = broadcast_binary("add", a, b, [](auto x, auto y) { return x + y; });
  if (needs_grad({&a, &b})) {
    // The common unbroadcast case passes the gradient through unchanged, which the engine does
    // without a call or an allocation (detail::PassGradient).
    if (a.shape() == b.shape()) {
      record(out, "add", {a, b}, detail::PassGradient{2});
    } else {
      record(out, "add", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) {
        return std::vector<Tensor>{detail::reduce_to_shape(g, sa), detail::reduce_to_shape(g, sb)};
      });
    }
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Sub, a, b);  // type promotion
  Tensor out = broadcast_binary("sub", a, b, [](auto x, auto y) { return x - y; });
  if (needs_grad({&a, &b})) {
    record(out, "sub", {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& g) {
      return std::vector<Tensor>{detail::reduce_to_shape(g, sa), detail::reduce_to_shape(neg(g), sb)};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Mul, a, b);  // type promotion
  Tensor out = broadcast_binary("mul", a, b, [](auto x, auto y) { return x * y; });
  if (needs_grad({&a, &b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, "mul", {a, b}, [a = detail::save_for_backward(a), b = detail::save_for_backward(b), ga, gb](const Tensor& g) {
      return std::vector<Tensor>{ga ? detail::reduce_to_shape(mul(g, b), a.shape()) : Tensor(),
                                 gb ? detail::reduce_to_shape(mul(g, a), b.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Div, a, b);  // type promotion
  Tensor out = broadcast_binary("div", a, b, [](auto x, auto y) { return x / y; });
  if (needs_grad({&a, &b})) {
    const bool ga = a.requires_grad(), gb = b.requires_grad();
    record(out, "div", {a, b}, [out_ = detail::save_for_backward(out), b = detail::save_for_backward(b), sa = a.shape(), ga, gb](const Tensor& g) {
      Tensor g_over_b = div(g, b);
      // d(a/b)/db = −a/b² = −out/b
      return std::vector<Tensor>{ga ? detail::reduce_to_shape(g_over_b, sa) : Tensor(),
                                 gb ? detail::reduce_to_shape(neg(mul(g_over_b, out_)), b.shape()) : Tensor()};
    });
  }
  return out;
}

// Shared by maximum/minimum: `a_weight(x, y)` / `b_weight(x, y)` are each operand's share of the
// gradient, PyTorch 1.13's: 1 where it is picked, 0.5 each on ties, 0 where the other is picked,
// and 1 for BOTH where either is NaN (neither "loses", so a NaN never hides a gradient).
template <typename Pick, typename WeightA, typename WeightB>
static Tensor extremum(const char* op, const Tensor& a, const Tensor& b, Pick pick, WeightA a_weight, WeightB b_weight) {
  Tensor out = broadcast_binary(op, a, b, pick);
  if (needs_grad({&a, &b})) {
    record(out, op, {a, b}, [a = detail::save_for_backward(a), b = detail::save_for_backward(b), a_weight, b_weight, op](const Tensor& g) {
      Tensor ga = mul(g, broadcast_binary(op, a, b, a_weight));
      Tensor gb = mul(g, broadcast_binary(op, a, b, b_weight));
      return std::vector<Tensor>{detail::reduce_to_shape(ga, a.shape()), detail::reduce_to_shape(gb, b.shape())};
    });
  }
  return out;
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Maximum, a, b);  // type promotion
  return extremum(
      "maximum", a, b, [](auto x, auto y) { return x > y || x != x ? x : y; },
      [](auto x, auto y) { return decltype(x)(x < y ? 0.0 : (x == y ? 0.5 : 1.0)); },
      [](auto x, auto y) { return decltype(x)(x > y ? 0.0 : (x == y ? 0.5 : 1.0)); });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  if (detail::needs_promotion(a, b)) return detail::binary_promoted(detail::BinaryOp::Minimum, a, b);  // type promotion
  return extremum(
      "minimum", a, b, [](auto x, auto y) { return x < y || x != x ? x : y; },
      [](auto x, auto y) { return decltype(x)(x > y ? 0.0 : (x == y ? 0.5 : 1.0)); },
      [](auto x, auto y) { return decltype(x)(x < y ? 0.0 : (x == y ? 0.5 : 1.0)); });
}

// ---- tensor ⊕ scalar -------------------------------------------------------------------

Tensor add(const Tensor& a, double s) {
  if (a.defined() && !is_floating(a.dtype())) return add(a.to(kFloat32), s);  // type promotion: int64 ⊕ double → float32
  Tensor out = detail::map_floating("add", a, [s](auto x) { return x + static_cast<decltype(x)>(s); });
  if (needs_grad({&a})) {
    record(out, "add", {a}, detail::PassGradient{1});
  }
  return out;
}

Tensor sub(const Tensor& a, double s) { return add(a, -s); }

Tensor rsub(double s, const Tensor& b) {
  if (b.defined() && !is_floating(b.dtype())) return rsub(s, b.to(kFloat32));  // type promotion: double ⊕ int64 → float32
  Tensor out = detail::map_floating("rsub", b, [s](auto x) { return static_cast<decltype(x)>(s) - x; });
  if (needs_grad({&b})) {
    record(out, "rsub", {b}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; });
  }
  return out;
}

Tensor mul(const Tensor& a, double s) {
  if (a.defined() && !is_floating(a.dtype())) return mul(a.to(kFloat32), s);  // type promotion: int64 ⊕ double → float32
  Tensor out = detail::map_floating("mul", a, [s](auto x) { return x * static_cast<decltype(x)>(s); });
  if (needs_grad({&a})) {
    record(out, "mul", {a}, [s](const Tensor& g) { return std::vector<Tensor>{mul(g, s)}; });
  }
  return out;
}

Tensor div(const Tensor& a, double s) {
  if (a.defined() && !is_floating(a.dtype())) return div(a.to(kFloat32), s);  // type promotion: int64 ⊕ double → float32
  Tensor out = detail::map_floating("div", a, [s](auto x) { return x / static_cast<decltype(x)>(s); });
  if (needs_grad({&a})) {
    record(out, "div", {a}, [s](const Tensor& g) { return std::vector<Tensor>{div(g, s)}; });
  }
  return out;
}

Tensor rdiv(double s, const Tensor& b) {
  if (b.defined() && !is_floating(b.dtype())) return rdiv(s, b.to(kFloat32));  // type promotion: double ⊕ int64 → float32
  Tensor out = detail::map_floating("rdiv", b, [s](auto x) { return static_cast<decltype(x)>(s) / x; });
  if (needs_grad({&b})) {
    record(out, "rdiv", {b}, [out_ = detail::save_for_backward(out), b = detail::save_for_backward(b)](const Tensor& g) {
      // d(s/b)/db = −s/b² = −out/b
      return std::vector<Tensor>{neg(div(mul(g, out_), b))};
    });
  }
  return out;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return sub(a, b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return div(a, b); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return rsub(a, b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator/(double a, const Tensor& b) { return rdiv(a, b); }
Tensor operator-(const Tensor& a) { return neg(a); }

}  // namespace xg
