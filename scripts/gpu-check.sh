#!/usr/bin/env bash
# gpu-check.sh: everything gpuval checks on a real GPU, in ONE command of at most 8 minutes on a
# lent GPU machine (one H200, 16 cores, no network, another OS image with CUDA 13.0).
#
# THE TWO COMMANDS
#   1. Here, on the CPU machine, stage the bundle (a release build for sm_90: 8 min on 2 cores):
#        scripts/gpu-check.sh --bundle
#      -> build/gpu-bundle (ignored by git; its size is printed: 14.7 MiB on 2026-12-04, 16.9 MiB
#         with the working tree), refused when the two together exceed the device tool's 64 MiB.
#   2. There, through the device tool (nothing else to carry; 540 s leaves room for the 470 s
#      budget and the transfers):
#        run(command="scripts/gpu-check.sh", carry=["build/gpu-bundle"], timeout_s=540)
#
# The bundle (made by --bundle, or --bundle-from BUILD_DIR from an existing build tree):
#   bin/gpuval            cudart static; finds its probe modules in ../lib
#   bin/gpuval_gpu_tests  the GPU tests; its Kernels* cases are the kernel exerciser: every
#                         launch_* of kernels/*.cuh once, on small sizes, verified
#                         (tests/unit/kernel_coverage_test.cpp fails when one is left out)
#   lib/                  the probe modules and every shared library they and the binaries need,
#                         except the C library family, the C++ runtime (libstdc++, libgcc_s) and
#                         CUDA's own libraries (cuBLAS, cuDNN, ...), which come from the GPU
#                         machine: its toolkit, or the nvidia-cublas / nvidia-cudnn-cu13 wheels
#                         under python3's site-packages (found at run time, put on
#                         LD_LIBRARY_PATH)
#   deps/                 the build dependencies (--stage-deps), for the fallback build
#   MANIFEST.txt          what was built, from which sources (a digest this script compares)
#
# Steps on the GPU machine (default: all), each timed, each under its own timeout, all within
# GPU_CHECK_BUDGET seconds (470) so one hang cannot eat the call:
#   start     the bundle's `gpuval --version` and `gpuval_gpu_tests --gtest_list_tests`; when
#             either cannot start (glibc, a missing library), build there instead (`build`)
#   build     the old path: configure the release preset for sm_$GPU_CHECK_ARCH with the bundle's
#             deps/ (or GPU_CHECK_DEPS), build gpuval, probe modules and GPU tests there
#   test      gpuval_gpu_tests, every GPU test (ctest -L gpu runs the same binary), gtest XML kept
#   sanitize  compute-sanitizer memcheck, racecheck, initcheck, synccheck on the kernel exerciser
#             (--gtest_filter='Kernels*'), and memcheck on the GPU checks' own code
#   quick     gpuval run --quick --out $OUT/run-quick.json
#   full      gpuval run --full --out $OUT/run-full.json
#   table     the step summary, then (LAST) every benchmark figure of both runs: id, params,
#             median, CV, fraction of peak, the target of bench/targets.json (the table of
#             bench/README.md is generated from it) and each phase's wall time
#             (scripts/gpu_check_table.py)
#
#   scripts/gpu-check.sh [start|build|test|sanitize|quick|full|table|run|all]...  (run: quick full)
#   scripts/gpu-check.sh --bundle [DIR]                 build for sm_90 and stage DIR
#   scripts/gpu-check.sh --bundle-from BUILD_DIR [DIR]  stage DIR from an existing build tree
#   scripts/gpu-check.sh --stage-deps [DIR]             only the build dependencies
#                                                       (default build/gpudeps)
#
# Outputs in $OUT (the device tool's folder; ./out/gpu-check otherwise), at most 8 files:
# summary.txt (what is printed at the end), run-quick.json, run-full.json and logs.tar.gz
# (gpu-info, start, build, gpu-tests.log + .xml, sanitizer-*.log, run-*.log, environment).
# Exit: 0 no step failed, 1 a step failed (or the bundle is invalid), 2 a tool, file or
# dependency is missing or an argument is wrong, 77 no GPU here (GPU_CHECK_BUILD_WITHOUT_GPU=1
# runs every step anyway, the GPU steps skipping: tests/e2e/gpu_check.bats rehearses it so).
#
# Environment: GPU_CHECK_BUNDLE (build/gpu-bundle), GPU_CHECK_ARCH (90), GPU_CHECK_DEPS
# (build/gpudeps), GPU_CHECK_BUILD_DIR (build/gpu-check, the fallback build),
# GPU_CHECK_BUNDLE_BUILD_DIR (build/gpu-bundle-build), GPU_CHECK_FALLBACK (build; "fail" stops
# instead of building there), GPU_CHECK_BUDGET (470 s), per-step timeouts GPU_CHECK_TIMEOUT_BUILD
# (300), _TEST (150), _SANITIZER (75 per tool), _QUICK (60), _FULL (240), reserves kept for the
# runs GPU_CHECK_RESERVE_QUICK (35), GPU_CHECK_RESERVE_FULL (200), GPU_CHECK_CARRY_MIB (64),
# GPU_CHECK_WERROR (the release preset's: OFF), CUDNN_ROOT (for a build there).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=$ROOT/scripts/gpu-check.sh
cd "$ROOT"
ARCH=${GPU_CHECK_ARCH:-90}
BUNDLE=${GPU_CHECK_BUNDLE:-build/gpu-bundle}
DEPS=${GPU_CHECK_DEPS:-build/gpudeps}
BUILD=${GPU_CHECK_BUILD_DIR:-build/gpu-check}
BUNDLE_BUILD=${GPU_CHECK_BUNDLE_BUILD_DIR:-build/gpu-bundle-build}
FALLBACK=${GPU_CHECK_FALLBACK:-build}
BUDGET=${GPU_CHECK_BUDGET:-470}
T_BUILD=${GPU_CHECK_TIMEOUT_BUILD:-300}
T_TEST=${GPU_CHECK_TIMEOUT_TEST:-150}
T_SANITIZER=${GPU_CHECK_TIMEOUT_SANITIZER:-75}
T_QUICK=${GPU_CHECK_TIMEOUT_QUICK:-60}
T_FULL=${GPU_CHECK_TIMEOUT_FULL:-240}
R_QUICK=${GPU_CHECK_RESERVE_QUICK:-35}
R_FULL=${GPU_CHECK_RESERVE_FULL:-200}
R_END=15 # the table and the tarball
CARRY_MIB=${GPU_CHECK_CARRY_MIB:-64}
JOBS=$(nproc 2>/dev/null || echo 4)

