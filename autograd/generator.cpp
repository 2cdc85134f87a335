#include "autograd/generator.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace xg {
namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

void Generator::manual_seed(std::uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_[0] = seed;
  std::uint64_t x = seed;
  for (int i = 1; i < 5; ++i) state_[i] = splitmix64(x);
}

std::uint64_t Generator::next_u64() {
  std::uint64_t* s = state_.data() + 1;
  const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
  const std::uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Generator::normal() {
  // 1 − u keeps the log argument in (0, 1].
  const double u1 = 1.0 - uniform();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::int64_t Generator::randint(std::int64_t low, std::int64_t high) {
  if (high <= low)
    throw std::invalid_argument("randint: expected low < high, got low = " + std::to_string(low) +
                                ", high = " + std::to_string(high));
  const std::uint64_t range = static_cast<std::uint64_t>(high - low);
  // Rejection sampling removes modulo bias.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  std::uint64_t r;
  do r = next_u64();
  while (r >= limit);
  return low + static_cast<std::int64_t>(r % range);
}

void Generator::set_state(const State& state) {
  if (state[1] == 0 && state[2] == 0 && state[3] == 0 && state[4] == 0)
    throw std::invalid_argument("Generator::set_state: the all-zero xoshiro state is invalid");
  set_state_unchecked(state);
}

std::string Generator::to_string() const {
  const State state_ = state();
  char buf[5 * 17 + 1];
  std::snprintf(buf, sizeof buf, "%016llx:%016llx:%016llx:%016llx:%016llx", (unsigned long long)state_[0],
                (unsigned long long)state_[1], (unsigned long long)state_[2], (unsigned long long)state_[3],
                (unsigned long long)state_[4]);
  return buf;
}

void Generator::set_state_from_string(const std::string& text) {
  State s{};
  std::size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    const std::size_t end = text.find(':', pos);
    const std::string word = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (word.size() != 16 || word.find_first_not_of("0123456789abcdef") != std::string::npos ||
        (i < 4 && end == std::string::npos) || (i == 4 && end != std::string::npos))
      throw std::invalid_argument("Generator: malformed state string '" + text + "'");
    s[i] = std::stoull(word, nullptr, 16);
    pos = end + 1;
  }
  set_state(s);
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace xg
