# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034: used by the .bats files; SC2154: status and output are set by bats' run)
# Shared by the container scenario tests (bats, run by run_scenarios.sh): run the gpuval image
# under Podman with a scenario's flags, then check the exit code and the run document it left in
# a mounted /results. Scenarios assert check ids and behaviours of DESIGN §4.

IMAGE=${GPUVAL_IMAGE:-localhost/gpuval-test:latest}
SOURCE_DIR=${GPUVAL_SOURCE_DIR:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
DOCQ="$BATS_TEST_DIRNAME/docq.py"
# DESIGN §7: a --ulimit flag replaces containers.conf's default nofile/nproc, and raising them is
# not permitted on CI machines, so every --ulimit comes with these two.
ULIMIT_DEFAULTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

setup() {
  RESULTS=$(mktemp -d "${BATS_TMPDIR:-/tmp}/gpuval-results.XXXXXX")
  chmod 0777 "$RESULTS"  # writable by the image's user, uid 1000
  DOC=
}

teardown() {
  rm -rf "$RESULTS"
}

# gpuval_container [podman run flags...] [-- gpuval arguments...]
# Runs the image with $RESULTS mounted at /results; sets bats' $status and $output, and $DOC to
# the run document found in $RESULTS ("" when none).
gpuval_container() {
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    flags+=("$1")
    shift
  done
  [ $# -eq 0 ] || shift
  run podman run --rm --network=none -v "$RESULTS:/results:Z" "${flags[@]}" "$IMAGE" "$@"
  DOC=$(find "$RESULTS" -maxdepth 1 -name '*.json' | head -n 1)
  echo "# podman run ${flags[*]} $IMAGE $* -> exit $status" >&3
}

# Fails with what was expected and what came instead (bats shows it with the output).
fail_with() {
  echo "FAILED: $*" >&2
  echo "--- container output ---" >&2
  echo "$output" >&2
  return 1
}

assert_exit() {  # expected exit code of the last gpuval_container
  [ "$status" -eq "$1" ] || fail_with "exit code $status, expected $1"
}

# The run document is there, complete, and valid against results/run.schema.json.
assert_document() {
  [ -n "$DOC" ] || fail_with "no run document in the mounted /results"
  [ "$(find "$RESULTS" -maxdepth 1 -name '*.json' | wc -l)" -eq 1 ] ||
    fail_with "more than one document in /results: $(ls "$RESULTS")"
  python3 "$SOURCE_DIR/scripts/validate_run_document.py" "$DOC" ||
    fail_with "$DOC is not a valid run document"
}

doc() {  # doc PATH: a value of the run document (see docq.py)
  python3 "$DOCQ" "$DOC" "$1"
}

assert_doc() {  # assert_doc PATH EXPECTED
  local value
  value=$(doc "$1") || fail_with "run document has no $1"
  [ "$value" = "$2" ] || fail_with "$1 is '$value', expected '$2'"
}

assert_doc_matches() {  # assert_doc_matches PATH ERE (case-insensitive)
  local value
  value=$(doc "$1") || fail_with "run document has no $1"
  grep -Eqi -- "$2" <<<"$value" || fail_with "$1 is '$value', expected it to match /$2/"
}

# assert_check ID STATUS [ERE]: the check's status, and (optional) its message + hint match ERE.
assert_check() {
  local status_value text
  status_value=$(doc "checks[$1].status") || fail_with "no check $1 in the run document"
  if [ "$(doc "checks[$1].message")" = "not implemented yet" ]; then
    fail_with "check $1 is still a stub (not implemented yet)"
  fi
  [ "$status_value" = "$2" ] ||
    fail_with "check $1 is $status_value, expected $2: $(doc "checks[$1].message")"
  if [ $# -ge 3 ]; then
    text="$(doc "checks[$1].message") | $(doc "checks[$1].hint")"
    grep -Eqi -- "$3" <<<"$text" || fail_with "check $1 says '$text', expected /$3/"
  fi
}

# The outcome of every run without a usable GPU: verdict no-gpu, exit 3, a valid document.
assert_no_gpu() {
  assert_exit 3
  assert_document
  assert_doc verdict.status no-gpu
  assert_doc verdict.exit_code 3
}
