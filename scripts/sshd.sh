#!/usr/bin/env bash
# A private sshd on a loopback port, key authentication only, whose sessions reach a private Docker
# daemon: the ssh:// host of the end-to-end tests (docker reaches it with `ssh ... docker system
# dial-stdio`, as for any ssh:// context).
#
#   scripts/sshd.sh start DIR DOCKER_HOST    DOCKER_HOST: what `docker` sees in the sessions (SetEnv)
#   scripts/sshd.sh stop DIR
#
# start writes DIR/env, shell-sourceable: TIDY_SSH_HOST=ssh://root@127.0.0.1:PORT and
# TIDY_SSH_PATH=DIR/bin, a folder to put first on PATH: its `ssh` runs /usr/bin/ssh with this
# sshd's key and host key (DIR/ssh_config), so neither ~/.ssh nor the system's ssh settings are
# read or changed. Everything else lives in DIR too. Debian's openssh-server is installed when
# missing (as root; the package's own service is kept from starting, as scripts/daemon.sh does).
set -euo pipefail

prog=$(basename "$0")
die() { echo "$prog: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $prog start DIR DOCKER_HOST | stop DIR"
cmd=$1 dir=$2

case "$cmd" in
  stop)
    [ -f "$dir/sshd.pid" ] || exit 0
    pid=$(cat "$dir/sshd.pid")
    # Only the sshd this script started (its pid file, its config on the command line).
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/sshd_config"; then kill "$pid"; fi
    rm -f "$dir/sshd.pid"
    exit 0 ;;
  start) [ $# -eq 3 ] || die "usage: $prog start DIR DOCKER_HOST"; docker_host=$3 ;;
  *) die "usage: $prog start DIR DOCKER_HOST | stop DIR" ;;
esac

if [ ! -x /usr/sbin/sshd ]; then
  [ "$(id -u)" = 0 ] || die "missing openssh-server: install it (apt-get install openssh-server) or run as root"
  echo "$prog: installing openssh-server (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then policy=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; fi
  ok=true
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends openssh-server; } >&2 || ok=false
  [ -n "$policy" ] && rm -f "$policy"
  $ok && [ -x /usr/sbin/sshd ] || die "apt-get install openssh-server failed"
fi

mkdir -p "$dir/bin"
dir=$(cd "$dir" && pwd -P)
case "$dir$docker_host" in *[!A-Za-z0-9._/:+@-]*) die "DIR and DOCKER_HOST must be letters, digits and ._/:+@- only" ;; esac
# sshd's privilege separation directory (Debian's service makes it at boot).
mkdir -p /run/sshd
rm -f "$dir"/host_key* "$dir"/id_ed25519*
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" -C tidy-test-host
ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" -C tidy-test-client
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
# A free loopback port (node is what this project already needs).
port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
cat > "$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=$docker_host
EOF
cat > "$dir/ssh_config" <<EOF
Host *
  IdentityFile $dir/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
printf '#!/bin/sh\nexec /usr/bin/ssh -F %s/ssh_config "$@"\n' "$dir" > "$dir/bin/ssh"
chmod 755 "$dir/bin/ssh"
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 50); do [ -s "$dir/sshd.pid" ] && break; sleep 0.1; done
[ -s "$dir/sshd.pid" ] || die "sshd did not start: $(cat "$dir/sshd.log" 2>/dev/null)"
printf 'TIDY_SSH_HOST=ssh://root@127.0.0.1:%s\nTIDY_SSH_PATH=%s/bin\n' "$port" "$dir" > "$dir/env"
