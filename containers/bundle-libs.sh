#!/bin/sh
# Runs in the image's build stage: copy every shared library the installed gpuval binaries load
# into PREFIX/lib (their RPATH is $ORIGIN/../lib), so PREFIX is self-contained and relocatable:
# the runtime stage copies it as is, and the host-side script copies it out of the image to run
# the same binaries on bare metal. Left out, because they must come from the system that runs
# gpuval: the C library family and the NVIDIA driver libraries (injected at run time; never bake
# them into an image). Fails when a library cannot be resolved.
# Usage: bundle-libs.sh PREFIX
set -eu
prefix=$1
mkdir -p "$prefix/lib"
# The probe worker (lib/gpuval-probe-worker, where the modules are) links like the binaries.
for bin in "$prefix"/bin/* "$prefix"/lib/gpuval-probe-worker; do
  [ -e "$bin" ] || continue
  if ldd "$bin" | grep 'not found'; then
    echo "bundle-libs: $bin needs a library that is not installed" >&2
    exit 1
  fi
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
    name=$(basename "$lib")
    case "$name" in
      ld-linux* | libc.so.* | libm.so.* | libmvec.so.* | libdl.so.* | libpthread.so.* | \
        librt.so.* | libresolv.so.* | libutil.so.*) continue ;;
      libcuda.so* | libnvidia-* | libnvcuvid.so*) continue ;;
    esac
    if [ ! -e "$prefix/lib/$name" ]; then
      cp -L "$lib" "$prefix/lib/$name"
      echo "bundle-libs: $name (from $lib)"
    fi
  done
done
