// gpuval_fuzz_replay TARGET PATH...: runs one fuzz target over files (or every file of
// folders), as libFuzzer would run it over a corpus. Exit 0 when every input passed; a crash or
// a failed FUZZ_CHECK aborts (a test failure). `gpuval_fuzz_replay --list` names the targets.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_target.hpp"

namespace gpuval::fuzz {

namespace {
std::map<std::string, TargetFn>& targets() {
  static std::map<std::string, TargetFn> table;
  return table;
}
}  // namespace

bool register_target(const char* name, TargetFn fn) {
  targets()[name] = fn;
  return true;
}

}  // namespace gpuval::fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const auto& table = gpuval::fuzz::targets();
  if (argc == 2 && std::string(argv[1]) == "--list") {
    for (const auto& [name, fn] : table) std::cout << name << "\n";
    return 0;
  }
  if (argc < 3) {
    std::cerr << "usage: gpuval_fuzz_replay TARGET PATH... | --list\n";
    return 2;
  }
  const auto it = table.find(argv[1]);
  if (it == table.end()) {
    std::cerr << "gpuval_fuzz_replay: no target " << argv[1] << " (--list names them)\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p)) {
        if (e.is_regular_file()) files.push_back(e.path());
      }
    } else if (fs::is_regular_file(p)) {
      files.push_back(p);
    } else {
      std::cerr << "gpuval_fuzz_replay: no such file or folder: " << p << "\n";
      return 2;
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "gpuval_fuzz_replay: no inputs for " << argv[1] << "\n";
    return 2;
  }
  for (const fs::path& f : files) {
    std::cerr << "input " << f.string() << "\n";  // names the input a crash report follows
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    it->second(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  }
  std::cout << argv[1] << ": " << files.size() << " inputs replayed, no crash\n";
  return 0;
}
