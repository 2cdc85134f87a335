#define BOOST_TEST_MODULE reliability
// Reliability of training with the char_rnn program: determinism (across runs and BLAS thread
// counts), crash safety (SIGKILL after a checkpoint, then resume), SIGINT, and the autograd
// graph being freed after every step.
#include "char_rnn_harness.hpp"
#include "test_helpers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "autograd/detail/blas.hpp"
#include "examples/char_rnn/model.hpp"

using namespace xg;
using xg::testing::make_corpus;
using xg::testing::slurp;
using xg::testing::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kBinary = XGRAD_CHAR_RNN_BIN;

std::vector<std::string> split_words(const std::string& args) {
  std::istringstream in(args);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

/// A char_rnn process started in the background, stdout/stderr captured to files.
struct Child {
  pid_t pid = -1;
  std::string out, err;

  Child(const std::string& args, const std::string& log_prefix) : out(log_prefix + ".out"), err(log_prefix + ".err") {
    std::vector<std::string> words = split_words(args);
    words.insert(words.begin(), kBinary);
    pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {
      const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(o, 1);
      ::dup2(e, 2);
      std::vector<char*> argv;
      for (auto& w : words) argv.push_back(w.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  /// Waits for the process; returns its raw wait status.
  int wait() {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return status;
  }
  bool running() const {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) == 0;
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      wait();
    }
  }
};

struct Run {
  int status;  // exit code, or -signal
  std::string err;
};

Run run(const std::string& args, const std::string& log_prefix) {
  Child c(args, log_prefix);
  const int raw = c.wait();
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -WTERMSIG(raw), slurp(c.err)};
}

/// The train_loss and val_loss columns of log.csv, one "train,val" string per step (as printed:
/// the bitwise comparison of the run's state is the checkpoint's, below).
std::vector<std::string> loss_curve(const std::string& log_csv) {
  std::istringstream in(slurp(log_csv));
  std::string line;
  std::getline(in, line);
  BOOST_TEST_REQUIRE(line == "step,seconds,train_loss,val_loss,lr,chars_per_s", "log.csv header: " << line);
  std::vector<std::string> curve;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string step, seconds, train, val;
    std::getline(ss, step, ',');
    std::getline(ss, seconds, ',');
    std::getline(ss, train, ',');
    std::getline(ss, val, ',');
    curve.push_back(train + "," + val);
  }
  return curve;
}

/// Every tensor of two safetensors files is bitwise equal, and so is every metadata entry but
/// the wall-clock "elapsed_seconds" (which no two runs share).
void check_same_checkpoint(const std::string& a_path, const std::string& b_path) {
  const SafetensorsFile a = load_safetensors(a_path), b = load_safetensors(b_path);
  BOOST_TEST_REQUIRE(a.tensors.keys() == b.tensors.keys());
  for (const auto& [name, t] : a.tensors) {
    const Tensor& u = b.tensors.at(name);
    BOOST_TEST_REQUIRE((t.shape() == u.shape() && t.dtype() == u.dtype()), name);
    BOOST_TEST(std::memcmp(t.raw_data(), u.raw_data(), static_cast<std::size_t>(t.numel()) * element_size(t.dtype())) == 0,
               "tensor " << name << " differs between " << a_path << " and " << b_path);
  }
  for (const auto& [key, value] : a.metadata)
    if (key != "elapsed_seconds") BOOST_TEST(value == b.metadata.at(key), "metadata " << key);
  BOOST_TEST(a.metadata.size() == b.metadata.size());
}

/// Polls until `path` exists (or the child ends / the timeout passes).
bool wait_for_file(const std::string& path, const Child& child, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(path)) return true;
    if (!child.running()) return fs::exists(path);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

// Dropout > 0 so the generator state is part of what must be reproduced.
const std::string kSmall = "--hidden 16 --embed 8 --layers 2 --dropout 0.1 --seq 8 --batch 4 --lr 0.01";
}  // namespace

