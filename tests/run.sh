#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what it needs, builds the
# minimal (no DPDK, no libpcap), full and sanitizer configurations, runs the
# unit and loop tests in each, checks the exported symbols, runs the
# namespace lab tests against the Linux kernel (under AddressSanitizer and
# UBSan), usock-testsrv under valgrind, and bench/compare's smoke mode.
# Needs root (namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash tests/deps.sh

pass=0
fail=0
step() {
  local name=$1 t0=$SECONDS; shift
  echo "=== $name"
  if "$@"; then pass=$((pass + 1)); echo "--- ok: $name ($((SECONDS - t0)) s)"
  else fail=$((fail + 1)); echo "--- FAILED: $name ($((SECONDS - t0)) s)"; fi
}

setup() {
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi
  ninja -C "$dir"
}

step "build minimal" setup build-minimal -Ddpdk=disabled -Dpcap=disabled
# (Its unit and loop suites run below for three other CPUs.)
step "build full" setup build-full -Dpcap=enabled -Ddpdk=enabled
# (Its unit, loop and api suites run on the sanitizer build below, the same configuration.)
step "exported symbols are usock_* only" bash tests/check-symbols.sh build-full/lib/libusock.so
step "the preload shim exports only the calls it takes" bash tests/check-preload-symbols.sh build-full/lib/libusock-preload.so
step "install, then cc app.c \$(pkg-config --cflags --libs libusock)" bash tests/check-install.sh build-minimal
# The smallest configuration: IPv6, DHCP, DNS and raw sockets left out (meson_options.txt).
step "build without ipv6, dhcp, dns, raw" setup build-small -Ddpdk=disabled -Dpcap=disabled \
  -Dipv6=false -Ddhcp=false -Ddns=false -Draw=false
step "unit+loop tests (without ipv6, dhcp, dns, raw)" meson test -C build-small --suite unit \
  --suite proto --print-errorlogs
step "build sanitizers" setup build-asan -Ddpdk=enabled -Dpcap=enabled -Db_sanitize=address,undefined \
  -Db_lundef=false
step "unit+loop+api tests (address,undefined)" env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs
# libFuzzer harnesses (tests/fuzz/): replay tests/data/fuzz, then 25 s of fuzzing each.
fuzz_setup() { CC=clang-14 setup "$@"; }
step "build fuzz harnesses (clang, address,undefined)" fuzz_setup build-fuzz \
  -Dfuzz=true -Ddpdk=disabled -Dpcap=disabled
step "fuzz: replay the corpus, 25 s per harness" bash tests/fuzz/run.sh build-fuzz 25
# The minimal configuration for three other CPUs (tests/cross/), its unit and
# loop tests run under qemu-user: 64-bit ARM, 32-bit ARM (alignment traps),
# and big-endian s390x (byte order).
for arch in aarch64:aarch64-linux-gnu armhf:arm-linux-gnueabihf s390x:s390x-linux-gnu; do
  a=${arch%%:*} t=${arch#*:}
  step "cross build $t (minimal)" setup build-cross-$a --cross-file tests/cross/$t.ini \
    -Ddpdk=disabled -Dpcap=disabled
  step "unit+loop tests ($t, under qemu-user)" meson test -C build-cross-$a --suite unit --suite proto \
    --print-errorlogs
done
# What a board gets: the minimal library for aarch64, optimised for size.
step "footprint: libusock for aarch64, -Dbuildtype=minsize" setup build-board-aarch64 \
  --cross-file tests/cross/aarch64-linux-gnu.ini -Ddpdk=disabled -Dpcap=disabled \
  -Dbuildtype=minsize -Dtests=false
step "footprint: .text + .data + .bss within 120 KiB" bash tests/check-footprint.sh \
  build-board-aarch64 aarch64-linux-gnu
# The lab tests on the sanitizer build: a sanitizer's report fails the test
# (srv_stop and tcp_xfer want nothing on stderr; LeakSanitizer runs at each
# usock program's exit; usock-run preloads ASan's runtime before the shim).
# On the plain build: DPDK's tests (slow under ASan: its 512 MB of memory),
# the soak's resident-memory checks (ASan keeps freed memory), and the two
# that run curl under usock-run: curl hangs at start with ASan's runtime
# preloaded, usock or not (LD_PRELOAD=libasan.so.8 curl --version: glibc's
# locale lock is left with a negative reader count).
plain_lab=(test_dpdk test_dpdk_memif test_dpdk_tap test_preload_servers test_ipv6_apps)
step "lab tests under address,undefined (namespaces, against the Linux kernel)" \
  env UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 LAB_TEST_TIMEOUT=240 \
  bash tests/lab/run.sh build-asan --except "${plain_lab[@]}"
step "lab tests: DPDK, the preload shim, the soak's memory checks, past RLIMIT_NOFILE (full build)" \
  env LAB_HTTP_MAX=20000000 LAB_SOAK_NOFILE=3000 bash tests/lab/run.sh build-full \
  "${plain_lab[@]}" test_soak_conns
step "valgrind: usock-testsrv serves 10,000 connections and exits with nothing lost" \
  bash tests/lab/valgrind_testsrv.sh build-full
step "bench/compare --smoke makes its report" bash tests/check-bench.sh build-full

echo "=== took $(( $(date +%s) - start )) s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
