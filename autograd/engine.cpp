#include "autograd/engine.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "autograd/creation.hpp"
#include "autograd/detail/pass_gradient.hpp"
#include "autograd/detail/pool.hpp"
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

  /// Empties the map for the next pass, keeping its table unless a much larger graph left it
  /// oversized (then the next pass grows a fresh one).
  void clear() {
    if (keys_.size() > 1024 && size_ * 16 < keys_.size()) {
      keys_ = {};
      values_ = {};
    } else {
      std::fill(keys_.begin(), keys_.end(), nullptr);
    }
    size_ = 0;
  }

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
  explicit Slot(const std::shared_ptr<Node>* ref) : node(ref->get()), owner(ref) {}
  Node* node;
  // The edge (or root) through which the pass first reached the node; it outlives the pass, and
  // lets create_graph hand the node's own shared_ptr to its re-attached saved output without the
  // node holding one to itself.
  const std::shared_ptr<Node>* owner;
  std::int64_t dependencies = 0;  // gradients this node still waits for in this pass
  Tensor grad;                    // their sum so far (output 0)
  std::vector<Tensor> more;       // multi-output nodes: outputs 1.. (allocated on first use)
  bool captures = false;          // autograd::grad: some input's gradient is one of this node's
  bool needed = true;             // autograd::grad: some input is reachable from this node
  std::uint32_t first_child = 0;  // where this node's next[] slots start in GraphTask::children

  Tensor& grad_of(std::uint32_t output_nr) {
    if (output_nr == 0) return grad;
    if (more.size() < output_nr) more.resize(node->num_outputs() - 1);
    return more[output_nr - 1];
  }
};

// A ready node: (sequence number, slot). The heap's top is the newest (std::priority_queue's order).
using Ready = std::pair<std::uint64_t, std::uint32_t>;

struct GraphTask {
  std::vector<std::function<void()>> callbacks;  // autograd::queue_callback: run when the pass ends
  std::vector<Slot> slots;
  std::vector<std::uint32_t> children;  // slot of each next[] edge, so running needs no lookups
  NodeIndex index;
  std::unordered_map<const void*, std::shared_ptr<void>> scratch;
  std::vector<std::uint32_t> stack;  // the counting walk's explicit stack
  std::vector<Ready> ready;          // max-heap of ready nodes
  std::vector<Tensor> grads;         // the running node's input gradients (its buffer is reused)

  void clear() {
    callbacks.clear();
    slots.clear();
    children.clear();
    index.clear();
    scratch.clear();
    stack.clear();
    ready.clear();
    grads.clear();
  }
};

// A thread's GraphTasks, kept between passes with their buffers (slots, children, index, heap):
// a pass over a graph no larger than an earlier one allocates nothing for its bookkeeping
// (bench/RESULTS.md, "Per-op overhead"). A pass started inside another (a hook that runs
// backward) takes a second one.
class TaskLease {
 public:
  TaskLease() {
    if (spare().empty()) {
      task_ = std::make_unique<GraphTask>();
    } else {
      task_ = std::move(spare().back());
      spare().pop_back();
    }
  }
  ~TaskLease() {
    task_->clear();  // frees the pass's gradients and scratch now, whatever way the pass ended
    if (spare().size() < 4) spare().push_back(std::move(task_));
  }
  TaskLease(const TaskLease&) = delete;
  TaskLease& operator=(const TaskLease&) = delete;
  GraphTask& operator*() const { return *task_; }

