#include "autograd/engine.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

// The backward engine, after PyTorch's design: a pass ("graph task") first walks the graph
// reachable from the roots and counts, for every node, how many gradients it still waits for
// (its number of incoming edges); a node runs once that count reaches zero. All per-pass state
// (counts, gradients being summed, hub scratch) lives in the GraphTask, never on the shared
// nodes, so graphs recorded on any mix of threads, and several passes running at once on
// graphs that share nodes or leaves, are both correct.
//
// Among the ready nodes the one with the highest sequence number runs first. For a graph
// recorded on one thread that is exactly the old "newest node first" order, so gradients are
// summed in the same order and results are bit for bit what they were.

namespace xg {
namespace {

std::atomic<std::uint64_t> sequence_counter{1};  // 0 is reserved for AccumulateGrad sinks

// Open-addressing map Node* -> slot index: the chain benchmark does two lookups per node, so
// this must cost a few nanoseconds, not an allocation per entry as std::unordered_map would.
class NodeIndex {
 public:
  // Returns the slot index of `n`, inserting `fresh` if it is absent; `inserted` tells which.
  std::uint32_t find_or_insert(const Node* n, std::uint32_t fresh, bool& inserted) {
    if ((size_ + 1) * 2 > keys_.size()) grow();
    std::size_t i = hash(n) & (keys_.size() - 1);
    while (keys_[i]) {
      if (keys_[i] == n) {
        inserted = false;
        return values_[i];
      }
      i = (i + 1) & (keys_.size() - 1);
    }
    keys_[i] = n;
    values_[i] = fresh;
    ++size_;
    inserted = true;
    return fresh;
  }
  std::uint32_t find(const Node* n) const {
    std::size_t i = hash(n) & (keys_.size() - 1);
    while (keys_[i] != n) {
      if (!keys_[i]) return kAbsent;
      i = (i + 1) & (keys_.size() - 1);
    }
    return values_[i];
  }
  static constexpr std::uint32_t kAbsent = 0xffffffffu;

 private:
  static std::size_t hash(const Node* n) {
    auto v = reinterpret_cast<std::uintptr_t>(n);
    return static_cast<std::size_t>((v >> 4) * 0x9E3779B97F4A7C15ULL >> 16);
  }
  void grow() {
    std::vector<const Node*> old_keys = std::move(keys_);
    std::vector<std::uint32_t> old_values = std::move(values_);
    keys_.assign(old_keys.empty() ? 16 : old_keys.size() * 2, nullptr);
    values_.assign(keys_.size(), 0);
    size_ = 0;
    bool unused;
    for (std::size_t i = 0; i < old_keys.size(); ++i)
      if (old_keys[i]) find_or_insert(old_keys[i], old_values[i], unused);
  }
  std::vector<const Node*> keys_;
  std::vector<std::uint32_t> values_;
  std::size_t size_ = 0;
};

struct Slot {
  explicit Slot(Node* n) : node(n) {}
  Node* node;
  std::int64_t dependencies = 0;  // gradients this node still waits for in this pass
  Tensor grad;                    // their sum so far
  int capture = -1;               // autograd::grad: index of the input whose gradient this is
  bool needed = true;             // autograd::grad: some input is reachable from this node
  std::uint32_t first_child = 0;  // where this node's next[] slots start in GraphTask::children
};

struct GraphTask {
  std::vector<std::function<void()>> callbacks;  // autograd::queue_callback: run when the pass ends
  std::vector<Slot> slots;
  std::vector<std::uint32_t> children;  // slot of each next[] edge, so running needs no lookups
  NodeIndex index;
  std::unordered_map<const void*, std::shared_ptr<void>> scratch;
};

thread_local GraphTask* current_task = nullptr;

// Makes `task` the current pass of this thread for its lifetime (nested passes, e.g. a
// gradcheck inside a hook, restore the outer one).
class CurrentTask {
 public:
  explicit CurrentTask(GraphTask* task) : previous_(current_task) { current_task = task; }
  ~CurrentTask() { current_task = previous_; }
  CurrentTask(const CurrentTask&) = delete;
  CurrentTask& operator=(const CurrentTask&) = delete;

