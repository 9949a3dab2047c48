#!/usr/bin/env bash
# Builds the fixture world in a private daemon that scripts/daemon.sh started:
#   scripts/world.sh DIR             reads DIR/env (DOCKER_HOST, TIDY_REGISTRY, ...)
#   scripts/world.sh                 uses DOCKER_HOST and TIDY_REGISTRY from the environment
#   scripts/world.sh DIR --builds    adds the builds of a busy build host (below)
# ${DOCKER:-docker} is the client; BuildKit builds use ${BUILDKIT_CLIENT:-/usr/bin/docker} (the
# 20.10 client builds with BuildKit without buildx). It refuses to run against a daemon without
# a docker-tidy-test label, so it never fills a real daemon.
#
# The world (names the tests refer to; PORT is the registry's, from TIDY_REGISTRY):
# - "pulled from Docker Hub" through the daemon's registry mirror, so they carry RepoDigests
#   exactly like a Hub pull: postgres:13, postgres:13-beta1, postgres:13-beta2 (the betas share
#   their first layer and add one each), mongo:latest (pulled as "mongo"), alpine:3.19,
#   busybox:latest
# - 127.0.0.1:PORT/team/app:1, pushed to the registry (so it has a RepoDigest) and kept
# - built here with the legacy builder (local-only, no RepoDigests; parents and intermediate
#   images; ENV, RUN, COPY, LABEL and empty-layer steps): myapp:1.0 FROM alpine:3.19, also tagged
#   myapp:stable; myapp:1.1 FROM myapp:1.0
# - built with BuildKit (leaves build cache): webapp:latest FROM busybox:latest
# - tool:dev built twice: the first build is now dangling (<none>:<none>), used by nothing
# - moving:tag built twice, with the container pinned-old created from the first build, which is
#   now untagged (dangling) and in use
# - containers: web-running (running, mounts the volume app-data, runs myapp:1.1),
#   job-exited (exited, tool:dev), db-created (created, never started, postgres:13),
#   beta-exited (exited, postgres:13-beta1; postgres:13-beta2 is used by nothing),
#   mongo-notag (created from "mongo", no tag), pinned-old (created, old moving:tag),
#   by-digest (created from 127.0.0.1:PORT/team/app@sha256:...)
# - volumes: app-data (named, used by web-running), old-data (named, unused, ~300 kB of data),
#   one anonymous unused volume (~200 kB, left by the removed container anon-tmp)
# Images are a few MB each (static busybox plus random padding); the world builds in seconds.
# With --builds, BuildKit builds as a build host has them, with their cache:
# - ms:1, a multi-stage build (a build stage whose layers no image has, COPY --from into the
#   final stage) FROM busybox:latest, and ms:2, the same Dockerfile built again with --no-cache
# - svc:1 FROM alpine:3.19 and svc:2 FROM svc:1
# - real:1 FROM alpine:3.19: text that compresses well, a binary that does not, ENV, WORKDIR
# - lb:1, a base built with the legacy builder, and ob:1 FROM lb:1 with BuildKit
set -euo pipefail
builds=false
if [ "${2:-}" = --builds ]; then builds=true; fi

if [ $# -ge 1 ]; then
  [ -f "$1/env" ] || { echo "world.sh: no $1/env: start a daemon with scripts/daemon.sh start $1" >&2; exit 1; }
  set -a; . "$1/env"; set +a
fi
: "${DOCKER_HOST:?world.sh: DOCKER_HOST is not set (source DIR/env of scripts/daemon.sh, or pass DIR)}"
: "${TIDY_REGISTRY:?world.sh: TIDY_REGISTRY is not set (source DIR/env of scripts/daemon.sh, or pass DIR)}"
export DOCKER_HOST
unset DOCKER_CONTEXT
D=${DOCKER:-docker}
BUILDKIT_CLIENT=${BUILDKIT_CLIENT:-/usr/bin/docker}

# The rootfs needs a static busybox.
if ! { [ -x /bin/busybox ] && ! ldd /bin/busybox > /dev/null 2>&1; }; then
  [ "$(id -u)" = 0 ] || { echo "world.sh: needs a static /bin/busybox: apt-get install busybox-static" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >&2
fi
[ -x "$BUILDKIT_CLIENT" ] || { echo "world.sh: $BUILDKIT_CLIENT is missing (Debian's docker.io ships it)" >&2; exit 1; }

# Never fill a daemon that is not a private test daemon.
labels=$($D info --format '{{json .Labels}}')
case "$labels" in
  *"docker-tidy-test=${TIDY_TEST_TOKEN:-}"*) ;;
  *) echo "world.sh: $DOCKER_HOST does not carry the label docker-tidy-test=${TIDY_TEST_TOKEN:-<token>}: not a private test daemon" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One line of progress on stderr ("world: 2/7 ..."), for the sandbox to show while it waits.
