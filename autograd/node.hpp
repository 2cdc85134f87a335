#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "autograd/grad_mode.hpp"
#include "autograd/tensor.hpp"

namespace xg {

/// A borrowed input of record(): lets `record(out, "add", {a, b}, ...)` pass its inputs without
/// copying the Tensor handles (each copy is an atomic reference-count round trip on the per-op path).
struct TensorRef {
  TensorRef(const Tensor& t) : tensor(&t) {}  // NOLINT: implicit on purpose, for braced lists
  const Tensor* tensor;
};

/// Where the gradient of one input of an op goes: the node that produced that input and which of
/// its outputs the input is (PyTorch's Edge). A null node means the input needs no gradient.
struct Edge {
  std::shared_ptr<Node> node;
  std::uint32_t output_nr = 0;
  explicit operator bool() const { return node != nullptr; }
};

/// A node's input edges: up to kInline of them inside the node (every unary and binary op), more
/// in a vector. One allocation fewer per recorded op than a std::vector.
class EdgeList {
 public:
  static constexpr std::size_t kInline = 2;
  EdgeList() = default;
  EdgeList(const EdgeList&) = delete;
  EdgeList& operator=(const EdgeList&) = delete;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Edge& operator[](std::size_t i) { return size_ <= kInline ? inline_[i] : more_[i]; }
  const Edge& operator[](std::size_t i) const { return size_ <= kInline ? inline_[i] : more_[i]; }
  Edge* begin() { return size_ <= kInline ? inline_ : more_.data(); }
  Edge* end() { return begin() + size_; }
  const Edge* begin() const { return size_ <= kInline ? inline_ : more_.data(); }
  const Edge* end() const { return begin() + size_; }
  void push_back(Edge e) {
    if (size_ < kInline) {
      inline_[size_++] = std::move(e);
      return;
    }
    if (size_ == kInline)  // moving to the heap: take the inline edges along
      for (Edge& moved : inline_) more_.push_back(std::move(moved));
    more_.push_back(std::move(e));
    ++size_;
  }
  void clear() {
    for (Edge& e : inline_) e = Edge{};
    more_.clear();
    size_ = 0;
  }

 private:
  Edge inline_[kInline];
  std::vector<Edge> more_;
  std::size_t size_ = 0;
};

/// A node's output shape, inside the node for up to kInline dims (no allocation per recorded op);
/// backward compares every incoming gradient's shape with it.
class NodeShape {
 public:
  static constexpr std::size_t kInline = 4;
  explicit NodeShape(const Shape& shape) : rank_(shape.size()) {
    if (rank_ <= kInline) std::copy(shape.begin(), shape.end(), inline_.begin());
    else more_ = shape;
  }
  bool matches(const Shape& shape) const {
    if (shape.size() != rank_) return false;
    const std::int64_t* mine = rank_ <= kInline ? inline_.data() : more_.data();
    for (std::size_t d = 0; d < rank_; ++d)  // a loop, not std::equal: that calls memcmp
      if (shape[d] != mine[d]) return false;
    return true;
  }
  Shape shape() const {
    return rank_ <= kInline ? Shape(inline_.begin(), inline_.begin() + static_cast<std::ptrdiff_t>(rank_)) : more_;
  }

 private:
  std::array<std::int64_t, kInline> inline_{};
  Shape more_;
  std::size_t rank_;
};

/// One recorded operation on the tape.
///
/// `sequence_nr` comes from a global atomic counter, so a node is always numbered after the
/// nodes of its inputs, whichever threads recorded them; the engine (autograd/engine.cpp) runs
/// a node when all its gradients have arrived and breaks ties newest first.
/// `next[i]` is where the gradient of the op's i-th input goes. Leaves get an "AccumulateGrad"
/// sink node that writes into their `grad`.
///
/// Most ops have one output and a BackwardFn. Ops with several outputs (max(dim), unbind, split,
/// custom Functions) are one node with a MultiBackwardFn that receives one gradient per output.
struct Node {
  /// Given d(loss)/d(output), returns d(loss)/d(input_i) for each input (undefined = zero).
  using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;
  /// Multi-output nodes: grad_outputs[k] is d(loss)/d(output k): zeros when backward reached
  /// that output from nowhere, undefined for a non-differentiable output (int64 indices).
  using MultiBackwardFn = std::function<std::vector<Tensor>(const std::vector<Tensor>& grad_outputs)>;

  Node(const char* name, const Shape& output_shape, Dtype output_dtype);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const char* name;
  std::uint64_t sequence_nr;
  NodeShape output_shape;  // output 0: every gradient flowing in must have exactly this shape
  Dtype output_dtype;
  /// Multi-output nodes only (empty otherwise): shape, dtype and differentiability of every
  /// output, output 0 included.
  struct OutputInfo {
    Shape shape;
    Dtype dtype;
    bool differentiable;
  };
  std::vector<OutputInfo> outputs;
  std::uint32_t num_outputs() const { return outputs.empty() ? 1u : static_cast<std::uint32_t>(outputs.size()); }
  bool shape_matches(std::uint32_t output_nr, const Shape& shape) const {
    return outputs.empty() ? output_shape.matches(shape) : outputs[output_nr].shape == shape;
  }
  Shape shape_of(std::uint32_t output_nr) const {
    return outputs.empty() ? output_shape.shape() : outputs[output_nr].shape;
  }

