#pragma once
// The one replay of PyTorch parity fixtures, shared by test_nn_parity and test_nn_lstm_gru.
//
// A fixture file tests/fixtures/<dir>/<family>_<dtype>.safetensors (written by a generator in
// tools/) holds cases "case<k>.<name>": metadata options (module, sizes, flags), the inputs
// ("input", "input1", "input2", "h0", "c0", "target"), PyTorch's parameters ("param.<name>"),
// outputs ("out.<o>"), random output weights ("w.<o>") and gradients ("grad.<input>",
// "grad.param.<name>"). For every case the module is built from the metadata (by the test's
// Builder), PyTorch's parameters are loaded with a strict load_state_dict (so our parameter names
// must equal PyTorch's), the outputs are compared, L = Σ_o Σ w_o ⊙ out_o is backpropagated and
// the gradients of every float input and every parameter are compared.
//
// Tolerance per element: |ours − torch| ≤ atol + rtol·|torch| with
//   float32: rtol 1e-5, atol 1e-6;   float64: rtol 1e-10, atol 1e-12.
// The reported "relative error" is |ours − torch| / max(|torch|, atol/rtol).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_helpers.hpp"

namespace xg::testing::parity {

struct Tolerance {
  double rtol, atol;
};
inline Tolerance tolerance_for(Dtype dtype) { return dtype == kFloat32 ? Tolerance{1e-5, 1e-6} : Tolerance{1e-10, 1e-12}; }

/// What replaying cases found: failures as messages, plus the largest errors.
struct Report {
  std::vector<std::string> failures;
  int cases = 0;
  std::int64_t elements = 0;
  double max_rel = 0, max_abs = 0;
  std::string max_rel_where;

  void merge(const Report& r) {
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

/// Every replayed case's report, per dtype (for a summary at the end of the run).
inline std::map<Dtype, Report>& totals() {
  static std::map<Dtype, Report> t;
  return t;
}

inline void compare(const std::string& what, const Tensor& actual, const Tensor& expected, Report& report) {
  if (!actual.defined()) return report.failures.push_back(what + ": ours is undefined");
  if (actual.shape() != expected.shape() || actual.dtype() != expected.dtype())
    return report.failures.push_back(what + ": " + shape_str(actual.shape()) + " " + dtype_name(actual.dtype()) +
                                     " vs PyTorch " + shape_str(expected.shape()) + " " + dtype_name(expected.dtype()));
  const Tolerance tol = tolerance_for(expected.dtype());
  const auto a = actual.to_vector(), b = expected.to_vector();
  int bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double err = std::abs(a[i] - b[i]);
    const double rel = err / std::max(std::abs(b[i]), tol.atol / tol.rtol);
    report.max_abs = std::max(report.max_abs, err);
    if (!(rel <= report.max_rel)) {  // also catches NaN
      report.max_rel = std::isnan(rel) ? INFINITY : rel;
      report.max_rel_where = what + "[" + std::to_string(i) + "]";
    }
    if (!(err <= tol.atol + tol.rtol * std::abs(b[i])) && bad++ < 3) {
      std::ostringstream os;
      os.precision(17);
      os << what << " element " << i << ": ours " << a[i] << " vs PyTorch " << b[i];
      report.failures.push_back(os.str());
    }
  }
  report.elements += static_cast<std::int64_t>(a.size());
}

/// One case of a fixture file: the tensors and metadata under "case<k>.", prefix stripped.
struct Case {
  std::string name;
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> options;

