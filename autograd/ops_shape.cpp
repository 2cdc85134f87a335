#include "autograd/ops_shape.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "autograd/kernel_utils.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/shape_kernels.hpp"

namespace xg {

// ---- kernels ---------------------------------------------------------------------------

namespace detail {

SliceSpec slice_spec(const Shape& shape, std::int64_t d) {
  SliceSpec s;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    const auto di = static_cast<std::int64_t>(i);
    if (di < d) s.outer *= shape[i];
    else if (di > d) s.inner *= shape[i];
    else s.n = shape[i];
  }
  return s;
}

namespace {

template <std::size_t ES>
void move_slices_impl(char* full, char* packed, const SliceSpec& s, bool gather) {
  const std::size_t block = ES * static_cast<std::size_t>(s.inner);
  for (std::int64_t o = 0; o < s.outer; ++o) {
    char* f = full + (o * s.n + s.start) * static_cast<std::int64_t>(block);
    char* p = packed + o * s.count * static_cast<std::int64_t>(block);
    if (s.step == 1) {  // the slices are one contiguous run
      const std::size_t bytes = block * static_cast<std::size_t>(s.count);
      if (gather) std::memcpy(p, f, bytes);
      else std::memcpy(f, p, bytes);
    } else if (s.inner == 1) {  // constant-size copies compile to single loads/stores
      for (std::int64_t k = 0; k < s.count; ++k)
        if (gather) std::memcpy(p + k * ES, f + k * s.step * ES, ES);
        else std::memcpy(f + k * s.step * ES, p + k * ES, ES);
    } else {
      for (std::int64_t k = 0; k < s.count; ++k)
        if (gather) std::memcpy(p + k * block, f + k * s.step * block, block);
        else std::memcpy(f + k * s.step * block, p + k * block, block);
    }
  }
}

// Copies one [rows, cols] block whose source is column-major (source stride `ld` between
// columns), in 32×32 tiles so both sides stay in cache.
template <std::size_t ES>
void transpose_block(const char* src, char* dst, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
  constexpr std::int64_t tile = 32;
  for (std::int64_t r0 = 0; r0 < rows; r0 += tile)
    for (std::int64_t c0 = 0; c0 < cols; c0 += tile) {
      const std::int64_t r1 = std::min(rows, r0 + tile), c1 = std::min(cols, c0 + tile);
      for (std::int64_t r = r0; r < r1; ++r)
        for (std::int64_t c = c0; c < c1; ++c) std::memcpy(dst + (r * cols + c) * ES, src + (c * ld + r) * ES, ES);
    }
}

template <std::size_t ES>
void strided_copy_impl(const char* src, char* dst, const std::vector<std::int64_t>& sz,
                       const std::vector<std::int64_t>& st) {
  const std::size_t g = sz.size();
  // The last two groups form a transpose when the second-last is the contiguous one.
  const bool transposed = g >= 2 && st[g - 2] == 1 && st[g - 1] == sz[g - 2];
  const std::size_t inner_groups = transposed ? 2 : 1;
  const std::size_t outer_groups = g - inner_groups;
  const std::int64_t inner = transposed ? sz[g - 2] * sz[g - 1] : sz[g - 1];
  std::int64_t rows = 1;
  for (std::size_t j = 0; j < outer_groups; ++j) rows *= sz[j];
  std::vector<std::int64_t> index(outer_groups, 0);
  std::int64_t off = 0;
  const std::int64_t is = st[g - 1];
  for (std::int64_t r = 0; r < rows; ++r) {
    const char* s = src + off * static_cast<std::int64_t>(ES);
    if (transposed) transpose_block<ES>(s, dst, sz[g - 2], sz[g - 1], st[g - 1]);
    else if (is == 1) std::memcpy(dst, s, ES * static_cast<std::size_t>(inner));
    else
      for (std::int64_t i = 0; i < inner; ++i) std::memcpy(dst + i * ES, s + i * is * ES, ES);
    dst += inner * static_cast<std::int64_t>(ES);
    for (std::size_t j = outer_groups; j-- > 0;) {
      off += st[j];
      if (++index[j] < sz[j]) break;
      off -= st[j] * sz[j];
      index[j] = 0;
    }
  }
}

}  // namespace

void move_slices(const Tensor& full, const Tensor& packed, const SliceSpec& s, bool gather) {
  if (s.count == 0 || s.inner == 0 || s.outer == 0) return;
  char* f = static_cast<char*>(full.raw_data());
  char* p = static_cast<char*>(packed.raw_data());
  if (element_size(full.dtype()) == 4) move_slices_impl<4>(f, p, s, gather);
  else move_slices_impl<8>(f, p, s, gather);
}

void strided_copy(const Tensor& src, const Tensor& out, const std::vector<std::int64_t>& strides) {
  const Shape& shape = out.shape();
  if (out.numel() == 0) return;
  // Merge neighbouring dims that are also neighbours in the source; drop size-1 dims.
  std::vector<std::int64_t> sz, st;
  for (std::size_t j = 0; j < shape.size(); ++j) {
    if (shape[j] == 1) continue;
    if (!sz.empty() && st.back() == strides[j] * shape[j]) {
      sz.back() *= shape[j];
      st.back() = strides[j];
    } else {
      sz.push_back(shape[j]);
      st.push_back(strides[j]);
    }
  }
  const char* s = static_cast<const char*>(src.raw_data());
  char* d = static_cast<char*>(out.raw_data());
  const std::size_t es = element_size(out.dtype());
  if (sz.empty()) std::memcpy(d, s, es);
  else if (es == 4) strided_copy_impl<4>(s, d, sz, st);
  else strided_copy_impl<8>(s, d, sz, st);
}

Tensor alias_with_shape(const Tensor& x, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = x.dtype();
  impl->storage = x.impl()->storage;
  return Tensor(std::move(impl));
}

}  // namespace detail

