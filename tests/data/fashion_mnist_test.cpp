// The Fashion-MNIST reader: the installed data set against facts published with it, and damaged
// or missing files written to a scratch directory.
#include "onexn/fashion_mnist.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "data/idx_files.hpp"
#include "onexn/error.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

std::array<int64_t, kFashionClasses> class_counts(const ImageSet& set) {
  std::array<int64_t, kFashionClasses> counts{};
  for (uint8_t label : set.labels) ++counts.at(label);
  return counts;
}

// The installed package: dataset-fashion-mnist is in scripts/debian-packages.txt, so its absence
// is a failure, not a skip.
TEST(FashionMnistData, TestSplitHas1000ImagesOfEachClass) {
  const ImageSet set = load_fashion_mnist(DataSplit::test);
  EXPECT_EQ(set.count, 10000);
  EXPECT_EQ(set.rows, 28);
  EXPECT_EQ(set.cols, 28);
  EXPECT_EQ(set.pixels.size(), size_t{10000 * 28 * 28});
  ASSERT_EQ(set.labels.size(), size_t{10000});
  for (int64_t n : class_counts(set)) EXPECT_EQ(n, 1000);
}

TEST(FashionMnistData, TrainSplitFactsAndNormalizationConstants) {
  const ImageSet set = load_fashion_mnist(DataSplit::train);
  EXPECT_EQ(set.count, 60000);
  EXPECT_EQ(set.rows, 28);
  EXPECT_EQ(set.cols, 28);
  ASSERT_EQ(set.pixels.size(), size_t{60000 * 28 * 28});
  for (int64_t n : class_counts(set)) EXPECT_EQ(n, 6000);
  // The first training image is an ankle boot (class 9), as in the data set's README.
  EXPECT_EQ(set.labels[0], 9);
  EXPECT_STREQ(kFashionClassNames[9], "Ankle boot");
  EXPECT_STREQ(kFashionClassNames[0], "T-shirt/top");
  // kFashionMean / kFashionStd are the statistics of these pixels.
  double sum = 0, sum_sq = 0;
  for (uint8_t p : set.pixels) {
    const double v = p / 255.0;
    sum += v;
    sum_sq += v * v;
  }
  const double n = double(set.pixels.size());
  const double mean = sum / n, std_dev = std::sqrt(sum_sq / n - mean * mean);
  EXPECT_NEAR(mean, kFashionMean, 5e-4);
  EXPECT_NEAR(std_dev, kFashionStd, 5e-4);
}

TEST(FashionMnistData, LimitKeepsTheFirstImages) {
  const ImageSet all = load_fashion_mnist(DataSplit::test);
  const ImageSet first = load_fashion_mnist(DataSplit::test, 37);
  EXPECT_EQ(first.count, 37);
  ASSERT_EQ(first.pixels.size(), size_t{37 * 28 * 28});
  ASSERT_EQ(first.labels.size(), size_t{37});
  EXPECT_TRUE(std::equal(first.pixels.begin(), first.pixels.end(), all.pixels.begin()));
  EXPECT_TRUE(std::equal(first.labels.begin(), first.labels.end(), all.labels.begin()));
  EXPECT_EQ(load_fashion_mnist(DataSplit::test, 20000).count, 10000);  // more than there are: all
}

TEST(FashionMnistData, NormalizeImageScalesAndCenters) {
  const ImageSet set = load_fashion_mnist(DataSplit::test, 3);
  std::vector<float> x(28 * 28);
  normalize_image(set, 2, x.data());
  for (size_t k = 0; k < x.size(); ++k) {
    const float p = set.pixels[2 * 28 * 28 + k];
    ASSERT_NEAR(x[k], (p / 255.0f - kFashionMean) / kFashionStd, 1e-6f) << k;
  }
}

class FashionMnistFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir("fashion-mnist");
    test::write_fake_split(dir_, "t10k", {3, 1, 4, 1, 5});
    test::write_fake_split(dir_, "train", {9, 2, 6});
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path images() const { return dir_ / "t10k-images-idx3-ubyte.gz"; }
  fs::path labels() const { return dir_ / "t10k-labels-idx1-ubyte.gz"; }

  // load_fashion_mnist(test) must throw an Error whose message names `file` and contains `says`.
  void expect_error(const fs::path& file, const std::string& says) {
    try {
      load_fashion_mnist(DataSplit::test, 0, dir_);
      ADD_FAILURE() << "no error; expected one naming " << file;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
      EXPECT_NE(message.find(says), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
  }

  fs::path dir_;
};

TEST_F(FashionMnistFiles, ReadsWellFormedFilesFromTheDirectoryOrTheEnvironment) {
  const ImageSet set = load_fashion_mnist(DataSplit::test, 0, dir_);
  ASSERT_EQ(set.count, 5);
  EXPECT_EQ(set.labels, (std::vector<uint8_t>{3, 1, 4, 1, 5}));
  ASSERT_EQ(set.pixels.size(), size_t{5 * 28 * 28});
  EXPECT_EQ(set.pixels[1 * 784 + 10], (1 * 7 + 10) % 256);
  EXPECT_EQ(set.pixels[4 * 784 + 783], (4 * 7 + 783) % 256);

  ::setenv("ONEXN_FASHION_MNIST_DIR", dir_.c_str(), 1);
  EXPECT_EQ(fashion_mnist_dir(), dir_);
  const ImageSet train = load_fashion_mnist(DataSplit::train);
  ::unsetenv("ONEXN_FASHION_MNIST_DIR");
  EXPECT_EQ(train.labels, (std::vector<uint8_t>{9, 2, 6}));
  EXPECT_EQ(fashion_mnist_dir(), fs::path("/usr/share/datasets/fashion-mnist"));
}

TEST_F(FashionMnistFiles, MissingDirectoryNamesTheFileAndTheInstallCommand) {
  const fs::path missing = dir_ / "no-such-dir";
  try {
    load_fashion_mnist(DataSplit::test, 0, missing);
    ADD_FAILURE() << "no error for " << missing;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((missing / "t10k-images-idx3-ubyte.gz").string()), std::string::npos) << message;
    EXPECT_NE(message.find("apt-get install dataset-fashion-mnist"), std::string::npos) << message;
  }
}

TEST_F(FashionMnistFiles, MissingLabelsFile) {
  fs::remove(labels());
  expect_error(labels(), "not found");
}

TEST_F(FashionMnistFiles, TruncatedGzipStream) {
  const std::vector<uint8_t> bytes = test::idx_bytes({5, 28, 28}, std::vector<uint8_t>(5 * 784, 0));
  test::write_gz(images(), bytes);
  std::vector<uint8_t> gz;
  {
    std::ifstream in(images(), std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), {});
  }
  // Cut inside the deflate data, then only the 8-byte trailer (CRC and length) short.
  for (size_t keep : {gz.size() / 2, gz.size() - 4}) {
    test::write_bytes(images(), std::vector<uint8_t>(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(keep)));
    expect_error(images(), "truncated");
  }
}

TEST_F(FashionMnistFiles, CorruptGzipStream) {
  // A gzip header followed by bytes that are not deflate data.
  test::write_bytes(images(), {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  expect_error(images(), "gzip");
}

TEST_F(FashionMnistFiles, WrongIdxMagic) {
  std::vector<uint8_t> bytes = test::idx_bytes({5, 28, 28}, std::vector<uint8_t>(5 * 784, 0));
  bytes[2] = 0x0d;  // float data instead of unsigned bytes
  test::write_gz(images(), bytes);
  expect_error(images(), "not an IDX file");
  // A labels file with three dims, and an empty one.
  test::write_fake_split(dir_, "t10k", {3, 1, 4, 1, 5});
  test::write_gz(labels(), test::idx_bytes({5, 1, 1}, {3, 1, 4, 1, 5}));
  expect_error(labels(), "not an IDX file");
  test::write_gz(labels(), {});
  expect_error(labels(), "not an IDX file");
}

TEST_F(FashionMnistFiles, DataShorterOrLongerThanTheHeaderSays) {
  test::write_gz(images(), test::idx_bytes({5, 28, 28}, std::vector<uint8_t>(5 * 784 - 1, 0)));
  expect_error(images(), "header");
  test::write_gz(images(), test::idx_bytes({5, 28, 28}, std::vector<uint8_t>(5 * 784 + 1, 0)));
  expect_error(images(), "header");
  // Dims whose product does not fit in 64 bits.
  test::write_gz(images(), test::idx_bytes({0xffffffffu, 0xffffffffu, 0xffffffffu}, std::vector<uint8_t>(16, 0)));
  expect_error(images(), "header");
}

TEST_F(FashionMnistFiles, ImageAndLabelCountsDisagree) {
  test::write_gz(labels(), test::idx_bytes({4}, {3, 1, 4, 1}));
  expect_error(images(), "4 labels");
}

TEST_F(FashionMnistFiles, LabelOutsideTheTenClasses) {
  test::write_gz(labels(), test::idx_bytes({5}, {3, 1, 10, 1, 5}));
  expect_error(labels(), "label 10 of image 2");
}

}  // namespace
}  // namespace onexn
