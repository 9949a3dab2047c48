#!/usr/bin/env bash
# Environments in which the release tests run the executables built for other CPUs and C
# libraries, on this Linux x64 machine (test/release/):
#   linux-arm64        qemu-user (qemu-aarch64-static) with Debian's arm64 glibc:
#                      QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
#   linux-x64-musl     musl's loader (Debian's musl: /lib/ld-musl-x86_64.so.1) and, in DIR/musl-x64/lib
#                      (LD_LIBRARY_PATH), a C++ runtime: Bun's musl builds link libstdc++.so.6 as on
#                      Alpine, and Debian has no musl build of it, so Debian's glibc build is loaded with
#                      a shim for the glibc-only symbols it needs (test/fixtures/glibc-shim.c)
#   linux-arm64-musl   the same for arm64 under qemu: QEMU_LD_PREFIX=DIR/musl-arm64, with the loader
#                      from Debian's musl:arm64 package (downloaded once with private apt lists, nothing
#                      installed), libstdc++ from libstdc++6-arm64-cross, and the shim as LD_PRELOAD
#
#   scripts/foreign-env.sh check            exit 0 when every tool and package is there; else print what is missing
#   scripts/foreign-env.sh prepare DIR      build DIR/musl-x64 and DIR/musl-arm64 (again only when missing)
#
# .ci/run installs the Debian packages: qemu-user-static libc6-arm64-cross musl gcc
# libstdc++6-arm64-cross libgcc-s1-arm64-cross gcc-aarch64-linux-gnu
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

missing() {
  local need=()
  command -v qemu-aarch64-static >/dev/null || need+=(qemu-user-static)
  [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need+=(libc6-arm64-cross)
  [ -e /lib/ld-musl-x86_64.so.1 ] || need+=(musl)
  command -v gcc >/dev/null || need+=(gcc)
  [ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need+=(libstdc++6-arm64-cross)
  [ -e /usr/aarch64-linux-gnu/lib/libgcc_s.so.1 ] || need+=(libgcc-s1-arm64-cross)
  command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
  command -v apt-get >/dev/null || need+=(apt)
  echo "${need[*]}"
}


case "${1:-}" in
  check)
    m=$(missing)
    if [ -n "$m" ]; then echo "missing Debian packages: $m (apt-get install $m)"; exit 1; fi
    ;;
  prepare)
    dir=${2:?usage: foreign-env.sh prepare DIR}
    m=$(missing)
    [ -z "$m" ] || { echo "missing Debian packages: $m" >&2; exit 1; }
    shim="$here/test/fixtures/glibc-shim.c"
    x64="$dir/musl-x64/lib"
    if [ ! -e "$x64/ld-linux-x86-64.so.2" ]; then
      mkdir -p "$x64"
      cp -L "$(gcc -print-file-name=libstdc++.so.6)" "$(gcc -print-file-name=libgcc_s.so.1)" "$x64/"
      # Debian's libstdc++ names glibc's loader as a library it needs: the shim takes that name.
      gcc -O2 -shared -fPIC -nostdlib -ffreestanding -o "$x64/ld-linux-x86-64.so.2.tmp" "$shim"
      mv "$x64/ld-linux-x86-64.so.2.tmp" "$x64/ld-linux-x86-64.so.2"
    fi
    arm="$dir/musl-arm64"
    if [ ! -e "$arm/lib/glibc-shim.so" ]; then
      t=$(mktemp -d)
      trap 'rm -rf "$t"' EXIT
      mkdir -p "$t/lists/partial" "$t/archives/partial" "$arm/lib"
      a=(-o APT::Architecture=arm64 -o "APT::Architectures::=arm64" -o "Dir::State::Lists=$t/lists"
         -o "Dir::Cache::archives=$t/archives" -o Dir::State::status=/dev/null -o APT::Sandbox::User=root -qq)
      apt-get "${a[@]}" update
      (cd "$t" && apt-get "${a[@]}" download musl:arm64 2>/dev/null)
      dpkg -x "$t"/musl_*_arm64.deb "$t/root"
      cp -L "$t/root/lib/ld-musl-aarch64.so.1" "$arm/lib/ld-musl-aarch64.so.1"
      cp -L /usr/aarch64-linux-gnu/lib/libstdc++.so.6 /usr/aarch64-linux-gnu/lib/libgcc_s.so.1 "$arm/lib/"
      aarch64-linux-gnu-gcc -O2 -shared -fPIC -nostdlib -ffreestanding -o "$arm/lib/glibc-shim.so.tmp" "$shim"
      mv "$arm/lib/glibc-shim.so.tmp" "$arm/lib/glibc-shim.so"
    fi
    ;;
  *)
    echo "usage: $0 check | prepare DIR" >&2
    exit 2
    ;;
esac
