#define BOOST_TEST_MODULE nn_containers
// ModuleList, ModuleDict, ParameterList (nn/containers.hpp) and the Module API over a tree of
// modules: apply, named_modules, zero_grad, requires_grad_, train()/eval() propagation.
#include "test_helpers.hpp"

using namespace xg;
using xg::testing::check_throws;

namespace {
// Net: a ModuleDict {"encoder": ModuleList{Linear(2,3), Tanh, LSTM(3,4)}, "head": Linear(4,1)}
// plus a ParameterList of two scales.
struct Net : nn::Module {
  Net() : Module("Net") {
    layers = std::make_shared<nn::ModuleList>(std::make_shared<nn::Linear>(2, 3), std::make_shared<nn::Tanh>());
    layers->push_back(std::make_shared<nn::LSTM>(nn::LSTMOptions(3, 4).num_layers(2).dropout(0.5)));
    blocks = register_module(
        "blocks", std::make_shared<nn::ModuleDict>(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
                      {"encoder", layers}, {"head", std::make_shared<nn::Linear>(4, 1)}}));
    scales = register_module("scales", std::make_shared<nn::ParameterList>(std::vector<Tensor>{ones({1}), ones({4})}));
  }
  std::shared_ptr<nn::ModuleList> layers;
  std::shared_ptr<nn::ModuleDict> blocks;
  std::shared_ptr<nn::ParameterList> scales;
};

std::vector<std::string> names_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  std::vector<std::string> out;
  for (const auto& item : named) out.push_back(item.first);
  return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(containers_name_parameters_like_pytorch) {
  Net net;
  // torch: blocks.encoder.0.weight, …, blocks.encoder.2.weight_ih_l0, …, blocks.head.bias, scales.0, scales.1
  const auto names = names_of(net.named_parameters());
  BOOST_TEST_REQUIRE(names.size() == 2u + 8u + 2u + 2u);
  BOOST_TEST(names.front() == "blocks.encoder.0.weight");
  BOOST_TEST(names[2] == "blocks.encoder.2.weight_ih_l0");
  BOOST_TEST(names[9] == "blocks.encoder.2.bias_hh_l1");
  BOOST_TEST(names[10] == "blocks.head.weight");
  BOOST_TEST(names[12] == "scales.0");
  BOOST_TEST(names[13] == "scales.1");
  BOOST_TEST(net.layers->size() == 3u);
  BOOST_TEST(net.layers->at<nn::Linear>(0)->weight.size(0) == 3);
  BOOST_TEST(net.blocks->contains("head"));
  BOOST_TEST(!net.blocks->contains("tail"));
  BOOST_TEST((net.blocks->keys() == std::vector<std::string>{"encoder", "head"}));
  BOOST_TEST(net.blocks->values().at(1).get() == (*net.blocks)["head"].get());
  BOOST_TEST((*net.scales)[1].size(0) == 4);
  BOOST_TEST((*net.scales)[1].requires_grad());
  // The parameters the list holds are the ones the module registered (one handle, shared).
  BOOST_TEST(net.parameters().back().data<float>() == (*net.scales)[1].data<float>());
  std::size_t visited = 0;
  for (const auto& m : *net.layers) visited += m != nullptr;
  BOOST_TEST(visited == 3u);
}

BOOST_AUTO_TEST_CASE(named_modules_and_apply_visit_the_tree_in_order) {
  Net net;
  std::vector<std::string> names;
  for (const auto& [name, m] : net.named_modules()) names.push_back(name + ":" + m->type_name());
  BOOST_TEST((names == std::vector<std::string>{"blocks:ModuleDict", "blocks.encoder:ModuleList",
                                                "blocks.encoder.0:Linear", "blocks.encoder.1:Tanh",
                                                "blocks.encoder.2:LSTM", "blocks.head:Linear",
                                                "scales:ParameterList"}));
  // apply: this module first, then depth first (libtorch's order).
  std::vector<std::string> order;
  net.apply([&](nn::Module& m) { order.push_back(m.type_name()); });
  BOOST_TEST((order == std::vector<std::string>{"Net", "ModuleDict", "ModuleList", "Linear", "Tanh", "LSTM", "Linear",
                                                "ParameterList"}));
  // A typical use: re-initialize every Linear's bias.
  net.apply([](nn::Module& m) {
    if (auto* linear = dynamic_cast<nn::Linear*>(&m)) {
      NoGradGuard no_grad;
      fill_(linear->bias, 0.25);
    }
  });
  BOOST_TEST(net.layers->at<nn::Linear>(0)->bias.to_vector() == std::vector<double>(3, 0.25));
  BOOST_TEST(net.blocks->at<nn::Linear>("head")->bias.to_vector() == std::vector<double>(1, 0.25));
}