  const std::string& option(const std::string& key) const {
    auto it = options.find(key);
    if (it == options.end()) throw std::runtime_error(name + ": no option '" + key + "'");
    return it->second;
  }
  std::int64_t int_option(const std::string& key) const { return std::stoll(option(key)); }
  bool flag(const std::string& key) const { return option(key) == "1"; }
  bool has(const std::string& key) const { return tensors.count(key) != 0; }
  /// Entries "<prefix><rest>" as {rest: tensor}, in name order.
  std::map<std::string, Tensor> with_prefix(const std::string& prefix) const {
    std::map<std::string, Tensor> out;
    for (const auto& [key, t] : tensors)
      if (key.compare(0, prefix.size(), prefix) == 0) out.emplace(key.substr(prefix.size()), t);
    return out;
  }
  /// "<k>=<v> …" for test contexts.
  std::string describe() const {
    std::string s;
    for (const auto& [k, v] : options) s += k + "=" + v + " ";
    return s;
  }
};

/// The cases of tests/fixtures/<dir>/<file>.
inline std::vector<Case> load_cases(const std::string& dir, const std::string& file) {
  const SafetensorsFile f = load_safetensors(std::string(XGRAD_FIXTURES_DIR) + "/" + dir + "/" + file);
  std::vector<Case> cases(static_cast<std::size_t>(std::stoi(f.metadata.at("cases"))));
  for (std::size_t k = 0; k < cases.size(); ++k) cases[k].name = file + " case" + std::to_string(k);
  auto owner = [&](const std::string& key, std::string& rest) -> Case* {
    if (key.compare(0, 4, "case") != 0 || key.size() < 5 || !std::isdigit(static_cast<unsigned char>(key[4])))
      return nullptr;  // e.g. the "cases" count
    const std::size_t dot = key.find('.');
    rest = key.substr(dot + 1);
    return &cases.at(std::stoul(key.substr(4, dot - 4)));
  };
  std::string rest;
  for (const auto& [key, t] : f.tensors)
    if (Case* c = owner(key, rest)) c->tensors.emplace(rest, t);
  for (const auto& [key, v] : f.metadata)
    if (Case* c = owner(key, rest)) c->options.emplace(rest, v);
  return cases;
}

using Named = std::map<std::string, Tensor>;

/// An input the case may omit (h0, c0): undefined when absent.
inline Tensor optional_input(const Named& in, const std::string& name) {
  auto it = in.find(name);
  return it == in.end() ? Tensor() : it->second;
}

/// The module a case describes, and how to call it (named inputs → named outputs).
struct Built {
  std::shared_ptr<nn::Module> module;
  std::function<Named(const Named&)> forward;
};
using Builder = std::function<Built(const Case&, Dtype)>;

/// Replays one case; `perturbation` scales the first element of the first parameter by (1 + δ)
/// after loading (the negative control).
inline Report run_case(const Case& c, Dtype dtype, const Builder& build, double perturbation = 0.0) {
  Report report;
  report.cases = 1;
  Built b = build(c, dtype);
  b.module->to(dtype);
  StateDict params;
  for (const auto& [name, t] : c.with_prefix("param.")) params.insert(name, t);
  try {
    b.module->load_state_dict(params, /*strict=*/true);
  } catch (const std::exception& e) {
    report.failures.push_back(c.name + ": " + e.what());
    return report;
  }
  if (perturbation != 0.0) {
    Tensor p = b.module->parameters().at(0);
    const std::vector<std::int64_t> first(static_cast<std::size_t>(p.dim()), 0);
    NoGradGuard no_grad;  // a parameter is a leaf that requires grad: written as optimizers do
    p.set(first, p.at(first) * (1 + perturbation));
  }

  // Fresh leaves (copies of the file's tensors) for the forward's arguments.
  Named inputs;
  for (const char* name : {"input", "input1", "input2", "h0", "c0", "target"}) {
    if (!c.has(name)) continue;
    Tensor t = c.tensors.at(name).detach().clone();
    if (c.has(std::string("grad.") + name)) t.requires_grad_();
    inputs.emplace(name, t);
  }
  const Named outputs = b.forward(inputs);

  const auto expected = c.with_prefix("out."), weights = c.with_prefix("w.");
  if (expected.size() != outputs.size())
    report.failures.push_back(c.name + ": " + std::to_string(outputs.size()) + " outputs vs PyTorch's " +
                              std::to_string(expected.size()));
  std::size_t done = 0;
  for (const auto& [name, out] : outputs) {
    if (!expected.count(name)) {
      report.failures.push_back(c.name + ": PyTorch has no output " + name);
      continue;
    }
    compare(c.name + " out." + name, out, expected.at(name), report);
    try {
      out.backward(weights.at(name), /*retain_graph=*/++done < outputs.size());
    } catch (const std::exception& e) {
      report.failures.push_back(c.name + " backward of " + name + ": " + e.what());
    }
  }
  for (const auto& [name, grad] : c.with_prefix("grad."))
    if (name.compare(0, 6, "param.") != 0) compare(c.name + " grad." + name, inputs.at(name).grad(), grad, report);
  const auto param_grads = c.with_prefix("grad.param.");
  for (const auto& [name, p] : b.module->named_parameters()) {
    if (!param_grads.count(name)) {
      report.failures.push_back(c.name + ": no PyTorch gradient for parameter " + name);
      continue;
    }
    compare(c.name + " grad.param." + name, p.grad(), param_grads.at(name), report);
  }
  return report;
}

/// Replays every case of tests/fixtures/<dir>/<family>_<dtype>.safetensors for each dtype,
/// reporting each mismatch as a Boost.Test error.
inline void run_family(const std::string& dir, const std::string& family, std::initializer_list<Dtype> dtypes,
                       const Builder& build) {
  for (Dtype dtype : dtypes) {
    const std::string file = family + (dtype == kFloat32 ? "_float32" : "_float64") + ".safetensors";
    Report total;
    for (const Case& c : load_cases(dir, file)) {
      BOOST_TEST_CONTEXT(c.name << " " << c.describe()) {
        Report r = run_case(c, dtype, build);
        for (const std::string& f : r.failures) BOOST_ERROR(f);
        total.merge(r);
      }
    }
    BOOST_TEST(total.cases > 0, file << " has no case");
    BOOST_TEST_MESSAGE(file << ": " << total.cases << " cases, " << total.elements
                            << " values compared, largest relative error " << total.max_rel << " ("
                            << total.max_rel_where << "), largest absolute error " << total.max_abs);
    totals()[dtype].merge(total);
  }
}

}  // namespace xg::testing::parity
