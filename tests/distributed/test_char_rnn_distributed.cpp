// `char_rnn train` under mpirun: two processes with --batch 8 each follow one process with
// --batch 16 (same streams; only the order of the gradient and loss sums differs), a run resumed
// under the same number of processes is bitwise the uninterrupted one, another number is refused,
// one rank's error ends the whole job instead of hanging, and SIGTERM on mpirun leaves a
// checkpoint that loads. Every mpirun runs under `timeout`, so a hang fails the test.
#define BOOST_TEST_MODULE char_rnn_distributed
#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "char_rnn_harness.hpp"
#include "examples/char_rnn/report.hpp"
#include "xgrad.hpp"

using xg::testing::slurp;
using xg::testing::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kBinary = XGRAD_CHAR_RNN_BIN;
const std::string kMpiexec = XGRAD_MPIEXEC;

struct Run {
  int status;
  std::string err;
};

// `command` with stderr captured, under a 120 s timeout (status 124 = it hung).
Run run(const std::string& command, const std::string& dir) {
  const std::string err = dir + "/stderr";
  const int raw = std::system(("timeout 120 " + command + " >/dev/null 2>" + err).c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(err)};
}

std::string on_ranks(int n) { return kMpiexec + " -np " + std::to_string(n) + " --oversubscribe " + kBinary; }

// No dropout: then the two layouts see exactly the same computation up to summation order.
std::string train_args(const std::string& corpus, const std::string& out, int batch, int steps) {
  return " train --data " + corpus + " --hidden 32 --embed 8 --layers 2 --seq 16 --lr 0.01 --threads 1 --eval-every 10" +
         " --batch " + std::to_string(batch) + " --steps " + std::to_string(steps) + " --out " + out;
}

double max_abs_difference(const xg::StateDict& a, const xg::StateDict& b) {
  double worst = 0;
  for (const auto& [name, t] : a) {
    const std::vector<double> x = t.to_vector(), y = b.at(name).to_vector();
    BOOST_REQUIRE_EQUAL(x.size(), y.size());
    for (std::size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  }
  return worst;
}

xg::StateDict model_weights(const std::string& checkpoint) {
  xg::StateDict weights;
  for (const auto& [name, t] : xg::load_safetensors(checkpoint).tensors)
    if (name.rfind("optimizer.", 0) != 0 && name.rfind("train.", 0) != 0) weights.insert(name, t);
  return weights;
}
}  // namespace

BOOST_AUTO_TEST_CASE(two_ranks_of_batch_8_follow_one_process_of_batch_16) {
  TempDir dir("xgrad_ddp_equivalence");
  const std::string corpus = xg::testing::make_corpus(dir.path + "/corpus.txt", 20000);
  const Run one = run(kBinary + train_args(corpus, dir.path + "/one", 16, 30), dir.path);
  BOOST_REQUIRE_MESSAGE(one.status == 0, one.err);
  const Run two = run(on_ranks(2) + train_args(corpus, dir.path + "/two", 8, 30), dir.path);
  BOOST_REQUIRE_MESSAGE(two.status == 0, two.err);

  // Loss curves: float32 sums in another order differ in the last bits, and 30 Adam steps carry
  // that along; 1e-5 is ~100× what was measured (max 2.4e-7 nats at step 30).
  const auto a = char_rnn::read_csv(dir.path + "/one/log.csv"), b = char_rnn::read_csv(dir.path + "/two/log.csv");
  BOOST_REQUIRE_EQUAL(a.size(), 30u);
  BOOST_REQUIRE_EQUAL(b.size(), 30u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST_CONTEXT("step " << a[i].step) {
      BOOST_TEST(std::abs(a[i].train_loss - b[i].train_loss) <= 1e-5);
      if (!std::isnan(a[i].val_loss)) BOOST_TEST(std::abs(a[i].val_loss - b[i].val_loss) <= 1e-5);
    }
  }
  BOOST_TEST(max_abs_difference(model_weights(dir.path + "/one/last.safetensors"),
                                model_weights(dir.path + "/two/last.safetensors")) <= 1e-5);
  // Only rank 0 talks: one final line, not two.
  BOOST_TEST(two.err.find("2 processes × --batch 8 = 16 streams") != std::string::npos, two.err);
  std::size_t done = 0;
  for (std::size_t at = two.err.find("char_rnn: done"); at != std::string::npos; at = two.err.find("char_rnn: done", at + 1))
    ++done;
  BOOST_TEST(done == 1u, two.err);
}

