#include "corpus.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace char_rnn {

std::int64_t Vocabulary::id_of(unsigned char c) const {
  const auto pos = symbols.find(static_cast<char>(c));
  return pos == std::string::npos ? -1 : static_cast<std::int64_t>(pos);
}

std::string Vocabulary::to_hex() const {
  std::string hex;
  char buf[3];
  for (unsigned char c : symbols) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    hex += buf;
  }
  return hex;
}

Vocabulary Vocabulary::from_hex(const std::string& hex) {
  if (hex.size() % 2 != 0 || hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw std::runtime_error("checkpoint vocabulary is malformed");
  Vocabulary v;
  for (std::size_t i = 0; i < hex.size(); i += 2) v.symbols += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return v;
}

// Returns the offset of the first byte that does not start a well-formed UTF-8 sequence, or npos.
// Well-formed is RFC 3629 (Unicode Table 3-7): no overlong forms (C0, C1, E0 80..9F, F0 80..8F),
// no UTF-16 surrogates (ED A0..BF), nothing above U+10FFFF (F4 90.., F5..FF).
static std::size_t first_invalid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c < 0x80) len = 1;
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (len == 0 || i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (d < lo || d > hi) : (d & 0xC0) != 0x80) return i;
    }
    i += len;
  }
  return std::string::npos;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open data file '" + path + "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read data file '" + path + "'");
  std::string text = buffer.str();
  if (text.empty()) throw std::runtime_error("data file '" + path + "' is empty");
  const std::size_t bad = first_invalid_utf8(text);
  if (bad != std::string::npos)
    throw std::runtime_error("data file '" + path + "' is not valid UTF-8 (first bad byte at offset " +
                             std::to_string(bad) + ")");
  return text;
}

Vocabulary build_vocabulary(const std::string& text) {
  bool seen[256] = {};
  for (unsigned char c : text) seen[c] = true;
  Vocabulary v;
  for (int c = 0; c < 256; ++c)
    if (seen[c]) v.symbols += static_cast<char>(c);
  return v;
}

std::vector<std::int64_t> encode(const std::string& text, const Vocabulary& vocab) {
  std::int64_t lookup[256];
  std::fill(std::begin(lookup), std::end(lookup), -1);
  for (std::size_t i = 0; i < vocab.symbols.size(); ++i) lookup[static_cast<unsigned char>(vocab.symbols[i])] = static_cast<std::int64_t>(i);
  std::vector<std::int64_t> ids(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    ids[i] = lookup[static_cast<unsigned char>(text[i])];
    if (ids[i] < 0)
      throw std::runtime_error("character with byte value " + std::to_string(static_cast<unsigned char>(text[i])) +
                               " at offset " + std::to_string(i) + " is not in the model's vocabulary");
  }
  return ids;
}

Split split_tokens(const std::vector<std::int64_t>& tokens, double val_fraction) {
  if (!(val_fraction > 0 && val_fraction < 1))
    throw std::invalid_argument("--val-fraction must be in (0, 1), got " + std::to_string(val_fraction));
  const auto n_train = static_cast<std::size_t>(static_cast<double>(tokens.size()) * (1 - val_fraction));
  Split s;
  s.train.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(n_train));
  s.val.assign(tokens.begin() + static_cast<std::ptrdiff_t>(n_train), tokens.end());
  return s;
}

StreamBatcher::StreamBatcher(const std::vector<std::int64_t>& tokens, std::int64_t batch, std::int64_t seq,
                             std::int64_t shard, std::int64_t shards)
    : tokens_(tokens), batch_(batch), seq_(seq) {
  if (shards < 1 || shard < 0 || shard >= shards)
    throw std::invalid_argument("StreamBatcher: shard " + std::to_string(shard) + " of " + std::to_string(shards));
  // All shards' streams, in 128 bits: --batch accepts any positive int64.
  const auto streams = static_cast<unsigned __int128>(batch) * static_cast<unsigned __int128>(shards);
  stream_length_ = streams > tokens.size() ? 0 : static_cast<std::int64_t>(tokens.size() / static_cast<std::size_t>(streams));
  // Each window needs seq inputs plus one more token for the last target.
  windows_ = stream_length_ > seq ? (stream_length_ - 1) / seq : 0;
  if (windows_ == 0) {
    const auto needed = streams * (static_cast<unsigned __int128>(seq) + 1);
    const std::string need = needed > static_cast<unsigned __int128>(INT64_MAX)
                                 ? "more than 2^63"
                                 : std::to_string(static_cast<std::int64_t>(needed));
    const std::string streams_text =
        shards == 1 ? std::to_string(batch) : std::to_string(shards) + " × " + std::to_string(batch);
    throw std::runtime_error("the text is too short: " + std::to_string(tokens.size()) + " tokens cannot fill " +
                             streams_text + " streams of one " + std::to_string(seq) +
                             "-character window (need at least " + need + ")");
  }
  first_stream_ = shard * batch;  // < tokens.size(): no overflow once the streams fit
}

void StreamBatcher::set_position(std::int64_t window) {
  // windows_ itself is valid: the epoch is used up and the next call wraps (a checkpoint taken
  // right after the last window of an epoch stores exactly that).
  if (window < 0 || window > windows_)
    throw std::runtime_error("data position " + std::to_string(window) + " is outside [0, " + std::to_string(windows_) + "]");
  window_ = window;
}

bool StreamBatcher::next(std::vector<std::int64_t>& inputs, std::vector<std::int64_t>& targets) {
  bool wrapped = false;
  if (window_ >= windows_) {
    window_ = 0;
    wrapped = true;
  }
  inputs.resize(static_cast<std::size_t>(seq_ * batch_));
  targets.resize(inputs.size());
  for (std::int64_t b = 0; b < batch_; ++b) {
    const std::int64_t start = (first_stream_ + b) * stream_length_ + window_ * seq_;
    for (std::int64_t t = 0; t < seq_; ++t) {
      inputs[static_cast<std::size_t>(t * batch_ + b)] = tokens_[static_cast<std::size_t>(start + t)];
      targets[static_cast<std::size_t>(t * batch_ + b)] = tokens_[static_cast<std::size_t>(start + t + 1)];
    }
  }
  ++window_;
  return wrapped;
}

}  // namespace char_rnn
