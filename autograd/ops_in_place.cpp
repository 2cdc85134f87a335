#include "autograd/ops_in_place.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/in_place.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/ops_where.hpp"
#include "autograd/ops_promoted.hpp"
#include "autograd/type_promotion.hpp"

namespace xg {
namespace detail {

namespace {
// PyTorch's can_cast: a result may be written into a tensor of the same or a higher category.
int category(Dtype d) { return d == kBool ? 0 : d == kInt64 ? 1 : 2; }
}  // namespace

bool begin_in_place(const char* op, const Tensor& self, std::initializer_list<const Tensor*> operands) {
  check_defined(op, self);
  if (!is_grad_enabled()) return false;
  if (self.requires_grad() && self.is_leaf())
    throw std::invalid_argument(std::string(op) +
                                ": a leaf Variable that requires grad is being used in an in-place operation "
                                "(write it under NoGradGuard, as optimizers do)");
  bool recorded = self.requires_grad();
  for (const Tensor* t : operands) recorded = recorded || (t->defined() && t->requires_grad());
  if (recorded && self.impl()->storage->has_views.load(std::memory_order_relaxed))
    throw std::invalid_argument(std::string(op) + ": cannot record an in-place write into a tensor of shape " +
                                shape_str(self.shape()) +
                                " whose storage a view (reshape/view/flatten/squeeze/unsqueeze) shares: xgrad "
                                "does not rebase a view's base; write into a clone() instead");
  return recorded;
}

void commit_in_place(const char* op, const Tensor& self, const Tensor& result_in, bool recorded) {
  if (result_in.shape() != self.shape())
    throw std::invalid_argument(std::string(op) + ": output with shape " + shape_str(self.shape()) +
                                " doesn't match the broadcast shape " + shape_str(result_in.shape()));
  if (category(result_in.dtype()) > category(self.dtype()))
    throw std::invalid_argument(std::string(op) + ": result type " + dtype_name(result_in.dtype()) +
                                " can't be cast to the desired output type " + dtype_name(self.dtype()));
  Tensor result = promoted(result_in, self.dtype());
  if (recorded && !result.grad_fn()) {
    // The new values do not depend on anything that requires grad (fill_, copy_ from a
    // constant): self's old history gets a zero gradient, and self still requires grad.
    result = result.clone().detach();
    record(result, op, {self}, [](const Tensor&) { return std::vector<Tensor>{Tensor()}; });
  }
  if (result.raw_data() != self.raw_data())
    std::memcpy(self.raw_data(), result.raw_data(), static_cast<std::size_t>(self.numel()) * element_size(self.dtype()));
  bump_version(self);
  if (!recorded) return;
  TensorImpl& impl = *self.impl();
  impl.grad_fn = result.grad_fn();
  impl.requires_grad = true;
  if (impl.retains_grad) impl.grad_fn->retained = self.impl_ptr();
}

}  // namespace detail

namespace {
// A scalar beside an int64/bool tensor stays integral when it is a whole number (so i *= 2 keeps
// int64 whatever literal was written); otherwise the double overload (float32, then refused by
// the cast rule, as PyTorch refuses i *= 0.5).
bool integral_operand(const Tensor& self, double s) {
  return !is_floating(self.dtype()) && std::nearbyint(s) == s && std::abs(s) < 9.2e18;
}
Tensor scalar_operand(const Tensor& self, double s) {
  return integral_operand(self, s) ? detail::integral_scalar(self, static_cast<std::int64_t>(s)) : Tensor();
}

// The operand the out-of-place op reads as "self": a copy when recording and the op's backward
// reads self's values (its saved handle would otherwise see the overwritten storage).
Tensor source(const Tensor& self, bool recorded, bool backward_reads_self) {
  return recorded && backward_reads_self ? self.clone() : self;
}
}  // namespace

const Tensor& Tensor::add_(const Tensor& other, double alpha) const {
  const bool rec = detail::begin_in_place("add_", *this, {&other});
  detail::check_defined("add_", other, "other");
  detail::commit_in_place("add_", *this, add(*this, alpha == 1 ? other : mul(other, alpha)), rec);
  return *this;
}
const Tensor& Tensor::add_(double other) const {
  const bool rec = detail::begin_in_place("add_", *this, {});
  const Tensor integral = scalar_operand(*this, other);
  detail::commit_in_place("add_", *this, integral.defined() ? add(*this, integral) : add(*this, other), rec);
  return *this;
}
const Tensor& Tensor::sub_(const Tensor& other, double alpha) const {
  const bool rec = detail::begin_in_place("sub_", *this, {&other});
  detail::check_defined("sub_", other, "other");
  detail::commit_in_place("sub_", *this, sub(*this, alpha == 1 ? other : mul(other, alpha)), rec);
  return *this;
}
const Tensor& Tensor::sub_(double other) const {
  const bool rec = detail::begin_in_place("sub_", *this, {});
  const Tensor integral = scalar_operand(*this, other);
  detail::commit_in_place("sub_", *this, integral.defined() ? sub(*this, integral) : sub(*this, other), rec);
  return *this;
}
const Tensor& Tensor::mul_(const Tensor& other) const {
  const bool rec = detail::begin_in_place("mul_", *this, {&other});
  detail::check_defined("mul_", other, "other");
  detail::commit_in_place("mul_", *this, mul(source(*this, rec, other.requires_grad()), other), rec);
  return *this;
}
const Tensor& Tensor::mul_(double other) const {
  const bool rec = detail::begin_in_place("mul_", *this, {});
  const Tensor integral = scalar_operand(*this, other);
  detail::commit_in_place("mul_", *this, integral.defined() ? mul(*this, integral) : mul(*this, other), rec);
  return *this;
}
const Tensor& Tensor::div_(const Tensor& other) const {
  const bool rec = detail::begin_in_place("div_", *this, {&other});
  detail::check_defined("div_", other, "other");
  detail::commit_in_place("div_", *this, div(*this, other), rec);  // div saves out and other, not self
  return *this;
}
const Tensor& Tensor::div_(double other) const {
  const bool rec = detail::begin_in_place("div_", *this, {});
  detail::commit_in_place("div_", *this, div(*this, other), rec);
  return *this;
}
const Tensor& Tensor::zero_() const {
  const bool rec = detail::begin_in_place("zero_", *this, {});
  detail::commit_in_place("zero_", *this, zeros(shape(), dtype()), rec);
  return *this;
}
const Tensor& Tensor::fill_(double value) const {
  const bool rec = detail::begin_in_place("fill_", *this, {});
  detail::check_fill_value("fill_", value, dtype());
  detail::commit_in_place("fill_", *this, full(shape(), value, dtype()), rec);
  return *this;
}
const Tensor& Tensor::fill_(const Tensor& value) const {
  const bool rec = detail::begin_in_place("fill_", *this, {&value});
  detail::check_defined("fill_", value, "value");
  if (value.dim() != 0)
    throw std::invalid_argument("fill_: only supports a 0-dimensional value tensor, but got a tensor of shape " +
                                shape_str(value.shape()));
  detail::commit_in_place("fill_", *this, xg::masked_fill(*this, full({}, 1.0, kBool), value), rec);
  return *this;
}
const Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) const {
  const bool rec = detail::begin_in_place("clamp_", *this, {});
  if (!min && !max) throw std::invalid_argument("clamp_: at least one of 'min' or 'max' must not be None");
  const Tensor src = source(*this, rec, true);
  const Tensor r = !max ? clamp_min(src, *min) : !min ? clamp_max(src, *max) : clamp(src, *min, *max);
  detail::commit_in_place("clamp_", *this, r, rec);
  return *this;
}
const Tensor& Tensor::copy_(const Tensor& src) const {
  const bool rec = detail::begin_in_place("copy_", *this, {&src});
  detail::check_defined("copy_", src, "source");
  if (src.shape() != shape() && broadcast_shapes("copy_", src.shape(), shape()) != shape())
    throw std::invalid_argument("copy_: source shape " + shape_str(src.shape()) +
                                " cannot be broadcast to the destination shape " + shape_str(shape()));
  Tensor value = src.shape() == shape() ? src : expand(src, shape());
  // copy_ converts to the destination's dtype whatever it is (no can_cast rule, as in PyTorch).
  if (value.dtype() != dtype()) value = value.to(dtype());
  detail::commit_in_place("copy_", *this, rec ? value : value.detach(), rec);
  return *this;
}
const Tensor& Tensor::masked_fill_(const Tensor& mask, double value) const {
  const bool rec = detail::begin_in_place("masked_fill_", *this, {});
  detail::commit_in_place("masked_fill_", *this, xg::masked_fill(*this, mask, value), rec);
  return *this;
}
const Tensor& Tensor::masked_fill_(const Tensor& mask, const Tensor& value) const {
  const bool rec = detail::begin_in_place("masked_fill_", *this, {&value});
  detail::commit_in_place("masked_fill_", *this, xg::masked_fill(*this, mask, value), rec);
  return *this;
}

