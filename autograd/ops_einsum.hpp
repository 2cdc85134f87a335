#pragma once
#include <string>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg {

/// Einstein summation (torch.einsum) over one or two operands, single-letter labels:
/// "ij,jk->ik" (matmul), "bij,bjk->bik" (bmm), "bhqd,bhkd->bhqk" (attention scores), "i,j->ij"
/// (outer), "i,i->" (dot), "ij->ji", "ij->j". Without "->" the output is the labels that occur
/// once, in alphabetical order. A label shared by both operands and absent from the output is
/// summed over; a label of one operand absent from the other and the output is summed first.
/// Two operands run as one bmm after permuting batch, kept and contracted labels together.
/// Not supported (throw): "..." (ellipsis), a label repeated within one operand (diagonals),
/// more than two operands, and size-1 broadcasting of a shared label.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);

}  // namespace xg
