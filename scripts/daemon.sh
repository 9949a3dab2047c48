#!/usr/bin/env bash
# A private, throwaway Docker daemon and a local registry that serves as its Docker Hub mirror.
#
#   scripts/daemon.sh start [--engine 20.10|26|28.5] [--containerd-store] DIR
#   scripts/daemon.sh stop DIR       stop both, end their containers and shims, unmount, clean up
#   scripts/daemon.sh status DIR     exit 0 when both run, 3 when not
#
# start writes DIR/env, shell-sourceable KEY=VALUE lines:
#   DOCKER_HOST=unix://DIR/docker.sock  TIDY_TEST_TOKEN=...  TIDY_REGISTRY=127.0.0.1:PORT
#   TIDY_DATA_ROOT=DIR/data  TIDY_ENGINE=20.10|26|26-containerd|28.5|28.5-containerd  TIDY_DIR=DIR
# and DIR/token (the token alone). The daemon carries the label docker-tidy-test=<token>: tests
# refuse to delete anything on a daemon without the label of a daemon their own run started.
#
# Engine 20.10 is Debian bookworm's docker.io (/usr/sbin/dockerd). Engine 26 is Debian trixie's
# docker.io 26.1 and containerd 1.7, engine 28.5 Debian sid's docker.io 28.5 and containerd 2.1,
# each unpacked once with dpkg -x into
# ${TIDY_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docker-tidy-test}/engine26 or engine28.5
# (nothing is installed system-wide); both run with bookworm's runc (sid's needs glibc 2.38, so
# any runc in the unpacked tree is removed). --containerd-store (engines 26 and 28.5) turns on the
# containerd image store (features.containerd-snapshotter) instead of the overlay2 graph driver.
#
# Everything lives under DIR and a short exec-root /tmp/dt-XXXXXX (unix socket paths are limited
# to 108 bytes). The system's daemon, /var/lib/docker and /etc/docker are never used: the daemon
# gets its own --config-file. Several daemons can run side by side in separate DIRs.
set -euo pipefail

prog=$(basename "$0")
usage() {
  echo "usage: $prog start [--engine 20.10|26|28.5] [--containerd-store] DIR | stop DIR | status DIR" >&2
  exit 2
}
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
cmd=$1; shift
engine=20.10
containerd_store=false
dir_arg=
while [ $# -gt 0 ]; do
  case "$1" in
    --engine) [ $# -ge 2 ] || usage; engine=$2; shift 2 ;;
    --engine=*) engine=${1#--engine=}; shift ;;
    --containerd-store) containerd_store=true; shift ;;
    -*) usage ;;
    *) [ -z "$dir_arg" ] || usage; dir_arg=$1; shift ;;
  esac
done
[ -n "$dir_arg" ] || usage
case "$engine" in
  20|20.10) engine=20.10 ;;
  26|26.1) engine=26 ;;
  28|28.5) engine=28.5 ;;
  *) die "unknown engine '$engine' (20.10, 26 or 28.5)" ;;
esac
if $containerd_store && [ "$engine" = 20.10 ]; then die "--containerd-store needs --engine 26 or 28.5"; fi

case "$cmd" in
  start) mkdir -p "$dir_arg" ;;
  stop|status) [ -d "$dir_arg" ] || { [ "$cmd" = stop ] && exit 0; echo "not running (no $dir_arg)"; exit 3; } ;;
  *) usage ;;
esac
dir=$(cd "$dir_arg" && pwd -P)
# DIR goes unquoted into DIR/env and into a socket path.
case "$dir" in
  *[!A-Za-z0-9._/+@-]*) die "DIR must be a path of letters, digits and ._/+@- only: $dir" ;;
