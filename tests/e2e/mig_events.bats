#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031  # bats' run sets $output in each test's own subshell
# End-to-end: MIG slices, NVML events during the run and the cold-start child, through the built
# gpuval with the fake NVML (LD_LIBRARY_PATH) and fixture sysroots. No GPU: CUDA is not usable
# here, so the verdicts are no-gpu; what is checked is what reaches the document.

setup() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  TMP="$(mktemp -d)"
  VALIDATE="python3 $GPUVAL_SOURCE_DIR/scripts/validate_run_document.py"
}

teardown() { rm -rf "$TMP"; }

jq_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
check_of() { jq_py "$1" "[c for c in d['checks'] if c['id'] == '$2'][0]$3"; }

need_fake() {
  [ -n "${GPUVAL_FAKE_NVML_DIR:-}" ] || skip "GPUVAL_FAKE_NVML_DIR not set (run through ctest)"
}

# One H100 as the fake NVML describes it; $1: extra top-level JSON members, $2: extra device ones.
fake_nvml() {
  cat >"$TMP/nvml.json" <<JSON
{"driver_version": "570.86.15", "nvml_version": "12.570.86.15", "cuda_driver_version": 12080,
 $1
 "devices": [{"uuid": "GPU-8f6c0b5e-1d2a-4c3b-9e7f-0a1b2c3d4e5f", "name": "NVIDIA H100 80GB HBM3",
              "pci_bus_id": "00000000:18:00.0", "cc": [9, 0], "cores": 16896,
              "memory": {"total": 85520809984, "free": 85000000000, "used": 520809984},
              "bus_width": 5120, "max_mem_clock": 2619, "max_sm_clock": 1980, "sm_clock": 345,
              "persistence": 1, "reasons": 1, "mig": {"current": 0, "pending": 0},
              $2
              "event_types": 11}]}
JSON
}

with_fake() {
  run env LD_LIBRARY_PATH="$GPUVAL_FAKE_NVML_DIR" GPUVAL_FAKE_NVML_CONFIG="$TMP/nvml.json" "$@"
}

@test "an Xid 79 during the run is in the document with its time, GPU and meaning, and fails gpu-events" {
  need_fake
  fake_nvml '"events": [{"wait": 1, "device": 0, "type": "xid", "data": 79}],' ''
  with_fake "$GPUVAL" validate --out "$TMP/doc.json" --no-color
  [ "$status" -eq 3 ]  # no usable GPU here: the verdict stays no-gpu
  [[ "$output" == *"gpu-events"* ]]
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["watched"]')" = "True" ]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["gpus"][0]["registered"]')" = "['xid', 'dbe', 'sbe']" ]
  [ "$(jq_py "$TMP/doc.json" 'len(d["events"]["list"])')" = "1" ]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["list"][0]["xid"]')" = "79" ]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["list"][0]["severity"]')" = "FAIL" ]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["list"][0]["category"]')" = "bus" ]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["list"][0]["uuid"]')" = "GPU-8f6c0b5e-1d2a-4c3b-9e7f-0a1b2c3d4e5f" ]
  [[ "$(jq_py "$TMP/doc.json" 'd["events"]["list"][0]["time"]')" == 20*Z ]]
  [ "$(check_of "$TMP/doc.json" gpu-events '["status"]')" = "FAIL" ]
  [[ "$(check_of "$TMP/doc.json" gpu-events '["message"]')" == *"Xid 79: GPU has fallen off the bus"* ]]
  [ -n "$(check_of "$TMP/doc.json" gpu-events '["hint"]')" ]
}

@test "a quiet run: every GPU watched, gpu-events passes" {
  need_fake
  fake_nvml '' ''
  with_fake "$GPUVAL" validate --json
  echo "$output" >"$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(check_of "$TMP/doc.json" gpu-events '["status"]')" = "PASS" ]
  [[ "$(check_of "$TMP/doc.json" gpu-events '["message"]')" == "1 GPU watched for xid, dbe, sbe over "*": no event" ]]
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["list"]')" = "[]" ]
}

