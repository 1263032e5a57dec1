// The packed 1xN format: what the sparse kernels read. See docs/format.md for the byte layout.
//
// Output groups are those of BlockGrid (N rows each, the last group of a conv group shorter). For
// output group g the kept blocks are block_begin[g] .. block_begin[g+1]-1; kept block b sits at
// input channel channel[b] (strictly ascending within a group) and holds taps * n floats in
// values[b * taps * n ...], ordered [tap][lane]: tap = ky * kw + kx, lane = row within the group.
// Lanes past the end of a short group are stored as 0.0f so kernels can always process N lanes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "onexn/block_grid.hpp"
#include "onexn/mask.hpp"
#include "onexn/weight_shape.hpp"

namespace onexn {

struct Packed1xN {
  static constexpr uint32_t kFormatVersion = 1;

  WeightShape shape;
  int n = 1;
  std::vector<uint32_t> block_begin;  // num_out_groups + 1 offsets into channel[]
  std::vector<uint32_t> channel;      // input channel (within the conv group) of each kept block
  std::vector<float> values;          // channel.size() * taps * n floats, [block][tap][lane]

  BlockGrid grid() const { return BlockGrid(shape, n); }
  int64_t num_kept_blocks() const { return static_cast<int64_t>(channel.size()); }
  int64_t block_stride() const { return shape.taps() * n; }  // floats per stored block
  const float* block_values(int64_t b) const { return values.data() + b * block_stride(); }

  // Throws Error naming the first inconsistency: sizes, offsets, channel order, nonzero padding.
  void validate() const;
};

// Packs every block of W that holds at least one nonzero weight.
Packed1xN pack_1xn(ConstWeightView w, int n);
// Packs W (.) mask: a block is stored when the mask keeps any weight of it, with masked weights
// stored as zero. unpack_1xn(pack_1xn(W, n, mask)) == W (.) mask.
Packed1xN pack_1xn(ConstWeightView w, int n, const Mask& mask);
// The dense OIHW tensor the packed weights stand for (dropped blocks are zero). Validates first.
std::vector<float> unpack_1xn(const Packed1xN& packed);

// Serialized form (little-endian, versioned; docs/format.md). from_bytes validates and throws Error
// on a wrong magic, unknown version, truncated buffer or inconsistent content.
std::vector<uint8_t> to_bytes(const Packed1xN& packed);
Packed1xN packed_1xn_from_bytes(std::span<const uint8_t> bytes);

}  // namespace onexn