// ---- views: same storage, new shape -----------------------------------------------------

namespace {

void check_input(const char* op, const Tensor& x) { detail::check_defined(op, x); }

// A view of x with `shape`; backward views the gradient back to x's shape.
Tensor make_view(const char* op, const Tensor& x, const Shape& shape) {
  Tensor out = detail::alias_with_shape(x, shape);
  if (needs_grad({&x}))
    record(out, op, {x}, [in_shape = x.shape()](const Tensor& g) {
      return std::vector<Tensor>{detail::alias_with_shape(g, in_shape)};
    });
  return out;
}

Shape infer_shape(const char* op, const Tensor& x, const Shape& shape) {
  Shape out = shape;
  std::int64_t infer = -1, known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0)
        throw std::invalid_argument(std::string(op) + ": only one dimension can be inferred (-1), got shape " +
                                    shape_str(shape));
      infer = static_cast<std::int64_t>(i);
    } else if (shape[i] < 0) {
      throw std::invalid_argument(std::string(op) + ": invalid size " + std::to_string(shape[i]) + " in shape " +
                                  shape_str(shape));
    } else {
      known *= shape[i];
    }
  }
  const std::int64_t n = x.numel();
  if (infer >= 0) {
    if (known == 0)
      throw std::invalid_argument(std::string(op) + ": cannot reshape a tensor of shape " + shape_str(x.shape()) +
                                  " into " + shape_str(shape) + ": the size -1 is ambiguous");
    if (n % known == 0) out[infer] = n / known;
  }
  if (shape_numel(out) != n || (infer >= 0 && n % known != 0))
    throw std::invalid_argument(std::string(op) + ": shape " + shape_str(shape) + " is invalid for a tensor of shape " +
                                shape_str(x.shape()) + " (" + std::to_string(n) + " elements)");
  return out;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& shape) {
  check_input("reshape", x);
  return make_view("reshape", x, infer_shape("reshape", x, shape));
}

Tensor view(const Tensor& x, const Shape& shape) {
  check_input("view", x);
  return make_view("view", x, infer_shape("view", x, shape));
}

Tensor flatten(const Tensor& x, std::int64_t start_dim, std::int64_t end_dim) {
  check_input("flatten", x);
  const Shape& in = x.shape();
  const std::int64_t s = normalize_dim("flatten", start_dim, x.dim());
  const std::int64_t e = normalize_dim("flatten", end_dim, x.dim());
  if (s > e)
    throw std::invalid_argument("flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " +
                                std::to_string(end_dim) + " for a tensor of shape " + shape_str(in));
  if (x.dim() == 0) return make_view("flatten", x, {1});  // torch.flatten of a scalar is 1-D
  Shape out(in.begin(), in.begin() + s);
  std::int64_t merged = 1;
  for (std::int64_t d = s; d <= e; ++d) merged *= in[d];
  out.push_back(merged);
  out.insert(out.end(), in.begin() + e + 1, in.end());
  return make_view("flatten", x, out);
}

Tensor squeeze(const Tensor& x) {
  check_input("squeeze", x);
  Shape out;
  for (auto s : x.shape())
    if (s != 1) out.push_back(s);
  return make_view("squeeze", x, out);
}

Tensor squeeze(const Tensor& x, std::int64_t dim) {
  check_input("squeeze", x);
  const std::int64_t d = normalize_dim("squeeze", dim, x.dim());
  Shape out = x.shape();
  if (x.dim() > 0 && out[d] == 1) out.erase(out.begin() + d);
  return make_view("squeeze", x, out);
}

Tensor unsqueeze(const Tensor& x, std::int64_t dim) {
  check_input("unsqueeze", x);
  const std::int64_t d = normalize_dim("unsqueeze", dim, x.dim() + 1);
  Shape out = x.shape();
  out.insert(out.begin() + d, 1);
  return make_view("unsqueeze", x, out);
}