log() { printf '[gpu-check] %s\n' "$*" >&2; }
die() { # exit-code message
  local rc=$1
  shift
  printf 'gpu-check: %s\n' "$*" >&2
  exit "$rc"
}

# Libraries a bundle never carries: the C library family and the C++ runtime (every Linux has
# them, newer on the GPU machine's image), the driver's (injected, never bundled) and CUDA's own
# (the GPU machine has CUDA 13.0 and its libraries; found at run time).
system_or_cuda_lib() { # soname
  case "$1" in
    ld-linux* | linux-vdso* | libc.so.* | libm.so.* | libmvec.so.* | libdl.so.* | libpthread.so.* | \
      librt.so.* | libresolv.so.* | libutil.so.* | libstdc++.so.* | libgcc_s.so.*) return 0 ;;
    libcuda.so* | libnvidia-* | libnvcuvid.so*) return 0 ;;
    libcublas* | libcudnn* | libcudart* | libnvrtc* | libnvJitLink* | libcufft* | libcurand* | \
      libcusolver* | libcusparse* | libnccl* | libnvToolsExt* | libz.so.*) return 0 ;;
  esac
  return 1
}

# Source digest: the files the binaries are built from, so the run there can tell when the
# carried bundle was built from other sources than the tree that travelled with it.
source_digest() {
  local files
  files=$(find CMakeLists.txt CMakePresets.json core cli bench kernels probes validate compare \
    report history tests/gpu tests/support tests/CMakeLists.txt -type f \
    \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \
    -o -name 'CMakeLists.txt' -o -name '*.cmake' -o -name 'CMakePresets.json' \) 2>/dev/null |
    LC_ALL=C sort)
  # shellcheck disable=SC2086 # one path per word: source paths have no spaces
  sha256sum $files | sha256sum | cut -c1-16
}

# --- --stage-deps: the build dependencies the GPU machine may lack ----------------------------
stage_deps() {
  local dest=$1 multiarch d
  multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  local libdir=/usr/lib/$multiarch
  mkdir -p "$dest/include" "$dest/lib/$multiarch/cmake" "$dest/share/cmake"
  for d in fmt nlohmann CLI gtest gmock benchmark; do
    [[ -d /usr/include/$d ]] || die 2 "missing /usr/include/$d: install the -dev package first"
    cp -a "/usr/include/$d" "$dest/include/"
  done
  for d in fmt GTest benchmark; do cp -a "$libdir/cmake/$d" "$dest/lib/$multiarch/cmake/"; done
  for d in nlohmann_json CLI11; do cp -a "/usr/share/cmake/$d" "$dest/share/cmake/"; done
  # SQLite (the history index): FindSQLite3 needs the header and the library.
  for d in sqlite3.h sqlite3ext.h; do
    [[ -f /usr/include/$d ]] || die 2 "missing /usr/include/$d: install libsqlite3-dev first"
    cp -a "/usr/include/$d" "$dest/include/"
  done
  cp -a "$libdir"/libfmt.so* "$libdir"/libbenchmark*.so* "$libdir"/libbenchmark_main.a \
    "$libdir"/libgtest*.a "$libdir"/libgmock*.a "$libdir"/libsqlite3.so* "$dest/lib/$multiarch/"
  log "staged build dependencies in $dest ($(du -sh "$dest" | cut -f1))"
}

