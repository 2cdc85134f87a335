#include "autograd/ops_compare.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xvectorize.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/xt_view.hpp"
#include "autograd/type_promotion.hpp"

namespace xg {
using detail::dispatch_all;
using detail::xt_mutable_view;
using detail::xt_view;

namespace {

// out = f(A, B) as bool, A and B xtensor views of a and b converted to dtype `common`, broadcast.
template <typename F>
Tensor compare_as(const char* op, const Tensor& a, const Tensor& b, Dtype common, F f) {
  const Tensor ca = detail::promoted(a.detach(), common), cb = detail::promoted(b.detach(), common);
  Tensor out = empty(a.shape() == b.shape() ? a.shape() : broadcast_shapes(op, a.shape(), b.shape()), kBool);
  dispatch_all(common, [&](auto tag) {
    using T = decltype(tag);
    auto o = xt_mutable_view<bool>(out);
    // Scalar functors through xt::vectorize: xtensor broadcasts, and no SIMD path is tried for
    // bool results (xsimd has no ordering on batch_bool).
    xt::noalias(o) = xt::vectorize([f](T x, T y) -> bool { return f(x, y); })(xt_view<T>(ca), xt_view<T>(cb));
  });
  return out;
}

template <typename F>
Tensor compare(const char* op, const Tensor& a, const Tensor& b, F f) {
  detail::check_defined(op, a, "first operand");
  detail::check_defined(op, b, "second operand");
  return compare_as(op, a, b, result_type(a, b), f);
}

// A floating tensor meets the scalar in its own dtype (PyTorch: the scalar is cast to it); an
// int64 or bool tensor meets it exactly: as int64 when it is a whole number in range, else as
// float64 (PyTorch would use float32 and could round a large int64 to a wrong answer).
template <typename F>
Tensor compare_scalar(const char* op, const Tensor& a, double s, F f) {
  detail::check_defined(op, a);
  Dtype common = a.dtype();
  if (!is_floating(common))
    common = (std::nearbyint(s) == s && s >= -9223372036854775808.0 && s < 9223372036854775808.0) ? kInt64 : kFloat64;
  return compare_as(op, a, scalar_tensor(s, common), common, f);
}

// "Is non-zero" of any tensor, as a bool tensor (itself when already bool).
Tensor truth(const Tensor& t) { return t.dtype() == kBool ? t.detach() : t.detach().to(kBool); }

template <typename F>
Tensor logical(const char* op, const Tensor& a, const Tensor& b, F f) {
  detail::check_defined(op, a, "first operand");
  detail::check_defined(op, b, "second operand");
  return compare_as(op, truth(a), truth(b), kBool, f);
}

void check_bool(const char* op, const Tensor& t) {
  detail::check_defined(op, t);
  if (t.dtype() != kBool)
    throw std::invalid_argument(std::string(op) + ": xgrad implements this operator for bool tensors only, got " +
                                dtype_name(t.dtype()) + " " + shape_str(t.shape()));
}

template <typename F>
Tensor classify(const char* op, const Tensor& x, bool int_answer, F f) {
  detail::check_defined(op, x);
  Tensor out = empty(x.shape(), kBool);
  auto o = xt_mutable_view<bool>(out);
  if (!is_floating(x.dtype())) {
    o.fill(int_answer);
    return out;
  }
  detail::dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    xt::noalias(o) = xt::vectorize([f](T v) -> bool { return f(v); })(xt_view<T>(x));
  });
  return out;
}

