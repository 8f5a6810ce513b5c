#!/usr/bin/env bats
# Multi-GPU and multi-node readiness inside the container (the cluster checks and the NCCL
# benchmarks): without RDMA hardware, NVLink or IMEX everything SKIPs, never warns; verbs and
# IMEX nodes injected by a CDI spec reproduce the real failures with no NIC (DESIGN §7):
# permissions "r" -> EPERM (cgroup device rule), "rw" -> ENXIO (no driver behind the node),
# fileMode 0600 owned by root + --user 1000 -> EACCES. The spec's kind is this file's own, so it
# never meets nvidia.com/gpu specs (injection.bats) or other tests' devices.

load helpers

CDI_SPEC=/etc/cdi/gpuval-wt12-cluster.yaml
CDI_KIND=gpuval-wt12.test/cluster

teardown() {
  rm -f "$CDI_SPEC"
  rm -rf "$RESULTS"
}

cdi_setup() {
  [ "$(id -u)" -eq 0 ] || skip "writing $CDI_SPEC needs root"
}

# write_cdi_spec NAME PATH MAJOR MINOR PERMISSIONS [FILEMODE]: one device NAME of kind $CDI_KIND
# with one char node; with FILEMODE, owned by root with that mode. Char major 231 is
# infiniband_verbs (minor 192 + N is uverbsN): no driver serves it on a machine without RDMA.
write_cdi_spec() {
  local name=$1 path=$2 major=$3 minor=$4 perm=$5 mode=${6:-}
  mkdir -p /etc/cdi
  {
    echo "# Written by gpuval's tests/container/cluster.bats; removed after each test."
    echo 'cdiVersion: "0.5.0"'
    echo "kind: $CDI_KIND"
    echo 'devices:'
    echo "- name: \"$name\""
    echo '  containerEdits:'
    echo '    deviceNodes:'
    echo "    - path: $path"
    echo '      type: c'
    echo "      major: $major"
    echo "      minor: $minor"
    echo "      permissions: \"$perm\""
    if [ -n "$mode" ]; then
      echo "      fileMode: $mode"
      echo '      uid: 0'
      echo '      gid: 0'
    fi
  } >"$CDI_SPEC"
}

@test "no RDMA, NVLink, fabric or IMEX here: the cluster checks SKIP with their reason, never WARN" {
  gpuval_container
  assert_no_gpu
  assert_check gpudirect-rdma SKIP 'no RDMA devices'
  assert_check imex SKIP 'IMEX'
  assert_check nvlink SKIP
  assert_check fabric SKIP
  [ "$(doc 'checks[gpudirect-rdma].group')" = cluster ] || fail_with "gpudirect-rdma not in group cluster"
}

@test "the NCCL collectives are in the run document: group nccl, SKIP without a GPU" {
  gpuval_container
  assert_no_gpu
  py_out=$(python3 - "$DOC" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
nccl = [b for b in doc["benchmarks"] if b.get("group") == "nccl"]
ids = sorted({b["id"] for b in nccl})
assert ids == ["nccl-all-gather", "nccl-all-reduce", "nccl-reduce-scatter"], ids
assert {b["params"]["pass"] for b in nccl} == {"default", "no-p2p"}, nccl
assert all(b["status"] == "SKIP" for b in nccl), nccl
print(len(nccl))
PY
  ) || fail_with "nccl entries: $py_out"
  [ "$py_out" -eq 6 ] || fail_with "expected 6 nccl entries, got $py_out"
}

@test "CDI verbs node with cgroup permission r: open(O_RDWR) EPERM, gpudirect-rdma FAILs naming the cgroup" {
  cdi_setup
  write_cdi_spec uverbs0 /dev/infiniband/uverbs0 231 192 r
  gpuval_container --device "$CDI_KIND=uverbs0"
  assert_no_gpu
  assert_check gpudirect-rdma FAIL 'EPERM'
  assert_doc_matches 'checks[gpudirect-rdma].message' 'uverbs0.*device cgroup'
  assert_doc_matches 'checks[gpudirect-rdma].hint' '--device /dev/infiniband|CDI'
  assert_doc 'checks[gpudirect-rdma].metrics.uverbs./dev/infiniband/uverbs0.open' EPERM
}

@test "CDI verbs node with permissions rw but no NIC driver: ENXIO, the hint names ib_uverbs" {
  cdi_setup
  write_cdi_spec uverbs0 /dev/infiniband/uverbs0 231 192 rw
  gpuval_container --device "$CDI_KIND=uverbs0"
  assert_no_gpu
  assert_check gpudirect-rdma FAIL 'ENXIO|no driver'
  assert_doc_matches 'checks[gpudirect-rdma].hint' 'ib_uverbs'
}

@test "CDI verbs node mode 0600 owned by root, run as uid 1000: EACCES, the hint names mode/SELinux" {
  cdi_setup
  write_cdi_spec uverbs0 /dev/infiniband/uverbs0 231 192 rw 0600
  gpuval_container --device "$CDI_KIND=uverbs0" --user 1000
  assert_no_gpu
  assert_check gpudirect-rdma FAIL 'EACCES'
  assert_doc_matches 'checks[gpudirect-rdma].hint' 'SELinux|mode'
}

@test "NVIDIA_IMEX_CHANNELS=0 without a channel node or an IMEX driver: imex FAILs with how to get one" {
  gpuval_container -e NVIDIA_IMEX_CHANNELS=0
  assert_no_gpu
  assert_check imex FAIL 'channel 0 requested|exposes no IMEX'
  assert_doc_matches 'checks[imex].hint' 'nvidia.com/imex-channel|R550'
}

@test "CDI IMEX channel with cgroup permission w only: the read-only open is denied (EPERM)" {
  cdi_setup
  write_cdi_spec channel0 /dev/nvidia-caps-imex-channels/channel0 511 0 w
  gpuval_container --device "$CDI_KIND=channel0"
  assert_no_gpu
  assert_check imex FAIL 'EPERM'
  assert_doc_matches 'checks[imex].hint' 'device cgroup'
}
