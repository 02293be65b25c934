#!/usr/bin/env bash
# A/B: two strata-runtime binaries (e.g. main before and after a change) and runc, `run /bin/true` on one
# busybox bundle, interleaved by hyperfine in one run, so a regression shows as a change in the ratio to runc
# whatever else the machine is doing.
#
# Usage:  sudo bench/runtime/ab.sh OLD_STRATA_RUNTIME NEW_STRATA_RUNTIME
# Environment: RUNC (default: on PATH), WARMUP / RUNS (default 5 / 50).
set -euo pipefail

old=${1:?usage: ab.sh OLD_STRATA_RUNTIME NEW_STRATA_RUNTIME}
new=${2:?usage: ab.sh OLD_STRATA_RUNTIME NEW_STRATA_RUNTIME}
RUNC=${RUNC:-$(command -v runc)}
WARMUP=${WARMUP:-5}
RUNS=${RUNS:-50}
for t in hyperfine jq /bin/busybox "$old" "$new" "$RUNC"; do
    command -v "$t" >/dev/null || { echo "ab.sh: $t not found" >&2; exit 1; }
done

work=$(mktemp -d /tmp/strata-ab.XXXXXX)
cleanup() {
    for rt in "$old" "$new" "$RUNC"; do
        for root in "$work"/root-*; do
            for id in $(ls "$root" 2>/dev/null); do "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1 || true; done
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT

bundle=$work/bundle
mkdir -p "$bundle"/rootfs/{bin,proc,sys,dev,tmp,etc} "$work"/root-{old,new,runc}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
ln -s busybox "$bundle/rootfs/bin/true"
(cd "$bundle" && "$new" spec)
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' "$bundle/config.json" > "$work/config.json"
mv "$work/config.json" "$bundle/config.json"

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$work/ab.json" \
    -n old "$old --root $work/root-old run --bundle $bundle ab-old" \
    -n new "$new --root $work/root-new run --bundle $bundle ab-new" \
    -n runc "$RUNC --root $work/root-runc run --bundle $bundle ab-runc" >/dev/null

jq -r '.results[] | [.command, (.median * 1000), (.mean * 1000), (.stddev * 1000), (.user * 1000), (.system * 1000)] | @tsv' "$work/ab.json" |
    awk -F'\t' 'BEGIN { printf "%-5s %10s %10s %10s %10s %10s\n", "", "median ms", "mean ms", "stddev", "user ms", "sys ms" }
        { printf "%-5s %10.1f %10.1f %10.1f %10.1f %10.1f\n", $1, $2, $3, $4, $5, $6; m[$1] = $2 }
        END { printf "runc/old %.2fx   runc/new %.2fx   new/old %.3f\n", m["runc"] / m["old"], m["runc"] / m["new"], m["new"] / m["old"] }'
