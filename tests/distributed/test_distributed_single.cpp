// xg::distributed without a launcher: errors before init(), a job of one process, errors after
// finalize(). Runs as a plain test (no mpirun).
#define BOOST_TEST_MODULE distributed_single
#include <boost/test/unit_test.hpp>

#include <string>

#include "distributed/collectives.hpp"
#include "distributed/process_group.hpp"
#include "xgrad.hpp"

namespace dist = xg::distributed;

BOOST_AUTO_TEST_CASE(lifecycle_of_a_single_process_job) {
  xg::Tensor t = xg::full({3}, 2.0);
  BOOST_TEST(!dist::is_initialized());
  try {
    dist::all_reduce(t);
    BOOST_FAIL("no error before init");
  } catch (const std::logic_error& e) {
    BOOST_TEST(std::string(e.what()) == "distributed.all_reduce: call xg::distributed::init() first");
  }
  BOOST_CHECK_THROW(dist::rank(), std::logic_error);
  BOOST_CHECK_THROW(dist::barrier(), std::logic_error);

  dist::init();
  BOOST_TEST(dist::world_size() == 1);
  BOOST_TEST(dist::rank() == 0);
  dist::all_reduce(t, dist::ReduceOp::AVG);
  BOOST_TEST(t.at({2}) == 2.0);
  std::vector<xg::Tensor> gathered{xg::zeros({3})};
  dist::all_gather(gathered, t);
  BOOST_TEST(gathered[0].at({0}) == 2.0);

  dist::finalize();
  BOOST_TEST(!dist::is_initialized());
  BOOST_CHECK_THROW(dist::world_size(), std::logic_error);
  BOOST_CHECK_THROW(dist::init(), std::logic_error);
}
