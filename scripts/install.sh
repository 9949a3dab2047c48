#!/bin/sh
# Installs docker tidy as a docker CLI plugin: ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-tidy,
# the folder docker searches for a user's plugins on Linux and macOS, Docker Desktop included
# (Docker Desktop keeps its own plugins in its app bundle and config.json's cliPluginsExtraDirs;
# nothing of its is touched).
#
#   sh scripts/install.sh                 from a checkout: dist/docker-tidy (npm run build)
#   sh scripts/install.sh --from DIR      the release file for this machine from DIR (npm run build:all,
#                                         or the files downloaded from a release), checked against DIR/SHA256SUMS
#   curl -fsSL URL/install.sh | sh        the same, downloading from the release (DOCKER_TIDY_RELEASE_URL,
#                                         default: the latest GitHub release) with curl or wget
#   sh scripts/install.sh --uninstall     removes it
#
# The release file is picked by `uname -s` and `uname -m`: docker-tidy-linux-x64, -linux-arm64, their
# -musl builds where the C library is musl (Alpine), docker-tidy-darwin-arm64 (also from a shell under
# Rosetta on Apple silicon) or -darwin-x64. Never overwrites anything that is not a regular file; the
# new file is copied beside the old one and renamed over it, so a running docker never sees half of it.
set -eu

RELEASE_URL=${DOCKER_TIDY_RELEASE_URL:-https://github.com/docker-tidy/docker-tidy/releases/latest/download}
dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
dest="$dir/docker-tidy"

tmp=
work=
cleanup() {
  if [ -n "$tmp" ]; then rm -f "$tmp"; fi
  if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

die() {
  echo "$*" >&2
  exit 1
}

refuse_non_regular() {
  # -L first: a symlink is refused even when it points at a regular file.
  if [ -L "$dest" ] || { [ -e "$dest" ] && [ ! -f "$dest" ]; }; then
    die "refusing to touch $dest: it exists and is not a regular file"
  fi
}

# The release file for this machine: docker-tidy-<os>-<arch>[-musl].
release_name() {
  os=$(uname -s)
  arch=$(uname -m)
  case "$arch" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "docker tidy has no build for the CPU $arch (there are x64 and arm64 builds)" ;;
  esac
  case "$os" in
    Linux)
      libc=
      case "$arch" in x64) glibc=/lib64/ld-linux-x86-64.so.2 musl=/lib/ld-musl-x86_64.so.1 ;; *) glibc=/lib/ld-linux-aarch64.so.1 musl=/lib/ld-musl-aarch64.so.1 ;; esac
      # Alpine and other musl systems: ldd says so (on stderr); else no glibc loader but a musl one.
      if ldd --version 2>&1 | grep -qi musl; then
        libc=-musl
      elif [ ! -e "$glibc" ] && [ -e "$musl" ]; then
        libc=-musl
      fi
      echo "docker-tidy-linux-$arch$libc"
      ;;
    Darwin)
      # A shell running under Rosetta says x86_64 on Apple silicon: the native build is the one to use.
      if [ "$arch" = x64 ] && [ "$(sysctl -n hw.optional.arm64 2>/dev/null || echo 0)" = 1 ]; then arch=arm64; fi
      echo "docker-tidy-darwin-$arch"
      ;;
    MINGW* | MSYS* | CYGWIN*) die "on Windows, use scripts/install.ps1 (PowerShell)" ;;
    *) die "docker tidy has no build for $os" ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "cannot check the download: neither sha256sum nor shasum is installed"
  fi
}

# Checks $1 (a file named $2) against the SHA256SUMS file $3.
verify() {
  want=$(awk -v f="$2" '$2 == f || $2 == "*" f { print $1 }' "$3")
  [ -n "$want" ] || die "$2 is not listed in SHA256SUMS"
  got=$(sha256_of "$1")
  [ "$got" = "$want" ] || die "checksum mismatch for $2: SHA256SUMS says $want, the file is $got; nothing was installed"
}

fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 -o "$2" "$1" || die "could not download $1"
  elif command -v wget >/dev/null 2>&1; then
    wget -q -O "$2" "$1" || die "could not download $1"
  else
    die "neither curl nor wget is installed to download $1"
  fi
}

install_file() {
  refuse_non_regular
  mkdir -p "$dir"
  tmp="$dir/.docker-tidy.$$"
  cp "$1" "$tmp"
  chmod 0755 "$tmp"
  # Downloaded with a browser, macOS would refuse to run it until the quarantine flag is gone.
  if [ "$(uname -s)" = Darwin ]; then xattr -d com.apple.quarantine "$tmp" 2>/dev/null || true; fi
  mv -f "$tmp" "$dest"
  tmp=
  echo "installed $dest${2:+ ($2)}"
}

case "${1:-}" in
  --uninstall)
    refuse_non_regular
    if [ -f "$dest" ]; then
      rm -f "$dest"
      echo "removed $dest"
    else
      echo "docker tidy is not installed in $dir"
    fi
    ;;
  --from)
    from=${2:?usage: install.sh --from DIR}
    name=$(release_name)
    [ -f "$from/$name" ] || die "$from/$name does not exist"
    [ -f "$from/SHA256SUMS" ] || die "$from/SHA256SUMS does not exist: cannot check $name"
    verify "$from/$name" "$name" "$from/SHA256SUMS"
    install_file "$from/$name" "$name, checksum verified"
    ;;
  "")
    here=
    case "$0" in */*) [ -f "$0" ] && here=$(cd "$(dirname "$0")/.." && pwd) ;; esac
    if [ -n "$here" ] && grep -q '"name": "docker-tidy"' "$here/package.json" 2>/dev/null; then
      # From a checkout: the executable npm run build made for this machine.
      [ -f "$here/dist/docker-tidy" ] || die "$here/dist/docker-tidy does not exist: run 'npm run build' first"
      install_file "$here/dist/docker-tidy"
    else
      name=$(release_name)
      work=$(mktemp -d)
      fetch "$RELEASE_URL/SHA256SUMS" "$work/SHA256SUMS"
      fetch "$RELEASE_URL/$name" "$work/$name"
      verify "$work/$name" "$name" "$work/SHA256SUMS"
      install_file "$work/$name" "$name from $RELEASE_URL, checksum verified"
    fi
    ;;
  *)
    die "usage: install.sh [--from DIR | --uninstall]"
    ;;
esac
