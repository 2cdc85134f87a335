#include "autograd/xtensor.hpp"

#include "autograd/detail/in_place.hpp"

namespace xg::detail {

void check_xtensor_view(const Tensor& t, Dtype wanted, bool writable) {
  if (!t.defined()) throw std::invalid_argument("as_xtensor: the tensor is undefined");
  if (t.dtype() != wanted)
    throw std::invalid_argument(std::string("as_xtensor: tensor is ") + dtype_name(t.dtype()) + " " +
                                shape_str(t.shape()) + ", requested a view as " + dtype_name(wanted));
  if (writable) check_writable("as_xtensor", t);
}

}  // namespace xg::detail
