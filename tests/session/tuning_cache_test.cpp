// The tuning cache (SessionOptions::tuning_cache, docs/runtime.md): a second load of a model times
// nothing and runs the kernels the first load's timing picked; entries are keyed by host and by
// layer, never by model; broken, stale, read-only or switched-off caches never stop a load.
// ctest runs every test with ONEXN_TUNING_CACHE=off; tests that need the default location set
// XDG_CACHE_HOME themselves, so nothing here touches the user's cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>

#include "graph/tiny_models.hpp"
#include "onexn/session.hpp"
#include "runtime/tuning_cache.hpp"
#include "support/test_support.hpp"

namespace onexn {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Conv weights [c_out][c_in][k][k] pruned 1x4 to exactly half: the block of output channels
// 4b..4b+3 at (input channel i, tap ky, kx) is zero when b + i + ky + kx is even.
std::vector<float> pruned_1x4(int64_t c_out, int64_t c_in, int64_t k, uint32_t seed) {
  std::vector<float> w = test::random_values(c_out * c_in * k * k, seed);
  for (int64_t o = 0; o < c_out; ++o)
    for (int64_t i = 0; i < c_in; ++i)
      for (int64_t t = 0; t < k * k; ++t) {
        float& v = w[((o * c_in + i) * k * k) + t];
        if ((o / 4 + i + t / k + t % k) % 2 == 0) v = 0;
        else if (v == 0) v = 0.5f;
      }
  return w;
}

// x [1, 16, 16, 16] -> conv "a" (16 -> 32, 3x3) -> Relu -> conv "b" (32 -> 32, 3x3) -> Relu
//   -> conv "c" (32 -> 32, 3x3, other weights, the same sparsity and pattern) -> Relu
//   -> conv "d" (32 -> 8, 1x1) -> y.   "b" and "c" share one tuning key.
std::vector<uint8_t> four_conv_model() {
  onnx::ModelProto m = test::empty_model(16, 16, 16);
  auto* g = m.mutable_graph();
  struct Conv {
    const char* name;
    int64_t c_in, c_out, k;
  };
  const Conv convs[] = {{"a", 16, 32, 3}, {"b", 32, 32, 3}, {"c", 32, 32, 3}, {"d", 32, 8, 1}};
  std::string x = "x";
  uint32_t seed = 11;
  for (const Conv& c : convs) {
    const std::string w = std::string(c.name) + "_w", b = std::string(c.name) + "_b";
    *g->add_initializer() = test::float_tensor(w, {c.c_out, c.c_in, c.k, c.k}, pruned_1x4(c.c_out, c.c_in, c.k, seed++));
    *g->add_initializer() = test::float_tensor(b, {c.c_out}, test::random_values(c.c_out, seed++));
    const std::string y = std::string(c.name) + "_y";
    auto& n = test::add_node(m, "Conv", c.name, {x, w, b}, {y});
    test::set_ints(n, "pads", {c.k / 2, c.k / 2, c.k / 2, c.k / 2});
    x = y;
    if (c.name[0] != 'd') {
      test::add_node(m, "Relu", std::string(c.name) + "_relu", {y}, {y + "_relu"});
      x = y + "_relu";
    }
  }
  test::add_node(m, "Identity", "out", {x}, {"y"});
  test::add_output(m, "y");
  return test::serialize(m);
}

Session load(const std::string& cache, int threads = 2, int64_t batch = 0) {
  SessionOptions o;
  o.threads = threads;
  o.batch = batch;
  o.tuning_cache = cache;
  return Session::from_bytes(four_conv_model(), "four-convs", o);
}

std::vector<LayerReport> convs_of(const Session& s) {
  std::vector<LayerReport> out;
  for (const LayerReport& l : s.layers())
    if (l.op == "Conv") out.push_back(l);
  return out;
}

int count(const Session& s, const std::string& tuning) {
  int n = 0;
  for (const LayerReport& l : convs_of(s)) n += l.tuning == tuning;
  return n;
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<float> run_once(const Session& s) {
  Tensor x{s.inputs()[0].name, s.inputs()[0].shape};
  x.data = test::random_values(x.numel(), 5);
  return s.run({x}).front().data;
}

// Sets (or, with null, unsets) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~ScopedEnv() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(TuningCache, SecondLoadTimesNothingAndRunsTheSameKernels) {
  const fs::path file = test::scratch_dir("tuning-round-trip") / "cache.json";
  const Session first = load(file.string());
  ASSERT_EQ(convs_of(first).size(), 4u);
  // a, b and d are timed; c has b's key and takes b's timing.
  EXPECT_EQ(count(first, "timed"), 3);
  EXPECT_EQ(count(first, "shared"), 1);
  ASSERT_TRUE(fs::exists(file));

  const Session second = load(file.string());
  EXPECT_EQ(count(second, "timed"), 0);
  EXPECT_EQ(count(second, "cached"), 4);
  const auto a = convs_of(first), b = convs_of(second);
  for (size_t k = 0; k < a.size(); ++k) {
    EXPECT_EQ(b[k].implementation, a[k].implementation) << a[k].name;
    EXPECT_EQ(b[k].kernel, a[k].kernel) << a[k].name;
    EXPECT_EQ(b[k].block_size, a[k].block_size) << a[k].name;
  }
  EXPECT_LT(test::max_relative_error(run_once(second), run_once(first)), 1e-6);
}

TEST(TuningCache, TheFileHoldsWhatTheTimingPicked) {
  const fs::path file = test::scratch_dir("tuning-file") / "cache.json";
  const Session s = load(file.string());
  const json doc = read_json(file);
  EXPECT_EQ(doc["format"], "onexn tuning cache");
  EXPECT_EQ(doc["format_version"], 1);
  ASSERT_EQ(doc["hosts"].size(), 1u);
  const std::string host = doc["hosts"].begin().key();
  EXPECT_NE(host.find("onexn "), std::string::npos) << host;
  EXPECT_NE(host.find("; 2 threads"), std::string::npos) << host;
  // One entry per timed layer, each the implementation and kernel that layer runs.
  std::multiset<std::pair<std::string, std::string>> timed, cached;
  for (const LayerReport& l : convs_of(s))
    if (l.tuning == "timed") timed.insert({l.implementation, l.kernel});
  for (const auto& [key, entry] : doc["hosts"][host].items()) {
    EXPECT_EQ(key.find("four-convs"), std::string::npos) << "keyed by the model: " << key;
    EXPECT_EQ(key.rfind("conv mb1ic", 0), 0u) << key;
    cached.insert({entry["implementation"].get<std::string>(), entry["kernel"].get<std::string>()});
    EXPECT_GT(entry["ms"].get<double>(), 0) << key;
  }
  EXPECT_EQ(cached, timed);
}

TEST(TuningCache, OtherThreadsOrShapesMiss) {
  const fs::path file = test::scratch_dir("tuning-keys") / "cache.json";
  EXPECT_EQ(count(load(file.string(), 1), "timed"), 3);
  EXPECT_EQ(count(load(file.string(), 2), "timed"), 3) << "2 threads reused 1 thread's timings";
  EXPECT_EQ(count(load(file.string(), 1), "timed"), 0);
  EXPECT_EQ(count(load(file.string(), 2), "timed"), 0);
  EXPECT_EQ(count(load(file.string(), 1, 2), "timed"), 3) << "batch 2 reused batch 1's timings";
  EXPECT_EQ(read_json(file)["hosts"].size(), 2u);
}

TEST(TuningCache, StaleEntriesAreTimedAgain) {
  const fs::path file = test::scratch_dir("tuning-stale") / "cache.json";
  load(file.string());
  json doc = read_json(file);
  for (auto& [host, entries] : doc["hosts"].items())
    for (auto& [key, entry] : entries.items()) entry["implementation"] = "no-longer-there";
  std::ofstream(file) << doc.dump();
  const Session s = load(file.string());
  EXPECT_EQ(count(s, "timed"), 3);
  json after = read_json(file);  // a named value: the loop must not outlive a temporary
  for (auto& [host, entries] : after["hosts"].items())
    for (auto& [key, entry] : entries.items()) EXPECT_NE(entry["implementation"], "no-longer-there") << key;
}

TEST(TuningCache, BrokenFilesAreIgnoredWithOneWarning) {
  const fs::path dir = test::scratch_dir("tuning-broken");
  const std::string not_json = "{\"format\": \"onexn tuning cache\", \"hosts\": {";
  const std::string other_version = R"({"format": "onexn tuning cache", "format_version": 99, "hosts": {}})";
  const std::string not_a_cache = R"({"name": "something else"})";
  int k = 0;
  for (const std::string& content : {not_json, other_version, not_a_cache}) {
    const fs::path file = dir / ("named-" + std::to_string(k++) + ".json");
    std::ofstream(file) << content;
    for (int load_count = 0; load_count < 2; ++load_count) {
      testing::internal::CaptureStderr();
      const Session s = load(file.string());
      const std::string err = testing::internal::GetCapturedStderr();
      EXPECT_EQ(count(s, "timed"), 3);
      if (load_count == 0) {
        EXPECT_NE(err.find("warning: ignoring the tuning cache '" + file.string() + "'"), std::string::npos) << err;
        EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
      } else {
        EXPECT_EQ(err, "") << "warned twice about one file";
      }
      // A file the user named is never replaced when it is not a tuning cache.
      EXPECT_EQ(read_text(file), content);
    }
  }
}

TEST(TuningCache, ABrokenFileAtTheDefaultLocationIsReplaced) {
  const fs::path home = test::scratch_dir("tuning-default");
  const ScopedEnv env("ONEXN_TUNING_CACHE", nullptr), xdg("XDG_CACHE_HOME", home.c_str());
  const fs::path file = home / "onexn" / "tuning-cache-v1.json";
  fs::create_directories(file.parent_path());
  std::ofstream(file) << "garbage";
  testing::internal::CaptureStderr();
  EXPECT_EQ(count(load(""), "timed"), 3);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("not valid JSON; it will be replaced"), std::string::npos) << err;
  EXPECT_EQ(read_json(file)["format"], "onexn tuning cache");
  EXPECT_EQ(count(load(""), "timed"), 0);
}

