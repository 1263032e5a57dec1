#include "graph/onnx_constant.hpp"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "graph/onnx_tensor.hpp"
#include "onexn/error.hpp"

namespace onexn::graph {
namespace {

using onnx::TensorProto;

// The element count of dims read from a file (none negative); Error naming `id` when it does not
// fit in int64.
int64_t checked_numel(const Shape& shape, const std::string& id) {
  if (std::find(shape.begin(), shape.end(), 0) != shape.end()) return 0;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(n, d, &n)) {
      throw Error(fmt::format("{} has dims {}, more elements than fit in 64 bits", id,
                              shape_string(shape)));
    }
  }
  return n;
}

// Little-endian unsigned integer of `bytes` bytes at p.
uint64_t load_le(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t b = 0; b < bytes; ++b) v |= uint64_t(static_cast<uint8_t>(p[b])) << (8 * b);
  return v;
}

// How each stored data type is read: its size in raw_data, and which typed field holds it
// otherwise (ONNX's TensorProto: int32_data for every type of 32 bits or less but float,
// uint64_data for uint32 and uint64, int64_data, double_data, float_data).
enum class Field { float_, double_, int32, int64, uint64 };
struct Storage {
  size_t bytes;
  Field field;
};

Storage storage_of(int type) {
  switch (type) {
    case TensorProto::FLOAT:
      return {4, Field::float_};
    case TensorProto::DOUBLE:
      return {8, Field::double_};
    case TensorProto::FLOAT16:
    case TensorProto::BFLOAT16:
    case TensorProto::INT16:
    case TensorProto::UINT16:
      return {2, Field::int32};
    case TensorProto::INT32:
      return {4, Field::int32};
    case TensorProto::INT8:
    case TensorProto::UINT8:
    case TensorProto::BOOL:
      return {1, Field::int32};
    case TensorProto::INT64:
      return {8, Field::int64};
    case TensorProto::UINT32:
      return {4, Field::uint64};
    case TensorProto::UINT64:
      return {8, Field::uint64};
    default:
      return {0, Field::int32};
  }
}

// Element k's stored bits (raw_data) or typed-field value, as a 64-bit pattern.
struct Reader {
  const TensorProto& t;
  Storage s;
  uint64_t bits(int64_t k) const {
    if (t.has_raw_data()) return load_le(t.raw_data().data() + k * s.bytes, s.bytes);
    switch (s.field) {
      case Field::int32:
        return static_cast<uint32_t>(t.int32_data(static_cast<int>(k)));
      case Field::int64:
        return static_cast<uint64_t>(t.int64_data(static_cast<int>(k)));
      case Field::uint64:
        return t.uint64_data(static_cast<int>(k));
      case Field::double_:
        return std::bit_cast<uint64_t>(t.double_data(static_cast<int>(k)));
      case Field::float_:
        return std::bit_cast<uint32_t>(t.float_data(static_cast<int>(k)));
    }
    return 0;
  }
  int64_t stored() const {
    switch (s.field) {
      case Field::int32:
        return t.int32_data_size();
      case Field::int64:
        return t.int64_data_size();
      case Field::uint64:
        return t.uint64_data_size();
      case Field::double_:
        return t.double_data_size();
      case Field::float_:
        return t.float_data_size();
    }
    return 0;
  }
};

