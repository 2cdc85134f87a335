// Collectives on xg::Tensor. Runs under `mpirun -np 2` and `-np 3` (see CMakeLists.txt): every
// rank runs every case, and the expected values are computed from the rank numbers.
#define BOOST_TEST_MODULE distributed_collectives
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <string>

#include "distributed/collectives.hpp"
#include "distributed/process_group.hpp"
#include "xgrad.hpp"

namespace dist = xg::distributed;

struct MpiJob {
  MpiJob() { dist::init(); }
  ~MpiJob() { dist::finalize(); }
};
BOOST_TEST_GLOBAL_FIXTURE(MpiJob);

namespace {
// Rank r holds r + 1 + 10 i at position i.
xg::Tensor rank_tensor(xg::Dtype dtype, const xg::Shape& shape = {2, 3}) {
  // Built in float64 (exact for these values), then converted.
  xg::Tensor t = xg::arange(0, static_cast<double>(xg::shape_numel(shape)), 1, xg::kFloat64).reshape(shape);
  return (t * 10.0 + static_cast<double>(dist::rank() + 1)).to(dtype);
}
double sum_of_ranks_plus_one(int n) { return n * (n + 1) / 2.0; }
}  // namespace

BOOST_AUTO_TEST_CASE(world_matches_the_launcher) {
  const char* size = std::getenv("OMPI_COMM_WORLD_SIZE");
  BOOST_REQUIRE(size != nullptr);
  BOOST_TEST(dist::world_size() == std::atoi(size));
  BOOST_TEST(dist::rank() == std::atoi(std::getenv("OMPI_COMM_WORLD_RANK")));
  BOOST_TEST(dist::is_initialized());
  dist::init();  // a second call is a no-op
  dist::barrier();
}

BOOST_AUTO_TEST_CASE(all_reduce_sum_avg_max_value) {
  const int n = dist::world_size();
  for (xg::Dtype dtype : {xg::kFloat32, xg::kFloat64, xg::kInt64}) {
    xg::Tensor s = rank_tensor(dtype);
    dist::all_reduce(s, dist::ReduceOp::SUM);
    xg::Tensor m = rank_tensor(dtype);
    dist::all_reduce(m, dist::ReduceOp::MAX);
    for (std::int64_t i = 0; i < 6; ++i) {
      BOOST_TEST(s.at({i / 3, i % 3}) == 10.0 * i * n + sum_of_ranks_plus_one(n));
      BOOST_TEST(m.at({i / 3, i % 3}) == 10.0 * i + n);
    }
    if (dtype == xg::kInt64) continue;
    xg::Tensor a = rank_tensor(dtype);
    dist::all_reduce(a, dist::ReduceOp::AVG);
    for (std::int64_t i = 0; i < 6; ++i)
      BOOST_TEST(a.at({i / 3, i % 3}) == 10.0 * i + (n + 1) / 2.0, boost::test_tools::tolerance(1e-6));
  }
}

