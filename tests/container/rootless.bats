#!/usr/bin/env bats
# shellcheck disable=SC2154  # stderr is set by bats' run --separate-stderr
# The image under ROOTLESS Podman, run by an ordinary user (DESIGN §7): gpuval must see that it is
# in a Podman container, that the user namespace is a rootless mapping, and still say that no GPU
# was injected (exit 3). setup_file makes the user idempotently: account, /etc/subuid and
# /etc/subgid ranges, ~/.config/containers/containers.conf, and a copy of $IMAGE in its storage.
# Needs root (runuser, useradd); skips, saying why, where rootless Podman cannot work.

load helpers
bats_require_minimum_version 1.5.0  # run --separate-stderr

ROOTLESS_USER=${GPUVAL_ROOTLESS_USER:-gpuvaltest}

# as_user CMD...: runs CMD as the rootless user, from its home, with its own HOME and none of
# root's XDG_RUNTIME_DIR (Podman then picks the user's own runtime directory).
as_user() {
  local home
  home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  (cd "$home" && runuser -u "$ROOTLESS_USER" -- env -u XDG_RUNTIME_DIR HOME="$home" "$@")
}

# First id after every range in /etc/subuid and /etc/subgid (at least 100000), so that a new
# range overlaps none.
free_subid_start() {
  awk -F: 'BEGIN { next_id = 100000 }
    NF >= 3 && $2 + $3 > next_id { next_id = $2 + $3 }
    END { print next_id }' /etc/subuid /etc/subgid
}

