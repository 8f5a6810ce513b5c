#!/usr/bin/env bats
# End-to-end: the history index (HISTORY/_index.sqlite) kept by `gpuval history add`, rebuilt by
# `gpuval history reindex`, read by `gpuval report` and `gpuval history check`: the same report
# as over the documents, writers killed with SIGKILL at random moments, two writers at once,
# another schema major, a damaged file, the latest run of every series in Prometheus.
# GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup_file() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  export GEN="$GPUVAL_SOURCE_DIR/tests/support/gen_history.py"
  # 12 nights of 5 nodes x 2 modes: an upgrade on night 6, gpu-h100-02's stream-triad -15 % from
  # night 8, a slow GEMM node, a failed check on night 4. Documents in flat folders per night.
  export GEN_DIR="$BATS_FILE_TMPDIR/gen" NIGHTS="$BATS_FILE_TMPDIR/nights"
  python3 "$GEN" "$GEN_DIR" --nights 12 --driver-upgrade 6:560.35.03 \
    --regress gpu-h100-02:stream-triad:8:0.85 --slow-node gpu-h100-03:gemm-bf16:0.8 \
    --fail-check gpu-a100-01:shm:4 2>/dev/null
  local k day
  for k in $(seq 0 11); do
    day="$(date -u -d "2026-10-01 + $k days" +%Y-%m-%d)"
    mkdir -p "$NIGHTS/$k"
    cp -l "$GEN_DIR"/*_"$day"_*.json "$NIGHTS/$k/"
  done
  # The reference history: filed night by night, so the index is kept by history add alone.
  export HIST="$BATS_FILE_TMPDIR/history"
  for k in $(seq 0 11); do "$GPUVAL" history add --history "$HIST" "$NIGHTS/$k" >/dev/null; done
}

setup() { TMP="$(mktemp -d)"; }
teardown() { rm -rf "$TMP"; }

# report_pair HISTORY DIR: the report over the index (DIR/i.*) and over the documents (DIR/f.*).
report_pair() {
  "$GPUVAL" report "$1" --md "$2/i.md" --html "$2/i.html" 2>"$2/i.err"
  "$GPUVAL" report "$1" --no-index --md "$2/f.md" --html "$2/f.html" 2>"$2/f.err"
}

same_reports() {
  report_pair "$1" "$2"
  grep -q "from the history index" "$2/i.err" || { cat "$2/i.err"; return 1; }
  cmp "$2/i.md" "$2/f.md" && cmp "$2/i.html" "$2/f.html"
}

runs_in() { sed -n 's/^\*\*\([0-9]*\) runs\*\*.*/\1/p' "$1"; }

@test "history add creates the index and the report over it equals the report over the documents" {
  [ -f "$HIST/_index.sqlite" ]
  same_reports "$HIST" "$TMP"
  [ "$(runs_in "$TMP/i.md")" = 120 ]
  # The report found what the history holds: not two empty reports.
  grep -q "gpu-h100-02" "$TMP/i.md"
  grep -q "ongoing" "$TMP/i.md"
  grep -q "gpu-h100-03" "$TMP/i.md"
  grep -q "shm (2 runs)" "$TMP/i.md"  # bare metal and container of night 4
  # And the thresholds apply to both alike.
  "$GPUVAL" report "$HIST" --window 3 --regression-threshold 0.001 --md "$TMP/t1.md" 2>/dev/null
  "$GPUVAL" report "$HIST" --no-index --window 3 --regression-threshold 0.001 --md "$TMP/t2.md"
  cmp "$TMP/t1.md" "$TMP/t2.md"
  ! cmp -s "$TMP/t1.md" "$TMP/i.md"
}

