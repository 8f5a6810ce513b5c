#!/usr/bin/env bats
# End-to-end: gpuval in a hostile environment (docs/testing.md).
#   - Outputs on a full disk (a 64 KiB tmpfs, filled) and on a read-only one: --out, --junit,
#     report's --html/--md, the history (add, pin) and history check's --junit/--prom/--md all
#     exit 2 naming the file, leave the old file intact and no temporary behind.
#   - SIGKILL and SIGTERM at random moments of `gpuval run` and `gpuval history add` (a few
#     hundred kills): every document on disk is complete and valid, or absent, and no temporary
#     is left (after SIGKILL, on a filesystem without O_TMPFILE, at most hidden .<name>.tmp.*
#     files, which readers skip).
#   - Oversized inputs: a 1 GiB run document, the largest environment value Linux passes
#     (128 KiB; a 10 MB one cannot even be exec'd), 100,000 files in a folder: bounded memory
#     (peak RSS measured), a clear error or a normal result.
# The tmpfs tests need root (mount); they skip elsewhere. GPUVAL and GPUVAL_SOURCE_DIR come from
# CTest. GPUVAL_KILLS (default 120) sets the kills per loop.

setup_file() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  export DOCS="$BATS_FILE_TMPDIR/docs"
  mkdir -p "$DOCS"
  # 30 valid run documents of one host (30 nights): what history add files and report reads.
  python3 - "$GPUVAL_SOURCE_DIR/tests/fixtures/compare/baseline.json" "$DOCS" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
for i in range(30):
    doc["run"]["id"] = f"run-{i:03}"
    doc["run"]["started_at"] = f"2026-10-{1 + i % 28:02}T02:{i:02}:00Z"
    with open(f"{sys.argv[2]}/doc-{i:03}.json", "w") as f:
        json.dump(doc, f, indent=1)
EOF
}

setup() {
  TMP="$(mktemp -d)"
  VALIDATE="python3 $GPUVAL_SOURCE_DIR/scripts/validate_run_document.py"
  KILLS="${GPUVAL_KILLS:-120}"
}

teardown() {
  local m
  while IFS= read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v t="$TMP" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r)
  rm -rf "$TMP"
}

# small_fs DIR: a 1 MiB tmpfs at DIR (room for a history and its SQLite index before fill;
# skips the test without the right to mount).
small_fs() {
  mkdir -p "$1"
  mount -t tmpfs -o size=1m tmpfs "$1" 2>/dev/null || skip "mounting a tmpfs needs root"
}

# fill DIR: no free block left on DIR's filesystem.
fill() { dd if=/dev/zero of="$1/zz-fill" bs=4k >/dev/null 2>&1 || true; }

# no_temporaries DIR: no writer's temporary (.<name>.tmp.XXXXXX) anywhere under DIR (also when
# DIR does not exist: a writer killed before it created the history).
no_temporaries() {
  local left
  left="$(find "$1" -name '.*.tmp.*' 2>/dev/null || true)"
  [ -z "$left" ] || { echo "temporaries left: $left" >&2; return 1; }
}

# unnamed_files DIR: whether DIR's filesystem has O_TMPFILE, so that gpuval's files there are
# unnamed until complete and a killed writer leaves nothing (core/atomic_file.hpp).
unnamed_files() {
  python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_TMPFILE | os.O_WRONLY, 0o644))' \
    "$1" 2>/dev/null
}

# Whether GPUVAL is built with AddressSanitizer (the asan preset): its memory is measured with
# the quarantine off, and budgets allow for ASan's own ~150 MiB and its redzones.
asan_build() { ldd "$GPUVAL" 2>/dev/null | grep -q libasan; }

# budget_kib KIB: a peak-RSS budget for this build.
budget_kib() { if asan_build; then echo $(($1 * 2 + 262144)); else echo "$1"; fi; }

# peak_rss_kib CMD...: runs CMD (output to $TMP/cmd.out, exit status to $TMP/cmd.rc) and prints
# its peak resident set size in KiB.
peak_rss_kib() {
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0" python3 -c '
import resource, subprocess, sys
with open(sys.argv[1] + "/cmd.out", "w") as out:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT).returncode
open(sys.argv[1] + "/cmd.rc", "w").write(str(rc))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$TMP" "$@"
}

# random_delay MAX_S: a random number of seconds in [0, MAX_S), four decimals.
random_delay() { awk -v r="$RANDOM" -v m="$1" 'BEGIN { printf "%.4f", r / 32768 * m }'; }