# --- the bundle ---------------------------------------------------------------------------------
bytes_of_tree() { # what travels with every call: tracked + untracked-not-ignored files
  if git rev-parse --git-dir >/dev/null 2>&1; then
    git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1
  else
    du -sb --exclude=build --exclude=out . | cut -f1
  fi
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# Every library a bundled binary or module loads resolves into the bundle's lib/ or is one the
# GPU machine brings (system_or_cuda_lib); prints the offenders, returns 1 when there are any.
check_bundle_libraries() { # bundle
  local dir=$1 f line name path bad=0
  for f in "$dir"/bin/* "$dir"/lib/libgpuval_probe_*.so "$dir"/lib/gpuval-probe-worker; do
    [[ -e $f ]] || continue
    while read -r line; do
      name=$(awk '{print $1}' <<<"$line")
      path=$(awk '$2 == "=>" {print $3}' <<<"$line")
      [[ -n $path ]] || continue
      system_or_cuda_lib "$name" && continue
      if [[ $path == "not" ]]; then
        echo "$(basename "$f") needs $name, which is nowhere (not found)"
        bad=1
      elif [[ $(cd "$(dirname "$path")" && pwd -P) != $(cd "$dir/lib" && pwd -P) ]]; then
        echo "$(basename "$f") loads $name from $path, outside the bundle: the GPU machine may lack it"
        bad=1
      fi
    done < <(LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$f" 2>&1)
  done
  return "$bad"
}

stage_bundle() { # build-dir dest
  local build=$1 dest=$2 f lib name
  local gpuval=$build/cli/gpuval tests=$build/tests/gpuval_gpu_tests
  [[ -x $gpuval ]] || die 2 "$gpuval not found: build gpuval first (cmake --build $build)"
  [[ -x $tests ]] || die 2 "$tests not found: configure with tests on and build gpuval_gpu_tests"
  compgen -G "$build/lib/libgpuval_probe_*.so" >/dev/null ||
    die 2 "no probe modules in $build/lib: build gpuval (it builds them)"
  rm -rf "$dest"
  mkdir -p "$dest/bin" "$dest/lib"
  cp "$gpuval" "$tests" "$dest/bin/"
  cp "$build"/lib/libgpuval_probe_*.so "$dest/lib/"
  # The process the NCCL collectives run in, found beside the modules.
  if [[ -x $build/lib/gpuval-probe-worker ]]; then cp "$build/lib/gpuval-probe-worker" "$dest/lib/"; fi
  # Debug information is no use there and most of the size of a debug build.
  for f in "$dest"/bin/* "$dest"/lib/*.so "$dest"/lib/gpuval-probe-worker; do
    if [[ -e $f ]]; then strip --strip-debug "$f"; fi
  done
  for f in "$dest"/bin/* "$dest"/lib/libgpuval_probe_*.so "$dest"/lib/gpuval-probe-worker; do
    [[ -e $f ]] || continue
    while read -r name lib; do
      system_or_cuda_lib "$name" && continue
      if [[ ! -e $dest/lib/$name ]]; then
        cp -L "$lib" "$dest/lib/$name"
        log "bundled $name (from $lib)"
      fi
    done < <(ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
  done
  stage_deps "$dest/deps" 2>/dev/null
  {
    echo "gpuval gpu-check bundle"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -n) ($(ldd --version | head -1))"
    echo "from: $build ($(grep -E '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" | cut -d= -f2)," \
      "CUDA architectures $(grep -E '^CMAKE_CUDA_ARCHITECTURES:' "$build/CMakeCache.txt" | cut -d= -f2))"
    echo "git: $(git describe --always --dirty 2>/dev/null || echo unknown)"
    echo "source-digest: $(source_digest)"
    echo "version: $("$dest/bin/gpuval" --version 2>&1 | head -1)"
    echo "files:"
    (cd "$dest" && find bin lib -type f -printf '  %p %s\n' | LC_ALL=C sort)
  } >"$dest/MANIFEST.txt"
  verify_bundle "$dest"
}

verify_bundle() { # dest: layout, libraries, start, size
  local dest=$1 problems tree bundle total limit
  for f in bin/gpuval bin/gpuval_gpu_tests lib/libgpuval_probe_cublas.so MANIFEST.txt; do
    [[ -e $dest/$f ]] || die 1 "bundle $dest lacks $f"
  done
  [[ -e $dest/lib/libgpuval_probe_cudnn.so ]] ||
    log "no cuDNN probe module in the bundle (cuDNN not found at build time): cudnn will SKIP there"
  [[ -e $dest/lib/libgpuval_probe_nccl.so && -x $dest/lib/gpuval-probe-worker ]] ||
    log "no NCCL probe module or worker in the bundle: the nccl benchmarks will SKIP there"
  if ! problems=$(check_bundle_libraries "$dest"); then
    printf '%s\n' "$problems" >&2
    die 1 "bundle $dest is not self-contained (above)"
  fi
  if ! "$dest/bin/gpuval" --version >/dev/null 2>&1; then
    die 1 "bundle $dest: gpuval --version fails here: $("$dest/bin/gpuval" --version 2>&1 | head -3)"
  fi
  LD_LIBRARY_PATH="$dest/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    "$dest/bin/gpuval_gpu_tests" --gtest_list_tests >/dev/null 2>&1 ||
    die 1 "bundle $dest: gpuval_gpu_tests --gtest_list_tests fails here"
  bundle=$(du -sb "$dest" | cut -f1)
  tree=$(bytes_of_tree)
  total=$((bundle + tree))
  limit=$((CARRY_MIB * 1048576))
  echo "bundle $dest: $(mib "$bundle") MiB (bin $(mib "$(du -sb "$dest/bin" | cut -f1)"), lib" \
    "$(mib "$(du -sb "$dest/lib" | cut -f1)"), deps $(mib "$(du -sb "$dest/deps" | cut -f1)"));" \
    "working tree $(mib "$tree") MiB; together $(mib "$total") of $CARRY_MIB MiB"
  (cd "$dest" && find bin lib -maxdepth 1 -type f -printf '  %-40p %s\n' | LC_ALL=C sort)
  if ((total > limit)); then
    die 1 "bundle + working tree = $(mib "$total") MiB, over the device tool's $CARRY_MIB MiB"
  fi
  echo "carry it: run(command=\"scripts/gpu-check.sh\", carry=[\"$dest\"], timeout_s=540)"
}

build_release() { # build-dir prefix-path(optional) -> configure + build gpuval and GPU tests
  local build=$1 prefix=${2:-} cudnn
  local args=(--preset release -B "$build" "-DCMAKE_CUDA_ARCHITECTURES=$ARCH-real")
  # The release preset builds without -Werror (GCC 12 -O2 false positives); GPU_CHECK_WERROR=ON
  # makes warnings fatal.
  [[ -n ${GPU_CHECK_WERROR:-} ]] && args+=("-DGPUVAL_WERROR=$GPU_CHECK_WERROR")
  [[ -n $prefix ]] && args+=("-DCMAKE_PREFIX_PATH=$prefix")
  cudnn=$(find_cudnn_root || true)
  [[ -n $cudnn ]] && args+=("-DCUDNN_ROOT=$cudnn")
  cmake "${args[@]}" "${@:3}" && cmake --build "$build" -j "$JOBS" --target gpuval gpuval_gpu_tests
}

find_cudnn_root() {
  if [[ -n ${CUDNN_ROOT:-} ]]; then echo "$CUDNN_ROOT"; return; fi
  local cuda_root py dir
  cuda_root=$(dirname "$(dirname "$(command -v nvcc)")")
  if [[ -f $cuda_root/include/cudnn.h ]]; then echo "$cuda_root"; return; fi
  if [[ -f /usr/include/cudnn.h ]]; then echo /usr; return; fi
  for py in python3 /opt/torch/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    dir=$("$py" -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null) || continue
    if [[ -f $dir/include/cudnn.h ]]; then echo "$dir"; return; fi
  done
}

case ${1:-} in
  --stage-deps)
    stage_deps "${2:-$DEPS}"
    exit 0
    ;;
  --bundle)
    # shellcheck source=scripts/env.sh disable=SC1091
    source "$ROOT/scripts/env.sh"
    command -v nvcc >/dev/null 2>&1 || die 2 "nvcc not found (scripts/setup.sh says how to get it)"
    t0=$SECONDS
    mkdir -p "$(dirname "$BUNDLE_BUILD")"
    log "building the release preset for sm_$ARCH in $BUNDLE_BUILD (log: $BUNDLE_BUILD.log)"
    if ! build_release "$BUNDLE_BUILD" "" -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
      >"$BUNDLE_BUILD.log" 2>&1; then
      tail -30 "$BUNDLE_BUILD.log" >&2
      die 1 "the bundle build failed (whole log: $BUNDLE_BUILD.log)"
    fi
    log "built in $((SECONDS - t0)) s; $(grep -c 'warning:' "$BUNDLE_BUILD.log" || true) warnings"
    stage_bundle "$BUNDLE_BUILD" "${2:-$BUNDLE}"
    exit 0
    ;;
  --build) # the build-there step (its own process, so one timeout stops all of it)
    [[ -n ${2:-} ]] || die 2 "--build needs a build directory"
    build_release "$2" "${3:-}"
    exit
    ;;
  --bundle-from)
    [[ -n ${2:-} ]] || die 2 "--bundle-from needs a build directory"
    stage_bundle "$2" "${3:-$BUNDLE}"
    exit 0
    ;;
  -h | --help)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  -*) die 2 "unknown option $1 (see --help)" ;;
esac

# === On the GPU machine ==========================================================================
STEPS=("$@")
[[ ${#STEPS[@]} -eq 0 ]] && STEPS=(all)
for s in "${STEPS[@]}"; do
  case $s in all | start | build | test | sanitize | quick | full | run | table) ;;
    *) die 2 "unknown step '$s' (steps: start build test sanitize quick full table run all)" ;;
  esac
done
want() {
  local s
  for s in "${STEPS[@]}"; do
    [[ $s == "$1" ]] && return 0
    [[ $s == all && $1 != build ]] && return 0
    [[ $s == run && ($1 == quick || $1 == full) ]] && return 0
  done
  return 1
}

OUT_DIR=${OUT:-$ROOT/out/gpu-check}
LOGS=$OUT_DIR/logs
mkdir -p "$LOGS"
rm -f "$OUT_DIR"/run-quick.json "$OUT_DIR"/run-full.json "$OUT_DIR"/summary.txt \
  "$OUT_DIR"/logs.tar.gz
START=$SECONDS
DEADLINE=$((START + BUDGET))
SUMMARY=() # "step|result|seconds|note"
FAILED=0

record() { # step result seconds note
  SUMMARY+=("$1|$2|$3|$4")
  log "$1: $2 ($3 s) $4"
  if [[ $2 == FAIL ]]; then FAILED=1; fi
}

# Seconds a step may take: its cap, less what the later runs need kept for them; "" when less
# than 10 s would be left (the step is skipped, the budget being spent).
step_timeout() { # cap reserve
  local left=$((DEADLINE - SECONDS - $2))
  ((left > $1)) && left=$1
  ((left >= 10)) && echo "$left"
  return 0
}
reserve_before_runs() { echo $((R_QUICK + R_FULL + R_END)); }

# run_timed LOG TIMEOUT CMD...: runs CMD with its output in LOG, killed after TIMEOUT s (TERM,
# then KILL 10 s later); sets RC and ELAPSED.
run_timed() {
  local logfile=$1 limit=$2 t0=$SECONDS
  shift 2
  set +e
  timeout -k 10 "$limit" "$@" >>"$logfile" 2>&1
  RC=$?
  set -e
  ELAPSED=$((SECONDS - t0))
}
timed_out() { [[ $RC -eq 124 || $RC -eq 137 ]]; }

finish() {
  local line step result secs note
  {
    printf '\n%-20s %-6s %7s  %s\n' STEP RESULT SECONDS NOTE
    for line in "${SUMMARY[@]}"; do
      IFS='|' read -r step result secs note <<<"$line"
      printf '%-20s %-6s %7s  %s\n' "$step" "$result" "$secs" "$note"
    done
    printf '%-20s %-6s %7s  %s\n' total "$([[ $FAILED -eq 0 ]] && echo PASS || echo FAIL)" \
      $((SECONDS - START)) "budget ${BUDGET} s"
    if want table; then
      local docs=() d
      for d in "$OUT_DIR/run-quick.json" "$OUT_DIR/run-full.json"; do
        [[ -s $d ]] && docs+=("$d")
      done
      echo
      if [[ ${#docs[@]} -eq 0 ]]; then
        echo "no run documents: no figures to show"
      elif ! command -v python3 >/dev/null 2>&1; then
        echo "python3 not found: no figure table (the documents are in $OUT_DIR)"
      else
        python3 "$ROOT/scripts/gpu_check_table.py" --targets "$ROOT/bench/targets.json" \
          "${docs[@]}" 2>&1 || echo "the figure table failed (above)"
      fi
    fi
  } >"$OUT_DIR/summary.txt"
  (cd "$OUT_DIR" && tar -czf logs.tar.gz logs && rm -rf logs)
  cat "$OUT_DIR/summary.txt"
}

# --- is there a GPU? --------------------------------------------------------------------------
gpu_present() {
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
    return 0
  fi
  compgen -G '/dev/nvidia[0-9]*' >/dev/null
}
HAVE_GPU=1
if ! gpu_present; then
  HAVE_GPU=0
  if [[ ${GPU_CHECK_BUILD_WITHOUT_GPU:-0} != 1 ]]; then
    rm -rf "$LOGS"
    die 77 "no NVIDIA GPU on this machine (nvidia-smi -L lists none, no /dev/nvidia0): nothing" \
      "to check here. Run it on a lent GPU machine (GPU_CHECK_BUILD_WITHOUT_GPU=1 rehearses it)."
  fi
  log "no GPU, but GPU_CHECK_BUILD_WITHOUT_GPU=1: every step runs, the GPU ones skip"
  echo "no GPU (rehearsal)" >"$LOGS/gpu-info.txt"
else
  { nvidia-smi || true; nvidia-smi -q -d ECC,CLOCK,PERFORMANCE,POWER 2>/dev/null || true; } \
    >"$LOGS/gpu-info.txt" 2>&1
  log "GPU: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)"
fi
export PATH="$PATH:/usr/local/cuda/bin"

# --- CUDA's libraries on this machine: the toolkit's, or python's nvidia-* wheels ---------------
cuda_library_dirs() {
  local d py sp
  local candidates=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
  for py in python3 /opt/torch/.venv/bin/python3; do
    command -v "$py" >/dev/null 2>&1 || continue
    while read -r sp; do
      [[ -d $sp/nvidia ]] || continue
      while read -r d; do candidates+=("$d"); done < <(find "$sp/nvidia" -maxdepth 3 -type d \
        -name lib 2>/dev/null | LC_ALL=C sort)
    done < <("$py" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
  done
  for d in "${candidates[@]}"; do
    compgen -G "$d/libcublas.so.*" >/dev/null || compgen -G "$d/libcudnn.so.*" >/dev/null ||
      compgen -G "$d/libnvrtc.so.*" >/dev/null || compgen -G "$d/libnvJitLink.so.*" >/dev/null ||
      continue
    echo "$d"
  done | awk '!seen[$0]++'
}
CUDA_LIB_PATH=$(cuda_library_dirs | paste -sd: -)
{
  echo "CUDA library directories: ${CUDA_LIB_PATH:-none found}"
  echo "nvcc: $(command -v nvcc || echo none) $(nvcc --version 2>/dev/null | tail -1)"
  echo "glibc: $(ldd --version 2>/dev/null | head -1)"
  echo "python3: $(command -v python3 || echo none)"
  uname -a
} >"$LOGS/environment.txt"

GPUVAL=""
GPU_TESTS=""
LIB_PATH=""

use_binaries() { # gpuval gpuval_gpu_tests lib-dir
  GPUVAL=$1
  GPU_TESTS=$2
  LIB_PATH=$3${CUDA_LIB_PATH:+:$CUDA_LIB_PATH}
  export LD_LIBRARY_PATH="$LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# Can these binaries start here? Prints the reason when not.
binaries_start() {
  local out
  if ! out=$(timeout 30 "$GPUVAL" --version 2>&1); then
    echo "gpuval --version: $(head -2 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  echo "gpuval: $out" >>"$LOGS/start.log"
  if ! out=$(timeout 30 "$GPU_TESTS" --gtest_list_tests 2>&1); then
    echo "gpuval_gpu_tests --gtest_list_tests: $(head -2 <<<"$out" | tr '\n' ' ')"
    return 1
  fi
  echo "gpuval_gpu_tests lists $(grep -c '^  ' <<<"$out") tests" >>"$LOGS/start.log"
}

probe_libraries_note() { # lib-dir: which CUDA library each probe module resolves to
  local m note=""
  for m in "$1"/libgpuval_probe_*.so; do
    [[ -e $m ]] || continue
    local missing
    missing=$(ldd "$m" 2>/dev/null | awk '/not found/ { print $1 }' | paste -sd, -)
    note+="$(basename "$m" .so | sed 's/libgpuval_probe_//')"
    if [[ -n $missing ]]; then
      note+=" lacks $missing; "
    else
      note+=" ok; "
    fi
    ldd "$m" >>"$LOGS/start.log" 2>&1 || true
  done
  echo "${note%; }"
}

do_build() {
  local limit prefix=""
  limit=$(step_timeout "$T_BUILD" "$(reserve_before_runs)")
  if [[ -z $limit ]]; then
    record build SKIP 0 "no budget left"
    return 1
  fi
  local missing=()
  for tool in cmake nvcc c++; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    record build FAIL 0 "missing tools: ${missing[*]} (nothing is fetched from the network)"
    return 1
  fi
  if [[ -d $BUNDLE/deps ]]; then
    prefix=$(cd "$BUNDLE/deps" && pwd)
  elif [[ -d $DEPS ]]; then
    prefix=$(cd "$DEPS" && pwd)
  fi
  log "building there in $BUILD (sm_$ARCH${prefix:+, dependencies from $prefix}; ${limit} s at most)"
  run_timed "$LOGS/build.log" "$limit" "$SELF" --build "$BUILD" "$prefix"
  if [[ $RC -ne 0 ]]; then
    tail -30 "$LOGS/build.log" >&2
    record build FAIL "$ELAPSED" "$(timed_out && echo "timed out after ${limit} s" || echo "exit $RC") (see build.log)"
    return 1
  fi
  record build PASS "$ELAPSED" "sm_$ARCH; $(grep -c 'warning:' "$LOGS/build.log" || true) warnings"
  use_binaries "$BUILD/cli/gpuval" "$BUILD/tests/gpuval_gpu_tests" "$BUILD/lib"
}

# --- start (or build) ---------------------------------------------------------------------------
READY=0
if want build; then
  do_build && READY=1
elif want start || want test || want sanitize || want quick || want full; then
  t0=$SECONDS
  : >"$LOGS/start.log"
  if [[ -d $BUNDLE ]]; then
    use_binaries "$BUNDLE/bin/gpuval" "$BUNDLE/bin/gpuval_gpu_tests" "$BUNDLE/lib"
    cat "$BUNDLE/MANIFEST.txt" >>"$LOGS/start.log" 2>/dev/null || true
    if why=$(binaries_start); then
      note="carried bundle starts: $("$GPUVAL" --version 2>&1 | head -1)"
      built_from=$(awk '/^source-digest:/ { print $2 }' "$BUNDLE/MANIFEST.txt" 2>/dev/null || true)
      here=$(source_digest 2>/dev/null || echo unknown)
      result=PASS
      if [[ -n $built_from && $built_from != "$here" ]]; then
        result=WARN
        note+="; STALE: built from other sources (digest $built_from, this tree $here):"
        note+=" rerun scripts/gpu-check.sh --bundle"
      fi
      note+="; probes: $(probe_libraries_note "$BUNDLE/lib")"
      record start "$result" $((SECONDS - t0)) "$note"
      READY=1
    else
      echo "cannot start: $why" >>"$LOGS/start.log"
      if [[ $FALLBACK == fail ]]; then
        record start FAIL $((SECONDS - t0)) "carried bundle cannot start: $why (GPU_CHECK_FALLBACK=fail)"
      else
        record start WARN $((SECONDS - t0)) "carried bundle cannot start: $why; building here"
        do_build && READY=1
      fi
    fi
  else
    log "no bundle at $BUNDLE (scripts/gpu-check.sh --bundle makes it): building here"
    record start WARN 0 "no bundle at $BUNDLE: building here"
    do_build && READY=1
  fi
  if [[ $READY -eq 1 && $GPUVAL == "$BUILD"/* ]]; then
    note=$(probe_libraries_note "$BUILD/lib")
    log "probes: $note"
  fi
fi

# --- GPU tests ----------------------------------------------------------------------------------
if want test; then
  limit=$(step_timeout "$T_TEST" "$(reserve_before_runs)")
  if [[ $READY -ne 1 ]]; then
    record "gpu tests" SKIP 0 "no binaries (start/build failed)"
  elif [[ -z $limit ]]; then
    record "gpu tests" SKIP 0 "no budget left"
  else
    run_timed "$LOGS/gpu-tests.log" "$limit" "$GPU_TESTS" --gtest_output="xml:$LOGS/gpu-tests.xml"
    passed=$(grep -c '^\[       OK \]' "$LOGS/gpu-tests.log" || true)
    failed=$({ grep -Eo '^\[  FAILED  \] [A-Za-z][A-Za-z0-9_]*\.[A-Za-z0-9_]+' \
      "$LOGS/gpu-tests.log" || true; } | awk '{ print $3 }' | sort -u)
    skipped=$(grep -c '^\[  SKIPPED \]' "$LOGS/gpu-tests.log" || true)
    if [[ $RC -eq 77 ]]; then
      record "gpu tests" SKIP "$ELAPSED" "no CUDA device: exit 77"
    elif timed_out; then
      record "gpu tests" FAIL "$ELAPSED" "timed out after ${limit} s; $passed passed before"
    elif [[ $RC -eq 0 ]]; then
      record "gpu tests" PASS "$ELAPSED" "$passed passed, $skipped skipped"
    elif [[ -n $failed ]]; then
      record "gpu tests" FAIL "$ELAPSED" "exit $RC; failed: $(head -3 <<<"$failed" | paste -sd' ' -)"
    else
      record "gpu tests" FAIL "$ELAPSED" "exit $RC: $(tail -1 "$LOGS/gpu-tests.log" | cut -c1-160)"
    fi
  fi
fi

# --- compute-sanitizer ----------------------------------------------------------------------------
find_sanitizer() {
  local c
  for c in compute-sanitizer /usr/local/cuda/bin/compute-sanitizer \
    /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
  done
}
sanitize() { # tool filter extra-args...
  local tool=$1 filter=$2 limit logfile errors
  shift 2
  logfile="$LOGS/sanitizer-$tool${SAN_SUFFIX:-}.log"
  limit=$(step_timeout "$T_SANITIZER" "$(reserve_before_runs)")
  if [[ -z $limit ]]; then
    record "sanitizer $tool" SKIP 0 "$filter: no budget left"
    return
  fi
  echo "=== $SANITIZER --tool $tool $* $GPU_TESTS --gtest_filter=$filter" >"$logfile"
  run_timed "$logfile" "$limit" "$SANITIZER" --tool "$tool" --error-exitcode 99 --print-limit 50 \
    "$@" "$GPU_TESTS" --gtest_filter="$filter"
  errors=$(grep -Eo 'ERROR SUMMARY: [0-9]+ errors?' "$logfile" | tail -1 || true)
  local ran
  ran=$(grep -c '^\[       OK \]' "$logfile" || true)
  if timed_out; then
    record "sanitizer $tool" FAIL "$ELAPSED" "$filter: timed out after ${limit} s"
  elif [[ $RC -eq 0 ]]; then
    record "sanitizer $tool" PASS "$ELAPSED" "$filter: $ran tests, ${errors:-ERROR SUMMARY: 0 errors}"
  elif [[ $RC -eq 99 ]]; then
    record "sanitizer $tool" FAIL "$ELAPSED" "$filter: ${errors:-errors} (see $(basename "$logfile"))"
  else
    record "sanitizer $tool" FAIL "$ELAPSED" "$filter: exit $RC, a test failed (see $(basename "$logfile"))"
  fi
}
if want sanitize; then
  SANITIZER=$(find_sanitizer || true)
  if [[ $READY -ne 1 ]]; then
    record sanitizer SKIP 0 "no binaries (start/build failed)"
  elif [[ $HAVE_GPU -eq 0 ]]; then
    record sanitizer SKIP 0 "no GPU${SANITIZER:+ ($SANITIZER found)}"
  elif [[ -z $SANITIZER ]]; then
    record sanitizer FAIL 0 "compute-sanitizer not found"
  else
    # Every kernel launcher of kernels/, on small sizes (the kernel exerciser).
    sanitize memcheck 'Kernels*' --leak-check full
    sanitize racecheck 'Kernels*' --racecheck-report all
    sanitize initcheck 'Kernels*'
    sanitize synccheck 'Kernels*'
    # The checks' own host code around their kernels (not cuBLAS/cuDNN internals).
    SAN_SUFFIX=-checks sanitize memcheck \
      'GpuChecks.CudaCompute*:GpuChecks.PtxJit*:GpuChecks.MemoryPattern*'
  fi
fi

# --- gpuval run --quick, then --full --------------------------------------------------------------
run_profile() { # quick|full cap reserve
  local profile=$1 limit doc=$OUT_DIR/run-$1.json note
  limit=$(step_timeout "$2" "$3")
  if [[ $READY -ne 1 ]]; then
    record "run --$profile" SKIP 0 "no binaries (start/build failed)"
    return
  elif [[ -z $limit ]]; then
    record "run --$profile" SKIP 0 "no budget left"
    return
  fi
  run_timed "$LOGS/run-$profile.log" "$limit" "$GPUVAL" run "--$profile" --no-color --out "$doc"
  note="exit $RC"
  if [[ -s $doc ]] && command -v python3 >/dev/null 2>&1; then
    note+="; "$(python3 - "$doc" <<'EOF' 2>/dev/null || true
import json, sys
doc = json.load(open(sys.argv[1]))
by_id = {c["id"]: c["status"] for c in doc.get("checks", [])}
ids = ["cuda-compute", "ptx-jit", "cublas", "cudnn", "memory-pattern"]
counts = {}
for b in doc.get("benchmarks", []):
    counts[b.get("status", "?")] = counts.get(b.get("status", "?"), 0) + 1
bench = " ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"
print(" ".join(f"{i}={by_id.get(i, '?')}" for i in ids), "verdict=" + doc["verdict"]["status"],
      f"benchmarks: {bench}; {doc['run'].get('duration_s', 0):.1f} s")
EOF
    )
  fi
  case $RC in
    0) record "run --$profile" PASS "$ELAPSED" "$note" ;;
    3) if [[ $HAVE_GPU -eq 0 ]]; then
         record "run --$profile" SKIP "$ELAPSED" "$note (no GPU)"
       else
         record "run --$profile" FAIL "$ELAPSED" "$note (no usable GPU on a GPU machine)"
       fi ;;
    124 | 137) record "run --$profile" FAIL "$ELAPSED" "timed out after ${limit} s (see run-$profile.log)" ;;
    *) record "run --$profile" FAIL "$ELAPSED" "$note (see run-$profile.log)" ;;
  esac
  grep -E '^(PASS|WARN|FAIL|SKIP) +(cuda-compute|ptx-jit|cublas|cudnn|memory-pattern) ' \
    "$LOGS/run-$profile.log" >&2 || true
}
want quick && run_profile quick "$T_QUICK" $((R_FULL + R_END))
want full && run_profile full "$T_FULL" "$R_END"

finish
exit "$FAILED"
