#!/usr/bin/env bats
# End-to-end: the built gpuval binary on this machine (no GPU) and on fixture sysroots.
# GPUVAL and GPUVAL_SOURCE_DIR come from CTest.

setup() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  TMP="$(mktemp -d)"
  VALIDATE="python3 $GPUVAL_SOURCE_DIR/scripts/validate_run_document.py"
}

teardown() { rm -rf "$TMP"; }

jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

@test "validate --json on a machine without a GPU: valid document, no-gpu verdict with cause and hint, exit 3" {
  run "$GPUVAL" validate --json
  [ "$status" -eq 3 ]
  echo "$output" > "$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["verdict"]["status"]')" = "no-gpu" ]
  [ "$(jq_py "$TMP/doc.json" 'd["verdict"]["exit_code"]')" = "3" ]
  [ -n "$(jq_py "$TMP/doc.json" 'd["verdict"]["cause"]')" ]
  [ -n "$(jq_py "$TMP/doc.json" 'd["verdict"]["hint"]')" ]
  [ "$(jq_py "$TMP/doc.json" 'd["schema"]')" = "gpuval.run/1" ]
  [ "$(jq_py "$TMP/doc.json" 'd["run"]["command"]')" = "validate" ]
}

@test "run --out writes the same valid document atomically and prints the table" {
  run "$GPUVAL" run --out "$TMP/run.json" --no-color
  [ "$status" -eq 3 ]
  [[ "$output" == *"verdict: no-gpu"* ]]
  [[ "$output" == *"run document: $TMP/run.json"* ]]
  $VALIDATE "$TMP/run.json"
  [ "$(ls -A "$TMP")" = "run.json" ]   # no temporary left behind
  [ "$(jq_py "$TMP/run.json" 'd["run"]["profile"]')" = "quick" ]
}

@test "--junit writes XML a CI server can parse, one testcase per check" {
  run "$GPUVAL" validate --junit "$TMP/junit.xml" --json
  [ "$status" -eq 3 ]
  echo "$output" > "$TMP/doc.json"
  checks="$(jq_py "$TMP/doc.json" 'len(d["checks"])')"
  cases="$(python3 -c 'import sys,xml.etree.ElementTree as E; print(len(E.parse(sys.argv[1]).findall(".//testsuite[@name=\"gpuval.checks\"]/testcase")))' "$TMP/junit.xml")"
  [ "$checks" = "$cases" ]
}

@test "GPUVAL_NODE_NAME names the node in host.hostname; the container's own name is kept" {
  GPUVAL_NODE_NAME=node-17.example run "$GPUVAL" validate --json
  [ "$status" -eq 3 ]
  echo "$output" > "$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["host"]["hostname"]')" = "node-17.example" ]
  [ "$(jq_py "$TMP/doc.json" 'd["host"]["container_hostname"]')" = "$(hostname)" ]
  # Unset or empty: the machine's own name, no container_hostname.
  GPUVAL_NODE_NAME= run "$GPUVAL" validate --json
  echo "$output" > "$TMP/plain.json"
  [ "$(jq_py "$TMP/plain.json" 'd["host"]["hostname"]')" = "$(hostname)" ]
  [ "$(jq_py "$TMP/plain.json" '"container_hostname" in d["host"]')" = "False" ]
}

@test "--out /dev/null and --junit /dev/null write into the device, never replace it" {
  run "$GPUVAL" validate --out /dev/null --junit /dev/null --no-color
  [ "$status" -eq 3 ]
  [ -c /dev/null ]
}

@test "unwritable --out fails before any work with exit 2 and a clear message" {
  run "$GPUVAL" validate --out /nonexistent-dir/run.json
  [ "$status" -eq 2 ]
  [[ "$output" == *"--out /nonexistent-dir/run.json: directory /nonexistent-dir does not exist"* ]]
  run "$GPUVAL" validate --out "$TMP"
  [ "$status" -eq 2 ]
  [[ "$output" == *"is a directory"* ]]
}

@test "usage errors exit 2" {
  run "$GPUVAL" validate --no-such-flag
  [ "$status" -eq 2 ]
  [[ "$output" == *"--help"* ]]
  run "$GPUVAL"
  [ "$status" -eq 2 ]
  run "$GPUVAL" run --quick --full
  [ "$status" -eq 2 ]
  run "$GPUVAL" validate --sysroot /does/not/exist
  [ "$status" -eq 2 ]
}

@test "--help and --version exit 0 and document the exit codes" {
  run "$GPUVAL" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"3 no usable GPU"* ]]
  run "$GPUVAL" --version
  [ "$status" -eq 0 ]
}

