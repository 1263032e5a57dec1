#include "onexn/packed_1xn.hpp"

#include <string>

#include "onexn/error.hpp"

namespace onexn {
namespace {

// Packs the blocks for which keep(g, c) is true, copying value(o, i, tap) for their weights.
template <typename Keep, typename Value>
Packed1xN pack_blocks(const WeightShape& shape, int n, Keep keep, Value value) {
  const BlockGrid grid(shape, n);
  Packed1xN p;
  p.shape = shape;
  p.n = n;
  const int64_t taps = shape.taps();
  p.block_begin.reserve(grid.num_out_groups() + 1);
  p.block_begin.push_back(0);
  for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
    const int64_t row0 = grid.first_row(g);
    const int64_t rows = grid.rows(g);
    for (int64_t c = 0; c < shape.c_in_per_group; ++c) {
      if (!keep(row0, rows, c)) continue;
      p.channel.push_back(static_cast<uint32_t>(c));
      const size_t base = p.values.size();
      p.values.resize(base + taps * n, 0.0f);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t t = 0; t < taps; ++t) p.values[base + t * n + r] = value(row0 + r, c, t);
      }
    }
    p.block_begin.push_back(static_cast<uint32_t>(p.channel.size()));
  }
  return p;
}

}  // namespace

Packed1xN pack_1xn(ConstWeightView w, int n) {
  const int64_t taps = w.shape.taps();
  auto flat = [&](int64_t o, int64_t c, int64_t t) { return w.data[w.shape.index(o, c, 0, 0) + t]; };
  auto keep = [&](int64_t row0, int64_t rows, int64_t c) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t t = 0; t < taps; ++t)
        if (flat(row0 + r, c, t) != 0.0f) return true;
    return false;
  };
  return pack_blocks(w.shape, n, keep, flat);
}

Packed1xN pack_1xn(ConstWeightView w, int n, const Mask& mask) {
  if (static_cast<int64_t>(mask.size()) != w.shape.numel()) {
    throw InvalidArgument("pack_1xn: mask has " + std::to_string(mask.size()) +
                          " entries, weights " + w.shape.to_string() + " have " +
                          std::to_string(w.shape.numel()));
  }
  const int64_t taps = w.shape.taps();
  auto at = [&](int64_t o, int64_t c, int64_t t) { return w.shape.index(o, c, 0, 0) + t; };
  auto keep = [&](int64_t row0, int64_t rows, int64_t c) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t t = 0; t < taps; ++t)
        if (mask[at(row0 + r, c, t)]) return true;
    return false;
  };
  auto value = [&](int64_t o, int64_t c, int64_t t) {
    const int64_t i = at(o, c, t);
    return mask[i] ? w.data[i] : 0.0f;
  };
  return pack_blocks(w.shape, n, keep, value);
}

std::vector<float> unpack_1xn(const Packed1xN& p) {
  p.validate();
  const BlockGrid grid = p.grid();
  const int64_t taps = p.shape.taps();
  std::vector<float> w(p.shape.numel(), 0.0f);
  for (int64_t g = 0; g < grid.num_out_groups(); ++g) {
    const int64_t row0 = grid.first_row(g);
    for (uint32_t b = p.block_begin[g]; b < p.block_begin[g + 1]; ++b) {
      const float* v = p.block_values(b);
      for (int64_t r = 0; r < grid.rows(g); ++r)
        for (int64_t t = 0; t < taps; ++t)
          w[p.shape.index(row0 + r, p.channel[b], 0, 0) + t] = v[t * p.n + r];
    }
  }
  return w;
}

void Packed1xN::validate() const {
  auto fail = [&](const std::string& what) {
    throw Error("packed 1x" + std::to_string(n) + " weights " + shape.to_string() + ": " + what);
  };
  try {
    shape.validate();
    (void)BlockGrid(shape, n);
  } catch (const InvalidArgument& e) {
    fail(e.what());
  }
  const BlockGrid grid(shape, n);
  const int64_t groups = grid.num_out_groups();
  if (static_cast<int64_t>(block_begin.size()) != groups + 1) {
    fail("block_begin has " + std::to_string(block_begin.size()) + " entries, expected " +
         std::to_string(groups + 1));
  }
  if (block_begin.front() != 0) fail("block_begin[0] is not 0");
  if (block_begin.back() != channel.size()) {
    fail("block_begin ends at " + std::to_string(block_begin.back()) + " but " +
         std::to_string(channel.size()) + " blocks are stored");
  }
  if (static_cast<int64_t>(values.size()) != num_kept_blocks() * block_stride()) {
    fail("values has " + std::to_string(values.size()) + " floats, expected " +
         std::to_string(num_kept_blocks() * block_stride()));
  }
  for (int64_t g = 0; g < groups; ++g) {
    if (block_begin[g] > block_begin[g + 1]) fail("block_begin decreases at group " + std::to_string(g));
  }
  const int64_t taps = shape.taps();
  for (int64_t g = 0; g < groups; ++g) {
    for (uint32_t b = block_begin[g]; b < block_begin[g + 1]; ++b) {
      if (channel[b] >= shape.c_in_per_group) {
        fail("block " + std::to_string(b) + " has input channel " + std::to_string(channel[b]) +
             ", expected < " + std::to_string(shape.c_in_per_group));
      }
      if (b > block_begin[g] && channel[b] <= channel[b - 1]) {
        fail("input channels of group " + std::to_string(g) + " are not strictly ascending");
      }
      const float* v = block_values(b);
      for (int64_t r = grid.rows(g); r < n; ++r)
        for (int64_t t = 0; t < taps; ++t)
          if (v[t * n + r] != 0.0f) fail("padding lane of block " + std::to_string(b) + " is not zero");
    }
  }
}

}  // namespace onexn
