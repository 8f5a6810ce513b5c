#!/usr/bin/env bats
# Fleet runs in the real image: the Kubernetes manifests' gpuval container (command, args, env
# and user taken from the YAML by tests/support/k8s_manifests.py, run as the kubelet would) and
# the Slurm script's Podman mode (fake srun, real podman) leave valid run documents where the
# manifests and the script say: <results>/<node>/<UTC time>_<pod or job id>.json.

load helpers

MANIFESTS="$SOURCE_DIR/tests/support/k8s_manifests.py"
NAME_RE='^[0-9]{8}T[0-9]{6}Z_'

# k8s_container MANIFEST NODE POD: run MANIFEST's gpuval container with $RESULTS as its volume.
k8s_container() {
  local argv
  mapfile -d '' argv < <(python3 "$MANIFESTS" podman-argv "$SOURCE_DIR/containers/k8s/$1" \
    --image "$IMAGE" --results "$RESULTS" --node "$2" --pod "$3")
  [ "${#argv[@]}" -gt 0 ] || fail_with "no podman arguments from $1"
  run podman "${argv[@]}"
  echo "# podman ${argv[*]:0:12} ... -> exit $status" >&3
}

# assert_node_document NODE SUFFIX UID: exactly one document, in NODE's directory, named
# <UTC time>_SUFFIX.json, owned by UID, valid; sets DOC.
assert_node_document() {
  local files
  files=$(find "$RESULTS" -type f)
  if [ -z "$files" ] || [ "$(wc -l <<<"$files")" -ne 1 ]; then
    fail_with "expected one file under the results volume, found: ${files:-none}"
  fi
  DOC=$files
  [ "$(dirname "$DOC")" = "$RESULTS/$1" ] || fail_with "$DOC is not in the node's directory $1/"
  [[ "$(basename "$DOC")" =~ ${NAME_RE}$2\.json$ ]] ||
    fail_with "$(basename "$DOC") is not <UTC time>_$2.json"
  [ "$(stat -c %u "$DOC")" = "$3" ] || fail_with "$DOC is owned by uid $(stat -c %u "$DOC"), not $3"
  python3 "$SOURCE_DIR/scripts/validate_run_document.py" "$DOC" ||
    fail_with "$DOC is not a valid run document"
}

@test "CronJob: its container writes <node>/<UTC time>_<pod>.json to the volume, as uid 1000" {
  [ "$(python3 "$MANIFESTS" results-dir "$SOURCE_DIR/containers/k8s/gpuval-cronjob.yaml")" = \
    /results ] || fail_with "the CronJob does not write under /results"
  k8s_container gpuval-cronjob.yaml gpu-node-07 gpuval-nightly-29390550-3-x7k2p
  assert_exit 3
  assert_node_document gpu-node-07 gpuval-nightly-29390550-3-x7k2p 1000
  assert_doc verdict.status no-gpu
  assert_doc run.command run
  assert_doc run.profile quick
  assert_doc environment.mode container
  # The node, not the pod, names the host (GPUVAL_NODE_NAME from spec.nodeName).
  assert_doc host.hostname gpu-node-07
}

@test "fleet Job: the same, under its own pod name" {
  k8s_container gpuval-fleet-job.yaml gpu-node-01 gpuval-fleet-abcde-0-q9w8e
  assert_exit 3
  assert_node_document gpu-node-01 gpuval-fleet-abcde-0-q9w8e 1000
  assert_doc verdict.status no-gpu
}

@test "CronJob: a results volume uid 1000 cannot write: exit 2, no run, the fix named" {
  chmod 0755 "$RESULTS"  # root's, as an NFS export or a fresh hostPath would be
  k8s_container gpuval-cronjob.yaml gpu-node-07 gpuval-nightly-1-0-aaaaa
  assert_exit 2
  [ -z "$(find "$RESULTS" -mindepth 1)" ] || fail_with "something was written: $(ls -R "$RESULTS")"
  grep -q 'cannot create /results/gpu-node-07' <<<"$output" || fail_with "the directory not named"
  grep -q 'writable by uid 1000 (fsGroup 1000' <<<"$output" || fail_with "no fix named"
}

@test "sbatch, Podman mode: each node's document from the image at <node>/<UTC time>_<job>.json" {
  [ "$(id -u)" -eq 0 ] || skip "the test image is in root's Podman storage"
  cd "$RESULTS"
  # No CDI spec for nvidia.com/gpu here: no GPU flags (gpuval then reports no-gpu, exit 3).
  run env PATH="$SOURCE_DIR/tests/support/fake_slurm:$PATH" FAKE_SLURM_NODES="gpu-a01 gpu-a02" \
    FAKE_SLURM_JOB_ID=777 GPUVAL_MODE=podman GPUVAL_IMAGE="$IMAGE" GPUVAL_GPU_FLAGS= \
    GPUVAL_RESULTS_DIR="$RESULTS/shared" sbatch "$SOURCE_DIR/containers/slurm/gpuval.sbatch"
  assert_exit 3
  [ "$(find "$RESULTS/shared" -type f | wc -l)" -eq 2 ] ||
    fail_with "expected 2 documents: $(find "$RESULTS/shared" -type f)"
  for node in gpu-a01 gpu-a02; do
    DOC=$(find "$RESULTS/shared/$node" -type f)
    [[ "$(basename "$DOC")" =~ ${NAME_RE}777\.json$ ]] || fail_with "$DOC: not <UTC time>_777.json"
    python3 "$SOURCE_DIR/scripts/validate_run_document.py" "$DOC" || fail_with "$DOC is not valid"
    assert_doc environment.engine podman
    assert_doc verdict.status no-gpu
    # --uts=host: the document names the machine, not a container id.
    assert_doc host.hostname "$(uname -n)"
    grep -q "gpuval-node: $node exit 3 document $DOC" <<<"$output" || fail_with "no line for $node"
  done
}
