// NumPy .npy files (numpy.lib.format, versions 1.0 to 3.0): float32, float64, int64, int32 and
// bool arrays in C order.
#include "onexn/npy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <cstring>
#include <limits>
#include <string_view>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"

namespace onexn {
namespace {

constexpr std::string_view kMagic{"\x93NUMPY", 6};
// Version 1.0 stores the header length in 16 bits; longer headers only come from arrays with
// thousands of dimensions (NumPy itself refuses headers over 10000 bytes when loading).
constexpr size_t kMaxHeaderBytes = 65535;
constexpr size_t kAlign = 64;  // preamble + header is a multiple of this (numpy.lib.format)
constexpr const char* kDtypes = "float32 '<f4', float64 '<f8', int64 '<i8', int32 '<i4' and bool '|b1'";

// Text from the file, safe to put in a one-line message: printable ASCII as is, anything else as
// \xNN, cut after 40 characters.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t k = 0; k < s.size() && k < 40; ++k) {
    const auto c = static_cast<unsigned char>(s[k]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

std::string shape_tuple(const std::vector<int64_t>& dims) {
  if (dims.size() == 1) return fmt::format("({},)", dims[0]);
  return fmt::format("({})", fmt::join(dims, ", "));
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// The header is a Python dict literal with exactly the keys 'descr' (a string for the plain dtypes
// onexn reads), 'fortran_order' (True / False) and 'shape' (a tuple of ints, Python 2 files may
// write them as 3L).
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  Header parse() {
    Header h;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (true) {
      if (eat('}')) break;
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        if (seen_descr) fail("'descr' given twice");
        skip_space();
        if (pos_ < s_.size() && (s_[pos_] == '[' || s_[pos_] == '{')) {
          throw Error(what_ + ": unsupported dtype (a structured array); onexn reads " +
                      std::string(kDtypes));
        }
        h.descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order") {
        if (seen_order) fail("'fortran_order' given twice");
        h.fortran_order = boolean();
        seen_order = true;
      } else if (key == "shape") {
        if (seen_shape) fail("'shape' given twice");
        h.shape = int_tuple();
        seen_shape = true;
      } else {
        fail(fmt::format("unknown key '{}'", printable(key)));
      }
      if (eat('}')) break;
      expect(',');
    }
    skip_space();
    if (pos_ != s_.size()) fail("text after the closing '}'");
    if (!seen_descr || !seen_order || !seen_shape) {
      fail(fmt::format("missing key{}{}{}", seen_descr ? "" : " 'descr'",
                       seen_order ? "" : " 'fortran_order'", seen_shape ? "" : " 'shape'"));
    }
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) const {
    throw Error(fmt::format("{}: malformed .npy header: {} (at byte {} of '{}')", what_, reason,
                            pos_, printable(s_)));
  }
  void skip_space() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(fmt::format("expected '{}'", c));
  }
  bool starts_with(std::string_view word) const { return s_.substr(pos_).starts_with(word); }

  // '...' or "..." without escapes (no key or plain dtype needs them).
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"'))
      fail("expected a quoted string");
    const char quote = s_[pos_++];
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != quote) {
      if (s_[pos_] == '\\' || s_[pos_] == '\n') fail("unsupported character in a string");
      ++pos_;
    }
    if (pos_ >= s_.size()) fail("unterminated string");
    return std::string(s_.substr(start, pos_++ - start));
  }

  bool boolean() {
    skip_space();
    if (starts_with("True")) {
      pos_ += 4;
      return true;
    }
    if (starts_with("False")) {
      pos_ += 5;
      return false;
    }
    fail("expected True or False");
  }

  std::vector<int64_t> int_tuple() {
    std::vector<int64_t> dims;
    expect('(');
    while (!eat(')')) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9')
        fail("expected a non-negative integer");
      int64_t d = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        const int digit = s_[pos_++] - '0';
        if (d > (std::numeric_limits<int64_t>::max() - digit) / 10) fail("dimension too large");
        d = d * 10 + digit;
      }
      if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;
      dims.push_back(d);
      // "(3)" is not a tuple, but "(3,)" and "(2, 3)" are; a trailing comma is allowed.
      if (eat(')')) {
        if (dims.size() == 1) fail("a one-dimensional shape needs a comma, as in (3,)");
        break;
      }
      expect(',');
    }
    return dims;
  }

  std::string_view s_;
  size_t pos_ = 0;
  const std::string& what_;
};

