#pragma once
// Variable-length batches for the recurrent modules (torch.nn.utils.rnn / libtorch's
// torch::nn::utils::rnn): a PackedSequence stores only the real steps of every sequence, time
// step after time step, so RNN/LSTM/GRU run step t on just the sequences still going and take
// h_n at each sequence's own last step.
#include <cstdint>
#include <optional>
#include <tuple>
#include <vector>

#include "autograd/tensor.hpp"

namespace xg::nn::utils::rnn {

/// A batch of sequences sorted by decreasing length and stored step by step:
///   data           (Σ lengths, *): step 0 of every sequence, then step 1 of those longer than 1, …
///   batch_sizes    int64 (T_max): how many sequences have a step t (non-increasing)
///   sorted_indices int64 (B): the original batch index of the k-th longest sequence, or
///                  undefined when the batch was already sorted (enforce_sorted)
///   unsorted_indices int64 (B): its inverse permutation (undefined with sorted_indices)
/// Build one with pack_padded_sequence or pack_sequence.
class PackedSequence {
 public:
  PackedSequence() = default;
  /// Checks that batch_sizes is a non-increasing int64 vector of positive sizes adding up to
  /// data.size(0), and that the indices (both or neither) are permutations of the batch.
  PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices = Tensor(),
                 Tensor unsorted_indices = Tensor());

  const Tensor& data() const { return data_; }
  const Tensor& batch_sizes() const { return batch_sizes_; }
  const Tensor& sorted_indices() const { return sorted_indices_; }
  const Tensor& unsorted_indices() const { return unsorted_indices_; }
  bool defined() const { return data_.defined(); }
  /// batch_sizes as integers (what the recurrent modules loop over).
  const std::vector<std::int64_t>& batch_size_vector() const { return sizes_; }
  /// Sorted position → original batch index (identity when sorted_indices is undefined).
  std::vector<std::int64_t> sorted_order() const;

 private:
  Tensor data_, batch_sizes_, sorted_indices_, unsorted_indices_;
  std::vector<std::int64_t> sizes_;
};

/// Packs a padded batch: input (T, B, *) ((B, T, *) with batch_first) whose sequence b has
/// lengths[b] real steps (1-D, B positive integers ≤ T, any dtype). With enforce_sorted the
/// lengths must be non-increasing; otherwise the batch is sorted (stably) and the permutation is
/// kept in sorted_indices. Differentiable w.r.t. input (padded steps get zero gradient).
PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths, bool batch_first = false,
                                    bool enforce_sorted = true);

/// The inverse of pack_padded_sequence: → {padded (T, B, *) or (B, T, *), lengths int64 (B)}, in
/// the original batch order, steps past a sequence's end filled with padding_value. T is the
/// longest length, or total_length when given (which must not be shorter).
std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first = false,
                                               double padding_value = 0.0,
                                               std::optional<std::int64_t> total_length = std::nullopt);

/// Stacks sequences (L_i, *) into (L_max, B, *) ((B, L_max, *) with batch_first), padding the
/// shorter ones with padding_value. Differentiable w.r.t. every sequence.
Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first = false, double padding_value = 0.0);

/// pack_padded_sequence(pad_sequence(sequences), their lengths, false, enforce_sorted).
PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted = true);

/// The permutation p⁻¹ (int64), or undefined for an undefined p.
Tensor invert_permutation(const Tensor& permutation);

}  // namespace xg::nn::utils::rnn
