#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace char_rnn {

/// The characters of a text file as token ids. The vocabulary is the sorted set of distinct
/// bytes (like char-rnn); UTF-8 multi-byte characters become several tokens.
struct Vocabulary {
  std::string symbols;  // symbols[id] is the byte of token id
  std::int64_t size() const { return static_cast<std::int64_t>(symbols.size()); }
  /// Token id of byte c, or −1 if it is not in the vocabulary.
  std::int64_t id_of(unsigned char c) const;
  /// Hex string for checkpoint metadata, and back (throws on malformed input).
  std::string to_hex() const;
  static Vocabulary from_hex(const std::string& hex);
};

/// Reads a whole file; throws std::runtime_error naming the path for a missing, unreadable or
/// empty file, and for bytes that are not valid UTF-8 (naming the offset).
std::string read_text_file(const std::string& path);

/// Builds the vocabulary of `text`.
Vocabulary build_vocabulary(const std::string& text);
/// Encodes text with `vocab`; throws naming the first character the vocabulary lacks.
std::vector<std::int64_t> encode(const std::string& text, const Vocabulary& vocab);

/// Train/validation split: the first (1 − val_fraction) of the tokens train, the rest validate.
struct Split {
  std::vector<std::int64_t> train, val;
};
Split split_tokens(const std::vector<std::int64_t>& tokens, double val_fraction);

/// B parallel streams over a token sequence for truncated BPTT (as char-rnn): stream b reads
/// the b-th contiguous 1/B of the data; every call yields the next window of T inputs and the
/// T targets shifted by one, for all streams. When a stream runs out, all wrap to the start
/// together and `wrapped` is set (the caller resets the carried hidden state).
///
/// With `shards` > 1 the data is cut into shards·B streams and this batcher yields streams
/// [shard·B, (shard+1)·B) of them: rank r of an N-process job (shard r of N, B streams each)
/// reads exactly the columns r·B … (r+1)·B−1 that one process with N·B streams would.
class StreamBatcher {
 public:
  StreamBatcher(const std::vector<std::int64_t>& tokens, std::int64_t batch, std::int64_t seq, std::int64_t shard = 0,
                std::int64_t shards = 1);
  /// Fills inputs/targets (seq × batch, time-major) and advances. Returns true if it wrapped first.
  bool next(std::vector<std::int64_t>& inputs, std::vector<std::int64_t>& targets);
  /// Number of windows before a wrap.
  std::int64_t windows_per_epoch() const { return windows_; }
  std::int64_t position() const { return window_; }
  void set_position(std::int64_t window);

 private:
  const std::vector<std::int64_t>& tokens_;
  std::int64_t batch_, seq_, first_stream_, stream_length_, windows_;
  std::int64_t window_ = 0;
};

}  // namespace char_rnn
