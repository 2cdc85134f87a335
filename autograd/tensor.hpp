#pragma once
#include <atomic>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <limits>
#include <memory>
#include <optional>
#include <tuple>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "autograd/dtype.hpp"
#include "autograd/shape.hpp"

namespace xg {

struct Node;
class Tensor;
namespace indexing {
struct TensorIndex;
}  // namespace indexing

/// A block of raw memory, 64-byte aligned whatever its size when xgrad allocates it (whole cache
/// lines for BLAS, and xtensor's SIMD assignment never peels a scalar prologue that would depend
/// on the address).
/// Tensors share it through shared_ptr (reshape/view/detach share; every other op allocates).
struct Storage {
  explicit Storage(std::size_t nbytes);
  /// Adopts memory that `owner` keeps alive (from_xtensor(xt::xarray&&), which documents the
  /// alignment it requires).
  Storage(void* data, std::size_t nbytes, std::shared_ptr<void> owner);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data;
  std::size_t nbytes;
  /// Bumped by every in-place write (PyTorch's version counter). It lives on the storage, so
  /// views, reshapes and detach() share it; backward compares it with the version each saved
  /// tensor had when its op was recorded.
  std::atomic<std::uint32_t> version{0};
  /// Set once a view (reshape, view, flatten, squeeze, unsqueeze) shares this storage: recorded
  /// in-place ops refuse it, as xgrad cannot rebase the other handle's history (ops_in_place.hpp).
  std::atomic<bool> has_views{false};

 private:
  void* allocation_ = nullptr;   // what malloc returned (data is rounded up from it), or null
  std::shared_ptr<void> owner_;  // adopted memory's owner
  // Tensors of up to kInlineBytes (scalars, losses, small vectors) keep their data inside the
  // Storage object: one allocation instead of two on the per-op fast path. The data starts at the
  // first 64-byte boundary inside inline_ (malloc gives 16): an alignas(64) member would make
  // make_shared use aligned operator new, measured 3.5x slower per allocation (117 → 414 ns).
  static constexpr std::size_t kInlineBytes = 64;
  alignas(16) unsigned char inline_[kInlineBytes + 48];
};

/// What a Tensor handle points to. Users never touch it directly.
struct TensorImpl {
  Shape shape;
  Dtype dtype = kFloat32;
  std::shared_ptr<Storage> storage;
  bool requires_grad = false;
  bool retains_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient (leaves, or retain_grad)
  std::shared_ptr<Node> grad_fn;     // the node that produced this tensor (null for leaves)
  std::uint32_t output_nr = 0;       // which output of grad_fn this tensor is
  std::shared_ptr<Node> grad_accumulator;  // leaves that require grad: lazily created sink node
  /// Set (release) once grad_accumulator is created, so later lookups read it without a lock.
  std::atomic<bool> grad_accumulator_ready{false};
};

namespace detail {
/// The accessors' error paths, out of line so that the inline fast paths stay a few instructions.
[[noreturn]] void throw_undefined_tensor(const char* what);
[[noreturn]] void throw_data_dtype(Dtype actual, Dtype requested);
template <typename T>
constexpr Dtype dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int64_t> ||
                    std::is_same_v<T, bool>,
                "data<T>: T must be float, double, std::int64_t or bool");
  if constexpr (std::is_same_v<T, float>) return kFloat32;
  else if constexpr (std::is_same_v<T, double>) return kFloat64;
  else if constexpr (std::is_same_v<T, bool>) return kBool;
  else return kInt64;
}
}  // namespace detail

