#include "autograd/node.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/detail/call_site.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {
namespace {
std::atomic<std::int64_t> live_nodes{0};
// Guards the lazy creation of leaves' sinks: two threads may use one parameter in forward at
// once. Striped by address so unrelated leaves rarely share a lock.
std::mutex& accumulator_lock(const TensorImpl* leaf) {
  static std::mutex locks[64];
  return locks[(reinterpret_cast<std::uintptr_t>(leaf) >> 6) % 64];
}
}  // namespace

std::shared_ptr<Node> detail::grad_accumulator(TensorImpl* leaf, const std::shared_ptr<TensorImpl>& owner) {
  // Fast path, no lock: the sink was created and published (release) by an earlier call. It is
  // only replaced when no graph is being recorded (Module::to), hence the null check.
  if (leaf->grad_accumulator_ready.load(std::memory_order_acquire) && leaf->grad_accumulator)
    return leaf->grad_accumulator;
  std::lock_guard<std::mutex> lock(accumulator_lock(leaf));
  if (!leaf->grad_accumulator) {
    auto sink = std::make_shared<Node>("AccumulateGrad", leaf->shape, leaf->dtype);
    sink->sequence_nr = 0;
    sink->is_accumulator = true;
    sink->leaf = owner;
    leaf->grad_accumulator = std::move(sink);
  }
  leaf->grad_accumulator_ready.store(true, std::memory_order_release);
  return leaf->grad_accumulator;
}

Node::Node(const char* op_name, const Shape& shape, Dtype dtype)
    : name(op_name), sequence_nr(detail::next_sequence_nr()), output_shape(shape), output_dtype(dtype) {
  live_nodes.fetch_add(1, std::memory_order_relaxed);
}