TEST(TuningCache, OffWritesNothing) {
  const fs::path home = test::scratch_dir("tuning-off");
  const ScopedEnv env("ONEXN_TUNING_CACHE", nullptr), xdg("XDG_CACHE_HOME", (home / "xdg").c_str()),
      h("HOME", (home / "home").c_str());
  const Session s = load("off");
  EXPECT_EQ(count(s, "timed"), 3);
  EXPECT_EQ(count(s, "shared"), 1) << "layers of one session still share a timing";
  EXPECT_TRUE(fs::is_empty(home)) << "something was written";
  // The environment turns it off the same way; unset, the default location is used.
  {
    const ScopedEnv off("ONEXN_TUNING_CACHE", "off");
    load("");
    EXPECT_TRUE(fs::is_empty(home));
  }
  load("");
  EXPECT_TRUE(fs::exists(home / "xdg" / "onexn" / "tuning-cache-v1.json"));
  EXPECT_FALSE(fs::exists(home / "home"));
}

TEST(TuningCache, AFolderThatCannotBeWrittenOnlyDisablesWriting) {
  // A regular file where the cache's folder would be: no folder can be made there (even as root).
  const fs::path dir = test::scratch_dir("tuning-read-only");
  std::ofstream(dir / "blocker") << "x";
  const fs::path file = dir / "blocker" / "cache.json";
  testing::internal::CaptureStderr();
  const Session s = load(file.string());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(count(s, "timed"), 3);
  EXPECT_EQ(count(load(file.string()), "timed"), 3);
}

