// What tonight's run is compared with. Baselines are per host, GPU model and mode — never across
// different GPU models, hosts or modes (the documents' own host, model and mode are checked, not
// only the folders they sit in) — and may span driver versions, so a driver upgrade that costs
// performance shows up as a regression.
//
//   median:N  the last N nights before tonight's night (UTC date) that have a passing run of this
//             host, GPU model and mode; fewer when the history is younger (described as such).
//   pinned    the document pinned for this host, GPU model and mode (`gpuval history pin`).
//
// The reference document compare_runs() sees is the most recent baseline document with each
// benchmark replaced by the one of the baseline run whose median is the median of the runs'
// medians (matched by id, device and params like compare): the level is the median over those
// nights, and the Mann–Whitney test compares tonight's repetitions with that run's.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "history/identity.hpp"

namespace gpuval::history {

struct BaselineSpec {
  enum class Kind { kMedian, kPinned };
  Kind kind = Kind::kMedian;
  int nights = 7;            // median:N
  std::string text() const;  // "median:7" | "pinned"
};

// Of one night of a series, at most this many documents (the first by path) are read for a
// median baseline, so that a history folder of 100,000 runs a night costs a check no more than
// a normal one (a warning says so).
inline constexpr std::size_t kMaxRunsPerNight = 32;

// "median:N" (1 <= N <= 365) or "pinned"; throws std::invalid_argument with what is accepted.
BaselineSpec parse_baseline_spec(std::string_view text);

// No usable baseline although one was required (a missing or mismatched pin); the message says
// how to fix it.
class BaselineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BaselineDocument {
  std::filesystem::path path;
  nlohmann::json doc;
  RunIdentity id;
};

struct Baseline {
  BaselineSpec spec;
  std::vector<BaselineDocument> documents;  // oldest first
  std::vector<std::string> nights;          // the distinct nights used, oldest first
  // "median of 7 nights 2026-10-18..2026-10-24 (7 runs)", "median of 3 nights ... (fewer than
  // the 7 asked for)", "pinned run R of 2026-10-03 (driver D)", or why there is none.
  std::string description;
  std::vector<std::string> warnings;  // history documents that could not be read (skipped)
  bool empty() const { return documents.empty(); }
};

// Selects the baseline of `tonight` from the history at `root`. An empty median baseline is not
// an error (the first nights of a series have none). Throws BaselineError for `pinned` when no
// pin exists or the pin is of another host, GPU model or mode.
// With the history's index (history/index.hpp) the candidates of median:N come from it instead
// of listing the series' folders; the documents chosen are read either way.
class Index;
Baseline select_baseline(const std::filesystem::path& root, const RunIdentity& tonight,
                         const BaselineSpec& spec, Index* index = nullptr);

// The reference document for compare_runs() (see the file comment). Requires !b.empty().
nlohmann::json build_reference(const Baseline& b);

}  // namespace gpuval::history
