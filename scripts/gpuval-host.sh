#!/usr/bin/env bash
# gpuval host-side driver: run the SAME gpuval binaries on bare metal and inside the container image,
# store both run documents side by side, and compare them.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: gpuval-host.sh [options] [-- extra gpuval run arguments]

Runs gpuval on this host twice with identical binaries: on bare metal (binaries copied out of the
image) and inside the image under Podman (or Docker), then `gpuval compare baremetal container`.

Options:
  --image NAME        image to test (default: gpuval:latest)
  --engine NAME       podman (default) or docker
  --gpu-flags MODE    how the container gets the GPUs: cdi (--device nvidia.com/gpu=all),
                      gpus (--gpus all), both (two container runs), or auto (default: cdi when a
                      CDI spec for nvidia.com/gpu exists, else gpus)
  --results DIR       results root (default: ./results/runs); each invocation writes
                      DIR/<host>/<date>_driver-<version>/{host-facts,baremetal,<engine>-<mode>}.json
  --full | --quick    benchmark profile passed to `gpuval run` (default: --quick)
  --skip-baremetal    only the container run(s)
  --skip-container    only the bare-metal run
  --keep-prefix DIR   copy the image's /opt/gpuval to DIR and keep it there (also with
                      --skip-baremetal): the nightly wrapper runs `gpuval history` from it
  -h, --help          this text

Exit codes: 0 both runs passed and the container is not slower than bare metal;
1 a check failed or the container regressed against bare metal; 2 usage error or a missing
prerequisite (engine, image); 3 no usable GPU on this host (both runs say why).
USAGE
}

die() { echo "gpuval-host: $*" >&2; exit 2; }
log() { echo "gpuval-host: $*" >&2; }

image="gpuval:latest"
engine="podman"
gpu_flags="auto"
results_root="./results/runs"
profile="--quick"
do_bare=1
do_container=1
keep_prefix=""
extra=()

while [ $# -gt 0 ]; do
  case "$1" in
    --image) [ $# -ge 2 ] || die "--image needs a value"; image="$2"; shift 2 ;;
    --engine) [ $# -ge 2 ] || die "--engine needs a value"; engine="$2"; shift 2 ;;
    --gpu-flags) [ $# -ge 2 ] || die "--gpu-flags needs a value"; gpu_flags="$2"; shift 2 ;;
    --results) [ $# -ge 2 ] || die "--results needs a value"; results_root="$2"; shift 2 ;;
    --full) profile="--full"; shift ;;
    --quick) profile="--quick"; shift ;;
    --skip-baremetal) do_bare=0; shift ;;
    --skip-container) do_container=0; shift ;;
    --keep-prefix) [ $# -ge 2 ] || die "--keep-prefix needs a value"; keep_prefix="$2"; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

case "$engine" in podman | docker) ;; *) die "--engine must be podman or docker, not '$engine'" ;; esac
case "$gpu_flags" in auto | cdi | gpus | both) ;; *) die "--gpu-flags must be auto, cdi, gpus or both" ;; esac
[ "$do_bare" = 1 ] || [ "$do_container" = 1 ] || die "--skip-baremetal and --skip-container leave nothing to run"

command -v "$engine" >/dev/null || die "$engine not found: install it (apt-get install $engine) or pick --engine"
"$engine" image exists "$image" 2>/dev/null || "$engine" image inspect "$image" >/dev/null 2>&1 ||
  die "image $image not found in $engine: build it (scripts/image/build.sh) or pull it, or pass --image"

# ---- host facts ------------------------------------------------------------------------------
driver="none"
if [ -r /proc/driver/nvidia/version ]; then
  driver="$(sed -n 's/.*Kernel Module[^0-9]*\([0-9][0-9.]*\).*/\1/p' /proc/driver/nvidia/version | head -n1)"
  [ -n "$driver" ] || driver="unknown"
fi
gpu_present=0
if compgen -G '/dev/nvidia[0-9]*' >/dev/null && [ "$driver" != "none" ]; then gpu_present=1; fi
if [ "$gpu_present" = 0 ]; then
  log "no NVIDIA GPU on this host (no /dev/nvidia[0-9]* or no driver in /proc/driver/nvidia): the runs will report no usable GPU"
fi

