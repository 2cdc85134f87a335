#define BOOST_TEST_MODULE backend_threads
// The default thread count: the CPUs this process may use (affinity mask, cgroup CPU quota), not
// the machine's core count. The cgroup parsers are tested on the texts the kernel writes; the
// default itself end to end in test_char_rnn (`taskset -c 0 char_rnn` reports 1 thread).
#include <sched.h>

#include <boost/test/unit_test.hpp>

#include "autograd/detail/cpu_quota.hpp"
#include "xgrad.hpp"

using xg::detail::available_cpus;
using xg::detail::cpus_from_cgroup_v1;
using xg::detail::cpus_from_cgroup_v2;

BOOST_AUTO_TEST_CASE(cgroup_v2_cpu_max_value) {
  BOOST_TEST(cpus_from_cgroup_v2("max 100000") == 0);  // no limit
  BOOST_TEST(cpus_from_cgroup_v2("100000 100000") == 1);
  BOOST_TEST(cpus_from_cgroup_v2("150000 100000") == 2);  // 1.5 CPUs need 2 threads' worth
  BOOST_TEST(cpus_from_cgroup_v2("50000 100000") == 1);   // half a CPU: still one thread
  BOOST_TEST(cpus_from_cgroup_v2("400000 100000\n") == 4);
}

BOOST_AUTO_TEST_CASE(cgroup_v2_cpu_max_rejects_malformed_text) {
  for (const char* text : {"", "max", "100000", "abc 100000", "100000x 100000", "100000 0", "-5 100000"})
    BOOST_TEST(cpus_from_cgroup_v2(text) == 0, "'" << text << "' must mean: no limit known");
}

BOOST_AUTO_TEST_CASE(cgroup_v1_quota_value) {
  BOOST_TEST(cpus_from_cgroup_v1(-1, 100000) == 0);
  BOOST_TEST(cpus_from_cgroup_v1(250000, 100000) == 3);
  BOOST_TEST(cpus_from_cgroup_v1(100000, 100000) == 1);
  BOOST_TEST(cpus_from_cgroup_v1(100000, 0) == 0);
}

BOOST_AUTO_TEST_CASE(available_cpus_follows_the_affinity_mask) {
  cpu_set_t all;
  BOOST_REQUIRE(sched_getaffinity(0, sizeof all, &all) == 0);
  const int in_mask = CPU_COUNT(&all);
  BOOST_TEST(available_cpus() >= 1);
  BOOST_TEST(available_cpus() <= in_mask);
  // Restricted to one CPU (as `taskset -c N` or a cpuset would), the count follows.
  int first = 0;
  while (!CPU_ISSET(first, &all)) ++first;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  BOOST_REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);
  const int restricted = available_cpus();
  BOOST_REQUIRE(sched_setaffinity(0, sizeof all, &all) == 0);
  BOOST_TEST(restricted == 1);
}
