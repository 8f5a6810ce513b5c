#!/usr/bin/env bats
# scripts/gpuval-host.sh on this machine: real Podman, the real image, no GPU.

setup() {
  : "${GPUVAL_SOURCE_DIR:?}"
  SCRIPT="$GPUVAL_SOURCE_DIR/scripts/gpuval-host.sh"
  IMAGE="${GPUVAL_IMAGE:-localhost/gpuval-test:latest}"
  TMP="$(mktemp -d)"
}

teardown() { rm -rf "$TMP"; }

need_image() {
  podman image exists "$IMAGE" || { echo "test image $IMAGE missing: the container_image test must build it" >&2; return 1; }
}

@test "--help documents the options and exit codes" {
  run "$SCRIPT" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--gpu-flags"* ]]
  [[ "$output" == *"3 no usable GPU"* ]]
}

@test "bad usage exits 2 with the reason" {
  run "$SCRIPT" --bogus
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown option: --bogus"* ]]
  run "$SCRIPT" --gpu-flags sometimes
  [ "$status" -eq 2 ]
  run "$SCRIPT" --skip-baremetal --skip-container
  [ "$status" -eq 2 ]
  [[ "$output" == *"nothing to run"* ]]
}

@test "a missing engine is named with how to install it" {
  mkdir -p "$TMP/bin"
  run env PATH="$TMP/bin" /bin/bash "$SCRIPT" --results "$TMP/r"
  [ "$status" -eq 2 ]
  [[ "$output" == *"podman not found"* ]]
}

@test "a missing image is named with how to get it" {
  run "$SCRIPT" --image localhost/no-such-image:never --results "$TMP/r"
  [ "$status" -eq 2 ]
  [[ "$output" == *"image localhost/no-such-image:never not found"* ]]
  [ ! -e "$TMP/r" ]
}

@test "end to end without a GPU: both runs say no usable GPU, compare says so, exit 3" {
  need_image
  run "$SCRIPT" --image "$IMAGE" --results "$TMP/r" --gpu-flags gpus
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"no NVIDIA GPU on this host"* ]]
  dir="$(find "$TMP/r" -mindepth 2 -maxdepth 2 -type d)"
  [ -n "$dir" ]
  [[ "$(basename "$dir")" == *_driver-none ]]
  [ "$(basename "$(dirname "$dir")")" = "$(hostname -s 2>/dev/null || hostname)" ]
  for f in baremetal.json podman-gpus.json; do
    python3 "$GPUVAL_SOURCE_DIR/scripts/validate_run_document.py" "$dir/$f"
    [ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"]["status"])' "$dir/$f")" = "no-gpu" ]
  done
  # The "bare metal" run sees this host as it is (the CI machine is itself a container, so its
  # mode may be "container" too), never the image's Podman container; the same binaries ran both.
  python3 - "$dir/baremetal.json" "$dir/podman-gpus.json" <<'PY'
import json, sys
bare, cont = (json.load(open(p)) for p in sys.argv[1:])
assert bare["environment"]["engine"] != "podman", bare["environment"]
assert cont["environment"]["mode"] == "container" and cont["environment"]["engine"] == "podman"
assert bare["tool"]["git_sha"] == cont["tool"]["git_sha"], "not the same binaries"
assert bare["tool"]["version"] == cont["tool"]["version"]
PY
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["engine"]=="podman" and d["gpu_flags"]=="gpus"' "$dir/host-facts.json"
  grep -qi "usable GPU" "$dir/compare-podman-gpus.md"
  [ -z "$(find "$TMP/r" -name '*.tmp*')" ]
}

@test "an image whose gpuval cannot start on this host is named with the glibc fix" {
  podman image exists localhost/gpuval-base:bookworm || skip "no local base image to build the broken stand-in from"
  mkdir -p "$TMP/ctx"
  cat >"$TMP/ctx/Containerfile" <<'CF'
FROM localhost/gpuval-base:bookworm
RUN mkdir -p /opt/gpuval/bin && printf '#!/bin/sh\necho "gpuval: /lib/x86_64-linux-gnu/libc.so.6: version GLIBC_2.38 not found" >&2\nexit 127\n' >/opt/gpuval/bin/gpuval && chmod +x /opt/gpuval/bin/gpuval
CF
  podman build -q --pull=never --network=none -t localhost/gpuval-broken-prefix:test "$TMP/ctx" >/dev/null
  run "$SCRIPT" --image localhost/gpuval-broken-prefix:test --results "$TMP/r"
  podman rmi -f localhost/gpuval-broken-prefix:test >/dev/null 2>&1 || true
  [ "$status" -eq 2 ]
  [[ "$output" == *"does not start on this host"* ]]
  [[ "$output" == *"GLIBC_2.38"* ]]
  [[ "$output" == *"GPUVAL_BASE_OS=ubuntu22.04"* ]]
}

@test "--keep-prefix keeps the image's gpuval for the nightly wrapper (also without bare metal)" {
  need_image
  run "$SCRIPT" --image "$IMAGE" --results "$TMP/r" --gpu-flags gpus --skip-baremetal \
    --keep-prefix "$TMP/prefix"
  [ "$status" -eq 3 ]
  [ -x "$TMP/prefix/bin/gpuval" ]
  run "$TMP/prefix/bin/gpuval" --version
  [ "$status" -eq 0 ]
  [ -z "$(find "$TMP/r" -name baremetal.json)" ]
}

@test "gpuval-nightly.sh with this host driver and the image's own gpuval: no GPU, exit 3, runs filed" {
  need_image
  podman run --rm "$IMAGE" history add --help >/dev/null 2>&1 ||
    skip "image $IMAGE predates \`gpuval history\`: rebuild it (tests/container/build_image.sh)"
  # No gpuval on PATH: the nightly must use the binaries gpuval-host.sh copies out of the image.
  run env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$GPUVAL_SOURCE_DIR/scripts/gpuval-nightly.sh" \
    --history "$TMP/h" --prom "$TMP/p.prom" --junit "$TMP/j.xml" -- --image "$IMAGE" --gpu-flags gpus
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"--keep-prefix"* ]]
  [ "$(find "$TMP/h" -name '*.json' | wc -l)" = 2 ]
  # Both runs are this host's (the container's document names the host, not the container).
  [ "$(find "$TMP/h" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 1 ]
  grep -q '^gpuval_nightly_exit_code 3$' "$TMP/p.prom"
  python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$TMP/j.xml"
}
