#!/bin/sh
# Installs dist/docker-tidy as a docker CLI plugin: ${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins/docker-tidy.
# `scripts/install.sh --uninstall` removes it. Never overwrites anything that is not a regular file.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dir="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
dest="$dir/docker-tidy"

refuse_non_regular() {
  # -L first: a symlink is refused even when it points at a regular file.
  if [ -L "$dest" ] || { [ -e "$dest" ] && [ ! -f "$dest" ]; }; then
    echo "refusing to touch $dest: it exists and is not a regular file" >&2
    exit 1
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  refuse_non_regular
  if [ -f "$dest" ]; then
    rm -f "$dest"
    echo "removed $dest"
  else
    echo "docker tidy is not installed in $dir"
  fi
  exit 0
fi

src="$here/dist/docker-tidy"
if [ ! -f "$src" ]; then
  echo "$src does not exist: run 'npm run build' first" >&2
  exit 1
fi
refuse_non_regular
mkdir -p "$dir"
# Copy beside the target, then rename: a running docker never sees a half-written plugin.
tmp="$dir/.docker-tidy.$$"
cp "$src" "$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$dest"
echo "installed $dest"
