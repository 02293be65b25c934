#!/usr/bin/env bash
# Pull, push and unpack of a one-layer image (LAYER_MB of random data, gzip) against the CNCF registry
# (Debian docker-registry) on loopback: strata vs skopeo vs podman for pull and push, strata vs umoci for
# unpack, with hyperfine (RUNS runs each, fresh stores every run). Needs root, dotnet, docker-registry,
# skopeo, podman, umoci, hyperfine, curl (apt-get install -y docker-registry skopeo podman umoci hyperfine curl).
# Writes results/pull-push.md (hyperfine tables) next to this script; RUNS, LAYER_MB, RESULTS_DIR override.
set -euo pipefail

RUNS=${RUNS:-5}
LAYER_MB=${LAYER_MB:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/images/results}
WORK=$(mktemp -d)
cleanup() {
  for f in "$WORK"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in dotnet docker-registry skopeo podman umoci hyperfine curl shuf; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y docker-registry skopeo podman umoci hyperfine curl)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (umoci unpack and podman keep owners)" >&2; exit 1; }

free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-40000 -n 1)
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# A registry script that can (re)start itself with empty storage: hyperfine's --prepare resets the push
# target so every push uploads every blob.
registry_script() { # NAME PORT
  cat > "$WORK/$1.sh" <<SH
#!/bin/sh
[ -e "$WORK/$1.pid" ] && kill \$(cat "$WORK/$1.pid") 2>/dev/null && while kill -0 \$(cat "$WORK/$1.pid") 2>/dev/null; do sleep 0.05; done
rm -rf "$WORK/$1-data"
cat > "$WORK/$1.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $WORK/$1-data}}
http: {addr: 127.0.0.1:$2}
YML
docker-registry serve "$WORK/$1.yml" >/dev/null 2>&1 &
echo \$! > "$WORK/$1.pid"
for i in \$(seq 300); do curl -fs http://127.0.0.1:$2/v2/ >/dev/null && exit 0; sleep 0.05; done
echo "registry $1 did not start" >&2; exit 1
SH
  chmod +x "$WORK/$1.sh"
}

# strata publishes as NativeAOT (minutes on a small machine); STRATA_BIN reuses a binary already published.
if [[ -n "${STRATA_BIN:-}" ]]; then
  STRATA=$STRATA_BIN
else
  echo "building strata (Release, NativeAOT)..." >&2
  dotnet publish "$ROOT/src/Strata.Cli" -c Release -o "$WORK/strata-bin" --nologo -v quiet >/dev/null
  STRATA="$WORK/strata-bin/strata"
fi

SRC_PORT=$(free_port); registry_script src "$SRC_PORT"; "$WORK/src.sh"
DST_PORT=$(free_port); registry_script dst "$DST_PORT"; "$WORK/dst.sh"
SRC=127.0.0.1:$SRC_PORT/bench/big:1
DST=127.0.0.1:$DST_PORT/bench/big:1

echo "building a ${LAYER_MB} MB layer with umoci..." >&2
umoci init --layout "$WORK/layout"
umoci new --image "$WORK/layout:1"
umoci unpack --image "$WORK/layout:1" "$WORK/bundle" >/dev/null
head -c $((LAYER_MB * 1024 * 1024)) /dev/urandom > "$WORK/bundle/rootfs/random.bin"
umoci repack --image "$WORK/layout:1" "$WORK/bundle" >/dev/null
rm -rf "$WORK/bundle"
skopeo copy -q --dest-tls-verify=false "oci:$WORK/layout:1" "docker://$SRC"

PODMAN="podman --root $WORK/p --runroot $WORK/pr --storage-driver vfs"
export CONTAINERS_CONF="$WORK/containers.conf"; : > "$CONTAINERS_CONF"
mkdir -p "$RESULTS_DIR"
OUT="$RESULTS_DIR/pull-push.md"
{
  echo "# Pull, push, unpack: ${LAYER_MB} MB random layer, CNCF registry on loopback ($(date -u +%F), $(nproc) CPUs)"
  echo
} > "$OUT"

section() { echo "## $1" >> "$OUT"; echo >> "$OUT"; cat "$WORK/table.md" >> "$OUT"; echo >> "$OUT"; }

echo "pull..." >&2
hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$WORK/table.md" \
  -n strata --prepare "rm -rf $WORK/s" "$STRATA --root $WORK/s --tls-verify=false pull -q $SRC" \
  -n skopeo --prepare "rm -rf $WORK/o" "skopeo copy -q --src-tls-verify=false docker://$SRC oci:$WORK/o:1" \
  -n podman --prepare "rm -rf $WORK/p $WORK/pr" "$PODMAN pull -q --tls-verify=false $SRC"
section "pull (fresh store each run)"

echo "push..." >&2
# Sources for the pushes, filled once.
"$STRATA" --root "$WORK/s0" --tls-verify=false pull -q "$SRC" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$SRC" "oci:$WORK/o0:1"
$PODMAN pull -q --tls-verify=false "$SRC" >/dev/null
hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$WORK/table.md" \
  -n strata --prepare "$WORK/dst.sh" "$STRATA --root $WORK/s0 --tls-verify=false push $SRC $DST" \
  -n skopeo --prepare "$WORK/dst.sh" "skopeo copy -q --dest-tls-verify=false oci:$WORK/o0:1 docker://$DST" \
  -n podman --prepare "$WORK/dst.sh" "$PODMAN push -q --tls-verify=false $SRC $DST"
section "push (empty registry each run)"

echo "unpack..." >&2
hyperfine --runs "$RUNS" --warmup 1 --export-markdown "$WORK/table.md" \
  -n "strata image unpack" --prepare "rm -rf $WORK/ub" "$STRATA --root $WORK/s0 image unpack $SRC $WORK/ub" \
  -n "umoci unpack" --prepare "rm -rf $WORK/ub" "umoci unpack --image $WORK/o0:1 $WORK/ub"
section "unpack into a fresh directory"

cat "$OUT"
