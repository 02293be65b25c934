#!/usr/bin/env bash
# Benchmark: wall-clock time and peak RSS of `RUNTIME run` for a busybox
# container whose process is /bin/true, for strata-runtime, runc and crun.
#
# Usage:  sudo bench/runtime/run-true.sh
#
# Environment overrides:
#   STRATA       path to strata-runtime  (default: artifacts/bin/strata-runtime)
#   RUNC, CRUN   paths to runc / crun    (default: found on PATH)
#   WARMUP, RUNS hyperfine warmup / measured runs per command (default 5 / 50)
#   RSS_RUNS     runs per runtime for the /usr/bin/time -v RSS measurement (default 10)
#   RESULTS_DIR  where results go        (default: bench/runtime/results)
#
# Notes
# * crun (tested: 1.8.1) refuses the cgroup v1/v2 "hybrid" layout this machine
#   has ("cgroups in hybrid mode not supported, drop all controllers from
#   cgroupv2"), so it runs inside a private mount namespace with the cgroup2
#   mount at /sys/fs/cgroup/unified lazily unmounted.  For fairness the
#   same wrapper is also timed around strata-runtime and runc, and on its own
#   (`... true`), so the wrapper's cost can be subtracted.
# * crun 1.8.1 rejects "ociVersion": "1.2.0" (which `strata-runtime spec`
#   writes) with "unknown version specified", so the bundle's config uses
#   "ociVersion": "1.0.2", accepted by all three runtimes.
# * Two host conditions, each timed in full: an idle host, and a host where
#   a cpuset cgroup other than the root exists, as on any host that runs a
#   container.  On an idle host the first cpuset cgroup below the root turns
#   on a kernel static key (cpusets_enabled_key), which patches kernel text
#   on every CPU, and removing the last one turns it off again from a kworker:
#   every runtime pays ~2-3 ms of that in about half of the runs on a 2-CPU
#   VM, which makes the idle timings bimodal (docs/benchmarks.md).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

STRATA=${STRATA:-$repo/artifacts/bin/strata-runtime}
RUNC=${RUNC:-$(command -v runc || true)}
CRUN=${CRUN:-$(command -v crun || true)}
WARMUP=${WARMUP:-5}
RUNS=${RUNS:-50}
RSS_RUNS=${RSS_RUNS:-10}
RESULTS_DIR=${RESULTS_DIR:-$here/results}
UNIFIED=/sys/fs/cgroup/unified