step() { echo "world: $*" >&2; }

# Runs a command quietly; on failure shows what it said and fails.
q() {
  if ! "$@" > "$work/out" 2>&1; then
    echo "world.sh: failed: $*" >&2
    cat "$work/out" >&2
    exit 1
  fi
}

# A tiny root filesystem: static busybox and a few links, padded with random bytes.
rootfs_tar() { # name padding-bytes
  local r="$work/rootfs-$1" l
  mkdir -p "$r/bin" "$r/tmp" "$r/data"
  cp /bin/busybox "$r/bin/busybox"
  for l in sh true sleep cat head ls rm mkdir echo; do ln -sf busybox "$r/bin/$l"; done
  head -c "$2" /dev/urandom > "$r/pad-$1"
  tar -C "$r" -cf "$work/$1.tar" .
}

legacy_build() { # tag context-dir
  DOCKER_BUILDKIT=0 q $D build --network none -t "$1" "$2"
}

# "Pull" NAME like a Docker Hub pull: push it to the mirror's library/, drop it, pull it back.
publish_and_pull() { # local-image name:tag [pull-reference]
  local ref="$TIDY_REGISTRY/library/$2"
  q $D tag "$1" "$ref"
  q $D push "$ref"
  q $D rmi "$ref" "$1"
  q $D pull "${3:-$2}"
}

