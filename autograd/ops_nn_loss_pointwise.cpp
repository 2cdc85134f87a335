#include "autograd/ops_nn_loss_pointwise.hpp"

#include <limits>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_unary.hpp"

namespace xg {

namespace {

void check_pair(const char* op, const Tensor& input, const Tensor& target) {
  detail::check_floating(op, input, "input");
  detail::check_floating(op, target, "target");
  detail::check_same_dtype(op, input, target);
  if (input.shape() != target.shape())
    throw std::invalid_argument(std::string(op) + ": input " + shape_str(input.shape()) + " and target " +
                                shape_str(target.shape()) + " must have the same shape");
}

// An optional weight must broadcast to the input (trailing dims equal or 1) and share its dtype.
void check_weight(const char* op, const char* what, const Tensor& w, const Tensor& input) {
  if (!w.defined()) return;
  detail::check_floating(op, w, what);
  detail::check_same_dtype(op, input, w);
  bool ok = w.dim() <= input.dim();
  for (std::int64_t k = 1; ok && k <= w.dim(); ++k) ok = w.size(-k) == 1 || w.size(-k) == input.size(-k);
  if (!ok)
    throw std::invalid_argument(std::string(op) + ": " + what + " " + shape_str(w.shape()) +
                                " does not broadcast to input " + shape_str(input.shape()));
}

Tensor reduce(const Tensor& loss, Reduction reduction) {
  if (reduction == Reduction::None) return loss;
  return reduction == Reduction::Sum ? sum(loss) : mean(loss);
}

// min(d, limit) for d = |input − target|, and d itself: the two pieces of smooth L1 and Huber
// (the clamp's gradient switches between the quadratic and the linear part).
std::pair<Tensor, Tensor> distance_and_clamped(const Tensor& input, const Tensor& target, double limit) {
  Tensor d = abs(sub(input, target));
  return {d, clamp_max(d, limit)};
}

}  // namespace

Tensor l1_loss(const Tensor& input, const Tensor& target, const L1LossOptions& options) {
  check_pair("l1_loss", input, target);
  return reduce(abs(sub(input, target)), options.reduction());
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, const SmoothL1LossOptions& options) {
  const char* op = "smooth_l1_loss";
  check_pair(op, input, target);
  const double beta = options.beta();
  if (!(beta >= 0)) throw std::invalid_argument(std::string(op) + ": beta must be ≥ 0, got " + std::to_string(beta));
  if (beta == 0) return l1_loss(input, target, options.reduction());  // PyTorch's special case
  // d < β: m = d, 0.5 d²/β;  d ≥ β: m = β, 0.5 β + d − β = d − 0.5 β.
  auto [d, m] = distance_and_clamped(input, target, beta);
  return reduce(add(mul(mul(m, m), 0.5 / beta), sub(d, m)), options.reduction());
}

Tensor huber_loss(const Tensor& input, const Tensor& target, const HuberLossOptions& options) {
  const char* op = "huber_loss";
  check_pair(op, input, target);
  const double delta = options.delta();
  if (!(delta > 0)) throw std::invalid_argument(std::string(op) + ": delta must be > 0, got " + std::to_string(delta));
  // d < δ: 0.5 d²;  d ≥ δ: 0.5 δ² + δ (d − δ) = δ (d − 0.5 δ).
  auto [d, m] = distance_and_clamped(input, target, delta);
  return reduce(add(mul(mul(m, m), 0.5), mul(sub(d, m), delta)), options.reduction());
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const BCELossOptions& options) {
  const char* op = "binary_cross_entropy";
  check_pair(op, input, target);
  check_weight(op, "weight", options.weight(), input);
  for (double v : input.to_vector())
    if (!(v >= 0 && v <= 1))
      throw std::invalid_argument(std::string(op) + ": all elements of input must be in [0, 1], found " +
                                  std::to_string(v) + " (apply sigmoid first, or use binary_cross_entropy_with_logits)");
  // PyTorch clamps each log at −100 so that 0·log 0 stays finite.
  const Tensor log_x = clamp_min(log(input), -100.0), log_1mx = clamp_min(log(rsub(1.0, input)), -100.0);
  Tensor loss = neg(add(mul(target, log_x), mul(rsub(1.0, target), log_1mx)));
  if (options.weight().defined()) loss = mul(loss, options.weight());
  return reduce(loss, options.reduction());
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        const BCEWithLogitsLossOptions& options) {
  const char* op = "binary_cross_entropy_with_logits";
  check_pair(op, input, target);
  check_weight(op, "weight", options.weight(), input);
  check_weight(op, "pos_weight", options.pos_weight(), input);
  // log(1 + e^−|x|) + max(−x, 0) = −log σ(x), without overflow for large |x|.
  const Tensor minus_log_sigmoid = add(log(add(exp(neg(abs(input))), 1.0)), relu(neg(input)));
  Tensor scale = options.pos_weight().defined() ? add(mul(sub(options.pos_weight(), 1.0), target), 1.0) : Tensor();
  Tensor loss = add(mul(rsub(1.0, target), input),
                    scale.defined() ? mul(scale, minus_log_sigmoid) : minus_log_sigmoid);
  if (options.weight().defined()) loss = mul(loss, options.weight());
  return reduce(loss, options.reduction());
}

Tensor kl_div(const Tensor& input, const Tensor& target, const KLDivLossOptions& options) {
  const char* op = "kl_div";
  check_pair(op, input, target);
  Tensor loss;
  if (options.log_target()) {
    loss = mul(exp(target), sub(target, input));
  } else {
    // xlogy: target · log target is 0 where target = 0. Clamping at the smallest normal number
    // changes nothing elsewhere (every positive normal target is above it).
    const double tiny = input.dtype() == kFloat32 ? std::numeric_limits<float>::min() : std::numeric_limits<double>::min();
    loss = mul(target, sub(log(clamp_min(target, tiny)), input));
  }
  switch (options.reduction()) {
    case KLDivReduction::None: return loss;
    case KLDivReduction::Sum: return sum(loss);
    case KLDivReduction::Mean: return mean(loss);
    case KLDivReduction::BatchMean: return div(sum(loss), static_cast<double>(input.dim() == 0 ? 1 : input.size(0)));
  }
  throw std::invalid_argument(std::string(op) + ": unknown reduction " +
                              std::to_string(static_cast<int>(options.reduction())));
}

}  // namespace xg
