#!/usr/bin/env bats
# shellcheck disable=SC2030,SC2031  # bats' run sets $output in each test's own subshell
# Fleet runs, checked offline: the Kubernetes manifests (containers/k8s) parse and carry what a
# cluster and gpuval's per-node documents need (tests/support/k8s_manifests.py), the checker
# catches each mistake it is there for, and the Slurm script (containers/slurm/gpuval.sbatch)
# runs under fake srun/sbatch/scontrol (tests/support/fake_slurm) with the real gpuval or a
# stand-in: one document per node, distinct names, the exit code of the worst node.
# No cluster needed; kubectl steps skip without kubectl (or without a cluster, for apply).

setup() {
  : "${GPUVAL:?set GPUVAL to the gpuval binary}"
  : "${GPUVAL_SOURCE_DIR:?set GPUVAL_SOURCE_DIR}"
  python3 -c 'import yaml' 2>/dev/null ||
    { echo "python3 cannot import yaml: install python3-yaml (scripts/setup.sh)" >&2; return 1; }
  TMP="$(mktemp -d)"
  K8S="$GPUVAL_SOURCE_DIR/containers/k8s"
  SBATCH="$GPUVAL_SOURCE_DIR/containers/slurm/gpuval.sbatch"
  CHECKER="$GPUVAL_SOURCE_DIR/tests/support/k8s_manifests.py"
  VALIDATE="$GPUVAL_SOURCE_DIR/scripts/validate_run_document.py"
  EXAMPLE_DOC="$GPUVAL_SOURCE_DIR/results/examples/no-gpu-dev-sandbox.json"
}

teardown() { rm -rf "$TMP"; }

check() {  # check DIR GROUP...: run the manifest checker on DIR for these groups
  local dir=$1 only=()
  shift
  for group in "$@"; do only+=(--only "$group"); done
  run python3 "$CHECKER" check "$dir" --gpuval "$GPUVAL" \
    --containerfile "$GPUVAL_SOURCE_DIR/containers/Containerfile" "${only[@]}"
}

# A manifest as Python sees it: the document `d`, its Job spec `spec` (a CronJob's jobTemplate's),
# its pod spec `pod` and its gpuval container `c`.
MANIFEST_PY='
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
spec = d["spec"]["jobTemplate"]["spec"] if d["kind"] == "CronJob" else d["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
'

manifest_value() {  # manifest_value FILE EXPRESSION: print EXPRESSION (see MANIFEST_PY)
  python3 -c "$MANIFEST_PY"'
print(eval(sys.argv[2]))' "$1" "$2"
}

# mutate FILE STATEMENT: copy the manifests to $TMP/k8s, then change FILE there with STATEMENT
# (Python, see MANIFEST_PY).
mutate() {
  rm -rf "$TMP/k8s"
  cp -r "$K8S" "$TMP/k8s"
  python3 -c "$MANIFEST_PY"'
exec(sys.argv[2])
yaml.safe_dump(d, open(sys.argv[1], "w"), sort_keys=False)' "$TMP/k8s/$1" "$2"
}

# ---- Kubernetes: the manifests as they are ------------------------------------------------

@test "k8s: every manifest parses; a nightly CronJob and a per-node Job are there" {
  kinds=$(python3 -c '
import glob, sys, yaml
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    for d in yaml.safe_load_all(open(f)):
        spec = d.get("spec", {})
        print(d["kind"], spec.get("jobTemplate", {}).get("spec", spec).get("completionMode", "-"))
' "$K8S")
  echo "$kinds"
  grep -qx 'CronJob Indexed' <<<"$kinds"
  grep -qx 'Job Indexed' <<<"$kinds"
  grep -qx 'PersistentVolumeClaim -' <<<"$kinds"
}

@test "k8s: apiVersion, kind, metadata.name on each; the CronJob has a schedule and a jobTemplate" {
  check "$K8S" fields
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "ok: "* ]]
}

