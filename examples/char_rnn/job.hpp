#pragma once
// The processes that train one model together: this process alone, or the N ranks that
// `mpirun -np N char_rnn train ...` (or Slurm's srun) started. Data parallelism: every rank runs
// its own streams of the text, xg::nn::parallel::DistributedDataParallel averages the gradients,
// so every replica takes the same optimizer step. Everything char_rnn must agree on across ranks
// goes through this class; without MPI (or without a launcher) every call is the one-process case.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xgrad.hpp"

namespace char_rnn {

class Job {
 public:
  /// Joins the MPI job when the process was started by mpirun/srun and char_rnn was built with
  /// MPI; otherwise a job of one process (no MPI call is made).
  Job();
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  /// Rank 0: the one process that prints progress and writes checkpoints, the log and the plot.
  bool is_main() const { return rank_ == 0; }

  /// Element-wise sums over the ranks (every rank gets the result).
  std::vector<double> sum(std::vector<double> values) const;
  /// True on every rank when it is true on any rank (stop requests: a signal, the time budget).
  bool any(bool value) const;
  /// Every rank's tensor concatenated along `dim` in rank order (the carried hidden state of all
  /// streams, for a checkpoint); shapes must agree except along `dim`.
  xg::Tensor gather(const xg::Tensor& t, std::int64_t dim) const;
  /// This rank's 1/size() of `t` along `dim` (the inverse of gather).
  xg::Tensor shard(const xg::Tensor& t, std::int64_t dim) const;
  /// Every rank's string, in rank order (the ranks' random generator states).
  std::vector<std::string> gather(const std::string& s) const;

  /// From here on, backward() leaves every parameter's .grad averaged over the ranks
  /// (DistributedDataParallel; rank 0's weights are broadcast first). No-op in a job of one.
  void replicate(const std::shared_ptr<xg::nn::Module>& model);
  /// Seconds the last backward waited at its end for gradient all-reduces still in flight (0 in a
  /// job of one).
  double allreduce_wait_seconds() const;

  /// Ends every process of the job with `message` on stderr (MPI_Abort): one rank's error never
  /// leaves the others waiting. In a job of one it prints and exits.
  [[noreturn]] void abort(const std::string& message, int exit_code) const;

 private:
  int rank_ = 0, size_ = 1;
  struct Replication;
  std::unique_ptr<Replication> replication_;
};

}  // namespace char_rnn