BOOST_AUTO_TEST_CASE(training_is_bitwise_deterministic_across_runs) {
  TempDir dir("xgrad_reliability");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string args = "train --data " + data + " " + kSmall + " --threads 1 --steps 60 --eval-every 20 --seed 11 --out ";
  for (const char* name : {"a", "b"}) {
    Run r = run(args + dir.path + "/" + name, dir.path + "/" + name);
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
  }
  const auto a = loss_curve(dir.path + "/a/log.csv"), b = loss_curve(dir.path + "/b/log.csv");
  BOOST_TEST(a.size() == 60u);
  BOOST_TEST(a == b, boost::test_tools::per_element());
  check_same_checkpoint(dir.path + "/a/last.safetensors", dir.path + "/b/last.safetensors");
  check_same_checkpoint(dir.path + "/a/best.safetensors", dir.path + "/b/best.safetensors");
  // A different seed must change the curve, or this test could not fail.
  Run c = run("train --data " + data + " " + kSmall + " --threads 1 --steps 60 --eval-every 20 --seed 12 --out " +
                  dir.path + "/c",
              dir.path + "/c");
  BOOST_TEST_REQUIRE(c.status == 0, c.err);
  BOOST_TEST((loss_curve(dir.path + "/c/log.csv") != a));
}

BOOST_AUTO_TEST_CASE(training_is_bitwise_identical_with_1_and_2_blas_threads) {
  TempDir dir("xgrad_reliability");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  // Two configurations whose products pass xgrad's threading cut-offs (blas.cpp) and really run
  // on 2 threads: batch 16 (the per-step (16×256)·(256×256) recurrence, 2^20 MACs ≥ 2^19, the input
  // projection and the weight gradients are cut in two) and batch 1 (the per-step matrix-vector
  // products with a 384×384 weight, ≥ 2^17 MACs, are cut in two). OpenBLAS 0.3.21's sgemm rounds
  // differently for each way it splits C between threads (dgemm does not), so this holds only if
  // xgrad splits products itself, the same way whatever the thread count.
  for (const std::string config : {"--hidden 256 --batch 16", "--hidden 384 --batch 1"}) {
    BOOST_TEST_CONTEXT(config) {
      const std::string args = "train --data " + data + " " + config +
                               " --embed 64 --layers 1 --seq 64 --lr 0.003 --steps 6 --eval-every 3 --seed 5 --out ";
      const std::string tag = config.substr(9, 3);
      Run one = run(args + dir.path + "/t1" + tag + " --threads 1", dir.path + "/t1" + tag);
      BOOST_TEST_REQUIRE(one.status == 0, one.err);
      Run two = run(args + dir.path + "/t2" + tag + " --threads 2", dir.path + "/t2" + tag);
      BOOST_TEST_REQUIRE(two.status == 0, two.err);
      BOOST_TEST(one.err.find(", 1 BLAS thread,") != std::string::npos, one.err);
      BOOST_TEST(two.err.find(", 2 BLAS threads,") != std::string::npos, two.err);
      const auto a = loss_curve(dir.path + "/t1" + tag + "/log.csv"), b = loss_curve(dir.path + "/t2" + tag + "/log.csv");
      BOOST_TEST(a.size() == 6u);
      BOOST_TEST(a == b, boost::test_tools::per_element());
      check_same_checkpoint(dir.path + "/t1" + tag + "/last.safetensors", dir.path + "/t2" + tag + "/last.safetensors");
    }
  }
}

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

