#include "autograd/node.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/run_backward.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/ops_binary.hpp"

namespace xg {
namespace {
std::atomic<std::int64_t> live_nodes{0};
// Starts at 1: leaves' AccumulateGrad sinks use 0 so they always run last.
thread_local std::uint64_t next_sequence_nr = 1;

std::shared_ptr<Node> grad_accumulator(TensorImpl* leaf, const std::shared_ptr<TensorImpl>& owner) {
  if (!leaf->grad_accumulator) {
    auto sink = std::make_shared<Node>("AccumulateGrad", leaf->shape, leaf->dtype);
    sink->sequence_nr = 0;
    sink->is_accumulator = true;
    sink->leaf = owner;
    leaf->grad_accumulator = std::move(sink);
  }
  return leaf->grad_accumulator;
}
}  // namespace

Node::Node(const char* op_name, Shape shape, Dtype dtype)
    : name(op_name), sequence_nr(next_sequence_nr++), output_shape(std::move(shape)), output_dtype(dtype) {
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

// Throws "<op>: <phase> produced NaN<where>" when t holds a NaN or Inf.
static void check_finite(const Tensor& t, const char* op, const char* phase, const std::string& where) {
  if (!t.defined() || !is_floating(t.dtype())) return;
  const std::int64_t n = t.numel();
  bool nan = false, inf = false;
  if (t.dtype() == kFloat32) {
    const float* p = t.data<float>();
    for (std::int64_t i = 0; i < n; ++i) nan |= std::isnan(p[i]), inf |= std::isinf(p[i]);
  } else {
    const double* p = t.data<double>();
    for (std::int64_t i = 0; i < n; ++i) nan |= std::isnan(p[i]), inf |= std::isinf(p[i]);
  }
  if (nan || inf)
    throw std::runtime_error(std::string(op) + ": " + phase + " produced " + (nan ? "NaN" : "Inf") + where +
                             " (anomaly detection)");
}

static void record_inputs(Tensor& output, const char* name, const Tensor* first, const Tensor* last,
                          Node::BackwardFn backward) {
  auto node = std::make_shared<Node>(name, output.shape(), output.dtype());
  node->next.reserve(static_cast<std::size_t>(last - first));
  for (const Tensor* it = first; it != last; ++it) {
    const Tensor& in = *it;
    if (!in.defined() || !in.requires_grad()) {
      node->next.push_back(nullptr);
    } else if (in.grad_fn()) {
      node->next.push_back(in.grad_fn());
    } else {
      node->next.push_back(grad_accumulator(in.impl(), in.impl_ptr()));
    }
  }
  node->backward = std::move(backward);
  output.impl()->grad_fn = std::move(node);
  output.impl()->requires_grad = true;
  if (is_anomaly_enabled()) check_finite(output, name, "forward", "");
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
  if (into.impl_ptr().use_count() == 1 && into.impl()->storage.use_count() == 1 && !into.requires_grad()) {
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
  NoGradGuard no_grad;
  into = add(into, grad);
}

// ---- the engine ------------------------------------------------------------------------

static Tensor own_copy(const Tensor& g) {
  // Steal the buffer when nobody else can see it, otherwise copy: a leaf's grad must not alias
  // a tensor the user (or another grad) still holds, because optimizers update grads in place.
  if (g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1) return g;
  NoGradGuard no_grad;
  return g.detach().clone();
}

static void run_nodes(const std::vector<Node*>& order, bool anomaly, bool retain_graph);

void run_backward(const Tensor& root, const Tensor& gradient, bool retain_graph) {
  if (!root.defined()) throw std::invalid_argument("backward: called on an undefined tensor");
  if (!root.requires_grad())
    throw std::runtime_error("backward: element 0 of tensors does not require grad and does not have a grad_fn");
  Tensor seed = gradient;
  if (!seed.defined()) {
    if (root.numel() != 1)
      throw std::runtime_error("backward: grad can be implicitly created only for scalar outputs; got shape " +
                               shape_str(root.shape()) + " (pass a gradient of the same shape)");
    seed = empty(root.shape(), root.dtype());
    if (root.dtype() == kFloat32) *seed.data<float>() = 1.0f;
    else *seed.data<double>() = 1.0;
  } else if (seed.shape() != root.shape() || seed.dtype() != root.dtype()) {
    throw std::invalid_argument("backward: gradient has shape " + shape_str(seed.shape()) + " (" +
                                dtype_name(seed.dtype()) + ") but the tensor has shape " + shape_str(root.shape()) +
                                " (" + dtype_name(root.dtype()) + ")");
  }
  std::shared_ptr<Node> root_node =
      root.grad_fn() ? root.grad_fn() : grad_accumulator(root.impl(), root.impl_ptr());

  // Gather every node reachable from the root with an explicit stack (no recursion).
  static thread_local std::uint64_t pass = 0;
  const std::uint64_t mark = ++pass;
  std::vector<Node*> order;
  std::vector<Node*> stack{root_node.get()};
  root_node->visit_mark = mark;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (const auto& e : n->next)
      if (e && e->visit_mark != mark) {
        e->visit_mark = mark;
        stack.push_back(e.get());
      }
  }
  // Recording order is a topological order: run from the newest node to the oldest.
  std::sort(order.begin(), order.end(), [](const Node* a, const Node* b) { return a->sequence_nr > b->sequence_nr; });

  NoGradGuard no_grad;
  const bool anomaly = is_anomaly_enabled();
  root_node->pending_grad = seed.detach();
  try {
    run_nodes(order, anomaly, retain_graph);
  } catch (...) {
    for (Node* n : order) n->pending_grad = Tensor();  // don't keep half a pass's buffers alive
    throw;
  }
}

static void run_nodes(const std::vector<Node*>& order, bool anomaly, bool retain_graph) {
  for (Node* n : order) {
    Tensor g = std::move(n->pending_grad);
    n->pending_grad = Tensor();
    if (n->is_accumulator) {
      auto leaf = n->leaf.lock();
      if (!leaf || !g.defined()) continue;
      Tensor current(leaf->grad);
      if (!current.defined()) current = own_copy(g);
      else accumulate_grad(current, g, "AccumulateGrad");
      leaf->grad = current.impl_ptr();
      continue;
    }
    if (n->released)
      throw std::runtime_error(std::string("backward: trying to backward through the graph a second time: the graph "
                                           "behind '") +
                               n->name +
                               "' was already freed by an earlier backward(). Pass retain_graph = true to the first "
                               "backward() if you need to backward through it again.");
    if (g.defined()) {
      if (auto kept = n->retained.lock()) kept->grad = own_copy(g).impl_ptr();
      std::vector<Tensor> grads = n->backward(g);
      if (grads.size() != n->next.size())
        throw std::logic_error(std::string(n->name) + ": backward returned " + std::to_string(grads.size()) +
                               " gradients for " + std::to_string(n->next.size()) + " inputs");
      for (std::size_t i = 0; i < grads.size(); ++i) {
        if (!n->next[i] || !grads[i].defined()) continue;
        if (anomaly) check_finite(grads[i], n->name, "backward", " in input " + std::to_string(i));
        if (grads[i].shape() != n->next[i]->output_shape)
          throw std::logic_error(std::string(n->name) + ": backward produced a gradient of shape " +
                                 shape_str(grads[i].shape()) + " for input " + std::to_string(i) + " of shape " +
                                 shape_str(n->next[i]->output_shape));
        accumulate_grad(n->next[i]->pending_grad, grads[i], n->name);
      }
    }
    if (!retain_graph) {
      n->backward = nullptr;
      n->released = true;
    }
  }
}

}  // namespace xg
