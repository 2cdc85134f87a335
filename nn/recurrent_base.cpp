#include "nn/recurrent_base.hpp"

#include <stdexcept>

#include "autograd/creation.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "autograd/ops_unary.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {

// The input must have the parameters' dtype (PyTorch: "input must have the type torch.float32,
// got type torch.float64"); checked here so the message names the module, not `linear`.
void check_input_dtype(const std::string& module, const Tensor& input, const Tensor& weight) {
  if (input.defined() && input.dtype() != weight.dtype())
    throw std::invalid_argument(module + ": input is " + dtype_name(input.dtype()) + " but the parameters are " +
                                dtype_name(weight.dtype()) + " (convert the input or the module with .to())");
}

// Every state given or none; names the one that is missing.
bool all_or_none(const std::string& m, const std::vector<Tensor>& states, const std::vector<const char*>& names) {
  std::size_t given = 0;
  for (const Tensor& s : states) given += s.defined();
  if (given != 0 && given != states.size())
    throw std::invalid_argument(m + ": " + names[0] + " and " + names[1] +
                                " must both be given or both be omitted (got only " +
                                (states[0].defined() ? names[0] : names[1]) + ")");
  return given != 0;
}

void check_state_dtype(const std::string& m, const char* name, const Tensor& state, const Tensor& input) {
  if (state.dtype() != input.dtype())
    throw std::invalid_argument(m + ": " + name + " is " + dtype_name(state.dtype()) + " but input is " +
                                dtype_name(input.dtype()));
}

// Registers weight_ih<suffix>, weight_hh…, bias_ih…, bias_hh… (gates·H rows) on `owner`.
RecurrentLayerWeights register_layer(Module& owner, const std::string& suffix, std::int64_t rows, std::int64_t in,
                                     std::int64_t hidden, bool bias) {
  RecurrentLayerWeights w;
  w.weight_ih = owner.register_parameter("weight_ih" + suffix, empty({rows, in}));
  w.weight_hh = owner.register_parameter("weight_hh" + suffix, empty({rows, hidden}));
  if (bias) {
    w.bias_ih = owner.register_parameter("bias_ih" + suffix, empty({rows}));
    w.bias_hh = owner.register_parameter("bias_hh" + suffix, empty({rows}));
  }
  return w;
}

// PyTorch's reset_parameters: every parameter U(−1/√H, 1/√H), in registration order.
void reset_parameters(Module& owner, std::int64_t hidden) {
  for (Tensor& p : owner.parameters()) init::linear_uniform_(p, hidden);
}

}  // namespace

void check_recurrent_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw std::invalid_argument(std::string(module) + ": input_size and hidden_size must be positive, got input_size = " +
                                std::to_string(input_size) + ", hidden_size = " + std::to_string(hidden_size));
}

// ---- RNNBase ---------------------------------------------------------------------------

RNNBase::RNNBase(const char* name, const Geometry& shape, std::int64_t gates)
    : Module(name), name_(name), shape_(shape) {
  const std::string m = name;
  check_recurrent_sizes(name, shape.input_size, shape.hidden_size);
  if (shape.num_layers < 1)
    throw std::invalid_argument(m + ": num_layers must be at least 1, got " + std::to_string(shape.num_layers));
  if (!(shape.dropout >= 0 && shape.dropout <= 1))
    throw std::invalid_argument(m + ": dropout must be a probability in [0, 1], got " + std::to_string(shape.dropout));
  const std::int64_t H = shape.hidden_size, D = directions(), P = output_size();
  for (std::int64_t layer = 0; layer < shape.num_layers; ++layer)
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
      weights_.push_back(
          register_layer(*this, suffix, gates * H, layer == 0 ? shape.input_size : D * P, P, shape.bias));
      if (shape.proj_size > 0) weights_.back().weight_hr = register_parameter("weight_hr" + suffix, empty({P, H}));
    }
  reset_parameters(*this, H);
}

