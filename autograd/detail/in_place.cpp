#include "autograd/detail/in_place.hpp"

#include <stdexcept>
#include <string>

#include "autograd/grad_mode.hpp"

namespace xg::detail {

// In-place writes bypass the tape, so (as in PyTorch) a leaf that requires grad may only be
// written under NoGradGuard; a tensor produced by a recorded op never may while grad mode is on
// (xgrad records no in-place ops, so its gradient would silently be wrong).
void check_writable(const char* op, const Tensor& t) {
  if (!is_grad_enabled() || !t.requires_grad()) return;
  if (t.is_leaf())
    throw std::invalid_argument(std::string(op) +
                                ": a leaf Variable that requires grad is being used in an in-place operation "
                                "(write it under NoGradGuard)");
  throw std::invalid_argument(std::string(op) + ": cannot write in place into a tensor that is part of an autograd " +
                              "graph (shape " + shape_str(t.shape()) + "); xgrad records no in-place ops");
}

}  // namespace xg::detail
