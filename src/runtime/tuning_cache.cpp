#include "runtime/tuning_cache.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "onexn/file_io.hpp"

namespace onexn::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "onexn tuning cache";
constexpr int kFormatVersion = 1;
constexpr const char* kDefaultName = "tuning-cache-v1.json";
constexpr std::uintmax_t kMaxFileBytes = std::uintmax_t{64} << 20;  // far above any real cache

// One line on stderr the first time a process has to ignore a cache file (sessions loaded later
// from the same file stay quiet).
void warn_once(const fs::path& file, const std::string& why) {
  static std::mutex mutex;
  static std::set<fs::path> warned;
  {
    std::lock_guard lock(mutex);
    if (!warned.insert(fs::absolute(file)).second) return;
  }
  std::fprintf(stderr, "onexn: warning: ignoring the tuning cache '%s': %s\n", file.c_str(), why.c_str());
}

struct FileContent {
  enum class State { absent, valid, unreadable, invalid } state = State::absent;
  json doc = json::object();  // valid: the whole file
  std::string why;            // unreadable, invalid: what is wrong
};

FileContent read_cache_file(const fs::path& file) {
  FileContent c;
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (ec || !fs::exists(st)) return c;  // absent (or its folder is): an empty cache
  if (!fs::is_regular_file(st)) return {FileContent::State::unreadable, json::object(), "not a regular file"};
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec) return {FileContent::State::unreadable, json::object(), ec.message()};
  if (size > kMaxFileBytes) {
    return {FileContent::State::invalid, json::object(), fmt::format("{} bytes, more than a tuning cache holds", size)};
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) return {FileContent::State::unreadable, json::object(), "cannot be opened"};
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return {FileContent::State::unreadable, json::object(), "cannot be read"};
  try {
    json doc = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return {FileContent::State::invalid, json::object(), "not valid JSON"};
    const auto format = doc.is_object() ? doc.find("format") : doc.end();
    if (!doc.is_object() || format == doc.end() || *format != kFormat) {
      return {FileContent::State::invalid, json::object(), fmt::format("not an {} file", kFormat)};
    }
    const auto version = doc.find("format_version");
    if (version == doc.end() || *version != kFormatVersion) {
      return {FileContent::State::invalid, json::object(),
              fmt::format("format_version {}, this onexn reads {}", version == doc.end() ? "missing" : version->dump(),
                          kFormatVersion)};
    }
    const auto hosts = doc.find("hosts");
    if (hosts == doc.end() || !hosts->is_object()) {
      return {FileContent::State::invalid, json::object(), "no \"hosts\" object"};
    }
    c.doc = std::move(doc);
  } catch (const json::exception& e) {
    return {FileContent::State::invalid, json::object(), e.what()};
  }
  c.state = FileContent::State::valid;
  return c;
}

std::optional<TunedConv> entry_from_json(const json& j) {
  if (!j.is_object()) return std::nullopt;
  const auto impl = j.find("implementation"), n = j.find("block_size"), variant = j.find("variant");
  if (impl == j.end() || !impl->is_string() || impl->get<std::string>().empty()) return std::nullopt;
  if (n == j.end() || !n->is_number_integer() || variant == j.end() || !variant->is_number_integer())
    return std::nullopt;
  TunedConv t;
  t.implementation = impl->get<std::string>();
  t.block_size = static_cast<int>(std::clamp<int64_t>(n->get<int64_t>(), -1, 1 << 20));
  t.variant = static_cast<int>(std::clamp<int64_t>(variant->get<int64_t>(), -1, 1 << 20));
  if (const auto k = j.find("kernel"); k != j.end() && k->is_string()) t.kernel = k->get<std::string>();
  if (const auto ms = j.find("ms"); ms != j.end() && ms->is_number()) t.ms = ms->get<double>();
  return t;
}

json entry_to_json(const TunedConv& t) {
  return {{"implementation", t.implementation}, {"block_size", t.block_size}, {"variant", t.variant},
          {"kernel", t.kernel}, {"ms", t.ms}};
}