@test "k8s: Jobs restart Never, have a deadline and retry limits, and run one pod per node" {
  check "$K8S" jobs
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "k8s: the gpuval container limits nvidia.com/gpu, on GPU nodes, tolerating their taint" {
  check "$K8S" gpu
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "k8s: GPUVAL_RESULTS_DIR is a volumeMount backed by the PVC defined beside it" {
  check "$K8S" results
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(python3 "$CHECKER" results-dir "$K8S/gpuval-cronjob.yaml")" = /results ]
}

@test "k8s: runAsUser 1000 like the image, and the Pod Security restricted fields" {
  check "$K8S" security
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "k8s: args are a gpuval subcommand and flags that exist (\$GPUVAL SUB --help)" {
  check "$K8S" command
  echo "$output"
  [ "$status" -eq 0 ]
  # What the check relies on: the subcommand and each flag the manifests use are in the help.
  read -ra words <<<"$(manifest_value "$K8S/gpuval-cronjob.yaml" '" ".join(c["args"])')"
  help=$("$GPUVAL" "${words[0]}" --help)
  for flag in "${words[@]:1}" --out; do
    grep -q -- "$flag" <<<"$help"
  done
}

@test "k8s: the container's sh script is POSIX sh and shellcheck-clean" {
  for f in "$K8S"/gpuval-cronjob.yaml "$K8S"/gpuval-fleet-job.yaml; do
    { echo '#!/bin/sh'; manifest_value "$f" 'c["command"][2]'; } >"$TMP/script.sh"
    sh -n "$TMP/script.sh"
    shellcheck -s sh "$TMP/script.sh"
  done
}

@test "k8s: the CronJob's job and the fleet Job have the same pod template" {
  check "$K8S" same
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "k8s: kustomization.yaml lists files that exist and the pods' image" {
  check "$K8S" kustomize
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "k8s: kubectl kustomize builds the kustomization (skipped without kubectl)" {
  command -v kubectl >/dev/null || skip "kubectl not installed"
  kubectl kustomize "$K8S" >"$TMP/built.yaml"
  python3 -c '
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
assert {d["kind"] for d in docs} >= {"Namespace", "PersistentVolumeClaim", "CronJob"}, docs
assert all(d["metadata"].get("namespace", "gpuval") == "gpuval" for d in docs)' "$TMP/built.yaml"
}

@test "k8s: kubectl apply --dry-run=client takes every manifest (skipped without a cluster)" {
  command -v kubectl >/dev/null || skip "kubectl not installed"
  kubectl version --request-timeout=5s >/dev/null 2>&1 || skip "no Kubernetes cluster reachable"
  kubectl apply --dry-run=client --validate=false -k "$K8S"
  kubectl create --dry-run=client --validate=false -f "$K8S/gpuval-fleet-job.yaml"
}

# ---- Kubernetes: the checker catches each mistake ------------------------------------------

@test "checker: a CronJob schedule that is not 5 cron fields is reported" {
  mutate gpuval-cronjob.yaml 'd["spec"]["schedule"] = "nightly"'
  check "$TMP/k8s" fields
  [ "$status" -eq 1 ]
  [[ "$output" == *"gpuval-cronjob.yaml: CronJob schedule 'nightly' is not 5 cron fields"* ]]
}

@test "checker: a container without an nvidia.com/gpu limit is reported" {
  mutate gpuval-cronjob.yaml 'del c["resources"]["limits"]["nvidia.com/gpu"]'
  check "$TMP/k8s" gpu
  [ "$status" -eq 1 ]
  [[ "$output" == *'gpuval-cronjob.yaml: container '*'nvidia.com/gpu'* ]]
}

@test "checker: restartPolicy Always in a Job is reported" {
  mutate gpuval-fleet-job.yaml 'pod["restartPolicy"] = "Always"'
  check "$TMP/k8s" jobs
  [ "$status" -eq 1 ]
  [[ "$output" == *"gpuval-fleet-job.yaml: restartPolicy is 'Always'"* ]]
}

@test "checker: a backoffLimit one failing node could exhaust is reported" {
  mutate gpuval-cronjob.yaml 'spec["backoffLimit"] = spec["completions"]'
  check "$TMP/k8s" jobs
  [ "$status" -eq 1 ]
  [[ "$output" == *"backoffLimit"*"completions x (backoffLimitPerIndex + 1)"* ]]
}

@test "checker: parallel pods without podAntiAffinity (two runs on one node) are reported" {
  mutate gpuval-fleet-job.yaml 'del pod["affinity"]["podAntiAffinity"]'
  check "$TMP/k8s" jobs
  [ "$status" -eq 1 ]
  [[ "$output" == *"no required podAntiAffinity"* ]]
}

@test "checker: nothing mounted at GPUVAL_RESULTS_DIR is reported" {
  mutate gpuval-cronjob.yaml \
    'c["volumeMounts"] = [m for m in c["volumeMounts"] if m["mountPath"] != "/results"]'
  check "$TMP/k8s" results
  [ "$status" -eq 1 ]
  [[ "$output" == *"nothing is mounted at /results"* ]]
}

@test "checker: a PVC name no manifest defines is reported" {
  mutate gpuval-cronjob.yaml 'pod["volumes"][0]["persistentVolumeClaim"]["claimName"] = "elsewhere"'
  check "$TMP/k8s" results
  [ "$status" -eq 1 ]
  [[ "$output" == *"PVC 'elsewhere'"* ]]
}

@test "checker: runAsUser other than the image's 1000 is reported" {
  mutate gpuval-cronjob.yaml 'pod["securityContext"]["runAsUser"] = 0'
  check "$TMP/k8s" security
  [ "$status" -eq 1 ]
  [[ "$output" == *"runAsUser is 0, not 1000"* ]]
}

@test "checker: a flag gpuval does not have is reported (from \$GPUVAL run --help)" {
  mutate gpuval-cronjob.yaml 'c["args"] = ["run", "--fast"]'
  check "$TMP/k8s" command
  [ "$status" -eq 1 ]
  [[ "$output" == *"gpuval run has no --fast"* ]]
}

@test "checker: a subcommand gpuval does not have is reported" {
  mutate gpuval-cronjob.yaml 'c["args"] = ["runn", "--quick"]'
  check "$TMP/k8s" command
  [ "$status" -eq 1 ]
  [[ "$output" == *"'runn' is no gpuval subcommand"* ]]
}

@test "checker: --out in args (the script adds it) is reported" {
  mutate gpuval-cronjob.yaml 'c["args"] = ["run", "--out", "/results/x.json"]'
  check "$TMP/k8s" command
  [ "$status" -eq 1 ]
  [[ "$output" == *"args pass --out"* ]]
}

@test "checker: a script variable the pod does not set is reported" {
  mutate gpuval-cronjob.yaml 'c["env"] = [e for e in c["env"] if e["name"] != "GPUVAL_POD_NAME"]'
  check "$TMP/k8s" command
  [ "$status" -eq 1 ]
  [[ "$output" == *"uses \$GPUVAL_POD_NAME"* ]]
}

@test "checker: pod templates that drifted apart are reported" {
  mutate gpuval-fleet-job.yaml 'c["args"] = ["run", "--full"]'
  check "$TMP/k8s" same
  [ "$status" -eq 1 ]
  [[ "$output" == *"gpuval-fleet-job.yaml: pod template differs"* ]]
}

@test "checker: a manifest that is not YAML is bad input (exit 2), named" {
  mkdir "$TMP/broken"
  printf 'kind: Job\nspec: [\n' >"$TMP/broken/job.yaml"
  check "$TMP/broken" fields
  [ "$status" -eq 2 ]
  [[ "$output" == *"$TMP/broken/job.yaml"* ]]
}

@test "checker: a directory without manifests is bad input (exit 2)" {
  mkdir "$TMP/empty"
  check "$TMP/empty" fields
  [ "$status" -eq 2 ]
  [[ "$output" == *"no manifests"* ]]
}

# ---- Slurm ---------------------------------------------------------------------------------

# sbatch_fake NODES [VAR=VALUE...]: submit the script with the fake Slurm on PATH, from $TMP.
sbatch_fake() {
  local nodes=$1
  shift
  cd "$TMP" || return 1
  run env PATH="$GPUVAL_SOURCE_DIR/tests/support/fake_slurm:$PATH" FAKE_SLURM_NODES="$nodes" \
    FAKE_SLURM_JOB_ID=4242 "$@" sbatch "$SBATCH"
  echo "$output"
}

# A stand-in gpuval: writes the example document to --out, exits with STANDIN_RC's code for
# its node ("node02=1 node03=3"; default 0) and writes nothing on STANDIN_NO_DOC's nodes.
make_standin() {
  cat >"$TMP/gpuval-standin" <<EOF
#!/usr/bin/env bash
out=
while [ \$# -gt 0 ]; do [ "\$1" = --out ] && out=\$2; shift; done
for pair in \${STANDIN_RC:-}; do
  [ "\${pair%%=*}" = "\$SLURMD_NODENAME" ] && rc=\${pair#*=}
done
case " \${STANDIN_NO_DOC:-} " in *" \$SLURMD_NODENAME "*) ;; *) cp "$EXAMPLE_DOC" "\$out" ;; esac
exit "\${rc:-0}"
EOF
  chmod +x "$TMP/gpuval-standin"
}

@test "sbatch: bash -n, shellcheck, and #SBATCH directives for nodes, tasks, GPUs, time, output" {
  bash -n "$SBATCH"
  shellcheck "$SBATCH"
  # sbatch reads directives up to the first command: take them as it would.
  directives=$(awk 'NR > 1 && !/^#/ && !/^[[:space:]]*$/ { exit } /^#SBATCH / { print $2 }' \
    "$SBATCH")
  echo "$directives"
  for want in '--nodes=[0-9]+' '--ntasks-per-node=1' '--(gpus-per-node=|gres=gpu:)[0-9]+' \
    '--time=[0-9:-]+' '--output=.*%j.*'; do
    grep -Eqx -- "$want" <<<"$directives"
  done
}

@test "sbatch: one valid document per node at <node>/<UTC time>_<job id>.json (real gpuval)" {
  sbatch_fake "gpu-a01 gpu-a02 gpu-b01" GPUVAL_MODE=baremetal GPUVAL_BIN="$GPUVAL"
  [ "$status" -eq 3 ]   # no GPU here: every node exits 3, so does the job
  [ "$(find "$TMP/gpuval-results" -type f | wc -l)" -eq 3 ]
  for node in gpu-a01 gpu-a02 gpu-b01; do
    doc=$(find "$TMP/gpuval-results/$node" -type f)
    [[ "$(basename "$doc")" =~ ^[0-9]{8}T[0-9]{6}Z_4242\.json$ ]]
    python3 "$VALIDATE" "$doc"
    # The document is this node's run: its argv names its own path.
    python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert sys.argv[1] in d["tool"]["argv"], d["tool"]["argv"]
assert d["run"]["command"] == "run", d["run"]' "$doc"
    [[ "$output" == *"gpuval-node: $node exit 3 document $doc"* ]]
  done
  [[ "$output" == *"gpuval.sbatch: 3 nodes, exit 3"* ]]
}

@test "sbatch: every node passes -> exit 0" {
  make_standin
  sbatch_fake "node01 node02 node03" GPUVAL_MODE=baremetal GPUVAL_BIN="$TMP/gpuval-standin"
  [ "$status" -eq 0 ]
  [ "$(find "$TMP/gpuval-results" -name '*_4242.json' | wc -l)" -eq 3 ]
}

@test "sbatch: one node fails a check -> exit 1 (outranks another node's no-GPU 3), node named" {
  make_standin
  sbatch_fake "node01 node02 node03" GPUVAL_MODE=baremetal GPUVAL_BIN="$TMP/gpuval-standin" \
    STANDIN_RC="node02=1 node03=3"
  [ "$status" -eq 1 ]
  [[ "$output" == *"gpuval-node: node02 exit 1 document $TMP/gpuval-results/node02/"* ]]
  [[ "$output" == *"gpuval-node: node01 exit 0 "* ]]
}

@test "sbatch: a node that reports nothing (lost) -> exit 2, node named" {
  make_standin
  sbatch_fake "node01 node02" GPUVAL_MODE=baremetal GPUVAL_BIN="$TMP/gpuval-standin" \
    FAKE_SLURM_LOST=node02
  [ "$status" -eq 2 ]
  [[ "$output" == *"node node02 reported nothing"* ]]
  [ -n "$(find "$TMP/gpuval-results/node01" -name '*.json')" ]
}

@test "sbatch: a run that leaves no document says 'document none'" {
  make_standin
  sbatch_fake "node01 node02" GPUVAL_MODE=baremetal GPUVAL_BIN="$TMP/gpuval-standin" \
    STANDIN_RC="node01=2" STANDIN_NO_DOC=node01
  [ "$status" -eq 2 ]
  [[ "$output" == *"gpuval-node: node01 exit 2 document none"* ]]
}

@test "sbatch: an unknown GPUVAL_MODE is a usage error (exit 2) before any node runs" {
  sbatch_fake "node01" GPUVAL_MODE=docker
  [ "$status" -eq 2 ]
  [[ "$output" == *"GPUVAL_MODE must be podman or baremetal, not 'docker'"* ]]
  [ ! -e "$TMP/gpuval-results" ]
}

@test "sbatch: --out in GPUVAL_ARGS is a usage error (exit 2): the script names documents" {
  sbatch_fake "node01" GPUVAL_MODE=baremetal GPUVAL_BIN="$GPUVAL" GPUVAL_ARGS="run --out x.json"
  [ "$status" -eq 2 ]
  [[ "$output" == *"GPUVAL_ARGS has --out"* ]]
}

@test "sbatch: a missing GPUVAL_BIN is a usage error (exit 2) naming it" {
  sbatch_fake "node01" GPUVAL_MODE=baremetal GPUVAL_BIN="$TMP/nowhere/gpuval"
  [ "$status" -eq 2 ]
  [[ "$output" == *"GPUVAL_BIN=$TMP/nowhere/gpuval is not an executable"* ]]
}

@test "sbatch: run outside a Slurm job is a usage error (exit 2)" {
  run env -u SLURM_JOB_ID bash "$SBATCH"
  [ "$status" -eq 2 ]
  [[ "$output" == *"not in a Slurm job"* ]]
}
