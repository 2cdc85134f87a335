// docs/guides/training_loop.md: data in mini-batches, model, loss, optimizer, clipping, scheduler,
// evaluation. The region between the [guide] markers is the guide's snippet, word for word
// (scripts/docs.sh checks).
#include <algorithm>
#include <iostream>
#include <memory>
#include <numeric>

#include <xgrad/xgrad.hpp>

// [guide]
int main() {
  xg::manual_seed(0);
  // Data: 2-D points, class 1 when both coordinates have the same sign (an XOR pattern).
  const std::int64_t n = 512, batch_size = 64;
  xg::Tensor points = xg::uniform({n, 2}, -1.0, 1.0, xg::default_generator());
  std::vector<std::int64_t> labels(n);
  for (std::int64_t i = 0; i < n; ++i) labels[i] = points.at({i, 0}) * points.at({i, 1}) > 0 ? 1 : 0;
  xg::Tensor targets = xg::from_vector(labels, {n});  // int64 class indices

  auto model = std::make_shared<xg::nn::Sequential>(
      std::make_shared<xg::nn::Linear>(2, 32), std::make_shared<xg::nn::ReLU>(),
      std::make_shared<xg::nn::Linear>(32, 2));
  xg::optim::Adam optimizer(model->parameters(), xg::optim::AdamOptions(0.02));
  xg::optim::StepLR scheduler(optimizer, /*step_size=*/20, /*gamma=*/0.5);
  xg::nn::CrossEntropyLoss criterion;

  std::vector<std::int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (int epoch = 0; epoch < 60; ++epoch) {
    model->train();
    // Shuffle with xgrad's generator, so a seed fixes the whole run.
    for (std::int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[xg::default_generator().randint(0, i + 1)]);
    double epoch_loss = 0;
    for (std::int64_t start = 0; start < n; start += batch_size) {
      std::vector<std::int64_t> rows(order.begin() + start, order.begin() + start + batch_size);
      xg::Tensor index = xg::from_vector(rows, {batch_size});
      xg::Tensor loss = criterion.forward(model->forward(xg::index_select(points, 0, index)),
                                          xg::index_select(targets, 0, index));
      optimizer.zero_grad();
      loss.backward();
      xg::optim::clip_grad_norm_(model->parameters(), /*max_norm=*/1.0);
      optimizer.step();
      epoch_loss += loss.item();
    }
    scheduler.step();  // once per epoch, after the optimizer steps
    if (epoch % 20 == 0) std::cout << "epoch " << epoch << " loss " << epoch_loss / (n / batch_size) << "\n";
  }

  // Evaluation: eval mode (Dropout off), no tape.
  model->eval();
  xg::NoGradGuard no_grad;
  xg::Tensor predicted = model->forward(points).argmax(1);
  std::int64_t correct = 0;
  for (std::int64_t i = 0; i < n; ++i) correct += predicted.at({i}) == labels[i];
  double accuracy = static_cast<double>(correct) / n;
  std::cout << "training accuracy " << accuracy << ", lr now " << optimizer.lr() << "\n";
  return accuracy > 0.9 ? 0 : 1;
}
// [/guide]