// How many elements are non-zero, per output element of a reduction over `dims` (an int64 tensor
// of the reduced shape), and how many elements each count covers.
std::pair<Tensor, std::int64_t> count_true(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims,
                                           bool keepdim) {
  detail::check_defined(op, x);
  const std::int64_t rank = x.dim();
  std::vector<bool> reduced(static_cast<std::size_t>(rank), dims.empty());
  for (std::int64_t d : dims) {
    const std::int64_t n = normalize_dim(op, d, rank == 0 ? 1 : rank);  // a 0-dim tensor takes dim 0 or −1
    if (rank == 0) continue;
    if (reduced[n]) throw std::invalid_argument(std::string(op) + ": dim " + std::to_string(d) + " appears more than once");
    reduced[n] = true;
  }
  Shape out_shape, kept_shape;
  std::int64_t covered = 1;
  for (std::int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      covered *= x.shape()[d];
      if (keepdim) out_shape.push_back(1);
    } else {
      out_shape.push_back(x.shape()[d]);
    }
    kept_shape.push_back(reduced[d] ? 1 : x.shape()[d]);
  }
  Tensor counts = zeros(out_shape, kInt64);
  std::int64_t* c = counts.data<std::int64_t>();
  const Tensor flags = truth(x);
  const bool* f = flags.data<bool>();
  // Row-major walk over x with an odometer; `at` is the output offset of the current element.
  const auto out_strides = contiguous_strides(kept_shape);
  std::vector<std::int64_t> index(static_cast<std::size_t>(rank), 0);
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    c[at] += f[i] ? 1 : 0;
    for (std::int64_t d = rank - 1; d >= 0; --d) {
      const std::int64_t step = reduced[d] ? 0 : out_strides[d];
      at += step;
      if (++index[d] < x.shape()[d]) break;
      at -= step * x.shape()[d];
      index[d] = 0;
    }
  }
  return {counts, covered};
}

Tensor counts_compared(const std::pair<Tensor, std::int64_t>& counts, bool all) {
  Tensor out = empty(counts.first.shape(), kBool);
  auto o = xt_mutable_view<bool>(out);
  auto c = xt_view<std::int64_t>(counts.first);
  const std::int64_t covered = counts.second;
  if (all) xt::noalias(o) = xt::vectorize([covered](std::int64_t n) -> bool { return n == covered; })(c);
  else xt::noalias(o) = xt::vectorize([](std::int64_t n) -> bool { return n > 0; })(c);
  return out;
}

}  // namespace

// ---- comparisons -----------------------------------------------------------------------

