#!/usr/bin/env bash
# Start time of a container with --userns=auto on `strata daemon`: image layers shared through idmapped
# mounts, against chowned copies (the daemon's --userns-layers copy) with the copy cache warm (the range of
# the previous container, freed at its removal, is taken again) and cold (the cache emptied before each
# run), and a container without a user namespace as the baseline. Each run is create (UsernsMode auto),
# start, wait, remove, over the API with curl: the docker CLI refuses --userns=auto.
# A temporary root, socket and subuid/subgid files; nothing machine-wide changes. Root only.
#
# Usage: bench/engine/userns.sh [RUNS]   (STRATA: the strata command, default `strata` on PATH or the built strata.dll)
set -euo pipefail
runs=${1:-20}
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${STRATA:-}" ]; then
    if command -v strata >/dev/null; then STRATA=strata; else STRATA="dotnet $here/src/Strata.Cli/bin/Release/net10.0/strata.dll"; fi
fi
export STRATA_RUNTIME=${STRATA_RUNTIME:-$here/artifacts/bin/strata-runtime}
work=$(mktemp -d)
chmod 711 "$work"
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
"$here/scripts/busybox-image.sh" "$work/busybox.tar" busybox:bench >/dev/null
echo "containers:1000000:1000000" >"$work/subuid"
cp "$work/subuid" "$work/subgid"

cat >"$work/run.sh" <<'RUN'
#!/usr/bin/env bash
# One container: create, start, wait, remove (docker run --rm's work; a wait for "removed" after the start
# could come after the removal).
set -euo pipefail
sock=$1 mode=$2
id=$(curl -sS --fail-with-body --unix-socket "$sock" -H 'Content-Type: application/json' -X POST http://d/v1.50/containers/create \
    -d "{\"Image\":\"busybox:bench\",\"Cmd\":[\"true\"],\"HostConfig\":{\"UsernsMode\":\"$mode\"}}" | sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/')
curl -sS --fail-with-body --unix-socket "$sock" -X POST "http://d/v1.50/containers/$id/start" >/dev/null
curl -sS --fail-with-body --unix-socket "$sock" -X POST "http://d/v1.50/containers/$id/wait" >/dev/null
curl -sS --fail-with-body --unix-socket "$sock" -X DELETE "http://d/v1.50/containers/$id" >/dev/null
RUN
chmod +x "$work/run.sh"

start_daemon() { # LAYERS
    local root=$work/root-$1 sock=$work/$1.sock
    $STRATA daemon --root "$root" --socket "$sock" --subuid-file "$work/subuid" --subgid-file "$work/subgid" --userns-layers "$1" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sS --fail-with-body --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break; sleep 0.2; done
    curl -sS --fail-with-body --unix-socket "$sock" -X POST -H 'Content-Type: application/x-tar' --data-binary @"$work/busybox.tar" http://d/v1.50/images/load >/dev/null
}
stop_daemon() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

start_daemon auto
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/auto.md" \
    -n "no user namespace" "$work/run.sh $work/auto.sock host" \
    -n "userns=auto, idmapped layers" "$work/run.sh $work/auto.sock auto"
curl -sf --unix-socket "$work/auto.sock" http://d/v1.50/info | grep -o '"DriverStatus":[^]]*]]'
stop_daemon
start_daemon copy
hyperfine -N --warmup 3 --runs "$runs" --export-markdown "$work/copy.md" \
    -n "userns=auto, chowned copy (cache warm)" "$work/run.sh $work/copy.sock auto"
hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/cold.md" --prepare "rm -rf $work/root-copy/userns/layers" \
    -n "userns=auto, chowned copy (cache cold)" "$work/run.sh $work/copy.sock auto"
curl -sf --unix-socket "$work/copy.sock" http://d/v1.50/info | grep -o '"DriverStatus":[^]]*]]'
stop_daemon
cat "$work/auto.md" "$work/copy.md" "$work/cold.md"