const RNNBase::LayerWeights& RNNBase::weights(std::int64_t layer, std::int64_t direction) const {
  const std::int64_t D = directions();
  if (layer < 0 || layer >= shape_.num_layers || direction < 0 || direction >= D)
    throw std::invalid_argument(std::string(name_) + "::weights: no layer " + std::to_string(layer) + " direction " +
                                std::to_string(direction));
  return weights_[static_cast<std::size_t>(layer * D + direction)];
}

namespace {
void check_input(const std::string& m, const Tensor& input, const Tensor& weight, std::int64_t input_size,
                 std::int64_t min_dim, std::int64_t max_dim) {
  if (!input.defined()) throw std::invalid_argument(m + ": input is undefined");
  check_input_dtype(m, input, weight);
  if (!is_floating(input.dtype()))
    throw std::invalid_argument(m + ": input must be float32 or float64, got " + dtype_name(input.dtype()));
  if (input.dim() < min_dim || input.dim() > max_dim)
    throw std::invalid_argument(m + (min_dim == max_dim ? ": expected packed data to be 2-D (rows, input_size)"
                                                        : ": expected input to be 2-D (unbatched) or 3-D (batched)") +
                                ", got " + std::to_string(input.dim()) + "-D input of shape " +
                                shape_str(input.shape()));
  if (input.size(-1) != input_size)
    throw std::invalid_argument(m + ": expected input size " + std::to_string(input_size) + ", got " +
                                std::to_string(input.size(-1)) + " (input shape " + shape_str(input.shape()) + ")");
}

bool uniform(const std::vector<std::int64_t>& batch_sizes) { return batch_sizes.front() == batch_sizes.back(); }
}  // namespace

std::vector<Tensor> RNNBase::initial_states(const std::vector<Tensor>& initial, const std::vector<const char*>& names,
                                            const Tensor& input, std::int64_t N, bool batched) const {
  const std::string m = name_;
  const std::int64_t D = directions(), layers = shape_.num_layers;
  all_or_none(m, initial, names);
  std::vector<Tensor> init(initial.size());
  for (std::size_t s = 0; s < initial.size(); ++s) {
    const std::int64_t size = s == 0 ? output_size() : shape_.hidden_size;  // h may be projected, c never
    if (!initial[s].defined()) {
      init[s] = zeros({D * layers, N, size}, input.dtype());
      continue;
    }
    const Shape expected = batched ? Shape{D * layers, N, size} : Shape{D * layers, size};
    if (initial[s].shape() != expected)
      throw std::invalid_argument(m + ": expected " + names[s] + " of shape " + shape_str(expected) +
                                  " (num_layers·directions = " + std::to_string(D * layers) + ", batch " +
                                  std::to_string(N) + ", " + (size == shape_.hidden_size ? "hidden " : "proj_size ") +
                                  std::to_string(size) + "), got " + shape_str(initial[s].shape()));
    check_state_dtype(m, names[s], initial[s], input);
    init[s] = batched ? initial[s] : unsqueeze(initial[s], 1);
  }
  return init;
}

std::pair<Tensor, std::vector<Tensor>> RNNBase::run(const Tensor& input, const std::vector<Tensor>& initial,
                                                    const std::vector<const char*>& state_names) {
  const std::string m = name_;
  check_input(m, input, weights_[0].weight_ih, shape_.input_size, 2, 3);
  const bool batched = input.dim() == 3, batch_first = shape_.batch_first;
  const Tensor x = batched ? (batch_first ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);  // (L, N, ·)
  const std::int64_t L = x.size(0), N = x.size(1);
  if (L == 0) throw std::invalid_argument(m + ": input has zero time steps (shape " + shape_str(input.shape()) + ")");
  const std::vector<Tensor> init = initial_states(initial, state_names, input, N, batched);
  auto [rows, finals] = run_rows(reshape(x, {L * N, x.size(2)}), std::vector<std::int64_t>(L, N), init);
  const Tensor out = reshape(rows, {L, N, rows.size(1)});
  Tensor output = batched ? (batch_first ? transpose(out, 0, 1) : out) : squeeze(out, 1);
  if (!batched)
    for (Tensor& f : finals) f = squeeze(f, 1);
  return {output, finals};
}

