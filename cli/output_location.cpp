#include "cli/output_location.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <system_error>

namespace gpuval {
namespace {

// "/results" holds "/results" and "/results/a.json", not "/results2"; "/" holds every path.
bool holds(std::string_view mount_point, std::string_view path) {
  if (mount_point == "/") return !path.empty() && path.front() == '/';
  if (path.substr(0, mount_point.size()) != mount_point) return false;
  return path.size() == mount_point.size() || path[mount_point.size()] == '/';
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The volume name in ".../volumes/<name>/_data" (Podman: /var/lib/containers/storage/volumes,
// rootless ~/.local/share/containers/storage/volumes; Docker: /var/lib/docker/volumes), or "".
std::string volume_name(const std::string& root) {
  static const std::regex re(R"((^|/)volumes/([^/]+)/_data(/|$))");
  std::smatch m;
  return std::regex_search(root, m, re) ? m[2].str() : "";
}

std::string parent_dir(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

}  // namespace

OutputLocation classify_output_location(const MountTable& mounts, std::string_view path) {
  const MountEntry* best = nullptr;
  for (const MountEntry& e : mounts.entries) {
    if (!holds(e.mount_point, path)) continue;
    // A later mount at the same point covers an earlier one.
    if (best == nullptr || e.mount_point.size() >= best->mount_point.size()) best = &e;
  }
  OutputLocation out;
  if (best == nullptr) return out;
  out.mount_point = best->mount_point;
  if (best->mount_point == "/") {
    out.place = OutputPlace::ContainerFilesystem;
    return out;
  }
  if (std::string name = volume_name(best->root); !name.empty()) {
    out.place = is_hex64(name) ? OutputPlace::AnonymousVolume : OutputPlace::NamedVolume;
    out.source = std::move(name);
    return out;
  }
  // --tmpfs mounts a fresh tmpfs (root "/"); a bind mount of a directory on a host tmpfs has that
  // directory as its root.
  if (best->fs_type == "tmpfs" && best->root == "/") {
    out.place = OutputPlace::Tmpfs;
    return out;
  }
  out.place = OutputPlace::BindMount;
  out.source = best->root;
  return out;
}

std::string unkept_output_note(const OutputLocation& where, std::string_view path,
                               std::string_view results_dir, unsigned uid) {
  std::string why;
  const std::string dir =
      where.mount_point.empty() || where.mount_point == "/" ? parent_dir(path) : where.mount_point;
  switch (where.place) {
    case OutputPlace::BindMount:
    case OutputPlace::NamedVolume:
    case OutputPlace::Unknown:
      return "";
    case OutputPlace::AnonymousVolume:
      why = dir + " is an anonymous volume (the engine made it for the image's VOLUME, named " +
            where.source.substr(0, 12) +
            "...): nobody will find the file there, and --rm deletes the volume with the "
            "container";
      break;
    case OutputPlace::Tmpfs:
      why = dir + " is a tmpfs inside the container: the file goes when the container stops";
      break;
    case OutputPlace::ContainerFilesystem:
      if (!holds(results_dir, path)) return "";
      why = dir +
            " is not a mounted volume: the file is in the container's own filesystem and goes "
            "with the container";
      break;
  }
  const std::string dir_name =
      where.place == OutputPlace::ContainerFilesystem ? std::string(results_dir) : dir;
  return "note: the run document was written but NOT kept: " + why +
         ".\n  To keep it, mount a host directory writable by uid " + std::to_string(uid) +
         ": -v ./results:" + dir_name + ":Z (or a named volume, -v gpuval-results:" + dir_name +
         "), or print it on stdout with --json.\n";
}

std::string unkept_output_note(const Sysroot& fs, const Env& env, bool in_container,
                               std::string_view path) {
  if (!in_container || path.empty()) return "";
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(path), ec);
  if (ec) return "";
  std::filesystem::path resolved = std::filesystem::weakly_canonical(absolute, ec);
  if (ec) resolved = absolute.lexically_normal();
  const std::optional<MountTable> mounts = read_mountinfo(fs);
  if (!mounts) return "";
  const std::optional<std::string> configured = env.get("GPUVAL_RESULTS_DIR");
  std::string results_dir =
      configured && !configured->empty() ? *configured : std::string(kDefaultResultsDir);
  while (results_dir.size() > 1 && results_dir.back() == '/') results_dir.pop_back();
  const std::string p = resolved.string();
  return unkept_output_note(classify_output_location(*mounts, p), p, results_dir,
                            static_cast<unsigned>(::getuid()));
}

}  // namespace gpuval
