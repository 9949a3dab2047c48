#!/bin/sh
# A private daemon with the sample world, to try docker tidy without touching your own daemon.
#   sh scripts/sandbox.sh [start] [--engine 20.10|26|28.5] [--containerd-store]
#                                  start it (root needed: it runs its own dockerd)
#   sh scripts/sandbox.sh status   is it running?
#   sh scripts/sandbox.sh stop     stop it and remove everything it made
# (npm run sandbox [-- stop] does the same.) It lives in ${TMPDIR:-/tmp}/docker-tidy-sandbox and
# never talks to the daemon your DOCKER_HOST or docker context names.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="${TMPDIR:-/tmp}/docker-tidy-sandbox"
marker="$dir/.docker-tidy-sandbox"
cmd=start
case "${1:-}" in
  start|stop|status) cmd=$1; shift ;;
esac

instructions() {
  cat <<EOT
The sandbox daemon is running (engine $(sed -n 's/^TIDY_ENGINE=//p' "$dir/env")). In this shell:

  export DOCKER_HOST=unix://$dir/docker.sock
  docker tidy df
  docker tidy images
  docker tidy unused

(Install the plugin first with: npm run build && npm run install-plugin)
Docker's own view of the same world: docker image ls; docker ps -a; docker volume ls; docker system df
Stop it and remove everything it made with: sh scripts/sandbox.sh stop   (or npm run sandbox -- stop)
EOT
}

case "$cmd" in
  start)
    # Said before anything starts: a private dockerd needs root.
    if [ "$(id -u)" != 0 ]; then
      echo "the sandbox runs a private dockerd of its own, which needs root: run it as root (sudo npm run sandbox)" >&2
      exit 1
    fi
    if [ -f "$dir/env" ] && bash "$here/daemon.sh" status "$dir" > /dev/null 2>&1; then
      echo "the sandbox already runs in $dir" >&2
      instructions
      exit 0
    fi
    mkdir -p "$dir"
    : > "$marker"
    echo "starting a private dockerd in $dir (the first start of an engine other than 20.10 downloads it from Debian)..." >&2
    bash "$here/daemon.sh" start "$@" "$dir" > /dev/null
    echo "building the sample world (about a minute):" >&2
    # world.sh's progress lines ("world: 3/7 ...") are shown as they come; everything goes to world.log.
    { bash "$here/world.sh" "$dir" 2>&1 || echo "world: failed"; } | tee "$dir/world.log" | sed -un 's/^world: /  /p' >&2
    if grep -q '^world: failed$' "$dir/world.log"; then
      cat "$dir/world.log" >&2
      echo "building the world failed; stopping the sandbox" >&2
      bash "$here/daemon.sh" stop "$dir" || true
      exit 1
    fi
    instructions
    ;;
  status)
    bash "$here/daemon.sh" status "$dir"
    ;;
  stop)
    if [ ! -d "$dir" ]; then
      echo "no sandbox in $dir" >&2
      exit 0
    fi
    bash "$here/daemon.sh" stop "$dir"
    if [ -f "$marker" ]; then
      rm -rf "$dir"
      echo "sandbox stopped and removed" >&2
      if [ "${DOCKER_HOST:-}" = "unix://$dir/docker.sock" ]; then
        echo "this shell's DOCKER_HOST still names it: unset DOCKER_HOST" >&2
      else
        echo "if you exported its DOCKER_HOST, unset it: unset DOCKER_HOST" >&2
      fi
    else
      echo "sandbox stopped; $dir has no sandbox marker, so it was left in place" >&2
    fi
    ;;
esac
