// An optional value as JSON: the value, or null when it is empty (the run document's way of
// saying "not known").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

namespace gpuval {

template <typename T>
nlohmann::json json_or_null(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace gpuval