die() { echo "run-true.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (sudo $0)"
[ -x "$STRATA" ] || die "strata-runtime not found at $STRATA (dotnet publish src/Strata.Runtime.Cli -c Release -o artifacts/bin)"
[ -n "$RUNC" ] && [ -x "$RUNC" ] || die "runc not found"
[ -n "$CRUN" ] && [ -x "$CRUN" ] || die "crun not found"
for t in hyperfine jq unshare /bin/busybox; do command -v "$t" >/dev/null || die "$t not found"; done
if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time (/usr/bin/time)..." >&2
    apt-get install -y time >/dev/null
fi

work=$(mktemp -d /tmp/strata-bench.XXXXXX)
bundle=$work/bundle
root_strata=$work/root-strata
root_runc=$work/root-runc
root_crun=$work/root-crun
mkdir -p "$bundle" "$root_strata" "$root_runc" "$root_crun" "$RESULTS_DIR"

# Containers ids all start with this prefix, so leftovers can be found.
prefix="sb$$"

# The private-mount-namespace wrapper crun needs (string form, for hyperfine).
wrapper_prefix="unshare -m --propagation private sh -c"
if mountpoint -q "$UNIFIED"; then
    wrapper_inner="umount -l $UNIFIED; "
else
    wrapper_inner=""
fi
wrapped() { printf "%s '%sexec %s'" "$wrapper_prefix" "$wrapper_inner" "$1"; }
wrap() { unshare -m --propagation private sh -c "${wrapper_inner}exec $1"; }

cleanup() {
    local rc=$?
    set +e
    for pair in "$STRATA:$root_strata" "$RUNC:$root_runc" "$CRUN:$root_crun"; do
        local rt=${pair%%:*} root=${pair#*:}
        [ -d "$root" ] || continue
        for id in $(ls "$root" 2>/dev/null); do
            if [ "$rt" = "$CRUN" ]; then
                wrap "$CRUN --root $root delete -f $id" >/dev/null 2>&1
            else
                "$rt" --root "$root" delete -f "$id" >/dev/null 2>&1
            fi
        done
    done
    # cgroups the runtimes may have left behind (none expected), and the resident one
    find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "*$prefix*" 2>/dev/null \
        | sort -r | xargs -r rmdir 2>/dev/null
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- bundle ---
echo "== building busybox bundle in $bundle"
mkdir -p "$bundle"/rootfs/{bin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$bundle/rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ -e "$bundle/rootfs/bin/$applet" ] || ln -s busybox "$bundle/rootfs/bin/$applet"
done
(cd "$bundle" && "$STRATA" spec)
jq '.ociVersion = "1.0.2" | .process.terminal = false | .process.args = ["/bin/true"]' \
    "$bundle/config.json" > "$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

# ---------------------------------------------------------- sanity runs ---
# One visible run each, so that a failure shows the runtime's own error.
echo "== sanity run of each runtime"
"$STRATA" --root "$root_strata" run --bundle "$bundle" "$prefix-check-strata"
"$RUNC"   --root "$root_runc"   run --bundle "$bundle" "$prefix-check-runc"
wrap "$CRUN --root $root_crun run --bundle $bundle $prefix-check-crun"
echo "ok"

check_leftovers() {
    local what=$1 n
    n=$( (ls "$root_strata"; ls "$root_runc"; ls "$root_crun") | wc -l)
    local cg
    cg=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d -name "*$prefix*" 2>/dev/null | wc -l)
    echo "leftovers after $what: $n container state dirs, $cg cgroup dirs"
    if [ "$n" != 0 ]; then
        ls -l "$root_strata" "$root_runc" "$root_crun" >&2
    fi
}
check_leftovers "sanity runs"

# ------------------------------------------------------------- hyperfine ---
# Every command gets a fresh container id: `$$` is the pid of the shell
# hyperfine spawns for that run.  `run` deletes the container on exit.
cmd_strata="$STRATA --root $root_strata run --bundle $bundle $prefix-s-\$\$"
cmd_runc="$RUNC --root $root_runc run --bundle $bundle $prefix-r-\$\$"
cmd_crun="$CRUN --root $root_crun run --bundle $bundle $prefix-c-\$\$"

timed() {   # $1 = label for the results files, $2 = what the host is like (for the log)
    echo "== hyperfine, $2 (warmup $WARMUP, runs $RUNS)"
    hyperfine --warmup "$WARMUP" --runs "$RUNS" --style basic \
        --export-json "$RESULTS_DIR/$1.json" \
        --export-markdown "$RESULTS_DIR/$1.hyperfine.md" \
        -n "strata-runtime" "$cmd_strata" \
        -n "runc" "$cmd_runc" \
        -n "strata-runtime (unshare -m wrapper)" "$(wrapped "$cmd_strata")" \
        -n "runc (unshare -m wrapper)" "$(wrapped "$cmd_runc")" \
        -n "crun (unshare -m wrapper)" "$(wrapped "$cmd_crun")" \
        -n "wrapper alone (unshare -m ... true)" "$(wrapped true)"
}

timed run-true "idle host"
check_leftovers "hyperfine, idle host"

# A cpuset cgroup that outlives the runs, as a running container's does (see the notes at the top).
resident=/sys/fs/cgroup/cpuset/$prefix-resident
if [ -d /sys/fs/cgroup/cpuset ]; then
    mkdir "$resident"
    timed run-true-resident "host with a resident cpuset cgroup"
    rmdir "$resident"
fi
check_leftovers "hyperfine, resident cgroup"

# ------------------------------------------------------------- peak RSS ---
# (a) GNU time's "Maximum resident set size": ru_maxrss from wait4(), i.e. the
#     max over the runtime process and every descendant it reaped (runc's
#     `runc init`, the container's /bin/true ~1.2 MB, ...).
# (b) VmHWM of the runtime process alone, read from /proc while the container
#     runs `sleep 1` (the runtime is alive, waiting for the container).
rss_time() {   # $1 = runtime label, $2 = command (string); prints median KB
    local i out kb=()
    for i in $(seq "$RSS_RUNS"); do
        if [ "$1" = crun ]; then
            out=$(unshare -m --propagation private sh -c \
                "${wrapper_inner}exec /usr/bin/time -v $2-$i" 2>&1 >/dev/null)
        else
            out=$(sh -c "exec /usr/bin/time -v $2-$i" 2>&1 >/dev/null)
        fi
        kb+=("$(echo "$out" | awk -F': ' '/Maximum resident set size/ {print $2}')")
    done
    printf '%s\n' "${kb[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

sleep_bundle=$work/bundle-sleep
mkdir -p "$sleep_bundle"
jq '.process.args = ["/bin/sleep", "1"] | .root.path = "'"$bundle/rootfs"'"' \
    "$bundle/config.json" > "$sleep_bundle/config.json"

rss_hwm() {    # $1 = runtime label, $2 = command; prints VmHWM KB of the runtime pid
    local pid hwm
    if [ "$1" = crun ]; then
        unshare -m --propagation private sh -c "${wrapper_inner}exec $2" &
    else
        sh -c "exec $2" &
    fi
    pid=$!
    sleep 0.6
    hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo NA)
    wait "$pid"
    echo "$hwm"
}

echo "== peak RSS (/usr/bin/time -v, median of $RSS_RUNS runs; VmHWM of runtime pid)"
declare -A rss_tv rss_own
rss_tv[strata-runtime]=$(rss_time strata "$STRATA --root $root_strata run --bundle $bundle $prefix-ms")
rss_tv[runc]=$(rss_time runc "$RUNC --root $root_runc run --bundle $bundle $prefix-mr")
rss_tv[crun]=$(rss_time crun "$CRUN --root $root_crun run --bundle $bundle $prefix-mc")
rss_own[strata-runtime]=$(rss_hwm strata "$STRATA --root $root_strata run --bundle $sleep_bundle $prefix-hs")
rss_own[runc]=$(rss_hwm runc "$RUNC --root $root_runc run --bundle $sleep_bundle $prefix-hr")
rss_own[crun]=$(rss_hwm crun "$CRUN --root $root_crun run --bundle $sleep_bundle $prefix-hc")
for k in strata-runtime runc crun; do
    echo "$k: time -v max RSS ${rss_tv[$k]} KB, runtime VmHWM ${rss_own[$k]} KB"
done
check_leftovers "RSS runs"

# -------------------------------------------------------------- summary ---
kb2mb() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.1f", k/1024; else print "n/a" }'; }
rss_key() {
    case "$1" in
        strata-runtime*) echo strata-runtime ;;
        runc*) echo runc ;;
        crun*) echo crun ;;
        *) echo "" ;;
    esac
}