// An exclusive lock on FILE.lock beside the file, held while alive; !held() when it cannot be had.
class FileLock {
 public:
  explicit FileLock(const fs::path& file) {
    fd_ = ::open((file.string() + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

fs::path non_empty(const char* v) { return v && *v ? fs::path(v) : fs::path(); }

}  // namespace

TuningCacheLocation tuning_cache_location(std::string_view setting, const char* onexn_tuning_cache,
                                          const char* xdg_cache_home, const char* home) {
  if (setting == "off") return {};
  if (!setting.empty()) return {fs::path(setting), false};
  const std::string_view env = onexn_tuning_cache ? onexn_tuning_cache : "";
  if (env == "off") return {};
  if (!env.empty()) return {fs::path(env), false};
  // The XDG base directory rules: a relative XDG_CACHE_HOME is to be ignored.
  if (const fs::path xdg = non_empty(xdg_cache_home); !xdg.empty() && xdg.is_absolute())
    return {xdg / "onexn" / kDefaultName, true};
  if (const fs::path h = non_empty(home); !h.empty()) return {h / ".cache" / "onexn" / kDefaultName, true};
  return {};
}

TuningCacheLocation tuning_cache_location(std::string_view setting) {
  return tuning_cache_location(setting, std::getenv("ONEXN_TUNING_CACHE"), std::getenv("XDG_CACHE_HOME"),
                               std::getenv("HOME"));
}

TuningCache::TuningCache(TuningCacheLocation location, std::string host)
    : location_(std::move(location)), host_(std::move(host)) {
  if (location_.file.empty()) return;
  const FileContent c = read_cache_file(location_.file);
  if (c.state == FileContent::State::unreadable) {
    warn_once(location_.file, c.why);
    writable_ = false;
    return;
  }
  if (c.state == FileContent::State::invalid) {
    warn_once(location_.file, location_.is_default ? c.why + "; it will be replaced" : c.why);
    writable_ = location_.is_default;
    return;
  }
  if (c.state == FileContent::State::absent) return;
  const json& hosts = c.doc.at("hosts");
  const auto mine = hosts.find(host_);
  if (mine == hosts.end() || !mine->is_object()) return;
  for (const auto& [layer, value] : mine->items()) {
    if (auto t = entry_from_json(value)) entries_[layer] = {std::move(*t), true};
  }
}

std::optional<TuningCache::Found> TuningCache::find(const std::string& layer) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(layer);
  if (it == entries_.end()) return std::nullopt;
  return Found{it->second.conv, it->second.from_file};
}

void TuningCache::record(const std::string& layer, const TunedConv& conv) {
  std::lock_guard lock(mutex_);
  entries_[layer] = {conv, false};
  unsaved_[layer] = conv;
}

void TuningCache::save() {
  std::lock_guard lock(mutex_);
  if (location_.file.empty() || !writable_ || unsaved_.empty()) return;
  try {
    std::error_code ec;
    const fs::path folder = location_.file.parent_path();
    if (!folder.empty()) fs::create_directories(folder, ec);
    FileLock file_lock(location_.file);
    if (ec || !file_lock.held()) {
      writable_ = false;
      return;
    }
    // What other processes wrote meanwhile stays; an entry of ours replaces one of the same key.
    FileContent c = read_cache_file(location_.file);
    if (c.state == FileContent::State::unreadable ||
        (c.state == FileContent::State::invalid && !location_.is_default)) {
      writable_ = false;
      return;
    }
    json doc = c.state == FileContent::State::valid ? std::move(c.doc) : json::object();
    doc["format"] = kFormat;
    doc["format_version"] = kFormatVersion;
    if (!doc.contains("hosts") || !doc["hosts"].is_object()) doc["hosts"] = json::object();
    json& mine = doc["hosts"][host_];
    if (!mine.is_object()) mine = json::object();
    for (const auto& [layer, conv] : unsaved_) mine[layer] = entry_to_json(conv);
    write_file_atomically(location_.file, doc.dump(1, ' ', false, json::error_handler_t::replace) + "\n");
    unsaved_.clear();
  } catch (const std::exception&) {
    // A write that failed (onexn::Error) or memory that ran out: the cache is an optimization,
    // the run goes on without writing it again.
    writable_ = false;
  }
}

}  // namespace onexn::runtime
