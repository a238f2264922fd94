#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# failover.sh: a node of an idle ring dies; every survivor installs the
# new view at about the same time, within the token timeout, the join
# timeouts that fail the silent node, and a margin.
#
#      n1      n2      n3      n4        4 nodes, a member each, idle:
#     eth0    eth0    eth0    eth0       the representative (n1) holds
#      |       |       |       |         the token for HOLD_MS at a time
#      v1      v2      v3      v4   <-- v4 goes down
#      +------ br0 ----+-------+
#
# The ring runs with a token retransmit timeout of 4 x HOLD_MS, so the
# representative of the idle ring holds the token HOLD_MS at each visit.
# The token that ends recovery installs the new ring at each member as it
# comes round; if the representative held it there, the members after it
# would install HOLD_MS later (kernel/srp.c, vsync_token_visit()).
#
# Checks:
#  - the survivors install the regular view 1,2,3;
#  - the first and the last of them do so less than HOLD_MS / 2 apart;
#  - the last within TOKEN_MS + HOLD_MS of the link going down (the token
#    timeout, three join timeouts of 20 ms, forming the ring), counted
#    from the end of "ip link set down", since ip itself takes a while.
# With VSYNC_TEST_MEDIA=ib, n4's ib0 goes down instead.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=4
TOKEN_MS=1000
HOLD_MS=200
RING_TIMERS="token-timeout $TOKEN_MS token-retransmit $((4 * HOLD_MS)) join-timeout 20 consensus-timeout 2000"

ring_require
kmsg_mark
kill_roles "$N"

ring_setup "$N" || fail_all "cannot create the topology"
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
for i in "${nodes[@]}"
do
	node_start "$i" -n 0 -v "$N"
done
nodes_in_view "$(seq_list 1 "$N")" "${nodes[@]}"
log_test "a ring of $N forms"

for round in 1 2 3
do
	[[ $RET -ne 0 ]] && break
	# Idle long enough for several holds; then the crash falls at a
	# different point of the representative's hold each round.
	msleep $((1500 + round * HOLD_MS / 3))
	# The link goes down at some point while ip runs: starting a
	# process takes 100 ms and more under emulation.
	t_kill=$(now_ms)
	node_link_down "$victim"
	t_down=$(now_ms)
	if ! wait_views $((TOKEN_MS * 10)) "$surv_list" "${survivors[@]}"; then
		check_err 1 "round $round: the survivors did not install $surv_list"
		break
	fi
	min=
	max=
	for i in "${survivors[@]}"
	do
		t=$(($(node_view_time "$i") - t_kill))
		[[ -z $min || $t -lt $min ]] && min=$t
		[[ -z $max || $t -gt $max ]] && max=$t
	done
	log_info "round $round: ip link down took $((t_down - t_kill)) ms; from its start to view $surv_list: $(view_times "$t_kill" "${survivors[@]}")"
	((max - min < HOLD_MS / 2))
	check_err $? "round $round: the survivors installed the view $((max - min)) ms apart (the hold is $HOLD_MS ms): was the token held during recovery?"
	((max - (t_down - t_kill) < (TOKEN_MS + HOLD_MS) * TIME_SCALE))
	check_err $? "round $round: failover took $((max - (t_down - t_kill))) ms or more after ip link down (token timeout $((TOKEN_MS * TIME_SCALE)) ms)"

	# The victim comes back: a ring of all again for the next round.
	node_link_up "$victim"
	wait_views 30000 "$(seq_list 1 "$N")" "${nodes[@]}"
	check_err $? "round $round: n$victim did not come back"
done
log_test "the survivors of an idle ring install the new view together, within the token timeout and $HOLD_MS ms"

nodes_kill
ring_teardown

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
