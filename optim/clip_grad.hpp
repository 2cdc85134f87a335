#pragma once
#include <limits>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::optim {

/// Rescales the gradients of `params` in place so that their joint norm is at most max_norm, as
/// torch.nn.utils.clip_grad_norm_ (PyTorch 1.13): with the total norm
///   N = ‖(‖g₁‖ₚ, …, ‖gₖ‖ₚ)‖ₚ   over every parameter that has a gradient (p = inf: max |g|),
/// every gradient is multiplied by c = max_norm / (N + 1e-6) when c < 1 (or N is NaN).
/// Returns N as a double (0 when no parameter has a gradient). norm_type must be > 0 or inf.
/// error_if_nonfinite: throws std::runtime_error naming the norm order if N is NaN or ±inf.
/// Throws std::invalid_argument for max_norm < 0 or an unsupported norm_type.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0,
                       bool error_if_nonfinite = false);

/// Clamps every gradient of `params` in place to [−value, value], as torch.nn.utils.clip_grad_value_.
/// Throws std::invalid_argument for value < 0 (or NaN).
void clip_grad_value_(const std::vector<Tensor>& params, double value);

}  // namespace xg::optim
