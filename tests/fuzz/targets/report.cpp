// `gpuval report` over a handful of documents (the input split at NUL bytes), each read with
// the report's pull parser, then aggregated over a few synthetic nights and nodes (copies with
// other dates, hosts, drivers and scaled medians, so that outliers and regression episodes
// appear) and rendered as HTML and Markdown. Properties: only DocumentError or
// JsonSyntaxError per document; aggregation and rendering never throw or hang.
#include <string>
#include <vector>

#include "report/json_reader.hpp"
#include "report/model.hpp"
#include "report/summary.hpp"
#include "report/summary_internal.hpp"
#include "tests/fuzz/fuzz_target.hpp"

GPUVAL_FUZZ_TARGET(report) {
  using namespace gpuval;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 6);
  std::vector<report::RunSummary> runs;
  std::vector<report::BadFile> bad;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string path = "runs/" + std::to_string(i) + ".json";
    try {
      report::TextReading r = report::read_run_summary(parts[i], path);
      if (r.kind == report::TextReading::Kind::kRun) runs.push_back(std::move(r.run));
    } catch (const DocumentError& e) {
      bad.push_back({path, e.what()});
    } catch (const report::JsonSyntaxError& e) {
      bad.push_back({path, "not JSON at byte " + std::to_string(e.byte)});
    }
  }
  const std::size_t read = runs.size();
  for (std::size_t i = 0; i < read; ++i) {
    for (int night = 1; night <= 4; ++night) {
      report::RunSummary copy = runs[i];
      copy.run_id += "-" + std::to_string(night);
      copy.date = "2030-01-0" + std::to_string(night);
      copy.started_at = copy.date + "T00:00:00Z";
      if (night == 2) copy.host += "-b";
      if (night == 4) copy.driver = "999.1.4";
      for (report::BenchPoint& b : copy.benchmarks) {
        if (b.median) *b.median *= night > 2 ? 0.5 : 1.0 + 0.001 * night;
      }
      runs.push_back(std::move(copy));
    }
  }
  report::ReportOptions options;
  options.window = 2;
  const report::Report rep = report::build_report(runs, options, bad);
  FUZZ_CHECK(rep.runs == runs.size());
  (void)report::render_html(rep);
  (void)report::render_markdown(rep);
  return 0;
}
