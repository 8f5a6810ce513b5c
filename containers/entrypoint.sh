#!/bin/sh
# Entrypoint of the gpuval image: runs gpuval with the container's arguments (default `run`).
# For run, validate and info without --out, the run document is also written to
# /results/gpuval-<command>-<hostname>-<UTC time>.json when /results is a writable directory
# (a mounted volume, or the anonymous volume the image's VOLUME gets without -v: gpuval then says
# the document was not kept and how to keep it); otherwise only gpuval's output on stdout
# remains. Exit code: gpuval's.
set -eu
gpuval=/opt/gpuval/bin/gpuval
results=${GPUVAL_RESULTS_DIR:-/results}

[ $# -gt 0 ] || set -- run
case "$1" in
  run | validate | info) ;;
  *) exec "$gpuval" "$@" ;;
esac
for arg in "$@"; do
  case "$arg" in
    --out | --out=* | -h | --help) exec "$gpuval" "$@" ;;
  esac
done

if [ -d "$results" ] && [ -w "$results" ]; then
  set -- "$@" --out "$results/gpuval-$1-$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ).json"
elif [ -d "$results" ]; then
  echo "gpuval-entrypoint: $results is not writable by uid $(id -u) (read-only, or owned by" \
    "another user): no run document is saved. Mount a writable directory, e.g." \
    "-v ./results:/results:Z with the directory owned by uid $(id -u), or add --json." >&2
fi
exec "$gpuval" "$@"