BOOST_AUTO_TEST_CASE(sigkill_after_a_checkpoint_then_resume_matches_an_uninterrupted_run) {
  TempDir dir("xgrad_reliability");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 30000);
  const std::int64_t steps = 400, every = 10;
  // 30000 chars, 90 % train, 4 streams of 8: 843 windows per pass, so no pass ends at a checkpoint
  // (that case has its own test below).
  const std::string base = "train --data " + data + " " + kSmall + " --threads 1 --eval-every " +
                           std::to_string(every) + " --seed 21 --steps " + std::to_string(steps) + " --out ";
  Run straight = run(base + dir.path + "/straight", dir.path + "/straight");
  BOOST_TEST_REQUIRE(straight.status == 0, straight.err);

  // Kill at a random moment after the first checkpoint; the delay is printed so a failure can be
  // replayed with XGRAD_KILL_DELAY_US.
  std::random_device device;
  long delay_us = static_cast<long>(device() % 400000);
  if (const char* fixed = std::getenv("XGRAD_KILL_DELAY_US")) delay_us = std::atol(fixed);
  BOOST_TEST_MESSAGE("SIGKILL " << delay_us << " us after the first checkpoint");
  const std::string last = dir.path + "/killed/last.safetensors";
  {
    Child child(base + dir.path + "/killed", dir.path + "/killed");
    BOOST_TEST_REQUIRE(wait_for_file(last, child, 300), "no checkpoint was written: " << slurp(child.err));
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(child.pid, SIGKILL);
    const int status = child.wait();
    BOOST_TEST_MESSAGE("killed child: " << (WIFSIGNALED(status) ? "by signal" : "had already exited"));
  }
  // Whatever moment it died, the latest checkpoint is complete and valid.
  const SafetensorsFile file = load_safetensors(last);
  BOOST_TEST(file.metadata.at("format") == "xgrad-char-rnn-1");
  const std::int64_t saved_step = std::stoll(file.metadata.at("step"));
  BOOST_TEST(saved_step % every == 0);
  BOOST_TEST(saved_step >= every);
  BOOST_TEST(file.tensors.contains("rnn.weight_hh_l1"));
  BOOST_TEST(file.tensors.contains("train.hidden"));
  BOOST_TEST_MESSAGE("resuming from step " << saved_step);

  Run resumed = run(base + dir.path + "/killed --resume", dir.path + "/resumed");
  BOOST_TEST_REQUIRE(resumed.status == 0, resumed.err);
  if (saved_step < steps) BOOST_TEST(resumed.err.find("resumed at step " + std::to_string(saved_step)) != std::string::npos);
  check_same_checkpoint(dir.path + "/straight/last.safetensors", last);
}

BOOST_AUTO_TEST_CASE(resume_from_a_checkpoint_at_the_end_of_a_pass_over_the_data) {
  // A checkpoint taken right after the last window of a pass stores data_position == the number
  // of windows per pass; resuming must accept it and wrap (resetting the hidden state) exactly
  // as the uninterrupted run does.
  TempDir dir("xgrad_reliability");
  // 500 chars, 90 % train = 450 tokens, 4 streams of 112, seq 8: (112 − 1) / 8 = 13 windows per pass.
  const std::string data = make_corpus(dir.path + "/corpus.txt", 500);
  const std::string text = slurp(data).substr(0, 500);
  std::ofstream(data, std::ios::trunc) << text;
  const std::string base = "train --data " + data + " " + kSmall + " --threads 1 --eval-every 13 --seed 4 --out ";
  Run straight = run(base + dir.path + "/straight --steps 30", dir.path + "/straight");
  BOOST_TEST_REQUIRE(straight.status == 0, straight.err);
  Run first = run(base + dir.path + "/resumed --steps 13", dir.path + "/first");
  BOOST_TEST_REQUIRE(first.status == 0, first.err);
  BOOST_TEST(load_safetensors(dir.path + "/resumed/last.safetensors").metadata.at("data_position") == "13");
  Run second = run(base + dir.path + "/resumed --steps 30 --resume", dir.path + "/second");
  BOOST_TEST_REQUIRE(second.status == 0, second.err);
  check_same_checkpoint(dir.path + "/straight/last.safetensors", dir.path + "/resumed/last.safetensors");
}

