// The serialized packed 1xN format: bit-exact round trips, the pinned byte layout of version 1,
// and rejection (an Error, never a crash or a huge allocation) of truncated or corrupt buffers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "format/block_reference.hpp"
#include "onexn/error.hpp"
#include "onexn/packed_1xn.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

// Version 1 layout: "OX1N", then little-endian u32 fields at these byte offsets, 48 header bytes;
// block_begin at 48, channel and values each at the next 16-byte boundary.
constexpr size_t kVersionAt = 4, kNAt = 8, kCOutAt = 12, kCInAt = 16, kKhAt = 20, kKwAt = 24,
                 kGroupsAt = 28, kOutGroupsAt = 32, kBlocksAt = 36, kHeaderBytes = 48;

uint32_t get_u32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) | uint32_t(b[at + 1]) << 8 | uint32_t(b[at + 2]) << 16 |
         uint32_t(b[at + 3]) << 24;
}
void set_u32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = uint8_t(v >> (8 * i));
}
size_t align16(size_t x) { return (x + 15) / 16 * 16; }

void expect_same(const Packed1xN& a, const Packed1xN& b) {
  EXPECT_EQ(a.shape, b.shape);
  EXPECT_EQ(a.n, b.n);
  EXPECT_EQ(a.block_begin, b.block_begin);
  EXPECT_EQ(a.channel, b.channel);
  ASSERT_EQ(a.values.size(), b.values.size());
  if (!a.values.empty()) {  // bit-exact, NaN payloads included; memcmp must not see null pointers
    EXPECT_EQ(std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)), 0);
  }
}

Packed1xN random_packed(std::mt19937& rng, int n, double keep) {
  const WeightShape s = test::random_weight_shape(rng, 20, 8);
  const auto w = test::random_values(s.numel(), rng());
  std::bernoulli_distribution coin(keep);
  Mask mask(s.numel());
  for (auto& m : mask) m = coin(rng);
  mask[rng() % mask.size()] = 1;  // at least one block; no kept block is its own test
  return pack_1xn(ConstWeightView{w.data(), s}, n, mask);
}

// 10 output channels, N=4 (rows 4, 4, 2), 5 input channels, 3x1 taps, no zero weights; blocks
// at channel 1 are dropped, so every group keeps channels 0, 2, 3, 4.
Packed1xN sample_packed() {
  const WeightShape s = WeightShape::conv(10, 5, 3, 1);
  auto w = test::random_values(s.numel(), 21);
  for (float& v : w)
    if (v == 0.0f) v = 0.25f;
  Mask mask(s.numel(), 1);
  for (const auto& b : test::reference_blocks(s, 4))
    if (b.channel == 1)
      for (int64_t i : test::block_elements(s, b)) mask[i] = 0;
  return pack_1xn(ConstWeightView{w.data(), s}, 4, mask);
}

TEST(Packed1xNBytes, RoundTripIsBitExact) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 60; ++trial) {
    for (int n : kBlockSizes) {
      for (double keep : {0.0, 0.02, 0.5, 1.0}) {
        const Packed1xN p = random_packed(rng, n, keep);
        SCOPED_TRACE(p.shape.to_string() + " N=" + std::to_string(n) +
                     " keep=" + std::to_string(keep));
        const auto bytes = to_bytes(p);
        const Packed1xN q = packed_1xn_from_bytes(bytes);
        expect_same(p, q);
        EXPECT_EQ(to_bytes(q), bytes);
      }
    }
  }
}

TEST(Packed1xNBytes, RoundTripWithNoKeptBlock) {
  const WeightShape s = WeightShape::conv(10, 3, 3, 3, 2);
  const auto w = test::random_values(s.numel(), 4);
  const Packed1xN p = pack_1xn(ConstWeightView{w.data(), s}, 4, Mask(s.numel(), 0));
  ASSERT_EQ(p.num_kept_blocks(), 0);
  const auto bytes = to_bytes(p);
  const Packed1xN q = packed_1xn_from_bytes(bytes);
  expect_same(p, q);
  EXPECT_EQ(to_bytes(q), bytes);
}

