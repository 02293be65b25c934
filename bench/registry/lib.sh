#!/usr/bin/env bash
# Shared by the bench/registry scripts: start Strata's registry and the CNCF registry (Debian
# docker-registry) on free loopback ports with storage under $WORK, and small helpers. Source it after
# setting WORK (a temp dir the caller removes) and ROOT (the repository).

PIDS=()

require() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y docker-registry wrk curl)" >&2; exit 1; }
  done
}

stop_servers() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-40000 -n 1)
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_up() {
  for _ in $(seq 600); do curl -fs "http://$1/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "server $1 did not start" >&2
  exit 1
}

rss_kb() { awk -v k="$2" '$1==k":" {print $2}' "/proc/$1/status"; }

# CPU seconds (user + system) the process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# The published NativeAOT `strata` (how it ships: PublishAot in src/Strata.Cli); STRATA_BIN reuses one.
strata_binary() {
  if [[ -n "${STRATA_BIN:-}" ]]; then
    echo "$STRATA_BIN"
  else
    dotnet publish "$ROOT/src/Strata.Cli" -c Release -o "$WORK/strata-bin" --nologo -v quiet >/dev/null
    echo "$WORK/strata-bin/strata"
  fi
}

# start_strata NAME: starts `strata registry serve` and sets ${NAME}_ADDR and ${NAME}_PID.
start_strata() {
  local port; port=$(free_port)
  "$STRATA" registry serve --listen "127.0.0.1:$port" --storage "$WORK/$1-data" --log-level Warning >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "${1}_ADDR" '%s' "127.0.0.1:$port"
  printf -v "${1}_PID" '%s' "$pid"
  wait_up "127.0.0.1:$port"
}

# start_cncf NAME: starts the CNCF registry with a minimal config (filesystem storage, no access log).
start_cncf() {
  local port; port=$(free_port)
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $WORK/$1-data
http:
  addr: 127.0.0.1:$port
YAML
  docker-registry serve "$WORK/$1/config.yml" >"$WORK/$1.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  printf -v "${1}_ADDR" '%s' "127.0.0.1:$port"
  printf -v "${1}_PID" '%s' "$pid"
  wait_up "127.0.0.1:$port"
}

digest_of() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# upload_start HOSTPORT REPO -> absolute upload URL
upload_start() {
  local loc
  loc=$(curl -fsS -X POST -o /dev/null -D - "http://$1/v2/$2/blobs/uploads/" | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
  case "$loc" in http*) echo "$loc" ;; *) echo "http://$1$loc" ;; esac
}

sep() { case "$1" in *\?*) echo '&' ;; *) echo '?' ;; esac; }

# push_blob HOSTPORT REPO FILE: monolithic upload (POST, then PUT of the body with the digest); prints
# curl's time_total of the PUT, the request that carries the bytes.
push_blob() {
  local url; url=$(upload_start "$1" "$2")
  curl -fsS -o /dev/null -w '%{time_total}' -X PUT -H 'Content-Type: application/octet-stream' -T "$3" "$url$(sep "$url")digest=$(digest_of "$3")"
}

# The machine's state, for the write-up: load average, and the CPU model, core count and kernel.
machine() { echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) vCPU, $(free -g | awk '/Mem:/ {print $2}') GB, Linux $(uname -r)"; }
load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
