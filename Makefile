# SPDX-License-Identifier: GPL-2.0
# tcpfo: single entry point. See README.md.
#
#   make deps      install missing Debian packages (every target below runs it)
#   make           build kmod/tcpfo.ko, failoverd, tcpfoctl and test helpers
#   make check     host unit tests + VM selftests; ends with "N passed, N failed"
#   make vmtest TESTS="tcpfo_netlink tcpfo_services"   chosen VM selftests
#   make demo      boot the VM and show tcpfo at work
#   make bench     benchmarks in the VM (not tests)
#   make fuzz      fuzz the state link's decoders with libFuzzer (clang);
#                  FUZZ_SECONDS=60, new inputs land in build-fuzz/corpus
#   make install   install binaries, module and man pages (DESTDIR honoured)

SHELL   := /bin/bash
TOP     := $(CURDIR)
BUILD   := $(TOP)/build
VMDIR   := $(BUILD)/vm
# Evaluated lazily: the kernel may only exist after `make deps`.
KVER     = $(shell $(TOP)/tools/vm/kver.sh 2>/dev/null)
JOBS    ?= $(shell nproc)
TESTS   ?=
BENCH   ?=

KO      := $(TOP)/kmod/tcpfo.ko

.PHONY: all deps kmod userspace vm vmtest check unit demo bench fuzz install clean FORCE

all: kmod userspace

deps:
	@$(TOP)/tools/deps.sh

kmod: deps
	@$(MAKE) --no-print-directory -C kmod KVER=$(KVER)

$(BUILD)/CMakeCache.txt: | deps
	cmake -S $(TOP) -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

userspace: deps $(BUILD)/CMakeCache.txt
	@cmake --build $(BUILD) -j $(JOBS)

unit: userspace
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The VM image: a base archive that rarely changes and an app archive with
# our binaries, concatenated (later entries win).
$(VMDIR)/base-$(KVER).cpio: tools/vm/mkbase.sh tools/vm/lib.sh | deps
	@mkdir -p $(VMDIR)
	tools/vm/mkbase.sh $(KVER) $@

$(VMDIR)/app.cpio: FORCE | kmod userspace
	@mkdir -p $(VMDIR)
	@tools/vm/mkapp.sh $(KVER) $@.new $(BUILD) $(KO) $(TOP)
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(VMDIR)/initramfs.cpio: $(VMDIR)/base-$(KVER).cpio $(VMDIR)/app.cpio
	@cat $^ > $@

vm: kmod userspace $(VMDIR)/initramfs.cpio

vmtest: vm
	@tools/vm/run $(KVER) $(VMDIR)/initramfs.cpio check $(TESTS)

check: vm
	@tools/check.sh $(KVER) $(VMDIR)/initramfs.cpio

demo: vm
	@tools/vm/run $(KVER) $(VMDIR)/initramfs.cpio demo

bench: vm
	@tools/vm/run $(KVER) $(VMDIR)/initramfs.cpio bench $(if $(BENCH),$(BENCH),$(notdir $(basename $(wildcard selftests/bench_*.sh))))

FUZZ_SECONDS ?= 60
FUZZBUILD := $(TOP)/build-fuzz
fuzz: deps
	@# Every object the target links is instrumented for coverage (the
	@# decoders live in the libraries, not in the entry point).
	@CC=clang CXX=clang++ cmake -S $(TOP) -B $(FUZZBUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
		-DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined" > /dev/null
	@cmake --build $(FUZZBUILD) -j $(JOBS) --target state_link_fuzz
	@mkdir -p $(FUZZBUILD)/corpus $(FUZZBUILD)/crashes
	$(FUZZBUILD)/daemon/fuzz/state_link_fuzz -max_total_time=$(FUZZ_SECONDS) \
		-artifact_prefix=$(FUZZBUILD)/crashes/ -print_final_stats=1 \
		$(FUZZBUILD)/corpus $(TOP)/daemon/fuzz/corpus/state_link

PREFIX ?= /usr/local
install: all
	install -D -m 0755 $(BUILD)/daemon/failoverd $(DESTDIR)$(PREFIX)/sbin/failoverd
	install -D -m 0755 $(BUILD)/tools/tcpfoctl/tcpfoctl $(DESTDIR)$(PREFIX)/sbin/tcpfoctl
	install -D -m 0644 $(KO) $(DESTDIR)/lib/modules/$(KVER)/extra/tcpfo.ko
	install -D -m 0644 include/uapi/linux/tcpfo.h $(DESTDIR)$(PREFIX)/include/linux/tcpfo.h
	@[ -n "$(DESTDIR)" ] || depmod -a $(KVER)

clean:
	@$(MAKE) --no-print-directory -C kmod KVER=$(KVER) clean 2>/dev/null || true
	rm -rf $(BUILD) $(FUZZBUILD)
