#define BOOST_TEST_MODULE char_rnn
// End-to-end tests of the char_rnn program: resume is bitwise, bad input fails cleanly.
#include "test_helpers.hpp"
#include "char_rnn_harness.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace xg;
using xg::testing::make_corpus;
using xg::testing::slurp;
using xg::testing::TempDir;
namespace fs = std::filesystem;

namespace {
const std::string kBinary = XGRAD_CHAR_RNN_BIN;

struct Run {
  int status;
  std::string out, err;
};

// Runs the program with `args`, capturing stdout and stderr.
Run run(const std::string& args) {
  const std::string dir = fs::temp_directory_path() / ("xgrad_char_rnn_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const int raw = std::system((kBinary + " " + args + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

const std::string kSmall = "--hidden 16 --embed 8 --layers 2 --dropout 0.1 --seq 8 --batch 4 --lr 0.01 --threads 1";

// A rejected command line: `args`, its exit status (1, or 2 for a CLI11 parse error) and what
// the one line on stderr must contain.
struct Rejected {
  std::string args;
  int status;
  std::vector<std::string> fragments;
};

// The run exited with the expected status and wrote exactly one line, "char_rnn: error: …",
// naming the offending option or file and value.
void check_rejected(const Rejected& c) {
  BOOST_TEST_CONTEXT(c.args) {
    const Run r = run(c.args);
    BOOST_TEST(r.status == c.status, "stderr: " << r.err);
    BOOST_TEST(r.err.rfind("char_rnn: error: ", 0) == 0, "stderr: " << r.err);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1, "stderr: " << r.err);
    for (const std::string& f : c.fragments) BOOST_TEST(r.err.find(f) != std::string::npos, "stderr lacks '" << f << "': " << r.err);
  }
}
}  // namespace

BOOST_AUTO_TEST_CASE(resume_continues_bitwise_identically) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " " + kSmall + " --eval-every 1000 --seed 3 ";
  Run straight = run(base + "--steps 2000 --out " + dir.path + "/straight");
  BOOST_TEST_REQUIRE(straight.status == 0, straight.err);
  Run first = run(base + "--steps 1000 --out " + dir.path + "/resumed");
  BOOST_TEST_REQUIRE(first.status == 0, first.err);
  Run second = run(base + "--steps 2000 --resume --out " + dir.path + "/resumed");
  BOOST_TEST_REQUIRE(second.status == 0, second.err);
  BOOST_TEST(second.err.find("resumed at step 1000") != std::string::npos);

  const SafetensorsFile a = load_safetensors(dir.path + "/straight/last.safetensors");
  const SafetensorsFile b = load_safetensors(dir.path + "/resumed/last.safetensors");
  BOOST_TEST_REQUIRE(a.tensors.size() == b.tensors.size());
  BOOST_TEST(a.tensors.contains("rnn.weight_hh_l1"));
  BOOST_TEST(a.tensors.contains("optimizer.state.0.exp_avg"));
  for (const auto& [name, t] : a.tensors) {
    const Tensor& u = b.tensors.at(name);
    BOOST_TEST_REQUIRE(t.numel() == u.numel());
    BOOST_TEST(std::memcmp(t.raw_data(), u.raw_data(), static_cast<std::size_t>(t.numel()) * element_size(t.dtype())) == 0,
               "tensor " << name << " differs after resume");
  }
  BOOST_TEST(a.metadata.at("rng") == b.metadata.at("rng"));
  BOOST_TEST(a.metadata.at("data_position") == b.metadata.at("data_position"));
}

BOOST_AUTO_TEST_CASE(training_learns_writes_logs_and_samples) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  Run r = run("train --data " + data + " " + kSmall + " --steps 300 --eval-every 100 --out " + dir.path + "/run");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  for (const char* f : {"last.safetensors", "best.safetensors", "log.csv", "loss.svg"})
    BOOST_TEST(fs::exists(dir.path + "/run/" + f), f);
  // The vocabulary has 24 symbols: a model that learnt nothing scores ln 24 ≈ 3.18 nats/char.
  Run e = run("eval --checkpoint " + dir.path + "/run/best.safetensors --data " + data);
  BOOST_TEST_REQUIRE(e.status == 0, e.err);
  const double loss = std::stod(e.out.substr(e.out.find(':') + 1));
  BOOST_TEST(loss < 2.2, e.out);
  Run s = run("sample --checkpoint " + dir.path + "/run/best.safetensors --length 200 --prime ROMEO: --seed 5");
  BOOST_TEST_REQUIRE(s.status == 0, s.err);
  BOOST_TEST(s.out.rfind("ROMEO:", 0) == 0);
  BOOST_TEST(s.out.size() >= 206u);
  Run again = run("sample --checkpoint " + dir.path + "/run/best.safetensors --length 200 --prime ROMEO: --seed 5");
  BOOST_TEST(again.out == s.out);  // same seed, same text
}

