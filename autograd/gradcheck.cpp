#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "autograd/creation.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"

namespace xg {

namespace {
// L = Σ_k Σ w_k ⊙ out_k, evaluated in double.
double weighted_total(const std::vector<Tensor>& outputs, const std::vector<Tensor>& weights) {
  double total = 0;
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const Tensor o = outputs[k].to(kFloat64);
    const double* po = o.data<double>();
    const double* pw = weights[k].data<double>();
    for (std::int64_t i = 0; i < o.numel(); ++i) total += po[i] * pw[i];
  }
  return total;
}
}  // namespace

GradcheckResult gradcheck(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) throw std::invalid_argument("gradcheck: input " + std::to_string(i) + " is undefined");
    if (inputs[i].requires_grad() && (inputs[i].dtype() != kFloat64 || !inputs[i].is_leaf()))
      throw std::invalid_argument("gradcheck: input " + std::to_string(i) +
                                  " must be a float64 leaf (finite differences in float32 are too coarse), got " +
                                  dtype_name(inputs[i].dtype()));
  }
  GradcheckResult result;

  // Analytic: one backward of the weighted total.
  for (const Tensor& in : inputs)
    if (in.requires_grad()) const_cast<Tensor&>(in).set_grad(Tensor());
  std::vector<Tensor> outputs = fn(inputs);
  if (outputs.empty()) throw std::invalid_argument("gradcheck: the function returned no outputs");
  Generator generator(options.seed);
  std::vector<Tensor> weights;
  for (const Tensor& out : outputs) {
    if (!out.defined() || !is_floating(out.dtype()))
      throw std::invalid_argument("gradcheck: outputs must be defined floating point tensors");
    weights.push_back(randn(out.shape(), generator, kFloat64));
  }
  // ∂L/∂x = Σ_k J_kᵀ w_k: one backward per output with w_k as its gradient; leaves accumulate.
  for (std::size_t k = 0; k < outputs.size(); ++k)
    if (outputs[k].requires_grad()) outputs[k].backward(weights[k].to(outputs[k].dtype()), /*retain_graph=*/true);

  std::vector<std::vector<double>> analytic(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    const Tensor g = inputs[i].grad();
    analytic[i] = g.defined() ? g.to_vector() : std::vector<double>(static_cast<std::size_t>(inputs[i].numel()), 0.0);
    const_cast<Tensor&>(inputs[i]).set_grad(Tensor());
  }

  // Numeric: central differences, one element at a time, perturbing the inputs in place.
  NoGradGuard no_grad;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    double* data = const_cast<Tensor&>(inputs[i]).data<double>();
    for (std::int64_t e = 0; e < inputs[i].numel(); ++e) {
      const double original = data[e];
      data[e] = original + options.eps;
      const double plus = weighted_total(fn(inputs), weights);
      data[e] = original - options.eps;
      const double minus = weighted_total(fn(inputs), weights);
      data[e] = original;
      const double numeric = (plus - minus) / (2 * options.eps);
      const double a = analytic[i][static_cast<std::size_t>(e)];
      const double err = std::abs(a - numeric);
      ++result.checked_elements;
      const bool bad = !(err <= options.atol + options.rtol * std::abs(numeric));
      // Report the first failing element, or the largest error when everything passes.
      if ((bad && result.ok) || (result.ok && err > result.max_abs_error)) {
        result.worst_input = static_cast<int>(i);
        result.worst_element = e;
        result.analytic = a;
        result.numeric = numeric;
      }
      if (bad) result.ok = false;
      result.max_abs_error = std::max(result.max_abs_error, std::isnan(err) ? INFINITY : err);
    }
  }
  if (!result.ok) {
    std::ostringstream os;
    os.precision(10);
    os << "gradcheck: Jacobian mismatch for input " << result.worst_input << " element " << result.worst_element
       << ": analytic " << result.analytic << " vs numeric " << result.numeric << " (atol " << options.atol
       << ", rtol " << options.rtol << ", eps " << options.eps << ")";
    result.message = os.str();
  }
  return result;
}

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  return gradcheck([&fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in)}; }, inputs, options);
}

GradcheckResult gradgradcheck(const std::function<std::vector<Tensor>(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const std::vector<Tensor>& grad_outputs,
                              const GradcheckOptions& options) {
  std::vector<std::size_t> wrt;  // the inputs whose gradients fn's backward computes
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) wrt.push_back(i);
  if (wrt.empty()) throw std::invalid_argument("gradgradcheck: no input requires grad");
  std::vector<Tensor> weights = grad_outputs;
  if (weights.empty()) {
    const std::vector<Tensor> outputs = fn(inputs);
    Generator generator(options.seed + 1);
    for (const Tensor& out : outputs) {
      if (!out.defined() || out.dtype() != kFloat64)
        throw std::invalid_argument("gradgradcheck: outputs must be defined float64 tensors");
      weights.push_back(randn(out.shape(), generator, kFloat64).requires_grad_());
    }
  }
  for (std::size_t k = 0; k < weights.size(); ++k)
    if (!weights[k].defined() || weights[k].dtype() != kFloat64 || !weights[k].is_leaf())
      throw std::invalid_argument("gradgradcheck: grad_outputs[" + std::to_string(k) + "] must be a float64 leaf");

  // (inputs, grad_outputs) ↦ the first-order gradients w.r.t. the inputs that require grad,
  // recorded (create_graph) so that gradcheck can backpropagate through them.
  const std::size_t n_in = inputs.size();
  auto first_order = [&fn, &wrt, n_in](const std::vector<Tensor>& all) {
    AutoGradMode grad_on(true);  // gradcheck evaluates its finite differences under no_grad
    const std::vector<Tensor> in(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n_in));
    const std::vector<Tensor> outputs = fn(in);
    if (outputs.size() != all.size() - n_in)
      throw std::invalid_argument("gradgradcheck: got " + std::to_string(all.size() - n_in) + " grad_outputs for " +
                                  std::to_string(outputs.size()) + " outputs");
    std::vector<Tensor> roots, seeds, targets;
    for (std::size_t k = 0; k < outputs.size(); ++k)
      if (outputs[k].requires_grad()) {
        roots.push_back(outputs[k]);
        seeds.push_back(all[n_in + k]);
      }
    for (std::size_t i : wrt) targets.push_back(in[i]);
    std::vector<Tensor> grads(wrt.size());
    if (!roots.empty())
      grads = autograd::grad(roots, targets, seeds, /*retain_graph=*/1, /*create_graph=*/true, /*allow_unused=*/true);
    for (std::size_t j = 0; j < grads.size(); ++j)
      if (!grads[j].defined()) grads[j] = zeros(targets[j].shape(), kFloat64);
    return grads;
  };
  std::vector<Tensor> all = inputs;
  all.insert(all.end(), weights.begin(), weights.end());
  GradcheckResult result = gradcheck(first_order, all, options);
  if (!result.ok) result.message = "gradgradcheck: " + result.message.substr(std::string("gradcheck: ").size()) +
                                   " (inputs " + std::to_string(n_in) + ".. are the grad_outputs)";
  return result;
}

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const std::vector<Tensor>& grad_outputs,
                              const GradcheckOptions& options) {
  return gradgradcheck([&fn](const std::vector<Tensor>& in) { return std::vector<Tensor>{fn(in)}; }, inputs,
                       grad_outputs, options);
}

}  // namespace xg
