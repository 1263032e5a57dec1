// Pattern names as the CLI takes them: what parses, what is rejected, the to_string round trip,
// and which sparsities each pattern accepts.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "onexn/error.hpp"
#include "onexn/pattern.hpp"

namespace onexn {
namespace {

TEST(PatternParse, OneByN) {
  for (int n : {1, 2, 4, 8, 16, 32}) {
    const std::string text = "1x" + std::to_string(n);
    const Pattern p = Pattern::parse(text);
    EXPECT_EQ(p.kind, PatternKind::one_by_n) << text;
    EXPECT_EQ(p.n, n) << text;
    EXPECT_TRUE(p.is_one_by_n());
    EXPECT_FALSE(p.implied_sparsity().has_value());
    EXPECT_EQ(p, Pattern::one_by_n(n));
  }
}

TEST(PatternParse, BalancedOneByN) {
  const Pattern p = Pattern::parse("balanced-1x8");
  EXPECT_EQ(p.kind, PatternKind::balanced_one_by_n);
  EXPECT_EQ(p.n, 8);
  EXPECT_TRUE(p.is_one_by_n());
  EXPECT_EQ(p, Pattern::balanced_one_by_n(8));
  EXPECT_EQ(Pattern::parse("balanced-1x1").n, 1);
  EXPECT_EQ(Pattern::parse("balanced-1x32").n, 32);
}

TEST(PatternParse, UnstructuredAndFilter) {
  EXPECT_EQ(Pattern::parse("unstructured").kind, PatternKind::unstructured);
  EXPECT_EQ(Pattern::parse("filter").kind, PatternKind::filter);
  EXPECT_FALSE(Pattern::parse("unstructured").is_one_by_n());
  EXPECT_FALSE(Pattern::parse("filter").is_one_by_n());
}

TEST(PatternParse, NOfM) {
  const Pattern two_four = Pattern::parse("2:4");
  EXPECT_EQ(two_four.kind, PatternKind::n_of_m);
  EXPECT_EQ(two_four.n, 2);
  EXPECT_EQ(two_four.m, 4);
  EXPECT_DOUBLE_EQ(*two_four.implied_sparsity(), 0.5);
  const Pattern one_four = Pattern::parse("1:4");
  EXPECT_EQ(one_four.n, 1);
  EXPECT_EQ(one_four.m, 4);
  EXPECT_DOUBLE_EQ(*one_four.implied_sparsity(), 0.75);
  EXPECT_FALSE(one_four.is_one_by_n());
}

TEST(PatternParse, RejectsEverythingElse) {
  for (const char* text : {"1x3",
                           "1x64",
                           "1x0",
                           "1x-4",
                           "1x",
                           "1x4 ",
                           " 1x4",
                           "1X4",
                           "2x4",
                           "1x4x4",
                           "abc",
                           "",
                           "balanced-filter",
                           "balanced-unstructured",
                           "balanced-",
                           "balanced-2:4",
                           "balanced1x4",
                           "4:2",
                           "0:4",
                           "4:4",
                           "2:",
                           ":4",
                           "2:4:8",
                           "-1:4",
                           "Filter",
                           "unstructured "}) {
    EXPECT_THROW(Pattern::parse(text), InvalidArgument) << "'" << text << "'";
  }
}

TEST(PatternParse, ErrorNamesTheText) {
  try {
    Pattern::parse("1x3");
    FAIL() << "1x3 parsed";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("1x3"), std::string::npos) << e.what();
  }
}

TEST(PatternParse, FactoriesRejectUnsupportedParameters) {
  EXPECT_THROW(Pattern::one_by_n(3), InvalidArgument);
  EXPECT_THROW(Pattern::one_by_n(64), InvalidArgument);
  EXPECT_THROW(Pattern::balanced_one_by_n(0), InvalidArgument);
  EXPECT_THROW(Pattern::n_of_m(4, 2), InvalidArgument);
  EXPECT_THROW(Pattern::n_of_m(0, 4), InvalidArgument);
  EXPECT_THROW(Pattern::n_of_m(4, 4), InvalidArgument);
}

TEST(PatternParse, ToStringRoundTrip) {
  for (const char* text :
       {"1x1", "1x2", "1x4", "1x8", "1x16", "1x32", "balanced-1x1", "balanced-1x8", "balanced-1x32",
        "unstructured", "filter", "2:4", "1:4", "1:2", "4:8"}) {
    const Pattern p = Pattern::parse(text);
    EXPECT_EQ(p.to_string(), text);
    EXPECT_EQ(Pattern::parse(p.to_string()), p) << text;
  }
}

TEST(PatternSparsity, AcceptsZeroUpToButExcludingOne) {
  for (const Pattern& p : {Pattern::one_by_n(4), Pattern::balanced_one_by_n(8),
                           Pattern::unstructured(), Pattern::filter()}) {
    for (double ok : {0.0, 1e-9, 0.5, 0.9, 0.999999}) {
      EXPECT_NO_THROW(p.check_sparsity(ok)) << p.to_string() << " p=" << ok;
    }
    for (double bad :
         {-1e-9, -0.5, 1.0, 1.0 + 1e-9, 2.0, std::numeric_limits<double>::quiet_NaN(),
          std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
      EXPECT_THROW(p.check_sparsity(bad), InvalidArgument) << p.to_string() << " p=" << bad;
    }
  }
}

TEST(PatternSparsity, NOfMFixesTheSparsity) {
  const Pattern two_four = Pattern::parse("2:4");
  EXPECT_NO_THROW(two_four.check_sparsity(0.5));
  for (double bad : {0.0, 0.25, 0.49, 0.51, 0.75, 1.0, std::nan("")}) {
    EXPECT_THROW(two_four.check_sparsity(bad), InvalidArgument) << bad;
  }
  const Pattern one_four = Pattern::parse("1:4");
  EXPECT_NO_THROW(one_four.check_sparsity(0.75));
  EXPECT_THROW(one_four.check_sparsity(0.5), InvalidArgument);
  EXPECT_NO_THROW(Pattern::parse("1:3").check_sparsity(1.0 - 1.0 / 3.0));
}

}  // namespace
}  // namespace onexn