BOOST_AUTO_TEST_CASE(all_reduce_propagates_nan) {
  for (xg::Dtype dtype : {xg::kFloat32, xg::kFloat64}) {
    for (dist::ReduceOp op : {dist::ReduceOp::SUM, dist::ReduceOp::MAX}) {
      xg::Tensor t = xg::zeros({3}, dtype);
      if (dist::rank() == 1) t.set({1}, std::nan(""));
      dist::all_reduce(t, op);
      BOOST_TEST(std::isnan(t.at({1})));
      BOOST_TEST(t.at({0}) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(broadcast_value) {
  const int src = dist::world_size() - 1;
  for (xg::Dtype dtype : {xg::kFloat32, xg::kFloat64, xg::kInt64}) {
    xg::Tensor t = rank_tensor(dtype, {4});
    dist::broadcast(t, src);
    for (std::int64_t i = 0; i < 4; ++i) BOOST_TEST(t.at({i}) == 10.0 * i + src + 1);
  }
}

BOOST_AUTO_TEST_CASE(all_gather_value) {
  const int n = dist::world_size();
  std::vector<xg::Tensor> gathered;
  for (int r = 0; r < n; ++r) gathered.push_back(xg::zeros({2, 3}, xg::kFloat64));
  dist::all_gather(gathered, rank_tensor(xg::kFloat64));
  for (int r = 0; r < n; ++r)
    for (std::int64_t i = 0; i < 6; ++i) BOOST_TEST(gathered[r].at({i / 3, i % 3}) == 10.0 * i + r + 1);
}

BOOST_AUTO_TEST_CASE(reduce_scatter_value) {
  // Rank q contributes (q + 1) * (r + 1) to rank r's output.
  const int n = dist::world_size();
  std::vector<xg::Tensor> inputs;
  for (int r = 0; r < n; ++r) inputs.push_back(xg::full({2}, (dist::rank() + 1.0) * (r + 1.0), xg::kInt64));
  xg::Tensor out = xg::zeros({2}, xg::kInt64);
  dist::reduce_scatter(out, inputs, dist::ReduceOp::SUM);
  BOOST_TEST(out.at({0}) == sum_of_ranks_plus_one(n) * (dist::rank() + 1));
  BOOST_TEST(out.at({1}) == sum_of_ranks_plus_one(n) * (dist::rank() + 1));
}

BOOST_AUTO_TEST_CASE(zero_size_tensors_are_fine) {
  xg::Tensor t = xg::zeros({0, 4});
  dist::all_reduce(t);
  dist::broadcast(t, 0);
  BOOST_TEST(t.numel() == 0);
}

BOOST_AUTO_TEST_CASE(all_reduce_rejects_shapes_that_differ_across_ranks) {
  // Every rank must throw the same error (none may be left waiting in the collective).
  xg::Tensor t = dist::rank() == 1 ? xg::zeros({2, 2}) : xg::zeros({3});
  try {
    dist::all_reduce(t);
    BOOST_FAIL("no error");
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("distributed.all_reduce") != std::string::npos, msg);
    BOOST_TEST(msg.find("rank 0 has float32 [3]") != std::string::npos, msg);
    BOOST_TEST(msg.find("rank 1 has float32 [2, 2]") != std::string::npos, msg);
  }
  dist::barrier();  // all ranks are still in step
}

BOOST_AUTO_TEST_CASE(broadcast_rejects_dtypes_that_differ_across_ranks) {
  xg::Tensor t = xg::zeros({3}, dist::rank() == 0 ? xg::kFloat64 : xg::kFloat32);
  BOOST_CHECK_THROW(dist::broadcast(t, 0), std::invalid_argument);
  dist::barrier();
}

BOOST_AUTO_TEST_CASE(collectives_reject_bad_arguments) {
  xg::Tensor i = xg::zeros({2}, xg::kInt64);
  BOOST_CHECK_THROW(dist::all_reduce(i, dist::ReduceOp::AVG), std::invalid_argument);
  xg::Tensor t = xg::zeros({2});
  BOOST_CHECK_THROW(dist::broadcast(t, dist::world_size()), std::invalid_argument);
  BOOST_CHECK_THROW(dist::broadcast(t, -1), std::invalid_argument);
  std::vector<xg::Tensor> too_few{xg::zeros({2})};
  BOOST_CHECK_THROW(dist::all_gather(too_few, t), std::invalid_argument);
  // A leaf that requires grad is written only under NoGradGuard, as with copy_.
  xg::Tensor w = xg::zeros({2}).requires_grad_();
  BOOST_CHECK_THROW(dist::all_reduce(w), std::invalid_argument);
  {
    xg::NoGradGuard no_grad;
    dist::all_reduce(w);  // every rank passes the same checks, so this collective runs everywhere
  }
  dist::barrier();
}