TEST(TuningCache, LocationPrecedence) {
  using runtime::tuning_cache_location;
  EXPECT_TRUE(tuning_cache_location("off", "/env.json", "/xdg", "/home").file.empty());
  EXPECT_EQ(tuning_cache_location("my.json", "/env.json", "/xdg", "/home").file, "my.json");
  EXPECT_FALSE(tuning_cache_location("my.json", nullptr, nullptr, nullptr).is_default);
  EXPECT_EQ(tuning_cache_location("", "/env.json", "/xdg", "/home").file, "/env.json");
  EXPECT_TRUE(tuning_cache_location("", "off", "/xdg", "/home").file.empty());
  const auto xdg = tuning_cache_location("", nullptr, "/xdg", "/home");
  EXPECT_EQ(xdg.file, "/xdg/onexn/tuning-cache-v1.json");
  EXPECT_TRUE(xdg.is_default);
  EXPECT_EQ(tuning_cache_location("", "", "relative", "/home").file, "/home/.cache/onexn/tuning-cache-v1.json");
  EXPECT_EQ(tuning_cache_location("", nullptr, "", "/home").file, "/home/.cache/onexn/tuning-cache-v1.json");
  EXPECT_TRUE(tuning_cache_location("", nullptr, nullptr, nullptr).file.empty());
}

