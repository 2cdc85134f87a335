#pragma once
// Shared by the tensor-math test executables (activations, math, statistics, sort, gather,
// rearrange, linalg extras): PyTorch 1.13 fixtures from tools/make_tensor_math_fixtures.py and a
// comparison that treats NaN and ±inf as values (PyTorch's special-value semantics are tested).
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "gradgrad_helpers.hpp"

namespace xg::testing {

inline const SafetensorsFile& tensor_math_fixture(const std::string& file) {
  static std::map<std::string, SafetensorsFile> cache;
  auto it = cache.find(file);
  if (it == cache.end())
    it = cache.emplace(file, load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/tensor_math/" + file)).first;
  return it->second;
}

/// |a − b| ≤ atol + rtol·|b| elementwise, where NaN matches only NaN and ±inf only itself.
inline void check_close_special(const Tensor& actual, const Tensor& expected, const std::string& what,
                                double rtol = 1e-12, double atol = 1e-14) {
  BOOST_TEST_REQUIRE(shape_str(actual.shape()) == shape_str(expected.shape()), what << ": shapes differ");
  const auto a = actual.to_vector();
  const auto b = expected.to_vector();
  for (std::size_t i = 0; i < a.size(); ++i) {
    bool ok;
    if (std::isnan(b[i]) || std::isnan(a[i])) ok = std::isnan(b[i]) && std::isnan(a[i]);
    else if (std::isinf(b[i]) || std::isinf(a[i])) ok = a[i] == b[i];
    else ok = std::abs(a[i] - b[i]) <= atol + rtol * std::abs(b[i]);
    BOOST_TEST(ok, what << " element " << i << ": " << a[i] << " vs PyTorch " << b[i]);
  }
}

/// Replays fixture case `name` of `file`: out = fn(inputs) compared with PyTorch's out, then the
/// gradients of sum(out · G) with PyTorch's; with `special`, also the special-value run
/// (all-ones upstream gradient). `inputs` are the suffixes of the stored operands ("x", "y", ...).
inline void check_parity(const std::string& file, const std::string& name,
                         const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                         const std::vector<std::string>& inputs, bool special, double rtol = 1e-12,
                         double atol = 1e-14) {
  const auto& fx = tensor_math_fixture(file).tensors;
  BOOST_TEST_CONTEXT("case " << name) {
    std::vector<Tensor> leaves;
    for (const auto& in : inputs) leaves.push_back(fx.at(name + "." + in).clone().requires_grad_());
    const Tensor out = fn(leaves);
    check_close_special(out, fx.at(name + ".out"), name + " value", rtol, atol);
    (out * fx.at("G_" + name)).sum().backward();
    for (std::size_t i = 0; i < leaves.size(); ++i)
      check_close_special(leaves[i].grad(), fx.at(name + ".grad_" + inputs[i]), name + " gradient of " + inputs[i],
                          rtol, atol);
    if (!special) return;
    leaves.clear();
    for (const auto& in : inputs) leaves.push_back(fx.at(name + ".special_" + in).clone().requires_grad_());
    const Tensor sout = fn(leaves);
    check_close_special(sout, fx.at(name + ".special_out"), name + " special value", rtol, atol);
    sout.backward(ones_like(sout));
    for (std::size_t i = 0; i < leaves.size(); ++i)
      check_close_special(leaves[i].grad(), fx.at(name + ".special_grad_" + inputs[i]),
                          name + " special gradient of " + inputs[i], rtol, atol);
  }
}

}  // namespace xg::testing
