#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace char_rnn {

void append_csv(const std::string& path, const std::vector<LogRow>& rows) {
  const bool fresh = !std::ifstream(path).good();
  std::ofstream out(path, std::ios::app);
  if (fresh) out << "step,seconds,train_loss,val_loss,lr,chars_per_s\n";
  out.precision(9);  // float32 losses round-trip exactly, so two runs compare bit for bit
  for (const LogRow& r : rows) {
    out << r.step << ',' << r.seconds << ',' << r.train_loss << ',';
    if (!std::isnan(r.val_loss)) out << r.val_loss;
    out << ',' << r.lr << ',' << r.chars_per_s << '\n';
  }
}

std::vector<LogRow> read_csv(const std::string& path) {
  std::vector<LogRow> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) f.push_back(cell);
    if (f.size() < 6) f.resize(6);
    auto num = [](const std::string& s) { return s.empty() ? NAN : std::stod(s); };
    try {
      rows.push_back({std::stoll(f[0]), num(f[1]), num(f[2]), num(f[3]), num(f[4]), num(f[5])});
    } catch (const std::exception&) {
      // A line cut short by a crash: ignore it.
    }
  }
  return rows;
}

std::vector<double> nice_ticks(double lo, double hi, int max_ticks) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi || max_ticks < 3)
    throw std::invalid_argument("nice_ticks: need finite lo <= hi and max_ticks >= 3, got [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "], " + std::to_string(max_ticks));
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(lo))) {  // one value: a small range around it
    const double pad = lo == 0 ? 1 : 0.05 * std::abs(lo);
    lo -= pad, hi += pad;
  }
  // The smallest 1-2-5 step whose multiples cover [lo, hi] in at most max_ticks ticks.
  double magnitude = std::pow(10.0, std::floor(std::log10((hi - lo) / (max_ticks - 1))));
  for (int decade = 0; decade < 40; ++decade, magnitude *= 10) {
    for (double mantissa : {1.0, 2.0, 5.0}) {
      const double step = mantissa * magnitude;
      // Tick k is k·step: integer multiples, so 0.1·3 prints as 0.3 and the ends are exact.
      const double first = std::floor(lo / step + 1e-9), last = std::ceil(hi / step - 1e-9);
      if (last - first + 1 > max_ticks) continue;
      std::vector<double> ticks;
      for (double k = first; k <= last + 0.5; ++k) ticks.push_back(k * step);
      return ticks;
    }
  }
  throw std::logic_error("nice_ticks: no step found");  // unreachable: a step ≥ 2·max(|lo|, |hi|) fits in 3
}

std::pair<double, double> plot_range(const std::vector<LogRow>& rows) {
  std::int64_t max_step = 0;
  for (const LogRow& r : rows) max_step = std::max(max_step, r.step);
  const std::int64_t skip = max_step / 20;  // the first 5 % of steps
  double lo = INFINITY, hi = -INFINITY;
  for (const LogRow& r : rows) {
    if (std::isfinite(r.val_loss)) lo = std::min(lo, r.val_loss), hi = std::max(hi, r.val_loss);
    if (std::isfinite(r.train_loss) && r.step > skip) lo = std::min(lo, r.train_loss), hi = std::max(hi, r.train_loss);
  }
  if (!std::isfinite(lo)) return {0, 1};
  return {lo, hi};
}

namespace {
// A tick label with as many decimals as the tick step needs (0.05 → 2, 0.2 → 1, 500 → 0).
std::string tick_label(double value, double step) {
  const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return std::string(buf) == "-0" ? "0" : buf;
}
}  // namespace

