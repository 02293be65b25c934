#!/usr/bin/env bash
# Strata's main job on an embedded default, no internet needed: build strata, start its daemon, make a
# demo image from Debian's static busybox, and run it as a service with a published port and a restart
# policy; then show the service surviving a crash, and print how to reach it, read its logs and point the
# docker CLI at Strata.
#
# Environment: STRATA_DEMO_PORT (default 8080), the host port the web server is published on (127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")"
port=${STRATA_DEMO_PORT:-8080}
bin=$PWD/artifacts/bin
socket=/run/strata/strata.sock
root=/var/lib/strata
log=/var/log/strata-daemon.log
image=strata-demo/web:1
name=strata-demo-web

step() { printf '\n== %s\n' "$*"; }

step "1. Build strata, strata-runtime and strata-monitor (NativeAOT) into $bin"
scripts/deps.sh
./build.sh --publish-only
export PATH=$bin:$PATH

step "2. Start the daemon: the Docker Engine API on unix://$socket, state under $root"
if strata -H "unix://$socket" version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  echo "a Strata daemon already answers on $socket"
else
  mkdir -p "$(dirname "$socket")"
  # setsid: the daemon is a service, not a child of this script's terminal. Its containers do not depend
  # on it either: each has its own strata-monitor, and a restarted daemon adopts them.
  setsid strata daemon --socket "$socket" --root "$root" </dev/null >>"$log" 2>&1 &
  for _ in $(seq 100); do
    strata -H "unix://$socket" version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 0.1
  done
  strata -H "unix://$socket" version --format '{{.Server.Version}}' >/dev/null || { echo "the daemon did not start; see $log" >&2; exit 1; }
  echo "started (pid $!), log in $log"
fi
strata() { command strata -H "unix://$socket" "$@"; }

step "3. Make the demo image locally: Debian's busybox-static, a web page, httpd as its command"
archive=$(mktemp /tmp/strata-demo.XXXXXX.tar)
trap 'rm -f "$archive"' EXIT
scripts/busybox-image.sh "$archive" "$image" '["httpd","-f","-v","-p","80","-h","/var/www"]'
strata load -i "$archive"

step "4. Run it as a service: published on 127.0.0.1:$port, restarted unless stopped"
strata rm -f "$name" >/dev/null 2>&1 || true
strata run -d --name "$name" -p "127.0.0.1:$port:80" --restart unless-stopped "$image"
fetch() {
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer on 127.0.0.1:$port" >&2
  return 1
}
fetch
strata ps --filter "name=$name"

step "5. Crash it (kill -9 of its process): the restart policy brings it back"
pid=$(strata inspect --format '{{.State.Pid}}' "$name")
kill -9 "$pid"
for _ in $(seq 50); do
  new=$(strata inspect --format '{{.State.Pid}}' "$name")
  [ "$new" != "$pid" ] && [ "$new" != 0 ] && break
  sleep 0.1
done
echo "process $pid killed; now process $new, restart count $(strata inspect --format '{{.RestartCount}}' "$name")"
fetch
strata logs --tail 3 "$name"

echo
echo "== The service runs. Next:"
hint() { printf '  %-60s # %s\n' "$1" "$2"; }
hint "curl http://127.0.0.1:$port/" "the page"
hint "export PATH=$bin:\$PATH" "strata on PATH (or copy its files to /usr/local/bin)"
hint "strata ps; strata logs -f $name" "docker's verbs: exec -it, stop, inspect, stats..."
hint "export DOCKER_HOST=unix://$socket" "the docker CLI, docker-compose and SDKs now use Strata"
hint "docker ps; docker logs $name" "unchanged docker commands"
hint "strata rm -f $name" "remove the service"
hint "pkill -f 'strata daemon --socket $socket'" "stop the daemon; containers keep running, a restarted one adopts them"
