// Time of one blocking all-reduce (sum) of a float32 gradient buffer over the ranks of the job:
//   mpirun -np 2 --oversubscribe build-bench/bench/allreduce_cost [ELEMENTS] [REPS]
// Prints one JSON line on rank 0: bytes, ranks and min/median/max milliseconds over REPS calls,
// each started together after a barrier. bench/distributed.sh compares it with the time
// DistributedDataParallel waits at the end of backward (the part not hidden behind backward).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "distributed/collectives.hpp"
#include "distributed/process_group.hpp"
#include "xgrad.hpp"

int main(int argc, char** argv) {
  const long long elements = argc > 1 ? std::atoll(argv[1]) : 858753;  // the char-RNN H512 L2 E64 V65 parameters
  const int reps = argc > 2 ? std::atoi(argv[2]) : 50;
  if (elements < 1 || reps < 1) {
    std::fprintf(stderr, "usage: allreduce_cost [ELEMENTS >= 1] [REPS >= 1]\n");
    return 2;
  }
  xg::distributed::init();
  xg::Tensor buffer = xg::ones({elements});
  std::vector<double> ms;
  for (int r = 0; r < reps + 5; ++r) {  // the first 5 warm up the transport
    xg::distributed::barrier();
    const auto t0 = std::chrono::steady_clock::now();
    xg::distributed::all_reduce(buffer, xg::distributed::ReduceOp::SUM);
    const auto t1 = std::chrono::steady_clock::now();
    if (r >= 5) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  if (xg::distributed::rank() == 0)
    std::printf("{\"bytes\": %lld, \"ranks\": %d, \"min_ms\": %.3f, \"median_ms\": %.3f, \"max_ms\": %.3f}\n",
                elements * 4, xg::distributed::world_size(), ms.front(), ms[ms.size() / 2], ms.back());
  xg::distributed::finalize();
  return 0;
}