# Prints why rootless Podman cannot work here ("" when it can), after setting it up.
rootless_unusable() {
  local home conf start root_id user_id tool
  [ "$(id -u)" -eq 0 ] || { echo "the setup needs root (useradd, runuser); running as uid $(id -u)"; return; }
  for tool in runuser useradd newuidmap newgidmap; do
    command -v "$tool" >/dev/null 2>&1 ||
      { echo "$tool is missing (newuidmap/newgidmap: package uidmap)"; return; }
  done
  if ! id -u "$ROOTLESS_USER" >/dev/null 2>&1; then
    useradd -m -s /bin/sh "$ROOTLESS_USER" || { echo "useradd $ROOTLESS_USER failed"; return; }
  fi
  touch /etc/subuid /etc/subgid
  start=$(free_subid_start)
  grep -q "^$ROOTLESS_USER:" /etc/subuid || echo "$ROOTLESS_USER:$start:65536" >>/etc/subuid
  grep -q "^$ROOTLESS_USER:" /etc/subgid || echo "$ROOTLESS_USER:$start:65536" >>/etc/subgid

  home=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  conf="$home/.config/containers"
  as_user mkdir -p "$conf"
  # The settings of /etc/containers/containers.conf on these machines (DESIGN §7); rootless
  # Podman reads the user's own file.
  as_user tee "$conf/containers.conf" >/dev/null <<'EOF'
# Written by gpuval tests/container/rootless.bats
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
runtime = "runc"
EOF
  as_user podman info >/dev/null 2>&1 ||
    { echo "rootless podman info fails: $(as_user podman info 2>&1 | tail -n 1)"; return; }

  # Copy the image when the user's copy is missing or older than root's (rebuilt since).
  root_id=$(podman image inspect --format '{{.Id}}' "$IMAGE")
  user_id=$(as_user podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
  if [ "$root_id" != "$user_id" ]; then
    podman save "$IMAGE" | as_user podman load >/dev/null ||
      { echo "podman load of $IMAGE into $ROOTLESS_USER's storage failed"; return; }
    user_id=$(as_user podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
    [ "$root_id" = "$user_id" ] ||
      { echo "$IMAGE in $ROOTLESS_USER's storage is '$user_id', expected $root_id"; return; }
    as_user podman image prune -f >/dev/null || true  # the user's older copies, if any
  fi
  # A container that cannot start at all (no user namespace, runtime refuses) is a missing
  # capability of the machine; anything after this point is a failure of the scenario.
  as_user podman run --rm --network=none --entrypoint /bin/true "$IMAGE" >/dev/null 2>&1 ||
    echo "rootless podman cannot start a container: $(as_user podman run --rm --network=none \
      --entrypoint /bin/true "$IMAGE" 2>&1 | tail -n 1)"
}

# Bats 1.8 cannot skip from setup_file: the reason is exported, and setup skips every scenario.
setup_file() {
  ROOTLESS_UNUSABLE=$(rootless_unusable)
  export ROOTLESS_UNUSABLE
}

setup() {
  [ -z "${ROOTLESS_UNUSABLE:-}" ] || skip "rootless Podman is unusable here: $ROOTLESS_UNUSABLE"
  USER_UID=$(id -u "$ROOTLESS_USER")
  USER_HOME=$(getent passwd "$ROOTLESS_USER" | cut -d: -f6)
  # /results for the -v scenarios: a directory owned by the user, in its home.
  RESULTS=$(as_user mktemp -d "$USER_HOME/gpuval-results.XXXXXX")
  DOC=
}

teardown() {
  [ -z "${RESULTS:-}" ] || rm -rf "$RESULTS"
}

# rootless_container [podman run flags...] [-- gpuval arguments...]: as the user, with
# --network=none (slirp4netns cannot open /dev/net/tun here). Sets $status, $output (stdout) and
# $stderr; $DOC is the document left in $RESULTS when it was mounted, else "".
rootless_container() {
  local flags=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    flags+=("$1")
    shift
  done
  [ $# -eq 0 ] || shift
  run --separate-stderr as_user podman run --rm --network=none "${flags[@]}" "$IMAGE" "$@"
  DOC=$(find "$RESULTS" -maxdepth 1 -name '*.json' | head -n 1)
  echo "# [$ROOTLESS_USER] podman run ${flags[*]} $IMAGE $* -> exit $status" >&3
}

# The document the last rootless_container printed on stdout (run --json) becomes $DOC.
use_stdout_document() {
  DOC="$BATS_TEST_TMPDIR/stdout.json"
  printf '%s\n' "$output" >"$DOC"
}

# The user-namespace check and environment of a rootless run.
assert_rootless() {
  assert_check user-namespace PASS 'rootless'
  assert_doc 'checks[user-namespace].metrics.user_namespace' true
  assert_doc 'checks[user-namespace].metrics.rootless' true
  [ "$(doc 'checks[user-namespace].metrics.root_maps_to')" != 0 ] ||
    fail_with "uid 0 in the container is host uid 0: not rootless"
  assert_doc environment.rootless true
  assert_doc environment.mode container
  assert_doc environment.engine podman
}

@test "rootless podman, run --json on stdout: exit 3, podman container, rootless, not injected" {
  rootless_container -- run --json
  assert_exit 3
  use_stdout_document
  python3 "$SOURCE_DIR/scripts/validate_run_document.py" "$DOC" ||
    fail_with "stdout is not a valid run document (stderr: $stderr)"
  assert_rootless
  # Without --userns, container root is the user itself: uid_map "0 UID 1".
  assert_doc 'checks[user-namespace].metrics.root_maps_to' "$USER_UID"
  assert_doc verdict.status no-gpu
  assert_doc verdict.exit_code 3
  assert_doc_matches verdict.cause 'inject'
  assert_doc_matches verdict.hint 'nvidia\.com/gpu'
  assert_check injection FAIL 'inject'
}

# The image runs as uid 1000, which rootless Podman maps to a subordinate id (subuid start + 999):
# a directory owned by the user shows as root's in the container, not writable by uid 1000 (the
# last scenario). A plain --userns=keep-id does not help on Podman 4.3: the image's USER 1000
# still wins over the user's own uid. --userns=keep-id:uid=1000,gid=1000 maps the user to the
# image's uid 1000 itself: gpuval runs as the image intends (not root inside), the mount is
# writable, and the document belongs to the user on the host, as an operator expects. (--user 0
# would also write it, but only by running gpuval as root in the container.)
@test "rootless podman, --userns=keep-id:uid=1000, -v DIR:/results owned by the user: document written" {
  rootless_container --userns=keep-id:uid=1000,gid=1000 -v "$RESULTS:/results:Z"
  [ -n "$DOC" ] || fail_with "no run document in the mounted /results (stderr: $stderr)"
  assert_no_gpu
  assert_rootless
  [ "$(stat -c %u "$DOC")" -eq "$USER_UID" ] ||
    fail_with "document owned by uid $(stat -c %u "$DOC"), expected $ROOTLESS_USER ($USER_UID)"
  assert_doc_matches verdict.cause 'inject'
  assert_doc_matches verdict.hint 'nvidia\.com/gpu'
}

# Without keep-id the same mount is not writable by the image's uid 1000: the entrypoint says so
# and saves nothing (the trap the keep-id scenario above avoids).
@test "rootless podman, image user, -v DIR:/results owned by the user: not writable, said so" {
  rootless_container -v "$RESULTS:/results:Z"
  assert_exit 3
  [ -z "$DOC" ] || fail_with "a document was written to a directory uid 1000 cannot write: $DOC"
  grep -q 'not writable by uid 1000' <<<"$stderr" ||
    fail_with "the entrypoint did not say /results is not writable (stderr: $stderr)"
}
