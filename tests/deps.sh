#!/usr/bin/env bash
# Installs what building and testing usock needs on Debian 12 (root).
# Skips apt entirely when everything is already there.
set -euo pipefail
pkgs=(build-essential meson ninja-build pkg-config libcriterion-dev libpcap-dev
      iproute2 iputils-ping ethtool netcat-openbsd socat tcpdump python3-scapy
      procps psmisc curl dnsmasq-base python3-matplotlib libdpdk-dev dpdk-dev
      # The libFuzzer harnesses (tests/fuzz/, -Dfuzz=true): clang and its libFuzzer.
      clang-14 libfuzzer-14-dev
      iperf3 sockperf nginx-light redis-server redis-tools wrk radvd
      # valgrind: tests/lab/valgrind_testsrv.sh.
      valgrind
      # Cross-builds (tests/cross/): the C cross compilers only (crossbuild-essential-*
      # adds C++ and dpkg-cross, 35 MB more), and qemu-user to run the tests.
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
      gcc-s390x-linux-gnu libc6-dev-s390x-cross
      qemu-user-static)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Servers (nginx, redis) are test peers run by the tests: none starts as a service.
  nopolicy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    nopolicy=1
  fi
  rc=0
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  [ "$nopolicy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || { echo "deps: apt-get install failed ($rc)"; exit "$rc"; }
fi
