#!/usr/bin/env bats
# Rehearsal of scripts/gpu-check.sh on a machine without a GPU (GPU_CHECK_BUILD_WITHOUT_GPU=1).
# Kept cheap for CI (2 cores, no GPU): the bundle is staged from the ci build that CTest already
# made (--bundle-from; the sm_90 release build of --bundle is the same cmake with another preset,
# built once by hand before a GPU call), then the whole script runs over it with the GPU steps
# skipping, and the figure table is checked on a recorded-shape fixture (tests/fixtures/gpu-check).
# GPUVAL, GPUVAL_SOURCE_DIR and GPUVAL_BUILD_DIR come from CTest.

setup_file() {
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}" "${GPUVAL_BUILD_DIR:?set GPUVAL_BUILD_DIR}"
  export BUNDLE="$BATS_FILE_TMPDIR/bundle"
  export STAGE_LOG="$BATS_FILE_TMPDIR/stage.log"
  export STAGE_STATUS="$BATS_FILE_TMPDIR/stage.status"
  local t0=$SECONDS
  set +e
  "$GPUVAL_SOURCE_DIR/scripts/gpu-check.sh" --bundle-from "$GPUVAL_BUILD_DIR" "$BUNDLE" \
    >"$STAGE_LOG" 2>&1
  echo "$?" >"$STAGE_STATUS"
  set -e
  echo "$((SECONDS - t0))" >"$BATS_FILE_TMPDIR/stage.seconds"
}

setup() {
  SCRIPT="$GPUVAL_SOURCE_DIR/scripts/gpu-check.sh"
  TABLE="python3 $GPUVAL_SOURCE_DIR/scripts/gpu_check_table.py"
  FIXTURE="$GPUVAL_SOURCE_DIR/tests/fixtures/gpu-check/run-full-h100.json"
  TARGETS="$GPUVAL_SOURCE_DIR/bench/targets.json"
  TMP="$(mktemp -d)"
}

teardown() { rm -rf "$TMP"; }

py() { python3 -c "$@"; }

stage_ok() {
  [ "$(cat "$STAGE_STATUS")" -eq 0 ] || {
    cat "$STAGE_LOG"
    echo "staging the bundle failed (exit $(cat "$STAGE_STATUS"))"
    return 1
  }
}

