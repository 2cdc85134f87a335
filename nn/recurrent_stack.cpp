#include "nn/recurrent_stack.hpp"

#include <stdexcept>

#include "autograd/creation.hpp"
#include "autograd/ops_nn.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"
#include "nn/init.hpp"

namespace xg::nn {

void check_cell_sizes(const char* module, std::int64_t input_size, std::int64_t hidden_size) {
  if (input_size <= 0 || hidden_size <= 0)
    throw std::invalid_argument(std::string(module) + ": input_size and hidden_size must be positive, got input_size = " +
                                std::to_string(input_size) + ", hidden_size = " + std::to_string(hidden_size));
}

void check_input_dtype(const char* module, const Tensor& input, const Tensor& weight) {
  if (input.defined() && input.dtype() != weight.dtype())
    throw std::invalid_argument(std::string(module) + ": input is " + dtype_name(input.dtype()) +
                                " but the parameters are " + dtype_name(weight.dtype()) +
                                " (convert the input or the module with .to())");
}

void RecurrentStack::check_options() const {
  check_cell_sizes(module, input_size, hidden_size);
  if (num_layers < 1)
    throw std::invalid_argument(std::string(module) + ": num_layers must be at least 1, got " + std::to_string(num_layers));
  if (!(dropout >= 0 && dropout <= 1))
    throw std::invalid_argument(std::string(module) + ": dropout must be a probability in [0, 1], got " +
                                std::to_string(dropout));
}

std::vector<RecurrentLayerWeights> RecurrentStack::register_weights(Module& owner, std::int64_t gates) const {
  const std::int64_t H = hidden_size, D = directions();
  std::vector<RecurrentLayerWeights> weights;
  for (std::int64_t layer = 0; layer < num_layers; ++layer)
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::string suffix = "_l" + std::to_string(layer) + (dir == 1 ? "_reverse" : "");
      const std::int64_t in = layer == 0 ? input_size : D * H;
      RecurrentLayerWeights w;
      w.weight_ih = owner.register_parameter("weight_ih" + suffix, empty({gates * H, in}));
      w.weight_hh = owner.register_parameter("weight_hh" + suffix, empty({gates * H, H}));
      if (bias) {
        w.bias_ih = owner.register_parameter("bias_ih" + suffix, empty({gates * H}));
        w.bias_hh = owner.register_parameter("bias_hh" + suffix, empty({gates * H}));
      }
      weights.push_back(w);
    }
  // PyTorch's reset_parameters: every parameter U(−1/√H, 1/√H), in registration order.
  for (const auto& w : weights)
    for (Tensor p : {w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh})
      if (p.defined()) init::linear_uniform_(p, H);
  return weights;
}

std::pair<Tensor, std::vector<Tensor>> RecurrentStack::forward(const Tensor& input, const std::vector<Tensor>& initial,
                                                               const std::vector<const char*>& state_names,
                                                               bool training, Generator* generator,
                                                               const Direction& run) const {
  const std::string m = module;
  const std::int64_t D = directions(), H = hidden_size;
  if (!input.defined()) throw std::invalid_argument(m + ": input is undefined");
  if (!is_floating(input.dtype()))
    throw std::invalid_argument(m + ": input must be float32 or float64, got " + dtype_name(input.dtype()));
  if (input.dim() != 2 && input.dim() != 3)
    throw std::invalid_argument(m + ": expected input to be 2-D (unbatched) or 3-D (batched), got " +
                                std::to_string(input.dim()) + "-D input of shape " + shape_str(input.shape()));
  if (input.size(-1) != input_size)
    throw std::invalid_argument(m + ": expected input size " + std::to_string(input_size) + ", got " +
                                std::to_string(input.size(-1)) + " (input shape " + shape_str(input.shape()) + ")");
  const bool batched = input.dim() == 3;
  const Tensor x = batched ? (batch_first ? transpose(input, 0, 1) : input) : unsqueeze(input, 1);  // (L, N, ·)
  const std::int64_t L = x.size(0), N = x.size(1);
  if (L == 0) throw std::invalid_argument(m + ": input has zero time steps (shape " + shape_str(input.shape()) + ")");

  // Initial states: all given (checked, made (D·layers, N, H)) or all zeros.
  std::size_t given = 0;
  for (const Tensor& s : initial) given += s.defined();
  if (given != 0 && given != initial.size())
    throw std::invalid_argument(m + ": " + state_names[0] + " and " + state_names[1] +
                                " must both be given or both be omitted (got only " +
                                (initial[0].defined() ? state_names[0] : state_names[1]) + ")");
  const Shape expected = batched ? Shape{D * num_layers, N, H} : Shape{D * num_layers, H};
  std::vector<Tensor> init(initial.size());
  for (std::size_t s = 0; s < initial.size(); ++s) {
    if (!initial[s].defined()) {
      init[s] = zeros({D * num_layers, N, H}, input.dtype());
      continue;
    }
    if (initial[s].shape() != expected)
      throw std::invalid_argument(m + ": expected " + state_names[s] + " of shape " + shape_str(expected) +
                                  " (num_layers·directions = " + std::to_string(D * num_layers) + ", batch " +
                                  std::to_string(N) + ", hidden " + std::to_string(H) + "), got " +
                                  shape_str(initial[s].shape()));
    if (initial[s].dtype() != input.dtype())
      throw std::invalid_argument(m + ": " + state_names[s] + " is " + dtype_name(initial[s].dtype()) +
                                  " but input is " + dtype_name(input.dtype()));
    init[s] = batched ? initial[s] : unsqueeze(initial[s], 1);
  }

  std::vector<std::vector<Tensor>> finals(initial.size(), std::vector<Tensor>(static_cast<std::size_t>(D * num_layers)));
  Tensor layer_input = x;
  for (std::int64_t layer = 0; layer < num_layers; ++layer) {
    std::vector<Tensor> outputs;
    for (std::int64_t dir = 0; dir < D; ++dir) {
      const std::int64_t k = layer * D + dir;
      std::vector<Tensor> states;
      for (const Tensor& s : init) states.push_back(select(s, 0, k));
      outputs.push_back(run(layer_input, static_cast<std::size_t>(k), dir == 1, states));
      for (std::size_t s = 0; s < states.size(); ++s) finals[s][static_cast<std::size_t>(k)] = states[s];
    }
    layer_input = D == 1 ? outputs[0] : cat(outputs, 2);
    if (dropout > 0 && training && layer + 1 < num_layers)
      layer_input = xg::dropout(layer_input, dropout, true, generator ? *generator : default_generator());
  }
  Tensor output = batched ? (batch_first ? transpose(layer_input, 0, 1) : layer_input) : squeeze(layer_input, 1);
  std::vector<Tensor> states;
  for (const auto& f : finals) states.push_back(batched ? stack(f, 0) : squeeze(stack(f, 0), 1));
  return {output, states};
}

std::string RecurrentStack::repr() const {
  std::string s = std::to_string(input_size) + ", " + std::to_string(hidden_size);
  if (num_layers != 1) s += ", num_layers=" + std::to_string(num_layers);
  if (!bias) s += ", bias=False";
  if (batch_first) s += ", batch_first=True";
  if (dropout != 0) s += ", dropout=" + std::to_string(dropout);
  if (bidirectional) s += ", bidirectional=True";
  return s;
}

}  // namespace xg::nn
