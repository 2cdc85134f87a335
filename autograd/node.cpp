#include "autograd/node.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/detail/kernel_utils.hpp"
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
  std::lock_guard<std::mutex> lock(accumulator_lock(leaf));
  if (!leaf->grad_accumulator) {
    auto sink = std::make_shared<Node>("AccumulateGrad", leaf->shape, leaf->dtype);
    sink->sequence_nr = 0;
    sink->is_accumulator = true;
    sink->leaf = owner;
    leaf->grad_accumulator = std::move(sink);
  }
  return leaf->grad_accumulator;
}

Node::Node(const char* op_name, Shape shape, Dtype dtype)
    : name(op_name), sequence_nr(detail::next_sequence_nr()), output_shape(std::move(shape)), output_dtype(dtype) {
  live_nodes.fetch_add(1, std::memory_order_relaxed);
}

Node::~Node() {
  // Tear long chains down iteratively: letting each shared_ptr release the next would recurse
  // once per op and overflow the stack on a 100 000-op chain.
  std::vector<std::shared_ptr<Node>> doomed;
  auto take_sole_owned = [&doomed](std::vector<std::shared_ptr<Node>>& edges) {
    for (auto& e : edges)
      if (e && e.use_count() == 1) doomed.push_back(std::move(e));
    edges.clear();
  };
  take_sole_owned(next);
  while (!doomed.empty()) {
    std::shared_ptr<Node> n = std::move(doomed.back());
    doomed.pop_back();
    n->backward = nullptr;  // its captured tensors are detached, so this cannot recurse either
    take_sole_owned(n->next);
  }
  live_nodes.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t live_node_count() { return live_nodes.load(std::memory_order_relaxed); }

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

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

static void record_inputs(Tensor& output, const char* name, const Tensor* first, const Tensor* last,
                          Node::BackwardFn backward) {
  auto node = std::make_shared<Node>(name, output.shape(), output.dtype());
  for (int i = 0; i < pending_saved_count; ++i) {
    // Where the saved tensor came from (the output, or which input), for re-attachment under
    // create_graph; a few pointer compares, only for ops that save something.
    const TensorImpl* from = pending_saved_from[i];
    int source = from == output.impl() ? Node::Saved::kOutput : Node::Saved::kConstant;
    for (const Tensor* it = first; it != last && source == Node::Saved::kConstant; ++it)
      if (it->impl() == from && it->requires_grad()) source = static_cast<int>(it - first);
    pending_saved[i].source = source;
    node->saved[i] = std::move(pending_saved[i]);
  }
  node->saved_count = pending_saved_count;
  pending_saved_count = 0;
  node->next.reserve(static_cast<std::size_t>(last - first));
  for (const Tensor* it = first; it != last; ++it) {
    const Tensor& in = *it;
    if (!in.defined() || !in.requires_grad()) {
      node->next.push_back(nullptr);
    } else if (in.grad_fn()) {
      node->next.push_back(in.grad_fn());
    } else {
      node->next.push_back(detail::grad_accumulator(in.impl(), in.impl_ptr()));
    }
  }
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
  if (is_anomaly_enabled()) detail::check_finite(output, name, "forward", "");
}

void record(Tensor& output, const char* name, const std::vector<Tensor>& inputs, Node::BackwardFn backward) {
  record_inputs(output, name, inputs.data(), inputs.data() + inputs.size(), std::move(backward));
}

void record(Tensor& output, const char* name, std::initializer_list<Tensor> inputs, Node::BackwardFn backward) {
  record_inputs(output, name, inputs.begin(), inputs.end(), std::move(backward));
}

void accumulate_grad(Tensor& into, const Tensor& grad, const char* op) {
  if (!into.defined()) {
    into = grad;
    return;
  }
  if (into.shape() != grad.shape() || into.dtype() != grad.dtype())
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
