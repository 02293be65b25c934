#!/usr/bin/env bash
# Monolithic blob uploads, Strata against the CNCF registry, interleaved in one run: both servers run side by
# side on loopback, and each round uploads a fresh BLOB_MB random blob (POST, then PUT of the whole body with
# ?digest=) to one, then the other (the order alternates per round). Each upload is timed by curl's
# time_total of the PUT; the server's CPU time (user + system) for it is read from /proc. Before each upload
# `sync` flushes what the previous one left dirty. Needs: dotnet, curl, docker-registry.
# Writes results/upload.md (per-round figures, medians, ratio) and prints it.
# Overrides: ROUNDS (7), BLOB_MB (200), STRATA_BIN (a published strata), RESULTS_DIR.
set -euo pipefail

ROUNDS=${ROUNDS:-7}
BLOB_MB=${BLOB_MB:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/registry/results}
WORK=$(mktemp -d)
# shellcheck source=lib.sh
source "$ROOT/bench/registry/lib.sh"
trap 'stop_servers; rm -rf "$WORK"' EXIT
require curl docker-registry dotnet sha256sum shuf
STRATA=$(strata_binary)

start_cncf cncf
start_strata strata
head -c 1048576 /dev/urandom > "$WORK/warm"
for s in cncf strata; do addr=${s}_ADDR; push_blob "${!addr}" warm "$WORK/warm" >/dev/null; done

declare -A R
for i in $(seq "$ROUNDS"); do
  if (( i % 2 )); then order="cncf strata"; else order="strata cncf"; fi
  for s in $order; do
    addr=${s}_ADDR; pid=${s}_PID
    head -c $((BLOB_MB * 1024 * 1024)) /dev/urandom > "$WORK/blob"
    digest_of "$WORK/blob" >/dev/null   # reads the blob once, so curl sends it from the page cache
    sync
    before=$(cpu_seconds "${!pid}")
    t=$(push_blob "${!addr}" "round$i" "$WORK/blob")
    after=$(cpu_seconds "${!pid}")
    R[$s,$i]=$(awk -v mb="$BLOB_MB" -v t="$t" 'BEGIN { printf "%.0f", mb * 1.048576 / t }')
    R[$s,$i,cpu]=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')
    echo "$s round $i: ${R[$s,$i]} MB/s, server CPU ${R[$s,$i,cpu]} s, load $(load_avg)" >&2
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mkdir -p "$RESULTS_DIR"
{
  cr=""; sr=""; cc=""; sc=""
  for i in $(seq "$ROUNDS"); do cr+="${R[cncf,$i]} "; sr+="${R[strata,$i]} "; cc+="${R[cncf,$i,cpu]} "; sc+="${R[strata,$i,cpu]} "; done
  cm=$(echo "$cr" | median); sm=$(echo "$sr" | median)
  echo "Monolithic upload of a ${BLOB_MB} MiB blob (MB/s = 10^6 bytes/s), $ROUNDS interleaved rounds ($(date -u +%F), $(machine); load average at the end $(load_avg))."
  echo
  echo "| | CNCF registry | Strata |"
  echo "|---|---|---|"
  echo "| MB/s per round | ${cr% } | ${sr% } |"
  echo "| median MB/s | $cm | $sm |"
  echo "| server CPU s per upload | ${cc% } | ${sc% } |"
  echo "| median ratio Strata / CNCF | | $(awk -v a="$sm" -v b="$cm" 'BEGIN { printf "%.2f", a / b }') |"
} | tee "$RESULTS_DIR/upload.md"