 private:
  static std::vector<std::unique_ptr<GraphTask>>& spare() {
    static thread_local std::vector<std::unique_ptr<GraphTask>> tasks;
    return tasks;
  }
  std::unique_ptr<GraphTask> task_;
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

// Tensor hooks on the gradient of output `output_nr` of node `n` (registration order; a hook may
// replace it).
Tensor run_pre_hooks(Node& n, std::uint32_t output_nr, Tensor g) {
  std::vector<std::function<Tensor(const Tensor&)>> hooks;
  {
    std::lock_guard<std::mutex> lock(n.mutex);
    for (const auto& h : n.pre_hooks)
      if (h.output_nr == output_nr) hooks.push_back(h.fn);
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
    slot.needed = slot.captures;
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

// Frees what only backward needed: the closure and the saved tensors (their memory goes now,
// not when the graph dies).
void release_node(Node& n) {
  n.backward = nullptr;
  n.backward_multi = nullptr;
  for (int i = 0; i < n.saved_count; ++i) n.saved[i] = Node::Saved{};
  n.saved_count = 0;
}

// A pass inside a node's closure (Node::run_state). The common case, a pass that releases the
// graph and finds nobody else in the node, claims it with one compare-exchange (0 -> released,
// one user) and owns it alone: a concurrent pass arriving meanwhile sees "released" and throws,
// as PyTorch's does when two passes without retain_graph share a graph. Otherwise passes count
// themselves in; a releasing pass sets the released bit on its way out and the last one out
// frees the closure, so nobody frees it under another pass's feet. A pass that throws leaves
// without releasing, so the node can be run again (retry with retain_graph).
class NodeEntry {
 public:
  NodeEntry(Node& n, bool release) : n_(n) {
    std::uint32_t s = n.run_state.load(std::memory_order_acquire);
    for (;;) {
      if (s & Node::kReleased) throw_released(n);
      const std::uint32_t want = release && s == 0 ? (Node::kReleased | 1u) : s + 1;
      if (n.run_state.compare_exchange_weak(s, want, std::memory_order_acq_rel, std::memory_order_acquire)) {
        exclusive_ = release && s == 0;
        return;
      }
    }
  }
  void leave(bool release) {
    left_ = true;
    if (exclusive_) {  // nobody else can change the state while we hold it
      release_node(n_);
      n_.run_state.store(Node::kReleased, std::memory_order_release);
      return;
    }
    if (release) n_.run_state.fetch_or(Node::kReleased, std::memory_order_acq_rel);
    if (n_.run_state.fetch_sub(1, std::memory_order_acq_rel) == (Node::kReleased | 1u)) release_node(n_);
  }
  ~NodeEntry() {
    if (left_) return;
    if (exclusive_) n_.run_state.store(0, std::memory_order_release);
    else if (n_.run_state.fetch_sub(1, std::memory_order_acq_rel) == (Node::kReleased | 1u)) release_node(n_);
  }
  NodeEntry(const NodeEntry&) = delete;
  NodeEntry& operator=(const NodeEntry&) = delete;

 private:
  Node& n_;
  bool exclusive_ = false;
  bool left_ = false;
};

// Under create_graph, a node's saved tensors re-attached to the graph while its closure runs
// (PyTorch's SavedVariable::unpack): the op's own output to the node itself, an input to its
// producer or, for a leaf, to the leaf's AccumulateGrad sink. What the closure records from them
// then reaches the inputs, so the gradients it returns are differentiable in full. The handles
// are detached again afterwards: the node never holds a strong reference to itself.
class SavedAttachment {
 public:
  SavedAttachment(Node& n, const std::shared_ptr<Node>& self) : n_(n) {
    for (int i = 0; i < n.saved_count; ++i) {
      const Node::Saved& s = n.saved[i];
      TensorImpl* impl = s.tensor.impl();
      if (!impl) continue;
      std::shared_ptr<Node> producer;
      std::uint32_t output_nr = 0;
      if (s.source == Node::Saved::kOutput) {
        producer = self;
      } else if (s.source >= 0) {
        const Edge& e = n.next[static_cast<std::size_t>(s.source)];
        producer = e.node;
        output_nr = e.output_nr;
      }
      if (!producer) continue;  // a constant, or an input that needs no gradient
      if (producer->is_accumulator) {
        impl->grad_accumulator = std::move(producer);
      } else {
        impl->grad_fn = std::move(producer);
        impl->output_nr = output_nr;
      }
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
        if (gi.impl() == n_.saved[i].tensor.impl()) gi = own_handle(*gi.impl());
  }

 private:
  static Tensor own_handle(const TensorImpl& src) {
    auto impl = detail::new_tensor_impl();
    impl->shape = src.shape;
    impl->dtype = src.dtype;
    impl->storage = src.storage;
    impl->requires_grad = src.requires_grad;
    impl->grad_fn = src.grad_fn;
    impl->output_nr = src.output_nr;
    impl->grad_accumulator = src.grad_accumulator;
    return Tensor(std::move(impl));
  }
  Node& n_;
};

// create_graph: a gradient is linear in the incoming one, so a closure written in recorded ops
// returns gradients that are part of the graph whenever its incoming gradient is. One that is
// not was computed by raw kernels: refuse rather than return a second derivative with terms
// silently missing. (Single-output nodes only: a multi-output node may legitimately return a
// constant gradient for an input that only its unused, zero-filled outputs reach.)
[[gnu::noinline]] void check_recorded(const Node& n, const Tensor& g, const std::vector<Tensor>& grads) {
  if (!g.defined() || !g.requires_grad()) return;
  for (std::size_t i = 0; i < grads.size() && i < n.next.size(); ++i)
    if (n.next[i] && grads[i].defined() && !grads[i].requires_grad())
      throw std::runtime_error(std::string(n.name) +
                               ": double backward (create_graph = true) is not supported by this op: its backward "
                               "returned a gradient for input " +
                               std::to_string(i) +
                               " computed outside the graph (write the closure with recorded xg ops on tensors "
                               "saved with detail::save_for_backward)");
}

// Runs one node on the gradients of its outputs and leaves the gradients of its inputs in `grads`
// (empty when the node had nothing to do). `slot` holds the gradients of its outputs in this pass.
void call_node(Node& n, Slot& slot, bool retain_graph, bool create_graph, bool anomaly, std::vector<Tensor>& grads) {
  NodeEntry entry(n, !retain_graph);
  grads.clear();
  const std::uint32_t outputs = n.num_outputs();
  bool any = slot.grad.defined();
  for (const Tensor& g : slot.more) any = any || g.defined();
  if (any) {
    if (!n.retained.empty()) {
      std::lock_guard<std::mutex> lock(n.mutex);  // concurrent passes write the same .grad
      for (std::uint32_t k = 0; k < n.retained.size() && k < outputs; ++k) {
        const Tensor& g = slot.grad_of(k);
        if (auto kept = n.retained[k].lock(); kept && g.defined()) kept->grad = own_copy(g).impl_ptr();
      }
    }
    check_saved_versions(n);
    // Closures with state, and closures whose saved tensors are re-attached under create_graph
    // (SavedAttachment writes into the shared handles), run one pass at a time.
    std::unique_lock<std::mutex> serialized(n.mutex, std::defer_lock);
    if (n.serialize_backward || (create_graph && n.saved_count > 0)) serialized.lock();
    std::optional<SavedAttachment> attached;
    if (create_graph) attached.emplace(n, *slot.owner);
    if (n.outputs.empty()) {
      const Tensor g = std::move(slot.grad);  // sole owner: closures may reuse its buffer
      if (const auto* pass = n.backward.target<detail::PassGradient>()) grads.assign(pass->inputs, g);
      else grads = n.backward(g);
      if (create_graph) check_recorded(n, g, grads);
    } else {
      // Each output's gradient independently: zeros where nothing arrived, undefined for
      // non-differentiable outputs (PyTorch materializes missing gradients the same way).
      std::vector<Tensor> grad_outputs(outputs);
      for (std::uint32_t k = 0; k < outputs; ++k) {
        const Node::OutputInfo& info = n.outputs[k];
        if (!info.differentiable) continue;
        Tensor& g = slot.grad_of(k);
        if (g.defined()) grad_outputs[k] = std::move(g);
        else if (n.materialize_grads) grad_outputs[k] = zeros(info.shape, info.dtype);
      }
      grads = n.backward_multi(grad_outputs);
    }
    if (attached) attached->unshare(grads);
    attached.reset();
    if (grads.size() != n.next.size())
      throw std::logic_error(std::string(n.name) + ": backward returned " + std::to_string(grads.size()) +
                             " gradients for " + std::to_string(n.next.size()) + " inputs");
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const Edge& e = n.next[i];
      if (!e || !grads[i].defined()) continue;
      if (anomaly) detail::check_finite(grads[i], n.name, "backward", " in input " + std::to_string(i));
      if (!e.node->shape_matches(e.output_nr, grads[i].shape()))
        throw std::logic_error(std::string(n.name) + ": backward produced a gradient of shape " +
                               shape_str(grads[i].shape()) + " for input " + std::to_string(i) + " of shape " +
                               shape_str(e.node->shape_of(e.output_nr)));
    }
  }
  entry.leave(!retain_graph);
}

// Anomaly mode: the error of a failing backward, with where the forward of the op ran. Keeps the
// exception's type for the standard ones, so callers catch what they would catch without it.
[[noreturn]] void rethrow_with_forward_trace(const Node& n) {
  try {
    throw;
  } catch (const std::exception& e) {
    const std::string what = std::string(e.what()) + "\n  the forward of '" + n.name +
                             "' that backward failed in was recorded at (anomaly mode):\n" + n.forward_trace;
    if (dynamic_cast<const std::invalid_argument*>(&e)) throw std::invalid_argument(what);
    if (dynamic_cast<const std::logic_error*>(&e)) throw std::logic_error(what);
    throw std::runtime_error(what);
  }
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
  TaskLease lease;
  GraphTask& task = *lease;
  auto add_slot = [&task](const std::shared_ptr<Node>& ref) {
    bool inserted;
    const auto fresh = static_cast<std::uint32_t>(task.slots.size());
    const std::uint32_t s = task.index.find_or_insert(ref.get(), fresh, inserted);
    if (inserted) task.slots.emplace_back(&ref);
    return std::make_pair(s, inserted);
  };

  // Roots: each seeds its node's gradient (keeping the graph alive while we run).
  std::vector<std::shared_ptr<Node>> root_nodes;
  root_nodes.reserve(roots.size());  // slots point at its elements
  std::vector<std::uint32_t>& stack = task.stack;
  for (std::size_t k = 0; k < roots.size(); ++k) {
    Tensor seed = seed_for(roots[k], k < grad_roots.size() ? grad_roots[k] : Tensor(), k);
    root_nodes.push_back(gradient_node(roots[k]));
    auto [s, inserted] = add_slot(root_nodes.back());
    if (inserted) stack.push_back(s);
    AutoGradMode record_seed_sums(create_graph);
    const std::uint32_t output_nr = roots[k].grad_fn() ? roots[k].impl()->output_nr : 0;
    accumulate_grad(task.slots[s].grad_of(output_nr), create_graph ? seed : seed.detach(), "backward");
  }

  // Count every node's incoming edges with an explicit stack (no recursion on long chains).
  while (!stack.empty()) {
    const std::uint32_t s = stack.back();
    stack.pop_back();
    task.slots[s].first_child = static_cast<std::uint32_t>(task.children.size());
    for (const Edge& e : task.slots[s].node->next) {
      if (!e) {
        task.children.push_back(NodeIndex::kAbsent);
        continue;
      }
      auto [t, inserted] = add_slot(e.node);
      task.children.push_back(t);
      ++task.slots[t].dependencies;
      if (inserted) stack.push_back(t);
    }
  }

  // autograd::grad: where each wanted gradient will be found (slot and output), and which slots
  // lead to one.
  struct Wanted {
    std::uint32_t slot;
    std::uint32_t output_nr;
  };
  std::vector<Wanted> wanted(inputs.size(), Wanted{NodeIndex::kAbsent, 0});
  std::vector<std::shared_ptr<Node>> input_nodes;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined() || !inputs[i].requires_grad())
      throw std::invalid_argument("grad: input " + std::to_string(i) + " does not require grad");
    input_nodes.push_back(gradient_node(inputs[i]));
    const std::uint32_t s = task.index.find(input_nodes.back().get());
    if (s == NodeIndex::kAbsent) continue;
    const std::uint32_t output_nr = inputs[i].grad_fn() ? inputs[i].impl()->output_nr : 0;
    for (std::size_t j = 0; j < i; ++j)
      if (wanted[j].slot == s && wanted[j].output_nr == output_nr)
        throw std::invalid_argument("grad: inputs " + std::to_string(j) + " and " + std::to_string(i) +
                                    " are the same tensor");
    wanted[i] = Wanted{s, output_nr};
    task.slots[s].captures = true;
  }
  const bool capturing = !inputs.empty();
  std::vector<Tensor> captured(inputs.size());
  if (capturing) prune_to_inputs(task);

  // Ready nodes, newest first.
  std::vector<Ready>& ready = task.ready;
  auto make_ready = [&ready](std::uint64_t sequence_nr, std::uint32_t s) {
    ready.emplace_back(sequence_nr, s);
    std::push_heap(ready.begin(), ready.end());
  };
  for (std::uint32_t s = 0; s < task.slots.size(); ++s)
    if (task.slots[s].dependencies == 0) make_ready(task.slots[s].node->sequence_nr, s);

  CurrentTask current(&task);
  AutoGradMode grad_mode(create_graph);  // with create_graph the backward closures record
  const bool anomaly = is_anomaly_enabled();
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end());
    const std::uint32_t s = ready.back().second;
    ready.pop_back();
    Slot& slot = task.slots[s];
    Node& n = *slot.node;
    if (!n.pre_hooks.empty())
      for (std::uint32_t k = 0; k < n.num_outputs(); ++k) {
        Tensor& g = slot.grad_of(k);
        if (g.defined()) g = run_pre_hooks(n, k, std::move(g));
      }
    if (slot.captures)
      for (std::size_t i = 0; i < inputs.size(); ++i)
        if (wanted[i].slot == s) captured[i] = slot.grad_of(wanted[i].output_nr);
    if (n.is_accumulator) {
      Tensor g = std::move(slot.grad);  // sole owner: the leaf's .grad can take its buffer
      if (!capturing && g.defined()) accumulate_into_leaf(n, create_graph ? g : g.detach(), create_graph);
      continue;
    }
    // autograd::grad skips nodes that lead to none of the inputs (they still count down).
    std::vector<Tensor>& grads = task.grads;
    if (slot.needed) {
      try {
        call_node(n, slot, retain_graph, create_graph, anomaly, grads);
      } catch (...) {
        if (anomaly && !n.forward_trace.empty()) rethrow_with_forward_trace(n);
        throw;
      }
    }
    slot.grad = Tensor();
    slot.more.clear();
    const std::uint32_t first_child = slot.first_child;
    for (std::size_t i = 0; i < n.next.size(); ++i) {
      const std::uint32_t t = task.children[first_child + i];
      if (t == NodeIndex::kAbsent) continue;
      Slot& child = task.slots[t];
      if (i < grads.size() && grads[i].defined()) {
        Tensor& into = child.grad_of(n.next[i].output_nr);
        if (!into.defined()) into = std::move(grads[i]);  // the first gradient to arrive: no sum yet
        else accumulate_grad(into, grads[i], n.name);
      }
      if (--child.dependencies == 0) make_ready(child.node->sequence_nr, t);
    }
    grads.clear();  // now, so the next node (a leaf's sink stealing its gradient) sees true owners
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
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
  if (inputs.empty()) throw std::invalid_argument("grad: no inputs to differentiate with respect to");
  return detail::run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, inputs,
                              allow_unused);
}

void backward(const std::vector<Tensor>& outputs, const std::vector<Tensor>& grad_outputs,
              std::optional<bool> retain_graph, bool create_graph) {
  detail::run_backward(outputs, grad_outputs, retain_graph.value_or(create_graph), create_graph, {}, false);
}

}  // namespace autograd
}  // namespace xg
