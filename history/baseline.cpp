#include "history/baseline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>

#include "core/run_document.hpp"
#include "core/stats.hpp"
#include "history/index.hpp"
#include "history/layout.hpp"
#include "report/filtered_json.hpp"

namespace gpuval::history {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What a baseline needs of a history document: everything but check metrics and per-sample clock
// readings, which are most of its bytes and which neither compare nor the reference uses.
bool baseline_keeps(std::string_view section, int depth, std::string_view key) {
  if (depth != 3) return true;
  if (section == "checks") return key != "metrics";
  if (section == "benchmarks") return key != "clocks";
  return true;
}

// A history document, parsed with the fast filtering parser; errors come from the full parser.
json read_history_document(const fs::path& path) {
  const std::string text = read_document_text(path);
  report::FilteredParse parsed = report::parse_filtered_json(text, baseline_keeps);
  if (!parsed.ok) return parse_run_document(text, path.string());  // throws with the details
  try {
    validate_run_document(parsed.doc);
  } catch (const DocumentError& e) {
    throw DocumentError(fmt::format("{}: {}", path.string(), e.what()));
  }
  return std::move(parsed.doc);
}

bool same_series(const RunIdentity& a, const RunIdentity& b) {
  return a.host == b.host && a.gpu_model == b.gpu_model && a.mode == b.mode;
}

std::string series_name(const RunIdentity& id) {
  return fmt::format("host {}, GPU model \"{}\", mode {}", id.host, id.gpu_model, id.mode);
}

// The key compare uses to pair benchmarks: id, device, params (dump() sorts object keys).
std::string bench_key(const json& b) {
  static const json kNull, kEmpty = json::object();
  const auto get = [&](const char* k, const json& fallback) -> const json& {
    const auto it = b.find(k);
    return it == b.end() || it->is_null() ? fallback : *it;
  };
  return get("id", kNull).dump() + "|" + get("device", kNull).dump() + "|" +
         get("params", kEmpty).dump();
}

// Samples of an entry that measured something usable, else empty.
std::vector<double> usable_samples(const json& b) {
  std::vector<double> out;
  const json status = b.contains("status") ? b["status"] : json();
  if (status == "SKIP" || status == "FAIL") return out;
  if (b.contains("verified") && b["verified"].is_boolean() && !b["verified"].get<bool>()) {
    return out;
  }
  if (!b.contains("samples") || !b["samples"].is_array()) return out;
  for (const json& s : b["samples"]) {
    if (!s.is_number()) return {};
    out.push_back(s.get<double>());
  }
  return out;
}

}  // namespace

std::string BaselineSpec::text() const {
  return kind == Kind::kPinned ? "pinned" : fmt::format("median:{}", nights);
}

BaselineSpec parse_baseline_spec(std::string_view text) {
  BaselineSpec spec;
  if (text == "pinned") {
    spec.kind = BaselineSpec::Kind::kPinned;
    return spec;
  }
  constexpr std::string_view kMedian = "median:";
  if (text.starts_with(kMedian)) {
    const std::string_view n = text.substr(kMedian.size());
    int value = 0;
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
    if (ec == std::errc() && end == n.data() + n.size() && value >= 1 && value <= 365) {
      spec.nights = value;
      return spec;
    }
  }
  throw std::invalid_argument(fmt::format(
      "baseline \"{}\" not understood: use median:N (the last N nights, 1 <= N <= 365, e.g. "
      "median:7) or pinned (the run pinned with `gpuval history pin`)",
      text));
}