 private:
  GraphTask* previous_;
};

Tensor own_copy(const Tensor& g) {
  // Steal the buffer when nobody else can see it, otherwise copy: a leaf's grad must not alias
  // a tensor the user (or another grad) still holds, because optimizers update grads in place.
  if (g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1) return g;
  NoGradGuard no_grad;
  return g.detach().clone();
}

Tensor seed_for(const Tensor& root, const Tensor& given, std::size_t k) {
  const std::string which = "backward: output " + std::to_string(k);
  if (!root.defined()) throw std::invalid_argument(which + " is an undefined tensor");
  if (!root.requires_grad())
    throw std::runtime_error("backward: element " + std::to_string(k) +
                             " of tensors does not require grad and does not have a grad_fn");
  if (!given.defined()) {
    if (root.numel() != 1)
      throw std::runtime_error("backward: grad can be implicitly created only for scalar outputs; got shape " +
                               shape_str(root.shape()) + " (pass a gradient of the same shape)");
    Tensor seed = empty(root.shape(), root.dtype());
    if (root.dtype() == kFloat32) *seed.data<float>() = 1.0f;
    else *seed.data<double>() = 1.0;
    return seed;
  }
  if (given.shape() != root.shape() || given.dtype() != root.dtype())
    throw std::invalid_argument("backward: gradient has shape " + shape_str(given.shape()) + " (" +
                                dtype_name(given.dtype()) + ") but the tensor has shape " + shape_str(root.shape()) +
                                " (" + dtype_name(root.dtype()) + ")");
  return given;
}

// The node whose incoming gradient is the gradient of `t`: its grad_fn, or a leaf's sink.
std::shared_ptr<Node> gradient_node(const Tensor& t) {
  return t.grad_fn() ? t.grad_fn() : detail::grad_accumulator(t.impl(), t.impl_ptr());
}

void accumulate_into_leaf(Node& sink, const Tensor& g, bool create_graph) {
  std::shared_ptr<TensorImpl> leaf;
  std::vector<std::function<void(const Tensor&)>> hooks;
  {
    // Serialised per leaf: two passes sharing a parameter both add into its .grad.
    std::lock_guard<std::mutex> lock(sink.mutex);
    leaf = sink.leaf.lock();
    if (!leaf) return;
    Tensor current(leaf->grad);
    // With create_graph the gradient keeps its graph (x.grad can be differentiated again).
    if (!current.defined()) current = create_graph && g.requires_grad() ? g : own_copy(g);
    else accumulate_grad(current, g, "AccumulateGrad");
    leaf->grad = current.impl_ptr();
    for (const auto& h : sink.post_accumulate_hooks) hooks.push_back(h.second);
  }
  // Outside the lock: a hook may read the leaf's .grad or start communication.
  const Tensor leaf_tensor(leaf);
  for (const auto& hook : hooks) hook(leaf_tensor);
}

// Tensor hooks on the gradient about to enter node `n` (registration order; a hook may replace it).
Tensor run_pre_hooks(Node& n, Tensor g) {
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  {
    std::lock_guard<std::mutex> lock(n.mutex);
    for (const auto& h : n.pre_hooks) hooks.push_back(h.second);
  }
  for (const auto& hook : hooks) {
    Tensor replaced = hook(g);
    if (!replaced.defined()) continue;
    if (replaced.shape() != g.shape() || replaced.dtype() != g.dtype())
      throw std::invalid_argument(std::string("hook: a hook on the gradient of '") + n.name + "' returned " +
                                  dtype_name(replaced.dtype()) + " " + shape_str(replaced.shape()) +
                                  "; the gradient is " + dtype_name(g.dtype()) + " " + shape_str(g.shape()));
    g = replaced;
  }
  return g;
}

// autograd::grad: marks the slots from which no wanted input can be reached. Edges always go
// from a newer node to an older one, so visiting slots oldest first sees children first.
void prune_to_inputs(GraphTask& task) {
  std::vector<std::uint32_t> order(task.slots.size());
  for (std::uint32_t s = 0; s < order.size(); ++s) order[s] = s;
  std::sort(order.begin(), order.end(), [&task](std::uint32_t a, std::uint32_t b) {
    return task.slots[a].node->sequence_nr < task.slots[b].node->sequence_nr;
  });
  for (std::uint32_t s : order) {
    Slot& slot = task.slots[s];
    slot.needed = slot.capture >= 0;
    for (std::size_t i = 0; i < slot.node->next.size() && !slot.needed; ++i) {
      const std::uint32_t child = task.children[slot.first_child + i];
      if (child != NodeIndex::kAbsent) slot.needed = task.slots[child].needed;
    }
  }
}

[[noreturn]] void throw_released(const Node& n) {
  throw std::runtime_error(std::string("backward: trying to backward through the graph a second time: the graph "
                                       "behind '") +
                           n.name +
                           "' was already freed by an earlier backward(). Pass retain_graph = true to the first "
                           "backward() if you need to backward through it again.");
}

// PyTorch's saved-variable check: a tensor the closure reads was written in place after the
// op was recorded, so its gradient would silently use the new values.
void check_saved_versions(const Node& n) {
  for (int i = 0; i < n.saved_count; ++i) {
    const Node::Saved& s = n.saved[i];
    const std::uint32_t now = s.tensor._version();
    if (now != s.version)
      throw std::runtime_error(std::string(n.name) +
                               ": one of the variables needed for gradient computation has been modified by an "
                               "inplace operation: [" +
                               dtype_name(s.tensor.dtype()) + " " + shape_str(s.tensor.shape()) + "] is at version " +
                               std::to_string(now) + "; expected version " + std::to_string(s.version));
  }
}

// Under create_graph, a node's saved tensors re-attached to the graph while its closure runs
// (PyTorch's SavedVariable::unpack): the op's own output to the node itself, an input to its
// producer or, for a leaf, to the leaf's AccumulateGrad sink. What the closure records from them
// then reaches the inputs, so the gradients it returns are differentiable in full. The handles
// are detached again afterwards: the node never holds a strong reference to itself.
class SavedAttachment {
 public:
  explicit SavedAttachment(Node& n) : n_(n) {
    for (int i = 0; i < n.saved_count; ++i) {
      const Node::Saved& s = n.saved[i];
      TensorImpl* impl = s.tensor.impl();
      if (!impl) continue;
      std::shared_ptr<Node> producer = s.source == Node::Saved::kOutput ? n.shared_from_this()
                                       : s.source >= 0                  ? n.next[static_cast<std::size_t>(s.source)]
                                                                        : nullptr;
      if (!producer) continue;  // a constant, or an input that needs no gradient
      if (producer->is_accumulator) impl->grad_accumulator = std::move(producer);
      else impl->grad_fn = std::move(producer);
      impl->requires_grad = true;
    }
  }
  ~SavedAttachment() {
    for (int i = 0; i < n_.saved_count; ++i) {
      TensorImpl* impl = n_.saved[i].tensor.impl();
      if (!impl) continue;
      impl->grad_fn.reset();
      impl->grad_accumulator.reset();
      impl->requires_grad = false;
    }
  }
  SavedAttachment(const SavedAttachment&) = delete;
  SavedAttachment& operator=(const SavedAttachment&) = delete;

