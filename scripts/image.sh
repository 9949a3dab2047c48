#!/bin/sh
# Builds docker tidy's image, docker-tidy:VERSION (VERSION from package.json), from the executable
# in dist/ and nothing downloaded: FROM scratch, the executable, and what it needs to start, the
# dynamic loader and the libraries `ldd` lists (Bun's linux-x64 build is a glibc executable).
# Run it with the docker socket mounted, on a host or as a Swarm global job (README "Many hosts"):
#   docker run --rm -v /var/run/docker.sock:/var/run/docker.sock docker-tidy:VERSION df
#
#   npm run image                       builds dist/docker-tidy, then the image
#   sh scripts/image.sh [TAG]           the image from the dist/docker-tidy there is
# ${DOCKER:-docker} builds it, on the daemon docker's own settings name (DOCKER_HOST, DOCKER_CONTEXT).
# Without buildx (BuildKit's client), docker's classic builder does: the Dockerfile needs nothing else.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
exe=$root/dist/docker-tidy
docker=${DOCKER:-docker}
version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$root/package.json" | head -1)
[ -n "$version" ] || { echo "image.sh: no version in $root/package.json" >&2; exit 1; }
tag=${1:-docker-tidy:$version}
[ -x "$exe" ] || { echo "image.sh: no $exe: run npm run build first" >&2; exit 1; }
[ "$(uname -s)" = Linux ] || { echo "image.sh: builds on Linux only (the image holds this machine's loader and libraries)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs"
cp "$exe" "$work/rootfs/docker-tidy"
# Every library ldd resolves and the loader (the line without "=>"), at the same path, symlinks
# followed (libc.so.6 -> libc-2.36.so is one file in the image).
libs=$(ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[ -n "$libs" ] || { echo "image.sh: ldd lists no libraries for $exe" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$work/rootfs$(dirname "$lib")"
  cp -L "$lib" "$work/rootfs$lib"
done
# The loader's own name is what the executable asks for (PT_INTERP); check that it is in.
interp=$(readelf -l "$exe" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
if [ -n "$interp" ] && [ ! -e "$work/rootfs$interp" ]; then
  mkdir -p "$work/rootfs$(dirname "$interp")"
  cp -L "$interp" "$work/rootfs$interp"
fi
# Where the layer cache goes (XDG_CACHE_HOME): a writable folder, a volume to keep it between runs.
mkdir -p "$work/rootfs/cache" "$work/rootfs/tmp"
chmod 1777 "$work/rootfs/tmp"

cat > "$work/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV XDG_CACHE_HOME=/cache
LABEL org.opencontainers.image.title="docker-tidy" \\
      org.opencontainers.image.version="$version" \\
      org.opencontainers.image.description="docker tidy on its own: mount the docker socket (-v /var/run/docker.sock:/var/run/docker.sock)"
ENTRYPOINT ["/docker-tidy"]
CMD ["df"]
EOF

if ! "$docker" buildx version > /dev/null 2>&1; then
  export DOCKER_BUILDKIT=0
fi
# The classic builder's deprecation notice is shown only if the build fails.
"$docker" build --quiet --tag "$tag" "$work" > /dev/null 2> "$work/build.log" || { cat "$work/build.log" >&2; exit 1; }
size=$("$docker" image inspect --format '{{.Size}}' "$tag")
echo "built $tag ($(awk -v b="$size" 'BEGIN { printf "%.1f MB", b / 1e6 }'))"