Node::~Node() {
  // Tear long chains down iteratively: letting each shared_ptr release the next would recurse
  // once per op and overflow the stack on a 100 000-op chain.
  std::vector<std::shared_ptr<Node>> doomed;
  auto take_sole_owned = [&doomed](EdgeList& edges) {
    for (Edge& e : edges)
      if (e.node && e.node.use_count() == 1) doomed.push_back(std::move(e.node));
    edges.clear();
  };
  take_sole_owned(next);
  while (!doomed.empty()) {
    std::shared_ptr<Node> n = std::move(doomed.back());
    doomed.pop_back();
    n->backward = nullptr;  // its captured tensors are detached, so this cannot recurse either
    n->backward_multi = nullptr;
    take_sole_owned(n->next);
  }
  live_nodes.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t live_node_count() { return live_nodes.load(std::memory_order_relaxed); }

bool needs_grad(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

// Tensors saved by save_for_backward for the record() call this thread is about to make.
namespace {
thread_local std::array<Node::Saved, Node::kMaxSaved> pending_saved;
thread_local std::array<const TensorImpl*, Node::kMaxSaved> pending_saved_from;  // the tensor each was taken from
thread_local int pending_saved_count = 0;
}  // namespace

Tensor detail::save_for_backward(const Tensor& t) {
  if (!t.defined()) return t;
  if (pending_saved_count == Node::kMaxSaved)
    throw std::logic_error("save_for_backward: an op may save at most " + std::to_string(Node::kMaxSaved) + " tensors");
  Tensor handle = t.detach();
  pending_saved_from[pending_saved_count] = t.impl();
  pending_saved[pending_saved_count++] = Node::Saved{handle, handle._version(), Node::Saved::kConstant};
  return handle;
}

namespace {
// A new node for `name` with the tensors save_for_backward noted since the last record() call.
// For re-attachment under create_graph each remembers where it came from: the node's output 0,
// input i, or neither (a few pointer compares, only for ops that save something).
std::shared_ptr<Node> new_node(const char* name, const Tensor& first_output, const TensorRef* first,
                               const TensorRef* last) {
  auto node = detail::make_pooled<Node>(name, first_output.shape(), first_output.dtype());
  for (int i = 0; i < pending_saved_count; ++i) {
    const TensorImpl* from = pending_saved_from[i];
    int source = from == first_output.impl() ? Node::Saved::kOutput : Node::Saved::kConstant;
    for (const TensorRef* it = first; it != last && source == Node::Saved::kConstant; ++it)
      if (it->tensor->impl() == from && it->tensor->requires_grad()) source = static_cast<int>(it - first);
    pending_saved[i].source = source;
    node->saved[i] = std::move(pending_saved[i]);
  }
  node->saved_count = pending_saved_count;
  pending_saved_count = 0;
  if (is_anomaly_enabled()) node->forward_trace = detail::forward_call_site();
  return node;
}

void connect_inputs(Node& node, const TensorRef* first, const TensorRef* last) {
  for (const TensorRef* it = first; it != last; ++it) {
    const Tensor& in = *it->tensor;
    if (!in.defined() || !in.requires_grad()) node.next.push_back(Edge{});
    else if (in.grad_fn()) node.next.push_back(Edge{in.grad_fn(), in.impl()->output_nr});
    else node.next.push_back(Edge{detail::grad_accumulator(in.impl(), in.impl_ptr()), 0});
  }
}

void record_inputs(Tensor& output, const char* name, const TensorRef* first, const TensorRef* last,
                   Node::BackwardFn backward) {
  std::shared_ptr<Node> node = new_node(name, output, first, last);
  connect_inputs(*node, first, last);
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  output.impl()->output_nr = 0;
  output.impl()->requires_grad = true;
  if (is_anomaly_enabled()) detail::check_finite(output, name, "forward", "");
}
}  // namespace

void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward) {
  std::vector<TensorRef> refs(inputs.begin(), inputs.end());
  record_inputs(output, name, refs.data(), refs.data() + refs.size(), std::move(backward));
}

void record(Tensor& output, const char* name, std::initializer_list<TensorRef> inputs, Node::BackwardFn backward) {
  record_inputs(output, name, inputs.begin(), inputs.end(), std::move(backward));
}

void record_multi(const std::vector<Tensor>& outputs, const char* name, const std::vector<Tensor>& inputs,
                  Node::MultiBackwardFn backward, const std::vector<bool>& differentiable) {
  if (outputs.empty()) throw std::logic_error(std::string(name) + ": record_multi needs at least one output");
  if (!differentiable.empty() && differentiable.size() != outputs.size())
    throw std::logic_error(std::string(name) + ": record_multi got " + std::to_string(differentiable.size()) +
                           " differentiable flags for " + std::to_string(outputs.size()) + " outputs");
  // A saved tensor that is output k > 0 could not be re-attached as the right output: refuse.
  for (int i = 0; i < pending_saved_count; ++i)
    for (std::size_t k = 1; k < outputs.size(); ++k)
      if (pending_saved_from[i] == outputs[k].impl())
        throw std::logic_error(std::string(name) + ": record_multi cannot save output " + std::to_string(k) +
                               " with save_for_backward (only output 0)");
  std::vector<TensorRef> refs(inputs.begin(), inputs.end());
  std::shared_ptr<Node> node = new_node(name, outputs[0], refs.data(), refs.data() + refs.size());
  connect_inputs(*node, refs.data(), refs.data() + refs.size());
  node->outputs.reserve(outputs.size());
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    const Tensor& out = outputs[k];
    if (!out.defined()) throw std::logic_error(std::string(name) + ": output " + std::to_string(k) + " is undefined");
    const bool diff = is_floating(out.dtype()) && (differentiable.empty() || differentiable[k]);
    node->outputs.push_back(Node::OutputInfo{out.shape(), out.dtype(), diff});
  }
  node->backward_multi = std::move(backward);
  for (std::size_t k = 0; k < outputs.size(); ++k) {
    if (!node->outputs[k].differentiable) continue;
    TensorImpl* impl = outputs[k].impl();
    impl->grad_fn = node;
    impl->output_nr = static_cast<std::uint32_t>(k);
    impl->requires_grad = true;
    if (is_anomaly_enabled()) detail::check_finite(outputs[k], name, "forward", " in output " + std::to_string(k));
  }
}

namespace {
// Shape equality without std::vector's operator== (a memcmp call): gradients are summed once per
// edge of the graph.
bool same_shape(const Shape& a, const Shape& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t d = 0; d < a.size(); ++d)
    if (a[d] != b[d]) return false;
  return true;
}
}  // namespace

void accumulate_grad(Tensor& into, const Tensor& grad, const char* op) {
  if (!into.defined()) {
    into = grad;
    return;
  }
  if (!same_shape(into.shape(), grad.shape()) || into.dtype() != grad.dtype())
    throw std::logic_error(std::string(op) + ": gradient of shape " + shape_str(grad.shape()) + " (" +
                           dtype_name(grad.dtype()) + ") cannot be accumulated into " + shape_str(into.shape()) +
                           " (" + dtype_name(into.dtype()) + ")");
  // In place when nobody else can see `into`'s buffer (the usual case for a gradient being
  // summed over an RNN's time steps); otherwise a fresh sum, so aliases are never modified.
  // When recording (create_graph), a sum with a recorded gradient must be recorded too.
  const bool recording = is_grad_enabled() && (into.requires_grad() || grad.requires_grad());
  if (!recording && into.impl_ptr().use_count() == 1 && into.impl()->storage.use_count() == 1) {
    detail::dispatch_floating(op, into.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* dst = into.data<T>();
      const T* src = grad.data<T>();
      detail::parallel_range(into.numel(), detail::kParallelElements, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) dst[i] += src[i];
      });
    });
    return;
  }
  into = add(into, grad);  // records only under create_graph, where grad mode is on
}

}  // namespace xg
