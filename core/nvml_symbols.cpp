#include "core/nvml_symbols.hpp"

namespace gpuval::nvml_detail {
namespace {

// "core/nvml.cpp" from "/work/main/core/nvml.cpp": the last two path components.
std::string project_relative(const char* file) {
  std::string_view f(file);
  const auto last = f.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::string(f);
  const auto before = f.rfind('/', last - 1);
  return std::string(before == std::string_view::npos ? f : f.substr(before + 1));
}

}  // namespace

std::string terminated(const char* buf, std::size_t size) {
  std::size_t n = 0;
  while (n < size && buf[n] != '\0') ++n;
  return std::string(buf, n);
}

NvmlError make_error(std::string_view call, int code, nvml_abi::ErrorStringFn error_string,
                     std::source_location loc) {
  NvmlError e;
  e.call = std::string(call);
  e.file = project_relative(loc.file_name());
  e.line = static_cast<int>(loc.line());
  e.code = code;
  e.name = nvml_return_name(code);
  if (error_string != nullptr) {
    if (const char* text = error_string(code)) e.description = text;
  }
  return e;
}

}  // namespace gpuval::nvml_detail