BOOST_AUTO_TEST_CASE(bad_input_fails_with_one_clear_line) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string good = make_corpus(dir.path + "/corpus.txt", 20000);
  std::ofstream(dir.path + "/empty.txt").close();
  std::ofstream(dir.path + "/short.txt") << "tiny text";
  std::ofstream(dir.path + "/latin1.txt") << "caf\xe9 au lait, plenty more text here to be long enough";
  // Well-formed-looking but invalid UTF-8 (a UTF-16 surrogate), which the first validator let through.
  std::ofstream(dir.path + "/surrogate.txt") << "abc\xed\xa0\x80 def, plenty more text here to be long enough";
  const std::vector<Rejected> cases = {
      {"train --data " + dir.path + "/missing.txt --out " + dir.path + "/o", 1, {"cannot open data file"}},
      {"train --data " + dir.path + "/empty.txt --out " + dir.path + "/o", 1, {"is empty"}},
      {"train --data " + dir.path + "/short.txt --out " + dir.path + "/o", 1, {"too short"}},
      {"train --data " + dir.path + "/latin1.txt --out " + dir.path + "/o", 1, {"not valid UTF-8"}},
      {"train --data " + dir.path + "/surrogate.txt --out " + dir.path + "/o", 1, {"offset 3"}},
      {"train --data " + good + " --seq 9223372036854775807 --out " + dir.path + "/o", 1, {"too short"}},
      {"train --data " + good + " --hidden -5", 2, {"--hidden: must be positive, got -5"}},
      {"train --data " + good + " --frobnicate 3", 2, {"frobnicate"}},
      {"train --data " + good + " --model transformer --out " + dir.path + "/o", 1, {"--model", "transformer"}},
      {"sample --checkpoint " + dir.path + "/missing.safetensors", 1, {"missing.safetensors"}},
      {"sample --checkpoint " + good, 1, {"corpus.txt"}},
      {"frobnicate", 2, {"subcommand"}},
  };
  for (const Rejected& c : cases) check_rejected(c);
}

BOOST_AUTO_TEST_CASE(bad_options_fail_with_one_clear_line) {
  // Ranges and names of train's and sample's options, --resume without a checkpoint or on other
  // text, and initial weights of another model size. Ranges are checked while parsing (exit 2);
  // what only the program can check exits 1, before any file is written.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string other = dir.path + "/other.txt";
  std::ofstream(other) << slurp(data) << "queen king ";  // same vocabulary, other text
  const std::string base = "train --data " + data + " --embed 8 --layers 2 --seq 8 --batch 4 --threads 1 ";
  const std::string run_dir = dir.path + "/run", init = dir.path + "/init.safetensors";
  Run trained = run(base + "--hidden 16 --steps 3 --dump-init " + init + " --out " + run_dir);
  BOOST_TEST_REQUIRE(trained.status == 0, trained.err);
  const std::string checkpoint = run_dir + "/last.safetensors";

  const std::vector<Rejected> cases = {
      {base + "--val-fraction 1.5", 2, {"--val-fraction: must be in (0, 1), got 1.5"}},
      {base + "--val-fraction=-0.1", 2, {"--val-fraction: must be in (0, 1), got -0.1"}},
      {base + "--val-fraction 0", 2, {"--val-fraction: must be in (0, 1), got 0"}},
      {base + "--val-fraction 1", 2, {"--val-fraction: must be in (0, 1), got 1"}},
      {base + "--dropout 1.5", 2, {"--dropout: must be in [0, 1], got 1.5"}},
      {base + "--dropout=-0.5", 2, {"--dropout: must be in [0, 1], got -0.5"}},
      {base + "--dropout nan", 2, {"--dropout: must be in [0, 1], got nan"}},
      {base + "--optimizer adagrad --out " + dir.path + "/o", 1, {"--optimizer", "'adagrad'"}},
      {base + "--resume --out " + dir.path + "/nothing", 1, {"--resume", dir.path + "/nothing/last.safetensors"}},
      {"train --data " + other + " --resume --out " + run_dir, 1, {"--resume", other, "not the text", data}},
      {base + "--hidden 32 --init-weights " + init + " --out " + dir.path + "/o", 1,
       {"--init-weights", init, "size mismatch", "rnn.weight_hh_l0"}},
      {"sample --checkpoint " + checkpoint + " --temperature 0", 2, {"--temperature: must be positive, got 0"}},
      {"sample --checkpoint " + checkpoint + " --temperature=-1", 2, {"--temperature: must be positive, got -1"}},
      {"sample --checkpoint " + checkpoint + " --temperature nan", 2, {"--temperature: must be positive, got nan"}},
  };
  for (const Rejected& c : cases) check_rejected(c);
  BOOST_TEST(!fs::exists(dir.path + "/o"), "a rejected run wrote its output folder");

  // The same text under another spelling of its path resumes; once the file changes it does not.
  Run same = run("train --data " + dir.path + "/./corpus.txt --resume --steps 5 --out " + run_dir);
  BOOST_TEST(same.status == 0, same.err);
  BOOST_TEST(same.err.find("resumed at step 3") != std::string::npos, same.err);
  std::ofstream(data, std::ios::app) << "love ";
  check_rejected({"train --resume --steps 8 --out " + run_dir, 1, {"--resume", "corpus.txt", "not the text"}});
}

BOOST_AUTO_TEST_CASE(checkpoint_of_another_vocabulary_is_refused) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  Run r = run("train --data " + data + " " + kSmall + " --steps 5 --out " + dir.path + "/run");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  std::ofstream(dir.path + "/other.txt") << std::string(5000, 'x') + "ZQJ#@";
  Run e = run("eval --checkpoint " + dir.path + "/run/last.safetensors --data " + dir.path + "/other.txt");
  BOOST_TEST(e.status != 0);
  BOOST_TEST(e.err.find("not in the model's vocabulary") != std::string::npos, e.err);
}
