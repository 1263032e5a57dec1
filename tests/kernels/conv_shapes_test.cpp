// Shape files in benchdnn's conv syntax.
#include <gtest/gtest.h>

#include <fstream>

#include "kernels/conv_shapes.hpp"
#include "onexn/error.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

TEST(ConvShapes, ParsesTheIssueExampleWithDefaults) {
  const ConvShape s = parse_conv_shape(R"(mb1ic256ih56oc256oh56kh1sh1ph0n"res2a_branch2a")");
  EXPECT_EQ(s.name, "res2a_branch2a");
  const ConvParams& p = s.params;
  EXPECT_EQ(p.batch, 1);
  EXPECT_EQ(p.c_in, 256);
  EXPECT_EQ(p.c_out, 256);
  EXPECT_EQ(p.h, 56);
  EXPECT_EQ(p.w, 56);  // iw = ih
  EXPECT_EQ(p.kh, 1);
  EXPECT_EQ(p.kw, 1);  // kw = kh
  EXPECT_EQ(p.out_h(), 56);
  EXPECT_EQ(p.out_w(), 56);  // ow = oh
  EXPECT_EQ(p.groups, 1);
}

TEST(ConvShapes, StridedShapesGetTheFarPaddingFromTheOutputSize) {
  // 3x3 stride 2, pad 1, 56 -> 28: the bottom / right padding is not needed (benchdnn: 0).
  ConvParams p = parse_conv_shape("mb1ic128ih56oc128oh28kh3sh2ph1").params;
  EXPECT_EQ(p.pad_top, 1);
  EXPECT_EQ(p.pad_bottom, 0);
  EXPECT_EQ(p.out_h(), 28);
  EXPECT_EQ(p.out_w(), 28);
  // 1x1 stride 2 on an even size never reads the last row: still a valid shape.
  p = parse_conv_shape("mb1ic256ih56oc512oh28kh1sh2ph0").params;
  EXPECT_EQ(p.pad_bottom, 0);
  EXPECT_EQ(p.out_h(), 28);
  // Without oh the output follows from the rest.
  p = parse_conv_shape("ic3ih224oc64kh7sh2ph3").params;
  EXPECT_EQ(p.out_h(), 112);
  EXPECT_EQ(p.pad_bottom, 2);  // (112 - 1) * 2 + 7 - 224 - 3: the third pad row is never read
}

TEST(ConvShapes, GroupsRectanglesAndDilation) {
  const ConvParams p = parse_conv_shape("g32mb2ic32ih20iw30oc64oh20ow30kh3kw5sh1ph1pw2dh1").params;
  EXPECT_EQ(p.groups, 32);
  EXPECT_EQ(p.batch, 2);
  EXPECT_EQ(p.w, 30);
  EXPECT_EQ(p.kw, 5);
  EXPECT_EQ(p.dilation_h, 2);  // benchdnn's dh counts the gaps
  EXPECT_EQ(p.dilation_w, 2);  // dw = dh
  EXPECT_EQ(p.out_h(), 20);
  EXPECT_EQ(p.out_w(), 30);
}

TEST(ConvShapes, RejectsMalformedShapes) {
  for (const char* bad : {"", "ic3", "ic3ih8kh3", "mb1ic8ih8oc8kh3zz1", "ic8ih8oc8kh3ic4",
                          R"(ic8ih8oc8kh3n"unterminated)", "ic8ih8oc8kh9", "ic8ih8oc8oh20kh3",
                          "g3ic8ih8oc8kh3", "ic8ih8oc8kh3sh0", "ic99999999999ih8oc8kh3"}) {
    EXPECT_THROW(parse_conv_shape(bad), InvalidArgument) << bad;
  }
}

TEST(ConvShapes, ReadsFilesWithCommentsAndNamesTheBadLine) {
  const auto dir = test::scratch_dir("conv-shapes");
  {
    std::ofstream f(dir / "good.txt");
    f << "# a comment\n\nmb1ic8ih8oc8kh3ph1n\"a # not a comment\"  # trailing\n  ic4ih4oc4kh1\n";
  }
  const auto shapes = read_conv_shapes(dir / "good.txt");
  ASSERT_EQ(shapes.size(), 2u);
  EXPECT_EQ(shapes[0].name, "a # not a comment");
  EXPECT_EQ(shapes[1].params.c_in, 4);
  {
    std::ofstream f(dir / "bad.txt");
    f << "ic8ih8oc8kh3\nic8ih8oc8kh3qq7\n";
  }
  try {
    read_conv_shapes(dir / "bad.txt");
    FAIL() << "accepted a bad line";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_conv_shapes(dir / "missing.txt"), Error);
  std::filesystem::remove_all(dir);
}

TEST(ConvShapes, TheRepositoryShapeFilesParse) {
  int total = 0;
  for (const char* name : {"resnet50.txt", "resnet50_first.txt", "mobilenetv2_pointwise.txt",
                           "mobilenetv2_depthwise_first.txt"}) {
    const auto shapes = read_conv_shapes(test::source_dir() / "bench/shapes" / name);
    total += static_cast<int>(shapes.size());
    for (const auto& s : shapes) EXPECT_NO_THROW(s.params.validate()) << s.text;
  }
  EXPECT_EQ(total, 22 + 1 + 19 + 11);
}

}  // namespace
}  // namespace onexn
