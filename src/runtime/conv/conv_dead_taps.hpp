// Kernel rows and columns that only ever read padding. An atrous conv whose dilation is as large
// as its input (DeepLab's ASPP: 3x3 with dilation 24 or 36 on a 20x20 feature map) reads the input
// with its centre tap only; its other taps multiply zeros for every output pixel. Cropping them
// from both ends of the kernel, with the padding reduced to match, leaves the output unchanged
// and lets every implementation run the smaller conv (a 1x1 one in that case).
#pragma once

#include <vector>

#include "kernels/conv_params.hpp"

namespace onexn::runtime {

// Crops p's kernel (and the OIHW weights w) to the taps that read the input for some output
// pixel, along each axis where the reduced padding stays >= 0. Returns whether anything changed.
bool crop_dead_taps(ConvParams& p, std::vector<float>& w);

}  // namespace onexn::runtime