  /// A closure may return a saved handle itself as a gradient: give such a gradient its own
  /// TensorImpl (same storage and graph links), so detaching the handle leaves it attached.
  void unshare(std::vector<Tensor>& grads) const {
    for (Tensor& gi : grads)
      for (int i = 0; gi.defined() && i < n_.saved_count; ++i)
        if (gi.impl() == n_.saved[i].tensor.impl()) gi = Tensor(std::make_shared<TensorImpl>(*gi.impl()));
  }

 private:
  Node& n_;
};

// Runs one node on its summed gradient and returns the gradients of its inputs (empty when
// the node had nothing to do).
std::vector<Tensor> call_node(Node& n, const Tensor& g, bool retain_graph, bool create_graph, bool anomaly) {
  std::lock_guard<std::mutex> lock(n.mutex);  // one pass at a time through a shared node
  if (n.released) throw_released(n);
  // A closure built from raw kernels or detached saved tensors would record an incomplete
  // graph: refuse instead of returning a silently wrong second derivative.
  if (create_graph && !n.double_differentiable)
    throw std::runtime_error(std::string(n.name) + ": double backward is not supported yet (create_graph = true)");
  std::vector<Tensor> grads;
  if (g.defined()) {
    if (auto kept = n.retained.lock()) kept->grad = own_copy(g).impl_ptr();
    check_saved_versions(n);
    if (create_graph) {
      SavedAttachment attached(n);
      grads = n.backward(g);
      attached.unshare(grads);
    } else {
      grads = n.backward(g);
    }
    if (grads.size() != n.next.size())
      throw std::logic_error(std::string(n.name) + ": backward returned " + std::to_string(grads.size()) +
                             " gradients for " + std::to_string(n.next.size()) + " inputs");
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!n.next[i] || !grads[i].defined()) continue;
      if (anomaly) detail::check_finite(grads[i], n.name, "backward", " in input " + std::to_string(i));
      if (grads[i].shape() != n.next[i]->output_shape)
        throw std::logic_error(std::string(n.name) + ": backward produced a gradient of shape " +
                               shape_str(grads[i].shape()) + " for input " + std::to_string(i) + " of shape " +
                               shape_str(n.next[i]->output_shape));
    }
  }
  if (!retain_graph) {
    n.backward = nullptr;
    n.released = true;
  }
  return grads;
}

}  // namespace