table() {   # $1 = hyperfine JSON; prints the markdown table, peak RSS in the rows of the bare runtimes and crun
    echo "| Command | Median [ms] | Mean ± σ [ms] | Min [ms] | Max [ms] | CPU user+sys [ms] | Peak RSS, time -v [MB] | Runtime VmHWM [MB] |"
    echo "|:---|---:|---:|---:|---:|---:|---:|---:|"
    jq -r '.results[] | [.command, .median*1000, .mean*1000, .stddev*1000, .min*1000, .max*1000, (.user+.system)*1000] | @tsv' "$1" |
    while IFS=$'\t' read -r name med mean sd min max cpu; do
        k=$(rss_key "$name")
        if [ -n "$k" ] && [[ "$name" != *wrapper* || "$k" = crun ]]; then
            r1=$(kb2mb "${rss_tv[$k]}"); r2=$(kb2mb "${rss_own[$k]}")
        else
            r1="–"; r2="–"
        fi
        printf '| %s | %.1f | %.1f ± %.1f | %.1f | %.1f | %.1f | %s | %s |\n' \
            "$name" "$med" "$mean" "$sd" "$min" "$max" "$cpu" "$r1" "$r2"
    done
}

ratio() {   # $1 = hyperfine JSON: "runc / strata-runtime" and "crun / strata-runtime" of the medians, both in the wrapper
    jq -r '[.results[] | {(.command): .median}] | add
        | "median ratios: runc / strata-runtime \(((.runc / ."strata-runtime") * 100 | round) / 100)x; in the wrapper, crun / strata-runtime \(((."crun (unshare -m wrapper)" / ."strata-runtime (unshare -m wrapper)") * 100 | round) / 100)x"' "$1"
}

summary=$RESULTS_DIR/run-true.md
{
    echo "## Idle host"
    echo
    table "$RESULTS_DIR/run-true.json"
    echo
    ratio "$RESULTS_DIR/run-true.json"
    if [ -f "$RESULTS_DIR/run-true-resident.json" ]; then
        echo
        echo "## Host with a resident cpuset cgroup (as while any container runs)"
        echo
        table "$RESULTS_DIR/run-true-resident.json"
        echo
        ratio "$RESULTS_DIR/run-true-resident.json"
    fi
} > "$summary"

{
    echo "# run-true results ($(date -u +%Y-%m-%dT%H:%M:%SZ))"
    echo
    echo "- kernel: $(uname -r), CPUs: $(nproc)"
    echo "- strata-runtime: $("$STRATA" --version | head -1)"
    echo "- runc: $("$RUNC" --version | head -1)"
    echo "- crun: $("$CRUN" --version | head -1)"
    echo "- hyperfine: $(hyperfine --version), warmup $WARMUP, runs $RUNS"
    echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    cat "$summary"
} > "$summary.tmp" && mv "$summary.tmp" "$summary"

echo
cat "$summary"
echo
echo "results in $RESULTS_DIR (run-true.md; run-true[-resident].json and .hyperfine.md)"
