#!/usr/bin/env bats
# End-to-end: `gpuval compare A B` on the fixture documents in tests/fixtures/compare (synthetic
# GPU runs, and no-GPU runs recorded with `gpuval validate --sysroot`). GPUVAL and
# GPUVAL_SOURCE_DIR come from CTest.

setup() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  FIX="$GPUVAL_SOURCE_DIR/tests/fixtures/compare"
  TMP="$(mktemp -d)"
}

teardown() { rm -rf "$TMP"; }

json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

@test "identical runs: every benchmark the same, exit 0" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/baseline.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"no regression: benchmarks 4 same"* ]]
  [[ "$output" == *"Environment: no differences"* ]]
  [[ "$output" != *"worse"* ]]
}

@test "container with the same performance: environment differences listed first, exit 0" {
  run "$GPUVAL" compare --no-color "$FIX/baseline.json" "$FIX/container_same.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"environment.mode"*"baremetal"*"container"* ]]
  [[ "$output" == *"environment.engine"*"none"*"podman"* ]]
  [[ "$output" == *"Benchmarks: 4 same"* ]]
}

@test "5 % slower triad with tight repetitions: worse, exit 1" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/container_slower.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"REGRESSION: 1 benchmark worse"* ]]
  [[ "$output" == *"worse"*"stream-triad gpu0 bytes=4294967296"*"0.950x"* ]]
  [[ "$output" == *"added"*"memcpy-h2d"* ]]
  [[ "$output" == *"Regressions (exit 1):"* ]]
}

@test "a larger --min-effect turns the 5 % loss into 'same', exit 0" {
  run "$GPUVAL" compare --min-effect 0.1 "$FIX/baseline.json" "$FIX/container_slower.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"minimum effect 10 %"* ]]
}

@test "noisy 1 % difference: same, exit 0; a removed benchmark is listed" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/noisy.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"same"*"stream-triad"* ]]
  [[ "$output" == *"removed"*"launch-latency"* ]]
}

@test "a check that went PASS -> FAIL: regression with its hint, exit 1" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/check_fail.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"REGRESSION: 1 check went to FAIL"* ]]
  [[ "$output" == *"device-access"*"PASS -> FAIL"*"EPERM"* ]]
  [[ "$output" == *"hint: the cgroup device rule was lost"* ]]
}

@test "neither run had a GPU (recorded documents): said plainly at the top, exit 0" {
  run "$GPUVAL" compare "$FIX/recorded_nogpu_host.json" "$FIX/recorded_nogpu_host.json"
  [ "$status" -eq 0 ]
  [ "${lines[1]}" = "neither run had a usable GPU: nothing to compare" ]
}

@test "neither run had a GPU but a check regressed: exit 1" {
  run "$GPUVAL" compare "$FIX/recorded_nogpu_host.json" "$FIX/recorded_nogpu_container.json"
  [ "$status" -eq 1 ]
  [[ "${lines[1]}" == "neither run had a usable GPU: nothing to compare; REGRESSION"* ]]
  [[ "$output" == *"nvidia-visible-devices"*"SKIP -> FAIL"* ]]
}

@test "--json: a gpuval.compare/1 document with verdicts and the exit code" {
  run "$GPUVAL" compare --json "$FIX/baseline.json" "$FIX/container_slower.json"
  [ "$status" -eq 1 ]
  echo "$output" > "$TMP/cmp.json"
  [ "$(json_get "$TMP/cmp.json" 'd["schema"]')" = "gpuval.compare/1" ]
  [ "$(json_get "$TMP/cmp.json" 'd["exit_code"]')" = "1" ]
  [ "$(json_get "$TMP/cmp.json" 'd["benchmarks"][0]["verdict"]')" = "worse" ]
  [ "$(json_get "$TMP/cmp.json" 'd["summary"]["benchmarks"]["added"]')" = "1" ]
}

@test "--md: Markdown tables, no ANSI escapes" {
  run "$GPUVAL" compare --md "$FIX/baseline.json" "$FIX/check_fail.json"
  [ "$status" -eq 1 ]
  [[ "$output" == *"## gpuval compare"* ]]
  [[ "$output" == *"| \`device-access\` | PASS | FAIL | regressed |"* ]]
  [[ "$output" != *$'\033'* ]]
}

@test "no colour when stdout is not a TTY or NO_COLOR is set" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/container_slower.json"
  [[ "$output" != *$'\033'* ]]
  NO_COLOR=1 run script -qec "$GPUVAL compare $FIX/baseline.json $FIX/container_slower.json" /dev/null
  [[ "$output" != *$'\033'* ]]
}

@test "colour on a TTY" {
  command -v script >/dev/null || skip "script(1) not installed"
  run env -u NO_COLOR TERM=xterm script -qec "$GPUVAL compare $FIX/baseline.json $FIX/container_slower.json" /dev/null
  [[ "$output" == *$'\033[31m'* ]]
}

@test "bad inputs: exit 2 with a message naming the file" {
  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/does-not-exist.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"does-not-exist.json: cannot open: No such file or directory"* ]]

  run "$GPUVAL" compare "$FIX/malformed.json" "$FIX/baseline.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"malformed.json: malformed JSON at byte"* ]]

  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/truncated.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"truncated.json: truncated JSON at byte"* ]]

  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/schema_v2.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"schema_v2.json: schema \"gpuval.run/2\" has major version 2"* ]]

  run "$GPUVAL" compare "$FIX/missing_checks.json" "$FIX/baseline.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"missing_checks.json: missing required field \"checks\""* ]]

  run "$GPUVAL" compare "$FIX/baseline.json" "$FIX/bad_sample.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"bad_sample.json: benchmarks[0].samples[3] must be a number"* ]]
}

@test "usage errors exit 2; --help documents the options, verdicts and exit codes" {
  run "$GPUVAL" compare "$FIX/baseline.json"
  [ "$status" -eq 2 ]
  run "$GPUVAL" compare --alpha 2 "$FIX/baseline.json" "$FIX/baseline.json"
  [ "$status" -eq 2 ]
  run "$GPUVAL" compare --md --json "$FIX/baseline.json" "$FIX/baseline.json"
  [ "$status" -eq 2 ]
  run "$GPUVAL" compare --help
  [ "$status" -eq 0 ]
  for word in --alpha --min-effect --huge-effect --md --json --no-color inconclusive "Exit codes"; do
    [[ "$output" == *"$word"* ]]
  done
}
