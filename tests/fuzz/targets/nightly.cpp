// `gpuval history check` on hostile documents (the input split at NUL bytes): every part but
// the last is filed into a fresh history on tmpfs, the last is checked against it (median
// baseline, then pinned to the first), and the three outputs are rendered. Properties: filing
// throws only FilingError or DocumentError; the check never throws; its exit code is one of the
// five; the Prometheus text has only comments and "name{labels} value" lines (an escaped label
// can hold no raw line break); JUnit and Markdown render.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "core/run_document.hpp"
#include "history/inputs.hpp"
#include "history/junit.hpp"
#include "history/layout.hpp"
#include "history/markdown.hpp"
#include "history/nightly_check.hpp"
#include "history/prometheus.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace {

namespace fs = std::filesystem;

fs::path base_dir() {
  static const fs::path base = [] {
    const fs::path shm = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    fs::path dir = shm / ("gpuval-fuzz-nightly-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return base;
}

// The document as history's reader takes it, or false.
bool read(std::string_view text, const std::string& path, gpuval::history::InputDocument& out) {
  try {
    out.doc = gpuval::parse_run_document(text, path);
    out.id = gpuval::history::identify(out.doc);
  } catch (const gpuval::DocumentError&) {
    return false;
  }
  out.path = path;
  out.text = std::string(text);
  return true;
}

void check_prometheus(const std::string& text) {
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    FUZZ_CHECK(end != std::string::npos, "no final line feed");
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    FUZZ_CHECK(line.starts_with("gpuval_"), std::string(line));
    const std::size_t space = line.rfind(' ');
    FUZZ_CHECK(space != std::string_view::npos && space + 1 < line.size(), std::string(line));
    if (line.find('{') != std::string_view::npos) {
      FUZZ_CHECK(line[space - 1] == '}', std::string(line));
    }
  }
}

}  // namespace

GPUVAL_FUZZ_TARGET(nightly) {
  using namespace gpuval;
  using namespace gpuval::history;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 4);
  static unsigned long long iteration = 0;
  const fs::path root = base_dir() / std::to_string(iteration++);

  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    InputDocument d;
    if (!read(parts[i], "filed-" + std::to_string(i) + ".json", d)) continue;
    try {
      file_document(root, d.doc, d.text);
      if (i == 0) pin_document(root, d.doc, d.text);
    } catch (const FilingError&) {
    }
  }
  InputDocument tonight;
  if (read(parts.back(), "tonight.json", tonight)) {
    for (const BaselineSpec& spec : {BaselineSpec{BaselineSpec::Kind::kMedian, 3},
                                     BaselineSpec{BaselineSpec::Kind::kPinned, 0}}) {
      NightlyOptions options;
      options.baseline = spec;
      const NightlyResult r = check_documents(root, {tonight}, {}, options, 1'800'000'000);
      FUZZ_CHECK(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2 || r.exit_code == 3,
                 std::to_string(r.exit_code));
      check_prometheus(render_prometheus(r));
      (void)render_nightly_junit(r);
      (void)render_nightly_markdown(r, options);
    }
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