// The element count of non-negative dims; -1 when it does not fit int64 (a zero anywhere makes it
// 0).
int64_t checked_numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d == 0) return 0;
  }
  for (int64_t d : dims) {
    if (__builtin_mul_overflow(n, d, &n)) return -1;
  }
  return n;
}

uint32_t load_u32_le(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint64_t load_u64_le(const uint8_t* p) {
  return uint64_t(load_u32_le(p)) | uint64_t(load_u32_le(p + 4)) << 32;
}

std::vector<uint8_t> serialize(const Tensor& t, const std::string& what) {
  for (int64_t d : t.dims) {
    if (d < 0)
      throw InvalidArgument(
          fmt::format("{}: dims {} have a negative entry", what, shape_tuple(t.dims)));
  }
  const int64_t n = checked_numel(t.dims);
  if (n < 0)
    throw InvalidArgument(
        fmt::format("{}: dims {} hold too many elements", what, shape_tuple(t.dims)));
  if (static_cast<uint64_t>(n) != static_cast<uint64_t>(t.stored())) {
    throw InvalidArgument(fmt::format("{}: {} {} values, its dims {} need {}", what, t.stored(),
                                      to_string(t.type), shape_tuple(t.dims), n));
  }
  const char* descr = t.type == ElementType::float32 ? "<f4" : t.type == ElementType::int64 ? "<i8" : "|b1";
  const size_t elem = t.type == ElementType::float32 ? 4 : t.type == ElementType::int64 ? 8 : 1;
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr,
                                   shape_tuple(t.dims));
  // Version 1.0 when the header fits 16 bits (always, but for thousands of dims), else 2.0.
  const bool v1 = header.size() + 1 + 10 <= kMaxHeaderBytes;
  const size_t preamble = v1 ? 10 : 12;
  const size_t total = (preamble + header.size() + 1 + kAlign - 1) / kAlign * kAlign;
  header.append(total - preamble - header.size() - 1, ' ');
  header += '\n';

  std::string head(kMagic);
  head += static_cast<char>(v1 ? 1 : 2);
  head += '\0';
  for (size_t b = 0; b < (v1 ? 2u : 4u); ++b) head += static_cast<char>(header.size() >> (8 * b));
  head += header;

  std::vector<uint8_t> out(head.size() + elem * static_cast<size_t>(n));
  std::memcpy(out.data(), head.data(), head.size());
  uint8_t* p = out.data() + head.size();
  auto store_le = [&p](uint64_t u, size_t bytes) {
    for (size_t b = 0; b < bytes; ++b) *p++ = static_cast<uint8_t>(u >> (8 * b));
  };
  if (t.type == ElementType::float32) {
    for (float x : t.data) store_le(std::bit_cast<uint32_t>(x), 4);
  } else if (t.type == ElementType::int64) {
    for (int64_t x : t.ints) store_le(static_cast<uint64_t>(x), 8);
  } else {
    for (int64_t x : t.ints) {
      if (x != 0 && x != 1) {
        throw InvalidArgument(fmt::format("{}: a bool tensor holds {}; bools are 0 or 1", what, x));
      }
      *p++ = static_cast<uint8_t>(x);
    }
  }
  return out;
}

}  // namespace

