// docs/guides/checkpoints.md: saving and loading models and optimizer state as safetensors, the
// format PyTorch reads with safetensors.torch. The region between the [guide] markers is the
// guide's snippet, word for word (scripts/docs.sh checks).
//   guide_checkpoints [dir] [from_torch.safetensors]
#include <iostream>
#include <memory>
#include <string>

#include <xgrad/xgrad.hpp>

// [guide]
// The same architecture as torch.nn.Sequential(Linear(4, 16), Tanh(), Linear(16, 3)): the
// state_dict names ("0.weight", "0.bias", "2.weight", "2.bias") and shapes match one to one.
std::shared_ptr<xg::nn::Sequential> make_model() {
  return std::make_shared<xg::nn::Sequential>(
      std::make_shared<xg::nn::Linear>(4, 16), std::make_shared<xg::nn::Tanh>(),
      std::make_shared<xg::nn::Linear>(16, 3));
}

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  xg::manual_seed(0);
  auto model = make_model();
  xg::optim::Adam optimizer(model->parameters());
  xg::Tensor x = xg::randn({8, 4});
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    xg::mean(xg::pow(model->forward(x), 2.0)).backward();
    optimizer.step();
  }

  // Save: the model's weights, and (to resume training) the optimizer's state.
  model->save(dir + "/model.safetensors", {{"step", "5"}});
  xg::save_safetensors(dir + "/optimizer.safetensors", optimizer.state_dict());

  // Load into a fresh model and optimizer (strict: every name and shape must match).
  auto restored = make_model();
  restored->load(dir + "/model.safetensors");
  xg::optim::Adam restored_optimizer(restored->parameters());
  restored_optimizer.load_state_dict(xg::load_safetensors(dir + "/optimizer.safetensors").tensors);
  xg::NoGradGuard no_grad;
  bool same = model->forward(x).to_vector() == restored->forward(x).to_vector();  // bitwise
  std::cout << "restored model gives the same outputs: " << same << "\n";

  // A file written by PyTorch (see the Python side in the guide) loads the same way.
  if (argc > 2) {
    auto from_torch = make_model();
    from_torch->load(argv[2]);
    std::cout << "loaded " << argv[2] << ": " << from_torch->num_parameters() << " parameters\n";
  }
  return same ? 0 : 1;
}
// [/guide]
