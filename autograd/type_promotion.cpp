#include "autograd/type_promotion.hpp"

#include "autograd/detail/kernel_utils.hpp"

namespace xg {
namespace {
// PyTorch's categories: a higher one always wins over a lower one.
int category(Dtype d) { return d == kBool ? 0 : d == kInt64 ? 1 : 2; }
}  // namespace

Dtype promote_types(Dtype a, Dtype b) {
  if (a == b) return a;
  if (category(a) != category(b)) return category(a) > category(b) ? a : b;
  return kFloat64;  // the only same-category pair that differs: float32 and float64
}

Dtype result_type(const Tensor& a, const Tensor& b) {
  detail::check_defined("result_type", a, "first operand");
  detail::check_defined("result_type", b, "second operand");
  const Dtype da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  const bool a_scalar = a.dim() == 0, b_scalar = b.dim() == 0;
  if (a_scalar == b_scalar) return promote_types(da, db);
  // One 0-dim operand: it decides only by being of a higher category.
  const Dtype zero_dim = a_scalar ? da : db, dimensioned = a_scalar ? db : da;
  return category(zero_dim) > category(dimensioned) ? zero_dim : dimensioned;
}

Dtype result_type(const Tensor& a, double) {
  detail::check_defined("result_type", a);
  return is_floating(a.dtype()) ? a.dtype() : kFloat32;
}

}  // namespace xg
