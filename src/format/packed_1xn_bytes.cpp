// Byte form of the packed 1xN format (docs/format.md): a 48-byte header of little-endian u32
// fields, then block_begin, channel and values, each starting on a 16-byte boundary.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>

#include "onexn/error.hpp"
#include "onexn/packed_1xn.hpp"

static_assert(std::endian::native == std::endian::little,
              "the packed format is little-endian; add byte swapping for big-endian hosts");

namespace onexn {
namespace {

constexpr char kMagic[4] = {'O', 'X', '1', 'N'};
constexpr size_t kHeaderBytes = 48;
constexpr size_t kAlign = 16;
// Bounds the header's kernel size so that size arithmetic on a corrupt header cannot overflow.
constexpr uint32_t kMaxKernelExtent = 4096;

// memcpy that accepts the null pointers of empty vectors (memcpy itself must not get them).
void copy_bytes(void* to, const void* from, size_t n) {
  if (n) std::memcpy(to, from, n);
}

// Sizes are computed in 64 bits on every host: on 32-bit ARM a corrupt header's counts times 4
// would wrap size_t and could match a short buffer's size.
uint64_t align_up(uint64_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

struct Layout {
  uint64_t begin_offset, channel_offset, values_offset, total;
};

Layout layout_for(uint64_t groups, uint64_t blocks, uint64_t block_floats) {
  Layout l;
  l.begin_offset = kHeaderBytes;
  l.channel_offset = align_up(l.begin_offset + (groups + 1) * 4);
  l.values_offset = align_up(l.channel_offset + blocks * 4);
  l.total = l.values_offset + blocks * block_floats * 4;
  return l;
}

}  // namespace

std::vector<uint8_t> to_bytes(const Packed1xN& p) {
  p.validate();
  const int64_t fields[] = {p.shape.c_out, p.shape.c_in_per_group, p.shape.groups,
                            p.num_kept_blocks()};
  for (int64_t f : fields) {
    if (f > int64_t{UINT32_MAX}) {
      throw Error("packed 1xN weights " + p.shape.to_string() + ": a size exceeds the format's "
                  "32-bit fields");
    }
  }
  if (p.shape.kh > kMaxKernelExtent || p.shape.kw > kMaxKernelExtent) {
    throw Error("packed 1xN weights " + p.shape.to_string() + ": kernels above " +
                std::to_string(kMaxKernelExtent) + " taps per axis are outside the format");
  }
  const uint64_t groups = p.block_begin.size() - 1;
  const Layout l = layout_for(groups, p.channel.size(), p.block_stride());
  if (l.total > std::numeric_limits<size_t>::max()) {
    throw Error("packed 1xN weights " + p.shape.to_string() + ": too large for this host");
  }
  std::vector<uint8_t> out(l.total, 0);
  const uint32_t header[11] = {
      Packed1xN::kFormatVersion,
      static_cast<uint32_t>(p.n),
      static_cast<uint32_t>(p.shape.c_out),
      static_cast<uint32_t>(p.shape.c_in_per_group),
      static_cast<uint32_t>(p.shape.kh),
      static_cast<uint32_t>(p.shape.kw),
      static_cast<uint32_t>(p.shape.groups),
      static_cast<uint32_t>(groups),
      static_cast<uint32_t>(p.channel.size()),
      0,
      0};
  std::memcpy(out.data(), kMagic, 4);
  std::memcpy(out.data() + 4, header, sizeof(header));
  copy_bytes(out.data() + l.begin_offset, p.block_begin.data(), p.block_begin.size() * 4);
  copy_bytes(out.data() + l.channel_offset, p.channel.data(), p.channel.size() * 4);
  copy_bytes(out.data() + l.values_offset, p.values.data(), p.values.size() * 4);
  return out;
}

Packed1xN packed_1xn_from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, 4) != 0) {
    throw Error("packed 1xN weights: missing the 'OX1N' header (" + std::to_string(bytes.size()) +
                " bytes)");
  }
  uint32_t h[11];
  std::memcpy(h, bytes.data() + 4, sizeof(h));
  if (h[0] != Packed1xN::kFormatVersion) {
    throw Error("packed 1xN weights: format version " + std::to_string(h[0]) +
                ", this build reads version " + std::to_string(Packed1xN::kFormatVersion));
  }
  if (!is_supported_block_size(static_cast<int>(h[1])) || h[4] > kMaxKernelExtent ||
      h[5] > kMaxKernelExtent) {
    throw Error("packed 1xN weights: implausible header (N=" + std::to_string(h[1]) + ", kernel " +
                std::to_string(h[4]) + "x" + std::to_string(h[5]) + ")");
  }
  Packed1xN p;
  p.n = static_cast<int>(h[1]);
  p.shape = WeightShape::conv(h[2], h[3], h[4], h[5], h[6]);
  const uint64_t groups = h[7], blocks = h[8];
  const uint64_t block_floats = uint64_t(h[4]) * h[5] * h[1];
  const Layout l = layout_for(groups, blocks, block_floats);
  if (uint64_t{bytes.size()} != l.total) {
    throw Error("packed 1xN weights: " + std::to_string(bytes.size()) + " bytes, the header implies " +
                std::to_string(l.total) + " (truncated or corrupt)");
  }
  p.block_begin.resize(groups + 1);
  p.channel.resize(blocks);
  p.values.resize(blocks * block_floats);
  // Reserved header words and the gaps between arrays are zero in a well-formed buffer.
  const bool gaps_zero =
      h[9] == 0 && h[10] == 0 &&
      std::all_of(bytes.begin() + l.begin_offset + (groups + 1) * 4, bytes.begin() + l.channel_offset,
                  [](uint8_t b) { return b == 0; }) &&
      std::all_of(bytes.begin() + l.channel_offset + blocks * 4, bytes.begin() + l.values_offset,
                  [](uint8_t b) { return b == 0; });
  if (!gaps_zero) throw Error("packed 1xN weights: nonzero reserved or padding bytes (corrupt)");
  copy_bytes(p.block_begin.data(), bytes.data() + l.begin_offset, (groups + 1) * 4);
  copy_bytes(p.channel.data(), bytes.data() + l.channel_offset, blocks * 4);
  copy_bytes(p.values.data(), bytes.data() + l.values_offset, blocks * block_floats * 4);
  p.validate();
  return p;
}

}  // namespace onexn
