#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the system part of the test VM's initramfs: busybox, a real shell,
# iproute2, capture and test tools, and the in-tree kernel modules the tests
# need (as their modules.dep closure). Changes rarely; the project's own
# binaries go in a second archive (mkapp.sh) appended to this one.
#
# usage: mkbase.sh KVER OUT.cpio
set -euo pipefail
. "$(dirname "$0")/lib.sh"
kver=$1 out=$2
root=$(mktemp -d /tmp/tcpfo-vmbase.XXXXXX)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,tmp,run,var/run,root,mnt}
ln -s ../lib "$root/usr/lib"

# Real binaries first; busybox fills in only what they do not provide
# (busybox's own ip/tc lack netns/netem and must never shadow iproute2).
bins="/usr/bin/dash /usr/bin/bash /usr/bin/timeout /usr/bin/stdbuf
      /usr/bin/unshare /usr/bin/nsenter /usr/bin/setpriv
      /bin/ip /sbin/tc /sbin/bridge /usr/bin/ss /usr/bin/nstat
      /usr/sbin/ethtool /usr/sbin/nft /usr/bin/tcpdump /usr/bin/iperf3 /usr/bin/curl /usr/bin/jq
      /usr/bin/kmod /usr/bin/grep /usr/bin/sed /usr/bin/sha256sum /usr/bin/sort /usr/bin/seq /usr/bin/date"
for b in $bins; do
	real=$(readlink -f "$b") || die "missing $b"
	copy_bin "$root" "$real" "/usr/bin/$(basename "$b")"
done
# iproute2's ip/tc load plugins and libs by path; tc's netem needs its
# distribution tables.
[ -d /usr/lib/x86_64-linux-gnu/tc ] && mkdir -p "$root/usr/lib/x86_64-linux-gnu" &&
	cp -a /usr/lib/x86_64-linux-gnu/tc "$root/usr/lib/x86_64-linux-gnu/"
[ -d /usr/lib/tc ] && cp -a /usr/lib/tc "$root/lib/" || true
for l in $(ls /usr/lib/x86_64-linux-gnu/libiperf.so* 2>/dev/null); do cp -L "$l" "$root/lib/"; done
ln -sf /usr/bin/dash "$root/bin/sh"
for t in insmod rmmod modprobe lsmod depmod modinfo; do ln -sf /usr/bin/kmod "$root/sbin/$t"; done

cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	case $applet in sh|ip|tc|timeout|modprobe|insmod|rmmod|lsmod|depmod|modinfo|init|linuxrc) continue ;; esac
	[ -e "$root/usr/bin/$applet" ] || [ -e "$root/bin/$applet" ] || [ -e "$root/sbin/$applet" ] ||
		ln -s busybox "$root/bin/$applet"
done

# Users the tools expect (tcpdump drops privileges unless -Z root).
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
tcpdump:x:104:108::/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
printf 'root:x:0:\ntcpdump:x:108:\nnogroup:x:65534:\n' > "$root/etc/group"
printf 'hosts: files\n' > "$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"
mkdir -p "$root/etc/iproute2"

# Kernel modules: closure of what the tests load.
mods="veth bridge 8021q sch_netem sch_tbf sch_prio cls_u32 dummy nf_conntrack
      nf_tables nft_ct nf_reject_ipv4 nf_reject_ipv6 crc32c_generic
      inet_diag tcp_diag nft_numgen"
mkdir -p "$root/lib/modules/$kver"
for m in $mods; do
	modprobe -S "$kver" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | sort -u | while read -r ko; do
	mkdir -p "$root$(dirname "$ko")"
	cp "$ko" "$root$ko"
done
cp /lib/modules/"$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/" 2>/dev/null || true
depmod -b "$root" "$kver"

mkcpio "$root" "$out"
echo "vm: base initramfs $(du -h "$out" | cut -f1) for $kver"