@test "info prints the environment facts and exits 0" {
  run "$GPUVAL" info --no-color
  [ "$status" -eq 0 ]
  [[ "$output" == *"injection"* ]]
  [[ "$output" == *"CUDA runtime"* ]]
}

@test "no colour escapes when stdout is not a TTY" {
  run "$GPUVAL" validate
  [[ "$output" != *$'\033['* ]]
}

@test "podman without injection (fixture sysroot): cause names injection and the podman fix" {
  root="$TMP/root"
  mkdir -p "$root/run" "$root/proc/self" "$root/dev"
  printf 'engine="podman-4.3.1"\nrootless=0\n' > "$root/run/.containerenv"
  run env container=podman "$GPUVAL" validate --sysroot "$root" --json
  [ "$status" -eq 3 ]
  echo "$output" > "$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["environment"]["engine"]')" = "podman" ]
  [ "$(jq_py "$TMP/doc.json" 'd["environment"]["mode"]')" = "container" ]
  cause="$(jq_py "$TMP/doc.json" 'd["verdict"]["cause"] + " " + d["verdict"]["hint"]')"
  [[ "$cause" == *"nvidia.com/gpu=all"* ]]
}

@test "cgroup denies the device node (fixture sysroot): EPERM named in device-access" {
  root="$TMP/root"
  mkdir -p "$root/dev"
  : > "$root/dev/nvidia0"; echo "195:0" > "$root/dev/nvidia0.chardev"; echo EPERM > "$root/dev/nvidia0.errno"
  : > "$root/dev/nvidiactl"; echo "195:255" > "$root/dev/nvidiactl.chardev"
  : > "$root/dev/nvidia-uvm"; echo "510:0" > "$root/dev/nvidia-uvm.chardev"
  run "$GPUVAL" validate --sysroot "$root" --json
  [ "$status" -eq 3 ]
  echo "$output" > "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" '[c for c in d["checks"] if c["id"]=="device-access"][0]["status"]')" = "FAIL" ]
  [[ "$(jq_py "$TMP/doc.json" 'd["verdict"]["cause"]')" == *"cgroup"* ]]
}

@test "SIGTERM during a run still leaves a valid document (or none), never a partial one" {
  "$GPUVAL" run --out "$TMP/run.json" >/dev/null 2>&1 &
  pid=$!
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  if [ -e "$TMP/run.json" ]; then $VALIDATE "$TMP/run.json"; fi
  [ -z "$(find "$TMP" -name '.*.tmp.*')" ]
}

@test "with an NVML (fake, through the real dlopen path) the inventory and peaks reach the document and info" {
  [ -n "${GPUVAL_FAKE_NVML_DIR:-}" ] || skip "GPUVAL_FAKE_NVML_DIR not set (run through ctest)"
  cat >"$TMP/nvml.json" <<'JSON'
{"driver_version": "580.65.06", "nvml_version": "13.580.65.06", "cuda_driver_version": 13000,
 "devices": [{"uuid": "GPU-8f6c0b5e-1d2a-4c3b-9e7f-0a1b2c3d4e5f", "name": "NVIDIA H100 80GB HBM3",
              "pci_bus_id": "00000000:18:00.0", "cc": [9, 0],
              "memory": {"total": 85899345920, "free": 85000000000, "used": 899345920},
              "bus_width": 5120, "max_mem_clock": 2619, "max_sm_clock": 1980, "sm_clock": 1980,
              "persistence": 1, "pcie": {"gen": 5, "gen_max": 5, "gen_gpu_max": 5, "width": 16, "width_max": 16},
              "temperature": 35, "power_mw": 70000, "power_limit_mw": 700000}]}
JSON
  run env LD_LIBRARY_PATH="$GPUVAL_FAKE_NVML_DIR" GPUVAL_FAKE_NVML_CONFIG="$TMP/nvml.json" "$GPUVAL" info --json
  [ "$status" -eq 0 ]
  echo "$output" > "$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["devices"][0]["name"]')" = "NVIDIA H100 80GB HBM3" ]
  [ "$(jq_py "$TMP/doc.json" 'round(d["devices"][0]["peaks"]["dram_gb_s"])')" = "3352" ]
  run env LD_LIBRARY_PATH="$GPUVAL_FAKE_NVML_DIR" GPUVAL_FAKE_NVML_CONFIG="$TMP/nvml.json" "$GPUVAL" info --no-color
  [ "$status" -eq 0 ]
  [[ "$output" == *"GPU 0  NVIDIA H100 80GB HBM3"* ]]
  [[ "$output" == *"gen 5/5  x16/16"* ]]
}