# duration_s CMD...: how long CMD takes, in seconds (its output discarded).
duration_s() {
  local t0 t1
  t0="$(date +%s%N)"
  "$@" >/dev/null 2>&1 || true
  t1="$(date +%s%N)"
  awk -v d="$((t1 - t0))" 'BEGIN { printf "%.4f", d / 1e9 }'
}

# --- full and read-only disks ---------------------------------------------------------------------

@test "full disk: --out and --junit exit 2 naming the file, old files intact, no temporary left" {
  small_fs "$TMP/full"
  echo old-run > "$TMP/full/run.json"
  echo old-junit > "$TMP/full/junit.xml"
  fill "$TMP/full"
  run "$GPUVAL" run --out "$TMP/full/run.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"$TMP/full/run.json"*"No space left on device"* ]]
  run "$GPUVAL" validate --junit "$TMP/full/junit.xml"
  [ "$status" -eq 2 ]
  [[ "$output" == *"$TMP/full/junit.xml"*"No space left on device"* ]]
  [ "$(cat "$TMP/full/run.json")" = old-run ]
  [ "$(cat "$TMP/full/junit.xml")" = old-junit ]
  no_temporaries "$TMP/full"
}

@test "full disk: report --html/--md and history check outputs exit 2, old files intact" {
  small_fs "$TMP/full"
  for f in report.html report.md junit.xml gpuval.prom check.md; do echo "old $f" > "$TMP/full/$f"; done
  fill "$TMP/full"
  run "$GPUVAL" report "$DOCS" --html "$TMP/full/report.html" --md "$TMP/full/report.md"
  [ "$status" -eq 2 ]
  [[ "$output" == *"report.html"*"No space left on device"* ]]
  "$GPUVAL" history add --history "$TMP/history" "$DOCS" >/dev/null
  run "$GPUVAL" history check --history "$TMP/history" "$DOCS/doc-029.json" \
    --junit "$TMP/full/junit.xml" --prom "$TMP/full/gpuval.prom" --md "$TMP/full/check.md"
  [ "$status" -eq 2 ]
  [[ "$output" == *"junit.xml"*"No space left on device"* ]]
  for f in report.html report.md junit.xml gpuval.prom check.md; do
    [ "$(cat "$TMP/full/$f")" = "old $f" ]
  done
  no_temporaries "$TMP/full"
}

@test "full disk: history add and pin exit 2, what was filed stays whole, no temporary left" {
  small_fs "$TMP/full"
  "$GPUVAL" history add --history "$TMP/full/h" "$DOCS/doc-000.json" >/dev/null
  "$GPUVAL" history pin --history "$TMP/full/h" "$DOCS/doc-000.json" >/dev/null
  local filed pin
  filed="$(find "$TMP/full/h" -name 'run-000.json' -not -path '*/_pins/*')"
  pin="$(find "$TMP/full/h/_pins" -name '*.json')"
  cp "$filed" "$TMP/filed.before"
  cp "$pin" "$TMP/pin.before"
  fill "$TMP/full"
  run "$GPUVAL" history add --history "$TMP/full/h" "$DOCS"
  [ "$status" -eq 2 ]
  [[ "$output" == *"No space left on device"* ]]
  [[ "$output" == *"1 already in the history, 29 not filed"* ]]
  run "$GPUVAL" history pin --history "$TMP/full/h" "$DOCS/doc-001.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"No space left on device"* ]]
  cmp "$filed" "$TMP/filed.before"
  cmp "$pin" "$TMP/pin.before"
  # Every document in the history is complete: exactly the one filed before the disk filled.
  [ "$(find "$TMP/full/h" -name '*.json' -not -path '*/_pins/*' | wc -l)" -eq 1 ]
  no_temporaries "$TMP/full"
}

