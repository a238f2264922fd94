#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The socket family number: sysfs (/sys/module/vsync/parameters/family)
# and generic netlink (VSYNC_A_INFO_FAMILY through "vsyncadm -j info")
# agree, with the default number and with family=18, and in every network
# namespace. The generic netlink family has the name, version and
# multicast groups of include/uapi/linux/vsync.h. That socket() takes the
# same number, and only it, is in socket.c (family_param).

source "${BASH_SOURCE[0]%/*}/lib.sh"

require_vsyncadm
[[ -f $VSYNC_KO ]] || fail_all "$VSYNC_KO is missing; run 'make module'"

OTHER_FAMILY=18

# check_agree WHAT: sysfs and netlink give the same number.
check_agree()
{
	local sysfs json nl

	sysfs=$(vsync_family)
	check_err $? "cannot read the family from sysfs"
	run json err "$VSYNCADM" -j info
	check_err $? "vsyncadm -j info: $err"
	nl=$(json_num "$json" family)
	check_err $? "no number \"family\" in: $json"
	check_eq "$nl" "$sysfs" "netlink family vs sysfs"
	log_info "$1: sysfs $sysfs, netlink $nl"
}

vsync_load || fail_all "cannot load $VSYNC_KO"
default=$(vsync_family)

# ------------------------------------------------------------------
check_agree "default"
log_test "sysfs and netlink agree on the family number"

# ------------------------------------------------------------------
if type -P genl >/dev/null; then
	out=$(genl ctrl get name vsync 2>&1)
	check_err $? "genl ctrl get name vsync: $out"
	check_match "$out" "Name: vsync" "family name"
	check_match "$out" "Version: 0x0*1[^0-9a-f]" "family version"
	check_match "$out" "name: config" "multicast group config"
	check_match "$out" "name: events" "multicast group events"
	log_test "genl family vsync: version 1, groups config and events"
else
	log_test_skip "genl family vsync: version 1, groups config and events" \
		"genl (iproute2) is not installed"
fi

# ------------------------------------------------------------------
run json err unshare --net "$VSYNCADM" -j info
check_err $? "vsyncadm -j info in a new netns: $err"
nl=$(json_num "$json" family)
check_eq "$nl" "$default" "family in a new netns"
rings=$(json_num "$json" rings)
check_eq "$rings" 0 "rings in a new netns"
log_test "a new network namespace sees the same family and no rings"

# ------------------------------------------------------------------
vsync_load family=$OTHER_FAMILY
check_err $? "insmod family=$OTHER_FAMILY"
check_agree "family=$OTHER_FAMILY"
check_eq "$(vsync_family)" "$OTHER_FAMILY" "sysfs family"
log_test "family=$OTHER_FAMILY: sysfs and netlink follow"

# Back to the default for whatever runs next.
vsync_unload && vsync_load
tests_done
