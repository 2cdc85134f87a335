#include "nn/packed_sequence.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

#include "autograd/creation.hpp"
#include "autograd/node.hpp"
#include "autograd/ops_shape.hpp"
#include "autograd/ops_slice.hpp"

namespace xg::nn::utils::rnn {

namespace {

std::string list_str(const std::vector<std::int64_t>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Integer values of a 1-D tensor of any dtype (PyTorch converts lengths with .to(int64)).
std::vector<std::int64_t> integers(const char* op, const char* what, const Tensor& t) {
  if (!t.defined()) throw std::invalid_argument(std::string(op) + ": " + what + " is an undefined tensor");
  if (t.dim() != 1)
    throw std::invalid_argument(std::string(op) + ": " + what + " must be 1-D, got shape " + shape_str(t.shape()));
  std::vector<std::int64_t> out;
  for (double v : t.to_vector()) {
    if (!(std::floor(v) == v))
      throw std::invalid_argument(std::string(op) + ": " + what + " must hold integers, got " + std::to_string(v));
    out.push_back(static_cast<std::int64_t>(v));
  }
  return out;
}

Tensor index_tensor(const std::vector<std::int64_t>& v) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())});
}

// Where the rows of a packed batch live in its padded form: data row offset[t] + k is step t of
// the sequence at original batch index order[k], i.e. padded row t·B + order[k] (time-major) or
// order[k]·T + t (batch_first), each row `row_bytes` long.
struct PackLayout {
  std::vector<std::int64_t> batch_sizes, order;
  bool batch_first = false;

  // Copies every real row between the packed data and the padded tensor (T steps), one way.
  void move(const Tensor& padded, const Tensor& data, std::int64_t T, bool to_packed) const {
    const std::int64_t B = static_cast<std::int64_t>(order.size());
    const std::size_t row_bytes =
        data.shape()[0] == 0 ? 0 : static_cast<std::size_t>(data.numel() / data.shape()[0]) * element_size(data.dtype());
    auto* p = static_cast<char*>(padded.raw_data());
    auto* d = static_cast<char*>(data.raw_data());
    std::int64_t row = 0;
    for (std::int64_t t = 0; t < static_cast<std::int64_t>(batch_sizes.size()); ++t)
      for (std::int64_t k = 0; k < batch_sizes[static_cast<std::size_t>(t)]; ++k, ++row) {
        const std::int64_t b = order[static_cast<std::size_t>(k)];
        char* padded_row = p + static_cast<std::size_t>(batch_first ? b * T + t : t * B + b) * row_bytes;
        char* data_row = d + static_cast<std::size_t>(row) * row_bytes;
        if (to_packed)
          std::memcpy(data_row, padded_row, row_bytes);
        else
          std::memcpy(padded_row, data_row, row_bytes);
      }
  }
};

Tensor pad_rows(const Tensor& data, const std::shared_ptr<const PackLayout>& layout, std::int64_t T,
                double padding_value);

// padded (T, B, *) / (B, T, *) → data (Σ batch_sizes, *). Backward: pad_rows of the gradient with
// zeros (both are linear and recorded, so double backward runs through them).
Tensor pack_rows(const Tensor& padded, const std::shared_ptr<const PackLayout>& layout) {
  const std::int64_t T = padded.size(layout->batch_first ? 1 : 0);
  Shape shape(padded.shape().begin() + 1, padded.shape().end());
  shape[0] = std::accumulate(layout->batch_sizes.begin(), layout->batch_sizes.end(), std::int64_t{0});
  Tensor data = empty(shape, padded.dtype());
  layout->move(padded, data, T, /*to_packed=*/true);
  if (needs_grad({&padded}))  // backward is the recorded inverse op: differentiable to any order
    record(data, "pack_padded_sequence", {padded},
           [layout, T](const Tensor& g) { return std::vector<Tensor>{pad_rows(g, layout, T, 0.0)}; });
  return data;
}

// data (Σ batch_sizes, *) → padded with T steps, padding_value elsewhere. Backward: pack_rows.
Tensor pad_rows(const Tensor& data, const std::shared_ptr<const PackLayout>& layout, std::int64_t T,
                double padding_value) {
  const std::int64_t B = static_cast<std::int64_t>(layout->order.size());
  Shape shape = data.shape();
  shape[0] = layout->batch_first ? T : B;
  shape.insert(shape.begin(), layout->batch_first ? B : T);
  Tensor padded = full(shape, padding_value, data.dtype());
  layout->move(padded, data, T, /*to_packed=*/false);
  if (needs_grad({&data}))  // backward is the recorded inverse op: differentiable to any order
    record(padded, "pad_packed_sequence", {data},
           [layout](const Tensor& g) { return std::vector<Tensor>{pack_rows(g, layout)}; });
  return padded;
}

}  // namespace