@test "one history add of every night files and indexes them a batch at a time, all of them" {
  # 120 documents: four batches of at most 32 (cli/history_cmd.cpp), each pending then indexed.
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS"
  [ "$status" -eq 0 ]
  [[ "$output" == *"120 filed, 0 already in the history, 0 not filed"* ]]
  same_reports "$TMP/h" "$TMP"
  [ "$(runs_in "$TMP/i.md")" = 120 ]
  [ "$(python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM runs").fetchone()[0])' \
    "$TMP/h/_index.sqlite")" = 120 ]
  # The same report as the history filed night by night.
  mkdir -p "$TMP/ref"
  report_pair "$HIST" "$TMP/ref"
  cmp "$TMP/i.md" "$TMP/ref/i.md"
}

@test "reindex rebuilds the same index from the documents in one command" {
  cp -a "$HIST" "$TMP/h"
  rm "$TMP/h/_index.sqlite"*
  run "$GPUVAL" history reindex --history "$TMP/h"
  [ "$status" -eq 0 ]
  [[ "$output" == *"120 run documents indexed, 0 bad files"* ]]
  same_reports "$TMP/h" "$TMP"
  diff <("$GPUVAL" report "$HIST" 2>/dev/null) "$TMP/i.md"
  # A bad document copied in by hand is recorded and listed, as the folder report lists it.
  head -c 2000 "$(find "$TMP/h" -name '*.json' | sort | head -n 1)" >"$TMP/h/cut.json"
  "$GPUVAL" history reindex --history "$TMP/h" | grep -q "1 bad file"
  same_reports "$TMP/h" "$TMP"
  grep -q "cut.json" "$TMP/i.md"
}

@test "history add on an existing history without an index indexes what is there first" {
  mkdir -p "$TMP/h"
  for k in 0 1 2; do "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null; done
  rm "$TMP/h/_index.sqlite"*
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/3"
  [ "$status" -eq 0 ]
  [[ "$output" == *"created the history index $TMP/h/_index.sqlite with the 30 run documents already in the history"* ]]
  same_reports "$TMP/h" "$TMP"
  [ "$(runs_in "$TMP/i.md")" = 40 ]
}

@test "writers killed with SIGKILL at random moments: the index never disagrees with the documents" {
  mkdir -p "$TMP/h"
  for k in 0 1 2 3; do "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null; done
  local k pid
  for k in 4 5 6 7 8 9 10 11 4 5 6 7; do
    "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    # Whatever the moment: what the index shows is what the folders hold.
    same_reports "$TMP/h" "$TMP" || { echo "after killing the add of night $k"; false; }
  done
  # The next writer settles what the killed ones left pending; every night gets filed.
  for k in $(seq 4 11); do
    run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k"
    [ "$status" -eq 0 ] || { echo "$output"; false; }
  done
  same_reports "$TMP/h" "$TMP"
  [ "$(runs_in "$TMP/i.md")" = 120 ]
  # And it is the report of the history that was never interrupted.
  diff <("$GPUVAL" report "$HIST" 2>/dev/null) "$TMP/i.md"
}

@test "two writers at once: both nights' documents are filed and indexed" {
  mkdir -p "$TMP/h"
  "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/0" >/dev/null
  local a b k
  for k in 1 3 5 7 9 11; do
    "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >"$TMP/a.$k" 2>&1 &
    a=$!
    "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$((k + 1 > 11 ? 2 : k + 1))" >"$TMP/b.$k" 2>&1 &
    b=$!
    wait "$a" || { cat "$TMP/a.$k"; false; }
    wait "$b" || { cat "$TMP/b.$k"; false; }
  done
  for k in 4 6 8 10; do "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null; done
  same_reports "$TMP/h" "$TMP"
  [ "$(runs_in "$TMP/i.md")" = 120 ]
}

@test "an index of another schema major: the report reads the documents, add refuses, reindex fixes" {
  cp -a "$HIST" "$TMP/h"
  python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("UPDATE schema_version SET major = 2"); c.commit()' \
    "$TMP/h/_index.sqlite"
  run "$GPUVAL" report "$TMP/h" --md "$TMP/r.md"
  [ "$status" -eq 0 ]
  [[ "$output" == *"schema gpuval.history-index/2.0; this gpuval reads major 1 only"*"reading the documents instead"* ]]
  [ "$(runs_in "$TMP/r.md")" = 120 ]
  run "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/11"
  [ "$status" -eq 2 ]
  [[ "$output" == *"the history index was not updated"*"gpuval history reindex --history $TMP/h"* ]]
  run "$GPUVAL" history reindex --history "$TMP/h"
  [ "$status" -eq 0 ]
  same_reports "$TMP/h" "$TMP"
}