cdi_specs=()
for d in /etc/cdi /var/run/cdi; do
  for f in "$d"/*.yaml "$d"/*.json; do [ -e "$f" ] && cdi_specs+=("$f"); done
done
has_gpu_cdi=0
for f in "${cdi_specs[@]+"${cdi_specs[@]}"}"; do
  grep -Eq 'kind:[[:space:]]*"?nvidia.com/gpu|"kind":[[:space:]]*"nvidia.com/gpu' "$f" && has_gpu_cdi=1
done
if [ "$gpu_flags" = auto ]; then
  if [ "$has_gpu_cdi" = 1 ]; then gpu_flags=cdi; else gpu_flags=gpus; fi
fi

host="$(hostname -s 2>/dev/null || hostname)"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
run_dir="$results_root/$host/${stamp}_driver-${driver}"
# Unique even when two invocations start in the same second.
if [ -e "$run_dir" ]; then run_dir="${run_dir}_$$"; fi
mkdir -p "$run_dir"
log "results: $run_dir"

json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
first_line() { "$@" 2>/dev/null | head -n1 || true; }

write_atomically() {  # write_atomically FILE < content
  local tmp
  tmp="$(mktemp "$1.tmp.XXXXXX")"
  cat >"$tmp"
  mv -f "$tmp" "$1"
}

{
  echo "{"
  echo "  \"schema\": \"gpuval.host-facts/1\","
  echo "  \"host\": $(json_str "$host"),"
  echo "  \"date\": $(json_str "$stamp"),"
  echo "  \"driver\": $(json_str "$driver"),"
  echo "  \"nvidia_smi\": $(json_str "$(first_line nvidia-smi --query-gpu=name,driver_version,pci.bus_id --format=csv,noheader)"),"
  echo "  \"nvcc\": $(json_str "$(nvcc --version 2>/dev/null | tail -n1 || true)"),"
  echo "  \"engine\": $(json_str "$engine"),"
  echo "  \"engine_version\": $(json_str "$(first_line "$engine" --version)"),"
  echo "  \"image\": $(json_str "$image"),"
  echo "  \"image_id\": $(json_str "$(first_line "$engine" image inspect --format '{{.Id}}' "$image")"),"
  echo "  \"nvidia_ctk\": $(json_str "$(first_line nvidia-ctk --version)"),"
  echo "  \"cdi_specs\": $(json_str "${cdi_specs[*]+"${cdi_specs[*]}"}"),"
  echo "  \"hook_config\": $(json_str "$( [ -r /etc/nvidia-container-runtime/config.toml ] && echo /etc/nvidia-container-runtime/config.toml || echo none)"),"
  echo "  \"selinux\": $(json_str "$(first_line getenforce || echo unknown)"),"
  echo "  \"gpu_flags\": $(json_str "$gpu_flags")"
  echo "}"
} | write_atomically "$run_dir/host-facts.json"

worst=0
note_rc() {  # keep the most severe exit code: 2 > 1 > 3 > 0 (a failure outranks "no GPU")
  local rc=$1
  case "$rc" in
    0) ;;
    2) worst=2 ;;
    1) [ "$worst" = 2 ] || worst=1 ;;
    3) [ "$worst" != 0 ] || worst=3 ;;
    *) worst=2 ;;
  esac
}

# ---- bare metal: the image's own binaries, copied out ---------------------------------------
bare_doc=""
if [ "$do_bare" = 1 ] || [ -n "$keep_prefix" ]; then
  if [ -n "$keep_prefix" ]; then
    prefix="$keep_prefix"
    mkdir -p "$prefix"
  else
    prefix="$(mktemp -d)"
    trap 'rm -rf "$prefix"' EXIT
  fi
  cid="$("$engine" create "$image")"
  "$engine" cp "$cid:/opt/gpuval/." "$prefix/" >/dev/null
  "$engine" rm "$cid" >/dev/null
  [ -x "$prefix/bin/gpuval" ] || die "image $image has no /opt/gpuval/bin/gpuval"
fi
if [ "$do_bare" = 1 ]; then
  # The prefix carries every library but the C library and the driver: a host whose glibc is older
  # than the image's cannot start it. Say so instead of reporting a failed run.
  if ! why="$("$prefix/bin/gpuval" --version 2>&1)"; then
    die "the image's gpuval does not start on this host: ${why%%$'\n'*}
  (the image's glibc is newer than this host's: build an image on an older base, e.g.
  GPUVAL_BASE_OS=ubuntu22.04 scripts/image/build.sh, or run with --skip-baremetal)"
  fi
  bare_doc="$run_dir/baremetal.json"
  log "bare metal: $prefix/bin/gpuval run $profile"
  set +e
  "$prefix/bin/gpuval" run "$profile" --out "$bare_doc" --no-color "${extra[@]+"${extra[@]}"}"
  rc=$?
  set -e
  note_rc "$rc"
  [ -s "$bare_doc" ] || die "bare-metal run wrote no document (exit $rc)"
fi

# ---- container -------------------------------------------------------------------------------
container_docs=()
run_container() {  # run_container MODE FLAGS...
  local mode=$1
  shift
  local doc="$run_dir/$engine-$mode.json" rc
  log "container ($mode): $engine run $* $image run $profile"
  set +e
  # GPUVAL_NODE_NAME: the document names this host, not the container's random hostname, so
  # the nightly history files both runs under one host (the container's goes to container_hostname).
  "$engine" run --rm -e GPUVAL_NODE_NAME="$(hostname)" "$@" "$image" run "$profile" --json \
    "${extra[@]+"${extra[@]}"}" >"$doc.tmp"
  rc=$?
  set -e
  note_rc "$rc"
  if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$doc.tmp" 2>/dev/null; then
    mv -f "$doc.tmp" "$doc"
    container_docs+=("$doc")
  else
    rm -f "$doc.tmp"
    log "container ($mode) produced no run document (exit $rc)"
    worst=2
  fi
}
if [ "$do_container" = 1 ]; then
  case "$gpu_flags" in
    cdi) run_container cdi --device nvidia.com/gpu=all ;;
    gpus) run_container gpus --gpus all ;;
    both)
      run_container cdi --device nvidia.com/gpu=all
      run_container gpus --gpus all
      ;;
  esac
fi

# ---- compare ---------------------------------------------------------------------------------
if [ -n "$bare_doc" ] && [ "${#container_docs[@]}" -gt 0 ]; then
  for doc in "${container_docs[@]}"; do
    base="$(basename "$doc" .json)"
    set +e
    "$prefix/bin/gpuval" compare "$bare_doc" "$doc" --md >"$run_dir/compare-$base.md.tmp"
    rc=$?
    set -e
    mv -f "$run_dir/compare-$base.md.tmp" "$run_dir/compare-$base.md"
    cat "$run_dir/compare-$base.md"
    # compare: 1 = the container is worse than bare metal; 2 = it could not read a document.
    if [ "$rc" = 1 ] || [ "$rc" = 2 ]; then note_rc "$rc"; fi
  done
fi

# Without a GPU on the host, that is the finding (both documents and the comparison say why);
# check differences between two GPU-less runs are not a container regression.
if [ "$gpu_present" = 0 ] && [ "$worst" != 2 ]; then worst=3; fi
log "done: $run_dir (exit $worst)"
exit "$worst"
