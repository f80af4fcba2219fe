#!/usr/bin/env bash
# Installs a build into a scratch root and builds a program against it the
# way a user would: cc app.c $(pkg-config --cflags --libs libusock).  Checks
# that usock.h is the only header installed and that the program runs.
set -euo pipefail
build=${1:?usage: check-install.sh BUILD_DIR}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
meson install -C "$build" --destdir "$root" >/dev/null
headers=$(find "$root" -name '*.h' | sed "s|$root||")
if [ "$headers" != "$(find "$root" -name usock.h | sed "s|$root||")" ] || [ -z "$headers" ]; then
  echo "installed headers other than usock.h: $headers"; exit 1
fi
pc=$(find "$root" -name libusock.pc | head -n1)
[ -n "$pc" ] || { echo "libusock.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
prefix=$(pkg-config --variable=prefix libusock)
flags=$(pkg-config --define-variable=prefix="$root$prefix" --cflags --libs libusock)
cat > "$root/app.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <usock.h>

int main(void)
{
	/* A bad family fails before the stack needs an interface. */
	if (usock_socket(12345, USOCK_SOCK_DGRAM, 0) != -1 || errno != EAFNOSUPPORT)
		return 1;
	printf("built against the installed libusock: %d %d %d\n", USOCK_AF_INET,
	       USOCK_SOCK_STREAM, USOCK_SOL_SOCKET);
	return 0;
}
C
cc -Wall -Werror -o "$root/app" "$root/app.c" $flags
LD_LIBRARY_PATH=$(pkg-config --define-variable=prefix="$root$prefix" --variable=libdir libusock) "$root/app"
