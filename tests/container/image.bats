#!/usr/bin/env bats
# The image's contract: labels, environment, user, volume, entrypoint, a self-contained and
# relocatable /opt/gpuval, and defaults that agree with scripts/image/config.sh.

load helpers

inspect() {  # inspect GO-TEMPLATE
  podman image inspect --format "$1" "$IMAGE"
}

@test "OCI labels name gpuval, its version and revision" {
  [ "$(inspect '{{index .Labels "org.opencontainers.image.title"}}')" = gpuval ]
  version=$(sed -n 's/^project(gpuval VERSION \([0-9.]*\).*/\1/p' "$SOURCE_DIR/CMakeLists.txt")
  [ "$(inspect '{{index .Labels "org.opencontainers.image.version"}}')" = "$version" ]
  revision=$(inspect '{{index .Labels "org.opencontainers.image.revision"}}')
  [[ "$revision" =~ ^[0-9a-f]{12}(-dirty)?$ ]] || fail_with "revision label '$revision'"
  for label in description source licenses; do
    inspect "{{index .Labels \"org.opencontainers.image.$label\"}}" >/dev/null
  done
  [ -n "$(inspect '{{index .Labels "org.opencontainers.image.description"}}')" ]
  [ -n "$(inspect '{{index .Labels "org.opencontainers.image.licenses"}}')" ]
}

@test "environment requests all GPUs with compute,utility and requires CUDA 13" {
  env=$(inspect '{{range .Config.Env}}{{println .}}{{end}}')
  grep -qx 'NVIDIA_VISIBLE_DEVICES=all' <<<"$env"
  grep -qx 'NVIDIA_DRIVER_CAPABILITIES=compute,utility' <<<"$env"
  grep -q '^NVIDIA_REQUIRE_CUDA=cuda>=13\.0\( \|$\)' <<<"$env"
  grep -q '^PATH=/opt/gpuval/bin:' <<<"$env"
}

@test "runs as uid 1000 (gpuval), not root, with a /results volume and gpuval as entrypoint" {
  [ "$(inspect '{{.Config.User}}')" = 1000:1000 ]
  [[ "$(inspect '{{.Config.Volumes}}')" == *"/results"* ]]
  [ "$(inspect '{{json .Config.Entrypoint}}')" = '["/usr/local/bin/gpuval-entrypoint"]' ]
  [ "$(inspect '{{json .Config.Cmd}}')" = '["run"]' ]
  run podman run --rm --network=none --entrypoint id "$IMAGE" -un
  [ "$status" -eq 0 ]
  [ "$output" = gpuval ]
}

@test "/opt/gpuval is self-contained: every library resolves, none from the driver is baked in" {
  run podman run --rm --network=none --entrypoint sh "$IMAGE" -c \
    'ldd /opt/gpuval/bin/gpuval; ls /opt/gpuval/lib'
  [ "$status" -eq 0 ] || fail_with "ldd failed"
  ! grep -q 'not found' <<<"$output" || fail_with "unresolved libraries"
  ! grep -Eq 'libcuda\.so|libnvidia-' <<<"$output" || fail_with "driver library in the image"
  # Everything but the C library family comes from the prefix.
  others=$(grep '=> /' <<<"$output" | grep -Ev '=> /opt/gpuval/(bin/\.\./)?lib/' |
    grep -Ev '/(libc|libm|libmvec|libdl|libpthread|librt|ld-linux[^ ]*)\.so' || true)
  [ -z "$others" ] || fail_with "libraries from outside /opt/gpuval/lib: $others"
}

@test "the prefix is relocatable: copied out of the image, gpuval runs on this machine" {
  tmp=$(mktemp -d)
  ctr=$(podman create "$IMAGE")
  podman cp "$ctr:/opt/gpuval" "$tmp/gpuval"
  podman rm "$ctr" >/dev/null
  run "$tmp/gpuval/bin/gpuval" --version
  rm -rf "$tmp"
  [ "$status" -eq 0 ] || fail_with "copied gpuval does not start"
  [[ "$output" == *"$(inspect '{{index .Labels "org.opencontainers.image.version"}}')"* ]]
}

@test "--version and --help pass straight through the entrypoint (exit 0, no document)" {
  gpuval_container -- --version
  assert_exit 0
  [ -z "$DOC" ]
  gpuval_container -- run --help
  assert_exit 0
  [ -z "$DOC" ]
}

@test "a usage error exits 2 and writes no document" {
  gpuval_container -- run --no-such-flag
  assert_exit 2
  [ -z "$DOC" ]
}

@test "default command: gpuval run, the document named gpuval-run-<host>-<UTC time>.json" {
  gpuval_container --hostname gpuval-test-host
  assert_document
  [[ "$(basename "$DOC")" =~ ^gpuval-run-gpuval-test-host-[0-9]{8}T[0-9]{6}Z\.json$ ]] ||
    fail_with "document name $(basename "$DOC")"
  assert_doc run.command run
  assert_doc environment.mode container
}

@test "Containerfile defaults agree with scripts/image/config.sh" {
  # shellcheck source=scripts/image/config.sh
  source "$SOURCE_DIR/scripts/image/config.sh"
  cf="$SOURCE_DIR/containers/Containerfile"
  grep -qx "ARG CUDA_IMAGE=$GPUVAL_CUDA_IMAGE" "$cf"
  grep -qx "ARG CUDA_VERSION=$GPUVAL_CUDA_VERSION" "$cf"
  grep -qx "ARG CUDNN=$GPUVAL_CUDNN" "$cf"
  grep -qx "ARG BASE_OS=$GPUVAL_BASE_OS" "$cf"
  grep -qx "ARG CUDA_ARCHITECTURES=\"$GPUVAL_RELEASE_ARCHS\"" "$cf"
  release=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(next(c["cacheVariables"]["CMAKE_CUDA_ARCHITECTURES"] for c in p["configurePresets"] if c["name"] == "release"))' "$SOURCE_DIR/CMakePresets.json")
  [ "$release" = "$GPUVAL_RELEASE_ARCHS" ] || fail_with "release preset archs '$release'"
}
