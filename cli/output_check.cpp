#include "cli/output_check.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

namespace gpuval::cli {

std::string unwritable_output(const std::string& path, const char* flag, std::string_view fix) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-") return {};
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fmt::format("{} {}: directory {} does not exist", flag, path, dir.string());
  }
  if (fs::is_directory(p, ec)) return fmt::format("{} {}: is a directory", flag, path);
  if (::access(dir.c_str(), W_OK) != 0) {
    return fmt::format("{} {}: directory {} is not writable ({})", flag, path, dir.string(), fix);
  }
  return {};
}

}  // namespace gpuval::cli
