#!/usr/bin/env bats
# End-to-end: the nightly wrapper (scripts/gpuval-nightly.sh) and `gpuval history add|check|pin`
# over a generated 30-night history (tests/support/gen_history.py): driver upgrades on nights 10
# and 20, stream-triad of gpu-h100-02 15 % slower from night 24 (2026-10-25). The history is
# ingested night by night once, in setup_file; the tests assert on what each night produced.
# GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup_file() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  export NIGHTLY="$GPUVAL_SOURCE_DIR/scripts/gpuval-nightly.sh"
  export GEN="$GPUVAL_SOURCE_DIR/tests/support/gen_history.py"
  export GEN_DIR="$BATS_FILE_TMPDIR/gen" NIGHTS="$BATS_FILE_TMPDIR/nights"
  export HIST="$BATS_FILE_TMPDIR/history" OUT="$BATS_FILE_TMPDIR/out"
  python3 "$GEN" "$GEN_DIR" --driver-upgrade 10:560.35.03 --driver-upgrade 20:570.86.10 \
    --regress gpu-h100-02:stream-triad:24:0.85 --layout host 2>/dev/null
  split_nights "$GEN_DIR" "$NIGHTS" 30
  mkdir -p "$OUT"
  local k extra
  for k in $(seq 0 29); do
    # JUnit and Markdown only where a test reads them (a few seconds less on a busy machine).
    extra=()
    case "$k" in 0 | 24) extra=(--junit "$OUT/$k.xml") ;; 10) extra=(--md "$OUT/$k.md") ;; esac
    set +e
    "$NIGHTLY" --gpuval "$GPUVAL" --history "$HIST" --ingest "$NIGHTS/$k" \
      --prom "$OUT/$k.prom" "${extra[@]}" >"$OUT/$k.log" 2>&1
    echo "$?" >"$OUT/$k.rc"
    set -e
  done
}

setup() { TMP="$(mktemp -d)"; }
teardown() { rm -rf "$TMP"; }

