#include "autograd/ops_slice.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/detail/double_backward.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/shape_kernels.hpp"
#include "autograd/engine.hpp"
#include "autograd/grad_mode.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_shape.hpp"

namespace xg {
using detail::SliceSpec;

namespace {

void check_not_scalar(const char* op, const Tensor& x) {
  detail::check_defined(op, x);
  if (x.dim() == 0) throw std::invalid_argument(std::string(op) + ": cannot be applied to a 0-dim tensor");
}

// The slices s of a `full` tensor as a linear map (gather into `part` shape) with its adjoint
// (scatter into zeros of `full` shape): the backward of every op here, recorded under create_graph.
std::shared_ptr<const detail::LinearMap> slices_map(const SliceSpec& s, const Shape& full, const Shape& part) {
  return std::make_shared<const detail::LinearMap>(detail::LinearMap{
      "slices_gather", "slices_scatter",
      [s, part](const Tensor& t) {
        Tensor out = empty(part, t.dtype());
        detail::move_slices(t, out, s, /*gather=*/true);
        return out;
      },
      [s, full](const Tensor& t) {
        Tensor out = zeros(full, t.dtype());
        detail::move_slices(out, t, s, /*gather=*/false);
        return out;
      }});
}

// Copies slices s of x along dim d into a new tensor of `out_shape`; backward scatters them
// back into zeros of x's shape.
Tensor take_slices(const char* op, const Tensor& x, const SliceSpec& s, const Shape& out_shape) {
  Tensor out = empty(out_shape, x.dtype());
  detail::move_slices(x, out, s, /*gather=*/true);
  if (needs_grad({&x})) {
    record(out, op, {x}, [s, in_shape = x.shape()](const Tensor& g) {
      if (is_grad_enabled())  // create_graph: recorded
        return std::vector<Tensor>{detail::apply_linear(g, slices_map(s, in_shape, g.shape()), /*adjoint=*/true)};
      Tensor gx = zeros(in_shape, g.dtype());
      detail::move_slices(gx, g, s, /*gather=*/false);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor narrow_impl(const char* op, const Tensor& x, std::int64_t d, std::int64_t start, std::int64_t length,
                   std::int64_t step = 1) {
  SliceSpec s = detail::slice_spec(x.shape(), d);
  s.start = start;
  s.count = length;
  s.step = step;
  Shape out_shape = x.shape();
  out_shape[d] = length;
  return take_slices(op, x, s, out_shape);
}

}  // namespace

Tensor select(const Tensor& x, std::int64_t dim, std::int64_t index) {
  check_not_scalar("select", x);
  const std::int64_t d = normalize_dim("select", dim, x.dim());
  const std::int64_t n = x.shape()[d];
  if (index < -n || index >= n)
    throw std::invalid_argument("select: index " + std::to_string(index) + " is out of range for dim " +
                                std::to_string(dim) + " of size " + std::to_string(n) + " (tensor of shape " +
                                shape_str(x.shape()) + ")");
  SliceSpec s = detail::slice_spec(x.shape(), d);
  s.start = index < 0 ? index + n : index;
  s.count = 1;
  Shape out_shape = x.shape();
  out_shape.erase(out_shape.begin() + d);
  return take_slices("select", x, s, out_shape);
}

Tensor narrow(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t length) {
  check_not_scalar("narrow", x);
  const std::int64_t d = normalize_dim("narrow", dim, x.dim());
  const std::int64_t n = x.shape()[d];
  // PyTorch accepts start in [−n, n] (n itself only with length 0).
  if (start < -n || start > n)
    throw std::invalid_argument("narrow: start " + std::to_string(start) + " is out of range [" + std::to_string(-n) +
                                ", " + std::to_string(n) + "] for dim " + std::to_string(dim) + " of shape " +
                                shape_str(x.shape()));
  const std::int64_t s = start < 0 ? start + n : start;
  if (length < 0 || s + length > n)
    throw std::invalid_argument("narrow: start (" + std::to_string(start) + ") + length (" + std::to_string(length) +
                                ") exceeds size " + std::to_string(n) + " of dim " + std::to_string(dim) +
                                " (tensor of shape " + shape_str(x.shape()) + ")");
  return narrow_impl("narrow", x, d, s, length);
}

Tensor slice(const Tensor& x, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  check_not_scalar("slice", x);
  const std::int64_t d = normalize_dim("slice", dim, x.dim());
  if (step < 1) throw std::invalid_argument("slice: step must be positive, got " + std::to_string(step));
  const std::int64_t n = x.shape()[d];
  // Python semantics: negative bounds count from the end, then both are clamped to [0, n].
  auto clamp = [n](std::int64_t v) {
    if (v < 0) v = v < -n ? 0 : v + n;
    return v > n ? n : v;
  };
  const std::int64_t b = clamp(start), e = clamp(end);
  const std::int64_t length = e > b ? (e - b + step - 1) / step : 0;
  return narrow_impl("slice", x, d, b, length, step);
}

namespace {

// Pieces of x along dim d: piece k is the `counts[k]` slices starting at `starts[k]`, shaped
// `shapes[k]`. Backward writes every piece's gradient into one shared [x.shape] buffer, O(numel)
// in total, where separate narrows would each build and add a full-size gradient.
std::vector<Tensor> shared_pieces(const char* op, const Tensor& x, std::int64_t d, const std::vector<std::int64_t>& starts,
                                  const std::vector<std::int64_t>& counts, const std::vector<Shape>& shapes) {
  SliceSpec s = detail::slice_spec(x.shape(), d);
  std::vector<Tensor> pieces(starts.size());
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    pieces[k] = empty(shapes[k], x.dtype());
    s.start = starts[k];
    s.count = counts[k];
    detail::move_slices(x, pieces[k], s, /*gather=*/true);
  }
  if (!needs_grad({&x})) return pieces;
  // The pieces' nodes all feed one "hub" node (an alias of x). The first piece to run
  // backward allocates a zero buffer in the pass's scratch (detail::pass_scratch: per pass, so
  // concurrent or failed passes never share it), writes its slice and hands the buffer to the
  // hub; the others write their slice into the same buffer and return nothing. The engine
  // runs the hub only after every piece that was reached, and it passes the buffer on to x.
  Tensor hub = detail::alias_with_shape(x, x.shape());
  record(hub, op, {x}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  const Node* key = hub.grad_fn().get();
  for (std::size_t k = 0; k < pieces.size(); ++k) {
    s.start = starts[k];
    s.count = counts[k];
    record(pieces[k], op, {hub}, [key, s, in_shape = x.shape()](const Tensor& g) {
      // create_graph: each piece's gradient scattered on its own, recorded (the engine sums them).
      if (is_grad_enabled())
        return std::vector<Tensor>{detail::apply_linear(g, slices_map(s, in_shape, g.shape()), /*adjoint=*/true)};
      std::shared_ptr<void>& slot = detail::pass_scratch(key);
      const bool first = !slot;
      if (first) slot = std::make_shared<Tensor>(zeros(in_shape, g.dtype()));
      Tensor& buffer = *static_cast<Tensor*>(slot.get());
      detail::move_slices(buffer, g, s, /*gather=*/false);
      return std::vector<Tensor>{first ? buffer : Tensor()};
    });
  }
  return pieces;
}

}  // namespace

std::vector<Tensor> unbind(const Tensor& x, std::int64_t dim) {
  check_not_scalar("unbind", x);
  const std::int64_t d = normalize_dim("unbind", dim, x.dim());
  Shape piece_shape = x.shape();
  piece_shape.erase(piece_shape.begin() + d);
  const std::int64_t n = x.shape()[d];
  std::vector<std::int64_t> starts(static_cast<std::size_t>(n));
  for (std::int64_t t = 0; t < n; ++t) starts[static_cast<std::size_t>(t)] = t;
  return shared_pieces("unbind", x, d, starts, std::vector<std::int64_t>(starts.size(), 1),
                       std::vector<Shape>(starts.size(), piece_shape));
}

std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& split_sizes, std::int64_t dim) {
  check_not_scalar("split", x);
  const std::int64_t d = normalize_dim("split", dim, x.dim());
  const std::int64_t n = x.shape()[d];
  std::int64_t total = 0;
  std::string sizes;
  for (std::int64_t size : split_sizes) {
    if (size < 0)
      throw std::invalid_argument("split: split_sizes cannot contain a negative size, got " + std::to_string(size));
    total += size;
    sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
  }
  if (total != n)
    throw std::invalid_argument("split: split_sizes [" + sizes + "] add up to " + std::to_string(total) +
                                " but dim " + std::to_string(dim) + " has size " + std::to_string(n) +
                                " (tensor of shape " + shape_str(x.shape()) + ")");
  std::vector<std::int64_t> starts;
  std::vector<Shape> shapes;
  std::int64_t start = 0;
  for (std::int64_t size : split_sizes) {
    starts.push_back(start);
    start += size;
    shapes.push_back(x.shape());
    shapes.back()[d] = size;
  }
  return shared_pieces("split", x, d, starts, split_sizes, shapes);
}

std::vector<Tensor> split(const Tensor& x, std::int64_t split_size, std::int64_t dim) {
  detail::check_defined("split", x);
  if (x.dim() == 0) throw std::invalid_argument("split: expects at least a 1-dimensional tensor, got shape []");
  const std::int64_t d = normalize_dim("split", dim, x.dim());
  const std::int64_t n = x.shape()[d];
  if (split_size < 0 || (split_size == 0 && n > 0))
    throw std::invalid_argument("split: split_size " + std::to_string(split_size) + " is invalid for dim " +
                                std::to_string(dim) + " of size " + std::to_string(n) + " (tensor of shape " +
                                shape_str(x.shape()) + "); it must be positive (0 only for an empty dim)");
  std::vector<Tensor> pieces;
  if (n == 0) {
    pieces.push_back(narrow_impl("split", x, d, 0, 0));
    return pieces;
  }
  for (std::int64_t s = 0; s < n; s += split_size)
    pieces.push_back(narrow_impl("split", x, d, s, std::min(split_size, n - s)));
  return pieces;
}

std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t dim) {
  detail::check_defined("chunk", x);
  if (x.dim() == 0) throw std::invalid_argument("chunk: expects at least a 1-dimensional tensor, got shape []");
  if (chunks <= 0) throw std::invalid_argument("chunk: chunks must be greater than 0, got " + std::to_string(chunks));
  const std::int64_t d = normalize_dim("chunk", dim, x.dim());
  const std::int64_t n = x.shape()[d];
  if (n == 0) {  // torch.chunk gives `chunks` empty pieces here
    std::vector<Tensor> pieces;
    for (std::int64_t i = 0; i < chunks; ++i) pieces.push_back(narrow_impl("chunk", x, d, 0, 0));
    return pieces;
  }
  return split(x, (n + chunks - 1) / chunks, d);
}

Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw std::invalid_argument("cat: expected a non-empty list of tensors");
  // PyTorch still skips legacy empty 1-D tensors (shape [0]) whatever the other shapes are.
  const Tensor* ref = nullptr;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    detail::check_defined("cat", t, "a tensor");
    if (t.dim() == 0)
      throw std::invalid_argument("cat: zero-dimensional tensor (at position " + std::to_string(i) +
                                  ") cannot be concatenated");
    if (t.dtype() != tensors[0].dtype())
      throw std::invalid_argument(std::string("cat: expected all tensors to be ") + dtype_name(tensors[0].dtype()) +
                                  ", got " + dtype_name(t.dtype()) + " for tensor " + std::to_string(i) +
                                  " (convert with .to())");
    if (!ref && !(t.dim() == 1 && t.numel() == 0)) ref = &t;
  }
  if (!ref) ref = &tensors[0];
  const std::int64_t d = normalize_dim("cat", dim, ref->dim());
  const Shape& rs = ref->shape();
  std::vector<bool> skipped(tensors.size(), false);
  Shape out_shape = rs;
  out_shape[d] = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const Shape& s = tensors[i].shape();
    if (&tensors[i] != ref && s.size() == 1 && s[0] == 0) {
      skipped[i] = true;
      continue;
    }
    if (s.size() != rs.size())
      throw std::invalid_argument("cat: tensors must have the same number of dims: got " + shape_str(rs) + " and " +
                                  shape_str(s) + " (tensor " + std::to_string(i) + ")");
    for (std::size_t j = 0; j < s.size(); ++j)
      if (static_cast<std::int64_t>(j) != d && s[j] != rs[j])
        throw std::invalid_argument("cat: sizes must match except in dim " + std::to_string(d) + ": got " +
                                    shape_str(rs) + " and " + shape_str(s) + " (tensor " + std::to_string(i) + ")");
    out_shape[d] += s[d];
  }
  Tensor out = empty(out_shape, ref->dtype());
  SliceSpec s = detail::slice_spec(out_shape, d);
  std::vector<SliceSpec> parts(tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (skipped[i]) continue;
    parts[i] = s;
    parts[i].count = tensors[i].shape()[d];
    detail::move_slices(out, tensors[i], parts[i], /*gather=*/false);
    s.start += parts[i].count;
  }
  if (needs_grad(tensors)) {
    std::vector<bool> wanted(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) wanted[i] = !skipped[i] && tensors[i].requires_grad();
    std::vector<Shape> shapes;
    for (const Tensor& t : tensors) shapes.push_back(t.shape());
    auto backward = [parts = std::move(parts), wanted = std::move(wanted),
                     shapes = std::move(shapes)](const Tensor& g) {
      std::vector<Tensor> grads(parts.size());
      for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!wanted[i]) continue;
        if (is_grad_enabled()) {  // create_graph: recorded
          grads[i] = detail::apply_linear(g, slices_map(parts[i], g.shape(), shapes[i]));
          continue;
        }
        grads[i] = empty(shapes[i], g.dtype());
        detail::move_slices(g, grads[i], parts[i], /*gather=*/true);
      }
      return grads;
    };
    record(out, "cat", tensors, std::move(backward));
  }
  return out;
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim) {
  if (tensors.empty()) throw std::invalid_argument("stack: expected a non-empty list of tensors");
  const Tensor& first = tensors[0];
  detail::check_defined("stack", first, "a tensor");
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    detail::check_defined("stack", tensors[i], "a tensor");
    if (tensors[i].shape() != first.shape())
      throw std::invalid_argument("stack: expects each tensor to be equal size, but got " + shape_str(first.shape()) +
                                  " at entry 0 and " + shape_str(tensors[i].shape()) + " at entry " +
                                  std::to_string(i));
    if (tensors[i].dtype() != first.dtype())
      throw std::invalid_argument(std::string("stack: expected all tensors to be ") + dtype_name(first.dtype()) +
                                  ", got " + dtype_name(tensors[i].dtype()) + " at entry " + std::to_string(i) +
                                  " (convert with .to())");
  }
  const std::int64_t d = normalize_dim("stack", dim, first.dim() + 1);
  Shape out_shape = first.shape();
  out_shape.insert(out_shape.begin() + d, static_cast<std::int64_t>(tensors.size()));
  Tensor out = empty(out_shape, first.dtype());
  // Each input is one slice of the output along the new dim.
  SliceSpec s = detail::slice_spec(out_shape, d);
  s.count = 1;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    s.start = static_cast<std::int64_t>(i);
    detail::move_slices(out, tensors[i], s, /*gather=*/false);
  }
  if (needs_grad(tensors)) {
    std::vector<bool> wanted(tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) wanted[i] = tensors[i].requires_grad();
    record(out, "stack", tensors, [s, wanted = std::move(wanted), shape = first.shape()](const Tensor& g) {
      std::vector<Tensor> grads(wanted.size());
      SliceSpec part = s;
      for (std::size_t i = 0; i < wanted.size(); ++i) {
        if (!wanted[i]) continue;
        part.start = static_cast<std::int64_t>(i);
        if (is_grad_enabled()) {  // create_graph: recorded
          grads[i] = detail::apply_linear(g, slices_map(part, g.shape(), shape));
          continue;
        }
        grads[i] = empty(shape, g.dtype());
        detail::move_slices(g, grads[i], part, /*gather=*/true);
      }
      return grads;
    });
  }
  return out;
}

