#include "idx_files.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

namespace onexn::test {

std::vector<uint8_t> gunzip(const std::filesystem::path& path) {
  std::vector<uint8_t> out;
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) {
    ADD_FAILURE() << "cannot open " << path;
    return out;
  }
  std::vector<uint8_t> buf(1 << 16);
  int n = 0;
  while ((n = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) {
    out.insert(out.end(), buf.begin(), buf.begin() + n);
  }
  int err = Z_OK;
  gzerror(f, &err);
  if (n < 0 || err != Z_OK) ADD_FAILURE() << "cannot decompress " << path;
  gzclose(f);
  return out;
}

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

void write_gz(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!bytes.empty()) {
    EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), int(bytes.size()));
  }
  EXPECT_EQ(gzclose(f), Z_OK) << path;
}

std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> out = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(d >> shift));
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

void write_fake_split(const std::filesystem::path& dir, const char* prefix, const std::vector<uint8_t>& labels,
                      uint32_t rows, uint32_t cols) {
  const uint32_t count = static_cast<uint32_t>(labels.size());
  std::vector<uint8_t> pixels(size_t{count} * rows * cols);
  for (size_t i = 0; i < pixels.size(); ++i) {
    const size_t image = i / (size_t{rows} * cols), pixel = i % (size_t{rows} * cols);
    pixels[i] = static_cast<uint8_t>((image * 7 + pixel) % 256);
  }
  const std::string p = prefix;
  write_gz(dir / (p + "-images-idx3-ubyte.gz"), idx_bytes({count, rows, cols}, pixels));
  write_gz(dir / (p + "-labels-idx1-ubyte.gz"), idx_bytes({count}, labels));
}

}  // namespace onexn::test
