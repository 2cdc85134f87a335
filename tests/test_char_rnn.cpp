#define BOOST_TEST_MODULE char_rnn
// End-to-end tests of the char_rnn program (resume is bitwise, bad input fails cleanly, the
// progress line, early stopping, damaged and diverged checkpoints, exit statuses) and unit tests
// of its report code (plot ticks and range, progress line).
#include "test_helpers.hpp"
#include "char_rnn_harness.hpp"
#include "examples/char_rnn/report.hpp"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
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

// Runs the program with `args` (after `launcher`, e.g. "taskset -c 0 "), capturing stdout and stderr.
Run run(const std::string& args, const std::string& launcher = "") {
  static const TempDir dir("xgrad_char_rnn");  // removed at exit
  const std::string out = dir.file("stdout"), err = dir.file("stderr");
  const int raw = std::system((launcher + kBinary + " " + args + " >" + out + " 2>" + err).c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

const std::string kSmall = "--hidden 16 --embed 8 --layers 2 --dropout 0.1 --seq 8 --batch 4 --lr 0.01 --threads 1";

// The progress lines on stderr (those that start with "step ").
std::vector<std::string> progress_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("step ", 0) == 0) lines.push_back(line);
  return lines;
}

// A rejected command line: `args`, its exit status (2: usage, 1: runtime error) and what
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

BOOST_AUTO_TEST_CASE(default_threads_follow_the_cpus_the_process_may_use) {
  // Pinned to one CPU, the default (no --threads, no OMP/OPENBLAS_NUM_THREADS) is one thread,
  // whatever the machine has: two threads would only take turns on that CPU.
  cpu_set_t mask;
  BOOST_REQUIRE(sched_getaffinity(0, sizeof mask, &mask) == 0);
  int cpu = 0;
  while (!CPU_ISSET(cpu, &mask)) ++cpu;
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 5000);
  const Run r = run("train --data " + data + " --hidden 16 --embed 8 --layers 1 --seq 8 --batch 4 --steps 1 --out " +
                        dir.path + "/run",
                    "env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS taskset -c " + std::to_string(cpu) + " ");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.err.find(", 1 thread,") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(default_threads_follow_the_cgroup_cpu_quota) {
  // `docker run --cpus 1` on a many-core machine: a cgroup whose CPU quota is one CPU. The default
  // must be one thread (OpenBLAS's own default counts the cores and says 2 or more here).
  // Needs permission to create a cgroup (root, as CI runs); elsewhere there is nothing to test.
  const std::string pid = std::to_string(::getpid());
  struct Attempt {
    std::string dir, file, limit;
  };
  const Attempt attempts[] = {{"/sys/fs/cgroup/cpu/xgrad_test_" + pid, "cpu.cfs_quota_us", "100000"},  // v1
                              {"/sys/fs/cgroup/xgrad_test_" + pid, "cpu.max", "100000 100000"}};        // v2
  std::string group;
  for (const Attempt& a : attempts) {
    std::error_code ec;
    if (!fs::create_directory(a.dir, ec)) continue;
    std::ofstream(a.dir + "/" + a.file) << a.limit << std::flush;
    if (slurp(a.dir + "/" + a.file).find(a.limit) == 0) {
      group = a.dir;
      break;
    }
    fs::remove(a.dir, ec);
  }
  if (group.empty()) {
    BOOST_TEST_MESSAGE("cannot create a cgroup with a CPU quota here: the cgroup default is not tested");
    return;
  }
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 5000);
  const Run r = run("train --data " + data + " --hidden 16 --embed 8 --layers 1 --seq 8 --batch 4 --steps 1 --out " +
                        dir.path + "/run",
                    "env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS sh -c 'echo $$ > " + group +
                        "/cgroup.procs && exec \"$@\"' sh ");
  std::error_code ec;
  fs::remove(group, ec);  // empty again: the program has exited
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.err.find(", 1 thread,") != std::string::npos, r.err);
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
      {"train --data " + good + " --model transformer --out " + dir.path + "/o", 2,
       {"--model: must be rnn, lstm or gru, got 'transformer'"}},
      {"sample --checkpoint " + dir.path + "/missing.safetensors", 1, {"missing.safetensors"}},
      {"sample --checkpoint " + good, 1, {"corpus.txt"}},
      {"frobnicate", 2, {"subcommand"}},
  };
  for (const Rejected& c : cases) check_rejected(c);
}

