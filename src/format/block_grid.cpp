#include "onexn/block_grid.hpp"

#include <algorithm>
#include <string>

#include "onexn/error.hpp"

namespace onexn {

bool is_supported_block_size(int n) {
  return std::find(std::begin(kBlockSizes), std::end(kBlockSizes), n) != std::end(kBlockSizes);
}

BlockGrid::BlockGrid(WeightShape s, int block) : shape(s), n(block) {
  if (!is_supported_block_size(n)) {
    throw InvalidArgument("block size N=" + std::to_string(n) +
                          " is not supported (expected one of 1, 2, 4, 8, 16, 32)");
  }
  shape.validate();
}

int64_t BlockGrid::first_row(int64_t g) const {
  const int64_t per = groups_per_conv_group();
  return (g / per) * shape.c_out_per_group() + (g % per) * n;
}

int64_t BlockGrid::rows(int64_t g) const {
  const int64_t in_group = (g % groups_per_conv_group()) * n;
  return std::min<int64_t>(n, shape.c_out_per_group() - in_group);
}

}  // namespace onexn
