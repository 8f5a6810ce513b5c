# shellcheck shell=bash
# Sourced by the container tests: exit 77 (CTest's skip) when Podman is genuinely unusable here,
# saying why. Anything past that point that fails (base, image build, a scenario) is a failure.
podman_unusable() {
  if ! command -v podman >/dev/null 2>&1; then
    echo "podman is not installed (scripts/image/setup-podman.sh installs it)"
  elif ! podman info >/dev/null 2>&1; then
    echo "podman info fails: $(podman info 2>&1 | tail -n 1)"
  fi
}
if why=$(podman_unusable) && [ -n "$why" ]; then
  echo "SKIP: container tests need a working Podman: $why"
  exit 77
fi
