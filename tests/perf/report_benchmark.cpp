// `gpuval report` over a directory of run documents, phase by phase and end to end (the issue's
// target: 10,000 documents in under 5 s on a 2-core machine). Usage:
//   gpuval_report_benchmark DIR [--benchmark_* ...]
// scripts/bench-report.sh generates DIR with tests/support/gen_history.py and runs this.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "report/model.hpp"
#include "report/summary.hpp"

namespace {

using namespace gpuval::report;

std::filesystem::path g_dir;

// CPU seconds of the whole process (all threads): the loader's work on its pool, which the
// benchmark's own CPU column (the calling thread only) does not see.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Loaded once for the benchmarks of the later phases.
const LoadResult& loaded() {
  static const LoadResult result = load_runs({g_dir});
  return result;
}

void BM_LoadRuns(benchmark::State& state) {
  const auto threads = static_cast<unsigned>(state.range(0));
  std::size_t runs = 0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    LoadResult r = load_runs({g_dir}, threads);
    runs = r.runs.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["documents"] = static_cast<double>(runs);
  state.counters["process_cpu_s"] =
      (process_cpu_seconds() - cpu0) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * runs));
}

void BM_BuildReport(benchmark::State& state) {
  const LoadResult& in = loaded();
  for (auto _ : state) {
    Report r = build_report(in.runs, {}, in.bad);
    benchmark::DoNotOptimize(r);
  }
}

void BM_RenderMarkdown(benchmark::State& state) {
  const Report r = build_report(loaded().runs, {}, loaded().bad);
  for (auto _ : state) benchmark::DoNotOptimize(render_markdown(r));
}

void BM_RenderHtml(benchmark::State& state) {
  const Report r = build_report(loaded().runs, {}, loaded().bad);
  for (auto _ : state) benchmark::DoNotOptimize(render_html(r));
}

// What `gpuval report DIR --html F --md F` does, less writing the two files.
void BM_ReportEndToEnd(benchmark::State& state) {
  std::size_t runs = 0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    LoadResult in = load_runs({g_dir});
    runs = in.runs.size();
    const Report r = build_report(in.runs, {}, std::move(in.bad));
    benchmark::DoNotOptimize(render_html(r));
    benchmark::DoNotOptimize(render_markdown(r));
  }
  state.counters["documents"] = static_cast<double>(runs);
  state.counters["process_cpu_s"] =
      (process_cpu_seconds() - cpu0) / static_cast<double>(state.iterations());
}

BENCHMARK(BM_LoadRuns)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BuildReport)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderMarkdown)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RenderHtml)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReportEndToEnd)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: %s DIR [--benchmark_* ...]\n"
                 "DIR holds run documents, e.g. from tests/support/gen_history.py "
                 "(scripts/bench-report.sh makes one)\n",
                 argv[0]);
    return 2;
  }
  g_dir = argv[1];
  if (loaded().runs.empty()) {
    std::fprintf(stderr, "%s: no run documents under %s\n", argv[0], argv[1]);
    return 2;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