BOOST_AUTO_TEST_CASE(train_eval_zero_grad_and_requires_grad_reach_every_member) {
  Net net;
  net.eval();
  std::size_t training = 0;
  net.apply([&](nn::Module& m) { training += m.is_training(); });
  BOOST_TEST(training == 0u);
  // eval() switches off the LSTM's inter-layer dropout: two runs agree.
  auto lstm = net.layers->at<nn::LSTM>(2);
  const Tensor x = randn({5, 2, 3});
  BOOST_TEST(lstm->forward(x).first.to_vector() == lstm->forward(x).first.to_vector());
  net.train();
  net.apply([&](nn::Module& m) { training += m.is_training(); });
  BOOST_TEST(training == 8u);

  // Every parameter gets a gradient; zero_grad clears them all (set to none).
  Tensor loss = sum(net.blocks->at<nn::Linear>("head")->forward(lstm->forward(x).first)) * sum((*net.scales)[0]);
  loss.backward();
  std::size_t with_grad = 0;
  for (const Tensor& p : net.parameters()) with_grad += p.grad().defined();
  BOOST_TEST(with_grad == 8u + 2u + 1u);  // LSTM, head, scales.0 (encoder.0 and scales.1 unused)
  net.zero_grad();
  for (const Tensor& p : net.parameters()) BOOST_TEST(!p.grad().defined());

  // requires_grad_(false) freezes the whole tree (and returns the module for chaining).
  BOOST_TEST(&net.blocks->requires_grad_(false) == net.blocks.get());
  for (const auto& [name, p] : net.named_parameters())
    BOOST_TEST(p.requires_grad() == (name.compare(0, 6, "scales") == 0), name);
  net.requires_grad_();
  for (const Tensor& p : net.parameters()) BOOST_TEST(p.requires_grad());
}

BOOST_AUTO_TEST_CASE(containers_reject_misuse) {
  nn::ModuleList list(std::make_shared<nn::Tanh>());
  check_throws<std::out_of_range>([&] { list[1]; }, {"ModuleList", "index 1", "1 modules"});
  check_throws([&] { list.at<nn::Linear>(0); }, {"ModuleList", "module 0 is a Tanh"});
  check_throws([&] { list.push_back(nullptr); }, {"ModuleList", "null", "index 1"});
  check_throws<std::logic_error>([&] { list.forward(zeros({1})); }, {"ModuleList", "forward"});
  nn::ModuleDict dict;
  dict.insert("a", std::make_shared<nn::Tanh>());
  check_throws([&] { dict.insert("a", std::make_shared<nn::Tanh>()); }, {"'a'", "already registered"});
  check_throws([&] { dict.insert("a.b", std::make_shared<nn::Tanh>()); }, {"'a.b'", "no '.'"});
  check_throws([&] { dict.insert("b", nullptr); }, {"ModuleDict", "'b'", "null"});
  check_throws<std::out_of_range>([&] { dict["c"]; }, {"ModuleDict", "no module 'c'", "keys: a"});
  check_throws([&] { dict.at<nn::Linear>("a"); }, {"ModuleDict", "'a' is a Tanh"});
  nn::ParameterList params;
  check_throws([&] { params.append(Tensor()); }, {"ParameterList", "'0'", "undefined"});
  Tensor w = ones({2}).requires_grad_();
  check_throws([&] { params.append(w * 2.0); }, {"ParameterList", "leaf"});
  check_throws<std::out_of_range>([&] { params[0]; }, {"ParameterList", "index 0", "0 parameters"});
}
