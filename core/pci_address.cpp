#include "core/pci_address.hpp"

#include <cctype>

namespace gpuval {

std::optional<std::array<unsigned long, 4>> parse_pci(std::string_view s) {
  std::array<unsigned long, 4> out{};
  std::size_t pos = 0;
  for (int field = 0; field < 4; ++field) {
    const char sep = field == 0 ? ':' : field == 1 ? ':' : field == 2 ? '.' : '\0';
    const std::size_t end = sep == '\0' ? s.size() : s.find(sep, pos);
    if (end == std::string_view::npos || end == pos) return std::nullopt;
    unsigned long v = 0;
    for (char c : s.substr(pos, end - pos)) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      v = v * 16 + static_cast<unsigned long>(std::isdigit(static_cast<unsigned char>(c))
                                                  ? c - '0'
                                                  : std::tolower(c) - 'a' + 10);
      if (v > 0xffffffffUL) return std::nullopt;
    }
    out[static_cast<std::size_t>(field)] = v;
    pos = end + 1;
  }
  return out;
}

}  // namespace gpuval
