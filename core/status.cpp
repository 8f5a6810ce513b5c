#include "core/status.hpp"

namespace gpuval {

std::optional<Status> status_from_string(std::string_view s) {
  for (Status st : {Status::Pass, Status::Warn, Status::Fail, Status::Skip}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

Status worst(Status a, Status b) {
  auto rank = [](Status s) {
    switch (s) {
      case Status::Skip: return 0;
      case Status::Pass: return 1;
      case Status::Warn: return 2;
      case Status::Fail: return 3;
    }
    return 3;
  };
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace gpuval