Tensor parse_npy(std::span<const uint8_t> bytes, const std::string& what) {
  if (bytes.empty()) throw Error(what + " is empty, not a .npy file");
  const size_t head = std::min(bytes.size(), kMagic.size());
  if (std::memcmp(bytes.data(), kMagic.data(), head) != 0) {
    throw Error(what + " is not a .npy file (it does not start with \\x93NUMPY)");
  }
  if (bytes.size() < 8) {
    throw Error(fmt::format("{} is truncated: {} bytes, shorter than the .npy preamble", what,
                            bytes.size()));
  }
  const int major = bytes[6], minor = bytes[7];
  if (major < 1 || major > 3 || minor != 0) {
    throw Error(fmt::format("{}: .npy format version {}.{}, onexn reads 1.0, 2.0 and 3.0", what,
                            major, minor));
  }
  const size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) {
    throw Error(fmt::format("{} is truncated: {} bytes, shorter than the .npy preamble", what,
                            bytes.size()));
  }
  const size_t header_len =
      major == 1 ? size_t(bytes[8]) | size_t(bytes[9]) << 8 : load_u32_le(bytes.data() + 8);
  if (header_len > kMaxHeaderBytes) {
    throw Error(fmt::format("{}: the .npy header is {} bytes long, onexn reads at most {}", what,
                            header_len, kMaxHeaderBytes));
  }
  const size_t data_offset = 8 + len_bytes + header_len;
  if (bytes.size() < data_offset) {
    throw Error(fmt::format("{} is truncated: the .npy header ends at byte {}, the file has {}",
                            what, data_offset, bytes.size()));
  }
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()) + 8 + len_bytes,
                              header_len);
  const Header h = HeaderParser(text, what).parse();

  // numpy writes '|b1' for bool and '|u1'-style '|' for other one-byte types; '<b1' is the same.
  size_t elem = 0;
  if (h.descr == "<f4" || h.descr == "<i4") elem = 4;
  if (h.descr == "<f8" || h.descr == "<i8") elem = 8;
  if (h.descr == "|b1" || h.descr == "<b1") elem = 1;
  if (elem == 0) {
    throw Error(fmt::format("{}: unsupported dtype '{}'; onexn reads {} (little-endian)", what,
                            printable(h.descr), kDtypes));
  }
  if (h.fortran_order) {
    throw Error(what +
                " is in Fortran order (fortran_order: True); onexn reads C-order arrays only "
                "(save numpy.ascontiguousarray(x))");
  }
  const int64_t n = checked_numel(h.shape);
  int64_t need = 0;
  if (n < 0 || __builtin_mul_overflow(n, static_cast<int64_t>(elem), &need)) {
    throw Error(fmt::format("{}: shape {} holds too many elements", what, shape_tuple(h.shape)));
  }
  const size_t have = bytes.size() - data_offset;
  if (have != static_cast<uint64_t>(need)) {
    throw Error(fmt::format(
        "{}{}: {} bytes of data, shape {} of '{}' needs {}", what,
        have < static_cast<uint64_t>(need) ? " is truncated" : " has a data size mismatch", have,
        shape_tuple(h.shape), h.descr, need));
  }

  Tensor t;
  t.dims = h.shape;
  const uint8_t* p = bytes.data() + data_offset;
  if (h.descr[1] == 'f') {
    t.data.resize(n);
    if (elem == 4) {
      for (int64_t k = 0; k < n; ++k) t.data[k] = std::bit_cast<float>(load_u32_le(p + 4 * k));
    } else {
      for (int64_t k = 0; k < n; ++k)
        t.data[k] = static_cast<float>(std::bit_cast<double>(load_u64_le(p + 8 * k)));
    }
  } else if (h.descr[1] == 'i') {
    t.type = ElementType::int64;
    t.ints.resize(n);
    for (int64_t k = 0; k < n; ++k) {
      t.ints[k] = elem == 8 ? static_cast<int64_t>(load_u64_le(p + 8 * k))
                            : static_cast<int32_t>(load_u32_le(p + 4 * k));
    }
  } else {
    t.type = ElementType::boolean;
    t.ints.resize(n);
    for (int64_t k = 0; k < n; ++k) {
      if (p[k] > 1) {
        throw Error(fmt::format("{}: bool element {} is the byte {}, not 0 or 1", what, k, p[k]));
      }
      t.ints[k] = p[k];
    }
  }
  return t;
}

std::vector<uint8_t> serialize_npy(const Tensor& tensor) {
  return serialize(tensor, fmt::format("tensor '{}'", tensor.name));
}

Tensor read_npy(const std::filesystem::path& path) {
  const std::vector<uint8_t> bytes = read_file(path);
  Tensor t = parse_npy(bytes, "'" + path.string() + "'");
  t.name = path.stem().string();
  return t;
}

void write_npy(const std::filesystem::path& path, const Tensor& tensor) {
  write_file_atomically(
      path, serialize(tensor, fmt::format("'{}': tensor '{}'", path.string(), tensor.name)));
}

}  // namespace onexn
