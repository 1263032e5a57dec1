// BlockGrid geometry: output groups of N rows, a shorter last group per conv group, groups that
// never straddle a conv group, and the supported N values.
#include "onexn/block_grid.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "format/block_reference.hpp"
#include "onexn/error.hpp"

namespace onexn {
namespace {

struct Geometry {
  std::vector<int64_t> first_rows, rows;
};

Geometry geometry(const BlockGrid& grid) {
  Geometry g;
  for (int64_t i = 0; i < grid.num_out_groups(); ++i) {
    g.first_rows.push_back(grid.first_row(i));
    g.rows.push_back(grid.rows(i));
  }
  return g;
}

TEST(BlockGrid, DivisibleOutputChannels) {
  const BlockGrid grid(WeightShape::conv(8, 3, 3, 3), 4);
  EXPECT_EQ(grid.groups_per_conv_group(), 2);
  EXPECT_EQ(grid.num_out_groups(), 2);
  EXPECT_EQ(grid.num_blocks(), 6);
  const Geometry g = geometry(grid);
  EXPECT_EQ(g.first_rows, (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(g.rows, (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(grid.block_numel(1), 4 * 9);
}

TEST(BlockGrid, ShortLastGroup) {
  const BlockGrid grid(WeightShape::conv(10, 5, 1, 1), 4);
  EXPECT_EQ(grid.num_out_groups(), 3);
  EXPECT_EQ(grid.num_blocks(), 15);
  const Geometry g = geometry(grid);
  EXPECT_EQ(g.first_rows, (std::vector<int64_t>{0, 4, 8}));
  EXPECT_EQ(g.rows, (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(grid.block_numel(2), 2);
}

TEST(BlockGrid, NLargerThanOutputChannels) {
  const BlockGrid grid(WeightShape::conv(3, 2, 3, 1), 32);
  EXPECT_EQ(grid.num_out_groups(), 1);
  EXPECT_EQ(grid.first_row(0), 0);
  EXPECT_EQ(grid.rows(0), 3);
  EXPECT_EQ(grid.block_numel(0), 9);
}

TEST(BlockGrid, GroupsNeverStraddleConvGroups) {
  // Two conv groups of 5 output channels: 4 + 1 rows in each, never 4 + 4 + 2.
  const BlockGrid grid(WeightShape::conv(10, 3, 1, 1, 2), 4);
  EXPECT_EQ(grid.groups_per_conv_group(), 2);
  EXPECT_EQ(grid.num_out_groups(), 4);
  EXPECT_EQ(grid.num_blocks(), 12);
  const Geometry g = geometry(grid);
  EXPECT_EQ(g.first_rows, (std::vector<int64_t>{0, 4, 5, 9}));
  EXPECT_EQ(g.rows, (std::vector<int64_t>{4, 1, 4, 1}));
}

TEST(BlockGrid, DepthwiseWithOneRowPerConvGroup) {
  const BlockGrid grid(WeightShape::conv(6, 1, 3, 3, 6), 8);
  EXPECT_EQ(grid.num_out_groups(), 6);
  for (int64_t g = 0; g < 6; ++g) {
    EXPECT_EQ(grid.first_row(g), g);
    EXPECT_EQ(grid.rows(g), 1);
  }
}

TEST(BlockGrid, MatchesIndependentEnumerationOnRandomShapes) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 200; ++trial) {
    const WeightShape s = test::random_weight_shape(rng, 70);
    for (int n : kBlockSizes) {
      SCOPED_TRACE(s.to_string() + " N=" + std::to_string(n));
      const BlockGrid grid(s, n);
      const auto ref = test::reference_blocks(s, n);
      ASSERT_EQ(grid.num_blocks(), static_cast<int64_t>(ref.size()));
      ASSERT_EQ(grid.num_out_groups() * s.c_in_per_group, grid.num_blocks());
      for (const auto& b : ref) {
        ASSERT_EQ(grid.first_row(b.group), b.first_row) << "group " << b.group;
        ASSERT_EQ(grid.rows(b.group), b.rows) << "group " << b.group;
        ASSERT_EQ(grid.block_numel(b.group), b.rows * s.taps());
      }
    }
  }
}

TEST(BlockGrid, SupportedBlockSizes) {
  for (int n : {1, 2, 4, 8, 16, 32}) EXPECT_TRUE(is_supported_block_size(n)) << n;
  for (int n : {-4, 0, 3, 5, 6, 12, 24, 64, 128}) {
    EXPECT_FALSE(is_supported_block_size(n)) << n;
    EXPECT_THROW(BlockGrid(WeightShape::conv(8, 8, 1, 1), n), InvalidArgument) << n;
  }
}

TEST(BlockGrid, RejectsInvalidShapes) {
  EXPECT_THROW(BlockGrid(WeightShape::conv(0, 8, 1, 1), 4), InvalidArgument);
  EXPECT_THROW(BlockGrid(WeightShape::conv(8, 0, 1, 1), 4), InvalidArgument);
  EXPECT_THROW(BlockGrid(WeightShape::conv(8, 8, 0, 1), 4), InvalidArgument);
  EXPECT_THROW(BlockGrid(WeightShape::conv(10, 8, 1, 1, 3), 4), InvalidArgument);
  EXPECT_THROW(BlockGrid(WeightShape::conv(8, 8, 1, 1, 0), 4), InvalidArgument);
}

}  // namespace
}  // namespace onexn
