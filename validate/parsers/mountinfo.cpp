#include "validate/parsers/mountinfo.hpp"

#include <charconv>

namespace gpuval {
namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

std::optional<MountEntry> parse_line(std::string_view line) {
  std::vector<std::string_view> f = split_spaces(line);
  // Six fixed fields, optional fields, "-", fstype, source (super options may be missing).
  size_t sep = 6;
  while (sep < f.size() && f[sep] != "-") ++sep;
  if (f.size() < 6 || sep + 3 > f.size()) return std::nullopt;

  MountEntry e;
  if (!parse_number(f[0], e.mount_id) || !parse_number(f[1], e.parent_id)) return std::nullopt;
  std::string_view dev = f[2];
  size_t colon = dev.find(':');
  if (colon == std::string_view::npos || !parse_number(dev.substr(0, colon), e.major) ||
      !parse_number(dev.substr(colon + 1), e.minor)) {
    return std::nullopt;
  }
  e.root = unescape_mount_field(f[3]);
  e.mount_point = unescape_mount_field(f[4]);
  if (e.root.empty() || e.root.front() != '/' || e.mount_point.empty() ||
      e.mount_point.front() != '/') {
    return std::nullopt;
  }
  e.mount_options = std::string(f[5]);
  for (size_t i = 6; i < sep; ++i) e.optional_fields.emplace_back(f[i]);
  e.fs_type = std::string(f[sep + 1]);
  e.source = unescape_mount_field(f[sep + 2]);
  if (sep + 3 < f.size()) e.super_options = std::string(f[sep + 3]);
  return e;
}

}  // namespace

std::optional<std::string> MountEntry::super_option(std::string_view key) const {
  return find_mount_option(super_options, key);
}

const MountEntry* MountTable::at(std::string_view mount_point) const {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->mount_point == mount_point) return &*it;
  }
  return nullptr;
}

std::string unescape_mount_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      std::string_view oct = field.substr(i + 1, 3);
      bool ok = true;
      int value = 0;
      for (char c : oct) {
        if (c < '0' || c > '7') ok = false;
        value = value * 8 + (c - '0');
      }
      if (ok && value < 256) {
        out.push_back(static_cast<char>(value));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

std::optional<std::string> find_mount_option(std::string_view options, std::string_view key) {
  size_t pos = 0;
  while (pos <= options.size()) {
    size_t end = options.find(',', pos);
    if (end == std::string_view::npos) end = options.size();
    std::string_view opt = options.substr(pos, end - pos);
    size_t eq = opt.find('=');
    std::string_view name = eq == std::string_view::npos ? opt : opt.substr(0, eq);
    if (!opt.empty() && name == key) {
      return eq == std::string_view::npos ? std::string() : std::string(opt.substr(eq + 1));
    }
    pos = end + 1;
  }
  return std::nullopt;
}

MountTable parse_mountinfo(std::string_view text) {
  MountTable table;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (auto entry = parse_line(line)) {
      table.entries.push_back(std::move(*entry));
    } else {
      table.malformed.emplace_back(line.substr(0, 200));
    }
  }
  return table;
}

std::optional<MountTable> read_mountinfo(const Sysroot& fs, std::string_view path) {
  std::optional<std::string> text = fs.read_file(path);
  if (!text) return std::nullopt;
  return parse_mountinfo(*text);
}

}  // namespace gpuval