Baseline select_baseline(const fs::path& root, const RunIdentity& tonight, const BaselineSpec& spec,
                         Index* index) {
  Baseline b;
  b.spec = spec;
  if (spec.kind == BaselineSpec::Kind::kPinned) {
    const fs::path path = pin_path(root, tonight);
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      throw BaselineError(fmt::format(
          "no pinned baseline for {} (expected {}): pin a good run with `gpuval history pin "
          "--history {} DOC`, or use --baseline median:N",
          series_name(tonight), path.string(), root.string()));
    }
    BaselineDocument d;
    d.path = path;
    try {
      d.doc = read_history_document(path);
      d.id = identify(d.doc);
    } catch (const DocumentError& e) {
      throw BaselineError(
          fmt::format("the pinned baseline is unusable: {} (pin another run)", e.what()));
    }
    if (!same_series(d.id, tonight)) {
      throw BaselineError(fmt::format(
          "the pinned baseline {} is of {}, not of {}: baselines never cross hosts, GPU models "
          "or modes (pin a run of this series)",
          path.string(), series_name(d.id), series_name(tonight)));
    }
    b.nights.push_back(d.id.night);
    b.description =
        fmt::format("pinned run {} of {} (driver {})", d.id.run_id, d.id.night, d.id.driver);
    b.documents.push_back(std::move(d));
    return b;
  }

  // median:N — newest night first, until N nights with a usable run are found.
  std::vector<BaselineDocument> picked;
  // Takes the entries by value and moves their paths: a night may hold 100,000 of them.
  const auto pick = [&](std::vector<SeriesEntry> entries) {
    std::map<std::string, std::vector<fs::path>, std::greater<>> by_night;
    for (SeriesEntry& e : entries) {
      if (e.night < tonight.night) by_night[e.night].push_back(std::move(e.path));
    }
    entries.clear();
    entries.shrink_to_fit();
    for (auto& [night, paths] : by_night) {
      if (static_cast<int>(b.nights.size()) >= spec.nights) break;
      if (paths.size() > kMaxRunsPerNight) {
        b.warnings.push_back(fmt::format(
            "{} holds {} documents of {} on {}: only the first {} are read for the baseline",
            paths.front().parent_path().string(), paths.size(), series_name(tonight), night,
            kMaxRunsPerNight));
        paths.resize(kMaxRunsPerNight);
      }
      std::vector<BaselineDocument> usable;
      for (const fs::path& path : paths) {
        BaselineDocument d;
        d.path = path;
        try {
          d.doc = read_history_document(path);
          d.id = identify(d.doc);
        } catch (const DocumentError& err) {
          b.warnings.push_back(fmt::format("skipped unreadable history document: {}", err.what()));
          continue;
        }
        // Folders are slugs: two models (or hosts) may share one. The document decides.
        if (!same_series(d.id, tonight) || d.id.verdict != "pass" ||
            d.id.run_id == tonight.run_id) {
          continue;
        }
        usable.push_back(std::move(d));
      }
      if (usable.empty()) continue;
      b.nights.push_back(night);
      for (BaselineDocument& d : usable) picked.push_back(std::move(d));
    }
  };
  // The documents of this series: from the index (only passing runs of this host, GPU model and
  // mode; a few more nights than asked for, in case some documents turn out unreadable, and all
  // of them when that was not enough), else every document in the series' folders. Either way
  // each is read and checked.
  bool listed = false;
  if (index) {
    const auto candidates = [&](std::size_t max_nights, bool* truncated) {
      std::vector<SeriesEntry> entries;
      for (Index::Candidate& c : index->baseline_candidates(tonight, max_nights, truncated)) {
        entries.push_back({std::move(c.night), std::move(c.path)});
      }
      std::sort(entries.begin(), entries.end(), [](const SeriesEntry& x, const SeriesEntry& y) {
        return x.night != y.night ? x.night < y.night : x.path < y.path;
      });
      return entries;
    };
    try {
      bool truncated = false;
      pick(candidates(static_cast<std::size_t>(2 * spec.nights + 7), &truncated));
      if (truncated && static_cast<int>(b.nights.size()) < spec.nights) {
        b.nights.clear();
        b.warnings.clear();
        picked.clear();
        pick(candidates(0, nullptr));
      }
      listed = true;
    } catch (const IndexError& e) {
      b.nights.clear();
      b.warnings.clear();
      picked.clear();
      b.warnings.push_back(fmt::format("{}; reading the history's folders instead", e.what()));
    }
  }
  if (!listed) pick(list_series(root, tonight));
  std::reverse(b.nights.begin(), b.nights.end());
  std::stable_sort(picked.begin(), picked.end(), [](const auto& x, const auto& y) {
    return x.id.started_epoch < y.id.started_epoch;
  });
  b.documents = std::move(picked);
  if (b.documents.empty()) {
    b.description = fmt::format("none: no passing run of this host, GPU model and mode before {}",
                                tonight.night);
    return b;
  }
  const std::string range =
      b.nights.size() == 1 ? b.nights.front() : b.nights.front() + ".." + b.nights.back();
  b.description = fmt::format("median of {} night{} {} ({} run{}{})", b.nights.size(),
                              b.nights.size() == 1 ? "" : "s", range, b.documents.size(),
                              b.documents.size() == 1 ? "" : "s",
                              static_cast<int>(b.nights.size()) < spec.nights
                                  ? fmt::format("; fewer than the {} asked for", spec.nights)
                                  : "");
  return b;
}