TEST(Packed1xNBytes, LayoutOfVersion1) {
  const Packed1xN p = sample_packed();
  ASSERT_EQ(p.block_begin, (std::vector<uint32_t>{0, 4, 8, 12}));
  const auto b = to_bytes(p);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "OX1N");
  EXPECT_EQ(get_u32(b, kVersionAt), 1u);
  EXPECT_EQ(get_u32(b, kNAt), 4u);
  EXPECT_EQ(get_u32(b, kCOutAt), 10u);
  EXPECT_EQ(get_u32(b, kCInAt), 5u);
  EXPECT_EQ(get_u32(b, kKhAt), 3u);
  EXPECT_EQ(get_u32(b, kKwAt), 1u);
  EXPECT_EQ(get_u32(b, kGroupsAt), 1u);
  EXPECT_EQ(get_u32(b, kOutGroupsAt), 3u);
  EXPECT_EQ(get_u32(b, kBlocksAt), 12u);
  const size_t begin_at = kHeaderBytes;
  const size_t channel_at = align16(begin_at + 4 * 4);
  const size_t values_at = align16(channel_at + 12 * 4);
  ASSERT_EQ(b.size(), values_at + 12 * 3 * 4 * 4);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(get_u32(b, begin_at + 4 * i), p.block_begin[i]);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(get_u32(b, channel_at + 4 * i), p.channel[i]);
  EXPECT_EQ(std::memcmp(b.data() + values_at, p.values.data(), p.values.size() * 4), 0);
}

TEST(Packed1xNBytes, ToBytesRejectsAnInvalidPackedTensor) {
  Packed1xN p = sample_packed();
  p.channel[1] = 0;  // not ascending
  EXPECT_THROW(to_bytes(p), Error);
}

TEST(Packed1xNBytes, TruncatedOrExtendedBufferThrows) {
  const auto bytes = to_bytes(sample_packed());
  for (size_t len = 0; len < bytes.size(); ++len) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + len);
    EXPECT_THROW(packed_1xn_from_bytes(cut), Error) << len << " of " << bytes.size() << " bytes";
  }
  for (size_t extra : {1, 4, 16}) {
    auto longer = bytes;
    longer.resize(bytes.size() + extra, 0);
    EXPECT_THROW(packed_1xn_from_bytes(longer), Error) << extra << " extra bytes";
  }
}

TEST(Packed1xNBytes, WrongMagicThrows) {
  const auto good = to_bytes(sample_packed());
  for (size_t i = 0; i < 4; ++i) {
    auto b = good;
    b[i] ^= 0x20;
    EXPECT_THROW(packed_1xn_from_bytes(b), Error) << "magic byte " << i;
  }
}

TEST(Packed1xNBytes, WrongVersionThrows) {
  const auto good = to_bytes(sample_packed());
  for (uint32_t v : {0u, 2u, 0x100u, 0xFFFFFFFFu}) {
    auto b = good;
    set_u32(b, kVersionAt, v);
    EXPECT_THROW(packed_1xn_from_bytes(b), Error) << "version " << v;
  }
}

