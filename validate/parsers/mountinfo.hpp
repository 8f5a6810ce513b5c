// Parser for /proc/<pid>/mountinfo (proc(5)): which filesystems are mounted where, with which
// options. Used to see how the driver was injected (tmpfs over /proc/driver/nvidia, bind-mounted
// driver files), the /dev/shm size, and where the cgroup hierarchies are mounted.
//
// Line format:
//   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
//   id parent major:minor root mount-point mount-options [optional-fields...] - fstype source
//   super-options
// Paths escape space, tab, newline and backslash as octal (\040 \011 \012 \134).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sysroot.hpp"

namespace gpuval {

struct MountEntry {
  int mount_id = 0;
  int parent_id = 0;
  unsigned major = 0;
  unsigned minor = 0;
  std::string root;         // path inside the mounted filesystem that is mounted here
  std::string mount_point;  // where, in this process's mount namespace
  std::string mount_options;
  std::vector<std::string> optional_fields;  // shared:N, master:N, ...
  std::string fs_type;
  std::string source;
  std::string super_options;

  // Value of a per-superblock option ("size" in "rw,size=65536k" -> "65536k"; a flag such as
  // "memory" -> ""), or nullopt when absent.
  std::optional<std::string> super_option(std::string_view key) const;
  bool has_super_option(std::string_view key) const { return super_option(key).has_value(); }
};

struct MountTable {
  std::vector<MountEntry> entries;     // in file order (a later entry may cover an earlier one)
  std::vector<std::string> malformed;  // lines that did not parse, verbatim (cut to 200 chars)

  // The mount visible at exactly this mount point (the last one mounted there), or nullptr.
  const MountEntry* at(std::string_view mount_point) const;
};

// Never throws: lines that do not parse are collected in `malformed`.
MountTable parse_mountinfo(std::string_view text);

// /proc/self/mountinfo through the sysroot; nullopt when it cannot be read.
std::optional<MountTable> read_mountinfo(const Sysroot& fs,
                                         std::string_view path = "/proc/self/mountinfo");

// Decode the octal escapes of a mountinfo path field ("/a\040b" -> "/a b"). Malformed escapes
// are kept as written.
std::string unescape_mount_field(std::string_view field);

// Value of `key` in a comma-separated option list (see MountEntry::super_option).
std::optional<std::string> find_mount_option(std::string_view options, std::string_view key);

}  // namespace gpuval
