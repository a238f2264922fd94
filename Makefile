# SPDX-License-Identifier: GPL-2.0
#
# vsync: top-level build.
#
#   make            build kernel/vsync.ko and the userspace tools
#   make check      install dependencies, build, boot the VM, run every test
#   make demo       boot the VM, load the module, show it working
#   make install    install the module and the tools (DESTDIR, PREFIX)
#   make style      checkpatch --strict on kernel/ and include/
#
# KDIR is the kernel build tree. Its default is the running kernel's, where
# that exists, otherwise the newest installed Debian amd64 headers.

KVER_RUNNING := $(shell uname -r)
KDIR ?= $(strip $(if $(wildcard /lib/modules/$(KVER_RUNNING)/build/Makefile),\
	/lib/modules/$(KVER_RUNNING)/build,\
	$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))))

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= $(CURDIR)/build
export BUILD

all: module tools

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || { echo "error: no kernel build tree; install linux-headers-amd64 or set KDIR" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(or $(W),1) modules

debug:
	$(MAKE) module CONFIG_VSYNC_DEBUG=y

tools:
	$(MAKE) -C userspace

# Third-party headers and scripts taken from the linux-source-6.1 package.
src-extract:
	@scripts/src-extract

tests: tools src-extract
	$(MAKE) -C tests
	$(MAKE) -C tests/fake_ipoib KDIR=$(KDIR)

check:
	@scripts/check

demo:
	@scripts/demo

style: src-extract
	$(BUILD)/linux-src/scripts/checkpatch.pl --strict --no-tree --terse \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES \
		-f $(filter-out %.mod.c,$(wildcard kernel/*.c kernel/*.h \
		include/uapi/linux/*.h tests/fake_ipoib/*.c))

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=updates modules_install
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
	install -D -m 0644 include/uapi/linux/vsync.h $(DESTDIR)$(PREFIX)/include/linux/vsync.h

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null
	$(MAKE) -C userspace clean
	-$(MAKE) -C tests clean
	-$(MAKE) -C tests/fake_ipoib KDIR=$(KDIR) clean
	rm -rf $(BUILD)

.PHONY: all module debug tools src-extract tests check demo style install clean
