#!/usr/bin/env bash
# What monitoring costs the daemon: `strata daemon` with 10 and 100 idle containers (busybox sleep, no
# network), once with the metrics sampler off (--metrics-interval 0) and once sampling every container each
# second (the default), measuring over MEASURE seconds:
#   - the daemon's CPU (utime+stime from /proc/PID/stat) as a share of one core, and its RSS (VmRSS);
#   - with 100 containers, the time of a GET /metrics scrape on the daemon's socket: curl fetching it
#     SCRAPES times over one connection (-w %{time_total}), median and 95th percentile.
# The difference between the two runs is the sampler's cost (collection, history). The issue's targets:
# under 1 % of one core and 10 MB for 100 containers; a scrape of 100 containers under 10 ms.
# Runs in a network namespace of its own, as bench/engine/run.sh. Root only, after ./build.sh.
#
# Usage: sudo bench/metrics/run.sh       (MEASURE=60 SCRAPES=100 COUNTS="10 100")
# Writes bench/metrics/results/run.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ -z "${STRATA_BENCH_NETNS:-}" ]; then
  exec env STRATA_BENCH_NETNS=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

measure=${MEASURE:-60} scrapes=${SCRAPES:-100} counts=${COUNTS:-10 100}
bin=$repo/artifacts/bin
strata=$bin/strata
for tool in curl "$strata" "$bin/strata-runtime" "$bin/strata-monitor"; do
  command -v "$tool" >/dev/null || { echo "bench/metrics/run.sh: $tool is missing (./build.sh --publish-only)" >&2; exit 1; }
done
results=$here/results
mkdir -p "$results"
work=$(mktemp -d /tmp/strata-bench-metrics.XXXXXX)
chmod 711 "$work"
image=bench/busybox:1
clk_tck=$(getconf CLK_TCK)

daemon_pid=
sock=
cleanup() {
  set +e
  if [ -n "$daemon_pid" ]; then
    "$strata" -H "unix://$sock" rm -f $("$strata" -H "unix://$sock" ps -aq 2>/dev/null) >/dev/null 2>&1
    kill "$daemon_pid" 2>/dev/null
    wait "$daemon_pid" 2>/dev/null
  fi
  # Monitors outlive their daemon by design; only this run's (their command lines name $work).
  for p in $(grep -l "$work" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do kill -9 "$p" 2>/dev/null; done
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

"$repo/scripts/busybox-image.sh" "$work/busybox.tar" "$image" >/dev/null

rows=()
scrape_row=
for n in $counts; do
  for interval in 0 1; do
    root=$work/root-$n-$interval
    sock=$work/strata-$n-$interval.sock
    STRATA_RUNTIME=$bin/strata-runtime "$strata" daemon --socket "$sock" --root "$root" --metrics-interval "$interval" >"$work/daemon-$n-$interval.log" 2>&1 &
    daemon_pid=$!
    wait_for "$strata" -H "unix://$sock" version
    "$strata" -H "unix://$sock" load -q -i "$work/busybox.tar" >/dev/null
    echo "== $n idle containers, sampler every ${interval}s (0: off)"
    seq "$n" | xargs -P 10 -I{} "$strata" -H "unix://$sock" run -d --network none --name "idle{}" "$image" sleep 1000000 >/dev/null
    # Settle: starts done, the first samples and disk walks taken, the runtime's caches warm.
    sleep 15
    c0=$(cpu_ticks "$daemon_pid"); t0=$(date +%s.%N)
    sleep "$measure"
    c1=$(cpu_ticks "$daemon_pid"); t1=$(date +%s.%N)
    cpu=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$clk_tck" 'BEGIN { printf "%.2f", (c1 - c0) / hz / (t1 - t0) * 100 }')
    rss=$(awk -v k="$(rss_kb "$daemon_pid")" 'BEGIN { printf "%.1f", k / 1024 }')
    echo "   daemon CPU ${cpu} % of one core, RSS ${rss} MiB"
    rows+=("| $n | $([ "$interval" = 0 ] && echo off || echo "${interval} s") | $cpu % | $rss MiB |")
    if [ "$n" = 100 ] && [ "$interval" = 1 ]; then
      urls=()
      # -o applies to one URL each: every fetch gets its own, so only -w's lines reach the pipe.
      for _ in $(seq "$scrapes"); do urls+=(-o /dev/null "http://strata/metrics"); done
      curl -s --unix-socket "$sock" -o /dev/null "http://strata/metrics"
      series=$(curl -s --unix-socket "$sock" "http://strata/metrics" | grep -vc '^#')
      times=$(curl -s --unix-socket "$sock" -w '%{time_total}\n' "${urls[@]}" | sort -n)
      p50=$(echo "$times" | awk -v n="$scrapes" 'NR == int((n + 1) / 2) { printf "%.1f", $1 * 1000 }')
      p95=$(echo "$times" | awk -v n="$scrapes" 'NR == int(n * 0.95) { printf "%.1f", $1 * 1000 }')
      echo "   GET /metrics ($series series): median ${p50} ms, p95 ${p95} ms over $scrapes scrapes"
      scrape_row="| $n | $series | $p50 ms | $p95 ms |"
    fi
    "$strata" -H "unix://$sock" rm -f $("$strata" -H "unix://$sock" ps -aq) >/dev/null
    kill "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
    daemon_pid=
  done
done

{
  echo "# bench/metrics/run.sh — $(date -u +%Y-%m-%d) at $(git -C "$repo" rev-parse --short HEAD), $(nproc) CPUs, kernel $(uname -r)"
  echo
  echo "Daemon CPU and RSS with idle containers, measured over ${measure} s:"
  echo
  echo "| containers | sampler | daemon CPU (of one core) | daemon RSS |"
  echo "|---:|:---|---:|---:|"
  printf '%s\n' "${rows[@]}"
  if [ -n "$scrape_row" ]; then
    echo
    echo "GET /metrics on the daemon's socket, $scrapes scrapes over one connection:"
    echo
    echo "| containers | series | median | p95 |"
    echo "|---:|---:|---:|---:|"
    echo "$scrape_row"
  fi
} | tee "$results/run.md"
