#include "onexn/fashion_mnist.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <zlib.h>

#include <cstdlib>
#include <memory>

#include "onexn/error.hpp"

namespace onexn {

const std::array<const char*, kFashionClasses> kFashionClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

namespace {

std::vector<uint8_t> gunzip_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    throw Error(fmt::format("{}: not found; Fashion-MNIST comes from Debian's dataset-fashion-mnist "
                            "(apt-get install dataset-fashion-mnist) or set ONEXN_FASHION_MNIST_DIR",
                            path.string()));
  }
  if (!std::filesystem::is_regular_file(status)) throw Error(fmt::format("{}: not a regular file", path.string()));
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw Error(fmt::format("{}: cannot open", path.string()));
  gzbuffer(f.get(), 1 << 17);
  std::vector<uint8_t> out;
  std::vector<uint8_t> buf(1 << 17);
  for (;;) {
    const int n = gzread(f.get(), buf.data(), static_cast<unsigned>(buf.size()));
    if (n < 0) {
      int err = 0;
      throw Error(fmt::format("{}: corrupt gzip stream ({})", path.string(), gzerror(f.get(), &err)));
    }
    if (n == 0) break;
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  // zlib reports a stream that ends early (a truncated download) only through gzerror: gzread
  // returns 0 as at a clean end of file.
  int err = Z_OK;
  const char* message = gzerror(f.get(), &err);
  if (err != Z_OK) {
    throw Error(fmt::format("{}: {} gzip stream ({})", path.string(), err == Z_BUF_ERROR ? "truncated" : "corrupt",
                            message));
  }
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

// IDX: magic 0x00000800 | rank, then rank big-endian uint32 dims, then uint8 data.
std::vector<uint32_t> idx_dims(const std::vector<uint8_t>& b, uint32_t rank, const std::filesystem::path& path) {
  if (b.size() < 4 + 4 * size_t{rank} || be32(b, 0) != (0x800u | rank)) {
    throw Error(fmt::format("{}: not an IDX file of unsigned bytes with {} dimension{}", path.string(), rank,
                            rank == 1 ? "" : "s"));
  }
  const size_t data_bytes = b.size() - 4 - 4 * size_t{rank};
  std::vector<uint32_t> dims;
  // The product of the dims is compared as it grows, so that huge dims cannot overflow it.
  size_t total = 1;
  bool fits = true;
  for (uint32_t k = 0; k < rank; ++k) {
    dims.push_back(be32(b, 4 + 4 * k));
    if (dims.back() != 0 && total > data_bytes / dims.back()) fits = false;
    total *= fits ? dims.back() : 1;
  }
  if (!fits || total != data_bytes) {
    throw Error(fmt::format("{}: {} bytes of data, the header's dims [{}] promise {}", path.string(), data_bytes,
                            fmt::join(dims, ", "), fits ? fmt::format("{}", total) : std::string("more")));
  }
  return dims;
}

}  // namespace

std::filesystem::path fashion_mnist_dir() {
  if (const char* dir = std::getenv("ONEXN_FASHION_MNIST_DIR"); dir && *dir) return dir;
  return "/usr/share/datasets/fashion-mnist";
}

ImageSet load_fashion_mnist(DataSplit split, int64_t limit, const std::filesystem::path& dir) {
  const std::string prefix = split == DataSplit::train ? "train" : "t10k";
  const auto images_path = dir / (prefix + "-images-idx3-ubyte.gz");
  const auto labels_path = dir / (prefix + "-labels-idx1-ubyte.gz");
  const std::vector<uint8_t> images = gunzip_file(images_path);
  const std::vector<uint8_t> labels = gunzip_file(labels_path);
  const auto idims = idx_dims(images, 3, images_path);
  const auto ldims = idx_dims(labels, 1, labels_path);
  if (idims[0] != ldims[0]) {
    throw Error(fmt::format("{}: {} images but {} labels in {}", images_path.string(), idims[0], ldims[0],
                            labels_path.string()));
  }
  ImageSet set;
  set.count = idims[0];
  if (limit > 0 && limit < set.count) set.count = limit;
  set.rows = idims[1];
  set.cols = idims[2];
  const size_t px = static_cast<size_t>(set.rows * set.cols);
  set.pixels.assign(images.begin() + 16, images.begin() + 16 + set.count * px);
  set.labels.assign(labels.begin() + 8, labels.begin() + 8 + set.count);
  for (size_t i = 0; i < set.labels.size(); ++i) {
    if (set.labels[i] >= kFashionClasses) {
      throw Error(fmt::format("{}: label {} of image {} is not a class 0..9", labels_path.string(),
                              set.labels[i], i));
    }
  }
  return set;
}

void normalize_image(const ImageSet& set, int64_t index, float* out) {
  const int64_t px = set.rows * set.cols;
  const uint8_t* p = set.pixels.data() + index * px;
  for (int64_t k = 0; k < px; ++k) out[k] = (p[k] / 255.0f - kFashionMean) / kFashionStd;
}

}  // namespace onexn
