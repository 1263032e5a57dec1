#include "kernels/conv_shapes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>

#include "onexn/error.hpp"

namespace onexn {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Drops a '#' comment that is not inside the quoted name.
std::string_view strip_comment(std::string_view line) {
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '"') quoted = !quoted;
    if (line[i] == '#' && !quoted) return line.substr(0, i);
  }
  return line;
}

int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t pad, int64_t d) {
  const int64_t extent = (k - 1) * (d + 1) + 1;
  return (in + 2 * pad - extent) / s + 1;
}

}  // namespace

ConvShape parse_conv_shape(std::string_view line) {
  const std::string_view text = trim(strip_comment(line));
  ConvShape shape;
  shape.text = std::string(text);
  auto fail = [&](const std::string& why) {
    throw InvalidArgument(fmt::format("conv shape '{}': {}", text, why));
  };
  static const char* kFields[] = {"mb", "ic", "ih", "iw", "oc", "oh", "ow", "kh", "kw",
                                  "sh", "sw", "ph", "pw", "dh", "dw", "g"};
  std::map<std::string, int64_t> f;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == 'n' && i + 1 < text.size() && text[i + 1] == '"') {
      const size_t end = text.find('"', i + 2);
      if (end == std::string_view::npos) fail("unterminated name");
      shape.name = std::string(text.substr(i + 2, end - i - 2));
      i = end + 1;
      continue;
    }
    std::string key;
    for (const char* k : kFields) {
      const std::string_view kv(k);
      if (text.substr(i, kv.size()) == kv && i + kv.size() < text.size() &&
          std::isdigit(static_cast<unsigned char>(text[i + kv.size()]))) {
        key = k;
        break;
      }
    }
    if (key.empty()) fail(fmt::format("unknown field at '{}'", text.substr(i)));
    i += key.size();
    int64_t value = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i++] - '0');
      if (++digits > 9) fail("number too large in field " + key);
    }
    if (f.count(key)) fail("field " + key + " given twice");
    f[key] = value;
  }
  auto get = [&](const char* k, int64_t fallback) { return f.count(k) ? f[k] : fallback; };
  if (!f.count("ic") || !f.count("oc") || !f.count("ih") || !f.count("kh")) {
    fail("ic, oc, ih and kh are required");
  }
  ConvParams& p = shape.params;
  p.groups = get("g", 1);
  p.batch = get("mb", 1);
  p.c_in = f["ic"];
  p.c_out = f["oc"];
  p.h = f["ih"];
  p.w = get("iw", p.h);
  p.kh = f["kh"];
  p.kw = get("kw", p.kh);
  p.stride_h = get("sh", 1);
  p.stride_w = get("sw", p.stride_h);
  p.pad_top = get("ph", 0);
  p.pad_left = get("pw", p.pad_top);
  const int64_t dh = get("dh", 0), dw = get("dw", dh);
  p.dilation_h = dh + 1;
  p.dilation_w = dw + 1;
  if (p.stride_h <= 0 || p.stride_w <= 0) fail("strides must be positive");
  const int64_t oh = get("oh", out_size(p.h, p.kh, p.stride_h, p.pad_top, dh));
  // As in benchdnn: a square input (no iw) gives a square output unless ow says otherwise.
  const int64_t ow = f.count("ow")   ? f["ow"]
                     : f.count("iw") ? out_size(p.w, p.kw, p.stride_w, p.pad_left, dw)
                                     : oh;
  // benchdnn: the far-side padding is what makes the requested output size come out. When it is
  // negative the last input rows are simply never read (1x1 stride 2 on an even size): use 0.
  p.pad_bottom = std::max<int64_t>(0, (oh - 1) * p.stride_h + (p.kh - 1) * p.dilation_h + 1 - p.h - p.pad_top);
  p.pad_right = std::max<int64_t>(0, (ow - 1) * p.stride_w + (p.kw - 1) * p.dilation_w + 1 - p.w - p.pad_left);
  if (p.pad_bottom >= (p.kh - 1) * p.dilation_h + 1 || p.pad_right >= (p.kw - 1) * p.dilation_w + 1) {
    fail(fmt::format("output {}x{} has rows or columns that read no input", oh, ow));
  }
  try {
    p.validate();
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
  if (p.out_h() != oh || p.out_w() != ow) {
    fail(fmt::format("output {}x{} does not follow from the input, kernel, stride and padding ({}x{})",
                     oh, ow, p.out_h(), p.out_w()));
  }
  if (shape.name.empty()) shape.name = shape.text;
  return shape;
}

std::vector<ConvShape> read_conv_shapes(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot open shape file '" + path.string() + "'");
  std::vector<ConvShape> shapes;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trim(strip_comment(line)).empty()) continue;
    try {
      shapes.push_back(parse_conv_shape(line));
    } catch (const InvalidArgument& e) {
      throw Error(fmt::format("{}:{}: {}", path.string(), number, e.what()));
    }
  }
  if (shapes.empty()) throw Error("shape file '" + path.string() + "' holds no shape");
  return shapes;
}

}  // namespace onexn
