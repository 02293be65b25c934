#!/usr/bin/env bash
# Writes a docker-archive image (what `docker save` writes and `strata load`, `docker load` and
# `podman load` read) made from Debian's static busybox, with no network: every applet, /etc/passwd and
# /etc/group, and a web page under /var/www. The demo and the engine benchmark load it into each engine.
#
# Usage: scripts/busybox-image.sh OUT.tar NAME:TAG [CMD-JSON]
#   CMD-JSON  the image's Cmd, e.g. '["httpd","-f","-v","-p","80","-h","/var/www"]' (default ["sh"])
set -euo pipefail
out=$1 ref=$2 cmd=${3:-'["sh"]'}
[ -x /bin/busybox ] || { echo "busybox-image.sh: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,var/www,root}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
printf '<!doctype html><title>Strata</title><h1>Hello from a container on Strata</h1>\n' >"$rootfs/var/www/index.html"

# Fixed timestamps and ownership, sorted entries: the same input gives the same layer digest.
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mkdir "$work/archive"
mv "$work/layer.tar" "$work/archive/$layer.tar"
cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",
 "config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":$cmd,"WorkingDir":"/","ExposedPorts":{"80/tcp":{}}},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer"]},
 "history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/busybox-image.sh: Debian busybox-static"}]}
JSON
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/archive/$config.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s.tar"]}]\n' "$config" "$ref" "$layer" >"$work/archive/manifest.json"
(cd "$work/archive" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - -- *) >"$out"
