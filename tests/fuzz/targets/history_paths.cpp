// Where the nightly history files a document, from any host, GPU model, driver, mode, run id
// and start time (the input split at NUL bytes), and the other small texts history reads
// (--baseline specs). Properties: every path component is a slug — [a-z0-9.-] (the run id also
// A-Z and '_'), at most 64 characters, never empty, hidden, "." or ".." — so a document can
// neither escape the history nor hide from its readers; RFC 3339 times give a UTC night.
#include <string>

#include "core/run_document.hpp"
#include "history/baseline.hpp"
#include "history/identity.hpp"
#include "history/layout.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace {

void check_slug(const std::string& s, bool keep_case) {
  FUZZ_CHECK(!s.empty() && s.size() <= 64, s);
  FUZZ_CHECK(s.front() != '.' && s.front() != '-' && s.back() != '.' && s.back() != '-', s);
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                    (keep_case && ((c >= 'A' && c <= 'Z') || c == '_'));
    FUZZ_CHECK(ok, s);
  }
}

void check_under(const std::filesystem::path& root, const std::filesystem::path& p) {
  FUZZ_CHECK(p.lexically_normal() == p, p.string());
  const std::filesystem::path rel = p.lexically_relative(root);
  FUZZ_CHECK(!rel.empty() && *rel.begin() != "..", p.string());
  for (const auto& part : rel) {
    const std::string s = part.string();
    FUZZ_CHECK(!s.empty() && s != "." && s != ".." && s.front() != '.', p.string());
  }
}

}  // namespace

GPUVAL_FUZZ_TARGET(history_paths) {
  using namespace gpuval;
  using namespace gpuval::history;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 7);
  const auto part = [&](std::size_t i) {
    return i < parts.size() ? std::string(parts[i]) : std::string();
  };
  for (const std::string_view p : parts) {
    check_slug(slug(p), false);
    check_slug(slug(p, true), true);
  }

  RunIdentity id;
  id.host = part(0);
  id.gpu_model = part(1);
  id.driver = part(2);
  id.mode = part(3);
  id.run_id = part(4);
  id.started_at = part(5);
  if (parse_rfc3339(id.started_at, id.started_epoch)) {
    id.night = utc_date(id.started_epoch);
    FUZZ_CHECK(id.night.size() >= 10, id.night);
  } else {
    id.night = "2026-10-01";
  }
  const std::filesystem::path root = "/var/lib/gpuval/history";
  check_under(root, document_path(root, id));
  check_under(root, pin_path(root, id));
  check_under(root, series_root(root, id.host, id.gpu_model));

  try {
    const BaselineSpec spec = parse_baseline_spec(part(6));
    FUZZ_CHECK(spec.kind == BaselineSpec::Kind::kPinned ||
               (spec.nights >= 1 && spec.nights <= 365));
    FUZZ_CHECK(parse_baseline_spec(spec.text()).text() == spec.text());
  } catch (const std::invalid_argument&) {
  }

  // The same fields as a document's: identify() takes them or says which is unusable.
  nlohmann::json doc = {
      {"schema", "gpuval.run/1"},
      {"run", {{"id", id.run_id}, {"started_at", id.started_at}}},
      {"host", {{"hostname", id.host}}},
      {"environment", {{"mode", id.mode}, {"engine", id.driver}, {"injection", id.gpu_model}}},
      {"devices", {{{"name", id.gpu_model}}}},
      {"driver", {{"version", id.driver}}},
      {"verdict", {{"status", part(6)}}}};
  try {
    const RunIdentity got = identify(doc);
    check_under(root, document_path(root, got));
    FUZZ_CHECK(got.mode == "baremetal" || got.mode.find('-') != std::string::npos, got.mode);
  } catch (const DocumentError&) {
  }
  return 0;
}
