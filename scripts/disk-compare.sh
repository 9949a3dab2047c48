#!/usr/bin/env bash
# What docker says, what docker tidy says, and what the disk then shows, on one world:
#   scripts/disk-compare.sh DIR
# DIR is a private daemon's directory (scripts/daemon.sh start ... DIR; scripts/world.sh DIR).
# Prints `docker system df`'s Images row and `docker tidy df`'s, then removes every unused image
# with `docker tidy rm --unused -f --include-local` and measures what the daemon's data root lost
# (du -sx in 1-byte blocks, allocated blocks: what the disk really gives back; apparent sizes
# beside it), waiting for containerd's garbage collection to settle. Then the same for the build
# cache: both dfs' Build Cache row, `docker builder prune -a -f` (as the daemon's POST
# /build/prune?all=1), what the daemon says it reclaimed and what the data root lost. Destructive:
# it refuses a daemon without the label daemon.sh gave it. `docker tidy` must be installed for
# ${DOCKER:-docker}. With world.sh DIR --builds the world has a build host's builds and cache.
set -euo pipefail
[ $# -eq 1 ] && [ -f "$1/env" ] || { echo "usage: $0 DIR (a directory scripts/daemon.sh started)" >&2; exit 2; }
set -a; . "$1/env"; set +a
D=${DOCKER:-docker}
case "$($D info --format '{{json .Labels}}')" in
  *"docker-tidy-test=$TIDY_TEST_TOKEN"*) ;;
  *) echo "$0: $DOCKER_HOST is not the private daemon of $1" >&2; exit 1 ;;
esac
root=$TIDY_DATA_ROOT
blocks() { du -sxB1 "$root" | cut -f1; }
apparent() { du -sxb "$root" | cut -f1; }
# du until two readings half a second apart agree (containerd removes snapshots in the background).
settled() {
  local a b i
  a=$(blocks)
  for i in $(seq 20); do sleep 0.5; b=$(blocks); [ "$a" = "$b" ] && break; a=$b; done
  echo "$b"
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "engine $TIDY_ENGINE"
echo "docker system df:"; $D system df | sed -n '1,2p'
tidy=$($D tidy df --json)
echo "docker tidy df: SIZE $(echo "$tidy" | json 'd["images"]["sizeBytes"]') RECLAIMABLE $(echo "$tidy" | json 'd["images"]["reclaimableBytes"]') exact $(echo "$tidy" | json 'd["images"]["exact"]')"
b0=$(settled); a0=$(apparent)
rm=$($D tidy rm --unused -f --include-local --json)
b1=$(settled); a1=$(apparent)
echo "docker tidy rm --unused: estimated $(echo "$rm" | json 'd["estimatedBytes"]') reclaimed $(echo "$rm" | json 'd["reclaimedBytes"]') left in the build cache $(echo "$rm" | json 'd["cachedBytes"]') ($(echo "$rm" | json 'len(d["images"])') images)"
echo "data root lost: $((b0 - b1)) bytes in blocks, $((a0 - a1)) apparent"
echo "docker system df after:"; $D system df | sed -n '1,2p'
echo "docker system df:"; $D system df | sed -n '1p;5p'
tidy=$($D tidy df --json)
echo "docker tidy df: Build Cache SIZE $(echo "$tidy" | json 'd["buildCache"]["sizeBytes"]') RECLAIMABLE $(echo "$tidy" | json 'd["buildCache"]["reclaimableBytes"]')"
b0=$(settled); a0=$(apparent)
socket=${DOCKER_HOST#unix://}
pruned=$(curl -sf --unix-socket "$socket" -X POST http://docker/build/prune?all=1)
b1=$(settled); a1=$(apparent)
echo "builder prune -a: the daemon says it reclaimed $(echo "$pruned" | json 'd["SpaceReclaimed"]') ($(echo "$pruned" | json 'len(d["CachesDeleted"] or [])') records)"
echo "data root lost: $((b0 - b1)) bytes in blocks, $((a0 - a1)) apparent"
