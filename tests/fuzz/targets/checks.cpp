// Every validation check on a hostile system: the input is an environment and a tree of /proc,
// /sys, /dev, /run and library files (split at NUL bytes: the first part KEY=VALUE lines, each
// other part "PATH\nCONTENT", or "PATH\n@symlink TARGET"), written to a fresh sysroot on tmpfs
// and analysed offline as `gpuval validate --sysroot` would (no CUDA, no NVML loaded). Each
// check function is called directly, so an exception is a crash (run_checks would turn it into
// a FAIL). Properties: every result has a message, every WARN and FAIL a hint; the verdict is
// pass, fail or no-gpu.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "core/context.hpp"
#include "core/sysroot_library_loader.hpp"
#include "core/verdict.hpp"
#include "tests/fuzz/fuzz_target.hpp"
#include "validate/registry.hpp"

namespace {

namespace fs = std::filesystem;

// A path inside the tree, or empty when the input's path could leave it.
fs::path inside(const fs::path& root, std::string_view abs_path) {
  if (abs_path.empty() || abs_path.front() != '/' || abs_path.size() > 200) return {};
  const fs::path rel = fs::path(abs_path).relative_path().lexically_normal();
  if (rel.empty() || *rel.begin() == ".." || rel.filename().empty()) return {};
  return root / rel;
}

void write_part(const fs::path& root, std::string_view part) {
  const std::size_t nl = part.find('\n');
  const fs::path path = inside(root, part.substr(0, nl));
  if (path.empty()) return;
  const std::string_view content = nl == std::string_view::npos ? "" : part.substr(nl + 1);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (content.starts_with("@symlink ")) {
    fs::create_symlink(std::string(content.substr(9)), path, ec);
    return;
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  [[maybe_unused]] const ssize_t n = ::write(fd, content.data(), content.size());
  ::close(fd);
}

fs::path base_dir() {
  static const fs::path base = [] {
    const fs::path shm = fs::is_directory("/dev/shm") ? "/dev/shm" : fs::temp_directory_path();
    fs::path dir = shm / ("gpuval-fuzz-checks-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
  }();
  return base;
}

}  // namespace

GPUVAL_FUZZ_TARGET(checks) {
  using namespace gpuval;
  const auto parts = fuzz::split_parts(fuzz::text_of(data, size), 64);
  static unsigned long long iteration = 0;
  const fs::path root = base_dir() / std::to_string(iteration++);
  std::error_code ec;
  fs::create_directories(root, ec);

  Env env;
  std::string_view lines = parts[0];
  while (!lines.empty()) {
    const std::size_t nl = lines.find('\n');
    const std::string_view line = lines.substr(0, nl);
    lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    const std::string name(line.substr(0, eq));
    if (name == "GPUVAL_PROBE_DIR") continue;  // would dlopen files from the input
    env.set(name, std::string(line.substr(eq + 1)));
  }
  for (std::size_t i = 1; i < parts.size(); ++i) write_part(root, parts[i]);

  Context ctx{Sysroot(root), env, nullptr, nullptr, 13000};
  ctx.profile = "quick";
  SysrootLibraryLoader libraries(ctx.fs, ctx.env);
  OfflineCudaDriverProbe cuda;
  ctx.libraries = &libraries;
  ctx.cuda = &cuda;
  Facts facts;
  std::vector<CheckResult> results;
  for (const CheckDef& def : all_checks()) {
    CheckResult r = def.fn(ctx, facts);
    FUZZ_CHECK(!r.message.empty(), std::string(def.id));
    // DESIGN: every WARN and FAIL carries a remediation hint.
    FUZZ_CHECK(r.status == Status::Pass || r.status == Status::Skip || !r.hint.empty(),
               std::string(def.id) + ": " + r.message);
    results.push_back(std::move(r));
  }
  for (bool require_gpu : {true, false}) {
    const Verdict v = decide_verdict(facts, results, require_gpu);
    FUZZ_CHECK(v.status == "pass" || v.status == "fail" || v.status == "no-gpu", v.status);
    (void)to_json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  fs::remove_all(root, ec);
  return 0;
}
