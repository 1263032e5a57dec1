#include "onexn/weight_shape.hpp"

#include <algorithm>
#include <sstream>

#include "onexn/error.hpp"

namespace onexn {

void WeightShape::validate() const {
  if (c_out <= 0 || c_in_per_group <= 0 || kh <= 0 || kw <= 0 || groups <= 0) {
    throw InvalidArgument("weight shape " + to_string() + ": every extent must be positive");
  }
  if (c_out % groups != 0) {
    throw InvalidArgument("weight shape " + to_string() + ": groups must divide c_out");
  }
}

namespace {

// Calls copy(stored index, OIHW index, taps) once per (output channel, input channel) pair.
template <typename Copy>
void for_each_iohw_pair(const WeightShape& s, size_t size, const char* what, Copy copy) {
  s.validate();
  if (static_cast<int64_t>(size) != s.numel()) {
    throw InvalidArgument(std::string(what) + ": " + std::to_string(size) +
                          " weights given, shape " + s.to_string() + " has " +
                          std::to_string(s.numel()));
  }
  const int64_t taps = s.taps(), out_pg = s.c_out_per_group(), in_pg = s.c_in_per_group;
  for (int64_t o = 0; o < s.c_out; ++o) {
    const int64_t g = o / out_pg, j = o % out_pg;
    for (int64_t i = 0; i < in_pg; ++i)
      copy(((g * in_pg + i) * out_pg + j) * taps, s.index(o, i, 0, 0), taps);
  }
}

}  // namespace

std::vector<float> oihw_from_iohw(std::span<const float> iohw, const WeightShape& shape) {
  std::vector<float> oihw(iohw.size());
  for_each_iohw_pair(shape, iohw.size(), "oihw_from_iohw",
                     [&](int64_t stored, int64_t logical, int64_t taps) {
                       std::copy_n(iohw.begin() + stored, taps, oihw.begin() + logical);
                     });
  return oihw;
}

std::vector<float> iohw_from_oihw(std::span<const float> oihw, const WeightShape& shape) {
  std::vector<float> iohw(oihw.size());
  for_each_iohw_pair(shape, oihw.size(), "iohw_from_oihw",
                     [&](int64_t stored, int64_t logical, int64_t taps) {
                       std::copy_n(oihw.begin() + logical, taps, iohw.begin() + stored);
                     });
  return iohw;
}

std::string WeightShape::to_string() const {
  std::ostringstream s;
  s << '[' << c_out << ", " << c_in_per_group << ", " << kh << ", " << kw << ']';
  if (groups != 1) s << " g=" << groups;
  return s.str();
}

}  // namespace onexn
