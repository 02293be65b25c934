#!/usr/bin/env bash
# Installs the Debian packages a fresh machine lacks for building and testing Strata. Idempotent.
set -euo pipefail
packages=(
  clang zlib1g-dev   # NativeAOT publish of strata-runtime and the native namespace stage
  busybox-static     # the rootfs of test and demo containers
  runc               # the reference runtime the integration tests compare against
  libseccomp2 libseccomp-dev  # seccomp filters (P/Invoke) and the header the constants test compiles against
  podman             # a real client in the image, archive and registry tests
  skopeo             # a real registry client for the registry and image tests
  podman             # a second real registry client for the registry tests (push, pull, login)
  docker-registry    # the CNCF distribution registry, the reference the tests compare against
  umoci              # builds the test images from busybox-static
  uidmap             # newuidmap/newgidmap: rootless containers mapping subordinate id ranges
  apache2-utils      # htpasswd, for the auth-enabled CNCF registry in tests
  docker.io          # dockerd and its CLI: the interop tests run strata-runtime under a private dockerd
  containerd         # containerd, ctr and the runc shim: strata-runtime under a private containerd
  containernetworking-plugins  # the engine's networks: bridge, host-local, portmap, firewall, loopback, tuning
  iptables           # what the portmap and firewall plugins program
  docker-compose     # a real Engine API client in the engine tests (compose up/ps/logs/down)
  curl               # reaches published ports in the engine tests
  redis-server redis-tools  # a Redis image written from the host's binaries for Testcontainers.Redis in the client tests
  hyperfine jq       # the benchmarks under bench/ (not the tests)
  prometheus         # promtool: the metrics tests check Strata's /metrics text with it
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