esac
[ ${#dir} -le 90 ] || die "DIR is too long for a unix socket path (${#dir} > 90 characters): $dir"

# The docker client used to talk to the daemon: the one on PATH, else Debian's.
client() {
  if command -v docker >/dev/null 2>&1; then docker -H "unix://$dir/docker.sock" "$@"
  else /usr/bin/docker -H "unix://$dir/docker.sock" "$@"; fi
}

static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

ensure_packages() {
  local need=()
  [ -x /usr/sbin/dockerd ] || need+=(docker.io)
  static_busybox || need+=(busybox-static)
  command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}: install them (apt-get install ${need[*]}) or run as root"
  echo "$prog: installing ${need[*]} (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  # Keep the packages' maintainer scripts from starting a system docker daemon or containerd
  # (the Debian way: a policy-rc.d that denies, only while installing and only if there is none).
  local policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy"
  fi
  local ok=true
  apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${need[@]}" >&2 || ok=false
  [ -n "$policy" ] && rm -f "$policy"
  $ok || die "apt-get install ${need[*]} failed"
  [ -x /usr/sbin/dockerd ] || die "dockerd is still missing after installing docker.io (/usr/sbin/dockerd)"
  command -v docker-registry >/dev/null 2>&1 || die "docker-registry is still missing after installing it"
  static_busybox || die "/bin/busybox is not a static busybox after installing busybox-static"
}

# A newer Debian's docker.io and containerd, unpacked once into a cache (a lock keeps parallel
# starts apart): engine_root NAME SUITE VERSION-PREFIX, e.g. engine_root engine26 trixie 26.1.
# The suite moves on (sid especially): the unpacked dockerd must report VERSION-PREFIX, or the
# setup fails saying which version it found.
engine_root() {
  local name=$1 suite=$2 want=$3
  local cache=${TIDY_ENGINE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/docker-tidy-test}/$name
  mkdir -p "$cache"
  (
    flock 9
    if [ -x "$cache/root/usr/sbin/dockerd" ] && [ -x "$cache/root/usr/bin/containerd" ] && [ -f "$cache/root/.complete" ]; then
      exit 0
    fi
    echo "$prog: fetching Debian $suite's docker.io and containerd into $cache (once)" >&2
    local t
    t=$(mktemp -d "$cache/fetch-XXXXXX")
    trap 'rm -rf "$t"' EXIT
    printf 'deb http://deb.debian.org/debian %s main\n' "$suite" > "$t/sources.list"
    mkdir -p "$t/lists/partial" "$t/cache/archives/partial" "$t/debs" "$t/root"
    local a=(-o "Dir::Etc::SourceList=$t/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$t/lists" -o "Dir::Cache=$t/cache" -o APT::Sandbox::User=root)
    apt-get "${a[@]}" update -qq >&2 || { echo "$prog: apt-get update for $suite failed" >&2; exit 1; }
    (cd "$t/debs" && apt-get "${a[@]}" download docker.io containerd >&2) ||
      { echo "$prog: downloading $suite's docker.io and containerd failed" >&2; exit 1; }
    for f in "$t"/debs/*.deb; do dpkg -x "$f" "$t/root" || exit 1; done
    [ -x "$t/root/usr/sbin/dockerd" ] && [ -x "$t/root/usr/bin/containerd" ] || exit 1
    # Bookworm's runc (glibc 2.36) runs the containers: a newer suite's runc needs a newer glibc.
    rm -f "$t/root/usr/sbin/runc" "$t/root/usr/bin/runc"
    local v
    v=$("$t/root/usr/sbin/dockerd" --version) || { echo "$prog: $suite's dockerd does not run here" >&2; exit 1; }
    case "$v" in
      "Docker version $want"*) ;;
      *) echo "$prog: Debian $suite now has '$v', not engine $want" >&2; exit 1 ;;
    esac
    (cd "$t/debs" && ls -- *.deb) > "$t/root/.complete" || exit 1
    rm -rf "$cache/root" && mv "$t/root" "$cache/root" || exit 1
  ) 9> "$cache/.lock" || die "could not set up engine $want (Debian $suite)"
  echo "$cache/root"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A process's command line, arguments joined by spaces, with a space before and after.
cmdline_of() {
  local -a a
  mapfile -d '' a 2> /dev/null < "/proc/$1/cmdline" || return 1
  echo " ${a[*]} "
}

# PIDs whose command line contains a fixed string (no regex: DIR may hold . or +).
pids_matching() {
  local f pid line
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    [ "$pid" = $$ ] && continue
    line=$(cmdline_of "$pid") || continue
    [[ $line == *"$1"* ]] && echo "$pid"
  done
  return 0
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

readfile() { [ -f "$1" ] && cat "$1" || true; }

# Ends PID (TERM, up to SECONDS, then KILL).
end_pid() { # pid seconds
  local pid=$1 i
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $2 * 10; i++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

# The exec-root recorded in DIR, only if it is one this script made.
exec_root_of() {
  local e
  e=$(readfile "$dir/exec-root")
  case "$e" in
    /tmp/dt-*) case "$e" in */..*|*/./*|*[!A-Za-z0-9/_-]*) return 0 ;; esac; echo "$e" ;;
  esac
}

# The registry process of this DIR: its pidfile, checked against its command line.
registry_pid() {
  local pid
  pid=$(readfile "$dir/registry.pid")
  if alive "$pid" && [[ "$(cmdline_of "$pid")" == *" serve $dir/registry.yml "* ]]; then echo "$pid"; return 0; fi
  pids_matching "docker-registry serve $dir/registry.yml " | head -1
}

dockerd_pid() {
  local pid
  pid=$(readfile "$dir/dockerd.pid")
  if alive "$pid" && [[ "$(cmdline_of "$pid")" == *" -H unix://$dir/docker.sock "* ]]; then echo "$pid"; return 0; fi
  local p
  for p in $(pids_matching " -H unix://$dir/docker.sock "); do
    case "$(readlink "/proc/$p/exe" 2>/dev/null)" in */dockerd) echo "$p"; return 0 ;; esac
  done
}

start() {
  [ "$(id -u)" = 0 ] || die "a private dockerd needs root (run as root, e.g. with sudo)"
  ensure_packages
  if [ -n "$(dockerd_pid)" ]; then die "a daemon already runs in $dir (scripts/daemon.sh stop $dir)"; fi
  stop_all quiet # leftovers of an earlier run in the same DIR

  local dockerd=/usr/sbin/dockerd path=$PATH tag=20.10 r
  if [ "$engine" != 20.10 ]; then
    case "$engine" in
      26) r=$(engine_root engine26 trixie 26.1) ;;
      28.5) r=$(engine_root engine28.5 sid 28.5) ;;
    esac
    dockerd=$r/usr/sbin/dockerd
    # The newer containerd and shims first; runc and docker-init stay bookworm's.
    path=$r/usr/bin:$r/usr/sbin:$PATH
    tag=$engine
    $containerd_store && tag=$engine-containerd
  fi
  [ -x "$dockerd" ] || die "dockerd is missing: $dockerd"

  mkdir -p "$dir/data" "$dir/registry"
  rm -f "$dir/env" "$dir/token" "$dir/docker.sock"
  local token exec_root port=
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  exec_root=$(mktemp -d /tmp/dt-XXXXXX)
  echo "$exec_root" > "$dir/exec-root"
  echo "$token" > "$dir/token"
  # On any failure from here on, take down whatever did start.
  # shellcheck disable=SC2154
  trap 'rc=$?; if [ $rc -ne 0 ]; then echo "$prog: start failed; cleaning up $dir" >&2; stop_all quiet; fi; exit $rc' EXIT

  # The registry, on a free port (picked, then bound by the registry: retried if lost to a race).
  local i rpid
  for _ in 1 2 3 4 5; do
    port=$(free_port)
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
    rpid=$!
    for ((i = 0; i < 200; i++)); do
      if port_open "$port"; then break; fi
      alive "$rpid" || break
      sleep 0.1
    done
    if alive "$rpid" && port_open "$port"; then break; fi
    end_pid "$rpid" 2
    port=
  done
  if [ -z "$port" ]; then
    tail -20 "$dir/registry.log" >&2
    die "the registry (docker-registry serve $dir/registry.yml) did not start"
  fi

  local features='{}'
  $containerd_store && features='{"features":{"containerd-snapshotter":true}}'
  echo "$features" > "$dir/daemon.json"

  PATH=$path setsid "$dockerd" \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" --exec-root "$exec_root" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" --bridge=none --iptables=false --ip-masq=false \
    --registry-mirror "http://127.0.0.1:$port" --insecure-registry "127.0.0.1:$port" \
    --label "docker-tidy-test=$token" > "$dir/dockerd.log" 2>&1 < /dev/null &
  local dpid=$! ok=false
  for ((i = 0; i < 300; i++)); do
    if [ -S "$dir/docker.sock" ] && client version > /dev/null 2>&1; then ok=true; break; fi
    alive "$dpid" || break
    sleep 0.1
  done
  if ! $ok; then
    echo "$prog: dockerd in $dir did not answer within 30s; the end of $dir/dockerd.log:" >&2
    tail -30 "$dir/dockerd.log" >&2
    exit 1
  fi
  local labels
  labels=$(client info --format '{{json .Labels}}')
  case "$labels" in
    *"docker-tidy-test=$token"*) ;;
    *) die "the daemon on $dir/docker.sock does not carry its label: $labels" ;;
  esac
  if $containerd_store; then
    client info --format '{{json .DriverStatus}}' | grep -q io.containerd.snapshotter ||
      die "the containerd image store is not on (see $dir/dockerd.log)"
  fi

  cat > "$dir/env.tmp" <<EOF