const Tensor& Tensor::operator+=(const Tensor& other) const { return add_(other); }
const Tensor& Tensor::operator+=(double other) const { return add_(other); }
const Tensor& Tensor::operator-=(const Tensor& other) const { return sub_(other); }
const Tensor& Tensor::operator-=(double other) const { return sub_(other); }
const Tensor& Tensor::operator*=(const Tensor& other) const { return mul_(other); }
const Tensor& Tensor::operator*=(double other) const { return mul_(other); }
const Tensor& Tensor::operator/=(const Tensor& other) const { return div_(other); }
const Tensor& Tensor::operator/=(double other) const { return div_(other); }

void Tensor::set(const std::vector<std::int64_t>& index, double value) {
  const std::int64_t flat = detail::flat_index(shape(), index, "set");
  const bool rec = detail::begin_in_place("set", *this, {});
  if (rec) {  // recorded as a masked_fill of one element
    Tensor mask = zeros(shape(), kBool);
    mask.data<bool>()[flat] = true;
    detail::commit_in_place("set", *this, xg::masked_fill(*this, mask, value), rec);
    return;
  }
  switch (dtype()) {
    case kFloat32: data<float>()[flat] = static_cast<float>(value); break;
    case kFloat64: data<double>()[flat] = value; break;
    case kInt64: data<std::int64_t>()[flat] = static_cast<std::int64_t>(value); break;
    case kBool: data<bool>()[flat] = value != 0; break;
  }
  detail::bump_version(*this);
}

void fill_(Tensor& t, double value) {
  detail::check_defined("fill_", t);
  t.fill_(value);
}

void copy_(Tensor& dst, const Tensor& src) {
  detail::check_defined("copy_", dst, "destination");
  dst.copy_(src);
}

}  // namespace xg
