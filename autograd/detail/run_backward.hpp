#pragma once
// The backward pass behind Tensor::backward (internal; defined in node.cpp next to the tape).
#include "autograd/tensor.hpp"

namespace xg {

/// Seeds `root` with `gradient` (ones for a one-element root when undefined) and runs every
/// node reachable from it, highest sequence number first; frees the graph unless retain_graph.
void run_backward(const Tensor& root, const Tensor& gradient, bool retain_graph);

}  // namespace xg
