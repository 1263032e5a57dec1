// NumPy .npy files: round trips, files NumPy wrote, and every way a file can be wrong.
#include "onexn/npy.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "onexn/error.hpp"
#include "onexn/file_io.hpp"
#include "onexn/tensor_file.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;

FloatTensor tensor(std::vector<int64_t> dims, uint32_t seed) {
  FloatTensor t;
  t.name = "t";
  t.dims = std::move(dims);
  t.data = test::random_values(t.numel(), seed);
  return t;
}

void write_bytes(const fs::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& path, std::string_view text) {
  write_bytes(path, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// The message of the Error `f` throws; fails the test when it throws nothing or something else.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an onexn::Error: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no error";
  return {};
}

void expect_bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    ASSERT_EQ(std::bit_cast<uint32_t>(a[k]), std::bit_cast<uint32_t>(b[k])) << "at " << k;
  }
}

TEST(Npy, RoundTripsAnyShapeBitExactly) {
  const fs::path dir = test::scratch_dir("npy-round-trip");
  const std::vector<std::vector<int64_t>> shapes = {{},           {1}, {7},      {3, 5},
                                                    {2, 3, 4, 5}, {0}, {2, 0, 3}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    FloatTensor t = tensor(shapes[s], static_cast<uint32_t>(s));
    if (!t.data.empty()) {
      t.data[0] = -0.0f;
      t.data.back() = std::numeric_limits<float>::infinity();
    }
    const fs::path path = dir / ("x" + std::to_string(s) + ".npy");
    write_npy(path, t);
    // preamble + header is a multiple of 64 bytes, as numpy.lib.format writes it
    EXPECT_EQ((fs::file_size(path) - 4 * t.data.size()) % 64, 0u);
    const FloatTensor back = read_npy(path);
    EXPECT_EQ(back.name, "x" + std::to_string(s));
    EXPECT_EQ(back.dims, t.dims);
    expect_bitwise_equal(back.data, t.data);
  }
  fs::remove_all(dir);
}

bool have_numpy() { return test::run_command("/usr/bin/python3 -c 'import numpy'").exit_code == 0; }

TEST(Npy, NumpyReadsWhatWeWrite) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 cannot import numpy";
  const fs::path dir = test::scratch_dir("npy-numpy-reads");
  FloatTensor t = tensor({2, 3, 4}, 1);
  write_npy(dir / "ours.npy", t);
  FloatTensor scalar = tensor({}, 2);
  write_npy(dir / "scalar.npy", scalar);
  // repr of a Python float round-trips exactly.
  const test::CommandResult r = test::run_command(
      "/usr/bin/python3 -c \"import numpy as np, sys\n"
      "a = np.load(sys.argv[1]); s = np.load(sys.argv[2])\n"
      "assert a.dtype == np.float32 and a.shape == (2, 3, 4) and a.flags.c_contiguous\n"
      "assert s.dtype == np.float32 and s.shape == ()\n"
      "print(repr(float(a[1, 2, 3])), repr(float(s)))\" '" +
      (dir / "ours.npy").string() + "' '" + (dir / "scalar.npy").string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream printed(r.out);
  double a = 0, s = 0;
  printed >> a >> s;
  EXPECT_EQ(static_cast<float>(a), t.data[1 * 12 + 2 * 4 + 3]) << r.out;
  EXPECT_EQ(static_cast<float>(s), scalar.data[0]) << r.out;
  fs::remove_all(dir);
}

