#include "autograd/detail/where_mask.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/node.hpp"
#include "autograd/xtensor.hpp"

namespace xg::detail {

Tensor mask_where(const char* op, const Tensor& x, const std::function<bool(double)>& pred) {
  return map_floating(op, x, [&pred](auto v) { return decltype(v)(pred(static_cast<double>(v)) ? 1 : 0); });
}

Tensor where_mask(const Tensor& mask, const Tensor& a, const Tensor& b) {
  for (const Tensor* t : {&mask, &a, &b}) check_floating("where_mask", *t);
  if (a.shape() != mask.shape() || b.shape() != mask.shape() || a.dtype() != mask.dtype() ||
      b.dtype() != mask.dtype())
    throw std::invalid_argument("where_mask: mask " + std::string(dtype_name(mask.dtype())) + " " +
                                shape_str(mask.shape()) + ", a " + dtype_name(a.dtype()) + " " + shape_str(a.shape()) +
                                " and b " + dtype_name(b.dtype()) + " " + shape_str(b.shape()) + " must agree");
  Tensor out = empty(mask.shape(), mask.dtype());
  dispatch_floating("where_mask", mask.dtype(), [&](auto tag) {
    using T = decltype(tag);
    as_xtensor<T>(out) = xt::where(xt::not_equal(as_xtensor<T>(mask), T(0)), as_xtensor<T>(a), as_xtensor<T>(b));
  });
  if (needs_grad({&a, &b})) {
    record(out, "where_mask", {a, b}, [m = save_for_backward(mask)](const Tensor& g) {
      const Tensor none = zeros_like(g);
      return std::vector<Tensor>{where_mask(m, g, none), where_mask(m, none, g)};
    });
  }
  return out;
}

}  // namespace xg::detail
