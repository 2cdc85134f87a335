#define BOOST_TEST_MODULE nn_parity
#include "test_helpers.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

using namespace xg;

// Parity with PyTorch 1.13: replays tests/fixtures/nn/*.safetensors, written by
// tools/make_nn_fixtures.py. For every case the module is built from the file's
// metadata, its parameters are loaded with a strict load_state_dict (so our
// parameter names must equal PyTorch's), the forward outputs are compared, then
// L = Σ_o Σ w_o ⊙ out_o is backpropagated (out_o.backward(w_o), retaining the
// graph between outputs) and the gradients of every float input and every
// parameter are compared.
//
// Tolerance per element: |ours − torch| ≤ atol + rtol·|torch| with
//   float32: rtol 1e-5, atol 1e-6;   float64: rtol 1e-10, atol 1e-12.
// The reported "relative error" is |ours − torch| / max(|torch|, atol/rtol):
// relative where the value is not tiny, absolute (scaled) where it is.

namespace {

struct Tolerance {
  double rtol, atol;
};
Tolerance tolerance_for(Dtype dtype) {
  return dtype == kFloat32 ? Tolerance{1e-5, 1e-6} : Tolerance{1e-10, 1e-12};
}

/// What replaying cases found: failures as messages, plus the largest errors.
struct Report {
  std::vector<std::string> failures;
  int cases = 0;
  std::int64_t elements = 0;
  double max_rel = 0, max_abs = 0;
  std::string max_rel_where;

  void merge(const Report &r) {
    failures.insert(failures.end(), r.failures.begin(), r.failures.end());
    cases += r.cases;
    elements += r.elements;
    max_abs = std::max(max_abs, r.max_abs);
    if (r.max_rel > max_rel) {
      max_rel = r.max_rel;
      max_rel_where = r.max_rel_where;
    }
  }
};

std::map<Dtype, Report> &totals() {
  static std::map<Dtype, Report> t;
  return t;
}

void compare(const std::string &what, const Tensor &actual,
             const Tensor &expected, Report &report) {
  if (!actual.defined()) {
    report.failures.push_back(what + ": ours is undefined");
    return;
  }
  if (actual.shape() != expected.shape()) {
    report.failures.push_back(what + ": shape " + shape_str(actual.shape()) +
                              " vs PyTorch " + shape_str(expected.shape()));
    return;
  }
  if (actual.dtype() != expected.dtype()) {
    report.failures.push_back(what + ": dtype " + dtype_name(actual.dtype()) +
                              " vs PyTorch " + dtype_name(expected.dtype()));
    return;
  }
  const Tolerance tol = tolerance_for(expected.dtype());
  const auto a = actual.to_vector();
  const auto b = expected.to_vector();
  int bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - b[i]);
    const double rel = err / std::max(std::abs(b[i]), tol.atol / tol.rtol);
    report.max_abs = std::max(report.max_abs, err);
    if (!(rel <= report.max_rel)) { // also catches NaN
      report.max_rel = std::isnan(rel) ? INFINITY : rel;
      report.max_rel_where = what + "[" + std::to_string(i) + "]";
    }
    if (!(err <= tol.atol + tol.rtol * std::abs(b[i])) && bad++ < 3) {
      std::ostringstream os;
      os.precision(17);
      os << what << " element " << i << ": ours " << a[i] << " vs PyTorch "
         << b[i];
      report.failures.push_back(os.str());
    }
  }
  report.elements += static_cast<std::int64_t>(a.size());
}

/// One case of a fixture file: the tensors and metadata under "case<k>.",
/// prefix stripped.
struct Case {
  std::string name;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> options;

