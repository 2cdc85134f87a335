#include "autograd/format.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/node.hpp"

namespace xg {

std::string format_number(double value) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

namespace {

// PyTorch's print options (torch.set_printoptions defaults).
constexpr int kPrecision = 4;
constexpr std::int64_t kThreshold = 1000;  // more elements than this are summarised
constexpr std::int64_t kEdgeItems = 3;
constexpr std::int64_t kLineWidth = 80;

std::string printf_string(const char* format, int width, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, width, kPrecision, value);
  return buf;
}

// Python's '{:.Nf}' / '{:W.Ne}' with its spelling of non-finite values ("nan", "inf", "-inf").
std::string fixed(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return printf_string("%*.*f", 0, v);
}
std::string scientific(double v, int width) {
  if (std::isnan(v) || std::isinf(v)) {
    const std::string s = std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    return std::string(static_cast<std::size_t>(std::max<int>(0, width - static_cast<int>(s.size()))), ' ') + s;
  }
  return printf_string("%*.*e", width, v);
}
std::string integral(double v) {  // '{:.0f}'
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[400];
  std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

// torch/_tensor_str.py's _Formatter: one width and one notation for all printed values, chosen
// from the finite non-zero ones: integers print as "3.", a ratio above 1000 between the largest
// and smallest magnitude (or a value above 1e8, or below 1e-4) switches to scientific notation.
class Formatter {
 public:
  Formatter(const std::vector<double>& values, bool floating) : floating_(floating) {
    if (!floating_) {
      for (double v : values) width_ = std::max(width_, integral(v).size());
      return;
    }
    std::vector<double> finite;
    for (double v : values)
      if (std::isfinite(v) && v != 0) finite.push_back(v);
    if (finite.empty()) return;
    double lo = std::abs(finite[0]), hi = lo;
    for (double v : finite) {
      lo = std::min(lo, std::abs(v));
      hi = std::max(hi, std::abs(v));
      if (v != std::ceil(v)) int_mode_ = false;
    }
    sci_mode_ = hi / lo > 1000.0 || hi > 1e8 || (!int_mode_ && lo < 1e-4);
    for (double v : finite) {
      if (sci_mode_) width_ = std::max(width_, scientific(v, 0).size());
      else if (int_mode_) width_ = std::max(width_, integral(v).size() + 1);
      else width_ = std::max(width_, fixed(v).size());
    }
  }

  std::size_t width() const { return width_; }

  std::string format(double v) const {
    std::string s;
    if (!floating_) s = integral(v);
    else if (sci_mode_) s = scientific(v, static_cast<int>(width_));
    else if (int_mode_) s = std::isfinite(v) ? integral(v) + "." : integral(v);
    else s = fixed(v);
    return std::string(width_ > s.size() ? width_ - s.size() : 0, ' ') + s;
  }

 private:
  bool floating_;
  bool int_mode_ = true;
  bool sci_mode_ = false;
  std::size_t width_ = 1;
};

// The indices printed along a dim of size n: all, or the first and last kEdgeItems with a gap.
std::vector<std::int64_t> shown(std::int64_t n, bool summarize) {
  std::vector<std::int64_t> idx;
  const bool cut = summarize && n > 2 * kEdgeItems;
  for (std::int64_t i = 0; i < n; ++i)
    if (!cut || i < kEdgeItems || i >= n - kEdgeItems) idx.push_back(i);
  return idx;
}

struct Printer {
  const std::vector<double>& values;  // row-major
  const Shape& shape;
  bool summarize;
  const Formatter* formatter = nullptr;

  // The values printed (the formatter sees only these, as get_summarized_data does).
  void collect(std::size_t dim, std::int64_t offset, std::vector<double>& out) const {
    if (dim == shape.size()) {
      out.push_back(values[static_cast<std::size_t>(offset)]);
      return;
    }
    const std::int64_t stride = shape_numel(Shape(shape.begin() + static_cast<std::ptrdiff_t>(dim) + 1, shape.end()));
    for (std::int64_t i : shown(shape[dim], summarize)) collect(dim + 1, offset + i * stride, out);
  }

  std::string str(std::size_t dim, std::int64_t offset, std::int64_t indent) const {
    if (dim == shape.size()) return formatter->format(values[static_cast<std::size_t>(offset)]);
    const std::int64_t n = shape[dim];
    const bool cut = summarize && n > 2 * kEdgeItems;
    const std::int64_t stride = shape_numel(Shape(shape.begin() + static_cast<std::ptrdiff_t>(dim) + 1, shape.end()));
    std::vector<std::string> items;
    for (std::int64_t i : shown(n, summarize)) {
      if (cut && i == n - kEdgeItems) items.push_back(dim + 1 == shape.size() ? " ..." : "...");
      items.push_back(str(dim + 1, offset + i * stride, indent + 1));
    }
    std::string out = "[";
    if (dim + 1 == shape.size()) {  // a row: as many values per line as fit in the line width
      const auto element = static_cast<std::int64_t>(formatter->width()) + 2;
      const std::size_t per_line = static_cast<std::size_t>(std::max<std::int64_t>(1, (kLineWidth - indent) / element));
      for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += i % per_line == 0 ? ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' ') : ", ";
        out += items[i];
      }
    } else {
      const std::string sep = "," + std::string(shape.size() - dim - 1, '\n') + std::string(static_cast<std::size_t>(indent + 1), ' ');
      for (std::size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
    }
    return out + "]";
  }
};

// PyTorch's grad_fn class name for an xgrad node: "log_softmax" → "LogSoftmaxBackward0".
std::string backward_name(const std::string& op) {
  std::string name;
  bool upper = true;
  for (char c : op) {
    if (c == '_') {
      upper = true;
      continue;
    }
    name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return name + "Backward0";
}

}  // namespace

std::string repr(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  const std::string prefix = "tensor(";
  const auto indent = static_cast<std::int64_t>(prefix.size());
  std::vector<std::string> suffixes;
  std::string body;
  const bool default_dtype = t.dtype() == kFloat32 || t.dtype() == kInt64;
  if (t.numel() == 0) {
    if (t.dim() != 1) {  // Python prints the size as a tuple: (0,), (2, 0)
      std::string size = "size=(";
      for (std::size_t i = 0; i < t.shape().size(); ++i) size += (i ? ", " : "") + std::to_string(t.shape()[i]);
      suffixes.push_back(size + (t.shape().size() == 1 ? ",)" : ")"));
    }
    if (t.dtype() != kFloat32) suffixes.push_back(std::string("dtype=torch.") + dtype_name(t.dtype()));
    body = "[]";
  } else {
    if (!default_dtype) suffixes.push_back(std::string("dtype=torch.") + dtype_name(t.dtype()));
    const std::vector<double> values = t.to_vector();
    Printer p{values, t.shape(), t.numel() > kThreshold};
    std::vector<double> printed;
    p.collect(0, 0, printed);
    const Formatter f(printed, is_floating(t.dtype()));
    p.formatter = &f;
    body = p.str(0, 0, indent);
  }
  if (t.grad_fn()) suffixes.push_back("grad_fn=<" + backward_name(t.grad_fn()->name) + ">");
  else if (t.requires_grad()) suffixes.push_back("requires_grad=True");
  // torch/_tensor_str.py's _add_suffixes, its line-length arithmetic included.
  std::string out = prefix + body;
  std::int64_t last_line = static_cast<std::int64_t>(out.size()) -
                           (out.rfind('\n') == std::string::npos ? -1 : static_cast<std::int64_t>(out.rfind('\n'))) + 1;
  for (const std::string& s : suffixes) {
    const auto len = static_cast<std::int64_t>(s.size());
    if (last_line + len + 2 > kLineWidth) {
      out += ",\n" + std::string(static_cast<std::size_t>(indent), ' ') + s;
      last_line = indent + len;
    } else {
      out += ", " + s;
      last_line += len + 2;
    }
  }
  return out + ")";
}

}  // namespace xg