TEST(TuningCache, WritersMergeWhatOthersWroteMeanwhile) {
  const fs::path file = test::scratch_dir("tuning-merge") / "cache.json";
  const runtime::TuningCacheLocation at{file, false};
  runtime::TuningCache one(at, "host A"), two(at, "host A"), other_host(at, "host B");
  one.record("layer 1", {"onednn", 0, 0, "oneDNN x", 1.0});
  two.record("layer 2", {"sparse", 16, 1, "1x16 sparse y", 2.0});
  two.record("layer 1", {"ours-dense", 16, 0, "1x16 dense z", 0.5});
  other_host.record("layer 1", {"csr", 0, 0, "CSR", 3.0});
  one.save();
  two.save();  // read before one saved: must keep one's entries, and win on layer 1
  other_host.save();
  const runtime::TuningCache reread(at, "host A");
  ASSERT_TRUE(reread.find("layer 1"));
  EXPECT_EQ(reread.find("layer 1")->conv.implementation, "ours-dense");
  EXPECT_TRUE(reread.find("layer 1")->from_file);
  ASSERT_TRUE(reread.find("layer 2"));
  EXPECT_EQ(reread.find("layer 2")->conv.block_size, 16);
  EXPECT_EQ(reread.find("layer 2")->conv.variant, 1);
  EXPECT_EQ(runtime::TuningCache(at, "host B").find("layer 1")->conv.implementation, "csr");
  for (const auto& e : fs::directory_iterator(file.parent_path()))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << "left behind: " << e.path();
}

TEST(TuningCache, MobileNetV2LoadsTheSecondTimeWithoutTiming) {
  const fs::path file = test::scratch_dir("tuning-mobilenet") / "cache.json";
  SessionOptions o;
  o.threads = 2;
  o.tuning_cache = file.string();
  const Session first = Session::load(test::models_dir() / "mobilenet_v2.onnx", o);
  const Session second = Session::load(test::models_dir() / "mobilenet_v2.onnx", o);
  int convs = 0, timed = 0;
  const auto a = first.layers(), b = second.layers();
  ASSERT_EQ(a.size(), b.size());
  for (size_t k = 0; k < a.size(); ++k) {
    if (a[k].op != "Conv") continue;
    ++convs;
    timed += a[k].tuning == "timed";
    EXPECT_NE(b[k].tuning, "timed") << b[k].name;
    EXPECT_EQ(b[k].kernel, a[k].kernel) << b[k].name;
  }
  EXPECT_EQ(convs, 52);
  EXPECT_GT(timed, 0);
  // Blocks of one shape repeat: fewer layers timed than there are convs.
  EXPECT_LT(timed, convs);
}

TEST(TuningCache, CliFlags) {
  const fs::path dir = test::scratch_dir("tuning-cli");
  const fs::path model = dir / "four-convs.onnx";
  const std::vector<uint8_t> bytes = four_conv_model();
  std::ofstream(model, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const std::string cli = "'" + test::cli_path().string() + "'";
  const std::string env = "env -u ONEXN_TUNING_CACHE XDG_CACHE_HOME='" + (dir / "xdg").string() + "' ";
  const fs::path file = dir / "named.json";
  auto r = test::run_command(env + cli + " run '" + model.string() + "' --tuning-cache off");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(dir / "xdg"));
  r = test::run_command(env + cli + " run '" + model.string() + "' --threads 2 --tuning-cache '" + file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(file)["hosts"].size(), 1u);
  r = test::run_command(env + cli + " bench '" + model.string() + "' --runs 20 --tuning-cache '" + file.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_json(file)["hosts"].size(), 2u) << "bench on 1 thread adds its own host";
  EXPECT_FALSE(fs::exists(dir / "xdg"));
  r = test::run_command(env + cli + " run '" + model.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir / "xdg" / "onexn" / "tuning-cache-v1.json"));
  r = test::run_command(cli + " eval --help");
  EXPECT_NE(r.out.find("--tuning-cache"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace onexn
