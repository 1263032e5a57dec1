// gzipped IDX files for the Fashion-MNIST tests, read and written with zlib directly rather than
// through the reader under test.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace onexn::test {

// The whole decompressed content of a .gz file; fails the calling test when unreadable.
std::vector<uint8_t> gunzip(const std::filesystem::path& path);

void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);
void write_gz(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// An IDX file of unsigned bytes: magic 0x0000080R, R big-endian uint32 dims, then `data`.
std::vector<uint8_t> idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data);

// {prefix}-images-idx3-ubyte.gz and {prefix}-labels-idx1-ubyte.gz in `dir` for `labels.size()`
// images of rows x cols pixels whose values are (image * 7 + pixel) % 256.
void write_fake_split(const std::filesystem::path& dir, const char* prefix, const std::vector<uint8_t>& labels,
                      uint32_t rows = 28, uint32_t cols = 28);

}  // namespace onexn::test
