#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs, only when missing, every Debian bookworm package tcpfo needs to
# build, test and demo. Idempotent and quiet when everything is there.
set -euo pipefail
pkgs=(
	build-essential cmake pkg-config git
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libboost-program-options-dev
	libgtest-dev googletest libssl-dev clang libclang-rt-14-dev
	linux-image-amd64 linux-headers-amd64 kmod
	qemu-system-x86 busybox-static cpio
	iproute2 ethtool nftables tcpdump iperf3 curl jq util-linux coreutils dash bash gawk
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The image and the headers must be the same release (the metapackages pin
# them together); the VM boots what the module was built against.
kver=$("$(dirname "$0")/vm/kver.sh")
[ -e "/boot/vmlinuz-$kver" ] || { echo "deps: no /boot/vmlinuz-$kver" >&2; exit 1; }