void write_loss_plot(const std::string& path, const std::vector<LogRow>& rows) {
  const double W = 720, H = 440, left = 72, right = 20, top = 34, bottom = 56;
  std::int64_t max_step = 1;
  for (const LogRow& r : rows) max_step = std::max(max_step, r.step);
  const auto [data_lo, data_hi] = plot_range(rows);
  const std::vector<double> yt = nice_ticks(data_lo, data_hi, 7), xt = nice_ticks(0, static_cast<double>(max_step), 7);
  const double lo = yt.front(), hi = yt.back(), x_end = xt.back();
  auto x = [&](double step) { return left + (W - left - right) * step / x_end; };
  auto y = [&](double v) { return top + (H - top - bottom) * (hi - v) / (hi - lo); };
  const LogRow* best = nullptr;
  const LogRow* clipped = nullptr;  // the highest train loss above the range
  for (const LogRow& r : rows) {
    if (std::isfinite(r.val_loss) && (!best || r.val_loss < best->val_loss)) best = &r;
    if (std::isfinite(r.train_loss) && r.train_loss > hi && (!clipped || r.train_loss > clipped->train_loss)) clipped = &r;
  }

  std::ostringstream svg;
  svg << std::fixed << std::setprecision(1);
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
      << "' font-family='sans-serif' font-size='12'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<clipPath id='area'><rect x='" << left << "' y='" << top << "' width='" << W - left - right << "' height='"
      << H - top - bottom << "'/></clipPath>\n"
      << "<text x='" << W / 2 << "' y='20' text-anchor='middle' font-size='14'>char_rnn: loss per character</text>\n";
  for (double v : yt)
    svg << "<line x1='" << left << "' y1='" << y(v) << "' x2='" << W - right << "' y2='" << y(v) << "' stroke='#ddd'/>"
        << "<text x='" << left - 6 << "' y='" << y(v) + 4 << "' text-anchor='end'>" << tick_label(v, yt[1] - yt[0])
        << "</text>\n";
  for (double s : xt)
    svg << "<line x1='" << x(s) << "' y1='" << top << "' x2='" << x(s) << "' y2='" << H - bottom << "' stroke='#eee'/>"
        << "<text x='" << x(s) << "' y='" << H - bottom + 16 << "' text-anchor='middle'>" << tick_label(s, xt[1] - xt[0])
        << "</text>\n";
  svg << "<rect x='" << left << "' y='" << top << "' width='" << W - left - right << "' height='" << H - top - bottom
      << "' fill='none' stroke='#888'/>\n"
      << "<text x='" << (left + W - right) / 2 << "' y='" << H - 14 << "' text-anchor='middle'>training step</text>\n"
      << "<text transform='translate(18," << (top + H - bottom) / 2
      << ") rotate(-90)' text-anchor='middle'>cross-entropy loss (nats/char)</text>\n";
  auto polyline = [&](bool val, const char* colour) {
    svg << "<polyline clip-path='url(#area)' fill='none' stroke='" << colour << "' stroke-width='"
        << (val ? 2.5 : 1.2) << "' points='";
    for (const LogRow& r : rows) {
      const double v = val ? r.val_loss : r.train_loss;
      if (std::isfinite(v)) svg << x(static_cast<double>(r.step)) << ',' << y(std::min(v, hi + (hi - lo))) << ' ';
    }
    svg << "'/>\n";
  };
  polyline(false, "#1f77b4");
  polyline(true, "#d62728");
  for (const LogRow& r : rows)  // a dot per evaluation: one evaluation is no line yet
    if (std::isfinite(r.val_loss) && r.val_loss <= hi)
      svg << "<circle cx='" << x(static_cast<double>(r.step)) << "' cy='" << y(r.val_loss) << "' r='2.5' fill='#d62728'/>";
  svg << "\n";
  char text[128];
  if (best) {
    std::snprintf(text, sizeof text, "best %.3f @%lld", best->val_loss, static_cast<long long>(best->step));
    const double bx = x(static_cast<double>(best->step)), by = y(best->val_loss);
    svg << "<circle cx='" << bx << "' cy='" << by << "' r='5' fill='none' stroke='#2ca02c' stroke-width='2'/>"
        << "<text x='" << (bx > W - 150 ? bx - 6 : bx) << "' y='" << by - 12 << "' text-anchor='"
        << (bx > W - 150 ? "end" : "middle")
        << "' fill='#2ca02c' stroke='white' stroke-width='4' paint-order='stroke'>" << text << "</text>\n";
  }
  if (clipped) {
    std::snprintf(text, sizeof text, "off scale: train loss up to %.2f (step %lld)", clipped->train_loss,
                  static_cast<long long>(clipped->step));
    // Under the axis, bottom right: the spike it describes is at the top left.
    svg << "<text x='" << W - right << "' y='" << H - 14 << "' text-anchor='end' font-size='11' fill='#555'>" << text
        << "</text>\n";
  }
  svg << "<text x='" << W - right - 170 << "' y='" << top + 16 << "' fill='#1f77b4'>train</text>"
      << "<text x='" << W - right - 120 << "' y='" << top + 16 << "' fill='#d62728'>validation</text>"
      << "<text x='" << W - right - 46 << "' y='" << top + 16 << "' fill='#2ca02c'>best</text>\n</svg>\n";
  const std::string tmp = path + ".tmp";
  { std::ofstream(tmp) << svg.str(); }
  std::rename(tmp.c_str(), path.c_str());
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

std::string format_progress(const ProgressFields& f, std::size_t width) {
  char buf[128];
  std::vector<std::string> fields;
  if (f.total > 0) std::snprintf(buf, sizeof buf, "step %lld/%lld", static_cast<long long>(f.step), static_cast<long long>(f.total));
  else std::snprintf(buf, sizeof buf, "step %lld", static_cast<long long>(f.step));
  fields.push_back(buf);
  std::snprintf(buf, sizeof buf, "train %.3f", f.train_loss);
  fields.push_back(buf);
  if (!std::isfinite(f.val_loss)) std::snprintf(buf, sizeof buf, "val -");
  else if (f.best_step >= 0)
    std::snprintf(buf, sizeof buf, "val %.3f (best %.3f @%lld)", f.val_loss, f.best_val, static_cast<long long>(f.best_step));
  else std::snprintf(buf, sizeof buf, "val %.3f (best %.3f)", f.val_loss, f.best_val);
  fields.push_back(buf);
  std::snprintf(buf, sizeof buf, f.chars_per_s < 9950 ? "%.1fk ch/s" : "%.0fk ch/s", f.chars_per_s / 1000);
  fields.push_back(buf);
  fields.push_back("ETA " + format_duration(f.eta_s));
  auto join = [&](const char* sep) {
    std::string line;
    for (const std::string& s : fields)
      if (!s.empty()) line += (line.empty() ? "" : sep) + s;
    return line;
  };
  std::string line = join("  ");
  if (line.size() > width) line = join(" ");
  if (line.size() > width) fields[3].clear(), line = join(" ");  // the speed goes first
  if (line.size() > width) fields[4].clear(), line = join(" ");  // then the ETA
  if (line.size() > width) line.resize(width);
  return line;
}

Progress::Progress(std::int64_t total_steps, double minutes_budget)
    : total_(total_steps), minutes_(minutes_budget), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::update(ProgressFields f, double elapsed_s, bool evaluated) {
  double eta = NAN, fraction = 0;
  if (total_ > 0) {
    fraction = static_cast<double>(f.step) / static_cast<double>(total_);
    eta = f.step > 0 ? elapsed_s * (1 - fraction) / fraction : NAN;
  }
  if (minutes_ > 0) {
    const double time_fraction = elapsed_s / (60 * minutes_);
    if (total_ <= 0 || time_fraction > fraction) eta = std::max(0.0, 60 * minutes_ - elapsed_s);
  }
  f.total = total_;
  f.eta_s = eta;
  if (tty_) {
    // Rewritten in place; 79 columns so a cursor in the last column never wraps the line.
    std::fputs(("\r" + format_progress(f, 79) + "\033[K").c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
  } else if (last_plain_ < 0 || evaluated ||
             (total_ > 0 ? f.step - last_plain_ >= std::max<std::int64_t>(1, total_ / 20)
                         : elapsed_s - last_plain_seconds_ >= 15)) {
    std::fputs((format_progress(f) + "\n").c_str(), stderr);
    last_plain_ = f.step;
    last_plain_seconds_ = elapsed_s;
  }
}

void Progress::line(const std::string& text) {
  if (tty_ && drawn_) std::fputs("\r\033[K", stderr);
  drawn_ = false;
  std::fputs((text + "\n").c_str(), stderr);
}

void Progress::finish() {
  if (tty_ && drawn_) std::fputs("\n", stderr);
  drawn_ = false;
}

}  // namespace char_rnn