# split_nights GEN OUT N: OUT/<k>/<host>/<stamp>/ holds night k's documents (hard links).
split_nights() {
  local k day dir
  for k in $(seq 0 $(($3 - 1))); do
    day="$(date -u -d "2026-10-01 + $k days" +%Y%m%d)"
    for dir in "$1"/*/"${day}"T*; do
      mkdir -p "$2/$k/$(basename "$(dirname "$dir")")"
      cp -al "$dir" "$2/$k/$(basename "$(dirname "$dir")")/"
    done
  done
}

rc_of() { cat "$OUT/$1.rc"; }

# The exit code Prometheus reports for HOST's MODE run in FILE.
prom_run_exit() {
  sed -n "s/^gpuval_run_exit_code{host=\"$2\",.*mode=\"$3\"} \([0-9]*\)$/\1/p" "$1"
}

need_promtool() {
  command -v promtool >/dev/null ||
    skip "promtool not installed (Debian package prometheus): exposition format not validated"
}

@test "clean nights exit 0, the first night without a baseline, the driver upgrade nights included" {
  for k in $(seq 0 23); do
    [ "$(rc_of "$k")" = 0 ] || { cat "$OUT/$k.log"; false; }
  done
  grep -q "OK: no baseline yet" "$OUT/0.log"
  grep -q "fewer than the 7 asked for" "$OUT/3.log"
  grep -q "median of 7 nights 2026-10-17..2026-10-23" "$OUT/23.log"
}

@test "a driver upgrade is listed as an environment change and compared across drivers" {
  [ "$(rc_of 10)" = 0 ]
  grep -qF "| \`driver.version\` | 550.54.15 | 560.35.03 |" "$OUT/10.md"
  grep -q "median of 7 nights 2026-10-04..2026-10-10" "$OUT/10.md"
}

@test "night 24 (2026-10-25): exit 1 for gpu-h100-02 only, its stream-triad in both modes" {
  [ "$(rc_of 24)" = 1 ]
  for host in gpu-h100-01 gpu-h100-02 gpu-h100-03 gpu-a100-01 gpu-a100-02; do
    run "$GPUVAL" history check --history "$HIST" "$NIGHTS/24/$host"
    if [ "$host" = gpu-h100-02 ]; then
      [ "$status" -eq 1 ]
      [ "$(grep -c "regression: stream-triad gpu0 bytes=805306368: median -1[45].[0-9] %" <<<"$output")" = 2 ]
    else
      [ "$status" -eq 0 ] || { echo "$output"; false; }
    fi
  done
  [ "$(prom_run_exit "$OUT/24.prom" gpu-h100-02 baremetal)" = 1 ]
  [ "$(prom_run_exit "$OUT/24.prom" gpu-h100-02 podman-cdi)" = 1 ]
  [ "$(prom_run_exit "$OUT/24.prom" gpu-h100-01 baremetal)" = 0 ]
  [ "$(grep -c '^gpuval_benchmark_regression{.*} 1$' "$OUT/24.prom")" = 2 ]
  grep -q '^gpuval_benchmark_regression{host="gpu-h100-02",.*benchmark="stream-triad",params="bytes=805306368"} 1$' "$OUT/24.prom"
}

@test "the regression stays red until the 7-night median has absorbed it; other hosts stay clean" {
  # Nights 25-27: the baseline still holds 4+ clean nights. Night 28: 4 of its 7 nights are slow.
  for k in 25 26 27; do [ "$(rc_of "$k")" = 1 ]; done
  for k in 28 29; do [ "$(rc_of "$k")" = 0 ]; done
  for k in 25 26 27; do
    [ "$(grep -c '^gpuval_run_exit_code{.*} 1$' "$OUT/$k.prom")" = 2 ]
    [ "$(prom_run_exit "$OUT/$k.prom" gpu-h100-02 baremetal)" = 1 ]
  done
}

@test "JUnit of night 24 parses and names the regression as a failed test case" {
  python3 - "$OUT/24.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "2", root.attrib
failed = [(tc.get("classname"), tc.get("name"), f.get("type"), f.get("message"))
          for tc in root.iter("testcase") for f in tc.findall("failure")]
assert len(failed) == 2, failed
for classname, name, kind, message in failed:
    assert classname.startswith("gpuval.nightly.gpu-h100-02.") and classname.endswith(".benchmarks"), classname
    assert name == "stream-triad gpu0 bytes=805306368" and kind == "regression", (name, kind)
    assert "worse than the baseline" in message, message
suites = root.findall("testsuite")
assert len(suites) == 10 and int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
PY
  python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$OUT/0.xml"
}

@test "Prometheus output passes promtool check metrics (first night, upgrade night, regression night)" {
  need_promtool
  for k in 0 10 24; do
    run promtool check metrics <"$OUT/$k.prom"
    [ "$status" -eq 0 ] || { echo "night $k: $output"; false; }
  done
  grep -q '^gpuval_nightly_exit_code 1$' "$OUT/24.prom"
  grep -q '^# TYPE gpuval_check_status gauge$' "$OUT/24.prom"
  # One-hot: each check of each run has exactly one status at 1.
  [ "$(grep -c '^gpuval_check_status{.*} 1$' "$OUT/24.prom")" = $((10 * 26)) ]
  [ -z "$(find "$OUT" -name '.*')" ] || { echo "temporary left behind"; false; }
}

@test "a failed check (gen_history --fail-check) exits 1 and JUnit names the check" {
  python3 "$GEN" "$TMP/gen" --nights 3 --models a100:1 --modes baremetal \
    --fail-check gpu-a100-01:shm:2 --layout host 2>/dev/null
  split_nights "$TMP/gen" "$TMP/nights" 3
  for k in 0 1; do
    run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --ingest "$TMP/nights/$k"
    [ "$status" -eq 0 ]
  done
  run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --ingest "$TMP/nights/2" --junit "$TMP/j.xml"
  [ "$status" -eq 1 ]
  [[ "$output" == *"failed check: shm: shm failed (injected)"* ]]
  python3 - "$TMP/j.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
failed = {tc.get("name"): f.get("type") for tc in root.iter("testcase") for f in tc.findall("failure")}
assert failed == {"shm": "FAIL", "verdict": "fail"}, failed
PY
}

@test "history add is idempotent and prints where each document went" {
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/5"
  [ "$status" -eq 0 ]
  [[ "$output" == *"10 filed, 0 already"* ]]
  [[ "$output" == *"filed   $TMP/h/gpu-h100-02/nvidia-h100-80gb-hbm3/550.54.15/2026-10-06/podman-cdi/"* ]]
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/5"
  [ "$status" -eq 0 ]
  [[ "$output" == *"0 filed, 10 already"* ]]
  # The ten documents, and the history index beside them.
  [ "$(find "$TMP/h" -type f -not -name '_index.sqlite*' | wc -l)" = 10 ]
  [ -f "$TMP/h/_index.sqlite" ]
}

@test "concurrent writers never corrupt the history" {
  local pids=() p
  for k in 3 4 3 4 5 3; do
    "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ "$(find "$TMP/h" -type f -name '*.json' | wc -l)" = 30 ]
  [ -z "$(find "$TMP/h" -name '.*')" ]
  find "$TMP/h" -name '*.json' -exec python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' {} +
}

@test "killed writers leave no partial document; leftover temporaries are ignored" {
  # SIGKILL at random moments of `history add` (the exact moment between writing and publishing
  # is forced in the unit test HistoryFiling.AWriterKilledMidWriteLeavesNoPartialDocument).
  for _ in $(seq 1 12); do
    "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/7" >/dev/null 2>&1 &
    sleep "0.0$((RANDOM % 10))"
    kill -9 $! 2>/dev/null || true
    wait $! 2>/dev/null || true
  done
  # A writer that died after writing half a temporary file.
  dir="$(dirname "$(find "$HIST" -path '*gpu-a100-01*2026-10-08/baremetal/*.json')")"
  mkdir -p "$TMP/h/${dir#"$HIST"/}"
  head -c 500 "$(find "$dir" -name '*.json')" >"$TMP/h/${dir#"$HIST"/}/.x.json.tmp.AbC123"
  find "$TMP/h" -name '*.json' -exec python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' {} +
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/7"
  [ "$status" -eq 0 ]
  [ "$(find "$TMP/h" -type f -name '*.json' | wc -l)" = 10 ]
  run "$GPUVAL" history check --history "$TMP/h" "$NIGHTS/7"
  [ "$status" -eq 0 ]
  [[ "$output" != *"skipped unreadable"* ]]
}

@test "pinned baseline: a missing pin exits 2 with the fix; a pinned clean night catches night 24" {
  run "$GPUVAL" history check --history "$HIST" --baseline pinned "$NIGHTS/24/gpu-h100-02"
  [ "$status" -eq 2 ]
  [[ "$output" == *"no pinned baseline for host gpu-h100-02"*"gpuval history pin"* ]]
  cp -r "$HIST" "$TMP/h"
  run "$GPUVAL" history pin --history "$TMP/h" "$(find "$NIGHTS/2/gpu-h100-02" -name baremetal.json)"
  [ "$status" -eq 0 ]
  [[ "$output" == *"as the baseline of host gpu-h100-02"*"mode baremetal"* ]]
  run "$GPUVAL" history check --history "$TMP/h" --baseline pinned \
    "$(find "$NIGHTS/24/gpu-h100-02" -name baremetal.json)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"baseline: pinned run"*"of 2026-10-03 (driver 550.54.15)"* ]]
  [[ "$output" == *"regression: stream-triad"* ]]
  # Night 29 is still slower than the pin (a median baseline has absorbed it by then).
  run "$GPUVAL" history check --history "$TMP/h" --baseline pinned \
    "$(find "$NIGHTS/29/gpu-h100-02" -name baremetal.json)"
  [ "$status" -eq 1 ]
}

@test "unusable input exits 2; JUnit and Prometheus carry the error" {
  doc="$(find "$NIGHTS/12/gpu-a100-01" -name baremetal.json)"
  head -c 2000 "$doc" >"$TMP/cut.json"
  run "$GPUVAL" history check --history "$HIST" --junit "$TMP/j.xml" --prom "$TMP/p.prom" \
    "$TMP/cut.json" "$doc"
  [ "$status" -eq 2 ]
  [[ "$output" == *"$TMP/cut.json: truncated JSON"* ]]
  python3 - "$TMP/j.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
errors = [tc.get("name") for tc in root.iter("testcase") if tc.find("error") is not None]
assert len(errors) == 1 and errors[0].endswith("cut.json"), errors
PY
  grep -q '^gpuval_nightly_bad_inputs 1$' "$TMP/p.prom"
  grep -q '^gpuval_nightly_exit_code 2$' "$TMP/p.prom"
  run "$GPUVAL" history check --history "$TMP/missing" "$doc"
  [ "$status" -eq 2 ]
  [[ "$output" == *"is not a folder"* ]]
}

@test "without --ingest the host driver runs; with no gpuval on PATH the image's is used" {
  doc="$(find "$NIGHTS/4/gpu-h100-01" -name baremetal.json)"
  cat >"$TMP/host.sh" <<SH
#!/bin/bash
# Stand-in for gpuval-host.sh: writes tonight's document, copies "the image's" gpuval.
echo "\$*" >"$TMP/host-args"
while [ \$# -gt 0 ]; do
  case "\$1" in
    --results) mkdir -p "\$2/gpu-h100-01/x"; cp "$doc" "\$2/gpu-h100-01/x/baremetal.json"; shift 2 ;;
    --keep-prefix) mkdir -p "\$2/bin"; ln -s "$GPUVAL" "\$2/bin/gpuval"; shift 2 ;;
    *) shift ;;
  esac
done
exit 0
SH
  chmod +x "$TMP/host.sh"
  run env PATH=/usr/bin:/bin "$NIGHTLY" --history "$TMP/h" --host-script "$TMP/host.sh" \
    --keep-staging "$TMP/kept" -- --image gpuval:test
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  grep -q -- "--keep-prefix" "$TMP/host-args"
  grep -q -- "--image gpuval:test" "$TMP/host-args"
  [ "$(find "$TMP/h" -name '*.json' | wc -l)" = 1 ]
  [ -f "$TMP/kept/gpu-h100-01/x/baremetal.json" ]
}

@test "the host driver writing nothing: exit 2, and Prometheus and JUnit still say so" {
  printf '#!/bin/sh\necho "gpuval-host: podman not found" >&2\nexit 2\n' >"$TMP/host.sh"
  chmod +x "$TMP/host.sh"
  run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --host-script "$TMP/host.sh" \
    --prom "$TMP/p.prom" --junit "$TMP/j.xml"
  [ "$status" -eq 2 ]
  [[ "$output" == *"wrote no run document (exit 2)"* ]]
  grep -q '^gpuval_nightly_exit_code 2$' "$TMP/p.prom"
  python3 -c 'import sys, xml.etree.ElementTree as ET; r = ET.parse(sys.argv[1]).getroot(); assert r.get("errors") == "1"' "$TMP/j.xml"
  if command -v promtool >/dev/null; then promtool check metrics <"$TMP/p.prom"; fi
}

@test "usage errors exit 2 with the reason" {
  run "$NIGHTLY" --bogus
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown option: --bogus"* ]]
  run env -u GPUVAL_HISTORY "$NIGHTLY" --ingest "$TMP"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--history DIR is required"* ]]
  run "$NIGHTLY" --history "$TMP/h" --gpuval "$GPUVAL" --ingest "$TMP/none"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--ingest $TMP/none: no such folder"* ]]
  run "$GPUVAL" history check --history "$HIST" --baseline mean:3 "$NIGHTS/1"
  [ "$status" -eq 2 ]
  [[ "$output" == *"use median:N"* ]]
  run "$NIGHTLY" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--ingest DIR"* && "$output" == *"Exit codes:"* ]]
}

@test "an --ingest folder that collects every night: each host and mode's latest night is checked" {
  mkdir -p "$TMP/all"
  for k in $(seq 16 24); do cp -al "$NIGHTS/$k/." "$TMP/all/"; done
  run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --ingest "$TMP/all" --prom "$TMP/p.prom"
  [ "$status" -eq 1 ]
  [[ "$output" == *"90 filed"* ]]
  [[ "$output" == *"baseline median:7, 10 documents"* ]]
  [ "$(grep -c '^gpuval_run_exit_code{.*} 1$' "$TMP/p.prom")" = 2 ]
  # The run checked is night 24's (2026-10-25 UTC).
  t="$(sed -n 's/^gpuval_run_timestamp_seconds{host="gpu-a100-01",.*mode="baremetal"} //p' "$TMP/p.prom")"
  [ "$t" -ge 1792886400 ] && [ "$t" -lt 1792972800 ]
}

@test "the systemd units verify and the examples use only options the scripts have" {
  local dir="$GPUVAL_SOURCE_DIR/scripts/nightly"
  if command -v systemd-analyze >/dev/null; then
    run systemd-analyze verify "$dir/gpuval-nightly.service" "$dir/gpuval-nightly.timer"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
  fi
  grep -q '^OnCalendar=' "$dir/gpuval-nightly.timer"
  # Every cron entry: five time fields, a user, then the command.
  local entries=0 m h dom mon dow user cmd opt
  while read -r m h dom mon dow user cmd; do
    [[ "$m $h $dom $mon $dow" =~ ^[0-9*/,-]+(\ [0-9*/,-]+){4}$ && "$user" = root && -n "$cmd" ]] ||
      { echo "bad cron entry: $m $h $dom $mon $dow $user $cmd"; return 1; }
    entries=$((entries + 1))
  done < <(grep -Ev '^(#|$|[A-Z_]+=)' "$dir/gpuval-nightly.cron")
  [ "$entries" -ge 1 ]
  nightly_help="$("$NIGHTLY" --help)"
  host_help="$("$GPUVAL_SOURCE_DIR/scripts/gpuval-host.sh" --help)"
  while read -r opt; do
    [[ "$nightly_help" == *"$opt"* || "$host_help" == *"$opt"* ]] || { echo "unknown option $opt"; return 1; }
  done < <(sed 's/#.*//' "$dir/gpuval-nightly.service" "$dir/gpuval-nightly.cron" | grep -o -- ' --[a-z-]*' | sort -u)
}

