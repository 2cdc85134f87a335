#define BOOST_TEST_MODULE tensor_api_parity
// PyTorch 1.13 parity of the differentiable tensor-API ops (tools/make_tensor_api_fixtures.py):
// outputs and the gradients of sum(out · G), float64, to 1e-12 relative / 1e-13 absolute.
#include "test_helpers.hpp"

#include <functional>
#include <string>

using namespace xg;
using namespace xg::indexing;
using xg::testing::check_close;

namespace {

const SafetensorsFile& fixtures() {
  static const SafetensorsFile f =
      load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/tensor_api/tensor_api_float64.safetensors");
  return f;
}
Tensor fx(const std::string& name) { return fixtures().tensors.at(name); }
Tensor mask(const std::string& name) { return fx(name) > 0.5; }

constexpr double kRtol = 1e-12, kAtol = 1e-13;

void check_parity(const std::string& op, const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  const std::vector<std::string>& inputs) {
  BOOST_TEST_CONTEXT(op) {
    std::vector<Tensor> leaves;
    for (const std::string& name : inputs) leaves.push_back(fx(name).clone().requires_grad_());
    const Tensor out = fn(leaves);
    check_close(out, fx(op + ".out"), kRtol, kAtol);
    (out * fx("G_" + op)).sum().backward();
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      // An input whose values were all overwritten gets no gradient (undefined = zero); PyTorch's is zeros.
      const Tensor g = leaves[i].grad().defined() ? leaves[i].grad() : zeros_like(leaves[i]);
      check_close(g, fx(op + ".grad_" + inputs[i]), kRtol, kAtol);
    }
  }
}

std::function<Tensor(const std::vector<Tensor>&)> in_place(const std::function<void(const Tensor&, const Tensor&)>& op) {
  return [op](const std::vector<Tensor>& in) {
    Tensor y = in[0] * 1.0;
    op(y, in[1]);
    return y;
  };
}

}  // namespace

BOOST_AUTO_TEST_CASE(where_masked_parity) {
  check_parity("where", [](const std::vector<Tensor>& in) { return where(mask("M23"), in[0], in[1]); }, {"A", "B"});
  check_parity("masked_fill", [](const std::vector<Tensor>& in) { return masked_fill(in[0], mask("M3"), in[1]); }, {"A", "V"});
  check_parity("masked_select", [](const std::vector<Tensor>& in) { return masked_select(in[0], mask("M3")); }, {"A"});
}

BOOST_AUTO_TEST_CASE(index_parity) {
  check_parity("index_tensor", [](const std::vector<Tensor>& in) { return in[0].index({Slice(), tensor({2, 0, 2})}); }, {"X"});
  check_parity("index_two",
               [](const std::vector<Tensor>& in) { return in[0].index({Slice(), tensor({{0}, {1}}), tensor({1, 3})}); }, {"X"});
  check_parity("index_apart",
               [](const std::vector<Tensor>& in) { return in[0].index({tensor({1, 0}), Slice(), tensor({3, 0})}); }, {"X"});
  check_parity("index_mask", [](const std::vector<Tensor>& in) { return in[0].index({Slice(), mask("M34")}); }, {"X"});
  check_parity("index_basic", [](const std::vector<Tensor>& in) { return in[0].index({1, Slice(None, None, 2), None}); }, {"X"});
  check_parity("index_put",
               in_place([](const Tensor& y, const Tensor& b) { y.index_put_({Slice(), 2}, b.index({Slice(None, 2)})); }),
               {"A", "B"});
  check_parity("index_put_mask", in_place([](const Tensor& y, const Tensor& v) { y.index_put_({mask("M23")}, v); }),
               {"A", "V"});
}

BOOST_AUTO_TEST_CASE(in_place_parity) {
  check_parity("mul_", in_place([](const Tensor& y, const Tensor& b) { y.mul_(b); }), {"A", "B"});
  check_parity("add_alpha", in_place([](const Tensor& y, const Tensor& b) { y.add_(b, 0.5); }), {"A", "B"});
  check_parity("div_", in_place([](const Tensor& y, const Tensor& b) { y.div_(b.abs() + 1.0); }), {"A", "B"});
  check_parity("copy_", in_place([](const Tensor& y, const Tensor& b) { y.copy_(b); }), {"A", "B"});
}

BOOST_AUTO_TEST_CASE(promotion_parity) {
  check_parity("remainder", [](const std::vector<Tensor>& in) { return remainder(in[0], in[1].abs() + 0.5); }, {"A", "B"});
  check_parity("promote", [](const std::vector<Tensor>& in) { return in[0].to(kFloat32) * in[1] + in[1]; }, {"A", "B"});
}