@test "without NVML the events are not watched and gpu-events says why" {
  run "$GPUVAL" validate --json
  echo "$output" >"$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["events"]["watched"]')" = "False" ]
  [ "$(check_of "$TMP/doc.json" gpu-events '["status"]')" = "SKIP" ]
  [[ "$(check_of "$TMP/doc.json" gpu-events '["message"]')" == "NVML events not watched: NVML not usable"* ]]
}

@test "a MIG-enabled GPU: its slices, profiles and memory shares reach the document" {
  need_fake
  fake_nvml '' '"mig": {"current": 1, "pending": 1}, "minor_number": 0, "mig_max_devices": 7,
    "gpu_instance_profiles": [
      {"index": 0, "id": 19, "name": "MIG 1g.10gb", "slices": 1, "instances": 7, "sm": 16, "memory_mib": 9984},
      {"index": 2, "id": 9, "name": "MIG 3g.40gb", "slices": 3, "instances": 2, "sm": 60, "memory_mib": 40448},
      {"index": 4, "id": 0, "name": "MIG 7g.80gb", "slices": 7, "instances": 1, "sm": 132, "memory_mib": 81152}],
    "mig_devices": [
      {"uuid": "MIG-2b3c4d5e-0000-4000-8000-000000000000", "gpu_instance_id": 9, "compute_instance_id": 0,
       "attributes": {"sm": 16, "gi_slices": 1, "ci_slices": 1, "memory_mib": 9984}},
      {"uuid": "MIG-2b3c4d5e-0000-4000-8000-000000000001", "gpu_instance_id": 2, "compute_instance_id": 0,
       "attributes": {"sm": 60, "gi_slices": 3, "ci_slices": 3, "memory_mib": 40448}}],'
  with_fake "$GPUVAL" info --json
  [ "$status" -eq 0 ]
  echo "$output" >"$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" 'd["devices"][0]["mig"]["enabled"]')" = "True" ]
  [ "$(jq_py "$TMP/doc.json" '[m["profile"] for m in d["devices"][0]["mig"]["devices"]]')" = "['1g.10gb', '3g.40gb']" ]
  [ "$(jq_py "$TMP/doc.json" 'd["devices"][0]["mig"]["devices"][0]["dram_fraction"]')" = "0.125" ]
  [ "$(jq_py "$TMP/doc.json" 'd["devices"][0]["mig"]["devices"][1]["memory_slices"]')" = "4" ]
  [ "$(check_of "$TMP/doc.json" mig-devices '["status"]')" = "PASS" ]
  [[ "$(check_of "$TMP/doc.json" mig-devices '["message"]')" == *"GPU 0: MIG on, 2 MIG devices (1g.10gb, 3g.40gb)"* ]]
}

# A container with a MIG slice: the caps nodes of GPU instance 9 and its compute instance.
mig_tree() {
  local root=$TMP/root
  mkdir -p "$root/run" "$root/dev/nvidia-caps" "$root/proc/driver/nvidia-caps"
  printf 'engine="podman-4.3.1"\n' >"$root/run/.containerenv"
  printf 'config 1\nmonitor 2\ngpu0/gi9/access 84\ngpu0/gi9/ci0/access 85\n' \
    >"$root/proc/driver/nvidia-caps/mig-minors"
  printf 'Character devices:\n195 nvidia-frontend\n236 nvidia-caps\n' >"$root/proc/devices"
  for n in 84 85; do
    : >"$root/dev/nvidia-caps/nvidia-cap$n"
    echo "236:$n" >"$root/dev/nvidia-caps/nvidia-cap$n.chardev"
  done
  # The parent GPU's nodes, so a caps problem is the most fundamental one.
  for node in nvidia0:195:0 nvidiactl:195:255 nvidia-uvm:508:0; do
    : >"$root/dev/${node%%:*}"
    echo "${node#*:}" >"$root/dev/${node%%:*}.chardev"
  done
}

