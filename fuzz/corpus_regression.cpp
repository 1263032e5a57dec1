// Replays every file of a fuzzing corpus through the model loader's fuzz entry point (the ctest
// model_loader_corpus): each must be accepted or rejected with an onexn::Error, never anything
// else. Usage: model_loader_corpus_regression DIR [-v]
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "model_loader_entry.hpp"
#include "onexn/error.hpp"
#include "onexn/file_io.hpp"

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [-v]\n", argv[0]);
    return 2;
  }
  const fs::path dir = argv[1];
  const bool verbose = argc == 3 && std::string(argv[2]) == "-v";
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  if (ec || files.empty()) {
    std::fprintf(stderr, "no corpus files in '%s'%s%s\n", dir.c_str(), ec ? ": " : "",
                 ec.message().c_str());
    return 1;
  }
  std::sort(files.begin(), files.end());
  int accepted = 0, rejected = 0, ran = 0, failed = 0;
  for (const fs::path& file : files) {
    try {
      const std::vector<uint8_t> bytes = onexn::read_file(file);
      const onexn::fuzz::LoadResult r = onexn::fuzz::load_model_bytes(bytes);
      if (r.outcome == onexn::fuzz::LoadOutcome::accepted) {
        ++accepted;
        ran += r.ran;
        if (verbose)
          std::printf("accepted%s %s\n", r.ran ? " and ran" : "", file.filename().c_str());
      } else {
        ++rejected;
        if (verbose) std::printf("rejected %s: %s\n", file.filename().c_str(), r.message.c_str());
      }
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAILED %s: exception that is not an onexn::Error: %s\n", file.c_str(), e.what());
    } catch (...) {
      ++failed;
      std::printf("FAILED %s: exception of an unknown type\n", file.c_str());
    }
  }
  std::printf(
      "%zu corpus files: %d accepted (%d of them ran), %d rejected with onexn::Error, %d failed\n",
      files.size(), accepted, ran, rejected, failed);
  return failed == 0 ? 0 : 1;
}
