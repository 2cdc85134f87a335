#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {
namespace autograd {

/// Gradients of `outputs` with respect to `inputs` (torch::autograd::grad), returned instead of
/// accumulated: no leaf's .grad changes. `grad_outputs` may be empty only for one-element
/// outputs (ones are used). The graph is released unless `retain_graph` (unset: create_graph, as
/// libtorch's c10::optional<bool>).
/// With `create_graph` the backward ops are recorded, so the returned gradients can be
/// differentiated again. An input the outputs do not depend on throws unless `allow_unused`,
/// which returns an undefined tensor for it.
std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs = {}, std::optional<bool> retain_graph = std::nullopt,
                         bool create_graph = false, bool allow_unused = false);

/// Runs `callback` on this thread once the backward pass that is running now has finished all
/// its nodes (PyTorch's Engine::queue_callback). Throws outside a backward pass (e.g. not from a
/// hook). Callbacks of a pass that throws are dropped.
void queue_callback(std::function<void()> callback);

/// torch::autograd::backward: accumulates d(Σ outputs·grad_outputs)/d(leaf) into every leaf's .grad.
void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs = {},
              std::optional<bool> retain_graph = std::nullopt, bool create_graph = false);

}  // namespace autograd

namespace detail {

/// Anomaly mode's check: throws std::runtime_error "<op>: <phase> produced NaN<where> (anomaly
/// detection)" (or Inf) when the floating tensor t holds one. Used on forward outputs and on every
/// gradient backward computes.
void check_finite(const Tensor& t, const char* op, const char* phase, const std::string& where);

/// Next recording number. Global and atomic, so a graph recorded across threads is still
/// numbered consistently with its dependencies (a consumer is always numbered after its inputs).
std::uint64_t next_sequence_nr();

/// Scratch slot for one node's state during the current backward pass, keyed by any address
/// the node owns (hub nodes that gather gradients from several consumers keep their buffers
/// here). It lives in the pass, not on the shared graph, so concurrent or failed passes never
/// see each other's state. Throws std::logic_error outside a backward pass.
std::shared_ptr<void>& pass_scratch(const void* key);

/// The engine behind Tensor::backward, autograd::backward and autograd::grad. With `inputs`
/// empty, gradients are accumulated into the leaves; otherwise they are captured and returned,
/// one per input (undefined when unreachable).
std::vector<Tensor> run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                 bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs,
                                 bool allow_unused);

}  // namespace detail
}  // namespace xg
