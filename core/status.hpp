// Check status: the four outcomes every check reports (never a bare bool).
#pragma once

#include <optional>
#include <string_view>

namespace gpuval {

enum class Status { Pass, Warn, Fail, Skip };

constexpr std::string_view to_string(Status s) {
  switch (s) {
    case Status::Pass: return "PASS";
    case Status::Warn: return "WARN";
    case Status::Fail: return "FAIL";
    case Status::Skip: return "SKIP";
  }
  return "FAIL";
}

std::optional<Status> status_from_string(std::string_view s);

// Worst of two statuses for roll-ups: FAIL > WARN > PASS > SKIP.
Status worst(Status a, Status b);

}  // namespace gpuval