TEST(Packed1xNBytes, InconsistentHeaderFieldsThrow) {
  const auto good = to_bytes(sample_packed());
  ASSERT_NO_THROW(packed_1xn_from_bytes(good));
  struct Bad {
    const char* field;
    size_t at;
    uint32_t value;
  };
  const Bad bad[] = {
      {"N", kNAt, 0},
      {"N", kNAt, 2},
      {"N", kNAt, 3},
      {"N", kNAt, 8},
      {"N", kNAt, 64},
      {"N", kNAt, 0xFFFFFFFF},
      {"c_out", kCOutAt, 0},
      {"c_out", kCOutAt, 9},  // lane 1 of the last group holds data
      {"c_out", kCOutAt, 13},
      {"c_out", kCOutAt, 0x80000000},
      {"c_out", kCOutAt, 0xFFFFFFFF},
      {"c_in", kCInAt, 0},
      {"c_in", kCInAt, 4},  // channel 4 is stored
      {"kh", kKhAt, 0},
      {"kh", kKhAt, 1},
      {"kh", kKhAt, 4},
      {"kh", kKhAt, 4096},
      {"kh", kKhAt, 0xFFFFFFFF},
      {"kw", kKwAt, 0},
      {"kw", kKwAt, 2},
      {"kw", kKwAt, 0xFFFFFFFF},
      {"groups", kGroupsAt, 0},
      {"groups", kGroupsAt, 2},
      {"groups", kGroupsAt, 3},
      {"groups", kGroupsAt, 10},
      {"groups", kGroupsAt, 0xFFFFFFFF},
      {"out groups", kOutGroupsAt, 0},
      {"out groups", kOutGroupsAt, 2},
      {"out groups", kOutGroupsAt, 4},
      {"out groups", kOutGroupsAt, 0x7FFFFFFF},
      {"out groups", kOutGroupsAt, 0xFFFFFFFF},
      {"blocks", kBlocksAt, 0},
      {"blocks", kBlocksAt, 11},
      {"blocks", kBlocksAt, 13},
      {"blocks", kBlocksAt, 0xFFFFFFFF},
  };
  for (const Bad& f : bad) {
    auto b = good;
    set_u32(b, f.at, f.value);
    EXPECT_THROW(packed_1xn_from_bytes(b), Error) << f.field << " = " << f.value;
  }
}

TEST(Packed1xNBytes, HeaderClaimingHugeSizesThrowsWithoutAllocating) {
  // The largest sizes the fields allow: the implied total cannot match a small buffer.
  std::vector<uint8_t> b(256, 0);
  std::memcpy(b.data(), "OX1N", 4);
  set_u32(b, kVersionAt, 1);
  set_u32(b, kNAt, 32);
  set_u32(b, kCOutAt, 0xFFFFFFFF);
  set_u32(b, kCInAt, 0xFFFFFFFF);
  set_u32(b, kKhAt, 4096);
  set_u32(b, kKwAt, 4096);
  set_u32(b, kGroupsAt, 1);
  set_u32(b, kOutGroupsAt, 0xFFFFFFFF);
  set_u32(b, kBlocksAt, 0xFFFFFFFF);
  EXPECT_THROW(packed_1xn_from_bytes(b), Error);
  set_u32(b, kKhAt, 0xFFFFFFFF);
  set_u32(b, kKwAt, 0xFFFFFFFF);
  EXPECT_THROW(packed_1xn_from_bytes(b), Error);
}

// What to_bytes writes, packed_1xn_from_bytes must read back as the same tensor; anything the
// header cannot represent must be refused when writing, not discovered when reading.
void expect_round_trip_or_refusal(const Packed1xN& p) {
  ASSERT_NO_THROW(p.validate());
  std::vector<uint8_t> bytes;
  try {
    bytes = to_bytes(p);
  } catch (const Error&) {
    return;  // refused: fine
  }
  Packed1xN q;
  ASSERT_NO_THROW(q = packed_1xn_from_bytes(bytes)) << "to_bytes wrote bytes the reader rejects";
  expect_same(p, q);
}

TEST(Packed1xNBytes, ShapesBeyondU32AreRefusedNotTruncated) {
  // No block is kept, so the tensor is small; its c_in_per_group does not fit the u32 field.
  Packed1xN p;
  p.n = 4;
  p.shape = WeightShape::conv(4, (int64_t{1} << 32) + 1, 1, 1);
  p.block_begin = {0, 0};
  expect_round_trip_or_refusal(p);
}