void detail::check_finite(const Tensor& t, const char* op, const char* phase, const std::string& where) {
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

std::uint64_t detail::next_sequence_nr() { return sequence_counter.fetch_add(1, std::memory_order_relaxed); }

std::shared_ptr<void>& detail::pass_scratch(const void* key) {
  if (!current_task) throw std::logic_error("pass_scratch: called outside a backward pass");
  return current_task->scratch[key];
}

std::vector<Tensor> detail::run_backward(const std::vector<Tensor>& roots, const std::vector<Tensor>& grad_roots,
                                         bool retain_graph, bool create_graph, const std::vector<Tensor>& inputs,
                                         bool allow_unused) {
  if (roots.empty()) throw std::invalid_argument("backward: no outputs to differentiate");
  if (!grad_roots.empty() && grad_roots.size() != roots.size())
    throw std::invalid_argument("backward: got " + std::to_string(grad_roots.size()) + " gradients for " +
                                std::to_string(roots.size()) + " outputs");
  GraphTask task;
  auto add_slot = [&task](Node* n) {
    bool inserted;
    const auto fresh = static_cast<std::uint32_t>(task.slots.size());
    const std::uint32_t s = task.index.find_or_insert(n, fresh, inserted);
    if (inserted) task.slots.emplace_back(n);
    return std::make_pair(s, inserted);
  };

  // Roots: each seeds its node's gradient (keeping the graph alive while we run).
  std::vector<std::shared_ptr<Node>> root_nodes;
  std::vector<std::uint32_t> stack;
  for (std::size_t k = 0; k < roots.size(); ++k) {
    Tensor seed = seed_for(roots[k], k < grad_roots.size() ? grad_roots[k] : Tensor(), k);
    root_nodes.push_back(gradient_node(roots[k]));
    auto [s, inserted] = add_slot(root_nodes.back().get());
    if (inserted) stack.push_back(s);
    AutoGradMode record_seed_sums(create_graph);
    accumulate_grad(task.slots[s].grad, create_graph ? seed : seed.detach(), "backward");
  }

  // Count every node's incoming edges with an explicit stack (no recursion on long chains).
  while (!stack.empty()) {
    const std::uint32_t s = stack.back();
    stack.pop_back();
    task.slots[s].first_child = static_cast<std::uint32_t>(task.children.size());
    for (const auto& e : task.slots[s].node->next) {
      if (!e) {
        task.children.push_back(NodeIndex::kAbsent);
        continue;
      }
      auto [t, inserted] = add_slot(e.get());
      task.children.push_back(t);
      ++task.slots[t].dependencies;
      if (inserted) stack.push_back(t);
    }
  }

  // autograd::grad: mark the slots whose gradient is wanted.
  std::vector<std::shared_ptr<Node>> input_nodes;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw std::invalid_argument("grad: input " + std::to_string(i) + " does not require grad");
    input_nodes.push_back(gradient_node(inputs[i]));
    const std::uint32_t s = task.index.find(input_nodes.back().get());
    if (s == NodeIndex::kAbsent) continue;
    if (task.slots[s].capture >= 0)
      throw std::invalid_argument("grad: inputs " + std::to_string(task.slots[s].capture) + " and " +
                                  std::to_string(i) + " are the same tensor");
    task.slots[s].capture = static_cast<int>(i);
  }
  const bool capturing = !inputs.empty();
  std::vector<Tensor> captured(inputs.size());
  if (capturing) prune_to_inputs(task);

  // Ready nodes, newest first.
  using Ready = std::pair<std::uint64_t, std::uint32_t>;
  std::priority_queue<Ready> ready;
  for (std::uint32_t s = 0; s < task.slots.size(); ++s)
    if (task.slots[s].dependencies == 0) ready.emplace(task.slots[s].node->sequence_nr, s);

  CurrentTask current(&task);
  AutoGradMode grad_mode(create_graph);  // with create_graph the backward closures record
  const bool anomaly = is_anomaly_enabled();
  while (!ready.empty()) {
    const std::uint32_t s = ready.top().second;
    ready.pop();
    Node& n = *task.slots[s].node;
    Tensor g = std::move(task.slots[s].grad);
    task.slots[s].grad = Tensor();
    if (g.defined() && !n.pre_hooks.empty()) g = run_pre_hooks(n, std::move(g));
    if (task.slots[s].capture >= 0) captured[task.slots[s].capture] = g;
    if (n.is_accumulator) {
      if (!capturing && g.defined()) accumulate_into_leaf(n, create_graph ? g : g.detach(), create_graph);
      continue;
    }
    // autograd::grad skips nodes that lead to none of the inputs (they still count down).
    std::vector<Tensor> grads = task.slots[s].needed ? call_node(n, g, retain_graph, create_graph, anomaly) : std::vector<Tensor>();
    const std::uint32_t first_child = task.slots[s].first_child;
    for (std::size_t i = 0; i < n.next.size(); ++i) {
      const std::uint32_t t = task.children[first_child + i];
      if (t == NodeIndex::kAbsent) continue;
      Node* next = task.slots[t].node;
      if (i < grads.size() && grads[i].defined()) accumulate_grad(task.slots[t].grad, grads[i], n.name);
      if (--task.slots[t].dependencies == 0) ready.emplace(next->sequence_nr, t);
    }
  }
  // Callbacks may queue more callbacks; each runs once, in order.
  for (std::size_t c = 0; c < task.callbacks.size(); ++c) {
    std::function<void()> callback = std::move(task.callbacks[c]);
    callback();
  }
  for (std::size_t i = 0; i < inputs.size(); ++i)
    if (!captured[i].defined() && !allow_unused)
      throw std::runtime_error("grad: input " + std::to_string(i) +
                               " was not used in the graph of the outputs (pass allow_unused = true to get an "
                               "undefined gradient for it)");
  return captured;
}

namespace autograd {

void queue_callback(std::function<void()> callback) {
  if (!current_task) throw std::logic_error("queue_callback: called outside a backward pass");
  current_task->callbacks.push_back(std::move(callback));
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, int retain_graph, bool create_graph,
                         bool allow_unused) {
  if (inputs.empty()) throw std::invalid_argument("grad: no inputs to differentiate with respect to");
  const bool retain = retain_graph < 0 ? create_graph : retain_graph != 0;
  return detail::run_backward(outputs, grad_outputs, retain, create_graph, inputs, allow_unused);
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs, int retain_graph,
              bool create_graph) {
  const bool retain = retain_graph < 0 ? create_graph : retain_graph != 0;
  detail::run_backward(outputs, grad_outputs, retain, create_graph, {}, false);
}

}  // namespace autograd
}  // namespace xg