// Files written by NumPy itself, each holding arange(n) / 4 in its shape and dtype.
TEST(Npy, ReadsWhatNumpyWrites) {
  if (!have_numpy()) GTEST_SKIP() << "/usr/bin/python3 cannot import numpy";
  const fs::path dir = test::scratch_dir("npy-from-numpy");
  write_text(dir / "make.py", R"(import numpy as np, sys, os
d = sys.argv[1]
def a(shape, dtype):
    n = int(np.prod(shape))
    return (np.arange(n) / 4).astype(dtype).reshape(shape)
np.save(os.path.join(d, 'f32.npy'), a((2, 3), np.float32))
np.save(os.path.join(d, 'f64.npy'), a((2, 3, 4, 5), np.float64))
np.save(os.path.join(d, 'f32_4d.npy'), a((1, 3, 8, 8), np.float32))
np.save(os.path.join(d, 'scalar.npy'), np.float32(2.5))
np.save(os.path.join(d, 'vector.npy'), a((5,), np.float32))
np.save(os.path.join(d, 'empty.npy'), a((0, 3), np.float32))
with open(os.path.join(d, 'v2.npy'), 'wb') as f:
    np.lib.format.write_array(f, a((4, 2), np.float32), version=(2, 0))
with open(os.path.join(d, 'v3.npy'), 'wb') as f:
    np.lib.format.write_array(f, a((3,), np.float64), version=(3, 0))
np.save(os.path.join(d, 'fortran.npy'), np.asfortranarray(a((2, 3), np.float32)))
np.save(os.path.join(d, 'big_endian.npy'), a((2, 3), '>f4'))
np.save(os.path.join(d, 'int64.npy'), np.arange(-3, 3, dtype=np.int64).reshape(2, 3))
np.save(os.path.join(d, 'int32.npy'), np.array([-7, 2**31 - 1, -2**31], dtype=np.int32))
np.save(os.path.join(d, 'bool.npy'), np.array([[True, False, True]]))
np.save(os.path.join(d, 'uint16.npy'), np.arange(3, dtype=np.uint16))
np.save(os.path.join(d, 'float16.npy'), a((2,), np.float16))
np.save(os.path.join(d, 'structured.npy'), np.zeros(2, dtype=[('x', '<f4'), ('y', '<f4')]))
)");
  const test::CommandResult r = test::run_command(
      "/usr/bin/python3 '" + (dir / "make.py").string() + "' '" + dir.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  auto expect_arange = [&](const std::string& file, std::vector<int64_t> dims) {
    SCOPED_TRACE(file);
    const FloatTensor t = read_npy(dir / file);
    EXPECT_EQ(t.name, fs::path(file).stem().string());
    EXPECT_EQ(t.dims, dims);
    ASSERT_EQ(static_cast<int64_t>(t.data.size()), t.numel());
    for (size_t k = 0; k < t.data.size(); ++k) ASSERT_EQ(t.data[k], float(k) / 4) << "at " << k;
  };
  expect_arange("f32.npy", {2, 3});
  expect_arange("f64.npy", {2, 3, 4, 5});
  expect_arange("f32_4d.npy", {1, 3, 8, 8});
  expect_arange("vector.npy", {5});
  expect_arange("empty.npy", {0, 3});
  expect_arange("v2.npy", {4, 2});
  expect_arange("v3.npy", {3});
  // What we write is byte for byte what numpy.save writes.
  for (const char* file : {"f32.npy", "f32_4d.npy", "vector.npy", "empty.npy"}) {
    EXPECT_EQ(serialize_npy(read_npy(dir / file)), read_file(dir / file)) << file;
  }
  // Integer and bool arrays: int64 and int32 as int64 tensors, bool as bool tensors of 0 / 1;
  // int64 and bool files we write are numpy's bytes.
  const Tensor i64 = read_npy(dir / "int64.npy");
  EXPECT_EQ(i64.type, ElementType::int64);
  EXPECT_EQ(i64.dims, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(i64.ints, (std::vector<int64_t>{-3, -2, -1, 0, 1, 2}));
  EXPECT_TRUE(i64.data.empty());
  const Tensor i32 = read_npy(dir / "int32.npy");
  EXPECT_EQ(i32.type, ElementType::int64);
  EXPECT_EQ(i32.ints, (std::vector<int64_t>{-7, 2147483647, -2147483648LL}));
  const Tensor b = read_npy(dir / "bool.npy");
  EXPECT_EQ(b.type, ElementType::boolean);
  EXPECT_EQ(b.dims, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(b.ints, (std::vector<int64_t>{1, 0, 1}));
  for (const char* file : {"int64.npy", "bool.npy"}) {
    EXPECT_EQ(serialize_npy(read_npy(dir / file)), read_file(dir / file)) << file;
  }
  const FloatTensor scalar = read_npy(dir / "scalar.npy");
  EXPECT_TRUE(scalar.dims.empty());
  ASSERT_EQ(scalar.data.size(), 1u);
  EXPECT_EQ(scalar.data[0], 2.5f);

  auto expect_rejected = [&](const std::string& file, const std::string& reason) {
    SCOPED_TRACE(file);
    const std::string msg = error_of([&] { read_npy(dir / file); });
    EXPECT_NE(msg.find((dir / file).string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  };
  expect_rejected("fortran.npy", "Fortran order");
  expect_rejected("big_endian.npy", "unsupported dtype '>f4'");
  expect_rejected("uint16.npy", "unsupported dtype '<u2'");
  expect_rejected("float16.npy", "unsupported dtype '<f2'");
  expect_rejected("structured.npy", "structured");
  fs::remove_all(dir);
}

TEST(Npy, EveryTruncationFailsCleanly) {
  const std::vector<uint8_t> whole = serialize_npy(tensor({2, 3}, 5));
  ASSERT_EQ(whole.size(), 128u + 24u);  // as numpy.save writes it
  for (size_t len = 0; len < whole.size(); ++len) {
    SCOPED_TRACE(len);
    const std::string msg = error_of([&] { parse_npy(std::span(whole).first(len), "'cut.npy'"); });
    EXPECT_EQ(msg.rfind("'cut.npy'", 0), 0u) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  // The same through a file, for a few lengths.
  const fs::path dir = test::scratch_dir("npy-truncated");
  for (size_t len : {0, 5, 9, 40, 70}) {
    write_bytes(dir / "cut.npy", std::span(whole).first(len));
    const std::string msg = error_of([&] { read_npy(dir / "cut.npy"); });
    EXPECT_NE(msg.find("cut.npy"), std::string::npos) << msg;
    EXPECT_TRUE(msg.find("truncated") != std::string::npos ||
                msg.find("empty") != std::string::npos ||
                msg.find("malformed") != std::string::npos)
        << msg;
  }
  fs::remove_all(dir);
}

// A version 1.0 file with the given header text (padded here) and data bytes.
std::vector<uint8_t> npy_with_header(std::string header, size_t data_bytes, int major = 1) {
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  header += '\n';
  b.push_back(static_cast<uint8_t>(header.size()));
  b.push_back(static_cast<uint8_t>(header.size() >> 8));
  if (major > 1) b.insert(b.end(), {0, 0});
  b.insert(b.end(), header.begin(), header.end());
  b.resize(b.size() + data_bytes, 0);
  return b;
}

TEST(Npy, RejectsMalformedFilesWithOneLineThatSaysWhy) {
  auto msg = [](const std::vector<uint8_t>& bytes) {
    return error_of([&] { parse_npy(bytes, "'x.npy'"); });
  };
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_NO_THROW(parse_npy(npy_with_header(ok, 24), "'x.npy'"));
  EXPECT_NO_THROW(parse_npy(npy_with_header(ok, 24, 2), "'x.npy'"));
  // Keys in any order, double quotes, Python 2 longs, no trailing comma.
  EXPECT_NO_THROW(parse_npy(
      npy_with_header("{\"shape\": (2L, 3L), \"fortran_order\": False, \"descr\": \"<f8\"}", 48),
      "'x.npy'"));

  EXPECT_NE(msg({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}).find("not a .npy file"), std::string::npos);
  EXPECT_NE(msg(std::vector<uint8_t>(100, 'a')).find("not a .npy file"), std::string::npos);
  EXPECT_NE(msg(npy_with_header(ok, 23))
                .find("is truncated: 23 bytes of data, shape (2, 3) of '<f4' needs 24"),
            std::string::npos);
  EXPECT_NE(msg(npy_with_header(ok, 25)).find("data size mismatch"), std::string::npos);
  EXPECT_NE(msg(npy_with_header(ok, 24, 4)).find("version 4.0"), std::string::npos);

  std::vector<uint8_t> long_header = npy_with_header(ok, 24, 2);
  long_header[10] = 1;  // header length 65536 + ...
  EXPECT_NE(msg(long_header).find("header is"), std::string::npos);
  EXPECT_NE(msg(long_header).find("at most 65535"), std::string::npos);

  auto header_msg = [&](const std::string& header) { return msg(npy_with_header(header, 0)); };
  EXPECT_NE(header_msg("{'descr': '<f4', 'fortran_order': False}").find("missing key 'shape'"),
            std::string::npos);
  EXPECT_NE(header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (0,), 'x': 1}")
                .find("unknown key 'x'"),
            std::string::npos);
  EXPECT_NE(header_msg("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (0,)}")
                .find("twice"),
            std::string::npos);
  EXPECT_NE(header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (3)}").find("(3,)"),
            std::string::npos);
  EXPECT_NE(
      header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (-3,)}").find("non-negative"),
      std::string::npos);
  EXPECT_NE(
      header_msg("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}").find("True or False"),
      std::string::npos);
  EXPECT_NE(header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}")
                .find("too large"),
            std::string::npos);
  EXPECT_NE(
      header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}")
          .find("too many elements"),
      std::string::npos);
  EXPECT_NE(header_msg("{'descr': '<f4', 'fortran_order': False, 'shape': (0,)} junk")
                .find("after the closing"),
            std::string::npos);
  // Bytes of the file quoted in a message stay on one line.
  const std::string bad_dtype =
      header_msg("{'descr': '\x01\xff\t', 'fortran_order': False, 'shape': (0,)}");
  EXPECT_NE(bad_dtype.find("unsupported dtype '\\x01\\xff\\x09'"), std::string::npos) << bad_dtype;
  std::vector<uint8_t> bad_bool = npy_with_header("{'descr': '|b1', 'fortran_order': False, 'shape': (2,)}", 2);
  bad_bool.back() = 2;
  EXPECT_NE(msg(bad_bool).find("bool element 1 is the byte 2"), std::string::npos) << msg(bad_bool);
  // A zero dimension makes the array empty whatever the others are.
  EXPECT_NO_THROW(parse_npy(
      npy_with_header(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 0)}", 0),
      "'x.npy'"));
}

