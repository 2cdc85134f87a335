#pragma once
#include <array>
#include <cstdint>
#include <mutex>
#include <string>

namespace xg {

/// A seedable random stream (xoshiro256**, seeded through splitmix64). Its whole state is five
/// integers, so checkpoints can save and restore it exactly; results are identical on every
/// platform (normal samples use our own Box–Muller, not std::normal_distribution, whose
/// algorithm differs between standard libraries). Not bitwise-compatible with PyTorch's RNG.
///
/// Thread safety, as in PyTorch: the per-sample methods (next_u64, uniform, normal, randint)
/// are not synchronised; every xgrad function that draws from a generator (rand, randn,
/// uniform_, normal_, randint, dropout, nn::init) holds `mutex()` for the whole fill, so
/// threads may share a generator (the default one included) through those functions. Code
/// that calls the per-sample methods on a shared generator itself must hold mutex() too.
class Generator {
 public:
  using State = std::array<std::uint64_t, 5>;  // seed, then the four xoshiro words

  explicit Generator(std::uint64_t seed = 67280421310721ULL) { manual_seed(seed); }
  // Copies take the state, not the lock.
  Generator(const Generator& other) : state_(other.state()) {}
  Generator& operator=(const Generator& other) {
    if (this != &other) set_state_unchecked(other.state());
    return *this;
  }
  /// The lock that serialises draws from this generator (torch's Generator::mutex()).
  std::mutex& mutex() const { return mutex_; }
  void manual_seed(std::uint64_t seed);
  std::uint64_t initial_seed() const { return state_[0]; }

  std::uint64_t next_u64();
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  /// Standard normal (Box–Muller; consumes two uniforms per sample).
  double normal();
  /// Uniform integer in [low, high) (unbiased; high > low).
  std::int64_t randint(std::int64_t low, std::int64_t high);

  State state() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return state_;
  }
  void set_state(const State& state);
  /// "seed:s0:s1:s2:s3" in hex, for checkpoint metadata; from_string throws on a malformed string.
  std::string to_string() const;
  void set_state_from_string(const std::string& text);

 private:
  void set_state_unchecked(const State& state) {
    std::lock_guard<std::mutex> lock(mutex_);
    state_ = state;
  }
  State state_{};
  mutable std::mutex mutex_;
};

/// The process-wide generator used when none is passed (like torch's default generator).
Generator& default_generator();
/// Reseeds the default generator (torch.manual_seed).
void manual_seed(std::uint64_t seed);

}  // namespace xg
