#pragma once
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::distributed {

/// How all_reduce / reduce_scatter combine the ranks' values (torch.distributed.ReduceOp).
/// AVG is SUM divided by world_size() (floating tensors only); MAX propagates NaN like xg::max.
enum class ReduceOp { SUM, AVG, MAX };

/// Every collective works in place on float32, float64 or int64 tensors, checks that all ranks
/// passed the same dtype and shape (one small all-gather of the signatures; every rank throws the
/// same std::invalid_argument naming the ranks that differ, so none is left waiting), and follows
/// the in-place rule of fill_/copy_ (a leaf that requires grad only under NoGradGuard).

/// Replaces `tensor` on every rank by the reduction of all ranks' tensors.
void all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::SUM);
/// Replaces `tensor` on every rank by rank `src`'s tensor.
void broadcast(Tensor& tensor, int src);
/// Fills tensor_list[r] with rank r's `tensor`; tensor_list must hold world_size() tensors of
/// tensor's shape and dtype (torch.distributed.all_gather(tensor_list, tensor)).
void all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor);
/// output on rank r = the reduction over ranks of their input_list[r]; input_list holds
/// world_size() tensors of output's shape and dtype (torch.distributed.reduce_scatter).
void reduce_scatter(Tensor& output, const std::vector<Tensor>& input_list, ReduceOp op = ReduceOp::SUM);

}  // namespace xg::distributed
