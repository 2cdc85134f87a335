#include "autograd/ops_where.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include <xtensor/xvectorize.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/xt_view.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/type_promotion.hpp"

namespace xg {
using detail::xt_mutable_view;
using detail::xt_view;

namespace {

void check_mask(const char* op, const Tensor& mask, const char* what = "mask") {
  detail::check_defined(op, mask, what);
  if (mask.dtype() != kBool)
    throw std::invalid_argument(std::string(op) + ": expected " + what + " to be a bool tensor, got " +
                                dtype_name(mask.dtype()) + " " + shape_str(mask.shape()) +
                                " (compare to get one: x > 0)");
}

// out = c ? a : b with broadcasting; a and b already share `dtype`.
Tensor select_kernel(const Tensor& c, const Tensor& a, const Tensor& b, const Shape& out_shape) {
  Tensor out = empty(out_shape, a.dtype());
  detail::dispatch_all(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto o = xt_mutable_view<T>(out);
    xt::noalias(o) = xt::vectorize([](bool p, T x, T y) -> T { return p ? x : y; })(xt_view<bool>(c), xt_view<T>(a),
                                                                                       xt_view<T>(b));
  });
  return out;
}

// The recorded where under the name of the op the user called (where, masked_fill).
Tensor where_impl(const char* op, const Tensor& condition, const Tensor& a_in, const Tensor& b_in) {
  const Dtype dtype = result_type(a_in, b_in);
  const Tensor a = detail::promoted(a_in, dtype), b = detail::promoted(b_in, dtype);
  const Shape out_shape = broadcast_shapes(op, broadcast_shapes(op, condition.shape(), a.shape()), b.shape());
  Tensor out = select_kernel(condition, a, b, out_shape);
  if (needs_grad({&a, &b})) {
    record(out, op, {a, b}, [c = detail::save_for_backward(condition), sa = a.shape(), sb = b.shape()](const Tensor& g) {
      const Tensor zero = zeros({}, g.dtype());
      return std::vector<Tensor>{sum_to_shape(where(c, g, zero), sa), sum_to_shape(where(c, zero, g), sb)};
    });
  }
  return out;
}

// A C++ scalar beside `t`, as a 0-dim tensor of the dtype they promote to.
Tensor scalar_beside(const Tensor& t, double s) { return scalar_tensor(s, result_type(t, s)); }

// Scatters the 1-D `values` into zeros of `shape` at the true positions of `mask` (same shape):
// masked_select's backward, itself differentiable by masked_select (both are linear).
Tensor masked_scatter_into_zeros(const Tensor& values, const Tensor& mask) {
  Tensor out = zeros(mask.shape(), values.dtype());
  const bool* m = mask.data<bool>();
  detail::dispatch_floating("masked_select_backward", values.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* v = values.data<T>();
    T* o = out.data<T>();
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < out.numel(); ++i)
      if (m[i]) o[i] = v[k++];
  });
  if (needs_grad({&values})) {
    record(out, "masked_select_backward", {values},
           [m = detail::save_for_backward(mask)](const Tensor& g) { return std::vector<Tensor>{masked_select(g, m)}; });
  }
  return out;
}

}  // namespace

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  check_mask("where", condition, "condition");
  detail::check_defined("where", a, "first value");
  detail::check_defined("where", b, "second value");
  return where_impl("where", condition, a, b);
}

Tensor where(const Tensor& condition, const Tensor& a, double b) {
  detail::check_defined("where", a, "first value");
  return where(condition, a, scalar_beside(a, b));
}

Tensor where(const Tensor& condition, double a, const Tensor& b) {
  detail::check_defined("where", b, "second value");
  return where(condition, scalar_beside(b, a), b);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  const char* op = "masked_fill";
  detail::check_defined(op, x);
  check_mask(op, mask);
  detail::check_defined(op, value, "value");
  if (value.dim() != 0)
    throw std::invalid_argument(std::string(op) + ": only supports a 0-dimensional value tensor, but got a tensor of shape " +
                                shape_str(value.shape()));
  if (broadcast_shapes(op, mask.shape(), x.shape()) != x.shape())
    throw std::invalid_argument(std::string(op) + ": mask of shape " + shape_str(mask.shape()) +
                                " cannot be broadcast to the input's shape " + shape_str(x.shape()));
  if (value.requires_grad() && !is_floating(x.dtype()))
    throw std::invalid_argument(std::string(op) + ": a value that requires grad cannot be written into a " +
                                dtype_name(x.dtype()) + " tensor");
  // The result keeps x's dtype (PyTorch casts the value; it never promotes x).
  return where_impl(op, mask, detail::promoted(value, x.dtype()), x);
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  detail::check_defined("masked_fill", x);
  return masked_fill(x, mask, full({}, value, x.dtype()));
}

Tensor masked_select(const Tensor& x, const Tensor& mask) {
  const char* op = "masked_select";
  detail::check_defined(op, x);
  check_mask(op, mask);
  const Shape shape = broadcast_shapes(op, x.shape(), mask.shape());
  const Tensor xb = x.shape() == shape ? x : expand(x, shape);
  const Tensor mb = mask.shape() == shape ? mask.detach() : expand(mask.detach(), shape);
  const bool* m = mb.data<bool>();
  std::int64_t count = 0;
  for (std::int64_t i = 0; i < mb.numel(); ++i) count += m[i] ? 1 : 0;
  Tensor out = empty({count}, x.dtype());
  detail::dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* v = static_cast<const T*>(xb.raw_data());
    T* o = static_cast<T*>(out.raw_data());
    std::int64_t k = 0;
    for (std::int64_t i = 0; i < mb.numel(); ++i)
      if (m[i]) o[k++] = v[i];
  });
  if (needs_grad({&xb})) {
    record(out, op, {xb}, [mb = detail::save_for_backward(mb)](const Tensor& g) { return std::vector<Tensor>{masked_scatter_into_zeros(g, mb)}; });
  }
  return out;
}

Tensor Tensor::where(const Tensor& condition, const Tensor& other) const { return xg::where(condition, *this, other); }
Tensor Tensor::masked_fill(const Tensor& mask, double value) const { return xg::masked_fill(*this, mask, value); }
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return xg::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_select(const Tensor& mask) const { return xg::masked_select(*this, mask); }

}  // namespace xg
