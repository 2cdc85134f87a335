#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <sstream>

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

void write_loss_plot(const std::string& path, const std::vector<LogRow>& rows) {
  const double W = 720, H = 420, left = 60, right = 20, top = 30, bottom = 50;
  std::int64_t max_step = 1;
  double lo = INFINITY, hi = -INFINITY;
  for (const LogRow& r : rows) {
    max_step = std::max(max_step, r.step);
    for (double v : {r.train_loss, r.val_loss})
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-6) hi = lo + 1;
  auto x = [&](double step) { return left + (W - left - right) * step / static_cast<double>(max_step); };
  auto y = [&](double v) { return top + (H - top - bottom) * (hi - v) / (hi - lo); };
  std::ostringstream svg;
  svg << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H << "' font-family='sans-serif' font-size='12'>\n"
      << "<rect width='100%' height='100%' fill='white'/>\n"
      << "<text x='" << W / 2 << "' y='18' text-anchor='middle' font-size='14'>char_rnn loss (nats/char)</text>\n";
  for (int i = 0; i <= 5; ++i) {
    const double v = lo + (hi - lo) * i / 5.0, yy = y(v);
    svg << "<line x1='" << left << "' y1='" << yy << "' x2='" << W - right << "' y2='" << yy << "' stroke='#ddd'/>"
        << "<text x='" << left - 6 << "' y='" << yy + 4 << "' text-anchor='end'>" << std::fixed << std::setprecision(2)
        << v << "</text>\n";
    const double s = static_cast<double>(max_step) * i / 5.0;
    svg << "<text x='" << x(s) << "' y='" << H - bottom + 16 << "' text-anchor='middle'>" << std::setprecision(0) << s
        << "</text>\n";
  }
  svg << "<text x='" << W / 2 << "' y='" << H - 12 << "' text-anchor='middle'>step</text>\n";
  auto polyline = [&](bool val, const char* colour) {
    svg << "<polyline fill='none' stroke='" << colour << "' stroke-width='" << (val ? 2.5 : 1.2) << "' points='";
    for (const LogRow& r : rows) {
      const double v = val ? r.val_loss : r.train_loss;
      if (std::isfinite(v)) svg << std::setprecision(1) << x(static_cast<double>(r.step)) << ',' << y(v) << ' ';
    }
    svg << "'/>\n";
  };
  polyline(false, "#1f77b4");
  polyline(true, "#d62728");
  svg << "<text x='" << W - right - 150 << "' y='" << top + 14 << "' fill='#1f77b4'>train</text>"
      << "<text x='" << W - right - 90 << "' y='" << top + 14 << "' fill='#d62728'>validation</text>\n</svg>\n";
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

Progress::Progress(std::int64_t total_steps, double minutes_budget)
    : total_(total_steps), minutes_(minutes_budget), tty_(isatty(STDERR_FILENO) != 0) {}

void Progress::update(std::int64_t step, double train_loss, double val_loss, double chars_per_s, double elapsed_s) {
  double eta = NAN, fraction = 0;
  if (total_ > 0) {
    fraction = static_cast<double>(step) / static_cast<double>(total_);
    eta = step > 0 ? elapsed_s * (1 - fraction) / fraction : NAN;
  }
  if (minutes_ > 0) {
    const double time_fraction = elapsed_s / (60 * minutes_);
    if (total_ <= 0 || time_fraction > fraction) fraction = time_fraction, eta = 60 * minutes_ - elapsed_s;
  }
  fraction = std::clamp(fraction, 0.0, 1.0);
  char text[256];
  char val[32] = "  -  ";
  if (std::isfinite(val_loss)) std::snprintf(val, sizeof val, "%.3f", val_loss);
  const std::string total = total_ > 0 ? std::to_string(total_) : "?";
  if (tty_) {
    const int width = 24, filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(width, '.');
    std::snprintf(text, sizeof text, "\r[%s] step %lld/%s  train %.3f  val %s  %.1fk chars/s  ETA %s   ", bar.c_str(),
                  static_cast<long long>(step), total.c_str(), train_loss, val, chars_per_s / 1000,
                  format_duration(eta).c_str());
    std::fputs(text, stderr);
    std::fflush(stderr);
  } else if (last_plain_ < 0 || std::isfinite(val_loss) ||
             (total_ > 0 ? step - last_plain_ >= std::max<std::int64_t>(1, total_ / 20)
                         : elapsed_s - last_plain_seconds_ >= 15)) {  // a line every 5 % (or 15 s with --minutes)
    std::snprintf(text, sizeof text, "step %lld/%s  train %.3f  val %s  %.1fk chars/s  elapsed %s  ETA %s\n",
                  static_cast<long long>(step), total.c_str(), train_loss, val, chars_per_s / 1000,
                  format_duration(elapsed_s).c_str(), format_duration(eta).c_str());
    std::fputs(text, stderr);
    last_plain_ = step;
    last_plain_seconds_ = elapsed_s;
  }
}

void Progress::line(const std::string& text) {
  if (tty_) std::fputs("\r\033[K", stderr);
  std::fputs((text + "\n").c_str(), stderr);
}

void Progress::finish() {
  if (tty_) std::fputs("\n", stderr);
}

}  // namespace char_rnn