  const std::string &option(const std::string &key) const {
    auto it = options.find(key);
    if (it == options.end())
      throw std::runtime_error(name + ": no option '" + key + "'");
    return it->second;
  }
  std::int64_t int_option(const std::string &key) const {
    return std::stoll(option(key));
  }
  bool flag(const std::string &key) const { return option(key) == "1"; }
  bool has(const std::string &key) const { return tensors.count(key) != 0; }
  const Tensor &tensor(const std::string &key) const {
    auto it = tensors.find(key);
    if (it == tensors.end())
      throw std::runtime_error(name + ": no tensor '" + key + "'");
    return it->second;
  }
  /// Entries "<prefix><rest>" as {rest: tensor}, in name order.
  std::map<std::string, Tensor> with_prefix(const std::string &prefix) const {
    std::map<std::string, Tensor> out;
    for (const auto &[key, t] : tensors)
      if (key.compare(0, prefix.size(), prefix) == 0)
        out.emplace(key.substr(prefix.size()), t);
    return out;
  }
};

std::vector<Case> load_cases(const std::string &file) {
  const SafetensorsFile f =
      load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/nn/" + file);
  const int n = std::stoi(f.metadata.at("cases"));
  std::vector<Case> cases(static_cast<std::size_t>(n));
  for (int k = 0; k < n; ++k)
    cases[static_cast<std::size_t>(k)].name =
        file + " case" + std::to_string(k);
  auto split = [&](const std::string &key, std::string &rest) -> Case * {
    if (key.compare(0, 4, "case") != 0 || key.size() < 5 ||
        !std::isdigit(static_cast<unsigned char>(key[4])))
      return nullptr; // e.g. the "cases" count
    const std::size_t dot = key.find('.');
    const int k = std::stoi(key.substr(4, dot - 4));
    rest = key.substr(dot + 1);
    return &cases.at(static_cast<std::size_t>(k));
  };
  std::string rest;
  for (const auto &[key, t] : f.tensors)
    if (Case *c = split(key, rest))
      c->tensors.emplace(rest, t);
  for (const auto &[key, v] : f.metadata)
    if (Case *c = split(key, rest))
      c->options.emplace(rest, v);
  return cases;
}

nn::Nonlinearity nonlinearity(const Case &c) {
  const std::string &s = c.option("nonlinearity");
  if (s == "tanh")
    return nn::kTanh;
  if (s == "relu")
    return nn::kReLU;
  throw std::runtime_error(c.name + ": unknown nonlinearity " + s);
}

Reduction reduction(const Case &c) {
  const std::string &s = c.option("reduction");
  if (s == "none")
    return Reduction::None;
  if (s == "mean")
    return Reduction::Mean;
  if (s == "sum")
    return Reduction::Sum;
  throw std::runtime_error(c.name + ": unknown reduction " + s);
}

using Inputs = std::map<std::string, Tensor>;
using Outputs = std::map<std::string, Tensor>;

/// The module described by the case's metadata, and how to call it.
struct Built {
  std::shared_ptr<nn::Module> module;
  std::function<Outputs(const Inputs &)> forward;
};