#define XG_COMPARISON(name, op_symbol)                                                                 \
  Tensor name(const Tensor& a, const Tensor& b) {                                                             \
    return compare(#name, a, b, [](auto x, auto y) { return x op_symbol y; });                                 \
  }                                                                                                           \
  Tensor name(const Tensor& a, double b) {                                                                    \
    return compare_scalar(#name, a, b, [](auto x, auto y) { return x op_symbol y; });                          \
  }                                                                                                           \
  Tensor operator op_symbol(const Tensor& a, const Tensor& b) { return name(a, b); }                          \
  Tensor operator op_symbol(const Tensor& a, double b) { return name(a, b); }                                 \
  Tensor Tensor::name(const Tensor& other) const { return xg::name(*this, other); }                           \
  Tensor Tensor::name(double other) const { return xg::name(*this, other); }

XG_COMPARISON(eq, ==)
XG_COMPARISON(ne, !=)
XG_COMPARISON(lt, <)
XG_COMPARISON(le, <=)
XG_COMPARISON(gt, >)
XG_COMPARISON(ge, >=)
#undef XG_COMPARISON

// s ⊙ t is t ⊙' s with the comparison mirrored.
Tensor operator==(double a, const Tensor& b) { return eq(b, a); }
Tensor operator!=(double a, const Tensor& b) { return ne(b, a); }
Tensor operator<(double a, const Tensor& b) { return gt(b, a); }
Tensor operator<=(double a, const Tensor& b) { return ge(b, a); }
Tensor operator>(double a, const Tensor& b) { return lt(b, a); }
Tensor operator>=(double a, const Tensor& b) { return le(b, a); }

// ---- logic -----------------------------------------------------------------------------

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return logical("logical_and", a, b, [](bool x, bool y) { return x && y; });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return logical("logical_or", a, b, [](bool x, bool y) { return x || y; });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return logical("logical_xor", a, b, [](bool x, bool y) { return x != y; });
}
Tensor logical_not(const Tensor& x) {
  detail::check_defined("logical_not", x);
  Tensor out = empty(x.shape(), kBool);
  const Tensor flags = truth(x);
  auto o = xt_mutable_view<bool>(out);
  xt::noalias(o) = xt::vectorize([](bool v) -> bool { return !v; })(xt_view<bool>(flags));
  return out;
}

Tensor operator&(const Tensor& a, const Tensor& b) {
  check_bool("operator&", a);
  check_bool("operator&", b);
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  check_bool("operator|", a);
  check_bool("operator|", b);
  return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
  check_bool("operator^", a);
  check_bool("operator^", b);
  return logical_xor(a, b);
}
Tensor operator~(const Tensor& x) {
  check_bool("operator~", x);
  return logical_not(x);
}

Tensor Tensor::logical_and(const Tensor& other) const { return xg::logical_and(*this, other); }
Tensor Tensor::logical_or(const Tensor& other) const { return xg::logical_or(*this, other); }
Tensor Tensor::logical_xor(const Tensor& other) const { return xg::logical_xor(*this, other); }
Tensor Tensor::logical_not() const { return xg::logical_not(*this); }

// ---- NaN / Inf -------------------------------------------------------------------------

Tensor isnan(const Tensor& x) {
  return classify("isnan", x, false, [](auto v) { return std::isnan(v); });
}
Tensor isinf(const Tensor& x) {
  return classify("isinf", x, false, [](auto v) { return std::isinf(v); });
}
Tensor isfinite(const Tensor& x) {
  return classify("isfinite", x, true, [](auto v) { return std::isfinite(v); });
}
Tensor Tensor::isnan() const { return xg::isnan(*this); }
Tensor Tensor::isinf() const { return xg::isinf(*this); }
Tensor Tensor::isfinite() const { return xg::isfinite(*this); }

// ---- any / all -------------------------------------------------------------------------

Tensor any(const Tensor& x) { return counts_compared(count_true("any", x, {}, false), false); }
Tensor all(const Tensor& x) { return counts_compared(count_true("all", x, {}, false), true); }
Tensor any(const Tensor& x, std::int64_t dim, bool keepdim) {
  return counts_compared(count_true("any", x, {dim}, keepdim), false);
}
Tensor all(const Tensor& x, std::int64_t dim, bool keepdim) {
  return counts_compared(count_true("all", x, {dim}, keepdim), true);
}
Tensor any(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return counts_compared(count_true("any", x, dims, keepdim), false);
}
Tensor all(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  return counts_compared(count_true("all", x, dims, keepdim), true);
}
Tensor Tensor::any() const { return xg::any(*this); }
Tensor Tensor::all() const { return xg::all(*this); }
Tensor Tensor::any(std::int64_t dim, bool keepdim) const { return xg::any(*this, dim, keepdim); }
Tensor Tensor::all(std::int64_t dim, bool keepdim) const { return xg::all(*this, dim, keepdim); }

// ---- closeness -------------------------------------------------------------------------

Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  const char* op = "isclose";
  detail::check_defined(op, a, "first operand");
  detail::check_defined(op, b, "second operand");
  if (!(rtol >= 0) || !(atol >= 0))
    throw std::invalid_argument(std::string(op) + ": rtol and atol must be non-negative, got rtol = " +
                                std::to_string(rtol) + ", atol = " + std::to_string(atol));
  if (a.dtype() != b.dtype())  // torch.isclose refuses mixed dtypes
    detail::check_same_dtype(op, a, b);
  // Integers and bools are compared in float64 (exact for |values| < 2^53).
  const Dtype common = is_floating(a.dtype()) ? a.dtype() : kFloat64;
  return compare_as(op, a, b, common, [rtol, atol, equal_nan](auto x, auto y) {
    using T = decltype(x);
    if (x == y) return true;  // equal values, equal infinities included
    if (std::isnan(x) || std::isnan(y)) return equal_nan && std::isnan(x) && std::isnan(y);
    if (!std::isfinite(x) || !std::isfinite(y)) return false;
    return std::abs(x - y) <= static_cast<T>(atol) + static_cast<T>(rtol) * std::abs(y);
  });
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  return all(isclose(a, b, rtol, atol, equal_nan)).item<bool>();
}

bool equal(const Tensor& a, const Tensor& b) {
  detail::check_defined("equal", a, "first operand");
  detail::check_defined("equal", b, "second operand");
  return a.shape() == b.shape() && all(eq(a, b)).item<bool>();
}

Tensor Tensor::isclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return xg::isclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::allclose(const Tensor& other, double rtol, double atol, bool equal_nan) const {
  return xg::allclose(*this, other, rtol, atol, equal_nan);
}
bool Tensor::equal(const Tensor& other) const { return xg::equal(*this, other); }

}  // namespace xg
