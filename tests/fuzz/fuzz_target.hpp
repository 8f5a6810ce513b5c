// One fuzz target per file in targets/: GPUVAL_FUZZ_TARGET(name) { ... } gets the input bytes
// as `data`, `size`. Built two ways from the same source:
//   - with libFuzzer (the fuzz preset, GPUVAL_LIBFUZZER): one executable per target,
//     fuzz_<name>, run by scripts/fuzz.sh;
//   - into gpuval_fuzz_replay (every other build): each target replays its committed corpus
//     (corpus/<name>/, which holds the inputs of every crash found) as a unit test, under the
//     sanitizers in the asan preset.
// A target checks properties with FUZZ_CHECK; a failed check aborts, which both count as a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace gpuval::fuzz {

using TargetFn = int (*)(const std::uint8_t* data, std::size_t size);

// Replay builds: the table of targets (name -> function), filled by GPUVAL_FUZZ_TARGET.
bool register_target(const char* name, TargetFn fn);

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits a multi-part input at NUL bytes ("doc A\0doc B"): no run document, environment value
// or /proc file holds one. At most `max_parts` parts; the last keeps the rest.
inline std::vector<std::string_view> split_parts(std::string_view text, std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const std::size_t nul = text.find('\0');
    if (nul == std::string_view::npos) break;
    parts.push_back(text.substr(0, nul));
    text.remove_prefix(nul + 1);
  }
  parts.push_back(text);
  return parts;
}

[[noreturn]] inline void check_failed(const char* file, int line, const char* what,
                                      const std::string& detail) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n%s\n", file, line, what, detail.c_str());
  std::abort();
}

}  // namespace gpuval::fuzz

// FUZZ_CHECK(cond) or FUZZ_CHECK(cond, detail): a property every input must keep.
#define FUZZ_CHECK(cond, ...)                                                            \
  do {                                                                                   \
    if (!(cond))                                                                         \
      ::gpuval::fuzz::check_failed(__FILE__, __LINE__, #cond, std::string{__VA_ARGS__}); \
  } while (0)

#ifdef GPUVAL_LIBFUZZER
#define GPUVAL_FUZZ_TARGET(name) \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
#else
#define GPUVAL_FUZZ_TARGET(name)                                             \
  static int gpuval_fuzz_##name(const std::uint8_t* data, std::size_t size); \
  [[maybe_unused]] static const bool gpuval_fuzz_registered_##name =         \
      ::gpuval::fuzz::register_target(#name, gpuval_fuzz_##name);            \
  static int gpuval_fuzz_##name(const std::uint8_t* data, std::size_t size)
#endif
