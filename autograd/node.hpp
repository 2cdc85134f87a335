#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// One recorded operation on the tape.
///
/// `sequence_nr` comes from a global atomic counter, so a node is always numbered after the
/// nodes of its inputs, whichever threads recorded them; the engine (autograd/engine.cpp) runs
/// a node when all its gradients have arrived and breaks ties newest first.
/// `next[i]` is the node that receives the gradient of the op's i-th input (null when that
/// input needs no gradient). Leaves get an "AccumulateGrad" sink node that writes into
/// their `grad`.
struct Node : std::enable_shared_from_this<Node> {
  /// Given d(loss)/d(output), returns d(loss)/d(input_i) for each input (undefined = zero).
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

  Node(const char* name, Shape output_shape, Dtype output_dtype);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name;
  std::uint64_t sequence_nr;
  Shape output_shape;  // every gradient flowing in must have exactly this shape
  Dtype output_dtype;
  std::vector<std::shared_ptr<Node>> next;
  BackwardFn backward;   // empty once released
  bool released = false;

  std::weak_ptr<TensorImpl> leaf;      // set on AccumulateGrad nodes
  std::weak_ptr<TensorImpl> retained;  // set by retain_grad() on a non-leaf output

  bool is_accumulator = false;        // true for a leaf's AccumulateGrad sink
  /// Its closure is built from recorded ops on the incoming gradient only, so running it with
  /// create_graph records a complete graph. Others throw under create_graph.
  bool double_differentiable = false;

  /// A tensor the backward closure reads, with the version of its storage when the op was
  /// recorded (PyTorch's SavedVariable): before running the closure the engine throws if an
  /// in-place write has changed it since. The tensor is a detached handle (no grad_fn), so
  /// saving an op's own output makes no reference cycle. `source` says where it came from:
  /// under create_graph the engine re-attaches the handle to the graph for the duration of the
  /// closure (detail::SavedAttachment in engine.cpp) — the op's own output to this node (found
  /// through the node's weak self-reference, never stored), input i to next[i] (its producer,
  /// or a leaf's AccumulateGrad sink, so second-order gradients reach that leaf's .grad).
  struct Saved {
    static constexpr int kConstant = -2;  // neither an input nor the output: never attached
    static constexpr int kOutput = -1;
    Tensor tensor;
    std::uint32_t version = 0;
    int source = kConstant;  // kOutput, kConstant or the input's index
  };
  static constexpr int kMaxSaved = 4;
  std::array<Saved, kMaxSaved> saved;  // inline: no allocation on the per-op path
  int saved_count = 0;

  /// Tensor hooks (Tensor::register_hook): run in registration order on the gradient of this
  /// node's output before the node uses it; a hook may return a replacement (same shape and
  /// dtype) or an undefined tensor to keep it. Post-accumulate hooks (AccumulateGrad sinks only)
  /// run after the leaf's .grad is updated. Handles are unique per process.
  std::vector<std::pair<unsigned, std::function<Tensor(const Tensor&)>>> pre_hooks;
  std::vector<std::pair<unsigned, std::function<void(const Tensor&)>>> post_accumulate_hooks;

  /// Held while a backward pass runs this node (and, on a sink, while it adds into the leaf's
  /// .grad): passes on several threads that share nodes or leaves take turns. Per-pass state
  /// (pending gradients, dependency counts) lives in the pass, never here.
  std::mutex mutex;
};

/// Number of Node objects alive in the process (tests use it to prove graphs are freed).
std::int64_t live_node_count();

/// True when an op should record: grad mode is on and some input requires grad.
bool needs_grad(std::initializer_list<const Tensor*> inputs);
bool needs_grad(const std::vector<Tensor>& inputs);

/// Attaches a backward node to `output`. The closure must capture only what backward needs,
/// as detached tensors (capturing a graph-attached tensor would keep its graph alive).
void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward);
/// The same for a braced list of inputs, `record(out, "add", {a, b}, ...)`, without building a vector.
void record(Tensor& output, const char* name, std::initializer_list<Tensor> inputs, Node::BackwardFn backward);

namespace detail {
/// Marks the node that produced `output` as correct under create_graph (see Node).
inline void mark_double_differentiable(const Tensor& output) {
  if (output.grad_fn()) output.grad_fn()->double_differentiable = true;
}

/// How an op's closure captures a tensor it reads in backward (PyTorch's SavedVariable):
/// `record(out, "tanh", {x}, [y = detail::save_for_backward(out)](...) {...})`. Returns a
/// detached handle and notes it, with its storage's current version, for the node that the
/// enclosing record() call creates (the closure argument is built just before record runs).
/// Backward then throws "<op>: one of the variables needed for gradient computation has been
/// modified by an inplace operation: [float32 [3]] is at version 2; expected version 1" if an
/// in-place write changed it in between, instead of silently using the new values.
Tensor save_for_backward(const Tensor& t);
}  // namespace detail

namespace detail {
/// A leaf's AccumulateGrad sink, created on first use (thread-safe).
std::shared_ptr<Node> grad_accumulator(TensorImpl* leaf, const std::shared_ptr<TensorImpl>& owner);
}  // namespace detail

/// Accumulates `grad` into `into` (undefined `into` takes `grad`), checking the shapes agree
/// and naming both and the op otherwise.
void accumulate_grad(Tensor& into, const Tensor& grad, const char* op);

}  // namespace xg