@test "the bundle is staged from the ci build: layout, manifest, and it fits the 64 MiB carry" {
  stage_ok
  for f in bin/gpuval bin/gpuval_gpu_tests lib/libgpuval_probe_cublas.so MANIFEST.txt deps/include/fmt; do
    [ -e "$BUNDLE/$f" ] || { echo "missing $f"; find "$BUNDLE" | head -40; return 1; }
  done
  bundle=$(du -sb "$BUNDLE" | cut -f1)
  tree=$(cd "$GPUVAL_SOURCE_DIR" && git ls-files -z -co --exclude-standard |
    du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
  echo "bundle $bundle B + tree $tree B" >&3
  [ $((bundle + tree)) -le $((64 * 1048576)) ]
  grep -q "working tree" "$STAGE_LOG"          # the size is reported
  grep -q 'carry=\["' "$STAGE_LOG"             # with the call to make
  grep -q '^source-digest: [0-9a-f]\{16\}$' "$BUNDLE/MANIFEST.txt"
  # The manifest lists every file with its size.
  while read -r path size; do
    [ "$(stat -c %s "$BUNDLE/$path")" -eq "$size" ] || { echo "$path: size differs"; return 1; }
  done < <(sed -n 's/^  \(bin\/[^ ]*\|lib\/[^ ]*\) \([0-9]*\)$/\1 \2/p' "$BUNDLE/MANIFEST.txt")
}

@test "the bundled binaries start and need nothing outside the bundle but the C/C++ runtime and CUDA" {
  stage_ok
  run "$BUNDLE/bin/gpuval" --version
  [ "$status" -eq 0 ]
  [ "$output" = "$("$GPUVAL" --version)" ]
  run "$BUNDLE/bin/gpuval_gpu_tests" --gtest_list_tests
  [ "$status" -eq 0 ]
  # The kernel exerciser is there: as many Kernels cases as the source defines.
  listed=$(awk '/^Kernels\./ { on = 1; next } /^[^ ]/ { on = 0 } on' <<<"$output" | wc -l)
  defined=$(grep -c '^TEST(Kernels, ' "$GPUVAL_SOURCE_DIR/tests/gpu/kernels_test.cpp")
  [ "$listed" -eq "$defined" ] && [ "$defined" -gt 0 ]
  # Every library the ci gpuval loads from a non-system, non-CUDA place is carried, and the
  # bundle's copy is the one found.
  while read -r name path; do
    case "$name" in
      libc.so.* | libm.so.* | libstdc++.so.* | libgcc_s.so.* | ld-linux* | libcu* | libnv*) continue ;;
    esac
    [ -e "$BUNDLE/lib/$name" ] || { echo "$name ($path) is not in the bundle"; return 1; }
    found=$(LD_LIBRARY_PATH="$BUNDLE/lib" ldd "$BUNDLE/bin/gpuval" | awk -v n="$name" '$1 == n { print $3 }')
    [ "$(readlink -f "$found")" = "$(readlink -f "$BUNDLE/lib/$name")" ] ||
      { echo "$name resolves to $found, not the bundle's"; return 1; }
  done < <(ldd "$GPUVAL" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
  # libfmt at least: gpuval links it (the GPU machine's image has none).
  ls "$BUNDLE"/lib/libfmt.so.* >/dev/null
}

@test "a bundle that cannot start is detected (gpuval --version), and GPU_CHECK_FALLBACK=fail says why" {
  stage_ok
  cp -a "$BUNDLE" "$TMP/broken"
  # What a glibc or library mismatch looks like: the loader refuses the binary.
  printf '#!/bin/sh\necho "gpuval: /lib/x86_64-linux-gnu/libc.so.6: version GLIBC_2.99 not found" >&2\nexit 127\n' \
    >"$TMP/broken/bin/gpuval"
  OUT="$TMP/out" GPU_CHECK_BUNDLE="$TMP/broken" GPU_CHECK_BUILD_WITHOUT_GPU=1 \
    GPU_CHECK_FALLBACK=fail run "$SCRIPT" start
  [ "$status" -eq 1 ]
  grep -q 'start .*FAIL .*carried bundle cannot start: gpuval --version: .*GLIBC_2.99 not found' <<<"$output"
}

@test "a bundle that cannot start falls back to building there, with the bundle's deps, and runs what it built" {
  stage_ok
  cp -a "$BUNDLE" "$TMP/broken"
  printf '#!/bin/sh\necho "error while loading shared libraries: libfmt.so.9" >&2\nexit 127\n' \
    >"$TMP/broken/bin/gpuval"
  # A stand-in cmake: records how it is called, and "builds" by laying out the ci build's binaries
  # as a build tree has them (the real sm_90 build takes 7 minutes on 2 cores; see --bundle).
  mkdir -p "$TMP/stub"
  cat >"$TMP/stub/cmake" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/cmake.log"
if [ "\$1" = --build ]; then
  mkdir -p "\$2/cli" "\$2/tests" "\$2/lib"
  cp "$GPUVAL_BUILD_DIR/cli/gpuval" "\$2/cli/"
  cp "$GPUVAL_BUILD_DIR/tests/gpuval_gpu_tests" "\$2/tests/"
  cp "$GPUVAL_BUILD_DIR"/lib/libgpuval_probe_*.so "\$2/lib/"
fi
EOF
  chmod +x "$TMP/stub/cmake"
  PATH="$TMP/stub:$PATH" OUT="$TMP/out" GPU_CHECK_BUNDLE="$TMP/broken" \
    GPU_CHECK_BUILD_DIR="$TMP/build-there" GPU_CHECK_BUILD_WITHOUT_GPU=1 run "$SCRIPT" start test quick
  echo "$output"
  [ "$status" -eq 0 ]
  grep -Eq '^start +WARN .*cannot start: gpuval --version: error while loading shared libraries.*building here' <<<"$output"
  grep -Eq '^build +PASS .*sm_90' <<<"$output"
  grep -Eq '^gpu tests +SKIP .*exit 77' <<<"$output"  # the test binary it built ran
  grep -Eq '^run --quick +SKIP .*exit 3' <<<"$output" # the gpuval it built ran
  grep -q -- "--preset release -B $TMP/build-there -DCMAKE_CUDA_ARCHITECTURES=90-real" "$TMP/cmake.log"
  grep -q -- "-DCMAKE_PREFIX_PATH=$(cd "$TMP/broken/deps" && pwd)" "$TMP/cmake.log"
  grep -q -- "--build $TMP/build-there .*--target gpuval gpuval_gpu_tests" "$TMP/cmake.log"
  [ -s "$TMP/out/run-quick.json" ]
}

@test "the whole check rehearses here: every step runs, GPU steps skip, outputs fit the device tool" {
  stage_ok
  t0=$SECONDS
  OUT="$TMP/out" GPU_CHECK_BUNDLE="$BUNDLE" GPU_CHECK_BUILD_WITHOUT_GPU=1 run "$SCRIPT"
  elapsed=$((SECONDS - t0))
  echo "rehearsal: $elapsed s (staging: $(cat "$BATS_FILE_TMPDIR/stage.seconds") s)" >&3
  echo "$output"
  [ "$status" -eq 0 ]
  # shellcheck disable=SC2016 # the script's own text, ${...} included
  budget=$(sed -n 's/^BUDGET=\${GPU_CHECK_BUDGET:-\([0-9]*\)}$/\1/p' "$SCRIPT")
  [ -n "$budget" ] && [ "$elapsed" -lt "$budget" ]
  # Each step in the summary, with its result.
  grep -Eq '^start +PASS .*carried bundle starts' <<<"$output"
  grep -Eq '^gpu tests +SKIP .*exit 77' <<<"$output"
  grep -Eq '^sanitizer +SKIP .*no GPU' <<<"$output"
  grep -Eq '^run --quick +SKIP .*exit 3' <<<"$output"
  grep -Eq '^run --full +SKIP .*exit 3' <<<"$output"
  grep -Eq '^total +PASS' <<<"$output"
  # At most 8 files come back, none deeper than 2 folders, names in [A-Za-z0-9._-].
  [ "$(find "$TMP/out" -type f | wc -l)" -le 8 ]
  [ -z "$(find "$TMP/out" -mindepth 3 -type f)" ]
  [ -z "$(find "$TMP/out" -type f -name '*[^A-Za-z0-9._-]*')" ]
  for f in summary.txt run-quick.json run-full.json logs.tar.gz; do [ -s "$TMP/out/$f" ]; done
  tar -tzf "$TMP/out/logs.tar.gz" >"$TMP/logs.txt"
  for f in logs/start.log logs/gpu-tests.log logs/run-quick.log logs/run-full.log logs/environment.txt logs/gpu-info.txt; do
    grep -qx "$f" "$TMP/logs.txt" || { echo "logs.tar.gz lacks $f"; cat "$TMP/logs.txt"; return 1; }
  done
  # The documents are the real runs of the profiles asked for, and valid.
  for p in quick full; do
    python3 "$GPUVAL_SOURCE_DIR/scripts/validate_run_document.py" "$TMP/out/run-$p.json"
    [ "$(py 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["profile"])' "$TMP/out/run-$p.json")" = "$p" ]
  done
  # Without a GPU nothing is measured: a figure with a target is "n/a", one without "-".
  $TABLE --tsv "$TMP/out/run-full.json" >"$TMP/full.tsv"
  py '
import csv, json, sys
targets = {t["id"] for t in json.load(open(sys.argv[1]))["targets"]}
rows = list(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
assert rows and all(r["verdict"] == ("n/a" if r["id"] in targets else "-") for r in rows), rows
assert any(r["verdict"] == "n/a" for r in rows)' "$TARGETS" "$TMP/full.tsv"
  # The figure table is printed last: a section per run document, the full one at the end.
  last_header=$(grep -n '^== ' <<<"$output" | tail -1)
  [[ "$last_header" == *"run-full.json: run --full"* ]]
  summary_line=$(grep -n '^STEP ' <<<"$output" | cut -d: -f1)
  [ "${last_header%%:*}" -gt "$summary_line" ]
  # summary.txt is what was printed at the end.
  diff <(cat "$TMP/out/summary.txt") <(tail -n "$(wc -l <"$TMP/out/summary.txt")" <<<"$output")
}

@test "the figure table: one row per benchmark of the fixture, with its median, CV, fraction and target verdict" {
  run $TABLE --tsv "$FIXTURE"
  [ "$status" -eq 0 ]
  echo "$output" >"$TMP/table.tsv"
  # Expectations from the fixture and the targets file, independently of the script.
  py '
import csv, json, sys
doc = json.load(open(sys.argv[1]))
targets = {t["id"]: t for t in json.load(open(sys.argv[2]))["targets"]}
rows = list(csv.DictReader(open(sys.argv[3]), delimiter="\t"))
bench = doc["benchmarks"]
assert len(rows) == len(bench), (len(rows), len(bench))
best = {}
for b in bench:
    if b["median"] is not None and b["fraction_of_peak"] is not None:
        best[b["id"]] = max(best.get(b["id"], 0), b["fraction_of_peak"])
verdicts = set()
for b, r in zip(bench, rows):
    assert r["id"] == b["id"] and r["status"] == b["status"], (r, b["id"])
    num = lambda s: None if s == "" else float(s)
    assert num(r["median"]) == b["median"] and num(r["cv"]) == b["cv"], r
    assert num(r["fraction_of_peak"]) == b["fraction_of_peak"], r
    t = targets.get(b["id"])
    if t is None:
        expected = "-"
    elif b["median"] is None:
        expected = "n/a"
    else:
        misses = []
        if "min_fraction_of_peak" in t:
            f = best[b["id"]] if t.get("at") == "best-shape" else b["fraction_of_peak"]
            if f < t["min_fraction_of_peak"]: misses.append("low")
        if "max_cv" in t and b["cv"] > t["max_cv"]: misses.append("noisy")
        expected = "+".join(misses) or "met"
        assert num(r["target_min_fraction"]) == t.get("min_fraction_of_peak"), r
        assert num(r["target_max_cv"]) == t.get("max_cv"), r
    assert r["verdict"] == expected, (b["id"], b["params"], r["verdict"], expected)
    verdicts.add(expected)
# The fixture exercises every verdict of a measured figure, so the check above means something
# ("n/a", not measured, is checked on the GPU-less documents of the rehearsal).
assert {"met", "low", "noisy", "-"} <= verdicts, verdicts
' "$FIXTURE" "$TARGETS" "$TMP/table.tsv"
}

@test "the human table names every figure, its target, and the run's wall times" {
  run $TABLE "$FIXTURE"
  [ "$status" -eq 0 ]
  # Each benchmark id appears once per entry.
  while read -r id count; do
    [ "$(grep -c "^  $id " <<<"$output")" -eq "$count" ] || { echo "$id: not $count rows"; return 1; }
  done < <(py 'import json,sys,collections; c=collections.Counter(b["id"] for b in json.load(open(sys.argv[1]))["benchmarks"]); [print(k, v) for k, v in c.items()]' "$FIXTURE")
  # The wall times: total and every phase of run.phases, from the fixture.
  while read -r name secs; do
    grep -q "$name $secs s" <<<"$output" || { echo "no '$name $secs s'"; return 1; }
  done < <(py '
import json, sys
r = json.load(open(sys.argv[1]))["run"]
print("total", "%.1f" % r["duration_s"])
for k, v in r["phases"].items(): print(k, "%.1f" % v)' "$FIXTURE")
  # stream-copy's row shows its median and its target as bench/targets.json gives it.
  median=$(py '
import json, sys
print("%.1f" % [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b["id"] == "stream-copy"][0]["median"])' "$FIXTURE")
  target=$(py '
import json, sys
t = [t for t in json.load(open(sys.argv[1]))["targets"] if t["id"] == "stream-copy"][0]
print(">=%g%% cv<=%g%%" % (100 * t["min_fraction_of_peak"], 100 * t["max_cv"]))' "$TARGETS")
  grep -E "^  stream-copy .* $median GB/s .* $target " <<<"$output"
}

@test "a document without benchmarks or phases still prints, and bad input exits 2 with the file named" {
  run $TABLE "$GPUVAL_SOURCE_DIR/tests/fixtures/compare/recorded_nogpu_host.json"
  [ "$status" -eq 0 ]
  grep -q 'no run.phases in this document' <<<"$output"
  grep -q 'no benchmark entries' <<<"$output"
  run $TABLE "$GPUVAL_SOURCE_DIR/tests/fixtures/compare/truncated.json"
  [ "$status" -eq 2 ]
  grep -q 'truncated.json: not JSON' <<<"$output"
  run $TABLE "$GPUVAL_SOURCE_DIR/tests/fixtures/compare/schema_v2.json"
  [ "$status" -eq 2 ]
  grep -q 'schema_v2.json: not a gpuval run document of schema gpuval.run/1' <<<"$output"
}

@test "bench/README.md's Targets table is the one bench/targets.json generates" {
  run $TABLE --check-readme "$GPUVAL_SOURCE_DIR/bench/README.md"
  [ "$status" -eq 0 ]
  # And the check is not vacuous: a changed target makes it fail, saying how to regenerate.
  py 'import json,sys; d=json.load(open(sys.argv[1])); d["targets"][0]["min_fraction_of_peak"]=0.5; json.dump(d, open(sys.argv[2], "w"))' \
    "$TARGETS" "$TMP/targets.json"
  run $TABLE --targets "$TMP/targets.json" --check-readme "$GPUVAL_SOURCE_DIR/bench/README.md"
  [ "$status" -eq 1 ]
  grep -q 'differs from' <<<"$output"
  grep -q -- '--targets-markdown' <<<"$output"
}

@test "an absolute target: NCCL all-reduce bus bandwidth, judged at the largest size of its pass and rank count only" {
  # Entries shaped like gpuval's nccl ones (group nccl, params pass/ranks/bytes), on the fixture.
  py '
import json, sys
doc = json.load(open(sys.argv[1]))
def entry(pass_, ranks, size, median, cv=0.002, status="PASS"):
    return {"id": "nccl-all-reduce", "device": 0, "group": "nccl", "unit": "GB/s",
            "params": {"pass": pass_, "ranks": ranks, "bytes": size, "dtype": "float32"},
            "samples": [median], "median": median, "min": median, "max": median, "cv": cv,
            "peak": None, "fraction_of_peak": None, "verified": True, "status": status,
            "message": "", "hint": ""}
G = 1 << 30
doc["benchmarks"] = [entry("default", 8, G, 478.0),          # met
                     entry("default", 8, 1 << 20, 120.0),    # not the largest size: -
                     entry("no-p2p", 8, G, 21.0),            # another pass: -
                     entry("default", 2, G, 350.0)]          # another rank count: -
json.dump(doc, open(sys.argv[2], "w"))
doc["benchmarks"] = [entry("default", 8, G, 431.0, cv=0.03), entry("default", 8, 1 << 20, 119.0)]
json.dump(doc, open(sys.argv[3], "w"))' "$FIXTURE" "$TMP/good.json" "$TMP/low.json"
  run $TABLE --tsv "$TMP/good.json"
  [ "$status" -eq 0 ]
  [ "$(cut -f11 <<<"$output" | tail -n +2 | paste -sd,)" = "met,-,-,-" ] || { echo "$output"; return 1; }
  [ "$(cut -f13 <<<"$output" | sed -n 2p)" = 470 ]
  run $TABLE --tsv "$TMP/low.json"
  [ "$(cut -f11 <<<"$output" | tail -n +2 | paste -sd,)" = "low+noisy,-" ] || { echo "$output"; return 1; }
  run $TABLE "$TMP/low.json"
  grep -Eq '^  nccl-all-reduce .* 431\.0 +GB/s .*>=470 GB/s cv<=1% +low\+noisy' <<<"$output" || { echo "$output"; return 1; }
  # A malformed absolute target is bad input.
  py 'import json,sys; d=json.load(open(sys.argv[1])); d["targets"][-1].pop("unit"); json.dump(d, open(sys.argv[2], "w"))' \
    "$TARGETS" "$TMP/targets.json"
  run $TABLE --targets "$TMP/targets.json" --targets-markdown
  [ "$status" -eq 2 ]
  grep -q 'min_median needs its unit' <<<"$output"
}
