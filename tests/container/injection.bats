#!/usr/bin/env bats
# How the GPU gets (or does not get) into the container: no request, Podman 4's ignored --gpus,
# and CDI specs whose device nodes reproduce real failures with no GPU (DESIGN §7):
# permissions "r" -> EPERM (cgroup device rule), "rw" -> ENXIO (no driver behind the node),
# fileMode 0600 owned by root + --user 1000 -> EACCES.

load helpers

CDI_SPEC=/etc/cdi/gpuval-test.yaml

# The hint gpuval gives on Podman when nothing was injected (verdict and injection check).
injection_hints() {
  echo "$(doc verdict.hint) | $(doc 'checks[injection].hint') | $(doc 'checks[device-nodes].hint')"
}

assert_no_injection() {
  assert_no_gpu
  assert_doc environment.engine podman
  assert_doc environment.injection none
  assert_check injection FAIL
  assert_check device-nodes FAIL 'inject'
  hints=$(injection_hints)
  grep -q -- '--device nvidia.com/gpu=all' <<<"$hints" ||
    fail_with "hints do not name --device nvidia.com/gpu=all: $hints"
  grep -Eqi -- 'podman ?(<|older than|before) ?5.*--gpus|--gpus.*podman ?(<|older than|before) ?5' \
    <<<"$hints" || fail_with "hints do not say podman < 5 ignores --gpus: $hints"
}

@test "no GPU flags: no-gpu, exit 3, device nodes missing because nothing was injected" {
  gpuval_container
  assert_no_injection
}

@test "--gpus all on Podman 4 is accepted and ignored: same outcome, hint names the CDI flag" {
  gpuval_container --gpus all
  assert_no_injection
}

# cdi_node INDENT PATH MAJOR MINOR: one deviceNodes entry, with $perm and $mode of write_cdi_spec.
cdi_node() {
  local pad=$1
  printf '%s- path: %s\n%s  type: c\n%s  major: %s\n%s  minor: %s\n%s  permissions: "%s"\n' \
    "$pad" "$2" "$pad" "$pad" "$3" "$pad" "$4" "$pad" "$perm"
  if [ -n "$mode" ]; then
    printf '%s  fileMode: %s\n%s  uid: 0\n%s  gid: 0\n' "$pad" "$mode" "$pad" "$pad"
  fi
}

# write_cdi_spec PERMISSIONS [FILEMODE]: a CDI spec shaped like nvidia-ctk's (kind nvidia.com/gpu,
# device "0"; control and UVM nodes for every device), the nodes with these cgroup permissions
# and, when given, this file mode owned by root. Char major 511 is unassigned on CI machines.
write_cdi_spec() {
  local perm=$1 mode=${2:-}
  mkdir -p /etc/cdi
  {
    echo "# Written by gpuval's tests/container/injection.bats; removed after each test."
    echo 'cdiVersion: "0.5.0"'
    echo 'kind: nvidia.com/gpu'
    echo 'devices:'
    echo '- name: "0"'
    echo '  containerEdits:'
    echo '    deviceNodes:'
    cdi_node '    ' /dev/nvidia0 195 0
    echo 'containerEdits:'
    echo '  env:'
    echo '  - NVIDIA_VISIBLE_DEVICES=void'
    echo '  - NVIDIA_CTK_LIBCUDA_DIR=/usr/lib/x86_64-linux-gnu'
    echo '  deviceNodes:'
    cdi_node '  ' /dev/nvidiactl 195 255
    cdi_node '  ' /dev/nvidia-uvm 511 0
  } >"$CDI_SPEC"
}

cdi_setup() {
  [ "$(id -u)" -eq 0 ] || skip "writing $CDI_SPEC needs root"
  local other
  other=$(grep -ls '^kind: *"\?nvidia.com/gpu' /etc/cdi/*.yaml /etc/cdi/*.json \
    /var/run/cdi/*.yaml /var/run/cdi/*.json 2>/dev/null | grep -v "^$CDI_SPEC\$" || true)
  [ -z "$other" ] || skip "a real nvidia.com/gpu CDI spec is installed ($other): not overriding it"
}

teardown() {
  rm -f "$CDI_SPEC"
  rm -rf "$RESULTS"
}

assert_cdi_injected() {
  assert_doc environment.injection cdi
  assert_check injection PASS 'cdi'
  assert_check device-nodes PASS
  # nvidia-ctk's spec sets NVIDIA_VISIBLE_DEVICES=void so the legacy hook stays out: normal.
  assert_check nvidia-visible-devices PASS 'cdi'
}

@test "CDI node with cgroup permission r: open(O_RDWR) fails with EPERM, hint names cgroup rules" {
  cdi_setup
  write_cdi_spec r
  gpuval_container --device nvidia.com/gpu=0
  assert_no_gpu
  assert_cdi_injected
  assert_check device-access FAIL 'EPERM'
  assert_doc_matches 'checks[device-access].hint' 'cgroup|daemon-reload'
  assert_doc_matches verdict.cause 'EPERM|permission|cgroup'
}

@test "CDI node with permissions rw but no driver: ENXIO, hint names the driver / stale spec" {
  cdi_setup
  write_cdi_spec rw
  gpuval_container --device nvidia.com/gpu=0
  assert_no_gpu
  assert_cdi_injected
  assert_check device-access FAIL 'ENXIO'
  assert_doc_matches 'checks[device-access].hint' 'driver|spec|nvidia-modprobe'
}

@test "CDI node mode 0600 owned by root, run as uid 1000: EACCES, hint names permissions/SELinux" {
  cdi_setup
  write_cdi_spec rw 0600
  gpuval_container --device nvidia.com/gpu=0 --user 1000
  assert_no_gpu
  assert_cdi_injected
  assert_check device-access FAIL 'EACCES'
  assert_doc_matches 'checks[device-access].hint' 'permission|mode|label=disable|container_use_devices'
}