mig_caps_of() { # tree env...: the mig-caps result of `gpuval validate --sysroot`
  local root=$1
  shift
  run env "$@" "$GPUVAL" validate --sysroot "$root" --json
  echo "$output" >"$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
}

@test "mig-caps: the slice's capability nodes open" {
  mig_tree
  mig_caps_of "$TMP/root" NVIDIA_VISIBLE_DEVICES=MIG-2b3c4d5e-0000-4000-8000-000000000000
  [ "$(check_of "$TMP/doc.json" mig-caps '["status"]')" = "PASS" ]
  [[ "$(check_of "$TMP/doc.json" mig-caps '["message"]')" == "2 MIG capability nodes open read-only: gpu0/gi9/access, gpu0/gi9/ci0/access"* ]]
}

@test "mig-caps: EPERM on the slice's node is the cgroup failure, and the verdict says so first" {
  mig_tree
  echo EPERM >"$TMP/root/dev/nvidia-caps/nvidia-cap85.errno"
  mig_caps_of "$TMP/root" NVIDIA_VISIBLE_DEVICES=MIG-2b3c4d5e-0000-4000-8000-000000000000
  [ "$(check_of "$TMP/doc.json" mig-caps '["status"]')" = "FAIL" ]
  [[ "$(check_of "$TMP/doc.json" mig-caps '["message"]')" == *"nvidia-cap85 (gpu0/gi9/ci0/access) (EPERM)"* ]]
  [[ "$(check_of "$TMP/doc.json" mig-caps '["hint"]')" == *"nvidia-caps major"* ]]
  [[ "$(jq_py "$TMP/doc.json" 'd["verdict"]["cause"]')" == *"nvidia-cap85"* ]]
}

@test "mig-caps: a requested slice without caps nodes fails in a container" {
  mig_tree
  rm -f "$TMP"/root/dev/nvidia-caps/*
  mig_caps_of "$TMP/root" NVIDIA_VISIBLE_DEVICES=MIG-2b3c4d5e-0000-4000-8000-000000000000
  [ "$(check_of "$TMP/doc.json" mig-caps '["status"]')" = "FAIL" ]
  [[ "$(check_of "$TMP/doc.json" mig-caps '["message"]')" == "1 MIG device requested, but no MIG access node"* ]]
}

@test "__cold-start without a GPU: one JSON line naming the failed step, exit 3; a bad step is usage" {
  run "$GPUVAL" __cold-start kernel --device 0
  [ "$status" -eq 3 ]
  echo "$output" >"$TMP/line.json"
  [ "$(jq_py "$TMP/line.json" 'd["schema"]')" = "gpuval.cold-start/1" ]
  [ "$(jq_py "$TMP/line.json" 'd["ok"]')" = "False" ]
  [ "$(jq_py "$TMP/line.json" 'd["error"]["step"]')" = "cuinit" ]
  [ "$(jq_py "$TMP/line.json" '"dlopen_libcuda" in d["timings_ms"]')" = "True" ]
  run "$GPUVAL" __cold-start warp
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown step 'warp'"* ]]
  run "$GPUVAL" --help
  [[ "$output" != *"__cold-start"* ]]
}

@test "the no-GPU document lists the cold-start benchmarks as lower-is-better SKIPs" {
  run "$GPUVAL" bench --json --filter cold-start
  echo "$output" >"$TMP/doc.json"
  $VALIDATE "$TMP/doc.json"
  [ "$(jq_py "$TMP/doc.json" '[b["id"] for b in d["benchmarks"]]')" = "['cold-start-cuinit', 'cold-start-context', 'cold-start-kernel', 'cold-start-cublas', 'cold-start-cudnn']" ]
  [ "$(jq_py "$TMP/doc.json" 'set(b["unit"] for b in d["benchmarks"])')" = "{'ms'}" ]
  [ "$(jq_py "$TMP/doc.json" 'set(b["higher_is_better"] for b in d["benchmarks"])')" = "{False}" ]
  [ "$(jq_py "$TMP/doc.json" 'set(b["status"] for b in d["benchmarks"])')" = "{'SKIP'}" ]
}
