// xtensor interop (autograd/xtensor.hpp): zero-copy views, expressions into tensors, buffer
// adoption, the in-place-write rule, and an op written in xtensor recorded on the tape.
#define BOOST_TEST_MODULE test_xtensor
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "test_helpers.hpp"

using namespace xg;
using xg::testing::check_throws;

namespace {

// ---- README "Your own op, in xtensor" (keep the two in sync) -----------------------------------
// softplus(x) = log(1 + eᕽ), d/dx = sigmoid(x): forward and backward are xtensor expressions over
// as_xtensor views; xg::record puts the op on the tape.
Tensor my_softplus(const Tensor& x) {
  Tensor y = empty(x.shape(), kFloat64);
  as_xtensor<double>(y) = xt::log1p(xt::exp(as_xtensor<double>(x)));
  if (needs_grad({&x}))
    record(y, "my_softplus", {x}, [x = x.detach()](const Tensor& grad) {
      Tensor dx = empty(x.shape(), kFloat64);
      as_xtensor<double>(dx) = as_xtensor<double>(grad) / (1.0 + xt::exp(-as_xtensor<double>(x)));
      return std::vector<Tensor>{dx};
    });
  return y;
}
// ---- end of the README snippet ------------------------------------------------------------------

template <class T>
std::vector<T> elements(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

}  // namespace

BOOST_AUTO_TEST_CASE(as_xtensor_value) {
  Tensor t = arange(6, kFloat64).reshape({2, 3});
  auto v = as_xtensor<double>(t);
  BOOST_TEST(v.dimension() == 2u);
  BOOST_TEST(v.shape()[0] == 2u);
  BOOST_TEST(v.shape()[1] == 3u);
  BOOST_TEST(v(1, 2) == 5.0);
  BOOST_TEST(v.data() == t.data<double>());  // zero-copy
  v(0, 1) = 42.0;                             // writes go to the tensor
  BOOST_TEST(t.at({0, 1}) == 42.0);
  const Tensor& c = t;
  auto cv = as_xtensor<double>(c);
  BOOST_TEST(cv(0, 1) == 42.0);
  BOOST_TEST(xt::sum(cv)() == 0.0 + 42 + 2 + 3 + 4 + 5);
}

BOOST_AUTO_TEST_CASE(as_xtensor_rejects_wrong_dtype) {
  Tensor t = zeros({2, 3}, kFloat32);
  check_throws([&] { as_xtensor<double>(t); }, {"as_xtensor", "float32", "float64", "[2, 3]"});
  const Tensor& c = t;
  check_throws([&] { as_xtensor<std::int64_t>(c); }, {"as_xtensor", "float32", "int64"});
  check_throws([&] { as_xtensor<float>(Tensor()); }, {"as_xtensor", "undefined"});
}

BOOST_AUTO_TEST_CASE(as_xtensor_rejects_write_to_leaf_requiring_grad) {
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  check_throws([&] { as_xtensor<double>(w); }, {"as_xtensor", "leaf", "NoGradGuard"});
  Tensor y = w * 2.0;
  check_throws([&] { as_xtensor<double>(y); }, {"as_xtensor", "graph"});
  const Tensor& cw = w;
  BOOST_TEST(as_xtensor<double>(cw)(1) == 0.0);  // reading is always allowed
  {
    NoGradGuard no_grad;
    as_xtensor<double>(w) = xt::xarray<double>{1.0, 2.0, 3.0};
  }
  BOOST_TEST(w.to_vector() == std::vector<double>({1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(from_xtensor_value) {
  // an unevaluated expression with broadcasting
  xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  xt::xarray<double> b = {10.0, 20.0, 30.0};
  Tensor t = from_xtensor(a * b + 1.0);
  BOOST_TEST(std::string(dtype_name(t.dtype())) == dtype_name(kFloat64));
  BOOST_TEST(shape_str(t.shape()) == "[2, 3]");
  BOOST_TEST(t.to_vector() == std::vector<double>({11, 41, 91, 41, 101, 181}), boost::test_tools::per_element());
  BOOST_TEST(!t.requires_grad());
  // value types: float → float32, integers of any width → int64
  BOOST_TEST(std::string(dtype_name(from_xtensor(xt::xarray<float>{1.5f}).dtype())) == dtype_name(kFloat32));
  xt::xarray<std::int32_t> small = {{-3, 7}};
  Tensor i = from_xtensor(small);
  BOOST_TEST(std::string(dtype_name(i.dtype())) == dtype_name(kInt64));
  BOOST_TEST(elements<std::int64_t>(i) == std::vector<std::int64_t>({-3, 7}), boost::test_tools::per_element());
  Tensor u = from_xtensor(xt::arange<std::uint8_t>(250, 253));
  BOOST_TEST(elements<std::int64_t>(u) == std::vector<std::int64_t>({250, 251, 252}), boost::test_tools::per_element());
  // a strided view (not contiguous in its source) is evaluated in row-major order
  Tensor col = from_xtensor(xt::view(a, xt::all(), 1));
  BOOST_TEST(col.to_vector() == std::vector<double>({2, 5}), boost::test_tools::per_element());
  // from_xtensor copies: the tensor does not alias the xarray
  Tensor copy = from_xtensor(a);
  a(0, 0) = -1.0;
  BOOST_TEST(copy.at({0, 0}) == 1.0);
}

template <class T>
void check_round_trip(const xt::xarray<T>& original, Dtype dtype) {
  Tensor t = from_xtensor(original);
  BOOST_TEST(std::string(dtype_name(t.dtype())) == dtype_name(dtype));
  BOOST_TEST(t.dim() == static_cast<std::int64_t>(original.dimension()));
  BOOST_TEST(t.numel() == static_cast<std::int64_t>(original.size()));
  xt::xarray<T> back = as_xtensor<T>(t);
  BOOST_TEST((back.shape() == original.shape()));
  BOOST_TEST((back == original));
}

BOOST_AUTO_TEST_CASE(from_xtensor_round_trip) {
  check_round_trip<float>(xt::xarray<float>{{0.1f, -2.5f}, {3e-8f, 1e30f}}, kFloat32);
  check_round_trip<double>(xt::xarray<double>{{{0.1, -2.5, 1e-300}}}, kFloat64);
  check_round_trip<std::int64_t>(xt::xarray<std::int64_t>{INT64_MIN, -1, 0, INT64_MAX}, kInt64);
  // 0-d
  xt::xarray<double> scalar = 3.25;
  check_round_trip<double>(scalar, kFloat64);
  BOOST_TEST(from_xtensor(scalar).item() == 3.25);
  BOOST_TEST(from_xtensor(scalar).dim() == 0);
  // zero-size dims
  check_round_trip<float>(xt::xarray<float>::from_shape({0, 3}), kFloat32);
  check_round_trip<std::int64_t>(xt::xarray<std::int64_t>::from_shape({2, 0, 4}), kInt64);
  Tensor empty_t = from_xtensor(xt::xarray<double>::from_shape({2, 0, 4}));
  BOOST_TEST(shape_str(empty_t.shape()) == "[2, 0, 4]");
  // and the other way: tensors → xtensor → tensors
  Tensor z = zeros({0}, kFloat64);
  BOOST_TEST(as_xtensor<double>(z).size() == 0u);
  Tensor s = scalar_tensor(-7.0, kFloat32);
  BOOST_TEST(as_xtensor<float>(s)() == -7.0f);
  BOOST_TEST(as_xtensor<float>(s).dimension() == 0u);
}

BOOST_AUTO_TEST_CASE(from_xtensor_rvalue_adopts_buffer) {
  xt::xarray<double> a = xt::arange<double>(0.0, 100.0);
  a.reshape({10, 10});
  const double* buffer = a.data();
  Tensor t = from_xtensor(std::move(a));
  BOOST_TEST(t.data<double>() == buffer);  // no copy
  BOOST_TEST(shape_str(t.shape()) == "[10, 10]");
  BOOST_TEST(t.at({9, 9}) == 99.0);
  // the storage keeps the buffer alive after every other handle is gone
  Tensor alias = t.reshape({100});
  t = Tensor();
  BOOST_TEST(alias.at({57}) == 57.0);
  // small arrays are copied (they live inline in Storage) but the values are the same
  Tensor small = from_xtensor(xt::xarray<std::int64_t>{4, 5});
  BOOST_TEST(elements<std::int64_t>(small) == std::vector<std::int64_t>({4, 5}), boost::test_tools::per_element());
}

// The gradient of sum(tanh(x)·x·w) (w a broadcast row) through the tape, read back as xtensor
// and compared with the analytic d/dx = w·(tanh x + x·(1 − tanh²x)).
BOOST_AUTO_TEST_CASE(from_xtensor_gradient) {
  xt::xarray<double> data = {{0.3, -1.2, 2.0}, {0.0, 0.7, -0.4}};
  xt::xarray<double> weights = {1.5, -2.0, 0.25};
  Tensor x = from_xtensor(data);
  x.requires_grad_();
  Tensor w = from_xtensor(weights);
  Tensor loss = (tanh(x) * x * w).sum();
  loss.backward();
  const auto grad = as_xtensor<double>(x.grad());
  const xt::xarray<double> th = xt::tanh(data);
  const xt::xarray<double> expected = weights * (th + data * (1.0 - th * th));
  BOOST_TEST((grad.shape() == expected.shape()));
  BOOST_TEST(xt::allclose(grad, expected, 1e-14, 1e-15));
}

BOOST_AUTO_TEST_CASE(custom_op_value) {
  Tensor x = from_vector({-30.0, -1.0, 0.0, 2.0, 40.0}, {5}, kFloat64);
  Tensor y = my_softplus(x);
  const std::vector<double> v = y.to_vector();
  const std::vector<double> in = x.to_vector();
  for (std::size_t i = 0; i < v.size(); ++i) BOOST_TEST(v[i] == std::log1p(std::exp(in[i])));
}

BOOST_AUTO_TEST_CASE(custom_op_gradient) {
  // |error| ≤ 1e-7 + 1e-5·|numeric| against float64 central differences (eps 1e-6)
  GradcheckOptions options;
  options.atol = 1e-7;
  options.rtol = 1e-5;
  xg::testing::check_gradient([](const std::vector<Tensor>& in) { return my_softplus(in[0] * in[1]); },
                              {xg::testing::leaf({3, 4}, 7, -3.0, 3.0), xg::testing::leaf({4}, 8)}, options);
}

BOOST_AUTO_TEST_CASE(custom_op_rejects_float32) {
  check_throws([] { my_softplus(zeros({2}, kFloat32)); }, {"as_xtensor", "float32", "float64"});
}
