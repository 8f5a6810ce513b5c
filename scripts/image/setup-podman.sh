#!/usr/bin/env bash
# Make Podman usable for gpuval's image build and container scenario tests on a Debian 12 machine
# run as root (the project's CI: no GPU, hybrid cgroups, low hard limits). Idempotent.
#  - installs podman, mmdebstrap (offline base image), runc and uidmap when missing;
#  - configures the engine as DESIGN §7 says: runc (crun refuses these hybrid cgroups) and default
#    ulimits no higher than the machine allows (raising limits is not permitted here).
# Existing configuration is kept: when /etc/containers/containers.conf already exists and lacks
# these settings they go to a drop-in, containers.conf.d/50-gpuval.conf, read after it.
set -euo pipefail

packages=(podman mmdebstrap runc uidmap)
conf=/etc/containers/containers.conf
dropin=/etc/containers/containers.conf.d/50-gpuval.conf

# Not root: use sudo when there is one; otherwise say what is missing and leave it to the
# container tests, which skip when Podman is unusable (this must not stop scripts/test.sh).
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo"
  else
    echo "setup-podman: not root and no sudo: Podman left as it is (CI runs as root; DESIGN §7" \
      "describes rootless use)" >&2
    exit 0
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-podman: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

settings='[containers]
# A --ulimit flag replaces these defaults: pass nofile and nproc again beside it.
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]

[engine]
# crun refuses the hybrid cgroup v1/v2 layout of these machines.
runtime = "runc"'

configured() { # $1: file
  [ -f "$1" ] && grep -q '^runtime = "runc"' "$1" && grep -q '^default_ulimits = ' "$1"
}

if configured "$conf" || configured "$dropin"; then
  :
elif [ ! -e "$conf" ]; then
  printf '# Written by gpuval scripts/image/setup-podman.sh\n%s\n' "$settings" | $SUDO tee "$conf" \
    >/dev/null
  echo "setup-podman: wrote $conf"
else
  $SUDO mkdir -p "$(dirname "$dropin")"
  printf '# Written by gpuval scripts/image/setup-podman.sh\n%s\n' "$settings" | $SUDO tee "$dropin" \
    >/dev/null
  echo "setup-podman: wrote $dropin ($conf exists and is left as it is)"
fi

runtime=$($SUDO podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null || true)
if [ "$runtime" != runc ]; then
  echo "setup-podman: podman info reports OCI runtime '${runtime:-?}', expected runc" >&2
  exit 1
fi
echo "setup-podman: ok (podman $(podman version --format '{{.Client.Version}}'), runtime runc)"
