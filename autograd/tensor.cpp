#include "autograd/tensor.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "autograd/detail/pass_gradient.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/detail/runtime.hpp"
#include "autograd/engine.hpp"
#include "autograd/format.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"

namespace xg {


// ---- storage ---------------------------------------------------------------------------

namespace {
// Set once ensure_runtime_initialized has run: every op allocates a Storage, and this check is a
// load where the std::call_once behind it is a call (measured on the per-op path).
std::atomic<bool> runtime_ready{false};
void ensure_runtime_ready() {
  if (runtime_ready.load(std::memory_order_acquire)) return;
  ensure_runtime_initialized();
  runtime_ready.store(true, std::memory_order_release);
}
}  // namespace

Storage::Storage(std::size_t bytes) : data(nullptr), nbytes(bytes) {
  ensure_runtime_ready();
  // 64-byte alignment for every size: malloc plus rounding up (glibc's aligned_alloc costs more
  // than a small op itself), so SIMD loops see the same batches whatever the address.
  void* start = inline_;
  if (bytes > kInlineBytes) {
    allocation_ = std::malloc(bytes + 63);
    if (!allocation_) throw std::bad_alloc();
    start = allocation_;
  }
  data = reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(start) + 63) / 64 * 64);
}

Storage::Storage(void* adopted, std::size_t bytes, std::shared_ptr<void> owner)
    : data(adopted), nbytes(bytes), owner_(std::move(owner)) {
  ensure_runtime_ready();
}

Storage::~Storage() { std::free(allocation_); }

Tensor empty(const Shape& shape, Dtype dtype) {
  for (const std::int64_t s : shape)
    if (s < 0) check_shape_valid("empty", shape);  // throws naming the shape
  auto impl = detail::new_tensor_impl();
  impl->shape = shape;  // into the recycled impl's buffer: no allocation
  impl->dtype = dtype;
  impl->storage = detail::make_pooled<Storage>(static_cast<std::size_t>(shape_numel(shape)) * element_size(dtype));
  return Tensor(std::move(impl));
}

// ---- accessors -------------------------------------------------------------------------

void detail::throw_undefined_tensor(const char* what) {
  throw std::invalid_argument(std::string(what) + ": the tensor is undefined");
}

void detail::throw_data_dtype(Dtype actual, Dtype requested) {
  throw std::invalid_argument(std::string("data: tensor is ") + dtype_name(actual) + ", accessed as " +
                              dtype_name(requested));
}

std::int64_t Tensor::size(std::int64_t d) const { return shape()[normalize_dim("size", d, dim())]; }

static double element(const Tensor& t, std::int64_t flat) {
  switch (t.dtype()) {
    case kFloat32: return t.data<float>()[flat];
    case kFloat64: return t.data<double>()[flat];
    case kInt64: return static_cast<double>(t.data<std::int64_t>()[flat]);
    case kBool: return t.data<bool>()[flat] ? 1.0 : 0.0;
  }
  return 0;
}

double Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument("item: only a one-element tensor can be converted to a scalar, got shape " +
                                shape_str(shape()));
  return element(*this, 0);
}

void detail::throw_item_out_of_range(double value, const char* type_name) {
  std::ostringstream text;
  text << std::setprecision(17) << value;
  throw std::invalid_argument("item: value " + text.str() + " cannot be converted to " + type_name +
                              " without overflow");
}

std::int64_t detail::flat_index(const Shape& shape, const std::vector<std::int64_t>& index, const char* op) {
  if (index.size() != shape.size())
    throw std::invalid_argument(std::string(op) + ": index has " + std::to_string(index.size()) +
                                " entries for a tensor of shape " + shape_str(shape));
  std::int64_t flat = 0;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    std::int64_t i = index[d] < 0 ? index[d] + shape[d] : index[d];
    if (i < 0 || i >= shape[d])
      throw std::invalid_argument(std::string(op) + ": index " + std::to_string(index[d]) + " is out of range for dim " +
                                  std::to_string(d) + " of shape " + shape_str(shape));
    flat = flat * shape[d] + i;
  }
  return flat;
}

double Tensor::at(const std::vector<std::int64_t>& index) const {
  return element(*this, detail::flat_index(shape(), index, "at"));
}

std::uint32_t Tensor::_version() const {
  return checked("_version").storage->version.load(std::memory_order_relaxed);
}

std::vector<double> Tensor::to_vector() const {
  std::vector<double> out(static_cast<std::size_t>(numel()));
  for (std::int64_t i = 0; i < numel(); ++i) out[i] = element(*this, i);
  return out;
}

// ---- autograd accessors ----------------------------------------------------------------

Tensor& Tensor::requires_grad_(bool requires) {
  TensorImpl& impl = const_cast<TensorImpl&>(checked("requires_grad_"));
  if (impl.grad_fn)
    throw std::invalid_argument(
        "requires_grad_: only leaf tensors can change requires_grad (use detach() to make a new leaf)");
  if (requires && !is_floating(impl.dtype))
    throw std::invalid_argument(std::string("requires_grad_: only floating point tensors can require gradients, got ") +
                                dtype_name(impl.dtype));
  impl.requires_grad = requires;
  return *this;
}

Tensor Tensor::grad() const { return Tensor(checked("grad").grad); }