BOOST_AUTO_TEST_CASE(bad_options_fail_with_one_clear_line) {
  // Ranges and names of train's and sample's options, --resume without a checkpoint or on other
  // text, and initial weights of another model size. The command line is checked while parsing
  // (exit 2); what only the files can tell exits 1, before any file is written.
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
      {base + "--optimizer adagrad --out " + dir.path + "/o", 2,
       {"--optimizer: must be adam, adamw, sgd or rmsprop, got 'adagrad'"}},
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

BOOST_AUTO_TEST_CASE(impossible_values_exit_2_and_help_documents_exit_statuses) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " --out " + dir.path + "/o ";
  const std::vector<Rejected> cases = {
      {base + "--steps 0", 2, {"--steps: must be positive, got 0"}},  // once silently 1000 steps
      {base + "--steps=-3", 2, {"--steps: must be positive, got -3"}},
      {base + "--minutes 0", 2, {"--minutes: must be positive, got 0"}},
      {base + "--patience 0", 2, {"--patience: must be positive, got 0"}},
      {base + "--eval-every 0", 2, {"--eval-every: must be positive, got 0"}},
      {base + "--lr 0", 2, {"--lr: must be positive, got 0"}},
      {base + "--lr=-0.01", 2, {"--lr: must be positive, got -0.01"}},
      {base + "--clip 0", 2, {"--clip: must be positive, got 0"}},
      {base + "--batch 0", 2, {"--batch: must be positive, got 0"}},
      {base + "--seq=-1", 2, {"--seq: must be positive, got -1"}},
      {base + "--embed 0", 2, {"--embed: must be positive, got 0"}},
      {base + "--layers 0", 2, {"--layers: must be positive, got 0"}},
      {base + "--threads 0", 2, {"--threads: must be positive, got 0"}},
      {base + "--hidden 1.5", 2, {"--hidden"}},
      {base + "--model transformer", 2, {"--model: must be rnn, lstm or gru, got 'transformer'"}},
      {"eval --checkpoint x.safetensors --val-fraction 0", 2, {"--val-fraction: must be in (0, 1), got 0"}},
      {"sample --checkpoint x.safetensors --length=-1", 2, {"--length: must be non-negative, got -1"}},
      {"sample", 2, {"--checkpoint is required"}},
  };
  for (const Rejected& c : cases) check_rejected(c);
  BOOST_TEST(!fs::exists(dir.path + "/o"), "a rejected run wrote its output folder");
  const Run help = run("train --help");
  BOOST_TEST(help.status == 0);
  for (const char* f : {"Exit status", "1 runtime error", "2 usage error", "--patience"})
    BOOST_TEST(help.out.find(f) != std::string::npos, "--help lacks '" << f << "': " << help.out);
}

BOOST_AUTO_TEST_CASE(progress_line_shows_latest_and_best_validation_loss) {
  // Plain lines (stderr is a file): one per evaluation, each "val <latest> (best <best> @<step>)",
  // within 80 columns; the final lines name the best step.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  Run r = run("train --data " + data + " " + kSmall + " --steps 300 --eval-every 100 --out " + dir.path + "/run");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  const std::vector<std::string> lines = progress_lines(r.err);
  BOOST_TEST_REQUIRE(lines.size() >= 4u, r.err);
  for (const std::string& line : lines) BOOST_TEST(line.size() <= 80u, "too wide: '" << line << "'");
  BOOST_TEST(lines.front().find("  val -  ") != std::string::npos, lines.front());  // before any evaluation
  std::size_t evaluations = 0;
  for (const std::string& line : lines) {
    const std::size_t at = line.find("  val ");
    if (line.compare(at + 6, 1, "-") == 0) continue;
    double val = 0, best = 0;
    long long best_step = 0;
    BOOST_TEST_REQUIRE(std::sscanf(line.c_str() + at, "  val %lf (best %lf @%lld)", &val, &best, &best_step) == 3, line);
    BOOST_TEST(best <= val);
    BOOST_TEST(best_step % 100 == 0);
    ++evaluations;
  }
  BOOST_TEST(evaluations >= 3u, r.err);
  // The latest line agrees with log.csv's last validation loss and best.safetensors's step.
  const std::string& last = lines.back();
  const SafetensorsFile best = load_safetensors(dir.path + "/run/best.safetensors");
  BOOST_TEST(last.find("@" + best.metadata.at("step") + ")") != std::string::npos, last);
  BOOST_TEST(r.err.find("best validation loss") != std::string::npos);
  BOOST_TEST(r.err.find(" at step " + best.metadata.at("step")) != std::string::npos, r.err);
}

