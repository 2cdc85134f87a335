#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "autograd/arg.hpp"
#include "autograd/tensor.hpp"
#include "nn/module.hpp"

namespace xg::nn::parallel {

struct DistributedDataParallelOptions {
  using Self = DistributedDataParallelOptions;
  /// Gradients are all-reduced in buckets of about this many MiB (PyTorch's default: 25).
  XG_ARG(double, bucket_cap_mb) = 25.0;
  /// Parameters that get no gradient in a backward pass contribute zeros instead of being an
  /// error (PyTorch's find_unused_parameters).
  XG_ARG(bool, find_unused_parameters) = false;
  /// Broadcast the module's buffers from rank 0 at construction (PyTorch also does so before
  /// every forward; xgrad's modules do not change their buffers in forward).
  XG_ARG(bool, broadcast_buffers) = true;
};

/// Data parallelism over the processes of an MPI job, in the spirit of PyTorch's DDP (Li et al.,
/// VLDB 2020): every rank holds a replica of `module`, runs forward and backward on its own part
/// of the batch, and after backward every parameter's .grad holds the average over all ranks.
///
/// - At construction, parameters (and buffers) are broadcast from rank 0, so every replica starts
///   equal whatever each rank initialised.
/// - Gradients are grouped into buckets (about bucket_cap_mb each, parameters in reverse
///   registration order, one dtype per bucket). The engine calls back as soon as a parameter's
///   .grad is final; when the last gradient of a bucket is in, that bucket's all-reduce starts
///   (non-blocking), so communication overlaps the rest of the backward pass. Buckets are started
///   in the same order on every rank, as MPI requires.
/// - At the end of backward every bucket is waited for and the averaged values are copied back
///   into the parameters' .grad.
/// - Deterministic: the same world size, data and seed give bitwise-identical results.
///
/// Use the module as usual (its forward is not wrapped): construct the DDP after init() and before
/// the first backward, keep it alive while training, and call every backward on every rank.
class DistributedDataParallel {
 public:
  explicit DistributedDataParallel(std::shared_ptr<Module> module, DistributedDataParallelOptions options = {});
  ~DistributedDataParallel();
  DistributedDataParallel(const DistributedDataParallel&) = delete;
  DistributedDataParallel& operator=(const DistributedDataParallel&) = delete;

  const std::shared_ptr<Module>& module() const { return module_; }

  /// While alive, backward passes only accumulate local gradients (no communication); the first
  /// backward after it ends all-reduces the accumulated sum (gradient accumulation).
  class NoSyncGuard {
   public:
    explicit NoSyncGuard(DistributedDataParallel& ddp);
    ~NoSyncGuard();
    NoSyncGuard(const NoSyncGuard&) = delete;
    NoSyncGuard& operator=(const NoSyncGuard&) = delete;

   private:
    DistributedDataParallel& ddp_;
    bool previous_;
  };
  NoSyncGuard no_sync() { return NoSyncGuard(*this); }

  /// Number of gradient buckets and their parameter indices (into module()->parameters()).
  const std::vector<std::vector<std::size_t>>& bucket_parameters() const;
  /// Statistics of the last synchronised backward pass: how many buckets were started before the
  /// end of backward (overlapped with computation), and seconds spent waiting at the end.
  struct Stats {
    std::int64_t buckets_started_during_backward = 0;
    double seconds_waiting_at_end = 0;
  };
  Stats last_stats() const;

 private:
  struct Reducer;
  std::shared_ptr<Module> module_;
  std::shared_ptr<Reducer> reducer_;
};

}  // namespace xg::nn::parallel
