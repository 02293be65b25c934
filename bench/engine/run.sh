#!/usr/bin/env bash
# The engine against its peers, in one run on one machine:
#   1. `run --rm IMAGE true` end to end, with no network and with the bridge network:
#      strata's CLI and the docker CLI through `strata daemon`, daemonless `strata run` (the in-process
#      engine), podman with runc (crun refuses this hybrid cgroup layout), and Debian's dockerd 20.10
#      (with its own containerd) through the docker CLI;
#   2. 100 containers started in parallel (`run -d ... sleep`), then removed: wall times, and the daemons'
#      peak RSS (VmHWM) over it;
#   3. each daemon's idle RSS with one image loaded (dockerd's plus containerd's).
# Everything runs in a network namespace of its own (the script re-executes itself under `unshare --net`):
# the bridges, iptables rules and ip_forward of the engines are that namespace's, and the host's are left
# alone. Roots, sockets and state are in a temporary directory. Root only.
#
# Usage: sudo bench/engine/run.sh            (after ./build.sh; RUNS=20 WARMUP=3 PARALLEL=100)
# Writes bench/engine/results/run.md and the hyperfine JSON beside it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ -z "${STRATA_BENCH_NETNS:-}" ]; then
  exec env STRATA_BENCH_NETNS=1 unshare --net --mount --propagation private -- "$0" "$@"
fi
ip link set lo up

runs=${RUNS:-20} warmup=${WARMUP:-3} parallel=${PARALLEL:-100}
bin=$repo/artifacts/bin
strata=$bin/strata
docker_cli=${DOCKER_CLI:-/usr/local/bin/docker}
[ -x "$docker_cli" ] || docker_cli=/usr/bin/docker
for tool in hyperfine jq podman dockerd containerd runc "$strata" "$docker_cli"; do
  command -v "$tool" >/dev/null || { echo "bench/engine/run.sh: $tool is missing (scripts/deps.sh, ./build.sh)" >&2; exit 1; }
done
results=$here/results
mkdir -p "$results"
work=$(mktemp -d /tmp/strata-bench-engine.XXXXXX)
chmod 711 "$work"
image=bench/busybox:1

