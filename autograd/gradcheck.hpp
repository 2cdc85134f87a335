#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // pass when |analytic − numeric| ≤ atol + rtol·|numeric|
  double rtol = 1e-3;
  std::uint64_t seed = 1234;  // for the random output weights
};

struct GradcheckResult {
  bool ok = true;
  std::string message;  // on failure: input index, element, analytic and numeric values
  int worst_input = -1;
  std::int64_t worst_element = -1;
  double analytic = 0, numeric = 0;
  double max_abs_error = 0;
  std::int64_t checked_elements = 0;
};

/// Checks fn's analytic gradients against float64 central differences (like torch.autograd.gradcheck).
///
/// Every output is reduced with random N(0,1) weights w (never a plain sum, whose all-ones
/// gradient hides bugs), L = Σ_k Σ w_k ⊙ out_k; the analytic ∂L/∂x from backward() is compared
/// element by element with (L(x + eps) − L(x − eps)) / 2eps for every input that requires grad.
/// Inputs must be float64 leaves; they are perturbed in place and restored.
GradcheckResult gradcheck(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

/// Checks second derivatives (torch.autograd.gradgradcheck): the gradients of fn's outputs,
/// computed by autograd::grad with create_graph = true and the weights `grad_outputs` (one per
/// output; empty: random N(0,1) float64 leaves drawn from options.seed + 1), are themselves
/// gradchecked as a function of (inputs, grad_outputs) with the same options — so the backward of
/// every backward closure fn goes through is compared with float64 central differences of the
/// first-order backward. Inputs and given grad_outputs must be float64 leaves; those that require
/// grad are checked. A gradient that does not depend on an input (a linear fn) is checked as zero.
GradcheckResult gradgradcheck(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const std::vector<Tensor>& grad_outputs = {},
                              const GradcheckOptions& options = {});
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const std::vector<Tensor>& grad_outputs = {},
                              const GradcheckOptions& options = {});

namespace autograd {
using xg::gradcheck;      // torch::autograd::gradcheck spelling
using xg::gradgradcheck;  // torch::autograd::gradgradcheck spelling
}  // namespace autograd

}  // namespace xg
