// What one check found, gathered as it goes: problems raise the status (the worst wins and its
// first hint is the one shown), plain notes only inform. The message lists problems first.
#pragma once

#include <string>
#include <vector>

#include "core/status.hpp"

namespace gpuval {

class Findings {
 public:
  void problem(Status s, std::string note, std::string hint) {
    if (worst(s, status_) != status_ || hint_.empty()) hint_ = std::move(hint);
    status_ = worst(s, status_);
    problems_.push_back(std::move(note));
  }
  void note(std::string text) { notes_.push_back(std::move(text)); }

  Status status() const { return status_; }
  const std::string& hint() const { return hint_; }
  const std::vector<std::string>& problems() const { return problems_; }
  const std::vector<std::string>& notes() const { return notes_; }

  // "<problem>; <problem>; <note>; ..." or `fallback` when nothing was recorded.
  std::string message(const std::string& fallback = {}) const {
    std::string out;
    for (const auto* list : {&problems_, &notes_}) {
      for (const auto& s : *list) out += (out.empty() ? "" : "; ") + s;
    }
    return out.empty() ? fallback : out;
  }

 private:
  Status status_ = Status::Pass;
  std::string hint_;
  std::vector<std::string> problems_;
  std::vector<std::string> notes_;
};

}  // namespace gpuval