json build_reference(const Baseline& b) {
  json ref = b.documents.back().doc;  // environment, checks and verdict of the latest night
  // Per benchmark key, the baseline run whose median is the median of the runs' medians, with its
  // own repetitions: the level is the median over the nights, and Mann-Whitney compares two sets
  // of repetitions of one run each, as `gpuval compare` does. (Pooling every night's repetitions
  // instead diluted the test: three slow nights in a window of seven hid a 15 % drop.) Keys keep
  // the order in which they first appear from the newest document back.
  struct Measured {
    double median = 0;
    const json* entry = nullptr;
    std::vector<double> samples;
  };
  struct Candidates {
    const json* newest = nullptr;  // the newest entry, used as is when no run measured
    std::vector<Measured> runs;
  };
  std::vector<std::string> order;
  std::map<std::string, Candidates> by_key;
  for (auto d = b.documents.rbegin(); d != b.documents.rend(); ++d) {
    std::map<std::string, int> seen;
    for (const json& bench : d->doc["benchmarks"]) {
      if (!bench.is_object()) continue;
      std::string key = bench_key(bench);
      const int n = ++seen[key];
      if (n > 1) key += fmt::format("#{}", n);
      Candidates& c = by_key[key];
      if (!c.newest) {
        order.push_back(key);
        c.newest = &bench;
      }
      std::vector<double> samples = usable_samples(bench);
      if (samples.empty()) continue;
      const double median = stats::median(samples);
      c.runs.push_back(Measured{median, &bench, std::move(samples)});
    }
  }
  json benches = json::array();
  for (const std::string& key : order) {
    Candidates& c = by_key[key];
    if (c.runs.empty()) {
      benches.push_back(*c.newest);
      continue;
    }
    // Lower middle for an even count; stable, so equal medians keep the newest first.
    std::stable_sort(c.runs.begin(), c.runs.end(),
                     [](const Measured& x, const Measured& y) { return x.median < y.median; });
    const Measured& pick = c.runs[(c.runs.size() - 1) / 2];
    json entry = *pick.entry;
    const stats::Summary sum = stats::summarize(pick.samples);
    entry["samples"] = pick.samples;
    entry["median"] = sum.median;
    entry["min"] = sum.min;
    entry["max"] = sum.max;
    entry["cv"] = sum.cv;
    const auto peak = entry.find("peak");
    entry["fraction_of_peak"] = peak != entry.end() && peak->is_number() && peak->get<double>() > 0
                                    ? json(sum.median / peak->get<double>())
                                    : json();
    entry["message"] = fmt::format("baseline: the median run of {}", c.runs.size());
    benches.push_back(std::move(entry));
  }
  ref["benchmarks"] = std::move(benches);
  ref["run"]["id"] = "baseline " + b.spec.text();
  ref["baseline"] = {{"spec", b.spec.text()}, {"description", b.description}, {"nights", b.nights}};
  return ref;
}

}  // namespace gpuval::history
