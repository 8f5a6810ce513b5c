// A run document from anywhere, through the nlohmann path every reader but the report's uses
// (compare, history add/check/pin): parse_run_document, then what each reader does with an
// accepted document. Properties: DocumentError is the only exception; an accepted document
// survives a write/read round trip unchanged; it compares with itself without a regression;
// compare's three renderings never throw (text they quote stays valid UTF-8).
#include "core/run_document.hpp"

#include <string>

#include "compare/compare.hpp"
#include "compare/render.hpp"
#include "history/identity.hpp"
#include "history/layout.hpp"
#include "report/summary.hpp"
#include "tests/fuzz/fuzz_target.hpp"

GPUVAL_FUZZ_TARGET(run_document) {
  using namespace gpuval;
  using nlohmann::json;
  const std::string_view text = fuzz::text_of(data, size);
  json doc;
  try {
    doc = parse_run_document(text, "fuzz.json");
  } catch (const DocumentError&) {
    return 0;
  }
  const std::string written = dump_run_document(doc);
  FUZZ_CHECK(parse_run_document(written, "written.json") == doc, written);

  try {
    const compare::Comparison c = compare::compare_runs(doc, doc);
    FUZZ_CHECK(c.exit_code() == 0, compare::render_text(c, {}));
    (void)compare::render_text(c, {true});
    (void)compare::render_markdown(c);
    (void)compare::to_json(c).dump(2);
  } catch (const DocumentError&) {
  }
  try {
    const history::RunIdentity id = history::identify(doc);
    const std::filesystem::path p = history::document_path("/history", id);
    FUZZ_CHECK(p.lexically_normal() == p && p.string().starts_with("/history/"), p.string());
    (void)history::pin_path("/history", id);
  } catch (const DocumentError&) {
  }
  try {
    (void)report::summarize(doc, "fuzz.json");
  } catch (const DocumentError&) {
  }
  return 0;
}
