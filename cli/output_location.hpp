// Is a file gpuval writes inside a container kept where the user can find it? The mount that
// holds the path (/proc/self/mountinfo) says:
//   bind mount       root = the directory's path on the host filesystem   -> kept, on the host
//   named volume     root = .../volumes/<name>/_data (Podman and Docker)   -> kept, in the volume
//   anonymous volume root = .../volumes/<64 hex chars>/_data: the engine made it for the image's
//                    VOLUME /results; nobody knows its name, `--rm` deletes it -> not kept
//   tmpfs            fs type tmpfs, root "/" (--tmpfs): gone when the container stops -> not kept
//   no mount         only "/" holds the path: the container's own filesystem. Said only for the
//                    image's results directory ($GPUVAL_RESULTS_DIR, default /results, the one
//                    the entrypoint writes to): its VOLUME was ignored (--image-volume=ignore, a
//                    pod without a volume there). Elsewhere (a file in a long-lived development
//                    container) the file stays as long as the container does: nothing is said.
// The entrypoint writes /results/... whether or not /results is mounted, so gpuval says when the
// document it just wrote will not be found, and how to keep it (it is still written).
#pragma once

#include <string>
#include <string_view>

#include "core/environment.hpp"
#include "core/sysroot.hpp"
#include "validate/parsers/mountinfo.hpp"

namespace gpuval {

enum class OutputPlace {
  BindMount,
  NamedVolume,
  AnonymousVolume,
  Tmpfs,
  ContainerFilesystem,
  Unknown,  // no mount holds the path (mountinfo unreadable or empty)
};

struct OutputLocation {
  OutputPlace place = OutputPlace::Unknown;
  std::string mount_point;  // the mount holding the path ("/" for the container's own filesystem)
  std::string source;       // bind mount: the root (host-side path); volume: its name
};

// The mount that holds `path` (an absolute, normalised path): the longest mount point that is
// the path or one of its parents, the last one mounted there; classified as above. Pure.
OutputLocation classify_output_location(const MountTable& mounts, std::string_view path);

// The image's results directory: $GPUVAL_RESULTS_DIR, else /results (containers/entrypoint.sh).
inline constexpr std::string_view kDefaultResultsDir = "/results";

// "" when a document at `path` is kept (bind mount, named volume, unknown, or the container's
// own filesystem outside `results_dir`); otherwise a note, ending in a newline, that says it was
// written but not kept and how to keep it (a host directory writable by `uid` mounted with -v,
// or --json). Pure.
std::string unkept_output_note(const OutputLocation& where, std::string_view path,
                               std::string_view results_dir, unsigned uid);

// For gpuval in a container: resolves `path` against the current directory, reads
// /proc/self/mountinfo through `fs` and returns the note above; "" outside a container
// (in_container false) or when mountinfo cannot be read.
std::string unkept_output_note(const Sysroot& fs, const Env& env, bool in_container,
                               std::string_view path);

}  // namespace gpuval