// ---- copies through strides --------------------------------------------------------------

namespace {

// out[i_0, …] = x[i_perm⁻¹…]: out.shape[j] = x.shape[perm[j]] (perm already validated).
Tensor permute_copy(const Tensor& x, const std::vector<std::int64_t>& perm) {
  const Shape& in = x.shape();
  const auto in_strides = contiguous_strides(in);
  Shape out_shape(perm.size());
  std::vector<std::int64_t> strides(perm.size());
  for (std::size_t j = 0; j < perm.size(); ++j) {
    out_shape[j] = in[perm[j]];
    strides[j] = in_strides[perm[j]];
  }
  Tensor out = empty(out_shape, x.dtype());
  detail::strided_copy(x, out, strides);
  return out;
}

std::vector<std::int64_t> inverse(const std::vector<std::int64_t>& perm) {
  std::vector<std::int64_t> inv(perm.size());
  for (std::size_t j = 0; j < perm.size(); ++j) inv[perm[j]] = static_cast<std::int64_t>(j);
  return inv;
}

Tensor permute_recorded(const char* op, const Tensor& x, const std::vector<std::int64_t>& perm) {
  Tensor out = permute_copy(x, perm);
  if (needs_grad({&x}))
    record(out, op, {x}, [inv = inverse(perm)](const Tensor& g) { return std::vector<Tensor>{permute_copy(g, inv)}; });
  return out;
}

}  // namespace

Tensor transpose(const Tensor& x, std::int64_t dim0, std::int64_t dim1) {
  check_input("transpose", x);
  const std::int64_t a = normalize_dim("transpose", dim0, x.dim());
  const std::int64_t b = normalize_dim("transpose", dim1, x.dim());
  std::vector<std::int64_t> perm(x.shape().size());
  for (std::size_t j = 0; j < perm.size(); ++j) perm[j] = static_cast<std::int64_t>(j);
  if (!perm.empty()) std::swap(perm[a], perm[b]);
  return permute_recorded("transpose", x, perm);
}

Tensor permute(const Tensor& x, const std::vector<std::int64_t>& dims) {
  check_input("permute", x);
  const std::int64_t rank = x.dim();
  if (static_cast<std::int64_t>(dims.size()) != rank)
    throw std::invalid_argument("permute: got " + std::to_string(dims.size()) + " dims " + shape_str(dims) +
                                " for a tensor of shape " + shape_str(x.shape()) + " (rank " + std::to_string(rank) +
                                ")");
  std::vector<std::int64_t> perm(dims.size());
  std::vector<bool> seen(dims.size(), false);
  for (std::size_t j = 0; j < dims.size(); ++j) {
    perm[j] = normalize_dim("permute", dims[j], rank);
    if (seen[perm[j]])
      throw std::invalid_argument("permute: dim " + std::to_string(perm[j]) + " appears more than once in " +
                                  shape_str(dims));
    seen[perm[j]] = true;
  }
  return permute_recorded("permute", x, perm);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  check_input("expand", x);
  const Shape& in = x.shape();
  auto fail = [&](const std::string& why) {
    throw std::invalid_argument("expand: cannot expand shape " + shape_str(in) + " to " + shape_str(shape) + ": " +
                                why);
  };
  if (shape.size() < in.size())
    fail("the number of sizes (" + std::to_string(shape.size()) + ") must be at least the tensor's rank (" +
         std::to_string(in.size()) + ")");
  const std::size_t lead = shape.size() - in.size();
  const auto in_strides = contiguous_strides(in);
  Shape out(shape.size());
  std::vector<std::int64_t> strides(shape.size(), 0);
  for (std::size_t j = 0; j < shape.size(); ++j) {
    if (j < lead) {
      if (shape[j] < 0)
        fail("size " + std::to_string(shape[j]) + " is not allowed in new leading dim " + std::to_string(j));
      out[j] = shape[j];
      continue;
    }
    const std::int64_t have = in[j - lead];
    const std::int64_t want = shape[j] == -1 ? have : shape[j];
    if (want != have && (have != 1 || want < 0))
      fail("size " + std::to_string(shape[j]) + " must match the existing size " + std::to_string(have) +
           " at non-singleton dim " + std::to_string(j));
    out[j] = want;
    strides[j] = (have == 1 && want != 1) ? 0 : in_strides[j - lead];
  }
  Tensor result = empty(out, x.dtype());
  detail::strided_copy(x, result, strides);
  if (needs_grad({&x}))
    record(result, "expand", {x}, [in_shape = in](const Tensor& g) {
      return std::vector<Tensor>{sum_to_shape(g, in_shape)};
    });
  return result;
}

}  // namespace xg
