#!/usr/bin/env bash
# Builds the fixture world users describe, in the private daemon that DIR/env names:
#   scripts/world.sh DIR
# - "pulled from Docker Hub" through the local mirror (so they carry RepoDigests): postgres:13,
#   postgres:13-beta1, postgres:13-beta2 (the betas share a base layer), mongo:latest,
#   alpine:3.19, busybox:latest; and 127.0.0.1:PORT/team/app:1 pushed to the registry
# - built here (local-only, no RepoDigests), legacy builder with parents and several steps:
#   myapp:1.0 (also tagged myapp:stable), myapp:1.1 FROM myapp:1.0
# - BuildKit (leaves build cache): webapp:latest
# - tool:dev built twice (the first build is now dangling); moving:tag built twice, with the
#   container pinned-old on its first build
# - containers: web-running (running, mounts volume app-data), job-exited (exited),
#   db-created (created), beta-exited (exited, postgres:13-beta1), mongo-notag (created from
#   "mongo"), pinned-old (created; its image's tag has moved on), by-digest (created from
#   127.0.0.1:PORT/team/app@sha256:...)
# - volumes: app-data (used), old-data (named, unused, holds data), one anonymous unused volume
# Sizes are small (a few MB) so the world builds in seconds.
set -euo pipefail
dir=$(cd "$1" && pwd)
set -a; . "$dir/env"; set +a
D=${DOCKER:-docker}
# The 20.10 client builds with BuildKit without buildx.
BUILDKIT_CLIENT=${BUILDKIT_CLIENT:-/usr/bin/docker}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
q() { "$@" > /dev/null; }

# A tiny root filesystem: busybox and a few links, padded with random bytes.
rootfs_tar() { # name padding-bytes
  local r="$work/rootfs-$1"
  mkdir -p "$r/bin" "$r/tmp" "$r/data"
  cp /bin/busybox "$r/bin/busybox"
  for l in sh true sleep cat head ls rm mkdir echo; do ln -sf busybox "$r/bin/$l"; done
  head -c "$2" /dev/urandom > "$r/pad-$1"
  tar -C "$r" -cf "$work/$1.tar" .
}

legacy_build() { # tag context-dir
  DOCKER_BUILDKIT=0 q $D build -q -t "$1" "$2" 2>/dev/null
}

# "Pull" NAME:TAG like a Docker Hub pull: push to the mirror's library/, drop it, pull it back.
publish_and_pull() { # local-image name:tag
  local ref="$TIDY_REGISTRY/library/$2"
  q $D tag "$1" "$ref"
  q $D push "$ref"
  q $D rmi "$ref" "$1"
  q $D pull "$2"
}

# Official images.
for spec in alpine:3.19:1500000 busybox:latest:800000 mongo:latest:2500000 postgres:13:3000000; do
  name=${spec%:*}; pad=${spec##*:}
  rootfs_tar "${name//[:\/]/-}" "$pad"
  q $D import "$work/${name//[:\/]/-}.tar" "stage/${name//[:\/]/-}"
  publish_and_pull "stage/${name//[:\/]/-}" "$name"
done

# The betas share their base (postgres-base) and add one layer each.
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
mkdir -p "$work/webapp"
head -c 300000 /dev/urandom > "$work/webapp/site.bin"
printf 'FROM busybox:latest\nRUN head -c 200000 /dev/urandom > /www\nCOPY site.bin /site.bin\n' > "$work/webapp/Dockerfile"
DOCKER_BUILDKIT=1 q "$BUILDKIT_CLIENT" build -q --network none -t webapp:latest "$work/webapp" 2>/dev/null

# The same tag built twice: the first build becomes dangling.
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

# Volumes and containers.
q $D volume create app-data
q $D volume create old-data
q $D run --network none --name fill-old -v old-data:/data alpine:3.19 sh -c 'head -c 300000 /dev/urandom > /data/x'
q $D rm fill-old
q $D run --network none --name anon-tmp -v /data alpine:3.19 sh -c 'head -c 200000 /dev/urandom > /data/x'
q $D rm anon-tmp
q $D run -d --network none --name web-running -v app-data:/data myapp:1.1 sh -c 'head -c 100000 /dev/urandom > /data/x; exec sleep 100000'
q $D run --network none --name job-exited tool:dev sh -c 'head -c 50000 /dev/urandom > /out'
q $D create --network none --name db-created postgres:13 sh
q $D run --network none --name beta-exited postgres:13-beta1 true
q $D create --network none --name mongo-notag mongo sh
# A container created from a name@digest reference.
q $D create --network none --name by-digest "$($D image inspect --format '{{index .RepoDigests 0}}' "$TIDY_REGISTRY/team/app:1")" sh

# Wait until the running container has written its data.
for _ in $(seq 50); do
  [ "$($D exec web-running ls /data 2>/dev/null)" = x ] && break
  sleep 0.1
done

{
  $D image ls --digests
  $D ps -a --format 'table {{.Names}}\t{{.Image}}\t{{.State}}'
  $D volume ls
} >&2
