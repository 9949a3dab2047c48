#!/bin/sh
# A private daemon with the sample world, to try docker tidy without touching your own images.
#   npm run sandbox            start it (root needed: it runs its own dockerd)
#   npm run sandbox -- stop    stop it and remove everything it made
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir="${TMPDIR:-/tmp}/docker-tidy-sandbox"
case "${1:-start}" in
  start)
    bash "$here/daemon.sh" start "$dir" > /dev/null
    echo "building the sample world (pulled, built, dangling and shared images; containers; volumes)..." >&2
    bash "$here/world.sh" "$dir" 2> "$dir/world.log" || { cat "$dir/world.log" >&2; exit 1; }
    cat <<EOT
The sandbox daemon is running. In this shell:

  export DOCKER_HOST=unix://$dir/docker.sock
  docker tidy df -v

Stop it and remove everything it made with: npm run sandbox -- stop
EOT
    ;;
  stop)
    bash "$here/daemon.sh" stop "$dir"
    rm -rf "$dir"
    echo "sandbox stopped and removed" >&2
    ;;
  *)
    echo "usage: npm run sandbox [-- start|stop]" >&2
    exit 2
    ;;
esac