strata_sock=$work/strata.sock
docker_sock=$work/docker.sock
pids=()
cleanup() {
  set +e
  "$strata" -H "unix://$strata_sock" rm -f $("$strata" -H "unix://$strata_sock" ps -aq 2>/dev/null) >/dev/null 2>&1
  "$docker_cli" -H "unix://$docker_sock" rm -f $("$docker_cli" -H "unix://$docker_sock" ps -aq 2>/dev/null) >/dev/null 2>&1
  podman_ rm -af >/dev/null 2>&1
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  # Monitors and shims that outlive their engines by design.
  pkill -f "$work" 2>/dev/null
  grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# podman gives a container RLIMIT_NOFILE and RLIMIT_NPROC far above this machine's hard limits, which runc
# cannot set without CAP_SYS_RESOURCE: its runs name limits it can set (the other engines keep the host's).
podman_limits="--ulimit nofile=20000:20000 --ulimit nproc=4096:4096"
podman_() { podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc --cgroup-manager cgroupfs --events-backend file "$@"; }
wait_for() { for _ in $(seq 600); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }
rss_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

echo "== image: Debian busybox-static, loaded into each engine"
"$repo/scripts/busybox-image.sh" "$work/busybox.tar" "$image" >/dev/null

STRATA_RUNTIME=$bin/strata-runtime "$strata" daemon --socket "$strata_sock" --root "$work/strata" >"$work/strata.log" 2>&1 &
strata_pid=$!
pids+=("$strata_pid")
wait_for "$strata" -H "unix://$strata_sock" version
"$docker_cli" -H "unix://$strata_sock" load -q -i "$work/busybox.tar"
# The daemonless store: a separate root, reached with no daemon (the in-process engine).
mkdir -p "$work/strata-local"
"$strata" --root "$work/strata-local" load -q -i "$work/busybox.tar" >/dev/null

dockerd --data-root "$work/docker" --exec-root "$work/docker-exec" --pidfile "$work/docker.pid" \
  -H "unix://$docker_sock" --containerd-namespace strata-bench --containerd-plugins-namespace strata-bench-p \
  --bip 10.230.0.1/24 >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
pids+=("$dockerd_pid")
wait_for "$docker_cli" -H "unix://$docker_sock" version
"$docker_cli" -H "unix://$docker_sock" load -q -i "$work/busybox.tar"
containerd_pid=$(pgrep -P "$dockerd_pid" containerd || true)

mkdir -p "$work/podman"
podman_ load -q -i "$work/busybox.tar"

echo "== idle RSS (one image loaded, no container)"
sleep 2
strata_idle=$(rss_kb "$strata_pid" VmRSS)
dockerd_idle=$(rss_kb "$dockerd_pid" VmRSS)
containerd_idle=$([ -n "$containerd_pid" ] && rss_kb "$containerd_pid" VmRSS || echo 0)
echo "strata daemon $(mib "$strata_idle"); dockerd $(mib "$dockerd_idle") + containerd $(mib "$containerd_idle")"

echo "== run --rm $image true"
S="env DOCKER_HOST=unix://$strata_sock"
D="env DOCKER_HOST=unix://$docker_sock"
for net in none bridge; do
  hyperfine -N --warmup "$warmup" --runs "$runs" --export-json "$results/run-rm-$net.json" \
    -n "strata → strata daemon" "$strata -H unix://$strata_sock run --rm --network $net $image true" \
    -n "docker CLI → strata daemon" "$S $docker_cli run --rm --network $net $image true" \
    -n "strata, daemonless" "$strata --root $work/strata-local run --rm --network $net $image true" \
    -n "podman (runc)" "podman --root $work/podman/root --runroot $work/podman/run --runtime runc --cgroup-manager cgroupfs --events-backend file run $podman_limits --rm --network $net $image true" \
    -n "docker CLI → dockerd 20.10" "$D $docker_cli run --rm --network $net $image true"
done

echo "== $parallel containers started in parallel, then removed"
parallel_run() { # NAME, then the command prefix; prints "start-seconds remove-seconds"
  local name=$1; shift
  local t0 t1 t2
  t0=$(date +%s.%N)
  seq "$parallel" | xargs -P "$parallel" -I{} "$@" run -d --name "b$name{}" $run_flags "$image" sleep 600 >/dev/null
  t1=$(date +%s.%N)
  seq "$parallel" | xargs -P "$parallel" -I{} "$@" rm -f $rm_flags "b$name{}" >/dev/null
  t2=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "%.2f %.2f\n", b - a, c - b }'
}
reset_hwm() { for p in "$@"; do echo 5 >"/proc/$p/clear_refs"; done; }
reset_hwm "$strata_pid"
run_flags= rm_flags=
read -r s_start s_rm < <(parallel_run s "$strata" -H "unix://$strata_sock")
strata_hwm=$(rss_kb "$strata_pid" VmHWM)
reset_hwm "$dockerd_pid" ${containerd_pid:+"$containerd_pid"}
read -r d_start d_rm < <(parallel_run d "$docker_cli" -H "unix://$docker_sock")
dockerd_hwm=$(rss_kb "$dockerd_pid" VmHWM)
containerd_hwm=$([ -n "$containerd_pid" ] && rss_kb "$containerd_pid" VmHWM || echo 0)
run_flags=$podman_limits
# podman's rm -f sends the stop signal and waits 10 s for a pid 1 that ignores it; docker's kills at once.
rm_flags="-t 0"
read -r p_start p_rm < <(parallel_run p podman --root "$work/podman/root" --runroot "$work/podman/run" --runtime runc --cgroup-manager cgroupfs --events-backend file)

median() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .median * 1000 | floor' "$results/run-rm-$1.json"; }
{
  echo "# Engine benchmark"
  echo
  echo "$(date -u +%Y-%m-%d), commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) CPUs; $("$docker_cli" -H "unix://$docker_sock" version --format 'dockerd {{.Server.Version}}'), $(podman --version), $(runc --version | head -1)."
  echo
  echo "## run --rm $image true (median of $runs, ms)"
  echo
  echo "| | --network none | --network bridge |"
  echo "|:--|--:|--:|"
  for n in "strata → strata daemon" "docker CLI → strata daemon" "strata, daemonless" "podman (runc)" "docker CLI → dockerd 20.10"; do
    echo "| $n | $(median none "$n") | $(median bridge "$n") |"
  done
  echo
  echo "## $parallel containers in parallel (run -d, then rm -f)"
  echo
  echo "| | start all (s) | remove all (s) | daemon peak RSS |"
  echo "|:--|--:|--:|--:|"
  echo "| strata daemon (strata CLI) | $s_start | $s_rm | $(mib "$strata_hwm") |"
  echo "| dockerd 20.10 (docker CLI) | $d_start | $d_rm | $(mib "$dockerd_hwm") + containerd $(mib "$containerd_hwm") |"
  echo "| podman (runc, no daemon) | $p_start | $p_rm | — |"
  echo
  echo "## Idle RSS (one image loaded)"
  echo
  echo "| strata daemon | dockerd + containerd |"
  echo "|--:|--:|"
  echo "| $(mib "$strata_idle") | $(mib "$dockerd_idle") + $(mib "$containerd_idle") |"
} >"$results/run.md"
cat "$results/run.md"
