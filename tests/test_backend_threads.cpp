#define BOOST_TEST_MODULE backend_threads
// Intra-op threads: results independent of the thread count, several user threads at once, a
// forked child. The default thread count: the CPUs this process may use (affinity mask, cgroup
// CPU quota), not the machine's core count. The cgroup parsers are tested on the texts the kernel writes; the
// default itself end to end in test_char_rnn (`taskset -c 0 char_rnn` reports 1 thread).
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "autograd/detail/blas.hpp"
#include "autograd/detail/cpu_quota.hpp"
#include "autograd/detail/parallel.hpp"
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

// ---- Results do not depend on the thread count -------------------------------------------------
// Every parallel kernel family, each sized to be cut into several blocks, is run with 1 thread and
// then with set_num_threads 2, 3, 4, 8 and 16: every output must have the same bits. (xgrad runs at
// most one thread per CPU, so on a small machine the larger counts differ from 2 only in what a
// kernel could read from get_num_threads.) Kernels that cut work by thread count (OpenBLAS's own
// threading does) fail this for sgemm: 14 mismatches when blas.cpp's blocks followed the count.
namespace {

struct ScopedThreads {
  explicit ScopedThreads(int n) : saved(xg::get_num_threads()) { xg::set_num_threads(n); }
  ~ScopedThreads() { xg::set_num_threads(saved); }
  int saved;
};

std::vector<float> bits_of(const xg::Tensor& t) {  // xgrad tensors are always contiguous
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

std::vector<std::vector<float>> run_parallel_kernels() {
  using namespace xg;
  Generator gen(7);
  std::vector<std::vector<float>> out;
  // Products: cut along n (batch-32 recurrence), along m (output projection), a weight gradient
  // (transposed operand), and both matrix-vector directions of batch 1.
  const Tensor h = randn({32, 512}, gen), w = randn({512, 512}, gen);
  out.push_back(bits_of(matmul(h, w)));
  const Tensor x = randn({3200, 64}, gen), v = randn({64, 65}, gen);
  out.push_back(bits_of(matmul(x, v)));
  const Tensor xt = randn({3200, 256}, gen), g = randn({3200, 256}, gen);
  out.push_back(bits_of(matmul(xt.t(), g)));
  const Tensor row = randn({1, 384}, gen), square = randn({384, 384}, gen), column = randn({384, 1}, gen);
  out.push_back(bits_of(matmul(row, square)));
  out.push_back(bits_of(matmul(square, column)));
  // Elementwise: transcendental (xsimd maps), cheap arithmetic, odd sizes.
  const Tensor e = randn({100003}, gen), f = randn({100003}, gen);
  out.push_back(bits_of(tanh(e)));
  out.push_back(bits_of(sigmoid(f)));
  out.push_back(bits_of(e * f + e));
  // Rows of a cross-entropy, forward and backward; a gradient summed in place from two uses.
  Tensor logits = randn({3000, 65}, gen).requires_grad_();
  const Tensor target = randint(0, 65, {3000}, gen);
  Tensor loss = cross_entropy(logits, target);
  Tensor p = randn({100003}, gen).requires_grad_();
  (loss + (tanh(p) * p).sum()).backward();
  out.push_back(bits_of(loss));
  out.push_back(bits_of(logits.grad()));
  out.push_back(bits_of(p.grad()));
  // A batch-32 recurrence: the step products and their h-gradients run on the packed weight
  // (detail::PackedMatrix), the weight gradient on one gemm over all steps.
  manual_seed(7);  // the module's initial weights, the same in every run
  nn::RNN rnn(nn::RNNOptions(64, 256));
  const Tensor sequence = randn({12, 32, 64}, gen).requires_grad_();
  const Tensor outputs = rnn.forward(sequence).first;
  (outputs * outputs).sum().backward();
  out.push_back(bits_of(outputs));
  out.push_back(bits_of(sequence.grad()));
  for (const auto& [name, parameter] : rnn.named_parameters())
    if (name == "weight_hh_l0") out.push_back(bits_of(parameter.grad()));
  // Three Adam steps on a large parameter.
  Tensor q = randn({100003}, gen).requires_grad_();
  optim::Adam adam({q}, optim::AdamOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    adam.zero_grad();
    (sin(q) * q).sum().backward();
    adam.step();
  }
  out.push_back(bits_of(q.detach()));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(kernels_give_the_same_bits_for_every_thread_count) {
  std::vector<std::vector<float>> one;
  {
    const ScopedThreads threads(1);
    one = run_parallel_kernels();
  }
  for (const int n : {2, 3, 4, 8, 16}) {
    const ScopedThreads threads(n);
    const auto many = run_parallel_kernels();
    BOOST_TEST_REQUIRE(many.size() == one.size());
    for (std::size_t k = 0; k < one.size(); ++k) {
      BOOST_TEST_CONTEXT("kernel " << k << ", " << n << " threads") {
        BOOST_TEST_REQUIRE(many[k].size() == one[k].size());
        BOOST_TEST(std::memcmp(many[k].data(), one[k].data(), one[k].size() * sizeof(float)) == 0);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(parallel_range_covers_every_element_once) {
  const ScopedThreads threads(3);
  for (const std::int64_t n : {0, 1, 127, 4095, 4096, 4097, 100003, 1 << 20}) {
    std::vector<int> hits(static_cast<std::size_t>(n), 0);
    xg::detail::parallel_range(n, xg::detail::kParallelTranscendental, [&](std::int64_t begin, std::int64_t end) {
      BOOST_TEST_REQUIRE(begin % 64 == 0);  // SIMD batches line up with a single pass
      for (std::int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
    });
    BOOST_TEST(std::count(hits.begin(), hits.end(), 1) == n, "n = " << n);
  }
}

BOOST_AUTO_TEST_CASE(parallel_blocks_rethrows_a_block_exception_on_the_caller) {
  const ScopedThreads threads(4);
  BOOST_CHECK_EXCEPTION(xg::detail::parallel_blocks(16,
                                                    [&](std::int64_t b) {
                                                      if (b == 11) throw std::runtime_error("block 11 failed");
                                                    }),
                        std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()) == "block 11 failed"; });
}

// ---- Kernels called from several user threads, and in a forked child ----------------------------

BOOST_AUTO_TEST_CASE(split_products_from_two_user_threads_are_correct) {
  // Two user threads hammer products cut into blocks (both enter the same oneTBB arena at once),
  // with pauses long enough for the workers to fall asleep between bursts; every result must
  // equal the single-threaded one.
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // 786k MACs: two blocks
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
  // fork() copies only the calling thread: a child that handed blocks to the parent's oneTBB
  // workers would wait forever. The child must compute every block itself and exit normally
  // (static destructors included).
  const ScopedThreads two(2);
  const std::int64_t m = 64, n = 128, k = 96;  // two blocks
  std::vector<float> a(m * k, 0.25f), b(k * n, -0.5f), c(m * n, 0.0f);
  xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, c.data(), n);  // workers now running
  const pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    std::vector<float> d(m * n, 1.0f);
    xg::detail::gemm(false, false, m, n, k, a.data(), k, b.data(), n, 0.0f, d.data(), n);
    std::exit(d == c ? 0 : 3);  // exit(), not _exit(): runs static destructors in the child
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