@test "read-only disk: every output exits 2 naming the file and changes nothing" {
  small_fs "$TMP/ro"
  for f in run.json junit.xml report.html gpuval.prom; do echo "old $f" > "$TMP/ro/$f"; done
  "$GPUVAL" history add --history "$TMP/ro/h" "$DOCS/doc-000.json" >/dev/null
  mount -o remount,ro "$TMP/ro"
  run "$GPUVAL" run --out "$TMP/ro/run.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--out $TMP/ro/run.json"*"not writable"* ]]
  run "$GPUVAL" validate --junit "$TMP/ro/junit.xml"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--junit $TMP/ro/junit.xml"*"not writable"* ]]
  run "$GPUVAL" report "$DOCS" --html "$TMP/ro/report.html"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--html $TMP/ro/report.html"*"not writable"* ]]
  run "$GPUVAL" history check --history "$TMP/ro/h" "$DOCS/doc-001.json" --prom "$TMP/ro/gpuval.prom"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--prom $TMP/ro/gpuval.prom"*"not writable"* ]]
  run "$GPUVAL" history add --history "$TMP/ro/h" "$DOCS"
  [ "$status" -eq 2 ]
  [[ "$output" == *"Read-only file system"* ]]
  run "$GPUVAL" history pin --history "$TMP/ro/h" "$DOCS/doc-000.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"Read-only file system"* ]]
  for f in run.json junit.xml report.html gpuval.prom; do [ "$(cat "$TMP/ro/$f")" = "old $f" ]; done
  [ "$(find "$TMP/ro/h" -name '*.json' | wc -l)" -eq 1 ]
  [ ! -e "$TMP/ro/h/_pins" ]
}

# --- kills at random moments ------------------------------------------------------------------------