DOCKER_HOST=unix://$dir/docker.sock
TIDY_TEST_TOKEN=$token
TIDY_REGISTRY=127.0.0.1:$port
TIDY_DATA_ROOT=$dir/data
TIDY_ENGINE=$tag
TIDY_DIR=$dir
EOF
  mv "$dir/env.tmp" "$dir/env"
  trap - EXIT
  cat "$dir/env"
}

# Stops whatever this DIR started; idempotent. With "quiet", says nothing.
stop_all() {
  local exec_root pid sock="$dir/docker.sock" p c
  exec_root=$(exec_root_of)
  pid=$(dockerd_pid)
  if [ -n "$pid" ] && [ -S "$sock" ]; then
    # Containers first, so that the daemon's shutdown does not wait on them.
    local ids
    ids=$(timeout 20 "$(command -v docker || echo /usr/bin/docker)" -H "unix://$sock" ps -q 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      timeout 30 "$(command -v docker || echo /usr/bin/docker)" -H "unix://$sock" kill $ids > /dev/null 2>&1 || true
    fi
  fi
  [ -n "$pid" ] && end_pid "$pid" 20
  if [ -n "$exec_root" ]; then
    # What the daemon started under its exec-root: containerd, the shims and, under the shims,
    # the containers (killing a container's init ends its whole PID namespace).
    for p in $(pgrep -f -- "containerd-shim.* -address $exec_root/" || true); do
      for c in $(pgrep -P "$p" || true); do kill -KILL "$c" 2>/dev/null || true; done
      kill -KILL "$p" 2>/dev/null || true
    done
    for p in $(pgrep -f -- "$exec_root/" || true); do end_pid "$p" 5; done
  fi
  pid=$(registry_pid)
  [ -n "$pid" ] && end_pid "$pid" 5
  # Mounts left under DIR or the exec-root, deepest first.
  local m
  while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/" -v e="${exec_root:-/nonexistent-dt}/" \
    'index($2 "/", d) == 1 || index($2 "/", e) == 1 { print $2 }' /proc/mounts | sort -r)
  [ -n "$exec_root" ] && rm -rf "$exec_root"
  rm -f "$sock" "$dir/exec-root" "$dir/dockerd.pid" "$dir/registry.pid"
  [ "${1:-}" = quiet ] || echo "$prog: stopped $dir" >&2
}

status() {
  local d r code=0
  d=$(dockerd_pid); r=$(registry_pid)
  if [ -n "$d" ]; then echo "dockerd: running (pid $d) on unix://$dir/docker.sock"; else echo "dockerd: not running"; code=3; fi
  if [ -n "$r" ]; then echo "registry: running (pid $r) on $(grep -o '127.0.0.1:[0-9]*' "$dir/registry.yml")"; else echo "registry: not running"; code=3; fi
  return $code
}

case "$cmd" in
  start) start ;;
  stop) stop_all ;;
  status) status ;;
esac
