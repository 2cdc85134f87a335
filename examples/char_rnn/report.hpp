#pragma once
#include <cstdint>
#include <string>
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
/// Writes an SVG line plot of train loss (every logged step) and validation loss (eval points).
void write_loss_plot(const std::string& path, const std::vector<LogRow>& rows);

/// A live one-line progress display on a terminal; plain lines otherwise.
class Progress {
 public:
  explicit Progress(std::int64_t total_steps, double minutes_budget);
  void update(std::int64_t step, double train_loss, double val_loss, double chars_per_s, double elapsed_s);
  /// Prints a full line (e.g. an eval result) without garbling the bar.
  void line(const std::string& text);
  void finish();

 private:
  std::int64_t total_;
  double minutes_;
  bool tty_;
  std::int64_t last_plain_ = -1;
  double last_plain_seconds_ = 0;
};

std::string format_duration(double seconds);

}  // namespace char_rnn
