// README.md "The first hour": factories, indexing, masks, in-place ops, dtypes, item<T>. The
// [guide] region is the README's snippet, word for word (scripts/docs.sh checks).
#include <iostream>

#include <xgrad/xgrad.hpp>

// [guide]
using namespace xg::indexing;  // Slice, None, Ellipsis, as torch::indexing

int main() {
  xg::Tensor t = xg::arange(12).reshape({3, 4});         // float32 0..11
  xg::Tensor row = t[1];                                  // t[1]
  xg::Tensor cols = t.index({Slice(), Slice(1, None, 2)});  // t[:, 1::2]
  xg::Tensor picked = t.index({xg::tensor({0, 2}), -1});  // t[[0, 2], -1]
  xg::Tensor big = t.index({t > 6.5});                    // boolean mask → 1-D
  t.index_put_({0, Slice()}, -1.0);                       // t[0, :] = -1
  t.masked_fill_(t > 10.5, 0.0);
  t += xg::ones({4});                                     // in place, broadcasting
  xg::Tensor w = xg::where(t > 0.0, t, xg::zeros_like(t));
  xg::Tensor i = xg::tensor({7, -7});                     // int64
  std::cout << "row " << row << "\ncols " << cols << "\npicked " << picked << "\nbig " << big << "\n";
  std::cout << "w " << w << "\ni // 2 = " << xg::floor_divide(i, xg::tensor({2, 2})) << ", i % 3 = " << (i % 3) << "\n";
  std::cout << "float32 + float64 -> " << (t + xg::ones({4}, xg::kFloat64)).dtype() << "\n";
  std::cout << "sum as float: " << w.sum().item<float>() << ", any negative: " << (w < 0.0).any().item<bool>() << "\n";
  return 0;
}
// [/guide]