void Tensor::set_grad(const Tensor& g) {
  TensorImpl& impl = const_cast<TensorImpl&>(checked("set_grad"));
  if (g.defined() && (g.shape() != impl.shape || g.dtype() != impl.dtype))
    throw std::invalid_argument("set_grad: gradient of shape " + shape_str(g.shape()) + " (" + dtype_name(g.dtype()) +
                                ") does not match tensor of shape " + shape_str(impl.shape) + " (" +
                                dtype_name(impl.dtype) + ")");
  impl.grad = g.impl_ptr();
}

namespace {
std::atomic<unsigned> next_hook_handle{1};

// The node whose hooks see this tensor's gradient: its grad_fn, or a leaf's AccumulateGrad sink.
Node& hook_node(const Tensor& t, const char* op) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": the tensor is undefined");
  if (!t.requires_grad())
    throw std::invalid_argument(std::string(op) + ": cannot register a hook on a tensor that doesn't require gradient");
  return t.grad_fn() ? *t.grad_fn() : *detail::grad_accumulator(t.impl(), t.impl_ptr());
}
}  // namespace

unsigned Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  Node& n = hook_node(*this, "register_hook");
  const unsigned handle = next_hook_handle.fetch_add(1);
  std::lock_guard<std::mutex> lock(n.mutex);
  n.pre_hooks.push_back(Node::PreHook{handle, grad_fn() ? impl_->output_nr : 0, std::move(hook)});
  return handle;
}

unsigned Tensor::register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const {
  if (defined() && grad_fn())
    throw std::invalid_argument("register_post_accumulate_grad_hook: post accumulate grad hooks cannot be registered "
                                "on non-leaf tensors");
  Node& n = hook_node(*this, "register_post_accumulate_grad_hook");
  const unsigned handle = next_hook_handle.fetch_add(1);
  std::lock_guard<std::mutex> lock(n.mutex);
  n.post_accumulate_hooks.emplace_back(handle, std::move(hook));
  return handle;
}

void Tensor::remove_hook(unsigned handle) const {
  Node& n = hook_node(*this, "remove_hook");
  std::lock_guard<std::mutex> lock(n.mutex);
  auto drop = [](auto& hooks, auto matches) {
    const auto it = std::find_if(hooks.begin(), hooks.end(), matches);
    if (it == hooks.end()) return false;
    hooks.erase(it);
    return true;
  };
  if (!drop(n.pre_hooks, [handle](const Node::PreHook& h) { return h.handle == handle; }) &&
      !drop(n.post_accumulate_hooks, [handle](const auto& h) { return h.first == handle; }))
    throw std::invalid_argument("remove_hook: no hook with handle " + std::to_string(handle) + " on this tensor");
}

void Tensor::retain_grad() {
  TensorImpl& impl = const_cast<TensorImpl&>(checked("retain_grad"));
  if (!impl.requires_grad)
    throw std::invalid_argument("retain_grad: can't retain_grad on a tensor that has requires_grad = false");
  if (impl.grad_fn) {
    std::lock_guard<std::mutex> lock(impl.grad_fn->mutex);
    auto& retained = impl.grad_fn->retained;
    if (retained.size() <= impl.output_nr) retained.resize(impl.output_nr + 1);
    retained[impl.output_nr] = impl_;
  }
  impl.retains_grad = true;
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph, bool create_graph) const {
  detail::run_backward({*this}, {gradient}, retain_graph.value_or(create_graph), create_graph, {}, false);
}

Tensor Tensor::detach() const {
  const TensorImpl& src = checked("detach");
  auto impl = detail::new_tensor_impl();
  impl->shape = src.shape;
  impl->dtype = src.dtype;
  impl->storage = src.storage;
  return Tensor(std::move(impl));
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  std::memcpy(out.raw_data(), raw_data(), static_cast<std::size_t>(numel()) * element_size(dtype()));
  if (needs_grad({this})) {
    record(out, "clone", {*this}, detail::PassGradient{1});
  }
  return out;
}

Tensor Tensor::to(Dtype target) const {
  const Dtype source = dtype();
  if (source == target) return *this;
  if (requires_grad() && is_grad_enabled() && !is_floating(target))
    throw std::invalid_argument(std::string("to: cannot convert a tensor that requires grad to ") + dtype_name(target));
  Tensor out = empty(shape(), target);
  const std::int64_t n = numel();
  auto convert = [n](const auto* src, auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    for (std::int64_t i = 0; i < n; ++i) dst[i] = static_cast<D>(src[i]);
  };
  auto convert_from = [&](auto* dst) {
    switch (source) {
      case kFloat32: convert(data<float>(), dst); break;
      case kFloat64: convert(data<double>(), dst); break;
      case kInt64: convert(data<std::int64_t>(), dst); break;
      case kBool: convert(data<bool>(), dst); break;
    }
  };
  switch (target) {
    case kFloat32: convert_from(out.data<float>()); break;
    case kFloat64: convert_from(out.data<double>()); break;
    case kInt64: convert_from(out.data<std::int64_t>()); break;
    case kBool: convert_from(out.data<bool>()); break;
  }
  if (needs_grad({this})) {
    record(out, "to", {*this}, [source](const Tensor& g) { return std::vector<Tensor>{g.to(source)}; });
  }
  return out;
}

// ---- printing --------------------------------------------------------------------------

std::ostream& operator<<(std::ostream& os, const Tensor& t) { return os << repr(t); }

}  // namespace xg