@test "a document that cannot be filed (same run id, other content): exit 2, and Prometheus and JUnit say 2" {
  local doc
  doc="$(find "$NIGHTS/3" -name baremetal.json | head -n1)"
  mkdir -p "$TMP/in"
  cp "$doc" "$TMP/in/a.json"
  python3 - "$doc" "$TMP/in/zz-conflict.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["benchmarks"][0]["median"] = 1.0  # same run id, different content
json.dump(d, open(sys.argv[2], "w"))
PY
  run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --ingest "$TMP/in" \
    --prom "$TMP/n.prom" --junit "$TMP/n.xml"
  [ "$status" -eq 2 ] || { echo "$output"; false; }
  grep -q '^gpuval_nightly_exit_code 2$' "$TMP/n.prom"
  if command -v promtool >/dev/null; then promtool check metrics <"$TMP/n.prom"; fi
  python3 - "$TMP/n.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert int(root.get("errors")) >= 1, root.attrib
errors = [e.get("message") for e in root.iter("error")]
assert any("not filed" in m for m in errors), errors
PY
}

@test "--prom and --junit to a device (/dev/null) write into it and leave it a device" {
  mkdir -p "$TMP/in"
  cp "$(find "$NIGHTS/2" -name baremetal.json | head -n1)" "$TMP/in/"
  run "$NIGHTLY" --gpuval "$GPUVAL" --history "$TMP/h" --ingest "$TMP/in" \
    --prom /dev/null --junit /dev/null
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ -c /dev/null ]
}

@test "history pin takes exactly one document: two is a usage error naming DOC" {
  run "$GPUVAL" history pin --history "$TMP/h" a.json b.json
  [ "$status" -eq 2 ]
  [[ "$output" == *"DOC"* ]]
  run "$GPUVAL" history pin --help
  [[ "$output" != *"DOC TEXT ..."* ]]
}
