// Google Benchmark micro-benchmarks of xgrad's building blocks at the char-RNN's shapes:
//   per-op overhead (a chain of 100 adds of 1-element tensors, forward + backward), matmul and
//   linear at 32×512 · 512×512, tanh and sigmoid over (32, 512), node recording + release.
//   micro_ops --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include "xgrad.hpp"

namespace {

constexpr int kChain = 100;

// Counter "time_per_op": CPU time per op (shown with an SI prefix, e.g. 1.5us).
void set_time_per_op(benchmark::State& state) {
  state.counters["time_per_op"] = benchmark::Counter(static_cast<double>(state.iterations()) * kChain,
                                                   benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// The fixed cost of an op: 1-element tensors, so allocation, validation, dispatch and node
// recording are everything. Counter "time_per_op" counts forward and backward of one add as one op.
void BM_AddChainForwardBackward(benchmark::State& state) {
  xg::Tensor a = xg::ones({1}).requires_grad_();
  xg::Tensor b = xg::full({1}, 0.5).requires_grad_();
  for (auto _ : state) {
    xg::Tensor x = a;
    for (int i = 0; i < kChain; ++i) x = xg::add(x, b);
    xg::sum(x).backward();
    benchmark::DoNotOptimize(a.grad().raw_data());
    a.set_grad(xg::Tensor());
    b.set_grad(xg::Tensor());
  }
  set_time_per_op(state);
}
BENCHMARK(BM_AddChainForwardBackward);

// Same chain without grad: what an op costs when nothing is recorded.
void BM_AddChainNoGrad(benchmark::State& state) {
  xg::Tensor a = xg::ones({1});
  xg::Tensor b = xg::full({1}, 0.5);
  for (auto _ : state) {
    xg::Tensor x = a;
    for (int i = 0; i < kChain; ++i) x = xg::add(x, b);
    benchmark::DoNotOptimize(x.raw_data());
  }
  set_time_per_op(state);
}
BENCHMARK(BM_AddChainNoGrad);

// Node recording + release: build the 100-add graph, then drop it without running backward.
void BM_RecordAndRelease(benchmark::State& state) {
  xg::Tensor a = xg::ones({1}).requires_grad_();
  xg::Tensor b = xg::full({1}, 0.5).requires_grad_();
  for (auto _ : state) {
    xg::Tensor x = a;
    for (int i = 0; i < kChain; ++i) x = xg::add(x, b);
    benchmark::DoNotOptimize(x.raw_data());
  }  // x (and with it the whole graph) is released here, inside the timed region
  set_time_per_op(state);
}
BENCHMARK(BM_RecordAndRelease);

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP"] =
      benchmark::Counter(flops_per_iter * static_cast<double>(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// h W_hhᵀ at the RNN's shapes: (32, 512) · (512, 512).
void BM_Matmul(benchmark::State& state) {
  xg::Generator g(1);
  const xg::Tensor x = xg::randn({32, 512}, g), w = xg::randn({512, 512}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::matmul(x, w).raw_data());
  set_flops(state, 2.0 * 32 * 512 * 512);
}
BENCHMARK(BM_Matmul);

void BM_LinearForward(benchmark::State& state) {
  xg::Generator g(2);
  const xg::Tensor x = xg::randn({32, 512}, g), w = xg::randn({512, 512}, g), b = xg::randn({512}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::linear(x, w, b).raw_data());
  set_flops(state, 2.0 * 32 * 512 * 512);
}
BENCHMARK(BM_LinearForward);

// Forward + backward of linear w.r.t. input, weight and bias (3 GEMMs).
void BM_LinearForwardBackward(benchmark::State& state) {
  xg::Generator g(3);
  xg::Tensor x = xg::randn({32, 512}, g).requires_grad_();
  xg::Tensor w = xg::randn({512, 512}, g).requires_grad_();
  xg::Tensor b = xg::randn({512}, g).requires_grad_();
  const xg::Tensor grad_out = xg::ones({32, 512});
  for (auto _ : state) {
    xg::linear(x, w, b).backward(grad_out);
    benchmark::DoNotOptimize(w.grad().raw_data());
    x.set_grad(xg::Tensor());
    w.set_grad(xg::Tensor());
    b.set_grad(xg::Tensor());
  }
  set_flops(state, 6.0 * 32 * 512 * 512);
}
BENCHMARK(BM_LinearForwardBackward);

template <xg::Tensor (*Op)(const xg::Tensor&)>
void BM_Unary(benchmark::State& state) {
  xg::Generator g(4);
  const xg::Tensor x = xg::randn({32, 512}, g);
  for (auto _ : state) benchmark::DoNotOptimize(Op(x).raw_data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 32 * 512);
}
template <xg::Tensor (*Op)(const xg::Tensor&)>
void BM_UnaryForwardBackward(benchmark::State& state) {
  xg::Generator g(5);
  xg::Tensor x = xg::randn({32, 512}, g).requires_grad_();
  const xg::Tensor grad_out = xg::ones({32, 512});
  for (auto _ : state) {
    Op(x).backward(grad_out);
    benchmark::DoNotOptimize(x.grad().raw_data());
    x.set_grad(xg::Tensor());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 32 * 512);
}
xg::Tensor tanh_op(const xg::Tensor& x) { return xg::tanh(x); }
xg::Tensor sigmoid_op(const xg::Tensor& x) { return xg::sigmoid(x); }
BENCHMARK_TEMPLATE(BM_Unary, tanh_op)->Name("BM_Tanh");
BENCHMARK_TEMPLATE(BM_Unary, sigmoid_op)->Name("BM_Sigmoid");
BENCHMARK_TEMPLATE(BM_UnaryForwardBackward, tanh_op)->Name("BM_TanhForwardBackward");
BENCHMARK_TEMPLATE(BM_UnaryForwardBackward, sigmoid_op)->Name("BM_SigmoidForwardBackward");

// Threading: the same kernel with 1, 2 and 4 threads (Arg = threads; 4 oversubscribes a 2-core
// machine). Wall time (UseRealTime), since with several threads CPU time counts every core.
void BM_TanhThreads(benchmark::State& state) {
  xg::set_num_threads(static_cast<int>(state.range(0)));
  xg::Generator g(6);
  const xg::Tensor x = xg::randn({32, 512}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::tanh(x).raw_data());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 32 * 512);
  xg::set_num_threads(1);
}
BENCHMARK(BM_TanhThreads)->Arg(1)->Arg(2)->Arg(4)->UseRealTime();

// A batch-32 recurrent step's product (32, 512)·(512, 512), and batch 1's (1, 1024)·(1024, 1024).
void BM_MatmulThreads(benchmark::State& state) {
  xg::set_num_threads(static_cast<int>(state.range(0)));
  xg::Generator g(9);
  const std::int64_t rows = state.range(1), k = state.range(2);
  const xg::Tensor a = xg::randn({rows, k}, g), w = xg::randn({k, k}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::matmul(a, w).raw_data());
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(rows * k * k) * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  xg::set_num_threads(1);
}
BENCHMARK(BM_MatmulThreads)->ArgsProduct({{1, 2, 4}, {32}, {512}})->ArgsProduct({{1, 2, 4}, {1}, {1024}})->UseRealTime();

// The char-RNN loss: (T·B, V) = (3200, 65) logits, forward + backward.
void BM_CrossEntropyThreads(benchmark::State& state) {
  xg::set_num_threads(static_cast<int>(state.range(0)));
  xg::Generator g(7);
  xg::Tensor logits = xg::randn({3200, 65}, g).requires_grad_();
  const xg::Tensor target = xg::randint(0, 65, {3200}, g);
  for (auto _ : state) {
    xg::cross_entropy(logits, target).backward();
    benchmark::DoNotOptimize(logits.grad().raw_data());
    logits.set_grad(xg::Tensor());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 3200 * 65);
  xg::set_num_threads(1);
}
BENCHMARK(BM_CrossEntropyThreads)->Arg(1)->Arg(2)->Arg(4)->UseRealTime();

// The generic (indexing) layer, issue 12: shapes from the speed table. Forward only,
// no grad: what the kernel costs.
void BM_BroadcastAdd(benchmark::State& state) {  // (32, 512) + (512)
  xg::Generator g(8);
  const xg::Tensor a = xg::randn({32, 512}, g), b = xg::randn({512}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::add(a, b).raw_data());
}
BENCHMARK(BM_BroadcastAdd);

void BM_SumDim(benchmark::State& state) {  // (512, 512).sum({dim}), Arg = dim
  xg::Generator g(9);
  const xg::Tensor x = xg::randn({512, 512}, g);
  const std::int64_t dim = state.range(0);
  for (auto _ : state) benchmark::DoNotOptimize(xg::sum(x, {dim}).raw_data());
}
BENCHMARK(BM_SumDim)->Arg(0)->Arg(1);

void BM_Permute(benchmark::State& state) {  // (64, 32, 16).permute({2, 0, 1})
  xg::Generator g(10);
  const xg::Tensor x = xg::randn({64, 32, 16}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::permute(x, {2, 0, 1}).raw_data());
}
BENCHMARK(BM_Permute);

void BM_Cat(benchmark::State& state) {  // cat of 8 × (32, 512) along dim 0
  xg::Generator g(11);
  std::vector<xg::Tensor> parts;
  for (int i = 0; i < 8; ++i) parts.push_back(xg::randn({32, 512}, g));
  for (auto _ : state) benchmark::DoNotOptimize(xg::cat(parts, 0).raw_data());
}
BENCHMARK(BM_Cat);

void BM_IndexSelect(benchmark::State& state) {  // 3200 rows of a (65, 64) table (an embedding lookup)
  xg::Generator g(12);
  const xg::Tensor table = xg::randn({65, 64}, g);
  const xg::Tensor index = xg::randint(0, 65, {3200}, g);
  for (auto _ : state) benchmark::DoNotOptimize(xg::index_select(table, 0, index).raw_data());
}
BENCHMARK(BM_IndexSelect);

}  // namespace

int main(int argc, char** argv) {
  xg::set_num_threads(1);  // per-op costs; the throughput benchmark covers threading
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
