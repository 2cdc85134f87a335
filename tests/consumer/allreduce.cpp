// xgrad::distributed as an installed package: under `mpirun -np N`, an all-reduce of the ranks'
// numbers gives their sum, and after a DistributedDataParallel backward on rank-dependent data
// every rank holds the same gradient. Exit status 0 only if both hold on this rank.
#include <xgrad/distributed/collectives.hpp>
#include <xgrad/distributed/data_parallel.hpp>
#include <xgrad/distributed/process_group.hpp>
#include <xgrad/xgrad.hpp>

#include <cstdio>
#include <memory>
#include <vector>

int main() {
  namespace dist = xg::distributed;
  dist::init();
  const int rank = dist::rank(), n = dist::world_size();
  xg::Tensor x = xg::full({3}, rank + 1.0, xg::kFloat64);
  dist::all_reduce(x);
  const bool summed = x.to_vector() == std::vector<double>(3, n * (n + 1) / 2.0);

  auto model = std::make_shared<xg::nn::Linear>(4, 2);
  xg::nn::parallel::DistributedDataParallel ddp(model);
  xg::manual_seed(100 + static_cast<std::uint64_t>(rank));  // each rank its own batch
  xg::sum(xg::tanh(model->forward(xg::randn({8, 4})))).backward();
  std::vector<xg::Tensor> grads;
  for (int r = 0; r < n; ++r) grads.push_back(xg::empty(model->weight.shape()));
  dist::all_gather(grads, model->weight.grad());
  bool same = true;
  for (const xg::Tensor& g : grads) same = same && g.to_vector() == grads[0].to_vector();
  std::printf("rank %d of %d: all_reduce %s, DDP gradients %s\n", rank, n, summed ? "ok" : "WRONG",
              same ? "equal on every rank" : "DIFFER");
  dist::finalize();
  return summed && same ? 0 : 1;
}
