// Fills a history index with a year (or more) of a fleet's runs without writing documents: the
// runs of one generated night (tests/support/gen_history.py, any number of nodes) are read once
// and replayed over N nights with fresh run ids, times and noise, two driver upgrades and a
// regression, straight into the index through its own writer (history/index.hpp). For measuring
// `gpuval report` over the index at a scale whose documents would not fit the disk (1,000,000
// runs: ~27 GB of documents). scripts/bench-history.sh runs it.
//
//   gpuval_index_bench populate SAMPLE_DIR HISTORY --nights N [--batch N] [--seed N]
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "history/identity.hpp"
#include "history/index.hpp"
#include "history/layout.hpp"
#include "report/summary.hpp"

namespace {

namespace fs = std::filesystem;
using namespace gpuval;

int usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s populate SAMPLE_DIR HISTORY --nights N [--batch N] [--seed N]\n"
               "SAMPLE_DIR: run documents of one night (tests/support/gen_history.py --nights 1)\n",
               argv0);
  return 2;
}

int populate(const fs::path& sample_dir, const fs::path& history, int nights, std::size_t batch,
             unsigned seed) {
  // The sample night, as the index would read it.
  std::vector<report::BadFile> unlisted;
  std::vector<history::IndexEntry> sample;
  for (const std::string& file : report::collect_run_files({sample_dir}, unlisted)) {
    std::string text;
    if (!report::read_document_text(file, text).empty()) continue;
    history::EntryReading r = history::read_entry(text, file);
    if (r.kind == report::FileReading::Kind::kRun) sample.push_back(std::move(r.entry));
  }
  if (sample.empty()) {
    std::fprintf(stderr, "no run documents in %s\n", sample_dir.c_str());
    return 2;
  }
  fs::create_directories(history);
  auto index = history::Index::open(history, history::Index::Access::kWrite);
  std::int64_t start = 0;
  history::parse_rfc3339(sample.front().run.started_at, start);
  start -= start % 86400;

  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.003);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<history::IndexEntry> pending;
  std::size_t written = 0;
  // gen_history.py's second H100 node (its first one when there is only one) regresses on the
  // last five nights.
  std::string regressed_host = sample.front().run.host;
  for (const history::IndexEntry& e : sample) {
    if (e.run.host == "gpu-h100-02") regressed_host = e.run.host;
  }
  for (int night = 0; night < nights; ++night) {
    const std::string driver = night < nights / 3       ? "550.54.15"
                               : night < 2 * nights / 3 ? "560.35.03"
                                                        : "570.86.10";
    for (std::size_t k = 0; k < sample.size(); ++k) {
      history::IndexEntry e = sample[k];
      report::RunSummary& r = e.run;
      std::int64_t t = 0;
      history::parse_rfc3339(r.started_at, t);
      t = start + static_cast<std::int64_t>(night) * 86400 + t % 86400;
      const std::string date = history::utc_date(t);
      const std::string clock = r.started_at.substr(10);  // "T02:13:00Z"
      r.started_at = date + clock;
      r.date = date;
      r.run_id = fmt::format("{}{}{}{}-{:08x}", date.substr(0, 4), date.substr(5, 2),
                             date.substr(8, 2), clock.substr(0, 9), rng() & 0xffffffffu);
      r.driver = driver;
      const bool fails = (written + k) % 997 == 0;
      if (fails && !r.checks.empty()) {
        r.checks[written % r.checks.size()].status = "FAIL";
        r.verdict = "fail";
      }
      for (report::BenchPoint& b : r.benchmarks) {
        if (!b.median) continue;
        double f = 1 + noise(rng);
        if (r.host == regressed_host && b.id == "stream-triad" && night >= nights - 5) f *= 0.85;
        *b.median *= f;
        if (b.fraction_of_peak) *b.fraction_of_peak *= f;
      }
      e.series = history::series_of(r);
      history::RunIdentity id;
      id.host = r.host;
      id.gpu_model = e.series ? e.series->gpu_model : r.gpu_model;
      id.driver = r.driver;
      id.night = e.series ? e.series->night : date;
      id.mode = e.series ? e.series->mode : r.mode;
      id.run_id = r.run_id;
      e.path = history::document_path(fs::path(), id).generic_string();
      e.hash = written + k;
      pending.push_back(std::move(e));
      if (pending.size() >= batch) {
        index->put_indexed(pending);
        written += pending.size();
        pending.clear();
      }
    }
    if (night % 50 == 49) {
      std::fprintf(stderr, "\rpopulate: night %d of %d (%zu runs)", night + 1, nights,
                   written + pending.size());
    }
  }
  index->put_indexed(pending);
  written += pending.size();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("\npopulated %zu runs (%zu a night, %d nights) in %.1f s: %.0f runs/s into %s\n",
              written, sample.size(), nights, s, static_cast<double>(written) / s,
              history::index_path(history).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "populate") return usage(argv[0]);
  int nights = 0;
  std::size_t batch = 5000;
  unsigned seed = 1;
  for (int i = 4; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--nights") {
      nights = std::atoi(argv[i + 1]);
    } else if (flag == "--batch") {
      batch = static_cast<std::size_t>(std::atol(argv[i + 1]));
    } else if (flag == "--seed") {
      seed = static_cast<unsigned>(std::atol(argv[i + 1]));
    } else {
      return usage(argv[0]);
    }
  }
  if (nights <= 0 || batch == 0) return usage(argv[0]);
  try {
    return populate(argv[2], argv[3], nights, batch, seed);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 2;
  }
}
