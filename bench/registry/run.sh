#!/usr/bin/env bash
# Strata's registry against the CNCF reference registry (Debian docker-registry), side by side on loopback.
# Measures: monolithic and chunked upload of a 200 MB blob, blob download, manifest GET req/s at 1 and 64
# connections, and each server's peak and final RSS. Needs: dotnet, curl, docker-registry, wrk
# (apt-get install -y docker-registry wrk). Prints a Markdown table and writes it to results/registry.md;
# BLOB_MB, CHUNK_MB, DURATION, RESULTS_DIR and STRATA_BIN can be overridden from the environment.
set -euo pipefail

BLOB_MB=${BLOB_MB:-200}
CHUNK_MB=${CHUNK_MB:-10}
DURATION=${DURATION:-10s}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/registry/results}
WORK=$(mktemp -d)
# shellcheck source=lib.sh
source "$ROOT/bench/registry/lib.sh"
trap 'stop_servers; rm -rf "$WORK"' EXIT
require curl wrk docker-registry dotnet sha256sum shuf
STRATA=$(strata_binary)

head -c $((BLOB_MB * 1024 * 1024)) /dev/urandom > "$WORK/blob"
BLOB_DIGEST="sha256:$(sha256sum "$WORK/blob" | cut -d' ' -f1)"
split -b $((CHUNK_MB * 1024 * 1024)) -d -a 4 "$WORK/blob" "$WORK/chunk."
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' > "$WORK/config"
printf 'layer' > "$WORK/layer"
size_of() { stat -c %s "$1"; }
cat > "$WORK/manifest" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$(digest_of "$WORK/config")","size":$(size_of "$WORK/config")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"$(digest_of "$WORK/layer")","size":$(size_of "$WORK/layer")}]}
JSON


# Seconds for a monolithic upload: POST, then PUT of the whole body with the digest.
monolithic() {
  local url; url=$(upload_start "$1" mono)
  curl -fsS -o /dev/null -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' -T "$WORK/blob" "$url$(sep "$url")digest=$BLOB_DIGEST"
}

# Seconds for a chunked upload: PATCH of CHUNK_MB pieces with Content-Range, then PUT. The sum of curl's
# time_total per request, as for the monolithic upload: starting one curl process per chunk (tens of ms on a
# loaded machine) is the client's cost, not the registry's, and would dominate the figure.
chunked() {
  local end size offset=0 url total=0 out
  url=$(upload_start "$1" chunked)
  for chunk in "$WORK"/chunk.*; do
    size=$(size_of "$chunk"); end=$((offset + size - 1))
    out=$(curl -fsS -o /dev/null -D "$WORK/headers" -w '%{time_total}' -X PATCH -H 'Content-Type: application/octet-stream' -H "Content-Range: $offset-$end" -T "$chunk" "$url")
    total=$(awk -v a="$total" -v b="$out" 'BEGIN { print a + b }')
    url=$(awk 'tolower($1)=="location:" {print $2}' "$WORK/headers" | tr -d '\r')
    case "$url" in http*) ;; *) url="http://$1$url" ;; esac
    offset=$((end + 1))
  done
  out=$(curl -fsS -o /dev/null -w '%{time_total}' -X PUT "$url$(sep "$url")digest=$BLOB_DIGEST")
  awk -v a="$total" -v b="$out" 'BEGIN { print a + b }'
}

download() { curl -fsS -o /dev/null -w '%{time_total}' "http://$1/v2/mono/blobs/$BLOB_DIGEST"; }

push_small() {
  for f in config layer; do
    local url; url=$(upload_start "$1" small)
    curl -fsS -o /dev/null -X PUT -T "$WORK/$f" "$url$(sep "$url")digest=$(digest_of "$WORK/$f")"
  done
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary @"$WORK/manifest" "http://$1/v2/small/manifests/latest"
}

rps() {
  local threads=$(( $2 < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$2" -d"$DURATION" -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$1/v2/small/manifests/latest" \
    | awk '/Requests\/sec/ {print $2}'
}

mbps() { awk -v mb="$BLOB_MB" -v s="$1" 'BEGIN { printf "%.0f", mb / s }'; }

declare -A R
run() {
  local name=$1 hostport=$2 pid=$3
  wait_up "$hostport"
  # Same start for both: no dirty pages of the previous run being written back, code paths warmed up
  # (the JIT for Strata) by one small upload and download.
  sync
  head -c 1048576 /dev/urandom > "$WORK/warm"
  local url; url=$(upload_start "$hostport" warm)
  curl -fsS -o /dev/null -X PUT -T "$WORK/warm" "$url$(sep "$url")digest=$(digest_of "$WORK/warm")"
  curl -fsS -o /dev/null "http://$hostport/v2/warm/blobs/$(digest_of "$WORK/warm")"
  R[$name,mono]=$(mbps "$(monolithic "$hostport")")
  R[$name,chunked]=$(mbps "$(chunked "$hostport")")
  R[$name,download]=$(mbps "$(download "$hostport")")
  push_small "$hostport"
  R[$name,rps1]=$(rps "$hostport" 1)
  R[$name,rps64]=$(rps "$hostport" 64)
  R[$name,hwm]=$(( $(rss_kb "$pid" VmHWM) / 1024 ))
  R[$name,rss]=$(( $(rss_kb "$pid" VmRSS) / 1024 ))
}

start_cncf cncf
run cncf "$cncf_ADDR" "$cncf_PID"
kill "$cncf_PID"

start_strata strata
run strata "$strata_ADDR" "$strata_PID"

mkdir -p "$RESULTS_DIR"
{
  echo "| measure ($BLOB_MB MB blob, $CHUNK_MB MB chunks, wrk $DURATION) | CNCF registry $(docker-registry --version | awk '{print $3}') | Strata |"
  echo "|---|---|---|"
  echo "| monolithic upload MB/s | ${R[cncf,mono]} | ${R[strata,mono]} |"
  echo "| chunked upload MB/s | ${R[cncf,chunked]} | ${R[strata,chunked]} |"
  echo "| blob download MB/s | ${R[cncf,download]} | ${R[strata,download]} |"
  echo "| manifest GET req/s, 1 connection | ${R[cncf,rps1]} | ${R[strata,rps1]} |"
  echo "| manifest GET req/s, 64 connections | ${R[cncf,rps64]} | ${R[strata,rps64]} |"
  echo "| peak RSS MB | ${R[cncf,hwm]} | ${R[strata,hwm]} |"
  echo "| RSS at end MB | ${R[cncf,rss]} | ${R[strata,rss]} |"
} | tee "$RESULTS_DIR/registry.md"
