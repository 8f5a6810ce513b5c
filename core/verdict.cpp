#include "core/verdict.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/exit_codes.hpp"

namespace gpuval {

Verdict decide_verdict(const Facts& facts, const std::vector<CheckResult>& results,
                       bool require_gpu) {
  std::vector<const CheckResult*> failed;
  int warnings = 0;
  for (const CheckResult& r : results) {
    if (r.status == Status::Fail) failed.push_back(&r);
    if (r.status == Status::Warn) ++warnings;
  }

  if (require_gpu && !facts.gpu_usable) {
    Verdict v{"no-gpu", exit_code::kNoGpu, "", "", ""};
    if (!facts.blockers.empty()) {
      const Blocker& b = *std::min_element(
          facts.blockers.begin(), facts.blockers.end(),
          [](const Blocker& a, const Blocker& c) { return a.priority < c.priority; });
      v.cause = b.cause;
      v.hint = b.hint;
    } else if (!failed.empty()) {
      v.cause = failed.front()->message;
      v.hint = failed.front()->hint;
    } else {
      v.cause = "CUDA reported no usable device and no check found why";
      v.hint = "run `nvidia-smi` on the host and inside the container and compare";
    }
    v.summary = "no usable GPU: " + v.cause;
    return v;
  }
  if (!failed.empty()) {
    Verdict v{"fail", exit_code::kFailed, "", failed.front()->message, failed.front()->hint};
    std::string ids;
    for (const CheckResult* r : failed) ids += (ids.empty() ? "" : ", ") + r->id;
    v.summary =
        fmt::format("{} check{} failed: {}", failed.size(), failed.size() == 1 ? "" : "s", ids);
    return v;
  }
  Verdict v{"pass", exit_code::kPass, "", "", ""};
  v.summary = warnings == 0 ? "all checks passed"
                            : fmt::format("all checks passed ({} warning{})", warnings,
                                          warnings == 1 ? "" : "s");
  return v;
}

nlohmann::json to_json(const Verdict& v) {
  return nlohmann::json{{"status", v.status},
                        {"exit_code", v.exit_code},
                        {"summary", v.summary},
                        {"cause", v.cause},
                        {"hint", v.hint}};
}

}  // namespace gpuval