# kill_runs SIGNAL: KILLS runs of `gpuval run --out`, each sent SIGNAL after a random delay up
# to 1.5 times a whole run, each in its own folder; prints how many left a document.
kill_runs() {
  local signal=$1 whole i dir pid
  whole="$(duration_s "$GPUVAL" run --out "$TMP/timing.json")"
  for i in $(seq 1 "$KILLS"); do
    dir="$TMP/k$i"
    mkdir -p "$dir"
    "$GPUVAL" run --out "$dir/run.json" >/dev/null 2>&1 &
    pid=$!
    sleep "$(random_delay "$(awk -v w="$whole" 'BEGIN { print w * 1.5 }')")"
    kill "-$signal" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

@test "SIGKILL at random moments of gpuval run: the document is complete and valid, or absent" {
  kill_runs KILL
  local docs
  docs="$(find "$TMP"/k* -name run.json)"
  # Kills landed both before the first document and after it.
  [ -n "$docs" ]
  [ "$(echo "$docs" | wc -l)" -lt "$KILLS" ]
  # shellcheck disable=SC2086
  $VALIDATE $docs
  # Nothing but the document and, when killed while writing, its hidden temporary. Where files
  # are unnamed until complete only a kill in the instant between naming the file and renaming
  # it over the target leaves one (with named temporaries about one kill in five did).
  [ -z "$(find "$TMP"/k* -type f ! -name run.json ! -name '.run.json.tmp.*')" ]
  if unnamed_files "$TMP"; then
    [ "$(find "$TMP"/k* -name '.run.json.tmp.*' | wc -l)" -le $((KILLS / 20)) ]
  fi
}

@test "SIGTERM at random moments of gpuval run: the document is valid or absent, no temporary" {
  kill_runs TERM
  local docs interrupted
  docs="$(find "$TMP"/k* -name run.json)"
  [ -n "$docs" ]
  # shellcheck disable=SC2086
  $VALIDATE $docs
  # shellcheck disable=SC2086
  interrupted="$(python3 -c '
import json, sys
print(sum(json.load(open(p))["verdict"]["status"] == "interrupted" for p in sys.argv[1:]))
' $docs)"
  [ "$interrupted" -gt 0 ]
  no_temporaries "$TMP"
}

# kill_adds SIGNAL: KILLS runs of `gpuval history add` of the 30 documents into one history,
# each sent SIGNAL after a random delay up to 1.5 times a whole add into an empty history.
kill_adds() {
  local signal=$1 whole i pid
  whole="$(duration_s "$GPUVAL" history add --history "$TMP/timing-history" "$DOCS")"
  for i in $(seq 1 "$KILLS"); do
    # Every ten kills: what was filed is whole, then on to an empty history, so that early
    # kills keep landing mid-filing.
    if [ $((i % 10)) -eq 0 ]; then
      history_whole "$TMP/h" >>"$TMP/filed-counts"
      index_agrees "$TMP/h"
      rm -rf "$TMP/h"
    fi
    "$GPUVAL" history add --history "$TMP/h" "$DOCS" >/dev/null 2>&1 &
    pid=$!
    sleep "$(random_delay "$(awk -v w="$whole" 'BEGIN { print w * 1.5 }')")"
    kill "-$signal" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# index_agrees DIR: the history index a killed writer left in DIR (pending rows and all) reads
# exactly as the folders do: it never claims a document that is not there, nor misses one that
# was filed. Nothing to compare while no document was filed.
index_agrees() {
  [ -n "$(find "$1" -name '*.json' ! -name '.*' 2>/dev/null | head -1)" ] || return 0
  "$GPUVAL" report "$1" --md "$TMP/indexed.md" >/dev/null 2>&1
  "$GPUVAL" report --no-index "$1" --md "$TMP/folders.md" >/dev/null 2>&1
  cmp "$TMP/indexed.md" "$TMP/folders.md"
}

# history_whole DIR: every visible document under DIR is byte for byte one of the inputs.
history_whole() {
  local f n=0
  while IFS= read -r f; do
    n=$((n + 1))
    cmp -s "$f" "$DOCS/doc-$(basename "$f" .json | sed 's/^run-//').json" ||
      { echo "not an input document: $f" >&2; return 1; }
  done < <(find "$1" -name '*.json' ! -name '.*' 2>/dev/null)
  echo "$n"
}

@test "SIGKILL at random moments of history add: every filed document is whole; readers go on" {
  kill_adds KILL
  history_whole "$TMP/h" >>"$TMP/filed-counts"
  # Every stretch of ten kills was checked, and the kills let some documents through.
  [ "$(wc -l <"$TMP/filed-counts")" -eq $((KILLS / 10 + 1)) ]
  [ "$(awk '{ s += $1 } END { print s }' "$TMP/filed-counts")" -gt 0 ]
  # A killed writer leaves nothing where files are unnamed until complete; elsewhere at most
  # hidden temporaries, which readers skip. Besides the documents, only the history index.
  [ -z "$(find "$TMP/h" -type f ! -name '*.json' ! -name '.*.tmp.*' ! -name '_index.sqlite*')" ]
  if unnamed_files "$TMP/h"; then no_temporaries "$TMP/h"; fi
  run "$GPUVAL" history add --history "$TMP/h" "$DOCS"
  [ "$status" -eq 0 ]
  [ "$(history_whole "$TMP/h")" -eq 30 ]
  run "$GPUVAL" history check --history "$TMP/h" "$DOCS/doc-029.json"
  [ "$status" -eq 0 ]
  run "$GPUVAL" report "$TMP/h" --md "$TMP/report.md"
  [ "$status" -eq 0 ]
  [[ "$output" == *"30 runs"*"0 bad files"* ]]
}

@test "SIGTERM at random moments of history add: exit 130 or done, whole documents, no temporary" {
  kill_adds TERM
  history_whole "$TMP/h" >>"$TMP/filed-counts"
  [ "$(awk '{ s += $1 } END { print s }' "$TMP/filed-counts")" -gt 0 ]
  no_temporaries "$TMP/h"
  # A run stopped by SIGTERM once it is filing says so and exits 130.
  rm -rf "$TMP/h2"
  "$GPUVAL" history add --history "$TMP/h2" "$DOCS" "$DOCS" "$DOCS" "$DOCS" >"$TMP/out" 2>&1 &
  local pid=$! tries=0
  until [ -n "$(find "$TMP/h2" -name '*.json' 2>/dev/null | head -1)" ] || [ $tries -gt 2000 ]; do
    sleep 0.005
    tries=$((tries + 1))
  done
  kill -TERM "$pid" 2>/dev/null || true
  local rc=0
  wait "$pid" || rc=$?
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 130 ]
    grep -q "interrupted by signal 15: [0-9]* of 120 files not looked at" "$TMP/out"
  fi
  no_temporaries "$TMP/h2"
}

# --- oversized inputs ---------------------------------------------------------------------------------

@test "a 1 GiB run document: refused unread by compare, report and history, memory bounded" {
  cp "$DOCS/doc-000.json" "$TMP/good.json"
  mkdir -p "$TMP/runs"
  cp "$DOCS/doc-001.json" "$TMP/runs/"
  truncate -s 1G "$TMP/runs/huge.json"
  local rss
  rss="$(peak_rss_kib "$GPUVAL" compare "$TMP/good.json" "$TMP/runs/huge.json")"
  [ "$(cat "$TMP/cmd.rc")" -eq 2 ]
  grep -q "huge.json: the file (1073741824 bytes) is larger than the 16 MiB a run document may have" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 65536)" ]
  rss="$(peak_rss_kib "$GPUVAL" report "$TMP/runs" --md "$TMP/report.md")"
  [ "$(cat "$TMP/cmd.rc")" -eq 0 ]
  grep -q "huge.json: the file (1073741824 bytes) is larger than the 16 MiB" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 65536)" ]
  rss="$(peak_rss_kib "$GPUVAL" history add --history "$TMP/h" "$TMP/runs")"
  [ "$(cat "$TMP/cmd.rc")" -eq 2 ]
  grep -q "1 filed, 0 already in the history, 1 not filed" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 65536)" ]
}

