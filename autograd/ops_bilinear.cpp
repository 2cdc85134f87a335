#include "autograd/ops_bilinear.hpp"

#include <stdexcept>
#include <string>

#include "autograd/detail/kernel_utils.hpp"
#include "autograd/ops_binary.hpp"
#include "autograd/ops_linalg.hpp"

namespace xg {

namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument("bilinear: " + message); }

void check_bilinear_args(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  const char* op = "bilinear";
  detail::check_floating(op, input1, "input1");
  detail::check_floating(op, input2, "input2");
  detail::check_floating(op, weight, "weight");
  detail::check_same_dtype(op, input1, input2);
  detail::check_same_dtype(op, input1, weight);
  if (bias.defined()) {
    detail::check_floating(op, bias, "bias");
    detail::check_same_dtype(op, input1, bias);
  }
  if (weight.dim() != 3)
    fail("weight must be 3-D (out_features, in1_features, in2_features), got " + shape_str(weight.shape()));
  if (input1.dim() == 0 || input2.dim() == 0)
    fail("inputs must be at least 1-D, got input1 " + shape_str(input1.shape()) + " and input2 " +
         shape_str(input2.shape()));
  const Shape& s1 = input1.shape();
  const Shape& s2 = input2.shape();
  if (Shape(s1.begin(), s1.end() - 1) != Shape(s2.begin(), s2.end() - 1))
    fail("input1 " + shape_str(s1) + " and input2 " + shape_str(s2) +
         " must have the same batch dims (all but the last; no broadcasting)");
  if (s1.back() != weight.size(1))
    fail("input1 " + shape_str(s1) + " has " + std::to_string(s1.back()) + " features but weight " +
         shape_str(weight.shape()) + " expects in1_features = " + std::to_string(weight.size(1)));
  if (s2.back() != weight.size(2))
    fail("input2 " + shape_str(s2) + " has " + std::to_string(s2.back()) + " features but weight " +
         shape_str(weight.shape()) + " expects in2_features = " + std::to_string(weight.size(2)));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    fail("bias " + shape_str(bias.shape()) + " does not match weight " + shape_str(weight.shape()) + " (expected [" +
         std::to_string(weight.size(0)) + "])");
}

}  // namespace

Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias) {
  check_bilinear_args(input1, input2, weight, bias);
  const std::int64_t out_f = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  Shape batch(input1.shape().begin(), input1.shape().end() - 1);
  const std::int64_t rows = shape_numel(batch);
  // (rows, in1) · (in1, out·in2): every output's in1-contraction in one gemm, then each row's
  // (out, in2) block times that row's input2 as a batched matrix-vector product.
  const Tensor w = weight.permute({1, 0, 2}).reshape({in1, out_f * in2});
  const Tensor left = matmul(input1.reshape({rows, in1}), w).reshape({rows, out_f, in2});
  Tensor out = matmul(left, input2.reshape({rows, in2, 1})).reshape({rows, out_f});
  if (bias.defined()) out = add(out, bias);
  batch.push_back(out_f);
  return out.reshape(batch);
}

}  // namespace xg
