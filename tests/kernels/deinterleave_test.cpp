// deinterleave2 (kernels/deinterleave.hpp) against the plain definition, on every row length
// 0-100 (the SIMD pairs, the masked or scalar row end) and on every target; the floats either side
// of both outputs must stay as they were (masked stores touch only their lanes).
#include <gtest/gtest.h>
#include <hwy/targets.h>

#include <vector>

#include "kernels/deinterleave.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

TEST(Deinterleave2, SplitsEveryRowLengthOnEveryTarget) {
  constexpr int64_t kGuard = 20;
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    for (int64_t n = 0; n <= 100; ++n) {
      const std::vector<float> src = test::random_values(n, static_cast<uint32_t>(n + 1));
      std::vector<float> even(kGuard * 2 + (n + 1) / 2, -7.0f), odd(kGuard * 2 + n / 2, -7.0f);
      detail::deinterleave2(src.data(), n, even.data() + kGuard, odd.data() + kGuard);
      for (int64_t k = 0; k < static_cast<int64_t>(even.size()); ++k) {
        const int64_t i = k - kGuard;
        const float want = i >= 0 && 2 * i < n ? src[2 * i] : -7.0f;
        ASSERT_EQ(even[k], want) << "target " << hwy::TargetName(target) << ", n " << n << ", even[" << i << "]";
      }
      for (int64_t k = 0; k < static_cast<int64_t>(odd.size()); ++k) {
        const int64_t i = k - kGuard;
        const float want = i >= 0 && 2 * i + 1 < n ? src[2 * i + 1] : -7.0f;
        ASSERT_EQ(odd[k], want) << "target " << hwy::TargetName(target) << ", n " << n << ", odd[" << i << "]";
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

}  // namespace
}  // namespace onexn