Tensor optional_input(const Inputs &in, const std::string &name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

Built build(const Case &c, Dtype dtype) {
  const std::string &type = c.option("module");
  if (type == "Linear") {
    auto m = std::make_shared<nn::Linear>(
        nn::LinearOptions(c.int_option("in_features"), c.int_option("out_features"))
            .bias(c.flag("bias")));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "RNNCell") {
    auto m = std::make_shared<nn::RNNCell>(
        nn::RNNCellOptions(c.int_option("input_size"), c.int_option("hidden_size"))
            .bias(c.flag("bias"))
            .nonlinearity(nonlinearity(c)));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"),
                                                   optional_input(in, "h0"))}};
            }};
  }
  if (type == "RNN") {
    auto m = std::make_shared<nn::RNN>(
        nn::RNNOptions(c.int_option("input_size"), c.int_option("hidden_size"))
            .num_layers(c.int_option("num_layers"))
            .nonlinearity(nonlinearity(c))
            .bias(c.flag("bias"))
            .batch_first(c.flag("batch_first"))
            .bidirectional(c.flag("bidirectional"))
            .dropout(std::stod(c.option("dropout"))));
    m->train(c.flag("training"));
    return {m, [m](const Inputs &in) {
              auto [output, h_n] =
                  m->forward(in.at("input"), optional_input(in, "h0"));
              return Outputs{{"output", output}, {"h_n", h_n}};
            }};
  }
  if (type == "Embedding") {
    const std::string &p = c.option("padding_idx");
    std::optional<std::int64_t> padding;
    if (p != "none")
      padding = std::stoll(p);
    auto m = std::make_shared<nn::Embedding>(
        nn::EmbeddingOptions(c.int_option("num_embeddings"), c.int_option("embedding_dim"))
            .padding_idx(padding));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "Softmax" || type == "LogSoftmax") {
    std::shared_ptr<nn::Module> m;
    if (type == "Softmax")
      m = std::make_shared<nn::Softmax>(c.int_option("dim"));
    else
      m = std::make_shared<nn::LogSoftmax>(c.int_option("dim"));
    return {m, [m](const Inputs &in) {
              return Outputs{{"output", m->forward(in.at("input"))}};
            }};
  }
  if (type == "CrossEntropyLoss") {
    CrossEntropyOptions o;
    o.reduction(reduction(c))
        .ignore_index(c.int_option("ignore_index"))
        .label_smoothing(std::stod(c.option("label_smoothing")));
    // The class weight is a buffer named "weight", as in PyTorch: it arrives
    // with load_state_dict.
    if (c.flag("weight"))
      o.weight(zeros({c.int_option("classes")}, dtype));
    auto m = std::make_shared<nn::CrossEntropyLoss>(o);
    return {m, [m](const Inputs &in) {
              return Outputs{
                  {"output", m->forward(in.at("input"), in.at("target"))}};
            }};
  }
  throw std::runtime_error(c.name + ": unknown module " + type);
}

/// Scales the first element of the first parameter by (1 + perturbation) after
/// loading.
Report run_case(const Case &c, Dtype dtype, double perturbation = 0.0) {
  Report report;
  report.cases = 1;
  Built b = build(c, dtype);
  b.module->to(dtype);
  StateDict params;
  for (const auto &[name, t] : c.with_prefix("param."))
    params.insert(name, t);
  try {
    b.module->load_state_dict(params, /*strict=*/true);
  } catch (const std::exception &e) {
    report.failures.push_back(c.name + ": " + e.what());
    return report;
  }
  if (perturbation != 0.0) {
    Tensor p = b.module->parameters().at(0);
    const std::vector<std::int64_t> first(static_cast<std::size_t>(p.dim()), 0);
    p.set(first, p.at(first) * (1 + perturbation));
  }

  // Fresh leaves (copies of the file's tensors) for the forward's arguments.
  Inputs inputs;
  for (const char *name : {"input", "h0", "target"}) {
    if (!c.has(name))
      continue;
    Tensor t = c.tensor(name).detach().clone();
    if (c.has(std::string("grad.") + name))
      t.requires_grad_();
    inputs.emplace(name, t);
  }
  const Outputs outputs = b.forward(inputs);

  const auto expected = c.with_prefix("out.");
  const auto weights = c.with_prefix("w.");
  if (expected.size() != outputs.size())
    report.failures.push_back(c.name + ": " + std::to_string(outputs.size()) +
                              " outputs vs PyTorch's " +
                              std::to_string(expected.size()));
  std::size_t done = 0;
  for (const auto &[name, out] : outputs) {
    if (!expected.count(name)) {
      report.failures.push_back(c.name + ": PyTorch has no output " + name);
      continue;
    }
    compare(c.name + " out." + name, out, expected.at(name), report);
    try {
      out.backward(weights.at(name), /*retain_graph=*/++done < outputs.size());
    } catch (const std::exception &e) {
      report.failures.push_back(c.name + " backward of " + name + ": " +
                                e.what());
    }
  }

  for (const auto &[name, grad] : c.with_prefix("grad.")) {
    if (name.compare(0, 6, "param.") == 0)
      continue;
    compare(c.name + " grad." + name, inputs.at(name).grad(), grad, report);
  }
  const auto param_grads = c.with_prefix("grad.param.");
  for (const auto &[name, p] : b.module->named_parameters()) {
    if (!param_grads.count(name)) {
      report.failures.push_back(c.name +
                                ": no PyTorch gradient for parameter " + name);
      continue;
    }
    compare(c.name + " grad.param." + name, p.grad(), param_grads.at(name),
            report);
  }
  return report;
}

