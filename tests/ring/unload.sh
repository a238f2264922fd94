#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# unload.sh: the module unloads cleanly after rings carried traffic and
# their users went away in rude ways, and refuses to while a socket is
# open.
#
#      n1      n2      n3        nodes with rings; vsync-node processes
#     eth0    eth0    eth0       sending as fast as they can
#      |       |       |
#      v1      v2      v3
#      +----- br0 -----+
#
# (VSYNC_TEST_MEDIA=ib: fake_ipoib devices ib0, see ringlib.sh.)
#
# Checks:
#  1. rmmod fails (module in use) while a member is blocked in recvmsg(),
#     and succeeds once that process is SIGKILLed, the rings still there;
#  2. senders SIGKILLed in the middle of sending: rmmod succeeds;
#  3. the namespaces are deleted under running senders: rmmod still
#     fails while their sockets live, succeeds once they are SIGKILLed;
#  4. "vsyncadm ring del" under running senders: their sockets fail with
#     ENODEV, and rmmod succeeds after they exit;
# and after each step the kernel log shows no splat. The module is left
# loaded at the end, as the other tests expect.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

ring_require
require_cmd rmmod

nodes=(1 2 3)

# try_rmmod: one rmmod; its output in RMMOD_OUT.
try_rmmod()
{
	RMMOD_OUT=$(rmmod vsync 2>&1)
}

# rmmod_eventually MS: rmmod until it works or MS pass.
rmmod_eventually()
{
	busywait "$1" try_rmmod && ! vsync_loaded
}

# check_splats: the kernel log since the last kmsg_mark has no splat.
check_splats()
{
	local splats

	splats=$(kmsg_splats "$(kmsg_since)")
	check_eq "$splats" "" "kernel log"
}

# start_traffic: a ring of 3 and a sender on each node, sending.
start_traffic()
{
	local i

	ring_setup 3 || return 1
	ring_add "${nodes[@]}" || return 1
	for i in "${nodes[@]}"
	do
		node_start "$i" -n inf -s 64,1500,20000,300 -v 3 -Y -q
	done
	nodes_ready 30000 "${nodes[@]}" || return 1
	nodes_go "${nodes[@]}"
}

# ------------------------------------------------------------------
kmsg_mark
ring_setup 2 || fail_all "cannot create the topology"
ring_add 1 2
check_err $? "vsyncadm ring add failed"
node_start 1 -B -q
nodes_ready 10000 1
check_err $? "the receiver did not start"
msleep 200
refcnt=$(read_file "$VSYNC_SYSFS/refcnt" 2>/dev/null)
log_info "module refcnt with one socket open: ${refcnt:-?}"
try_rmmod
check_fail $? "rmmod worked while a socket was open"
check_match "$RMMOD_OUT" "in use|busy|Resource temporarily" "rmmod's complaint"
vsync_loaded
check_err $? "the module went away"
kill -0 "${NODE_PID[1]}" 2>/dev/null
check_err $? "the receiver did not survive the rmmod attempt"
log_test "rmmod fails while a member is blocked in recvmsg()"

nodes_kill KILL
rmmod_eventually 5000
check_err $? "rmmod after the receiver was killed: $RMMOD_OUT"
check_splats
log_test "rmmod works once the member is killed, rings still there"
ring_teardown

# ------------------------------------------------------------------
vsync_load
check_err $? "cannot load the module again"
kmsg_mark
start_traffic
check_err $? "cannot start the traffic"
msleep 700
nodes_kill KILL
rmmod_eventually 5000
check_err $? "rmmod after the senders were killed: $RMMOD_OUT"
check_splats
log_test "senders SIGKILLed while sending; rmmod works"
ring_teardown

# ------------------------------------------------------------------
vsync_load
check_err $? "cannot load the module again"
kmsg_mark
start_traffic
check_err $? "cannot start the traffic"
msleep 500
ip -batch - <<EOF
netns del n1
netns del n2
netns del n3
EOF
check_err $? "cannot delete the namespaces"
msleep 300
try_rmmod
check_fail $? "rmmod worked while senders in deleted namespaces had sockets open"
nodes_kill KILL
rmmod_eventually 10000
check_err $? "rmmod after the senders were killed: $RMMOD_OUT"
check_splats
log_test "namespaces deleted under running senders; rmmod works once they die"
ring_teardown

# ------------------------------------------------------------------
vsync_load
check_err $? "cannot load the module again"
kmsg_mark
start_traffic
check_err $? "cannot start the traffic"
msleep 500
ring_del "${nodes[@]}"
check_err $? "vsyncadm ring del failed"
for i in "${nodes[@]}"
do
	busywait 5000 node_gone "$i"
	wait "${NODE_PID[i]}"
	rc=$?
	unset "NODE_PID[i]"
	check_eq "$rc" 3 "n$i: exit status (3: the socket failed)"
	line=
	[[ -r $RING_WORK/log.$i ]] && while IFS= read -r l; do line=$l; done <"$RING_WORK/log.$i"
	check_match "$line" "^X error=ENODEV" "n$i: how its socket failed"
done
rmmod_eventually 5000
check_err $? "rmmod after ring del: $RMMOD_OUT"
check_splats
log_test "ring del under running senders: ENODEV, then rmmod works"
ring_teardown

vsync_load
check_err $? "cannot load the module again"
log_test "the module loads again"

tests_done
