#!/usr/bin/env bash
# Strata's main job on an embedded default, no internet needed: build strata-runtime, turn Debian's
# static busybox into an OCI bundle, and run it as a container (pid, mount, network, ipc, uts and
# cgroup namespaces, a memory and pids limit), then show the lifecycle of a detached one.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
dotnet publish src/Strata.Runtime.Cli -c Release -o artifacts/bin -nologo -clp:ErrorsOnly
rt="$PWD/artifacts/bin/strata-runtime"
work=$(mktemp -d /tmp/strata-demo.XXXXXX)
root="$work/state"
trap '"$rt" --root "$root" delete --force demo-detached >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

bundle="$work/bundle"
mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs"/{proc,sys,dev,tmp,etc}
cp /bin/busybox "$bundle/rootfs/bin/"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$bundle/rootfs/bin/$applet"; done
(cd "$bundle" && "$rt" spec)
# Non-interactive, writable, and with limits to show.
sed -i -e 's/"terminal": true/"terminal": false/' -e 's/"readonly": true/"readonly": false/' \
  -e 's|^\( *\)"sh"$|\1"sh", "-c", "echo hello from $(hostname): pid $$, $(ls /sys/class/net) only, memory limit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null \|\| cat /sys/fs/cgroup/memory.max), pids limit $(cat /sys/fs/cgroup/pids/pids.max 2>/dev/null \|\| cat /sys/fs/cgroup/pids.max)"|' \
  -e 's|"resources": {|"resources": { "memory": { "limit": 67108864 }, "pids": { "limit": 64 },|' \
  "$bundle/config.json"

echo "== strata-runtime run (foreground, exit code passed through)"
"$rt" --root "$root" run --bundle "$bundle" demo
echo "== create, start, state, list, kill, delete"
sed -i 's|^\( *\)"sh", "-c", .*|\1"sleep", "60"|' "$bundle/config.json"
"$rt" --root "$root" create --bundle "$bundle" demo-detached </dev/null >/dev/null 2>&1
"$rt" --root "$root" state demo-detached | grep '"status"'
"$rt" --root "$root" start demo-detached
"$rt" --root "$root" list
"$rt" --root "$root" kill demo-detached KILL
sleep 0.2
"$rt" --root "$root" state demo-detached | grep '"status"'
"$rt" --root "$root" delete demo-detached
echo "== done: nothing left under $root: $(ls "$root" | wc -l) containers"
