#include "autograd/ops_rearrange.hpp"

#include <stdexcept>
#include <string>
#include <vector>

#include <xtensor/xmanipulation.hpp>

#include "autograd/creation.hpp"
#include "autograd/detail/kernel_utils.hpp"
#include "autograd/detail/where_mask.hpp"
#include "autograd/ops_gather.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/node.hpp"
#include "autograd/xtensor.hpp"

namespace xg {

namespace {
template <typename T>
void flip_into(const Tensor& x, Tensor& out, const std::vector<bool>& flipped) {
  xt::xarray<T> a = as_xtensor<T>(x);
  for (std::size_t d = 0; d < flipped.size(); ++d)
    if (flipped[d]) a = xt::flip(a, d);
  as_xtensor<T>(out) = a;
}
}  // namespace

Tensor flip(const Tensor& x, const std::vector<std::int64_t>& dims) {
  detail::check_defined("flip", x);
  const std::int64_t rank = x.dim();
  std::vector<bool> flipped(static_cast<std::size_t>(rank), false);
  for (std::int64_t d : dims) {
    const std::int64_t nd = normalize_dim("flip", d, rank == 0 ? 1 : rank);
    if (rank == 0) continue;
    if (flipped[static_cast<std::size_t>(nd)])
      throw std::invalid_argument("flip: dim " + std::to_string(nd) + " appears multiple times in dims " + shape_str(dims));
    flipped[static_cast<std::size_t>(nd)] = true;
  }
  Tensor out = empty(x.shape(), x.dtype());
  switch (x.dtype()) {
    case kFloat32: flip_into<float>(x, out, flipped); break;
    case kFloat64: flip_into<double>(x, out, flipped); break;
    case kInt64: flip_into<std::int64_t>(x, out, flipped); break;
    default: throw std::invalid_argument(std::string("flip: unsupported dtype ") + dtype_name(x.dtype()));
  }
  if (needs_grad({&x})) {
    record(out, "flip", {x}, [dims](const Tensor& g) { return std::vector<Tensor>{flip(g, dims)}; });
  }
  return out;
}

// The ops below are compositions of recorded ops (narrow, cat, expand, reshape, permute,
// gather/scatter_add, where_mask): their gradients come from the tape.

Tensor roll(const Tensor& x, const std::vector<std::int64_t>& shifts, const std::vector<std::int64_t>& dims) {
  detail::check_defined("roll", x);
  if (dims.empty()) {
    if (shifts.size() != 1)
      throw std::invalid_argument("roll: without dims, shifts must hold one value, got " + shape_str(shifts));
    return reshape(roll(reshape(x, {x.numel()}), shifts, {0}), x.shape());
  }
  if (shifts.size() != dims.size())
    throw std::invalid_argument("roll: shifts " + shape_str(shifts) + " and dims " + shape_str(dims) +
                                " must have the same length");
  Tensor out = x;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t d = normalize_dim("roll", dims[i], std::max<std::int64_t>(x.dim(), 1));
    const std::int64_t n = x.dim() == 0 ? 1 : x.size(d);
    if (n == 0) continue;
    const std::int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({narrow(out, d, n - s, s), narrow(out, d, 0, n - s)}, d);
  }
  return out.same(x) ? x.clone() : out;
}

Tensor repeat(const Tensor& x, const std::vector<std::int64_t>& repeats) {
  detail::check_defined("repeat", x);
  if (static_cast<std::int64_t>(repeats.size()) < x.dim())
    throw std::invalid_argument("repeat: repeats " + shape_str(repeats) + " must have at least as many entries as x has dims (" +
                                shape_str(x.shape()) + ")");
  for (std::int64_t r : repeats)
    if (r < 0) throw std::invalid_argument("repeat: repeats must be non-negative, got " + shape_str(repeats));
  const std::size_t lead = repeats.size() - x.shape().size();
  Shape padded(lead, 1);
  padded.insert(padded.end(), x.shape().begin(), x.shape().end());
  // [s0, s1] → [1, s0, 1, s1] → expand [r0, s0, r1, s1] → [r0·s0, r1·s1]
  Shape interleaved, expanded, result;
  for (std::size_t i = 0; i < repeats.size(); ++i) {
    interleaved.insert(interleaved.end(), {1, padded[i]});
    expanded.insert(expanded.end(), {repeats[i], padded[i]});
    result.push_back(repeats[i] * padded[i]);
  }
  return reshape(expand(reshape(x, interleaved), expanded), result);
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& reps) {
  detail::check_defined("tile", x);
  std::vector<std::int64_t> r(reps);
  while (static_cast<std::int64_t>(r.size()) < x.dim()) r.insert(r.begin(), 1);
  return repeat(x, r);
}

