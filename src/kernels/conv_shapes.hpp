// Convolution shapes in oneDNN benchdnn's conv syntax, the form of the shape files under
// bench/shapes/ that every benchmarked implementation reads. One shape per line, e.g.
//   mb1ic256ih56oc256oh56kh1sh1ph0n"res2a_branch2a"
// Fields: g mb ic ih iw oc oh ow kh kw sh sw ph pw dh dw, each a letter pair and a number, and
// n"name". Missing fields: g1, mb1, iw = ih, ow = oh, kw = kh, sw = sh, pw = ph, dh = dw = 0, and
// oh computed from the rest (ow too when iw is given). As in
// benchdnn, dh / dw count extra spacing (dilation - 1), ph / pw is the top / left padding and the
// bottom / right padding is whatever makes oh / ow come out. '#' starts a comment.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn {

struct ConvShape {
  std::string name;  // n"..." or, if absent, the shape text itself
  std::string text;  // the shape as written
  ConvParams params;
};

// Throws InvalidArgument naming the field for unknown fields, bad numbers or impossible shapes.
ConvShape parse_conv_shape(std::string_view line);
// Every shape in the file; throws Error naming the file and line.
std::vector<ConvShape> read_conv_shapes(const std::filesystem::path& path);

}  // namespace onexn
