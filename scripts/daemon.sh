#!/usr/bin/env bash
# A private, throwaway Docker daemon and a local registry that serves as its Docker Hub mirror.
#   scripts/daemon.sh start DIR    start both; writes DIR/env (DOCKER_HOST=..., TIDY_*=...)
#   scripts/daemon.sh stop DIR     stop both, end their containers, unmount, clean up
# Everything lives under DIR and a short exec-root in /tmp; the system daemon is never touched.
# The daemon carries the label docker-tidy-test=<token>, token in DIR/token: tests refuse to
# delete anything on a daemon without the label of a daemon their own run started.
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)

ensure_packages() {
  local need=()
  command -v dockerd >/dev/null || need+=(docker.io)
  [ -x /bin/busybox ] || need+=(busybox-static)
  command -v docker-registry >/dev/null || need+=(docker-registry)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "missing ${need[*]}: install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

wait_for() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "$what did not come up within ${seconds}s" >&2
  return 1
}

start() {
  if [ "$(id -u)" != 0 ]; then echo "a private dockerd needs root" >&2; exit 1; fi
  ensure_packages
  if [ -f "$dir/dockerd.pid" ] && kill -0 "$(cat "$dir/dockerd.pid")" 2>/dev/null; then
    echo "a daemon already runs in $dir" >&2; exit 1
  fi
  mkdir -p "$dir/data" "$dir/registry"
  local port token exec_root
  port=$(free_port)
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  # Unix socket paths are limited to 108 bytes: containerd's live under the exec-root.
  exec_root=$(mktemp -d /tmp/dt-XXXXXX)
  echo "$exec_root" > "$dir/exec-root"
  echo "$token" > "$dir/token"

  cat > "$dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  setsid docker-registry serve "$dir/registry.yml" > "$dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$dir/registry.pid"
  wait_for 20 "the registry on 127.0.0.1:$port" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" || { tail -20 "$dir/registry.log" >&2; exit 1; }

  setsid dockerd \
    --data-root "$dir/data" --exec-root "$exec_root" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --bridge=none --iptables=false --ip-masq=false \
    --registry-mirror "http://127.0.0.1:$port" --insecure-registry "127.0.0.1:$port" \
    --label "docker-tidy-test=$token" > "$dir/dockerd.log" 2>&1 < /dev/null &
  wait_for 60 "dockerd in $dir" docker -H "unix://$dir/docker.sock" version || { tail -30 "$dir/dockerd.log" >&2; exit 1; }

  cat > "$dir/env" <<EOF
DOCKER_HOST=unix://$dir/docker.sock
TIDY_TEST_TOKEN=$token
TIDY_REGISTRY=127.0.0.1:$port
TIDY_DATA_ROOT=$dir/data
TIDY_ENGINE=$(docker -H "unix://$dir/docker.sock" version --format '{{.Server.Version}}' | cut -d. -f1,2)
EOF
  cat "$dir/env"
}

stop_pid() { # pidfile
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$1"
}

stop() {
  local sock="unix://$dir/docker.sock" exec_root=""
  [ -f "$dir/exec-root" ] && exec_root=$(cat "$dir/exec-root")
  if [ -S "$dir/docker.sock" ]; then
    # Containers first, so the daemon's shutdown does not wait on them.
    ids=$(timeout 20 docker -H "$sock" ps -q 2>/dev/null || true)
    [ -n "$ids" ] && timeout 30 docker -H "$sock" kill $ids >/dev/null 2>&1 || true
  fi
  stop_pid "$dir/dockerd.pid"
  stop_pid "$dir/registry.pid"
  # Anything the daemon started under its exec-root (containerd, shims) goes too.
  if [ -n "$exec_root" ]; then
    for p in $(pgrep -f -- "$exec_root" || true); do kill -KILL "$p" 2>/dev/null || true; done
  fi
  for m in $(awk -v d="$dir" -v e="${exec_root:-/nonexistent}" '$2 ~ "^"d || $2 ~ "^"e {print $2}' /proc/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  [ -n "$exec_root" ] && rm -rf "$exec_root"
  rm -f "$dir/docker.sock" "$dir/exec-root"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
