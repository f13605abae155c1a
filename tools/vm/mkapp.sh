#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the project part of the test VM's initramfs: /init, tcpfo.ko, our
# binaries with their shared libraries, and the selftests. Appended to the
# base archive (later cpio entries win), so a rebuild only redoes this.
#
# usage: mkapp.sh KVER OUT.cpio BUILD_DIR KO SRC_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=$1 out=$2 build=$3 ko=$4 src=$5
root=$(mktemp -d /tmp/tcpfo-vmapp.XXXXXX)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root/usr/local/bin" "$root/opt/tcpfo" "$root/lib/modules/$kver/extra"
install -m 0755 "$src/tools/vm/init" "$root/init"
cp "$ko" "$root/lib/modules/$kver/extra/tcpfo.ko"
for b in "$build/daemon/failoverd" "$build/tools/tcpfoctl/tcpfoctl" \
	 "$build/selftests/tcpfo-stream" "$build/selftests/tcpfo-nlprobe" \
	 "$build/selftests/tcpfo-pcapcheck" "$build/selftests/tcpfo-hold" \
	 "$build/selftests/tcpfo-ifdown" \
	 "$build/selftests/tcpfo-repair"; do
	copy_bin "$root" "$b" "/usr/local/bin/$(basename "$b")"
done
cp -r "$src/selftests" "$root/opt/tcpfo/selftests"
rm -rf "$root/opt/tcpfo/selftests/tools" "$root/opt/tcpfo/selftests/CMakeLists.txt"
[ -d "$src/tools/vm/guest" ] && cp -r "$src/tools/vm/guest/." "$root/opt/tcpfo/"
# The bench and demo scripts are plain selftest-style scripts too.
mkcpio "$root" "$out"