  EdgeList next;
  BackwardFn backward;             // single-output nodes; empty once released
  MultiBackwardFn backward_multi;  // multi-output nodes; empty once released

  std::weak_ptr<TensorImpl> leaf;                // set on AccumulateGrad nodes
  std::vector<std::weak_ptr<TensorImpl>> retained;  // retain_grad() on output k sets retained[k]

  bool is_accumulator = false;        // true for a leaf's AccumulateGrad sink
  /// Its closure has state a concurrent pass could see half-written (custom Functions: user code
  /// on a shared context): the engine runs it under `mutex`. Built-in closures are stateless
  /// (hubs keep per-pass state in detail::pass_scratch) and run without a lock.
  bool serialize_backward = false;
  /// Multi-output nodes: backward gets zeros (true) or undefined tensors for outputs no gradient
  /// reached (AutogradContext::set_materialize_grads).
  bool materialize_grads = true;

  /// Anomaly mode (AnomalyGuard) only: a short trace of where the forward of this op ran, printed
  /// when its backward fails. Empty otherwise.
  std::string forward_trace;

  /// Whether backward passes are inside the closure and whether it was released (see
  /// engine.cpp: a pass claims a node with one compare-exchange, so a single-threaded pass pays
  /// no lock; concurrent passes count themselves in and the last one out frees the closure).
  std::atomic<std::uint32_t> run_state{0};
  static constexpr std::uint32_t kReleased = 0x80000000u;
  bool released() const { return (run_state.load(std::memory_order_acquire) & kReleased) != 0; }

  /// A tensor the backward closure reads, with the version of its storage when the op was
  /// recorded (PyTorch's SavedVariable): before running the closure the engine throws if an
  /// in-place write has changed it since. The tensor is a detached handle (no grad_fn), so
  /// saving an op's own output makes no reference cycle. `source` says where it came from:
  /// under create_graph the engine re-attaches the handle to the graph for the duration of the
  /// closure (detail::SavedAttachment in engine.cpp) — the op's own output to this node (the
  /// engine's reference to it; the node never holds one to itself), input i to next[i] (its producer,
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

  /// Tensor hooks (Tensor::register_hook): run in registration order on the gradient of output
  /// `output_nr` of this node before the node uses it; a hook may return a replacement (same
  /// shape and dtype) or an undefined tensor to keep it. Post-accumulate hooks (AccumulateGrad
  /// sinks only) run after the leaf's .grad is updated. Handles are unique per process.
  struct PreHook {
    unsigned handle;
    std::uint32_t output_nr;
    std::function<Tensor(const Tensor&)> fn;
  };
  std::vector<PreHook> pre_hooks;
  std::vector<std::pair<unsigned, std::function<void(const Tensor&)>>> post_accumulate_hooks;

  /// Held to add into a leaf's .grad (sinks), to write a retained gradient, to read the hooks,
  /// and around serialize_backward closures: passes on several threads take turns there.
  /// Per-pass state (pending gradients, dependency counts) lives in the pass, never here.
  std::mutex mutex;
};

/// Number of Node objects alive in the process (tests use it to prove graphs are freed).
std::int64_t live_node_count();

/// True when an op should record: grad mode is on and some input requires grad.
inline bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
bool needs_grad(const std::vector<Tensor>& inputs);

/// Attaches a backward node to `output`. The closure must capture only what backward needs,
/// as detached tensors (capturing a graph-attached tensor would keep its graph alive): tensors
/// it reads through detail::save_for_backward. Written in recorded xg ops (at least when
/// is_grad_enabled(), i.e. under create_graph), it supports double backward: the saved tensors
/// are re-attached to the graph while it runs. A closure that computes with raw kernels throws
/// under create_graph once the incoming gradient is itself part of a graph.
void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward);
/// The same for a braced list of inputs, `record(out, "add", {a, b}, ...)`, without building a vector.
void record(Tensor& output, const char* name, std::initializer_list<TensorRef> inputs, Node::BackwardFn backward);

/// Attaches ONE node to several outputs (PyTorch's multi-output nodes): output k becomes output
/// k of the node, and backward receives one gradient per output, each filled independently
/// (zeros for an output nothing used). Outputs that are int64 or marked false in
/// `differentiable` get no grad_fn and an undefined gradient. Inputs as for record().
void record_multi(const std::vector<Tensor>& outputs, const char* name, const std::vector<Tensor>& inputs,
                  Node::MultiBackwardFn backward, const std::vector<bool>& differentiable = {});

namespace detail {
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