TEST(Packed1xNBytes, LongKernelsRoundTripOrAreRefused) {
  // A 1-D conv with a 5000-tap kernel (as H = 1, W = 5000), one weight row, N = 1.
  const WeightShape s = WeightShape::conv(1, 1, 1, 5000);
  const auto w = test::random_values(s.numel(), 3);
  expect_round_trip_or_refusal(pack_1xn(ConstWeightView{w.data(), s}, 1));
}

// Every single-bit flip either throws Error or yields a tensor that passes validate() and
// serializes again. Flips in the magic, version, N, kernel, groups and count fields must throw.
TEST(Packed1xNBytes, SingleBitFlipsNeverCrash) {
  const auto good = to_bytes(sample_packed());
  int rejected = 0, accepted = 0;
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      auto b = good;
      b[byte] ^= uint8_t(1u << bit);
      const bool must_throw = byte < kCOutAt || (byte >= kKhAt && byte < kBlocksAt + 4);
      try {
        const Packed1xN p = packed_1xn_from_bytes(b);
        EXPECT_FALSE(must_throw) << "flip of bit " << bit << " in byte " << byte << " accepted";
        EXPECT_NO_THROW(p.validate());
        EXPECT_NO_THROW(packed_1xn_from_bytes(to_bytes(p)));
        ++accepted;
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(accepted, 0);  // value bits are free; a checksum would be a format change
}

// Buffers whose size matches their header but whose content is random-ish: plausible offsets
// and channels, sometimes off by one, garbage floats. from_bytes must throw Error or return a
// tensor that validates.
TEST(Packed1xNBytes, PlausibleButRandomContentNeverCrashes) {
  std::mt19937 rng(77);
  auto pick = [&](uint32_t lo, uint32_t hi) {
    return std::uniform_int_distribution<uint32_t>(lo, hi)(rng);
  };
  int accepted = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const uint32_t n = uint32_t(kBlockSizes[pick(0, 5)]), groups = pick(1, 2);
    const uint32_t c_out = groups * pick(1, 9), c_in = pick(1, 6), kh = pick(1, 3), kw = pick(1, 2);
    const uint32_t out_groups = groups * ((c_out / groups + n - 1) / n) + (pick(0, 9) == 0);
    const uint32_t blocks = pick(1, out_groups * c_in);  // 0 blocks: see RoundTripWithNoKeptBlock
    std::vector<uint32_t> begin(out_groups + 1);
    for (auto& v : begin) v = pick(0, blocks);
    std::sort(begin.begin(), begin.end());
    begin.front() = pick(0, 9) == 0 ? 1 : 0;
    begin.back() = blocks + (pick(0, 9) == 0);
    const size_t channel_at = align16(kHeaderBytes + begin.size() * 4);
    const size_t values_at = align16(channel_at + blocks * 4);
    std::vector<uint8_t> b(values_at + size_t(blocks) * kh * kw * n * 4, 0);
    std::memcpy(b.data(), "OX1N", 4);
    const uint32_t header[] = {1, n, c_out, c_in, kh, kw, groups, out_groups, blocks};
    for (size_t i = 0; i < std::size(header); ++i) set_u32(b, 4 + 4 * i, header[i]);
    for (size_t i = 0; i < begin.size(); ++i) set_u32(b, kHeaderBytes + 4 * i, begin[i]);
    for (size_t i = 0; i < blocks; ++i) set_u32(b, channel_at + 4 * i, pick(0, c_in));
    for (size_t i = values_at; i < b.size(); ++i)
      b[i] = pick(0, 3) == 0 ? uint8_t(pick(0, 255)) : 0;
    try {
      const Packed1xN p = packed_1xn_from_bytes(b);
      EXPECT_NO_THROW(p.validate());
      EXPECT_EQ(to_bytes(p), b);
      ++accepted;
    } catch (const Error&) {
    }
  }
  EXPECT_GT(accepted, 0);  // some buffers must get through every check
}

}  // namespace
}  // namespace onexn