// Sign-extends the low `bytes` bytes of v.
int64_t sign_extend(uint64_t v, size_t bytes) {
  const int shift = 64 - 8 * static_cast<int>(bytes);
  return static_cast<int64_t>(v << shift) >> shift;
}

}  // namespace

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf, NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal: value = mantissa * 2^-24; normalise the mantissa into 1.m form.
    int e = -1;
    do {
      ++e;
      mantissa <<= 1;
    } while ((mantissa & 0x400u) == 0);
    bits = sign | (uint32_t(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bfloat16_to_float(uint16_t bits) { return std::bit_cast<float>(uint32_t(bits) << 16); }

uint16_t float_to_half(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0);  // inf, NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;  // rounds past the largest half: inf
  if (abs < 0x38800000u) {
    // Subnormal half (or zero): value / 2^-24, rounded to nearest even.
    const float scaled = std::bit_cast<float>(abs) * 16777216.0f;  // exact: power of two
    const float r = std::nearbyint(scaled);  // the default rounding mode: ties to even
    return sign | static_cast<uint16_t>(r);
  }
  // Normal: drop 13 mantissa bits with round to nearest even, rebias the exponent.
  const uint32_t rounded = abs + 0xfffu + ((abs >> 13) & 1u);
  return sign | static_cast<uint16_t>((rounded - (uint32_t(127 - 15) << 23)) >> 13);
}

uint16_t float_to_bfloat16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

Constant to_constant(const TensorProto& t, const std::string& where) {
  Shape shape(t.dims().begin(), t.dims().end());
  const std::string id = fmt::format("{}: tensor '{}'", where, t.name());
  if (t.data_location() == TensorProto::EXTERNAL) {
    throw Error(id + " keeps its data in an external file, which onexn does not read");
  }
  for (int64_t d : shape) {
    if (d < 0) throw Error(fmt::format("{} has a negative dimension", id));
  }
  const int type = t.data_type();
  if (type == TensorProto::FLOAT) return Constant::floats(shape, detail::tensor_floats(t, where));
  const Storage s = storage_of(type);
  if (s.bytes == 0) {
    throw Error(
        fmt::format("{} has data type {}, which onexn does not support (float32, float16, "
                    "bfloat16, float64, int8 to int64, uint8 to uint64, bool)",
                    id, type));
  }
  const int64_t n = checked_numel(shape, id);
  // The stored data is checked against the dims before anything sized by the dims is allocated:
  // dims alone may claim any size. Sizes are compared in elements, n * bytes could overflow.
  const Reader r{t, s};
  if (t.has_raw_data()) {
    const size_t bytes = t.raw_data().size();
    if (bytes % s.bytes != 0 || bytes / s.bytes != static_cast<uint64_t>(n)) {
      throw Error(fmt::format("{} holds {} bytes, its dims {} need {} values of {} bytes", id,
                              bytes, shape_string(shape), n, s.bytes));
    }
  } else if (r.stored() != n) {
    throw Error(fmt::format("{} holds {} values, its dims {} need {}", id, r.stored(),
                            shape_string(shape), n));
  }
  if (type == TensorProto::DOUBLE || type == TensorProto::FLOAT16 ||
      type == TensorProto::BFLOAT16) {
    std::vector<float> v(n);
    for (int64_t k = 0; k < n; ++k) {
      const uint64_t b = r.bits(k);
      if (type == TensorProto::DOUBLE) {
        v[k] = static_cast<float>(std::bit_cast<double>(b));
      } else if (type == TensorProto::FLOAT16) {
        v[k] = half_to_float(static_cast<uint16_t>(b));
      } else {
        v[k] = bfloat16_to_float(static_cast<uint16_t>(b));
      }
    }
    return Constant::floats(std::move(shape), std::move(v));
  }
  const bool is_signed = type == TensorProto::INT8 || type == TensorProto::INT16 ||
                         type == TensorProto::INT32 || type == TensorProto::INT64;
  std::vector<int64_t> v(n);
  for (int64_t k = 0; k < n; ++k) {
    uint64_t b = r.bits(k);
    if (s.field == Field::int32 && !t.has_raw_data()) {
      // int32_data holds the value itself (sign-extended for the signed types); keep the low
      // bits of the element's width, as raw_data would.
      b &= s.bytes == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * s.bytes)) - 1;
    }
    if (type == TensorProto::BOOL) {
      v[k] = b != 0;
    } else if (is_signed) {
      v[k] = sign_extend(b, s.bytes);
    } else {
      if (b > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw Error(fmt::format("{} holds {} at index {}, above the int64 range onexn computes in",
                                id, b, k));
      }
      v[k] = static_cast<int64_t>(b);
    }
  }
  return Constant::ints(std::move(shape), std::move(v));
}

}  // namespace onexn::graph
