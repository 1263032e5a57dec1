#include "support/structure_checks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace onexn::test {

void expect_exact_1xn(const std::vector<float>& original, const std::vector<float>& pruned,
                      const WeightShape& s, int n, double p, const std::string& name) {
  ASSERT_EQ(s.groups, 1) << name;
  ASSERT_EQ(original.size(), pruned.size()) << name;
  const int64_t cin = s.c_in_per_group, taps = s.kh * s.kw;
  int64_t blocks = 0, zero_blocks = 0;
  for (int64_t row0 = 0; row0 < s.c_out; row0 += n) {
    const int64_t rows = std::min<int64_t>(n, s.c_out - row0);
    for (int64_t c = 0; c < cin; ++c) {
      bool all_zero = true, all_same = true;
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t t = 0; t < taps; ++t) {
          const int64_t i = ((row0 + r) * cin + c) * taps + t;
          all_zero &= pruned[i] == 0.0f;
          all_same &= std::memcmp(&pruned[i], &original[i], sizeof(float)) == 0;
        }
      }
      ASSERT_TRUE(all_zero || all_same)
          << name << ": block at row " << row0 << ", channel " << c << " is partly pruned";
      ++blocks;
      zero_blocks += all_zero;
    }
  }
  EXPECT_EQ(zero_blocks, static_cast<int64_t>(std::floor(blocks * p + 1e-9))) << name;
}

}  // namespace onexn::test