namespace {
// index_select's backward: g's slices added at their indices along the dim, in index order
// (repeated indices accumulate, deterministically).
Tensor index_scatter_add(const Tensor& g, const SliceSpec& s, std::int64_t m, const Shape& in_shape, const Tensor& index) {
  Tensor gx = zeros(in_shape, g.dtype());
  const std::int64_t* ids = index.data<std::int64_t>();
  detail::dispatch_floating("index_select_backward", g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* pg = g.data<T>();
    T* po = gx.data<T>();
    for (std::int64_t o = 0; o < s.outer; ++o)
      for (std::int64_t j = 0; j < m; ++j) {
        const T* from = pg + (o * m + j) * s.inner;
        T* to = po + (o * s.n + ids[j]) * s.inner;
        for (std::int64_t i = 0; i < s.inner; ++i) to[i] += from[i];
      }
  });
  return gx;
}
}  // namespace

Tensor index_select(const Tensor& x, std::int64_t dim, const Tensor& index) {
  detail::check_defined("index_select", x);
  detail::check_index_tensor("index_select", index);
  if (index.dim() > 1)
    throw std::invalid_argument("index_select: index must be 1-D, got shape " + shape_str(index.shape()));
  const std::int64_t d = normalize_dim("index_select", dim, x.dim());
  SliceSpec s = detail::slice_spec(x.shape(), d);
  const std::int64_t m = index.numel();
  const std::int64_t* idx = index.data<std::int64_t>();
  for (std::int64_t j = 0; j < m; ++j)
    if (idx[j] < 0 || idx[j] >= s.n)
      throw std::invalid_argument("index_select: index " + std::to_string(idx[j]) + " is out of range for dim " +
                                  std::to_string(dim) + " of size " + std::to_string(s.n) + " (tensor of shape " +
                                  shape_str(x.shape()) + ")");
  if (x.dim() == 0 && m != 1)
    throw std::invalid_argument("index_select: a 0-dim tensor takes exactly one index, got " + std::to_string(m));
  Shape out_shape = x.shape();
  if (x.dim() > 0) out_shape[d] = m;
  Tensor out = empty(out_shape, x.dtype());
  const std::size_t block = static_cast<std::size_t>(s.inner) * element_size(x.dtype());
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  for (std::int64_t o = 0; o < s.outer; ++o)
    for (std::int64_t j = 0; j < m; ++j, dst += block) std::memcpy(dst, src + (o * s.n + idx[j]) * block, block);
  if (needs_grad({&x})) {
    record(out, "index_select", {x}, [s, m, in_shape = x.shape(), index = detail::save_for_backward(index), d](const Tensor& g) {
      if (is_grad_enabled()) {
        // create_graph: the scatter-add below is recorded, with index_select itself as its adjoint.
        auto map = std::make_shared<const detail::LinearMap>(detail::LinearMap{
            "index_select_backward", "index_select_backward_backward",
            [s, m, in_shape, index](const Tensor& t) { return index_scatter_add(t, s, m, in_shape, index); },
            [d, index](const Tensor& t) {
              NoGradGuard raw;  // apply_linear records the node
              return index_select(t, d, index);
            }});
        return std::vector<Tensor>{detail::apply_linear(g, map)};
      }
      return std::vector<Tensor>{index_scatter_add(g, s, m, in_shape, index)};
    });
  }
  return out;
}

}  // namespace xg
