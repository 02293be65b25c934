#!/usr/bin/env bash
# Blob downloads under concurrency, Strata against the CNCF registry, interleaved in one run: both servers
# run side by side on loopback; for each connection count, `wrk -t2 --timeout 10s` fetches one BLOB_MB blob
# from one, then the other, REPEATS times (the order alternates per repeat). Each server's RSS is sampled
# every 0.2 s during its runs (the peak is reported per connection count), before the sweep (idle, after a
# warm-up) and IDLE_WAIT seconds after the last load. Needs: dotnet, curl, docker-registry, wrk.
# Writes results/download-sweep.md (a table with per-run figures, medians and ratios) and prints it.
# Overrides: CONNECTIONS ("16 64 256"), REPEATS (3), DURATION (10s), BLOB_MB (1), IDLE_WAIT (60),
# STRATA_BIN (a published strata), RESULTS_DIR.
set -euo pipefail

CONNECTIONS=${CONNECTIONS:-16 64 256}
REPEATS=${REPEATS:-3}
DURATION=${DURATION:-10s}
BLOB_MB=${BLOB_MB:-1}
IDLE_WAIT=${IDLE_WAIT:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/registry/results}
WORK=$(mktemp -d)
# shellcheck source=lib.sh
source "$ROOT/bench/registry/lib.sh"
trap 'stop_servers; rm -rf "$WORK"' EXIT
require curl wrk docker-registry dotnet sha256sum shuf
STRATA=$(strata_binary)

head -c $((BLOB_MB * 1024 * 1024)) /dev/urandom > "$WORK/blob"
BLOB_DIGEST=$(digest_of "$WORK/blob")
start_cncf cncf
start_strata strata
for s in cncf strata; do
  addr=${s}_ADDR
  push_blob "${!addr}" bench "$WORK/blob" >/dev/null
  # Warm-up: code paths (and the page cache) before the idle figure is taken.
  wrk -t1 -c4 -d2s "http://${!addr}/v2/bench/blobs/$BLOB_DIGEST" >/dev/null
done
sleep 5
declare -A R
for s in cncf strata; do pid=${s}_PID; R[$s,idle]=$(( $(rss_kb "${!pid}" VmRSS) / 1024 )); done

# run SERVER CONNECTIONS REPEAT: one wrk run, sampling the server's RSS meanwhile.
run() {
  local s=$1 c=$2 i=$3 addr=${1}_ADDR pid=${1}_PID peak=0 rss out
  wrk -t2 -c"$c" -d"$DURATION" --timeout 10s "http://${!addr}/v2/bench/blobs/$BLOB_DIGEST" > "$WORK/wrk.out" &
  local wrk_pid=$!
  while kill -0 "$wrk_pid" 2>/dev/null; do
    rss=$(rss_kb "${!pid}" VmRSS); (( rss > peak )) && peak=$rss
    sleep 0.2
  done
  wait "$wrk_pid"
  out=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
  grep -q "Non-2xx\|Socket errors" "$WORK/wrk.out" && R[$s,$c,$i,errors]=$(grep "Non-2xx\|Socket errors" "$WORK/wrk.out" | tr -s ' ' | paste -sd';')
  R[$s,$c,$i]=$out
  R[$s,$c,$i,peak]=$(( peak / 1024 ))
  echo "$s c=$c run $i: $out req/s, peak RSS $(( peak / 1024 )) MB, load $(load_avg)" >&2
}

for c in $CONNECTIONS; do
  for i in $(seq "$REPEATS"); do
    if (( i % 2 )); then order="cncf strata"; else order="strata cncf"; fi
    for s in $order; do run "$s" "$c" "$i"; done
  done
done
sleep "$IDLE_WAIT"
for s in cncf strata; do pid=${s}_PID; R[$s,after]=$(( $(rss_kb "${!pid}" VmRSS) / 1024 )); done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mkdir -p "$RESULTS_DIR"
{
  echo "Blob downloads, ${BLOB_MB} MiB blob, wrk -t2 -d$DURATION --timeout 10s, $REPEATS interleaved runs per connection count ($(date -u +%F), $(machine); load average at the end $(load_avg))."
  echo
  echo "| connections | CNCF req/s (runs) | Strata req/s (runs) | median ratio | CNCF peak RSS MB | Strata peak RSS MB |"
  echo "|---|---|---|---|---|---|"
  for c in $CONNECTIONS; do
    cr=""; sr=""; cp=0; sp=0
    for i in $(seq "$REPEATS"); do
      cr+="${R[cncf,$c,$i]} "; sr+="${R[strata,$c,$i]} "
      (( R[cncf,$c,$i,peak] > cp )) && cp=${R[cncf,$c,$i,peak]}
      (( R[strata,$c,$i,peak] > sp )) && sp=${R[strata,$c,$i,peak]}
    done
    cm=$(echo "$cr" | median); sm=$(echo "$sr" | median)
    echo "| $c | ${cr% } (median $cm) | ${sr% } (median $sm) | $(awk -v a="$sm" -v b="$cm" 'BEGIN { printf "%.2f", a / b }') | $cp | $sp |"
  done
  echo
  echo "| RSS MB | CNCF | Strata |"
  echo "|---|---|---|"
  echo "| idle, after warm-up | ${R[cncf,idle]} | ${R[strata,idle]} |"
  echo "| ${IDLE_WAIT} s after the last load | ${R[cncf,after]} | ${R[strata,after]} |"
  for k in "${!R[@]}"; do if [[ $k == *,errors ]]; then echo "- errors, $k: ${R[$k]}"; fi; done
} | tee "$RESULTS_DIR/download-sweep.md"