std::pair<RNNBase::PackedSequence, std::vector<Tensor>> RNNBase::run(const PackedSequence& input,
                                                                     const std::vector<Tensor>& initial,
                                                                     const std::vector<const char*>& state_names) {
  const std::string m = name_;
  if (!input.defined()) throw std::invalid_argument(m + ": the PackedSequence is empty");
  check_input(m, input.data(), weights_[0].weight_ih, shape_.input_size, 2, 2);
  const std::vector<std::int64_t>& batch_sizes = input.batch_size_vector();
  const std::int64_t N = batch_sizes[0];
  std::vector<Tensor> init = initial_states(initial, state_names, input.data(), N, true);
  // PyTorch's permute_hidden: the states come in batch order, the rows run in sorted order.
  if (input.sorted_indices().defined())
    for (std::size_t s = 0; s < init.size(); ++s)
      if (initial[s].defined()) init[s] = index_select(init[s], 1, input.sorted_indices());
  auto [rows, finals] = run_rows(input.data(), batch_sizes, init);
  if (input.unsorted_indices().defined())
    for (Tensor& f : finals) f = index_select(f, 1, input.unsorted_indices());
  return {PackedSequence(rows, input.batch_sizes(), input.sorted_indices(), input.unsorted_indices()), finals};
}

std::pair<Tensor, std::vector<Tensor>> RNNBase::run_rows(const Tensor& x, const std::vector<std::int64_t>& batch_sizes,
                                                         const std::vector<Tensor>& init) {
  const std::int64_t D = directions(), layers = shape_.num_layers;
  std::vector<std::vector<Tensor>> finals(init.size(), std::vector<Tensor>(static_cast<std::size_t>(D * layers)));
  Tensor layer_input = x;
  for (std::int64_t layer = 0; layer < layers; ++layer) {
    std::vector<Tensor> outputs;
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::size_t k = static_cast<std::size_t>(layer * D + dir);
      std::vector<Tensor> states;
      for (const Tensor& s : init) states.push_back(select(s, 0, static_cast<std::int64_t>(k)));
      outputs.push_back(run_direction(layer_input, batch_sizes, weights_[k], dir == 1, states));
      for (std::size_t s = 0; s < states.size(); ++s) finals[s][k] = states[s];
    }
    layer_input = D == 1 ? outputs[0] : cat(outputs, 1);
    if (shape_.dropout > 0 && is_training() && layer + 1 < layers)
      layer_input = xg::dropout(layer_input, shape_.dropout, true, generator_ ? *generator_ : default_generator());
  }
  std::vector<Tensor> states;
  for (const auto& f : finals) states.push_back(stack(f, 0));
  return {layer_input, states};
}

std::vector<Tensor> RNNBase::split_steps(const Tensor& rows, const std::vector<std::int64_t>& batch_sizes) {
  const std::int64_t L = static_cast<std::int64_t>(batch_sizes.size());
  if (uniform(batch_sizes)) return unbind(reshape(rows, {L, batch_sizes[0], rows.size(1)}), 0);
  return split(rows, batch_sizes, 0);
}

Tensor RNNBase::join_steps(const std::vector<Tensor>& steps, const std::vector<std::int64_t>& batch_sizes) {
  if (!uniform(batch_sizes)) return cat(steps, 0);
  const Tensor out = stack(steps, 0);
  return reshape(out, {out.size(0) * out.size(1), out.size(2)});
}

RNNBase::StepStates::StepStates(const std::vector<std::int64_t>& batch_sizes, bool reverse,
                                std::vector<Tensor>& states)
    : batch_sizes_(batch_sizes), reverse_(reverse), states_(states), ended_(states.size()), rows_(batch_sizes[0]) {
  if (!reverse_ || uniform(batch_sizes_)) return;
  // In reverse the last step comes first, with only the longest sequences.
  initial_ = states_;
  rows_ = batch_sizes_.back();
  for (Tensor& s : states_) s = narrow(s, 0, 0, rows_);
}

