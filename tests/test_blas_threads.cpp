#define BOOST_TEST_MODULE blas_threads
// BLAS products that xgrad splits across its helper thread stay correct under load: called from
// several user threads at once, and in a forked child (which has no helper thread).
#include "test_helpers.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "autograd/detail/blas.hpp"

using namespace xg;

namespace {
// Sets xgrad's thread count for a scope.
struct ScopedThreads {
  explicit ScopedThreads(int n) : saved(get_num_threads()) { set_num_threads(n); }
  ~ScopedThreads() { set_num_threads(saved); }
  int saved;
};
}  // namespace

BOOST_AUTO_TEST_CASE(split_products_from_two_user_threads_are_correct) {
  // xgrad has one helper thread; a second user thread that finds it busy must compute both
  // halves itself. Two threads hammer split gemms (2^19+ MACs) with pauses long enough for the
  // helper to fall asleep between bursts; every result must equal the single-threaded one.
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // 786k MACs: cut in two
  std::vector<float> a(m * k), b(k * n);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>((i * 7919) % 97) / 97.0f - 0.5f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 104729) % 89) / 89.0f - 0.5f;
  std::vector<float> expected(m * n);
  {
    const ScopedThreads one(1);
    xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, expected.data(), n);
  }
  std::atomic<int> mismatches{0};
  auto user = [&] {
    std::vector<float> c(m * n);
    for (int iter = 0; iter < 300; ++iter) {
      xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);
      if (std::memcmp(c.data(), expected.data(), c.size() * sizeof(float)) != 0) ++mismatches;
      if (iter % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  };
  std::thread t1(user), t2(user);
  t1.join();
  t2.join();
  BOOST_TEST(mismatches.load() == 0);
}

BOOST_AUTO_TEST_CASE(split_products_work_in_a_forked_child) {
  // fork() copies only the calling thread: a child that posted half a product to the parent's
  // helper thread would wait forever, and joining that thread at exit would hang. The child must
  // compute both halves itself and exit normally (static destructors included).
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // cut in two
  std::vector<float> a(m * k, 0.25f), b(k * n, -0.5f), c(m * n, 0.0f);
  xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);  // helper now running
  const pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    std::vector<float> d(m * n, 1.0f);
    xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, d.data(), n);
    std::exit(d == c ? 0 : 3);  // exit(), not _exit(): runs the helper's destructor in the child
  }
  int status = -1;
  for (int waited_ms = 0; waited_ms < 30000; waited_ms += 10) {
    if (waitpid(child, &status, WNOHANG) == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (waitpid(child, &status, WNOHANG) == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    BOOST_FAIL("the forked child hung for 30 s");
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0);
}