@test "the largest environment values Linux passes: validate completes, document valid" {
  # A single environment string is at most 128 KiB (MAX_ARG_STRLEN): a 10 MB value cannot
  # reach gpuval at all (the kernel refuses the exec).
  local ten_mb
  ten_mb="$(head -c 10000000 /dev/zero | tr '\0' '0')"
  run env NVIDIA_VISIBLE_DEVICES="$ten_mb" true
  [ "$status" -ne 0 ]
  local devices caps cuda rss
  devices="$(python3 -c 'print(",".join(str(i % 1000) for i in range(30000))[:131000])')"
  caps="$(python3 -c 'print(("compute,utility,bogus," * 7000)[:131000])')"
  cuda="$(python3 -c 'print(("GPU-" + "a" * 130000))')"
  rss="$(NVIDIA_VISIBLE_DEVICES="$devices" NVIDIA_DRIVER_CAPABILITIES="$caps" \
    CUDA_VISIBLE_DEVICES="$cuda" peak_rss_kib "$GPUVAL" validate --out "$TMP/doc.json")"
  [ "$(cat "$TMP/cmd.rc")" -eq 3 ]
  $VALIDATE "$TMP/doc.json"
  [ "$rss" -lt "$(budget_kib 131072)" ]
  # Messages and metrics quote the values cut short: the document stays about the values' size
  # (each is recorded whole once, under environment.nvidia_env).
  [ "$(stat -c %s "$TMP/doc.json")" -lt 600000 ]
}

# many_links SRC DIR N: N directory entries DIR/<part>/nNNNNNN.json, hard links to copies of SRC
# (little data; a file has at most 65,000 links on ext4).
many_links() {
  python3 -c '
import os, shutil, sys
src, top, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    if i < 4:
        os.makedirs(f"{top}/{i}", exist_ok=True)
        shutil.copy(src, f"{top}/{i}/n{i:06}.json")
    else:
        os.link(f"{top}/{i % 4}/n{i % 4:06}.json", f"{top}/{i % 4}/n{i:06}.json")
' "$@"
}

@test "100,000 files in a folder: report, history add and check keep memory bounded" {
  # A small run document and a small other JSON file (host facts), compact.
  python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
doc["checks"] = doc["checks"][:2]
doc["benchmarks"] = doc["benchmarks"][:1]
json.dump(doc, open(sys.argv[2] + "/small.json", "w"), separators=(",", ":"))
json.dump({"schema": "gpuval.host-facts/1"}, open(sys.argv[2] + "/facts.json", "w"))
' "$DOCS/doc-000.json" "$TMP"
  many_links "$TMP/small.json" "$TMP/runs" 100000
  local rss
  # The report reads every file: 100,000 summaries (one run, 99,999 listed as its duplicates).
  rss="$(peak_rss_kib "$GPUVAL" report "$TMP/runs" --md "$TMP/report.md")"
  [ "$(cat "$TMP/cmd.rc")" -eq 0 ]
  grep -q "1 run, 1 GPU model.*99999 bad files" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 393216)" ]
  # history add holds one batch of documents at a time (32 files, fewer once they hold 16 MiB).
  many_links "$TMP/facts.json" "$TMP/in" 100000
  cp "$DOCS/doc-001.json" "$DOCS/doc-002.json" "$TMP/in/0/"
  rss="$(peak_rss_kib "$GPUVAL" history add --history "$TMP/h" "$TMP/in")"
  [ "$(cat "$TMP/cmd.rc")" -eq 0 ]
  grep -q "2 filed, 0 already in the history, 0 not filed" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 131072)" ]
  # A history night of 100,000 documents: the baseline reads the first 32 and says so.
  local night
  night="$(dirname "$(find "$TMP/h" -name run-001.json)")"
  many_links "$night/run-001.json" "$night/many" 100000
  find "$night/many" -name '*.json' -exec mv -t "$night" {} +
  # Copied in by hand, so not in the history index: without it the check reads the folders.
  rm -f "$TMP/h"/_index.sqlite*
  rss="$(peak_rss_kib "$GPUVAL" history check --history "$TMP/h" "$DOCS/doc-027.json")"
  [ "$(cat "$TMP/cmd.rc")" -eq 0 ]
  grep -q "holds 100001 documents of host .* only the first 32 are read" "$TMP/cmd.out"
  [ "$rss" -lt "$(budget_kib 131072)" ]
}