namespace {
Tensor triangle(const char* op, const Tensor& x, std::int64_t diagonal, bool lower) {
  detail::check_floating(op, x);
  if (x.dim() < 2)
    throw std::invalid_argument(std::string(op) + ": expected a tensor with at least 2 dims, got " + shape_str(x.shape()));
  const std::int64_t rows = x.size(-2), cols = x.size(-1);
  Tensor keep = empty(x.shape(), x.dtype());
  detail::dispatch_floating(op, x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = keep.data<T>();
    for (std::int64_t e = 0; e < keep.numel(); ++e) {
      const std::int64_t j = e % cols, i = (e / cols) % rows;
      p[e] = (lower ? j - i <= diagonal : j - i >= diagonal) ? T(1) : T(0);
    }
  });
  return detail::where_mask(keep, x, zeros_like(x));
}
}  // namespace

Tensor tril(const Tensor& x, std::int64_t diagonal) { return triangle("tril", x, diagonal, true); }
Tensor triu(const Tensor& x, std::int64_t diagonal) { return triangle("triu", x, diagonal, false); }

Tensor diag(const Tensor& x, std::int64_t diagonal) {
  detail::check_floating("diag", x);
  if (x.dim() == 1) {
    const std::int64_t n = x.size(0), size = n + std::abs(diagonal);
    std::vector<std::int64_t> at(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
      at[static_cast<std::size_t>(i)] = (diagonal >= 0 ? i * size + i + diagonal : (i - diagonal) * size + i);
    const Tensor flat = scatter_add(zeros({size * size}, x.dtype()), 0, from_vector(at, {n}), x);
    return reshape(flat, {size, size});
  }
  if (x.dim() != 2) throw std::invalid_argument("diag: expected a 1-D or 2-D tensor, got " + shape_str(x.shape()));
  const std::int64_t rows = x.size(0), cols = x.size(1);
  const std::int64_t first_row = diagonal >= 0 ? 0 : -diagonal, first_col = diagonal >= 0 ? diagonal : 0;
  const std::int64_t n = std::max<std::int64_t>(0, std::min(rows - first_row, cols - first_col));
  std::vector<std::int64_t> at(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) at[static_cast<std::size_t>(i)] = (first_row + i) * cols + first_col + i;
  return gather(reshape(x, {rows * cols}), 0, from_vector(at, {n}));
}

Tensor constant_pad_nd(const Tensor& x, const std::vector<std::int64_t>& pad, double value) {
  detail::check_floating("constant_pad_nd", x);
  if (pad.size() % 2 != 0 || static_cast<std::int64_t>(pad.size() / 2) > x.dim())
    throw std::invalid_argument("constant_pad_nd: pad " + shape_str(pad) + " must hold a (left, right) pair per padded dim, at most " +
                                std::to_string(x.dim()) + " pairs for shape " + shape_str(x.shape()));
  Tensor out = x;
  for (std::size_t p = 0; p < pad.size() / 2; ++p) {
    const std::int64_t d = x.dim() - 1 - static_cast<std::int64_t>(p);
    const std::int64_t left = pad[2 * p], right = pad[2 * p + 1];
    const std::int64_t n = out.size(d);
    if (n + left + right < 0)
      throw std::invalid_argument("constant_pad_nd: pad " + shape_str(pad) + " leaves a negative size at dim " +
                                  std::to_string(d) + " of shape " + shape_str(x.shape()));
    // crop first (negative amounts), then add constant blocks
    const std::int64_t start = left < 0 ? -left : 0, stop = n + (right < 0 ? right : 0);
    if (start != 0 || stop != n) out = narrow(out, d, start, std::max<std::int64_t>(stop - start, 0));
    std::vector<Tensor> parts;
    Shape block = out.shape();
    if (left > 0) {
      block[static_cast<std::size_t>(d)] = left;
      parts.push_back(full(block, value, x.dtype()));
    }
    parts.push_back(out);
    if (right > 0) {
      block[static_cast<std::size_t>(d)] = right;
      parts.push_back(full(block, value, x.dtype()));
    }
    if (parts.size() > 1) out = cat(parts, d);
  }
  return out.same(x) ? x.clone() : out;
}

Tensor movedim(const Tensor& x, std::int64_t source, std::int64_t destination) {
  detail::check_defined("movedim", x);
  const std::int64_t rank = std::max<std::int64_t>(x.dim(), 1);
  const std::int64_t s = normalize_dim("movedim", source, rank), d = normalize_dim("movedim", destination, rank);
  if (x.dim() == 0) return x.clone();
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < x.dim(); ++i)
    if (i != s) order.push_back(i);
  order.insert(order.begin() + d, s);
  return permute(x, order);
}

Tensor t(const Tensor& x) {
  detail::check_defined("t", x);
  if (x.dim() > 2)
    throw std::invalid_argument("t: expects a tensor with <= 2 dims, got " + shape_str(x.shape()) + " (use transpose)");
  return x.dim() < 2 ? x : transpose(x, 0, 1);
}

}  // namespace xg
