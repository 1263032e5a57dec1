#include "onexn/weight_shape.hpp"

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

std::string WeightShape::to_string() const {
  std::ostringstream s;
  s << '[' << c_out << ", " << c_in_per_group << ", " << kh << ", " << kw << ']';
  if (groups != 1) s << " g=" << groups;
  return s.str();
}

}  // namespace onexn
