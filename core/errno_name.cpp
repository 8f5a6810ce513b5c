#include "core/errno_name.hpp"

#include <cerrno>
#include <utility>

namespace gpuval {
namespace {

constexpr std::pair<std::string_view, int> kNames[] = {
    {"EPERM", EPERM},   {"EACCES", EACCES}, {"ENXIO", ENXIO}, {"ENODEV", ENODEV},
    {"ENOENT", ENOENT}, {"EBUSY", EBUSY},   {"EIO", EIO},     {"EROFS", EROFS}};

}  // namespace

std::string errno_name(int err) {
  for (const auto& [name, value] : kNames) {
    if (value == err) return std::string(name);
  }
  return "errno " + std::to_string(err);
}

std::optional<int> errno_from_name(std::string_view name) {
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.remove_suffix(1);
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  for (const auto& [known, value] : kNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace gpuval