@test "an index file that is no database: a clear message, the report still works, reindex recreates it" {
  cp -a "$HIST" "$TMP/h"
  rm "$TMP/h/_index.sqlite"*
  head -c 10000 /dev/urandom >"$TMP/h/_index.sqlite"
  run "$GPUVAL" report "$TMP/h" --md "$TMP/r.md"
  [ "$status" -eq 0 ]
  [[ "$output" == *"gpuval history reindex"*"reading the documents instead"* ]]
  [ "$(runs_in "$TMP/r.md")" = 120 ]
  run "$GPUVAL" history check --history "$TMP/h" "$NIGHTS/11"
  [ "$status" -eq 1 ]  # the regression, found by reading the folders
  [[ "$output" == *"regression: stream-triad"* ]]
  run "$GPUVAL" history reindex --history "$TMP/h"
  [ "$status" -eq 0 ]
  [[ "$output" == *"recreating it"*"120 run documents indexed"* ]]
  same_reports "$TMP/h" "$TMP"
}

@test "history check finds the same baselines through the index as through the folders" {
  run "$GPUVAL" history check --history "$HIST" "$NIGHTS/11" --junit "$TMP/i.xml"
  [ "$status" -eq 1 ]
  local with_index="$output"
  cp -a "$HIST" "$TMP/h"
  rm "$TMP/h/_index.sqlite"*
  run "$GPUVAL" history check --history "$TMP/h" "$NIGHTS/11" --junit "$TMP/f.xml"
  [ "$status" -eq 1 ]
  [ "$output" = "$with_index" ]
  [[ "$output" == *"baseline: median of 7 nights 2026-10-05..2026-10-11"* ]]
  [ "$(grep -c "regression: stream-triad gpu0 bytes=805306368" <<<"$output")" = 2 ]
}

@test "Prometheus: the latest run of every host, GPU model and mode, also of a node gone quiet" {
  mkdir -p "$TMP/h" "$TMP/tonight"
  for k in $(seq 0 10); do "$GPUVAL" history add --history "$TMP/h" "$NIGHTS/$k" >/dev/null; done
  # Night 11 without gpu-a100-02: it stopped reporting after night 10.
  cp "$NIGHTS/11"/*.json "$TMP/tonight/"
  rm "$TMP/tonight"/gpu-a100-02_*
  "$GPUVAL" history add --history "$TMP/h" "$TMP/tonight" >/dev/null
  run "$GPUVAL" history check --history "$TMP/h" "$TMP/tonight" --prom "$TMP/n.prom"
  [ "$status" -eq 1 ]
  [ "$(grep -c '^gpuval_last_run_timestamp_seconds{' "$TMP/n.prom")" = 10 ]
  [ "$(grep -c '^gpuval_run_timestamp_seconds{' "$TMP/n.prom")" = 8 ]
  local quiet tonight
  quiet="$(sed -n 's/^gpuval_last_run_timestamp_seconds{host="gpu-a100-02",model="NVIDIA A100-SXM4-80GB",mode="baremetal"} //p' "$TMP/n.prom")"
  tonight="$(sed -n 's/^gpuval_last_run_timestamp_seconds{host="gpu-a100-01",model="NVIDIA A100-SXM4-80GB",mode="baremetal"} //p' "$TMP/n.prom")"
  [ -n "$quiet" ] && [ -n "$tonight" ]
  # A day apart, give or take the generator's start minutes.
  [ $((tonight - quiet)) -gt $((23 * 3600)) ] && [ $((tonight - quiet)) -lt $((25 * 3600)) ]
  if command -v promtool >/dev/null; then promtool check metrics <"$TMP/n.prom"; fi
}