namespace {
// A text whose training part is "ab" repeated and whose validation tenth is all "a": the better
// the model learns that a is followed by b, the worse it predicts the validation text, so the
// validation loss rises after the first evaluation (a deterministic "overfitting").
std::string make_diverging_corpus(const std::string& path) {
  std::string text;
  while (text.size() < 9000) text += "ab";
  text += std::string(1000, 'a');
  std::ofstream(path) << text;
  return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(patience_stops_early_saves_and_says_so) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_diverging_corpus(dir.path + "/ab.txt");
  const std::string base = "train --data " + data + " " + kSmall + " --eval-every 5 --out ";
  Run r = run(base + dir.path + "/run --steps 1000 --patience 2");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  BOOST_TEST(r.err.find("stopped early at step 15") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("early stop: no improvement in 2 evaluations (--patience 2)") != std::string::npos, r.err);
  BOOST_TEST(load_safetensors(dir.path + "/run/last.safetensors").metadata.at("step") == "15");
  BOOST_TEST(load_safetensors(dir.path + "/run/best.safetensors").metadata.at("step") == "5");
  // Without --patience the run goes on, and its end says the validation loss has been rising.
  Run full = run(base + dir.path + "/full --steps 30");
  BOOST_TEST_REQUIRE(full.status == 0, full.err);
  BOOST_TEST(full.err.find("done at step 30") != std::string::npos, full.err);
  BOOST_TEST(full.err.find("warning: overfitting: validation loss rose to") != std::string::npos, full.err);
  BOOST_TEST(full.err.find("over the last 5 evaluations") != std::string::npos, full.err);
  // A run whose validation loss keeps falling gets no warning.
  const std::string good = make_corpus(dir.path + "/corpus.txt", 20000);
  Run fine = run("train --data " + good + " " + kSmall + " --steps 30 --eval-every 10 --out " + dir.path + "/fine");
  BOOST_TEST_REQUIRE(fine.status == 0, fine.err);
  BOOST_TEST(fine.err.find("overfitting") == std::string::npos, fine.err);
}

namespace {
// Byte offset in `path` of the data of tensor `name` (parsed from the safetensors header).
std::size_t data_offset_of(const std::string& path, const std::string& name) {
  const std::string bytes = slurp(path);
  std::uint64_t header = 0;
  for (int i = 7; i >= 0; --i) header = (header << 8) | static_cast<unsigned char>(bytes[i]);
  const std::size_t entry = bytes.find("\"" + name + "\":{");
  BOOST_TEST_REQUIRE(entry < 8 + header, "no tensor " << name << " in " << path);
  const std::size_t offsets = bytes.find("\"data_offsets\":[", entry) + 16;
  return 8 + header + std::stoull(bytes.substr(offsets));
}
}  // namespace

BOOST_AUTO_TEST_CASE(checkpoint_with_a_damaged_optimizer_state_is_refused) {
  // 8 overwritten bytes in the Adam state of a checkpoint: every command that reads it refuses it
  // with the file and both checksums; the untouched best checkpoint still works.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " " + kSmall + " --eval-every 5 --out " + dir.path + "/run";
  Run r = run(base + " --steps 10");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  const std::string last = dir.path + "/run/last.safetensors";
  const std::size_t at = data_offset_of(last, "optimizer.state.0.exp_avg_sq") + 16;
  std::string bytes = slurp(last);
  BOOST_TEST_REQUIRE(at + 8 <= bytes.size());
  bytes.replace(at, 8, "\x3f\x80\x00\x00\x3f\x80\x00\x00", 8);  // two plausible floats (1.0f)
  std::ofstream(last, std::ios::binary | std::ios::trunc) << bytes;
  for (const std::string& args : {"eval --checkpoint " + last, "sample --checkpoint " + last, base + " --resume --steps 20"})
    check_rejected({args, 1, {last, "data checksum mismatch", "the header records crc32c", "but the data has"}});
  Run ok = run("eval --checkpoint " + dir.path + "/run/best.safetensors");
  BOOST_TEST(ok.status == 0, ok.err);
}

BOOST_AUTO_TEST_CASE(checkpoint_with_non_finite_weights_is_refused) {
  // A diverged model (NaN in one weight, Inf in another), saved with a valid checksum: sample and
  // eval refuse it (no "zzzz…" text, no nan loss with status 0), and so does --init-weights.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " " + kSmall;
  Run r = run(base + " --steps 5 --out " + dir.path + "/run");
  BOOST_TEST_REQUIRE(r.status == 0, r.err);
  const SafetensorsFile good = load_safetensors(dir.path + "/run/last.safetensors");
  for (const char* bad : {"nan", "inf"}) {
    BOOST_TEST_CONTEXT(bad) {
      StateDict tensors;
      for (const auto& [name, t] : good.tensors) {
        Tensor copy = t.clone();
        if (name == "rnn.weight_hh_l0") copy.set({3, 1}, std::string(bad) == "nan" ? NAN : -INFINITY);
        tensors.insert(name, copy);
      }
      const std::string broken = dir.path + "/" + bad + ".safetensors";
      save_safetensors(broken, tensors, good.metadata);
      const std::vector<std::string> said = {broken, "weight 'rnn.weight_hh_l0' has 1 non-finite value", "diverged"};
      check_rejected({"sample --checkpoint " + broken, 1, said});
      check_rejected({"eval --checkpoint " + broken, 1, said});
      check_rejected({base + " --steps 1 --init-weights " + broken + " --out " + dir.path + "/o", 1, said});
    }
  }
}

BOOST_AUTO_TEST_CASE(init_weights_accepts_a_training_checkpoint) {
  // --init-weights takes the model part of a full checkpoint (optimizer and carried state left
  // out): the initial weights it dumps are the checkpoint's, bit for bit.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const std::string base = "train --data " + data + " " + kSmall + " --out ";
  Run a = run(base + dir.path + "/a --steps 7");
  BOOST_TEST_REQUIRE(a.status == 0, a.err);
  const std::string checkpoint = dir.path + "/a/last.safetensors", dumped = dir.path + "/init.safetensors";
  Run b = run(base + dir.path + "/b --steps 2 --seed 99 --init-weights " + checkpoint + " --dump-init " + dumped);
  BOOST_TEST_REQUIRE(b.status == 0, b.err);
  const SafetensorsFile full = load_safetensors(checkpoint), init = load_safetensors(dumped);
  std::size_t compared = 0;
  for (const auto& [name, t] : full.tensors) {
    if (name.rfind("optimizer.", 0) == 0 || name.rfind("train.", 0) == 0) {
      BOOST_TEST(!init.tensors.contains(name), name);
      continue;
    }
    BOOST_TEST_REQUIRE(init.tensors.contains(name), name);
    const Tensor& u = init.tensors.at(name);
    BOOST_TEST(std::memcmp(t.raw_data(), u.raw_data(), static_cast<std::size_t>(t.numel()) * element_size(t.dtype())) == 0,
               "weight " << name << " differs from the checkpoint's");
    ++compared;
  }
  BOOST_TEST(compared == 11u);  // embedding, 2 layers × 4, fc weight and bias
  // A checkpoint of another vocabulary would map its rows to other characters: refused.
  const std::string other = make_diverging_corpus(dir.path + "/ab.txt");
  check_rejected({"train --data " + other + " " + kSmall + " --steps 1 --init-weights " + checkpoint + " --out " +
                      dir.path + "/o",
                  1, {"--init-weights", checkpoint, "vocabulary"}});
}

// ---- report code: plot ticks and range, progress line --------------------------------------

BOOST_AUTO_TEST_CASE(nice_ticks_value) {
  using char_rnn::nice_ticks;
  // The loss plot of issue #17 (losses 1.22–4.17, steps 0–2191): round ticks, not 1.22/1.81/2.40.
  BOOST_TEST(nice_ticks(1.22, 4.17, 7) == std::vector<double>({1, 2, 3, 4, 5}), boost::test_tools::per_element());
  BOOST_TEST(nice_ticks(0, 2191, 7) == std::vector<double>({0, 500, 1000, 1500, 2000, 2500}),
             boost::test_tools::per_element());
  auto close = [](const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::abs(a[i] - b[i]) > 1e-12) return false;
    return true;
  };
  BOOST_TEST(close(nice_ticks(1.43, 1.62, 7), {1.40, 1.45, 1.50, 1.55, 1.60, 1.65}));
  BOOST_TEST(close(nice_ticks(0, 1, 6), {0, 0.2, 0.4, 0.6, 0.8, 1.0}));
  BOOST_TEST(nice_ticks(-7, 13, 5) == std::vector<double>({-10, 0, 10, 20}), boost::test_tools::per_element());
  // Properties over many ranges: a 1-2-5 step, ticks on its multiples, covering [lo, hi], ≤ max.
  Generator g(17);
  for (int i = 0; i < 500; ++i) {
    const double scale = std::pow(10.0, static_cast<double>(g.randint(-3, 5)));
    const double lo = 4 * (g.uniform() - 0.5) * scale, span = (0.05 + g.uniform()) * scale;
    const int max_ticks = static_cast<int>(g.randint(3, 12));
    const std::vector<double> t = nice_ticks(lo, lo + span, max_ticks);
    BOOST_TEST_CONTEXT("[" << lo << ", " << lo + span << "] max " << max_ticks) {
      BOOST_TEST_REQUIRE(t.size() >= 2u);
      BOOST_TEST(t.size() <= static_cast<std::size_t>(max_ticks));
      BOOST_TEST(t.front() <= lo);
      BOOST_TEST(t.back() >= lo + span);
      const double step = t[1] - t[0];
      const double mantissa = step / std::pow(10.0, std::floor(std::log10(step) + 1e-9));
      BOOST_TEST((std::abs(mantissa - 1) < 1e-6 || std::abs(mantissa - 2) < 1e-6 || std::abs(mantissa - 5) < 1e-6),
                 "step " << step);
      for (double v : t) BOOST_TEST(std::abs(v / step - std::round(v / step)) < 1e-6, v << " is not a multiple of " << step);
    }
  }
}