void RNNBase::StepStates::enter(std::int64_t t) {
  const std::int64_t rows = batch_sizes_[static_cast<std::size_t>(t)];
  if (rows == rows_) return;
  for (std::size_t s = 0; s < states_.size(); ++s) {
    if (reverse_) {
      states_[s] = cat({states_[s], narrow(initial_[s], 0, rows_, rows - rows_)}, 0);
    } else {
      ended_[s].push_back(narrow(states_[s], 0, rows, rows_ - rows));
      states_[s] = narrow(states_[s], 0, 0, rows);
    }
  }
  rows_ = rows;
}

void RNNBase::StepStates::finish() {
  for (std::size_t s = 0; s < states_.size(); ++s) {
    if (ended_[s].empty()) continue;
    // Rows set aside later belong to earlier batch positions: [running, …, first set aside].
    std::vector<Tensor> parts{states_[s]};
    parts.insert(parts.end(), ended_[s].rbegin(), ended_[s].rend());
    states_[s] = cat(parts, 0);
  }
}

std::string RNNBase::extra_repr() const {
  std::string s = std::to_string(shape_.input_size) + ", " + std::to_string(shape_.hidden_size);
  if (shape_.num_layers != 1) s += ", num_layers=" + std::to_string(shape_.num_layers);
  if (!shape_.bias) s += ", bias=False";
  if (shape_.batch_first) s += ", batch_first=True";
  if (shape_.dropout != 0) s += ", dropout=" + std::to_string(shape_.dropout);
  if (shape_.bidirectional) s += ", bidirectional=True";
  return s;
}

// ---- RNNCellBase -----------------------------------------------------------------------

RNNCellBase::RNNCellBase(const char* name, std::int64_t input_size, std::int64_t hidden_size, bool bias,
                         std::int64_t gates)
    : Module(name), name_(name), input_size_(input_size), hidden_size_(hidden_size) {
  check_recurrent_sizes(name, input_size, hidden_size);
  const RecurrentLayerWeights w = register_layer(*this, "", gates * hidden_size, input_size, hidden_size, bias);
  weight_ih = w.weight_ih;
  weight_hh = w.weight_hh;
  bias_ih = w.bias_ih;
  bias_hh = w.bias_hh;
  reset_parameters(*this, hidden_size);
}

std::vector<Tensor> RNNCellBase::check_step(const Tensor& input, const std::vector<Tensor>& states,
                                            const std::vector<const char*>& names, bool& batched) const {
  const std::string m = name_;
  if (!input.defined()) throw std::invalid_argument(m + ": input is undefined");
  check_input_dtype(m, input, weight_ih);
  if (input.dim() != 1 && input.dim() != 2)
    throw std::invalid_argument(m + ": expected input to be 1-D or 2-D, got shape " + shape_str(input.shape()));
  if (input.size(-1) != input_size_)
    throw std::invalid_argument(m + ": expected input size " + std::to_string(input_size_) + ", got " +
                                std::to_string(input.size(-1)));
  batched = input.dim() == 2;
  const bool given = all_or_none(m, states, names);
  const Shape expected = batched ? Shape{input.size(0), hidden_size_} : Shape{hidden_size_};
  std::vector<Tensor> out;
  for (std::size_t s = 0; s < states.size(); ++s) {
    Tensor state = given ? states[s] : zeros(expected, input.dtype());
    if (state.shape() != expected)
      throw std::invalid_argument(m + ": expected " + names[s] + " of shape " + shape_str(expected) + ", got " +
                                  shape_str(state.shape()));
    check_state_dtype(m, names[s], state, input);
    out.push_back(batched ? state : unsqueeze(state, 0));
  }
  return out;
}

Tensor RNNCellBase::as_batch(const Tensor& input, bool batched) { return batched ? input : unsqueeze(input, 0); }
Tensor RNNCellBase::from_batch(const Tensor& out, bool batched) { return batched ? out : squeeze(out, 0); }

std::string RNNCellBase::extra_repr() const {
  std::string s = std::to_string(input_size_) + ", " + std::to_string(hidden_size_);
  if (!bias_ih.defined()) s += ", bias=False";
  return s;
}

}  // namespace xg::nn
