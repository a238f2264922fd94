#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration needs CAP_NET_ADMIN in the user namespace that owns the
# network namespace (GENL_UNS_ADMIN_PERM); reading does not.
#
#   netns owned by        caller                      ring add
#   init_user_ns          root without CAP_NET_ADMIN  refused (EPERM)
#   init_user_ns          root of a new user ns       refused (EPERM)
#   init_user_ns          uid 65534                   refused (EPERM)
#   a new user ns         root of that user ns        accepted
#   init_user_ns          root                        accepted
#
# "Refused" is exit 2 with "Operation not permitted" on stderr. The device
# is one end of a veth pair.

source "${BASH_SOURCE[0]%/*}/lib.sh"

require_vsyncadm
require_cmd setpriv unshare
vsync_load || fail_all "cannot load $VSYNC_KO"

NOBODY=65534

# A host with a veth pair, as the device to ask for.
setup_ns host || fail_all "cannot create a network namespace"
ns_batch "$host" <<EOF || fail_all "cannot create a veth pair"
link add v0 type veth peer name v1
link set v0 up
link set v1 up
EOF

# check_refused WHAT: the last run was refused for lack of privilege.
check_refused()
{
	check_eq "$rc" 2 "$1: exit status"
	check_match "$err" "Operation not permitted" "$1: stderr"
	log_info "$1: exit $rc: ${err%%$'\n'*}"
}

# check_not_refused WHAT: the last run got past the permission check.
check_not_refused()
{
	[[ $err != *"Operation not permitted"* ]]
	check_err $? "$1: refused: $err"
	log_info "$1: exit $rc${err:+: ${err%%$'\n'*}}"
}

# ------------------------------------------------------------------
run out err ip netns exec "$host" \
	setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-net_admin \
	"$VSYNCADM" ring add dev v0
rc=$?
check_refused "root without CAP_NET_ADMIN"
log_test "ring add without CAP_NET_ADMIN is refused"

# ------------------------------------------------------------------
# unshare -r: root in a new user namespace, which does not own init_net.
run out err unshare --user --map-root-user "$VSYNCADM" ring add dev lo
rc=$?
check_refused "root of a new user namespace, in init_net"
log_test "ring add from a user namespace that does not own the netns is refused"

# ------------------------------------------------------------------
run out err ip netns exec "$host" \
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
	"$VSYNCADM" ring add dev v0
rc=$?
check_refused "uid $NOBODY"
log_test "ring add as an unprivileged user is refused"

# ------------------------------------------------------------------
run out err setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
	"$VSYNCADM" -j info
check_err $? "vsyncadm -j info as uid $NOBODY: $err"
json_num "$out" family >/dev/null
check_err $? "no family in: $out"
log_test "vsyncadm info works without privilege"

# ------------------------------------------------------------------
# The network namespace belongs to the new user namespace: its root may
# configure it.
# shellcheck disable=SC2016 # $0 is for sh
run out err unshare --user --map-root-user --net sh -c '
	ip link add v0 type veth peer name v1 && ip link set v0 up &&
	exec "$0" ring add dev v0' "$VSYNCADM"
rc=$?
check_not_refused "root of a user namespace owning the netns"
check_eq "$rc" 0 "exit status"
log_test "ring add by the root of the user namespace owning the netns works"

# ------------------------------------------------------------------
# rings_in_host: the number of rings in $host, from vsyncadm -j info.
rings_in_host()
{
	local out err

	run out err ip netns exec "$host" "$VSYNCADM" -j info || return 1
	json_num "$out" rings
}

run out err ip netns exec "$host" "$VSYNCADM" ring add dev v0
rc=$?
check_not_refused "root"
check_eq "$rc" 0 "exit status"
check_eq "$(rings_in_host)" 1 "rings after ring add"
run out err ip netns exec "$host" "$VSYNCADM" ring del dev v0
check_err $? "ring del dev v0: $err"
check_eq "$(rings_in_host)" 0 "rings after ring del"
log_test "ring add and del as root work"

tests_done