BOOST_AUTO_TEST_CASE(nice_ticks_rejects_bad_range) {
  using char_rnn::nice_ticks;
  using xg::testing::check_throws;
  check_throws([] { nice_ticks(2, 1); }, {"nice_ticks", "lo <= hi"});
  check_throws([] { nice_ticks(NAN, 1); }, {"nice_ticks", "finite"});
  check_throws([] { nice_ticks(0, INFINITY); }, {"nice_ticks", "finite"});
  check_throws([] { nice_ticks(0, 1, 2); }, {"nice_ticks", "max_ticks >= 3"});
  // A single value is widened, not refused.
  const std::vector<double> t = char_rnn::nice_ticks(1.5, 1.5, 6);
  BOOST_TEST((t.front() < 1.5 && t.back() > 1.5));
}

namespace {
// A synthetic log: a spike to 4.17 at step 1, training loss falling to ~1.3, validation loss
// best at step 2200 (1.584) and rising to 1.617 by step 2600.
std::vector<char_rnn::LogRow> synthetic_log() {
  std::vector<char_rnn::LogRow> rows;
  for (std::int64_t s = 1; s <= 2600; ++s) {
    double train = s == 1 ? 4.17 : 1.3 + 1.2 * std::exp(-static_cast<double>(s) / 300.0);
    double val = NAN;
    if (s % 200 == 0) val = s <= 2200 ? 1.584 + 0.8 * std::exp(-static_cast<double>(s) / 300.0) - 0.8 * std::exp(-2200.0 / 300.0)
                                      : 1.584 + 0.033 * static_cast<double>(s - 2200) / 400.0;
    rows.push_back({s, static_cast<double>(s), train, val, 2e-3, 1e4});
  }
  return rows;
}
}  // namespace

