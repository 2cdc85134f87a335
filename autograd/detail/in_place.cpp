#include "autograd/detail/in_place.hpp"

#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"

namespace xg::detail {

// The writes that bypass the tape (uniform_, normal_, as_xtensor views, collectives): as in
// PyTorch a leaf that requires grad may only be written under NoGradGuard; a tensor produced by
// a recorded op never may while grad mode is on (its gradient would silently be wrong). The
// recorded in-place ops use detail::begin_in_place (ops_in_place.hpp) instead.
void check_writable(const char* op, const Tensor& t) {
  if (!is_grad_enabled() || !t.requires_grad()) return;
  if (t.is_leaf())
    throw std::invalid_argument(std::string(op) +
                                ": a leaf Variable that requires grad is being used in an in-place operation "
                                "(write it under NoGradGuard)");
  throw std::invalid_argument(std::string(op) + ": cannot write in place into a tensor that is part of an autograd " +
                              "graph (shape " + shape_str(t.shape()) + "); " + op +
                              " is not recorded (the arithmetic in-place ops, fill_ and copy_ are)");
}

}  // namespace xg::detail