/// A cheap shared handle to an n-dimensional, contiguous, row-major array (copying shares data,
/// as in PyTorch). A default-constructed Tensor is "undefined" (like an empty torch.Tensor()).
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  bool defined() const { return impl_ != nullptr; }
  // The accessors every op calls several times are inline (measured: out of line they were ~8 %
  // of a recorded add's instructions, bench/RESULTS.md "Per-op overhead").
  const Shape& shape() const { return checked("shape").shape; }
  /// Size of dimension `dim` (negative counts from the end).
  std::int64_t size(std::int64_t dim) const;
  std::int64_t dim() const { return static_cast<std::int64_t>(shape().size()); }
  std::int64_t numel() const { return shape_numel(shape()); }
  Dtype dtype() const { return checked("dtype").dtype; }

  /// Raw data; T must match dtype() (float, double or int64_t), else std::invalid_argument.
  template <typename T>
  T* data();
  template <typename T>
  const T* data() const;
  void* raw_data() const { return checked("data").storage->data; }

  /// The single value of a one-element tensor, as double.
  double item() const;
  /// The single value as T (any arithmetic type, as libtorch's item<T>()): int64 values convert
  /// exactly; a value T cannot hold (out of range, NaN to an integer) throws naming both.
  template <typename T>
  T item() const;
  /// Element at a multi-index (for tests and small programs; slow).
  double at(const std::vector<std::int64_t>& index) const;
  /// Writes one element: an in-place write with the rules of the in-place ops (refused on a leaf
  /// that requires grad outside NoGradGuard; recorded on a tensor in a graph; bumps the version).
  void set(const std::vector<std::int64_t>& index, double value);
  /// All elements in row-major order, converted to double.
  std::vector<double> to_vector() const;

  // ---- autograd -------------------------------------------------------------------------
  bool requires_grad() const { return checked("requires_grad").requires_grad; }
  /// Marks a leaf as requiring grad (throws for non-leaves and int64 tensors, like PyTorch).
  Tensor& requires_grad_(bool requires = true);
  bool is_leaf() const { return checked("is_leaf").grad_fn == nullptr; }
  /// The accumulated gradient, or an undefined tensor if none has been computed.
  Tensor grad() const;
  /// Replaces the gradient (undefined clears it; optimizers' zero_grad sets it to none).
  void set_grad(const Tensor& grad);
  /// Keep the gradient of a non-leaf after backward (PyTorch's retain_grad()).
  void retain_grad();
  const std::shared_ptr<Node>& grad_fn() const { return checked("grad_fn").grad_fn; }
  /// Reverse-mode gradient of this tensor w.r.t. every leaf that requires grad.
  /// `gradient` must be given for non-scalars; the graph is released unless retain_graph, which
  /// defaults to create_graph when unset (libtorch's c10::optional<bool>). With create_graph the
  /// backward pass is itself recorded (leaves' .grad keep a graph, so they can be differentiated
  /// again).
  void backward(const Tensor& gradient = Tensor(), std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;

  /// A new tensor sharing data but cut from the graph (requires_grad = false).
  Tensor detach() const;
  /// A deep copy (differentiable).
  Tensor clone() const;
  /// This tensor (torch.Tensor.contiguous): xgrad's tensors are always contiguous, row-major —
  /// transpose/permute/expand copy — so there is nothing to rearrange.
  Tensor contiguous() const { return *this; }
  /// Always true (see contiguous()).
  bool is_contiguous() const { return true; }
  /// Converts between dtypes (differentiable between float dtypes); a no-op if already `dtype`.
  Tensor to(Dtype dtype) const;

  // ---- comparisons and masks (ops_compare.hpp, ops_where.hpp): bool results ---------------
  Tensor eq(const Tensor& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor le(const Tensor& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor eq(double other) const;
  Tensor ne(double other) const;
  Tensor lt(double other) const;
  Tensor le(double other) const;
  Tensor gt(double other) const;
  Tensor ge(double other) const;
  Tensor logical_and(const Tensor& other) const;
  Tensor logical_or(const Tensor& other) const;
  Tensor logical_xor(const Tensor& other) const;
  Tensor logical_not() const;
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor isfinite() const;
  Tensor any() const;
  Tensor all() const;
  Tensor any(std::int64_t dim, bool keepdim = false) const;
  Tensor all(std::int64_t dim, bool keepdim = false) const;
  Tensor isclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;
  bool allclose(const Tensor& other, double rtol = 1e-05, double atol = 1e-08, bool equal_nan = false) const;
  bool equal(const Tensor& other) const;
  /// where(condition, *this, other) (libtorch's Tensor::where).
  Tensor where(const Tensor& condition, const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, double value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor masked_select(const Tensor& mask) const;

  // ---- indexing (indexing.hpp: t.index({Slice(1, None), 0, mask})) ------------------------
  Tensor index(std::initializer_list<indexing::TensorIndex> indices) const;
  Tensor index(const std::vector<indexing::TensorIndex>& indices) const;
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, const Tensor& value) const;
  const Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, const Tensor& value) const;
  const Tensor& index_put_(std::initializer_list<indexing::TensorIndex> indices, double value) const;
  const Tensor& index_put_(const std::vector<indexing::TensorIndex>& indices, double value) const;
  /// t[i]: select(0, i).
  Tensor operator[](std::int64_t index) const;

  // ---- in-place ops (ops_in_place.hpp). PyTorch's rules: refused on a leaf that requires grad
  // outside NoGradGuard; on a tensor in a graph they are recorded (its grad_fn becomes the
  // in-place op's node); every write bumps the version, so backward refuses stale saved tensors.
  const Tensor& add_(const Tensor& other, double alpha = 1) const;
  const Tensor& add_(double other) const;
  const Tensor& sub_(const Tensor& other, double alpha = 1) const;
  const Tensor& sub_(double other) const;
  const Tensor& mul_(const Tensor& other) const;
  const Tensor& mul_(double other) const;
  const Tensor& div_(const Tensor& other) const;
  const Tensor& div_(double other) const;
  const Tensor& zero_() const;
  const Tensor& fill_(double value) const;
  const Tensor& fill_(const Tensor& value) const;
  const Tensor& clamp_(std::optional<double> min, std::optional<double> max = std::nullopt) const;
  const Tensor& copy_(const Tensor& src) const;
  const Tensor& masked_fill_(const Tensor& mask, double value) const;
  const Tensor& masked_fill_(const Tensor& mask, const Tensor& value) const;
  const Tensor& operator+=(const Tensor& other) const;
  const Tensor& operator+=(double other) const;
  const Tensor& operator-=(const Tensor& other) const;
  const Tensor& operator-=(double other) const;
  const Tensor& operator*=(const Tensor& other) const;
  const Tensor& operator*=(double other) const;
  const Tensor& operator/=(const Tensor& other) const;
  const Tensor& operator/=(double other) const;

  // ---- method forms of the free functions (t.sum({1}), t.reshape({2, -1}), …) ------------
  Tensor sum() const;
  Tensor sum(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor argmax(std::int64_t dim, bool keepdim = false) const;
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
  Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
  Tensor permute(const std::vector<std::int64_t>& dims) const;
  Tensor squeeze() const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor select(std::int64_t dim, std::int64_t index) const;
  Tensor narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const;
  Tensor matmul(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor baddbmm(const Tensor& batch1, const Tensor& batch2, double beta = 1, double alpha = 1) const;
  Tensor outer(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;
  Tensor mv(const Tensor& vector) const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor abs() const;
  Tensor pow(double exponent) const;
  Tensor softmax(std::int64_t dim) const;
  Tensor log_softmax(std::int64_t dim) const;

  // ---- elementwise math (autograd/ops_math.hpp; the tensormath block) ---------------------
  Tensor sin() const;
  Tensor cos() const;
  Tensor tan() const;
  Tensor asin() const;
  Tensor acos() const;
  Tensor atan() const;
  Tensor atan2(const Tensor& other) const;
  Tensor sinh() const;
  Tensor cosh() const;
  Tensor log1p() const;
  Tensor expm1() const;
  Tensor log2() const;
  Tensor log10() const;
  Tensor rsqrt() const;
  Tensor reciprocal() const;
  Tensor square() const;
  Tensor sign() const;
  Tensor floor() const;
  Tensor ceil() const;
  Tensor round() const;
  Tensor trunc() const;
  Tensor frac() const;
  Tensor erf() const;
  Tensor erfinv() const;
  Tensor lgamma() const;
  Tensor digamma() const;
  Tensor pow(const Tensor& exponent) const;
  Tensor lerp(const Tensor& end, const Tensor& weight) const;
  Tensor lerp(const Tensor& end, double weight) const;
  Tensor prod() const;
  Tensor prod(std::int64_t dim, bool keepdim = false) const;
  Tensor var(const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction = std::nullopt,
             bool keepdim = false) const;
  Tensor std(const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction = std::nullopt,
             bool keepdim = false) const;
  Tensor norm(double p = 2.0) const;
  Tensor norm(double p, const std::vector<std::int64_t>& dims, bool keepdim = false) const;
  Tensor cumsum(std::int64_t dim) const;
  Tensor cumprod(std::int64_t dim) const;
  std::tuple<Tensor, Tensor> sort(std::int64_t dim = -1, bool descending = false) const;
  Tensor argsort(std::int64_t dim = -1, bool descending = false) const;
  std::tuple<Tensor, Tensor> topk(std::int64_t k, std::int64_t dim = -1, bool largest = true, bool sorted = true) const;
  Tensor gather(std::int64_t dim, const Tensor& index) const;
  Tensor scatter(std::int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter(std::int64_t dim, const Tensor& index, double value) const;
  Tensor scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor index_add(std::int64_t dim, const Tensor& index, const Tensor& source, double alpha = 1.0) const;
  Tensor take_along_dim(const Tensor& indices, std::int64_t dim) const;
  Tensor flip(const std::vector<std::int64_t>& dims) const;
  Tensor roll(const std::vector<std::int64_t>& shifts, const std::vector<std::int64_t>& dims = {}) const;
  Tensor repeat(const std::vector<std::int64_t>& repeats) const;
  Tensor tile(const std::vector<std::int64_t>& reps) const;
  Tensor tril(std::int64_t diagonal = 0) const;
  Tensor triu(std::int64_t diagonal = 0) const;
  Tensor diag(std::int64_t diagonal = 0) const;
  Tensor movedim(std::int64_t source, std::int64_t destination) const;
  Tensor t() const;
  Tensor view_as(const Tensor& other) const;     ///< view(other.shape())
  Tensor reshape_as(const Tensor& other) const;  ///< reshape(other.shape())
  Tensor expand_as(const Tensor& other) const;   ///< expand(other.shape())
  // ---- end of the tensormath block ------------------------------------------------------

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }
  /// Registers `hook` to run on this tensor's gradient whenever backward computes it (libtorch's
  /// Tensor::register_hook): it may return a replacement gradient of the same shape and dtype, or
  /// an undefined Tensor to leave it unchanged. On a leaf the hook runs before accumulation into
  /// .grad. Returns a handle for remove_hook. Throws for tensors that do not require grad.
  /// Hooks must not be registered or removed while a backward pass runs over this tensor.
  unsigned register_hook(std::function<Tensor(const Tensor&)> hook) const;
  /// Registers `hook` to run after backward has accumulated into this leaf's .grad, once per
  /// backward pass, with the leaf itself (PyTorch's register_post_accumulate_grad_hook; what
  /// DistributedDataParallel starts its bucket all-reduces from). Leaves only.
  unsigned register_post_accumulate_grad_hook(std::function<void(const Tensor&)> hook) const;
  /// Removes a hook registered on this tensor by either function; unknown handles throw.
  void remove_hook(unsigned handle) const;
  /// How many in-place writes its storage has seen (torch's Tensor._version()).
  std::uint32_t _version() const;

 private:
  const TensorImpl& checked(const char* what) const {
    if (!impl_) detail::throw_undefined_tensor(what);
    return *impl_;
  }
  std::shared_ptr<TensorImpl> impl_;
};

template <typename T>
T* Tensor::data() {
  const TensorImpl& impl = checked("data");
  if (impl.dtype != detail::dtype_of<T>()) detail::throw_data_dtype(impl.dtype, detail::dtype_of<T>());
  return static_cast<T*>(impl.storage->data);
}
template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}

namespace detail {
/// item<T>'s range check and message (out of line: the template stays small).
[[noreturn]] void throw_item_out_of_range(double value, const char* type_name);
template <typename T>
T item_cast(double v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else if constexpr (std::is_integral_v<T>) {
    // Only values inside T's range (NaN excluded) convert without undefined behaviour.
    // [lowest, 2^digits) holds exactly the doubles that truncate into T.
    if (!(v >= static_cast<double>(std::numeric_limits<T>::lowest()) && v < std::ldexp(1.0, std::numeric_limits<T>::digits)))
      throw_item_out_of_range(v, "the requested integer type");
    return static_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}
}  // namespace detail

template <typename T>
T Tensor::item() const {
  static_assert(std::is_arithmetic_v<T>, "item<T>: T must be an arithmetic type");
  const double v = item();  // checks numel == 1
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (dtype() == kInt64) {  // exact: no trip through double
      const std::int64_t i = *static_cast<const std::int64_t*>(raw_data());
      if (static_cast<long double>(i) < static_cast<long double>(std::numeric_limits<T>::lowest()) ||
          static_cast<long double>(i) > static_cast<long double>(std::numeric_limits<T>::max()))
        detail::throw_item_out_of_range(v, "the requested integer type");
      return static_cast<T>(i);
    }
  }
  return detail::item_cast<T>(v);
}

namespace detail {
/// The row-major offset of a full multi-index into `shape` (negative entries count from the
/// end); throws naming `op` for a wrong count or an out-of-range entry.
std::int64_t flat_index(const Shape& shape, const std::vector<std::int64_t>& index, const char* op);
/// Records an in-place write into `t`'s storage (every in-place writer calls it: copy_, fill_,
/// set, uniform_, normal_, the optimizers' parameter updates, writable views).
inline void bump_version(const Tensor& t) { t.impl()->storage->version.fetch_add(1, std::memory_order_relaxed); }
}  // namespace detail

/// Uninitialised tensor (internal building block of every op; contents are garbage).
Tensor empty(const Shape& shape, Dtype dtype = kFloat32);
/// Uninitialised, with t's shape and dtype (torch::empty_like).
inline Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
/// Prints the tensor as PyTorch does (see xg::repr in autograd/format.hpp).
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace xg
