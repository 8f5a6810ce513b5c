// The process environment as a value, so checks take it as input and tests inject it.
#pragma once

#include <initializer_list>
#include <map>
#include <optional>
#include <string>

namespace gpuval {

class Env {
 public:
  Env() = default;
  explicit Env(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  Env(std::initializer_list<std::pair<const std::string, std::string>> vars) : vars_(vars) {}
  static Env from_process();

  // nullopt when unset; "" when set to the empty string (the two mean different things).
  std::optional<std::string> get(const std::string& name) const;
  void set(const std::string& name, std::string value) { vars_[name] = std::move(value); }
  void unset(const std::string& name) { vars_.erase(name); }
  const std::map<std::string, std::string>& all() const { return vars_; }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace gpuval