PackedSequence::PackedSequence(Tensor data, Tensor batch_sizes, Tensor sorted_indices, Tensor unsorted_indices)
    : data_(std::move(data)),
      batch_sizes_(std::move(batch_sizes)),
      sorted_indices_(std::move(sorted_indices)),
      unsorted_indices_(std::move(unsorted_indices)) {
  const char* op = "PackedSequence";
  if (!data_.defined() || data_.dim() < 1)
    throw std::invalid_argument("PackedSequence: data must be a tensor with at least one dim");
  if (batch_sizes_.defined() && batch_sizes_.dtype() != kInt64)
    throw std::invalid_argument(std::string("PackedSequence: batch_sizes must be int64, got ") +
                                dtype_name(batch_sizes_.dtype()));
  sizes_ = integers(op, "batch_sizes", batch_sizes_);
  std::int64_t total = 0;
  for (std::size_t t = 0; t < sizes_.size(); ++t) {
    if (sizes_[t] <= 0 || (t > 0 && sizes_[t] > sizes_[t - 1]))
      throw std::invalid_argument("PackedSequence: batch_sizes must be positive and non-increasing, got " +
                                  list_str(sizes_));
    total += sizes_[t];
  }
  if (sizes_.empty() || total != data_.size(0))
    throw std::invalid_argument("PackedSequence: batch_sizes " + list_str(sizes_) + " add up to " +
                                std::to_string(total) + " rows but data has shape " + shape_str(data_.shape()));
  if (sorted_indices_.defined() != unsorted_indices_.defined())
    throw std::invalid_argument("PackedSequence: sorted_indices and unsorted_indices must both be given or both be "
                                "undefined");
  if (!sorted_indices_.defined()) return;
  const std::vector<std::int64_t> sorted = integers(op, "sorted_indices", sorted_indices_);
  const std::vector<std::int64_t> unsorted = integers(op, "unsorted_indices", unsorted_indices_);
  const std::size_t B = static_cast<std::size_t>(sizes_[0]);
  bool ok = sorted.size() == B && unsorted.size() == B;
  for (std::size_t k = 0; ok && k < B; ++k)
    ok = sorted[k] >= 0 && sorted[k] < sizes_[0] && unsorted[static_cast<std::size_t>(sorted[k])] ==
                                                        static_cast<std::int64_t>(k);
  if (!ok)
    throw std::invalid_argument("PackedSequence: sorted_indices " + list_str(sorted) + " and unsorted_indices " +
                                list_str(unsorted) + " must be inverse permutations of the batch of " +
                                std::to_string(B));
}

std::vector<std::int64_t> PackedSequence::sorted_order() const {
  if (sorted_indices_.defined()) return integers("PackedSequence", "sorted_indices", sorted_indices_);
  std::vector<std::int64_t> order(static_cast<std::size_t>(sizes_.empty() ? 0 : sizes_[0]));
  std::iota(order.begin(), order.end(), std::int64_t{0});
  return order;
}

Tensor invert_permutation(const Tensor& permutation) {
  if (!permutation.defined()) return Tensor();
  const std::vector<std::int64_t> p = integers("invert_permutation", "permutation", permutation);
  std::vector<std::int64_t> inverse(p.size(), -1);
  for (std::size_t k = 0; k < p.size(); ++k) {
    if (p[k] < 0 || p[k] >= static_cast<std::int64_t>(p.size()) || inverse[static_cast<std::size_t>(p[k])] != -1)
      throw std::invalid_argument("invert_permutation: " + list_str(p) + " is not a permutation");
    inverse[static_cast<std::size_t>(p[k])] = static_cast<std::int64_t>(k);
  }
  return index_tensor(inverse);
}

