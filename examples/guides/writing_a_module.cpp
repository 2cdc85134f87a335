// docs/guides/writing_a_module.md: a custom module, its parameters, and a gradient check of it.
// The region between the [guide] markers is the guide's snippet, word for word (scripts/docs.sh checks).
#include <iostream>
#include <memory>

#include <xgrad/xgrad.hpp>

// [guide]
// y = W₂ · relu(W₁ x + b₁) + b₂ + x: a residual MLP block (in = out = features).
class ResidualMLP : public xg::nn::Module {
 public:
  ResidualMLP(std::int64_t features, std::int64_t hidden) : Module("ResidualMLP") {
    fc1 = register_module("fc1", std::make_shared<xg::nn::Linear>(features, hidden));
    fc2 = register_module("fc2", std::make_shared<xg::nn::Linear>(hidden, features));
    // A parameter of our own, like torch.nn.Parameter: a learned output scale.
    scale = register_parameter("scale", xg::ones({features}));
  }
  xg::Tensor forward(const xg::Tensor& x) override {
    return scale * fc2->forward(xg::relu(fc1->forward(x))) + x;
  }
  std::shared_ptr<xg::nn::Linear> fc1, fc2;
  xg::Tensor scale;
};

int main() {
  xg::manual_seed(0);
  auto block = std::make_shared<ResidualMLP>(4, 16);
  for (const auto& [name, p] : block->named_parameters())  // scale, fc1.weight, …: own ones first
    std::cout << name << " " << xg::shape_str(p.shape()) << "\n";
  std::cout << *block << "\n";

  // Modules compose: put it in a Sequential like any built-in layer.
  auto model = std::make_shared<xg::nn::Sequential>(
      block, std::make_shared<xg::nn::Tanh>(), std::make_shared<xg::nn::Linear>(4, 1));
  std::cout << "parameters: " << model->num_parameters() << "\n";

  // Gradient check of the whole module, w.r.t. its input and every parameter, in float64.
  model->to(xg::kFloat64);
  std::vector<xg::Tensor> inputs{xg::randn({3, 4}, xg::kFloat64).requires_grad_()};
  for (const xg::Tensor& p : model->parameters()) inputs.push_back(p);
  xg::GradcheckResult check = xg::gradcheck(
      [&](const std::vector<xg::Tensor>& in) { return model->forward(in[0]); }, inputs);
  std::cout << "gradcheck: " << (check.ok ? "ok" : check.message) << "\n";
  return check.ok ? 0 : 1;
}
// [/guide]