# Official images, each its own imported rootfs.
step "1/7 official images, pulled through the registry mirror (alpine, busybox, mongo, postgres)"
for spec in alpine:3.19:1500000 busybox:latest:800000 mongo:latest:2500000 postgres:13:3000000; do
  name=${spec%:*}; pad=${spec##*:}
  stage=${name//[:\/]/-}
  rootfs_tar "$stage" "$pad"
  q $D import "$work/$stage.tar" "stage/$stage"
  pull=$name
  [ "$name" = mongo:latest ] && pull=mongo
  publish_and_pull "stage/$stage" "$name" "$pull"
done

# The betas share their base layer and add one layer each.
step "2/7 postgres betas sharing a base layer"
rootfs_tar pgbase 2000000
q $D import "$work/pgbase.tar" stage/pgbase
for beta in 1 2; do
  mkdir -p "$work/beta$beta"
  printf 'FROM stage/pgbase\nRUN head -c %d /dev/urandom > /beta\nCMD ["sh"]\n' $((beta * 300000)) > "$work/beta$beta/Dockerfile"
  legacy_build "stage/beta$beta" "$work/beta$beta"
  publish_and_pull "stage/beta$beta" "postgres:13-beta$beta"
done
q $D rmi stage/pgbase

# A registry-host:port image, pushed (so it has a RepoDigest) and kept.
rootfs_tar teamapp 700000
q $D import "$work/teamapp.tar" "$TIDY_REGISTRY/team/app:1"
q $D push "$TIDY_REGISTRY/team/app:1"

# Local builds with the legacy builder: parents, intermediate images, several kinds of step.
step "3/7 local builds with the legacy builder (myapp)"
mkdir -p "$work/myapp"
head -c 400000 /dev/urandom > "$work/myapp/app.bin"
cat > "$work/myapp/Dockerfile" <<'EOF'
FROM alpine:3.19
ENV APP_HOME=/app
RUN mkdir -p /app/logs
COPY app.bin /app/app.bin
RUN head -c 250000 /dev/urandom > /app/data
LABEL org.example.role=app
RUN true
CMD ["sleep", "100000"]
EOF
legacy_build myapp:1.0 "$work/myapp"
q $D tag myapp:1.0 myapp:stable
mkdir -p "$work/myapp11"
printf 'FROM myapp:1.0\nRUN head -c 150000 /dev/urandom > /app/patch\nRUN rm /app/data\n' > "$work/myapp11/Dockerfile"
legacy_build myapp:1.1 "$work/myapp11"

# BuildKit: leaves build cache behind.
step "4/7 a BuildKit build (webapp) and its build cache"
mkdir -p "$work/webapp"
head -c 300000 /dev/urandom > "$work/webapp/site.bin"
printf 'FROM busybox:latest\nRUN head -c 200000 /dev/urandom > /www\nCOPY site.bin /site.bin\n' > "$work/webapp/Dockerfile"
DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t webapp:latest "$work/webapp"

# The same tag built twice: the first build becomes dangling.
step "5/7 a tag built twice, a tag that moved on"
for i in 1 2; do
  mkdir -p "$work/tool$i"
  printf 'FROM busybox:latest\nRUN head -c %d /dev/urandom > /tool\n' $((100000 * i)) > "$work/tool$i/Dockerfile"
  legacy_build tool:dev "$work/tool$i"
done

# A tag that moves on after a container was created from it.
mkdir -p "$work/moving1" "$work/moving2"
printf 'FROM alpine:3.19\nRUN head -c 120000 /dev/urandom > /v1\n' > "$work/moving1/Dockerfile"
printf 'FROM alpine:3.19\nRUN head -c 130000 /dev/urandom > /v2\n' > "$work/moving2/Dockerfile"
legacy_build moving:tag "$work/moving1"
q $D create --network none --name pinned-old moving:tag sh
legacy_build moving:tag "$work/moving2"

if $builds; then
  step "5/7 the builds of a build host (--builds)"
  mkdir -p "$work/ms" "$work/svc1" "$work/svc2" "$work/real" "$work/lb" "$work/ob"
  printf '%s\n' 'FROM busybox:latest AS build' 'RUN head -c 2000000 /dev/urandom > /a' 'RUN head -c 1000000 /dev/urandom > /b' \
    'FROM busybox:latest' 'COPY --from=build /a /a' 'RUN head -c 500000 /dev/urandom > /c' > "$work/ms/Dockerfile"
  printf '%s\n' 'FROM alpine:3.19' 'RUN head -c 300000 /dev/urandom > /s1' 'RUN mkdir /app && head -c 40000 /dev/urandom > /app/x' > "$work/svc1/Dockerfile"
  printf '%s\n' 'FROM svc:1' 'RUN head -c 250000 /dev/urandom > /s2' > "$work/svc2/Dockerfile"
  head -c 300000 /dev/urandom > "$work/real/bin.dat"
  printf '%s\n' 'FROM alpine:3.19' 'RUN seq 1 150000 > /nums' 'COPY bin.dat /opt/bin.dat' \
    'RUN seq 1 300000 > /more && mkdir -p /var/x && head -c 50000 /dev/urandom > /var/x/r' 'ENV A=1' 'WORKDIR /srv' 'RUN echo hi > /srv/hi' > "$work/real/Dockerfile"
  printf '%s\n' 'FROM busybox:latest' 'RUN head -c 700000 /dev/urandom > /lb' > "$work/lb/Dockerfile"
  printf '%s\n' 'FROM lb:1' 'RUN head -c 100000 /dev/urandom > /ob' > "$work/ob/Dockerfile"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t ms:1 "$work/ms"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --no-cache --network none -t ms:2 "$work/ms"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t svc:1 "$work/svc1"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t svc:2 "$work/svc2"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t real:1 "$work/real"
  legacy_build lb:1 "$work/lb"
  DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build --network none -t ob:1 "$work/ob"
fi

# Volumes and containers.
step "6/7 volumes and containers"
q $D volume create app-data
q $D volume create old-data
q $D run --network none --name fill-old -v old-data:/data alpine:3.19 sh -c 'head -c 300000 /dev/urandom > /data/x'
q $D rm fill-old
# An anonymous volume outlives its container when the container is removed without -v.
q $D run --network none --name anon-tmp -v /data alpine:3.19 sh -c 'head -c 200000 /dev/urandom > /data/x'
q $D rm anon-tmp
q $D run -d --network none --name web-running -v app-data:/data myapp:1.1 sh -c 'head -c 100000 /dev/urandom > /data/x; exec sleep 100000'
q $D run --network none --name job-exited tool:dev sh -c 'head -c 50000 /dev/urandom > /out'
q $D create --network none --name db-created postgres:13 sh
q $D run --network none --name beta-exited postgres:13-beta1 true
q $D create --network none --name mongo-notag mongo sh
# A container created from a name@digest reference.
digest=$($D image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$TIDY_REGISTRY/team/app:1" | grep -m1 "^$TIDY_REGISTRY/team/app@")
q $D create --network none --name by-digest "$digest" sh

# Wait until the running container has written its data.
step "7/7 waiting for the running container"
for _ in $(seq 50); do
  [ "$($D exec web-running ls /data 2> /dev/null)" = x ] && break
  sleep 0.1
done
[ "$($D inspect --format '{{.State.Running}}' web-running)" = true ] || { echo "world.sh: web-running is not running" >&2; exit 1; }

{
  echo "== the world in $DOCKER_HOST (engine ${TIDY_ENGINE:-?})"
  $D image ls --digests
  $D ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.State}}'
  $D volume ls
  $D system df
} >&2
