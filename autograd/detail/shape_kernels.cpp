#include "autograd/detail/shape_kernels.hpp"

#include <algorithm>
#include <cstring>

namespace xg::detail {

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
  const std::size_t es = element_size(full.dtype());
  if (es == 4) move_slices_impl<4>(f, p, s, gather);
  else if (es == 1) move_slices_impl<1>(f, p, s, gather);  // bool
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
  else if (es == 1) strided_copy_impl<1>(s, d, sz, st);  // bool
  else strided_copy_impl<8>(s, d, sz, st);
}

Tensor alias_with_shape(const Tensor& x, const Shape& shape) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->dtype = x.dtype();
  impl->storage = x.impl()->storage;
  impl->storage->has_views.store(true, std::memory_order_relaxed);
  return Tensor(std::move(impl));
}

}  // namespace xg::detail