Report run_file(const std::string &file, Dtype dtype) {
  Report total;
  for (const Case &c : load_cases(file)) {
    BOOST_TEST_CONTEXT(c.name << " " << [&] {
      std::string s;
      for (const auto &[k, v] : c.options)
        s += k + "=" + v + " ";
      return s;
    }()) {
      Report r = run_case(c, dtype);
      for (const std::string &f : r.failures)
        BOOST_ERROR(f);
      total.merge(r);
    }
  }
  BOOST_TEST(total.cases > 0, file << " has no case");
  std::ostringstream os;
  os << file << ": " << total.cases << " cases, " << total.elements
     << " values compared, largest relative error " << total.max_rel << " ("
     << total.max_rel_where << "), largest absolute error " << total.max_abs;
  BOOST_TEST_MESSAGE(os.str());
  totals()[dtype].merge(total);
  return total;
}

void run_family(const std::string &family,
                std::initializer_list<Dtype> dtypes) {
  for (Dtype d : dtypes)
    run_file(family + "_" + (d == kFloat32 ? "float32" : "float64") +
                 ".safetensors",
             d);
}

} // namespace

BOOST_AUTO_TEST_CASE(linear_matches_pytorch) {
  run_family("linear", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(rnn_cell_matches_pytorch) {
  run_family("rnn_cell", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(rnn_matches_pytorch) {
  // {1, 2 layers} × {tanh, relu} × batch_first × bidirectional × bias with a
  // given h0, then default h0, unbatched input and inter-layer dropout switched
  // off by eval().
  run_family("rnn", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(embedding_matches_pytorch) {
  run_family("embedding", {kFloat64});
}

BOOST_AUTO_TEST_CASE(softmax_log_softmax_match_pytorch) {
  run_family("softmax", {kFloat64});
}

BOOST_AUTO_TEST_CASE(cross_entropy_matches_pytorch) {
  run_family("cross_entropy", {kFloat32, kFloat64});
}

BOOST_AUTO_TEST_CASE(parity_detects_a_perturbed_weight) {
  // Negative control: the same replay with one weight scaled by (1 + δ) must
  // report mismatches, for δ far below what a real bug would cause (1e-4 in
  // float32, 1e-8 in float64).
  for (const auto &[file, dtype, delta] :
       {std::make_tuple("rnn_float32.safetensors", kFloat32, 1e-4),
        std::make_tuple("rnn_float64.safetensors", kFloat64, 1e-8),
        std::make_tuple("linear_float64.safetensors", kFloat64, 1e-8)}) {
    const Case c = load_cases(file).at(0);
    BOOST_TEST(run_case(c, dtype).failures.empty(),
               file << " case0 must pass unperturbed");
    const Report r = run_case(c, dtype, delta);
    BOOST_TEST(!r.failures.empty(), file << " case0 with weight scaled by 1+"
                                         << delta << " was not caught");
  }
}

// Prints the totals per dtype once every selected case has run (also to stdout,
// so the numbers show with --log_level=message and in ctest's verbose output).
struct ParitySummary {
  void setup() {}
  void teardown() {
    for (const auto &[dtype, r] : totals()) {
      const Tolerance tol = tolerance_for(dtype);
      std::ostringstream os;
      os << "nn parity " << dtype_name(dtype) << ": " << r.cases << " cases, "
         << r.elements << " values, largest relative error " << r.max_rel
         << " at " << r.max_rel_where << " (tolerance rtol " << tol.rtol
         << ", atol " << tol.atol << "), largest absolute error " << r.max_abs
         << ", " << r.failures.size() << " mismatches";
      BOOST_TEST_MESSAGE(os.str());
      std::cout << os.str() << std::endl;
    }
  }
};
BOOST_TEST_GLOBAL_FIXTURE(ParitySummary);