BOOST_AUTO_TEST_CASE(sigint_saves_a_checkpoint_and_exits_0) {
  TempDir dir("xgrad_reliability");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " " + kSmall + " --threads 1 --eval-every 7 --seed 8 --out " +
                           dir.path + "/run";
  const std::string last = dir.path + "/run/last.safetensors";
  int status = 0;
  std::string err;
  {
    Child child(base + " --steps 1000000", dir.path + "/run_log");
    // The handler is installed before the first step; the first checkpoint proves we are past it.
    BOOST_TEST_REQUIRE(wait_for_file(last, child, 300), slurp(child.err));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(child.pid, SIGINT);
    status = child.wait();
    err = slurp(child.err);
  }
  BOOST_TEST_REQUIRE(WIFEXITED(status), "killed by signal " << WTERMSIG(status) << ": " << err);
  BOOST_TEST(WEXITSTATUS(status) == 0, err);
  BOOST_TEST(err.find("interrupted, checkpoint saved at step") != std::string::npos, err);
  // The checkpoint is the interrupted step's, not only the last periodic one.
  const std::string reported = err.substr(err.find("saved at step ") + 14);
  const SafetensorsFile file = load_safetensors(last);
  BOOST_TEST(file.metadata.at("step") == reported.substr(0, reported.find(' ')));
  // And it resumes.
  Run more = run(base + " --resume --steps " + std::to_string(std::stoll(file.metadata.at("step")) + 3),
                 dir.path + "/more");
  BOOST_TEST_REQUIRE(more.status == 0, more.err);
  BOOST_TEST(more.err.find("resumed at step " + file.metadata.at("step")) != std::string::npos, more.err);
}

BOOST_AUTO_TEST_CASE(live_node_count_returns_to_baseline_after_every_training_step) {
  // The char_rnn training step, in process: after each step only the parameters' AccumulateGrad
  // sinks (one per parameter, owned by the parameter) are alive; every graph node is freed; and
  // with the model gone the count is back where it started.
  const std::int64_t before = live_node_count();
  {
    manual_seed(3);
    const std::int64_t vocab = 11, seq = 6, batch = 3;
    auto model = std::make_shared<char_rnn::CharRNN>(vocab, 5, 7, 2, 0.2);
    const auto params = model->parameters();
    optim::Adam adam(params, optim::AdamOptions(0.01));
    Generator g(9);
    Tensor hidden;
    for (int step = 0; step < 12; ++step) {
      {
        const Tensor tokens = randint(0, vocab, {seq, batch}, g);
        const Tensor targets = randint(0, vocab, {seq * batch}, g);
        auto [logits, h_n] = model->forward(tokens, step % 5 == 4 ? Tensor() : hidden);
        Tensor loss = cross_entropy(logits, targets);
        adam.zero_grad();
        loss.backward();
        optim::clip_grad_norm_(params, 1.0);
        adam.step();
        hidden = h_n.detach();
        BOOST_TEST(live_node_count() > before + static_cast<std::int64_t>(params.size()));  // the graph is alive here
      }
      BOOST_TEST(live_node_count() == before + static_cast<std::int64_t>(params.size()), "after step " << step);
      {
        NoGradGuard no_grad;  // a validation pass records nothing
        model->eval();
        (void)model->forward(randint(0, vocab, {seq, batch}, g), hidden);
        model->train();
      }
      BOOST_TEST(live_node_count() == before + static_cast<std::int64_t>(params.size()), "after eval " << step);
    }
  }
  BOOST_TEST(live_node_count() == before);
}

BOOST_AUTO_TEST_CASE(errors_md_names_only_existing_tests) {
  // docs/errors.md backs each rejected input with a test case named `test_<family>:<case>`.
  const std::string doc = slurp(std::string(XGRAD_SOURCE_DIR) + "/docs/errors.md");
  BOOST_TEST_REQUIRE(!doc.empty());
  std::size_t checked = 0;
  for (std::size_t at = doc.find("`test_"); at != std::string::npos; at = doc.find("`test_", at + 1)) {
    const std::size_t end = doc.find('`', at + 1);
    const std::string ref = doc.substr(at + 1, end - at - 1);
    const std::size_t colon = ref.find(':');
    if (colon == std::string::npos) continue;
    const std::string file = ref.substr(0, colon), name = ref.substr(colon + 1);
    const std::string source = slurp(std::string(XGRAD_SOURCE_DIR) + "/tests/" + file + ".cpp");
    BOOST_TEST(!source.empty(), "docs/errors.md cites missing file tests/" << file << ".cpp");
    const bool found = source.find("_TEST_CASE(" + name + ")") != std::string::npos ||
                       source.find("_TEST_CASE(" + name + ",") != std::string::npos;
    BOOST_TEST(found, "docs/errors.md cites " << ref << ", which is not a test case");
    ++checked;
  }
  BOOST_TEST(checked > 60u);
}
