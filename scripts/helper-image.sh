#!/bin/sh
# Makes docker tidy's own helper image, docker-tidy/helper:1, on the daemon docker talks to: a
# static busybox with the links the helper container uses (sh, find, stat), about 2 MB, imported
# from this machine (nothing is pulled). docker tidy runs it to read container log sizes where this
# machine cannot read the daemon's files (a remote daemon, Docker Desktop's VM, no permission).
#   sh scripts/helper-image.sh          docker's own settings (DOCKER_HOST, DOCKER_CONTEXT) apply
#   BUSYBOX=/path/to/busybox sh scripts/helper-image.sh
# The busybox must be static and built for the daemon's architecture.
set -eu
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ] || ldd "$busybox" > /dev/null 2>&1; then
  echo "helper-image.sh: needs a static busybox at $busybox (apt-get install busybox-static, or BUSYBOX=PATH)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin"
cp "$busybox" "$work/root/bin/busybox"
for applet in sh find stat; do ln -s busybox "$work/root/bin/$applet"; done
tar -C "$work/root" -cf "$work/helper.tar" .
${DOCKER:-docker} import --message 'docker tidy helper: static busybox with sh, find and stat' "$work/helper.tar" docker-tidy/helper:1
