// `gpuval compare A B` on any two documents (the input split at a NUL byte): both read as
// compare reads them, compared, rendered three ways. Properties: DocumentError is the only
// exception; the exit code is 1 exactly when something regressed; renderings never throw.
#include "compare/compare.hpp"

#include <string>

#include "compare/render.hpp"
#include "core/run_document.hpp"
#include "tests/fuzz/fuzz_target.hpp"

GPUVAL_FUZZ_TARGET(compare) {
  using namespace gpuval;
  using nlohmann::json;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 2);
  if (parts.size() != 2) return 0;
  json a, b;
  try {
    a = parse_run_document(parts[0], "A.json");
    b = parse_run_document(parts[1], "B.json");
  } catch (const DocumentError&) {
    return 0;
  }
  for (const compare::CompareOptions& options :
       {compare::CompareOptions{}, compare::CompareOptions{0.5, 0.0, 0.0}}) {
    compare::Comparison c;
    try {
      c = compare::compare_runs(a, b, options, "A.json", "B.json");
    } catch (const DocumentError&) {
      return 0;
    }
    FUZZ_CHECK(c.exit_code() == (c.regressions.empty() ? 0 : 1));
    for (const compare::BenchmarkComparison& bc : c.benchmarks) {
      if (bc.p_value) FUZZ_CHECK(*bc.p_value >= 0 && *bc.p_value <= 1, bc.id);
    }
    (void)compare::headline(c);
    (void)compare::render_text(c, {true});
    (void)compare::render_markdown(c);
    (void)compare::to_json(c).dump(2);
    for (const compare::EnvDifference& d : c.environment) {
      (void)compare::display_env_value(d.field, d.reference);
      (void)compare::display_env_value(d.field, d.candidate);
    }
  }
  return 0;
}
