// Fashion-MNIST (Zalando, 28x28 grey images of 10 clothing classes) read straight from the
// gzipped IDX files Debian's dataset-fashion-mnist package installs. No LibTorch here: the
// runtime's `onexn eval` and the trainer both read it.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace onexn {

enum class DataSplit { train, test };

struct ImageSet {
  int64_t count = 0;
  int64_t rows = 28, cols = 28;
  std::vector<uint8_t> pixels;  // count * rows * cols, row-major, 0 = background
  std::vector<uint8_t> labels;  // count, 0..9
};

inline constexpr int kFashionClasses = 10;
extern const std::array<const char*, kFashionClasses> kFashionClassNames;
// Mean and standard deviation of the training pixels scaled to [0, 1]: inputs are normalized as
// (pixel / 255 - mean) / std, by the trainer and by `onexn eval` alike.
inline constexpr float kFashionMean = 0.2860f;
inline constexpr float kFashionStd = 0.3530f;

// $ONEXN_FASHION_MNIST_DIR when set, else /usr/share/datasets/fashion-mnist.
std::filesystem::path fashion_mnist_dir();

// Reads {train,t10k}-{images-idx3,labels-idx1}-ubyte.gz. `limit` > 0 keeps the first `limit`
// images. Throws Error naming the file for a missing file (with the apt-get command that
// installs the package), a corrupt gzip stream, or a bad IDX header.
ImageSet load_fashion_mnist(DataSplit split, int64_t limit = 0,
                            const std::filesystem::path& dir = fashion_mnist_dir());

// One image as the network's input: [1, rows, cols] floats, normalized.
void normalize_image(const ImageSet& set, int64_t index, float* out);

}  // namespace onexn
