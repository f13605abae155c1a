# SPDX-License-Identifier: GPL-2.0
# Shared helpers for building the test VM's initramfs (sourced, not run).

die() { echo "vm: $*" >&2; exit 1; }

# The kernel the VM boots: the newest Debian kernel that has both an image
# and headers installed. Never `uname -r`: the host kernel is not the VM's.
detect_kver() {
	local k best=
	for k in $(ls -1 /lib/modules 2>/dev/null | sort -V); do
		[ -e "/boot/vmlinuz-$k" ] && [ -d "/lib/modules/$k/build" ] && best=$k
	done
	[ -n "$best" ] || die "no kernel with both /boot/vmlinuz-* and headers; run make deps"
	echo "$best"
}

# copy_bin ROOT FILE [DEST]: copy an executable and its shared libraries.
copy_bin() {
	local root=$1 f=$2 dest=${3:-$2} lib
	[ -e "$f" ] || die "missing $f"
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$f" "$root$dest"
	for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/[^ ]+ \(/{print $1}'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# mkcpio DIR OUT: newc archive of DIR (uncompressed: boots faster).
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$2.tmp"
	mv "$2.tmp" "$2"
}
