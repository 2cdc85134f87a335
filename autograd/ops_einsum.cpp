#include "autograd/ops_einsum.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "autograd/ops_linalg.hpp"
#include "autograd/ops_reduce.hpp"
#include "autograd/ops_shape.hpp"

namespace xg {
namespace {

[[noreturn]] void fail(const std::string& equation, const std::string& why) {
  throw std::invalid_argument("einsum: \"" + equation + "\": " + why);
}

// An operand with one label per dim.
struct Labeled {
  Tensor t;
  std::string labels;
  std::int64_t size(char label) const { return t.size(static_cast<std::int64_t>(labels.find(label))); }
};

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

// Sums the dims whose labels `keep` lacks (recorded, so differentiable to any order).
Labeled sum_unless(Labeled x, const std::string& keep) {
  std::vector<std::int64_t> dims;
  std::string kept;
  for (std::size_t d = 0; d < x.labels.size(); ++d) {
    if (has(keep, x.labels[d])) kept += x.labels[d];
    else dims.push_back(static_cast<std::int64_t>(d));
  }
  if (dims.empty()) return x;
  return {sum(x.t, dims), kept};
}

// Permutes x so its labels read `order` (a permutation of them).
Tensor arrange(const Labeled& x, const std::string& order) {
  std::vector<std::int64_t> dims;
  for (char c : order) dims.push_back(static_cast<std::int64_t>(x.labels.find(c)));
  bool identity = true;
  for (std::size_t i = 0; i < dims.size(); ++i) identity = identity && dims[i] == static_cast<std::int64_t>(i);
  return identity ? x.t : permute(x.t, dims);
}

std::int64_t product_of_sizes(const Labeled& x, const std::string& labels) {
  std::int64_t p = 1;
  for (char c : labels) p *= x.size(c);
  return p;
}

}  // namespace

Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  if (eq.find("...") != std::string::npos) fail(equation, "'...' (ellipsis) is not supported");
  const std::size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> subscripts;
  for (std::size_t start = 0;;) {
    const std::size_t comma = lhs.find(',', start);
    subscripts.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (subscripts.size() != operands.size())
    fail(equation, "names " + std::to_string(subscripts.size()) + " operands but " + std::to_string(operands.size()) +
                       " were given");
  if (operands.empty() || operands.size() > 2) fail(equation, "only one or two operands are supported");

  std::vector<Labeled> in;
  for (std::size_t i = 0; i < operands.size(); ++i) {
    const std::string& s = subscripts[i];
    if (!operands[i].defined()) fail(equation, "operand " + std::to_string(i) + " is an undefined tensor");
    for (std::size_t j = 0; j < s.size(); ++j) {
      if (!std::isalpha(static_cast<unsigned char>(s[j])))
        fail(equation, std::string("'") + s[j] + "' is not a label (labels are letters)");
      if (s.find(s[j]) != j)
        fail(equation, std::string("label '") + s[j] + "' repeats in operand " + std::to_string(i) +
                           " (diagonals are not supported)");
    }
    if (static_cast<std::int64_t>(s.size()) != operands[i].dim())
      fail(equation, "operand " + std::to_string(i) + " " + shape_str(operands[i].shape()) + " has " +
                         std::to_string(operands[i].dim()) + " dims but its subscript \"" + s + "\" names " +
                         std::to_string(s.size()));
    in.push_back({operands[i], s});
  }

  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (!std::isalpha(static_cast<unsigned char>(out[j])))
        fail(equation, std::string("'") + out[j] + "' is not a label (labels are letters)");
      if (out.find(out[j]) != j) fail(equation, std::string("output label '") + out[j] + "' repeats");
      if (!has(lhs, out[j])) fail(equation, std::string("output label '") + out[j] + "' names no operand dim");
    }
  } else {  // implicit output: the labels that occur once, alphabetically (A–Z before a–z)
    for (char c : lhs)
      if (std::isalpha(static_cast<unsigned char>(c)) && std::count(lhs.begin(), lhs.end(), c) == 1) out += c;
    std::sort(out.begin(), out.end());
  }

  if (in.size() == 1) return arrange(sum_unless(in[0], out), out);

  Labeled a = in[0], b = in[1];
  for (char c : a.labels)
    if (has(b.labels, c) && a.size(c) != b.size(c))
      fail(equation, std::string("label '") + c + "' has size " + std::to_string(a.size(c)) + " in operand 0 " +
                         shape_str(a.t.shape()) + " but " + std::to_string(b.size(c)) + " in operand 1 " +
                         shape_str(b.t.shape()));
  if (a.t.dtype() != b.t.dtype())
    fail(equation, std::string("dtypes differ: ") + dtype_name(a.t.dtype()) + " " + shape_str(a.t.shape()) + " and " +
                       dtype_name(b.t.dtype()) + " " + shape_str(b.t.shape()));
  if (!is_floating(a.t.dtype()))
    fail(equation, std::string("two operands must be float32 or float64, got ") + dtype_name(a.t.dtype()));
  // A label of one operand only and absent from the output is summed before the product.
  a = sum_unless(a, b.labels + out);
  b = sum_unless(b, a.labels + out);
  std::string batch, contracted, left, right;
  for (char c : out) {
    if (has(a.labels, c) && has(b.labels, c)) batch += c;
    else if (has(a.labels, c)) left += c;
    else right += c;
  }
  for (char c : a.labels)
    if (has(b.labels, c) && !has(out, c)) contracted += c;
  // [batch, left, contracted] · [batch, contracted, right] as one bmm of (B, M, K)·(B, K, N).
  const std::int64_t B = product_of_sizes(a, batch), M = product_of_sizes(a, left),
                     K = product_of_sizes(a, contracted), N = product_of_sizes(b, right);
  const Tensor a3 = reshape(arrange(a, batch + left + contracted), {B, M, K});
  const Tensor b3 = reshape(arrange(b, batch + contracted + right), {B, K, N});
  Shape shape;
  for (char c : batch + left) shape.push_back(a.size(c));
  for (char c : right) shape.push_back(b.size(c));
  const Labeled c{reshape(bmm(a3, b3), shape), batch + left + right};
  return arrange(c, out);
}

}  // namespace xg
