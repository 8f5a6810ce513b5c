#!/usr/bin/env bats
# Resource limits and privileges the container runs with: each is reported, and known traps
# warn with the flag that fixes them (DESIGN §4 "limits"). Still no GPU: every run is exit 3.

load helpers

@test "--privileged as root in the container: WARN (insecure), recorded in the environment" {
  gpuval_container --privileged --user 0
  assert_no_gpu
  assert_check privileged WARN 'privileged'
  assert_doc environment.privileged true
}

# The image's own user is uid 1000, whose effective capability set is empty even when the
# container is privileged: the bounding set, host devices and writable /sys still give it away.
@test "--privileged with the image's non-root user: still detected (WARN)" {
  gpuval_container --privileged
  assert_no_gpu
  assert_check privileged WARN 'privileged'
  assert_doc_matches 'checks[privileged].hint' '--privileged|--device'
  assert_doc environment.privileged true
  assert_doc environment.engine podman
}

@test "not privileged (default): privileged PASS" {
  gpuval_container
  assert_no_gpu
  assert_check privileged PASS
  assert_doc environment.privileged false
}

@test "--shm-size=16m: /dev/shm below 1 GiB warns with --shm-size" {
  gpuval_container --shm-size=16m
  assert_no_gpu
  assert_check shm WARN '--shm-size'
  assert_doc_matches 'checks[shm].message' '16 ?MiB|16777216'
}

@test "--shm-size=1g: /dev/shm large enough, PASS" {
  gpuval_container --shm-size=1g
  assert_no_gpu
  assert_check shm PASS
}

@test "--memory=256m --cpus=1: the cgroup limits are reported" {
  gpuval_container --memory=256m --cpus=1
  assert_no_gpu
  status_memory=$(doc 'checks[cgroup-memory].status')
  [[ "$status_memory" =~ ^(PASS|WARN)$ ]] || fail_with "cgroup-memory is $status_memory"
  assert_doc_matches 'checks[cgroup-memory].message' '256 ?MiB|268435456'
  status_cpu=$(doc 'checks[cgroup-cpu].status')
  [[ "$status_cpu" =~ ^(PASS|WARN)$ ]] || fail_with "cgroup-cpu is $status_cpu"
  assert_doc_matches 'checks[cgroup-cpu].message' '(^|[^0-9.])1(\.0+)? ?(cpu|core)'
}

@test "no --memory/--cpus: the limits are reported as unlimited" {
  gpuval_container
  assert_no_gpu
  assert_doc_matches 'checks[cgroup-memory].message' 'no limit|unlimited|not limited'
  assert_doc_matches 'checks[cgroup-cpu].message' 'no limit|unlimited|not limited'
}

@test "--ulimit memlock=4 MiB (nofile/nproc passed again): WARN with --ulimit memlock=-1" {
  gpuval_container "${ULIMIT_DEFAULTS[@]}" --ulimit memlock=4194304:4194304
  assert_no_gpu
  assert_check memlock WARN '--ulimit memlock=-1'
  assert_doc_matches 'checks[memlock].message' '4 ?MiB|4194304'
}

@test "--user 1000: runs, not rootless, the document belongs to uid 1000" {
  gpuval_container --user 1000
  assert_no_gpu
  assert_check user-namespace PASS
  assert_doc environment.rootless false
  [ "$(stat -c %u "$DOC")" -eq 1000 ] || fail_with "document owned by uid $(stat -c %u "$DOC")"
}

@test "--user 0 (root in the container): runs the same, document belongs to root" {
  gpuval_container --user 0
  assert_no_gpu
  [ "$(stat -c %u "$DOC")" -eq 0 ] || fail_with "document owned by uid $(stat -c %u "$DOC")"
}