PackedSequence pack_padded_sequence(const Tensor& input, const Tensor& lengths_tensor, bool batch_first,
                                    bool enforce_sorted) {
  const char* op = "pack_padded_sequence";
  if (!input.defined()) throw std::invalid_argument("pack_padded_sequence: input is an undefined tensor");
  if (input.dim() < 2)
    throw std::invalid_argument(std::string(op) + ": input must have at least 2 dims (time and batch), got shape " +
                                shape_str(input.shape()));
  const std::vector<std::int64_t> lengths = integers(op, "lengths", lengths_tensor);
  const std::int64_t B = input.size(batch_first ? 0 : 1), T = input.size(batch_first ? 1 : 0);
  if (static_cast<std::int64_t>(lengths.size()) != B)
    throw std::invalid_argument(std::string(op) + ": expected len(lengths) to be equal to batch_size, but got " +
                                std::to_string(lengths.size()) + " (batch_size=" + std::to_string(B) +
                                ", input shape " + shape_str(input.shape()) +
                                (batch_first ? ", batch_first" : ", time-major") + ")");
  for (std::int64_t len : lengths)
    if (len <= 0 || len > T)
      throw std::invalid_argument(std::string(op) + ": every length must be in [1, " + std::to_string(T) +
                                  "] (the input's time dim), got lengths " + list_str(lengths));
  auto layout = std::make_shared<PackLayout>();
  layout->batch_first = batch_first;
  layout->order.resize(lengths.size());
  std::iota(layout->order.begin(), layout->order.end(), std::int64_t{0});
  Tensor sorted_indices, unsorted_indices;
  if (enforce_sorted) {
    if (!std::is_sorted(lengths.rbegin(), lengths.rend()))
      throw std::invalid_argument(std::string(op) + ": lengths " + list_str(lengths) +
                                  " must be sorted in decreasing order when enforce_sorted is true (pass "
                                  "enforce_sorted = false to have the batch sorted for you)");
  } else {
    std::stable_sort(layout->order.begin(), layout->order.end(), [&](std::int64_t a, std::int64_t b) {
      return lengths[static_cast<std::size_t>(a)] > lengths[static_cast<std::size_t>(b)];
    });
    sorted_indices = index_tensor(layout->order);
    unsorted_indices = invert_permutation(sorted_indices);
  }
  // batch_sizes[t] = how many sequences are longer than t.
  const std::int64_t longest = lengths[static_cast<std::size_t>(layout->order[0])];
  for (std::int64_t t = 0; t < longest; ++t)
    layout->batch_sizes.push_back(
        std::count_if(lengths.begin(), lengths.end(), [t](std::int64_t len) { return len > t; }));
  Tensor data = pack_rows(input, layout);
  return PackedSequence(data, index_tensor(layout->batch_sizes), sorted_indices, unsorted_indices);
}

std::tuple<Tensor, Tensor> pad_packed_sequence(const PackedSequence& sequence, bool batch_first,
                                               double padding_value, std::optional<std::int64_t> total_length) {
  if (!sequence.defined()) throw std::invalid_argument("pad_packed_sequence: the PackedSequence is empty");
  auto layout = std::make_shared<PackLayout>();
  layout->batch_sizes = sequence.batch_size_vector();
  layout->order = sequence.sorted_order();
  layout->batch_first = batch_first;
  const std::int64_t longest = static_cast<std::int64_t>(layout->batch_sizes.size());
  std::int64_t T = longest;
  if (total_length) {
    if (*total_length < longest)
      throw std::invalid_argument("pad_packed_sequence: total_length (" + std::to_string(*total_length) +
                                  ") must be at least the length of the longest sequence (" +
                                  std::to_string(longest) + ")");
    T = *total_length;
  }
  std::vector<std::int64_t> lengths(layout->order.size(), 0);
  for (std::int64_t bs : layout->batch_sizes)
    for (std::int64_t k = 0; k < bs; ++k) ++lengths[static_cast<std::size_t>(layout->order[static_cast<std::size_t>(k)])];
  return {pad_rows(sequence.data(), layout, T, padding_value), index_tensor(lengths)};
}

Tensor pad_sequence(const std::vector<Tensor>& sequences, bool batch_first, double padding_value) {
  if (sequences.empty()) throw std::invalid_argument("pad_sequence: expected a non-empty list of sequences");
  std::int64_t longest = 0;
  for (std::size_t i = 0; i < sequences.size(); ++i) {
    const Tensor& s = sequences[i];
    if (!s.defined() || s.dim() < 1)
      throw std::invalid_argument("pad_sequence: sequence " + std::to_string(i) +
                                  " must be a tensor with at least one dim (time)");
    const Shape& first = sequences[0].shape();
    if (s.dim() != sequences[0].dim() || !std::equal(first.begin() + 1, first.end(), s.shape().begin() + 1) ||
        s.dtype() != sequences[0].dtype())
      throw std::invalid_argument("pad_sequence: sequence " + std::to_string(i) + " is " + shape_str(s.shape()) + " " +
                                  dtype_name(s.dtype()) + " but sequence 0 is " + shape_str(first) + " " +
                                  dtype_name(sequences[0].dtype()) + " (all must agree after the time dim)");
    longest = std::max(longest, s.size(0));
  }
  std::vector<Tensor> padded;
  for (const Tensor& s : sequences) {
    if (s.size(0) == longest) {
      padded.push_back(s);
      continue;
    }
    Shape tail = s.shape();
    tail[0] = longest - s.size(0);
    padded.push_back(cat({s, full(tail, padding_value, s.dtype())}, 0));
  }
  return stack(padded, batch_first ? 0 : 1);
}

PackedSequence pack_sequence(const std::vector<Tensor>& sequences, bool enforce_sorted) {
  std::vector<std::int64_t> lengths;
  for (const Tensor& s : sequences) lengths.push_back(s.defined() && s.dim() > 0 ? s.size(0) : 0);
  return pack_padded_sequence(pad_sequence(sequences), index_tensor(lengths), false, enforce_sorted);
}

}  // namespace xg::nn::utils::rnn
