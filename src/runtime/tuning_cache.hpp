// The tuning cache: the conv implementation timing picked for each layer key
// (conv/conv_tuning_key.hpp) on one host (tuning_host.hpp), kept in a JSON file so that a later
// load, of this model or of another with layers of the same key, times nothing again.
//
//   {"format": "onexn tuning cache", "format_version": 1,
//    "hosts": {"onexn 0.1.0; AMD EPYC ...; AVX3; 2 threads":
//               {"conv mb1ic32... | onednn/0/0 ...": {"implementation": "onednn", "block_size": 0,
//                                                     "variant": 0, "kernel": "oneDNN ...",
//                                                     "ms": 0.118}}}}
//
// Nothing about the file stops a run: a missing file is an empty cache; one that cannot be read
// or is not a tuning cache is ignored with one warning line on stderr (per process); one that
// cannot be written (a read-only folder) is not written. Writes merge the entries timed since the
// last save into what the file holds then (under a lock file, so that sessions of other processes
// lose nothing; the last writer wins per key), through a temporary file renamed over it.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace onexn::runtime {

struct TunedConv {
  std::string implementation;  // the conv_implementations() entry
  int block_size = 0;          // its candidate's N
  int variant = 0;             // and variant
  std::string kernel;          // what ran, for people reading the file
  double ms = 0;               // its best time on the layer
};

// Where SessionOptions::tuning_cache = `setting` keeps the cache: the file (empty: none), and
// whether it is the default location, which onexn owns (a file there that is not a tuning cache
// is replaced; a file the user named is only ever read then).
struct TuningCacheLocation {
  std::filesystem::path file;
  bool is_default = false;
};
// `setting` "off": none; another non-empty setting: that file. Empty: the environment's
// ONEXN_TUNING_CACHE the same way, else $XDG_CACHE_HOME/onexn/tuning-cache-v1.json (an absolute
// XDG_CACHE_HOME), else $HOME/.cache/onexn/tuning-cache-v1.json, else none.
TuningCacheLocation tuning_cache_location(std::string_view setting);
// The same with the environment given (null for an unset variable).
TuningCacheLocation tuning_cache_location(std::string_view setting, const char* onexn_tuning_cache,
                                          const char* xdg_cache_home, const char* home);

class TuningCache {
 public:
  // Reads the entries of `host` from location.file (none when the file is empty: the cache then
  // lives in memory only, shared by the layers of one session).
  TuningCache(TuningCacheLocation location, std::string host);

  struct Found {
    TunedConv conv;
    bool from_file = false;  // read from the file, not timed by this session
  };
  std::optional<Found> find(const std::string& layer) const;
  void record(const std::string& layer, const TunedConv& conv);
  // Writes the entries recorded since the last save (see above). Never throws.
  void save();

  const std::filesystem::path& file() const { return location_.file; }

 private:
  struct Entry {
    TunedConv conv;
    bool from_file = false;
  };
  const TuningCacheLocation location_;
  const std::string host_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, TunedConv> unsaved_;
  bool writable_ = true;
};

}  // namespace onexn::runtime
