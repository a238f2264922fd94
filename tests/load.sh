#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading vsync.ko, and its family= parameter:
#
#   - insmod registers the module, the generic netlink family and the
#     socket family (default 19); rmmod removes them again;
#   - it loads and unloads twice in a row;
#   - family=18 is used when it is free;
#   - a family number some other protocol holds (16, AF_NETLINK) makes
#     insmod fail, and the kernel log says which number;
#   - family numbers out of range make insmod fail with EINVAL.
#
# Leaves the module unloaded.

source "${BASH_SOURCE[0]%/*}/lib.sh"

[[ -f $VSYNC_KO ]] || fail_all "$VSYNC_KO is missing; run 'make module'"

DEFAULT_FAMILY=19
FREE_FAMILY=18		# AF_ASH: defined, nothing registers it
TAKEN_FAMILY=16		# AF_NETLINK: always registered
AF_MAX=46		# Linux 6.1: AF_MCTP is 45

# genl_registered: the generic netlink family "vsync" exists. Asks the
# kernel with iproute2's genl, so that it does not depend on vsyncadm.
genl_registered()
{
	genl ctrl get name vsync >/dev/null 2>&1
}

# in_proc_modules: /proc/modules (what lsmod prints) lists vsync.
in_proc_modules()
{
	local mod

	while read -r mod _
	do
		[[ $mod == vsync ]] && return 0
	done </proc/modules
	return 1
}

# check_unloaded: nothing of vsync is left.
check_unloaded()
{
	! vsync_loaded
	check_err $? "/sys/module/vsync is still there"
	! in_proc_modules
	check_err $? "/proc/modules still lists vsync"
	if type -P genl >/dev/null; then
		! genl_registered
		check_err $? "generic netlink family vsync is still registered"
	fi
}

# load PARAMS...: insmod, with its error output kept in $insmod_err.
load()
{
	insmod_err=$(insmod "$VSYNC_KO" "$@" 2>&1)
}

# A clean start: the module might be loaded by whatever ran before.
vsync_unload || fail_all "vsync is loaded and cannot be unloaded"

# ------------------------------------------------------------------
load
check_err $? "insmod: $insmod_err"
vsync_loaded
check_err $? "no /sys/module/vsync after insmod"
in_proc_modules
check_err $? "/proc/modules does not list vsync"
family=$(vsync_family)
check_err $? "cannot read $VSYNC_SYSFS/parameters/family"
check_eq "$family" "$DEFAULT_FAMILY" "default family"
log_test "insmod registers the module, default family $DEFAULT_FAMILY"

if type -P genl >/dev/null; then
	genl_registered
	check_err $? "genl ctrl get name vsync failed"
	log_test "generic netlink family vsync is registered"
else
	log_test_skip "generic netlink family vsync is registered" \
		"genl (iproute2) is not installed"
fi

if [[ -x $VSYNCADM ]]; then
	run out err "$VSYNCADM" info
	check_err $? "vsyncadm info: $err"
	log_test "vsyncadm info works after insmod"
else
	log_test_skip "vsyncadm info works after insmod" "vsyncadm is not built"
fi

# ------------------------------------------------------------------
out=$(rmmod vsync 2>&1)
check_err $? "rmmod: $out"
check_unloaded
log_test "rmmod removes the module and the genl family"

# ------------------------------------------------------------------
for i in 1 2
do
	load
	check_err $? "insmod #$i: $insmod_err"
	vsync_loaded
	check_err $? "not loaded after insmod #$i"
	out=$(rmmod vsync 2>&1)
	check_err $? "rmmod #$i: $out"
	check_unloaded
done
log_test "load and unload twice in a row"

# ------------------------------------------------------------------
load family=$FREE_FAMILY
check_err $? "insmod family=$FREE_FAMILY: $insmod_err"
family=$(vsync_family)
check_eq "$family" "$FREE_FAMILY" "family in sysfs"
vsync_unload
check_err $? "rmmod after family=$FREE_FAMILY"
log_test "family=$FREE_FAMILY is used"

# ------------------------------------------------------------------
kmsg_mark
load family=$TAKEN_FAMILY
check_fail $? "insmod family=$TAKEN_FAMILY succeeded: that family is AF_NETLINK's"
check_unloaded
found=0
while IFS= read -r line
do
	if [[ $line =~ vsync:.*(^|[^0-9])$TAKEN_FAMILY([^0-9]|$) ]]; then
		found=1
		log_info "kernel: ${line#*] }"
	fi
done < <(kmsg_since)
check_eq "$found" 1 "a kernel log line from vsync naming family $TAKEN_FAMILY"
log_info "insmod: $insmod_err"
log_test "a taken family number ($TAKEN_FAMILY) is refused with a log message"

# ------------------------------------------------------------------
for f in $AF_MAX -1
do
	load family="$f"
	check_fail $? "insmod family=$f succeeded"
	check_match "$insmod_err" "Invalid parameters|Invalid argument" \
		"insmod family=$f: not EINVAL"
	! vsync_loaded
	check_err $? "loaded after insmod family=$f"
done
log_test "out-of-range family numbers are refused with EINVAL"

vsync_unload
tests_done
