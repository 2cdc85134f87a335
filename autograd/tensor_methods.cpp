// Tensor's method forms: each forwards to the free function of the same name (ops_*.hpp).
#include "autograd/ops_linalg.hpp"
#include "autograd/ops_gather.hpp"
#include "autograd/ops_math.hpp"
#include "autograd/ops_rearrange.hpp"
#include "autograd/ops_sort.hpp"
#include "autograd/ops_statistics.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_unary.hpp"
#include "autograd/tensor.hpp"

namespace xg {

Tensor Tensor::sum() const { return xg::sum(*this); }
Tensor Tensor::sum(const std::vector<std::int64_t>& dims, bool keepdim) const { return xg::sum(*this, dims, keepdim); }
Tensor Tensor::mean() const { return xg::mean(*this); }
Tensor Tensor::mean(const std::vector<std::int64_t>& dims, bool keepdim) const { return xg::mean(*this, dims, keepdim); }
Tensor Tensor::argmax(std::int64_t dim, bool keepdim) const { return xg::argmax(*this, dim, keepdim); }
Tensor Tensor::reshape(const Shape& shape) const { return xg::reshape(*this, shape); }
Tensor Tensor::view(const Shape& shape) const { return xg::view(*this, shape); }
Tensor Tensor::flatten(std::int64_t start_dim, std::int64_t end_dim) const { return xg::flatten(*this, start_dim, end_dim); }
Tensor Tensor::transpose(std::int64_t dim0, std::int64_t dim1) const { return xg::transpose(*this, dim0, dim1); }
Tensor Tensor::permute(const std::vector<std::int64_t>& dims) const { return xg::permute(*this, dims); }
Tensor Tensor::squeeze() const { return xg::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t dim) const { return xg::squeeze(*this, dim); }
Tensor Tensor::unsqueeze(std::int64_t dim) const { return xg::unsqueeze(*this, dim); }
Tensor Tensor::select(std::int64_t dim, std::int64_t index) const { return xg::select(*this, dim, index); }
Tensor Tensor::narrow(std::int64_t dim, std::int64_t start, std::int64_t length) const {
  return xg::narrow(*this, dim, start, length);
}
Tensor Tensor::matmul(const Tensor& other) const { return xg::matmul(*this, other); }
Tensor Tensor::bmm(const Tensor& other) const { return xg::bmm(*this, other); }
Tensor Tensor::baddbmm(const Tensor& batch1, const Tensor& batch2, double beta, double alpha) const {
  return xg::baddbmm(*this, batch1, batch2, beta, alpha);
}
Tensor Tensor::outer(const Tensor& other) const { return xg::outer(*this, other); }
Tensor Tensor::dot(const Tensor& other) const { return xg::dot(*this, other); }
Tensor Tensor::mv(const Tensor& vector) const { return xg::mv(*this, vector); }
Tensor Tensor::exp() const { return xg::exp(*this); }
Tensor Tensor::log() const { return xg::log(*this); }
Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
Tensor Tensor::tanh() const { return xg::tanh(*this); }
Tensor Tensor::sigmoid() const { return xg::sigmoid(*this); }
Tensor Tensor::relu() const { return xg::relu(*this); }
Tensor Tensor::abs() const { return xg::abs(*this); }
Tensor Tensor::pow(double exponent) const { return xg::pow(*this, exponent); }
Tensor Tensor::softmax(std::int64_t dim) const { return xg::softmax(*this, dim); }
Tensor Tensor::log_softmax(std::int64_t dim) const { return xg::log_softmax(*this, dim); }

// ---- the tensormath block (autograd/ops_math.hpp) ----
Tensor Tensor::sin() const { return xg::sin(*this); }
Tensor Tensor::cos() const { return xg::cos(*this); }
Tensor Tensor::tan() const { return xg::tan(*this); }
Tensor Tensor::asin() const { return xg::asin(*this); }
Tensor Tensor::acos() const { return xg::acos(*this); }
Tensor Tensor::atan() const { return xg::atan(*this); }
Tensor Tensor::sinh() const { return xg::sinh(*this); }
Tensor Tensor::cosh() const { return xg::cosh(*this); }
Tensor Tensor::log1p() const { return xg::log1p(*this); }
Tensor Tensor::expm1() const { return xg::expm1(*this); }
Tensor Tensor::log2() const { return xg::log2(*this); }
Tensor Tensor::log10() const { return xg::log10(*this); }
Tensor Tensor::rsqrt() const { return xg::rsqrt(*this); }
Tensor Tensor::reciprocal() const { return xg::reciprocal(*this); }
Tensor Tensor::square() const { return xg::square(*this); }
Tensor Tensor::sign() const { return xg::sign(*this); }
Tensor Tensor::floor() const { return xg::floor(*this); }
Tensor Tensor::ceil() const { return xg::ceil(*this); }
Tensor Tensor::round() const { return xg::round(*this); }
Tensor Tensor::trunc() const { return xg::trunc(*this); }
Tensor Tensor::frac() const { return xg::frac(*this); }
Tensor Tensor::erf() const { return xg::erf(*this); }
Tensor Tensor::erfinv() const { return xg::erfinv(*this); }
Tensor Tensor::lgamma() const { return xg::lgamma(*this); }
Tensor Tensor::digamma() const { return xg::digamma(*this); }
Tensor Tensor::atan2(const Tensor& other) const { return xg::atan2(*this, other); }
Tensor Tensor::pow(const Tensor& exponent) const { return xg::pow(*this, exponent); }
Tensor Tensor::lerp(const Tensor& end, const Tensor& weight) const { return xg::lerp(*this, end, weight); }
Tensor Tensor::lerp(const Tensor& end, double weight) const { return xg::lerp(*this, end, weight); }
Tensor Tensor::prod() const { return xg::prod(*this); }
Tensor Tensor::prod(std::int64_t dim, bool keepdim) const { return xg::prod(*this, dim, keepdim); }
Tensor Tensor::var(const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction, bool keepdim) const {
  return xg::var(*this, dims, correction, keepdim);
}
Tensor Tensor::std(const std::vector<std::int64_t>& dims, std::optional<std::int64_t> correction, bool keepdim) const {
  return xg::std(*this, dims, correction, keepdim);
}
Tensor Tensor::norm(double p) const { return xg::norm(*this, p); }
Tensor Tensor::norm(double p, const std::vector<std::int64_t>& dims, bool keepdim) const {
  return xg::norm(*this, p, dims, keepdim);
}
Tensor Tensor::cumsum(std::int64_t dim) const { return xg::cumsum(*this, dim); }
Tensor Tensor::cumprod(std::int64_t dim) const { return xg::cumprod(*this, dim); }
std::tuple<Tensor, Tensor> Tensor::sort(std::int64_t dim, bool descending) const { return xg::sort(*this, dim, descending); }
Tensor Tensor::argsort(std::int64_t dim, bool descending) const { return xg::argsort(*this, dim, descending); }
std::tuple<Tensor, Tensor> Tensor::topk(std::int64_t k, std::int64_t dim, bool largest, bool sorted) const {
  return xg::topk(*this, k, dim, largest, sorted);
}
Tensor Tensor::gather(std::int64_t dim, const Tensor& index) const { return xg::gather(*this, dim, index); }
Tensor Tensor::scatter(std::int64_t dim, const Tensor& index, const Tensor& src) const {
  return xg::scatter(*this, dim, index, src);
}
Tensor Tensor::scatter(std::int64_t dim, const Tensor& index, double value) const {
  return xg::scatter(*this, dim, index, value);
}
Tensor Tensor::scatter_add(std::int64_t dim, const Tensor& index, const Tensor& src) const {
  return xg::scatter_add(*this, dim, index, src);
}
Tensor Tensor::index_add(std::int64_t dim, const Tensor& index, const Tensor& source, double alpha) const {
  return xg::index_add(*this, dim, index, source, alpha);
}
Tensor Tensor::take_along_dim(const Tensor& indices, std::int64_t dim) const { return xg::take_along_dim(*this, indices, dim); }
Tensor Tensor::flip(const std::vector<std::int64_t>& dims) const { return xg::flip(*this, dims); }
Tensor Tensor::roll(const std::vector<std::int64_t>& shifts, const std::vector<std::int64_t>& dims) const {
  return xg::roll(*this, shifts, dims);
}
Tensor Tensor::repeat(const std::vector<std::int64_t>& repeats) const { return xg::repeat(*this, repeats); }
Tensor Tensor::tile(const std::vector<std::int64_t>& reps) const { return xg::tile(*this, reps); }
Tensor Tensor::tril(std::int64_t diagonal) const { return xg::tril(*this, diagonal); }
Tensor Tensor::triu(std::int64_t diagonal) const { return xg::triu(*this, diagonal); }
Tensor Tensor::diag(std::int64_t diagonal) const { return xg::diag(*this, diagonal); }
Tensor Tensor::movedim(std::int64_t source, std::int64_t destination) const { return xg::movedim(*this, source, destination); }
Tensor Tensor::t() const { return xg::t(*this); }
Tensor Tensor::view_as(const Tensor& other) const { return xg::view(*this, other.shape()); }
Tensor Tensor::reshape_as(const Tensor& other) const { return xg::reshape(*this, other.shape()); }
Tensor Tensor::expand_as(const Tensor& other) const { return xg::expand(*this, other.shape()); }
// ---- end of the tensormath block ----

}  // namespace xg