BOOST_AUTO_TEST_CASE(plot_range_ignores_the_first_steps_spike) {
  const std::vector<char_rnn::LogRow> rows = synthetic_log();
  const auto [lo, hi] = char_rnn::plot_range(rows);
  BOOST_TEST(lo == 1.3 + 1.2 * std::exp(-2600.0 / 300.0), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(hi < 2.5);  // 4.17 at step 1 is left out; the validation losses (up to 2.2) are in
  BOOST_TEST(hi >= 1.584 + 0.8 * std::exp(-200.0 / 300.0) - 0.8 * std::exp(-2200.0 / 300.0) - 1e-12);
  // Nothing to plot: a unit range.
  BOOST_TEST((char_rnn::plot_range({}) == std::pair<double, double>(0, 1)));
}

BOOST_AUTO_TEST_CASE(loss_plot_has_axis_labels_round_ticks_and_the_best_point) {
  TempDir dir("xgrad_char_rnn_case");
  const std::string path = dir.path + "/loss.svg";
  char_rnn::write_loss_plot(path, synthetic_log());
  const std::string svg = slurp(path);
  for (const char* f : {">training step</text>", ">cross-entropy loss (nats/char)</text>", "rotate(-90)",
                        ">best 1.584 @2200</text>", "<circle", "off scale: train loss up to 4.17 (step 1)",
                        ">1000</text>", ">3000</text>", ">1.6</text>", ">2.2</text>", "clip-path='url(#area)'"})
    BOOST_TEST(svg.find(f) != std::string::npos, "loss.svg lacks " << f);
  BOOST_TEST(svg.find(">1095<") == std::string::npos);
  BOOST_TEST(svg.find(">4.") == std::string::npos, "the y axis still reaches the spike");
}

BOOST_AUTO_TEST_CASE(format_progress_value) {
  char_rnn::ProgressFields f;
  f.step = 2400, f.total = 5000, f.train_loss = 1.5234, f.val_loss = 1.6171, f.best_val = 1.5843, f.best_step = 2200;
  f.chars_per_s = 12345, f.eta_s = 185;  // 78 columns: a 79-column terminal line holds it
  BOOST_TEST(char_rnn::format_progress(f) ==
             "step 2400/5000  train 1.523  val 1.617 (best 1.584 @2200)  12k ch/s  ETA 3m05s");
  f.best_step = -1;  // a checkpoint from before the best step was recorded
  BOOST_TEST(char_rnn::format_progress(f).find("val 1.617 (best 1.584)  12k ch/s") != std::string::npos);
  f.val_loss = NAN, f.total = 0, f.eta_s = NAN;  // before the first evaluation, time budget only
  BOOST_TEST(char_rnn::format_progress(f) == "step 2400  train 1.523  val -  12k ch/s  ETA ?");
  f.chars_per_s = 9549;  // below 10k: one decimal
  BOOST_TEST(char_rnn::format_progress(f).find("  9.5k ch/s  ") != std::string::npos);
  // Huge numbers still fit: first the spacing goes, then the speed, then the ETA.
  f = {};
  f.step = 123456789, f.total = 999999999, f.train_loss = 12.345, f.val_loss = 11.5, f.best_val = 10.25;
  f.best_step = 123456000, f.chars_per_s = 9.9e9, f.eta_s = 3.6e7;
  for (std::size_t width : {80u, 79u, 60u, 40u}) {
    const std::string line = char_rnn::format_progress(f, width);
    BOOST_TEST(line.size() <= width, line);
    BOOST_TEST(line.rfind("step 123456789/999999999", 0) == 0, line);
  }
  BOOST_TEST(char_rnn::format_progress(f, 80).find("val 11.500 (best 10.250 @123456000)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(diverging_training_stops_with_an_error) {
  // An absurd learning rate overflows the weights within a few steps; the run stops with status 1
  // at the first non-finite loss, before that step updates anything, so no checkpoint holds NaN.
  TempDir dir("xgrad_char_rnn_case");
  const std::string data = make_corpus(dir.path + "/corpus.txt", 20000);
  const Run r = run("train --data " + data + " --hidden 16 --embed 8 --seq 8 --batch 4 --threads 1 --optimizer sgd " +
                    "--lr 1e37 --steps 50 --eval-every 1 --out " + dir.path + "/run");
  BOOST_TEST(r.status == 1, r.err);
  const std::string last_line = r.err.substr(r.err.rfind('\n', r.err.size() - 2) + 1);
  BOOST_TEST(last_line.rfind("char_rnn: error: training diverged: the loss of step ", 0) == 0, r.err);
  BOOST_TEST((last_line.find("nan") != std::string::npos || last_line.find("inf") != std::string::npos), last_line);
  BOOST_TEST(last_line.find("--lr") != std::string::npos, last_line);
  const std::string last = dir.path + "/run/last.safetensors";
  if (fs::exists(last)) {
    const SafetensorsFile f = load_safetensors(last);
    for (const auto& [name, t] : f.tensors)
      for (double v : t.to_vector()) BOOST_TEST_REQUIRE(std::isfinite(v), name << " holds " << v);
  }
}
