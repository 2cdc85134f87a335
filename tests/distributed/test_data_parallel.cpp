// DistributedDataParallel under `mpirun -np 2` and `-np 3`: after backward every parameter's
// .grad is the average of the gradients the ranks computed on their own data. The reference is
// computed on every rank without communication: a plain replica runs each rank's batch in turn.
#define BOOST_TEST_MODULE distributed_data_parallel
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include "distributed/collectives.hpp"
#include "distributed/data_parallel.hpp"
#include "distributed/process_group.hpp"
#include "xgrad.hpp"

namespace dist = xg::distributed;
using xg::nn::parallel::DistributedDataParallel;
using xg::nn::parallel::DistributedDataParallelOptions;

struct MpiJob {
  MpiJob() { dist::init(); }
  ~MpiJob() { dist::finalize(); }
};
BOOST_TEST_GLOBAL_FIXTURE(MpiJob);

namespace {
std::shared_ptr<xg::nn::Sequential> make_mlp(std::uint64_t seed) {
  xg::manual_seed(seed);
  auto mlp = std::make_shared<xg::nn::Sequential>(
      std::make_shared<xg::nn::Linear>(4, 16), std::make_shared<xg::nn::Tanh>(), std::make_shared<xg::nn::Linear>(16, 8),
      std::make_shared<xg::nn::Tanh>(), std::make_shared<xg::nn::Linear>(8, 2));
  mlp->to(xg::kFloat64);
  return mlp;
}

// Rank r's batch for step s.
std::pair<xg::Tensor, xg::Tensor> batch(int r, int s) {
  xg::Generator g(1000 + 10 * static_cast<std::uint64_t>(s) + static_cast<std::uint64_t>(r));
  return {xg::randn({5, 4}, g, xg::kFloat64), xg::randn({5, 2}, g, xg::kFloat64)};
}

xg::Tensor loss_of(xg::nn::Sequential& m, int r, int s) {
  auto [x, y] = batch(r, s);
  return xg::mse_loss(m.forward(x), y);
}

// The average over all ranks of each parameter's gradient, computed locally on a replica.
std::vector<xg::Tensor> reference_grads(xg::nn::Sequential& model, const std::vector<int>& steps) {
  auto replica = make_mlp(7);
  replica->load_state_dict(model.state_dict());
  for (int r = 0; r < dist::world_size(); ++r)
    for (int s : steps) loss_of(*replica, r, s).backward();
  std::vector<xg::Tensor> out;
  for (auto& p : replica->parameters()) out.push_back(p.grad() / static_cast<double>(dist::world_size()));
  return out;
}

void check_grads_equal(xg::nn::Module& model, const std::vector<xg::Tensor>& expected) {
  auto params = model.parameters();
  BOOST_REQUIRE(params.size() == expected.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    BOOST_REQUIRE(params[i].grad().defined());
    const auto got = params[i].grad().to_vector(), want = expected[i].to_vector();
    for (std::size_t e = 0; e < got.size(); ++e) BOOST_TEST(got[e] == want[e], boost::test_tools::tolerance(1e-12));
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(construction_broadcasts_rank_0s_parameters) {
  auto model = make_mlp(100 + static_cast<std::uint64_t>(dist::rank()));  // every rank initialises differently
  DistributedDataParallel ddp(model);
  for (auto& p : model->parameters()) {
    std::vector<xg::Tensor> all;
    for (int r = 0; r < dist::world_size(); ++r) all.push_back(xg::zeros(p.shape(), p.dtype()));
    dist::all_gather(all, p.detach());
    for (int r = 1; r < dist::world_size(); ++r)
      BOOST_TEST(std::memcmp(all[r].raw_data(), all[0].raw_data(), p.numel() * 8) == 0);
  }
}

BOOST_AUTO_TEST_CASE(gradients_are_averaged_over_ranks_bucket_by_bucket) {
  auto model = make_mlp(7);
  // A tiny cap (about one weight matrix) makes several buckets, started during backward.
  DistributedDataParallel ddp(model, DistributedDataParallelOptions().bucket_cap_mb(0.0005));
  BOOST_TEST(ddp.bucket_parameters().size() >= 3u);
  BOOST_TEST(ddp.bucket_parameters().front().front() == model->parameters().size() - 1);  // reverse order
  const auto expected = reference_grads(*model, {0});
  loss_of(*model, dist::rank(), 0).backward();
  check_grads_equal(*model, expected);
  BOOST_TEST(ddp.last_stats().buckets_started_during_backward == static_cast<std::int64_t>(ddp.bucket_parameters().size()));
}

BOOST_AUTO_TEST_CASE(no_sync_accumulates_locally_then_reduces_the_sum) {
  auto model = make_mlp(7);
  DistributedDataParallel ddp(model);
  const auto expected = reference_grads(*model, {1, 2, 3});
  {
    auto guard = ddp.no_sync();
    loss_of(*model, dist::rank(), 1).backward();
    loss_of(*model, dist::rank(), 2).backward();
  }
  loss_of(*model, dist::rank(), 3).backward();
  check_grads_equal(*model, expected);
}

BOOST_AUTO_TEST_CASE(training_is_bitwise_reproducible) {
  auto run = [] {
    auto model = make_mlp(7);
    DistributedDataParallel ddp(model, DistributedDataParallelOptions().bucket_cap_mb(0.001));
    xg::optim::SGD opt(model->parameters(), xg::optim::SGDOptions(0.1));
    for (int s = 0; s < 4; ++s) {
      opt.zero_grad();
      loss_of(*model, dist::rank(), s).backward();
      opt.step();
    }
    return model->parameters();
  };
  const auto a = run(), b = run();
  for (std::size_t i = 0; i < a.size(); ++i)
    BOOST_TEST(std::memcmp(a[i].raw_data(), b[i].raw_data(), a[i].numel() * 8) == 0);
}

BOOST_AUTO_TEST_CASE(unused_parameters_contribute_zeros_when_allowed) {
  // Only the first Linear takes part in the loss on every rank.
  xg::manual_seed(3);
  auto first = std::make_shared<xg::nn::Linear>(3, 2), unused = std::make_shared<xg::nn::Linear>(3, 2);
  auto model = std::make_shared<xg::nn::Sequential>(first, unused);
  DistributedDataParallel ddp(model, DistributedDataParallelOptions().find_unused_parameters(true));
  xg::Generator g(50 + static_cast<std::uint64_t>(dist::rank()));
  xg::sum(first->forward(xg::randn({4, 3}, g))).backward();
  BOOST_REQUIRE(unused->weight.grad().defined());
  for (double v : unused->weight.grad().to_vector()) BOOST_TEST(v == 0.0);
  BOOST_TEST(first->weight.grad().defined());
}

BOOST_AUTO_TEST_CASE(unused_parameters_are_an_error_by_default) {
  xg::manual_seed(3);
  auto first = std::make_shared<xg::nn::Linear>(3, 2), unused = std::make_shared<xg::nn::Linear>(3, 2);
  auto model = std::make_shared<xg::nn::Sequential>(first, unused);
  DistributedDataParallel ddp(model);
  xg::Generator g(50);
  try {
    xg::sum(first->forward(xg::randn({4, 3}, g))).backward();
    BOOST_FAIL("no error");
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    BOOST_TEST(msg.find("find_unused_parameters") != std::string::npos, msg);
    BOOST_TEST(msg.find("received no gradient: 2, 3") != std::string::npos, msg);
  }
  dist::barrier();
}

BOOST_AUTO_TEST_CASE(construction_rejects_bad_options) {
  auto model = make_mlp(7);
  BOOST_CHECK_THROW(DistributedDataParallel(model, DistributedDataParallelOptions().bucket_cap_mb(0)),
                    std::invalid_argument);
  BOOST_CHECK_THROW(DistributedDataParallel(nullptr), std::invalid_argument);
}
