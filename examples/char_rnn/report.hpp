#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace char_rnn {

/// One row of the training log.
struct LogRow {
  std::int64_t step;
  double seconds, train_loss, val_loss, lr, chars_per_s;  // val_loss is NaN between evals
};

/// Appends rows to DIR/log.csv (header written when the file is new) — kept across --resume.
void append_csv(const std::string& path, const std::vector<LogRow>& rows);
/// Reads DIR/log.csv back (missing file → empty) so the plot shows the whole run after a resume.
std::vector<LogRow> read_csv(const std::string& path);

/// Axis ticks at round values: multiples of a step 1, 2 or 5 × 10^k, chosen so that at most
/// `max_ticks` ticks cover [lo, hi]; the first tick is ≤ lo and the last ≥ hi (the axis range is
/// the ticks' range). lo == hi is widened; non-finite bounds, lo > hi or max_ticks < 3 (a range
/// around 0 needs 3) throw std::invalid_argument.
std::vector<double> nice_ticks(double lo, double hi, int max_ticks = 6);
/// The y-range of the loss plot: every validation loss, and the train losses after the first
/// 5 % of steps (the first steps' spike — ln(vocab) and above — would squash the useful range).
/// Returns {lo, hi}; {0, 1} when there is nothing to plot.
std::pair<double, double> plot_range(const std::vector<LogRow>& rows);
/// Writes an SVG line plot of train loss (every logged step) and validation loss (eval points):
/// axis labels, round ticks (nice_ticks), a y-range from plot_range (values above it are clipped
/// and the clipped maximum is noted), and the best validation point marked.
void write_loss_plot(const std::string& path, const std::vector<LogRow>& rows);

/// What one progress line shows. Steps are 1-based; total 0 = unknown (a time budget only).
struct ProgressFields {
  std::int64_t step = 0, total = 0;
  double train_loss = 0;
  double val_loss = 0, best_val = 0;  // NaN before the first evaluation
  std::int64_t best_step = -1;        // −1: unknown (a checkpoint from before it was recorded)
  double chars_per_s = 0, eta_s = 0;  // eta NaN: unknown
};
/// The progress line, e.g.
///   step 1200/5000  train 1.523  val 1.617 (best 1.584 @1100)  12k ch/s  ETA 3m05s
/// never longer than `width` columns: it drops spacing, then the speed, then the ETA as needed.
std::string format_progress(const ProgressFields& f, std::size_t width = 80);

/// Progress on stderr: on a terminal one line rewritten in place; otherwise plain lines, one
/// after every evaluation and every 5 % of the steps (every 15 s with only a time budget).
class Progress {
 public:
  explicit Progress(std::int64_t total_steps, double minutes_budget);
  /// `evaluated`: this step ran an evaluation (a plain line is printed for it).
  void update(ProgressFields fields, double elapsed_s, bool evaluated);
  /// Prints a full line without garbling the one being rewritten.
  void line(const std::string& text);
  void finish();

 private:
  std::int64_t total_;
  double minutes_;
  bool tty_;
  bool drawn_ = false;
  std::int64_t last_plain_ = -1;
  double last_plain_seconds_ = 0;
};

std::string format_duration(double seconds);

}  // namespace char_rnn