BOOST_AUTO_TEST_CASE(resume_under_mpirun_is_bitwise_and_needs_the_same_number_of_processes) {
  TempDir dir("xgrad_ddp_resume");
  const std::string corpus = xg::testing::make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string straight = dir.path + "/straight", resumed = dir.path + "/resumed";
  BOOST_REQUIRE(run(on_ranks(2) + train_args(corpus, straight, 4, 20), dir.path).status == 0);
  BOOST_REQUIRE(run(on_ranks(2) + train_args(corpus, resumed, 4, 10), dir.path).status == 0);
  const Run again = run(on_ranks(2) + " train --resume --steps 20 --out " + resumed, dir.path);
  BOOST_REQUIRE_MESSAGE(again.status == 0, again.err);
  BOOST_TEST(max_abs_difference(model_weights(straight + "/last.safetensors"),
                                model_weights(resumed + "/last.safetensors")) == 0.0);

  // The checkpoint holds all 8 streams: a single-process eval reads it as a batch of 8.
  const Run eval = run(kBinary + " eval --checkpoint " + resumed + "/last.safetensors", dir.path);
  BOOST_TEST(eval.status == 0, eval.err);

  const Run three = run(on_ranks(3) + " train --resume --steps 30 --out " + resumed, dir.path);
  BOOST_TEST(three.status != 0);
  BOOST_TEST(three.err.find("was written by a job of 2 processes; resume it with the same number (mpirun -np 2), "
                            "this job has 3") != std::string::npos,
             three.err);
  const Run alone = run(kBinary + " train --resume --steps 30 --out " + resumed, dir.path);
  BOOST_TEST(alone.status == 1);
  BOOST_TEST(alone.err.find("this job has 1") != std::string::npos, alone.err);
}

BOOST_AUTO_TEST_CASE(an_error_on_one_rank_ends_the_job) {
  // --out names a file: rank 0, the only writer, fails to create the folder while rank 1 has
  // gone on to the first step and waits for rank 0 there.
  TempDir dir("xgrad_ddp_abort");
  const std::string corpus = xg::testing::make_corpus(dir.path + "/corpus.txt", 20000);
  std::ofstream(dir.path + "/not_a_folder") << "x";
  const Run r = run(on_ranks(2) + train_args(corpus, dir.path + "/not_a_folder", 4, 20), dir.path);
  BOOST_TEST(r.status != 124, "the job hung: " << r.err);
  BOOST_TEST(r.status != 0);
  BOOST_TEST(r.err.find("xgrad rank 0: char_rnn: error: ") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(sigterm_on_mpirun_leaves_a_checkpoint_that_loads) {
  TempDir dir("xgrad_ddp_sigterm");
  const std::string corpus = xg::testing::make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string out = dir.path + "/run";
  const pid_t child = fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    // exec so that the SIGTERM below reaches mpirun itself, which forwards it to the ranks.
    const std::string command = "exec " + on_ranks(2) + train_args(corpus, out, 4, 1000000) + " >/dev/null 2>" +
                                dir.path + "/stderr";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first checkpoint (step 10), then let it train on a little.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!fs::exists(out + "/last.safetensors") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  const std::string err = slurp(dir.path + "/stderr");
  BOOST_REQUIRE_MESSAGE(fs::exists(out + "/last.safetensors"), err);
  BOOST_TEST(err.find("stopped by SIGTERM, checkpoint saved") != std::string::npos, err);
  const Run eval = run(kBinary + " eval --checkpoint " + out + "/last.safetensors", dir.path);
  BOOST_TEST(eval.status == 0, eval.err);
  BOOST_TEST(run(on_ranks(2) + " train --resume --steps 1 --out " + out, dir.path).status == 0);
}