TEST(Npy, WriteRejectsBadTensorsAndLeavesNoFile) {
  const fs::path dir = test::scratch_dir("npy-write-errors");
  FloatTensor t = tensor({2, 3}, 1);
  t.data.pop_back();
  EXPECT_THROW(write_npy(dir / "bad.npy", t), InvalidArgument);
  Tensor ints{.name = "i", .dims = {2}, .data = {}, .type = ElementType::int64, .ints = {1, 2, 3}};
  EXPECT_THROW(write_npy(dir / "bad.npy", ints), InvalidArgument);
  ints.type = ElementType::boolean;
  ints.ints = {0, 2};
  EXPECT_THROW(write_npy(dir / "bad.npy", ints), InvalidArgument);
  t.dims = {-1, 5};
  EXPECT_THROW(write_npy(dir / "bad.npy", t), InvalidArgument);
  EXPECT_TRUE(fs::is_empty(dir));
  const std::string msg =
      error_of([&] { write_npy(dir / "no-such-dir" / "y.npy", tensor({2}, 1)); });
  EXPECT_NE(msg.find("no-such-dir"), std::string::npos) << msg;
  fs::remove_all(dir);
}

// The inputs fuzz/npy_fuzzer.cpp kept (fuzz/corpus/npy): each is read or rejected with an Error.
TEST(Npy, FuzzCorpusIsReadOrRejectedWithAnError) {
  int read = 0, rejected = 0;
  for (const auto& entry : fs::directory_iterator(test::source_dir() / "fuzz" / "corpus" / "npy")) {
    const std::vector<uint8_t> bytes = read_file(entry.path());
    try {
      const Tensor t = parse_npy(bytes, "'" + entry.path().string() + "'");
      EXPECT_EQ(t.stored(), t.numel()) << entry.path();
      ++read;
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(read, 0);
  EXPECT_GT(rejected, 0);
}

TEST(TensorPb, WriteThenReadRoundTrips) {
  const fs::path dir = test::scratch_dir("tensor-pb-write");
  for (const auto& dims : std::vector<std::vector<int64_t>>{{}, {4}, {1, 3, 2, 2}}) {
    FloatTensor t = tensor(dims, 9);
    t.name = "input_0";
    write_tensor_pb(dir / "t.pb", t);
    const FloatTensor back = read_tensor_pb(dir / "t.pb");
    EXPECT_EQ(back.name, "input_0");
    EXPECT_EQ(back.dims, t.dims);
    expect_bitwise_equal(back.data, t.data);
  }
  for (ElementType type : {ElementType::int64, ElementType::boolean}) {
    Tensor t{.name = "ids", .dims = {2, 2}, .data = {}, .type = type, .ints = {1, 0, 0, 1}};
    if (type == ElementType::int64) t.ints = {-5, 0, int64_t{1} << 40, 7};
    write_tensor_pb(dir / "t.pb", t);
    const Tensor back = read_tensor_pb(dir / "t.pb");
    EXPECT_EQ(back.type, type);
    EXPECT_EQ(back.dims, t.dims);
    EXPECT_EQ(back.ints, t.ints);
  }
  FloatTensor bad = tensor({3}, 1);
  bad.data.push_back(0);
  EXPECT_THROW(write_tensor_pb(dir / "bad.pb", bad), InvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "bad.pb"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace onexn
