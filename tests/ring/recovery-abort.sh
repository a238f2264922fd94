#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# recovery-abort.sh: a recovery given up goes back to the old ring's safe
# point, not the new ring's.
#
#      n1      n2      n3       a ring of three; n1 and n2 send for safe
#     eth0    eth0    eth0      delivery; tc filters on n3's ingress
#      +------ br0 ----+
#
# 1. n3 takes none of the ring's message frames (a filter on the ring's
#    id), so nothing n1 and n2 send is safe: the old ring's safe point
#    stays below their messages.
# 2. The stall rule forms a new ring of the three. In recovery n3 takes
#    the new ring's frames, but never frame 100 (a second filter): the
#    new ring's safe point moves to 99 and recovery waits. As n1 and n2
#    both send again every old frame, frames 1 to 99 carry about the
#    first 50 old frames twice.
# 3. n3 is cut off for good: the token is lost, recovery is given up and
#    each node goes back to gather and its old ring. There the safe point
#    must be the old ring's again. It was the new ring's 99, a number of
#    another ring: reported as the old ring's in the next commit token,
#    it made n1 and n2 deliver old frames up to 99 as safe in the old
#    configuration, frames 50 to 99 that n3 never had. n1 and n2 form a
#    ring of two; n3 one of its own. Checks: check-logs, whose safe
#    delivery check (10) requires that a safe message delivered in a
#    regular view be delivered by every member that stayed until the
#    view's transitional view (here n1 and n2 deliver their messages in
#    the transitional view 1,2); the kernel log is clean.
#
# Bundles are off (module parameter bundle=0): a filter sees only the
# first frame of a bundle. Ethernet only: the filters read vsync frames
# behind an Ethernet header; recovery is the same on InfiniBand.

# A token timeout that gives n1 and n2 time to send all before the stall
# rule forms the next ring (it waits a token timeout too).
RING_TIMERS="token-timeout 3000 token-retransmit 50 join-timeout 50 consensus-timeout 1000"
source "${BASH_SOURCE[0]%/*}/ringlib.sh"

COUNT=${RING_COUNT:-300}

ring_require
kmsg_mark

ring_setup 3 || fail_all "cannot create the topology"
require_u32
# Frames one by one: a filter sees only the first frame of a bundle.
bundles_off

nodes=(1 2 3)
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
# A frame holds its messages' memory until the ring's safe point passes
# it, which it never does here: a send buffer for all of them.
for i in 1 2
do
	node_start "$i" -n "$COUNT" -s 1000 -S -v 3 -Y -E \
		-m $((COUNT * 4096))
done
node_start 3 -n 0 -S -v 3 -E
nodes_in_view 1,2,3 "${nodes[@]}"
log_test "a ring of three"
[[ $RET -ne 0 ]] && tests_done

# ------------------------------------------------------------------
# 1. and 2. The filters; the stall rule; a recovery that stops at 99

id=$(ring_id)
tc -n n3 -batch - <<-EOF
	qdisc add dev eth0 clsact
	filter add dev eth0 ingress prio 1 protocol 0x88b5 $(u32_ring_msgs "$id") action drop
	filter add dev eth0 ingress prio 2 protocol 0x88b5 $(u32_msg_seq 100) action drop
EOF
check_err $? "cannot filter n3's traffic"
nodes_go 1 2

# stuck_at_100: n1's ring is in recovery, and n3's second filter dropped
# a frame 100 (the first one drops the old ring's frames before it), so
# frames 1 to 99 of the new ring were sent before.
# shellcheck disable=SC2317 # called through busywait
stuck_at_100()
{
	local hits

	[[ $(ring_query 1 "r['state']") == recovery ]] || return 1
	hits=$(tc -n n3 -s filter show dev eth0 ingress prio 2 |
		awk '/Sent/ { print $4; exit }')
	((${hits:-0} > 0))
}

# The stall rule forms the second ring after a token timeout; its
# recovery takes frames 1 to 99 in a moment and then waits for 100. A
# few rotations more and they are safe in the new ring.
busywait 30000 stuck_at_100
check_err $? "n1's new ring did not get stuck in recovery at frame 100 in 30 s"
msleep $((300 * TIME_SCALE))
log_test "n3 misses ring $id's frames: a new ring, in recovery, stuck at 100"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"

# ------------------------------------------------------------------
# 3. n3 cut off in recovery: two rings, and what each delivers

tc -n n3 -batch - <<-EOF
	filter add dev eth0 ingress prio 0 protocol all matchall action drop
	filter add dev eth0 egress prio 0 protocol all matchall action drop
EOF
check_err $? "cannot cut n3 off"
# The rings, not the groups: n1 and n2 leave theirs as they finish.
if ! busywait 30000 ring_show_check 1,2 1 2 >/dev/null; then
	ring_show_check 1,2 1 2
	check_err 1 "n1 and n2 did not form a ring of 1,2"
	ring_stats 1 2
fi
wait_views 30000 3 3
check_err $? "n3 did not form a view of its own"
log_test "n3 cut off: a ring of n1 and n2, and one of n3"

# n3 sends nothing, so it has no last message to wait for: it is told.
nodes_signal TERM 3
nodes_wait -t 30000 "${nodes[@]}"
check_err $? "the nodes did not finish"
out=$(check_logs "${nodes[@]}")
check_err $? "the logs break extended virtual synchrony"
printf '%s\n' "$out"
log_info "n1's views: $(awk '/^[TR] / { sub(/ t=.*/, ""); printf "%s; ", $0 }' "$RING_WORK/log.1")"
log_info "n3's views: $(awk '/^[TR] / { sub(/ t=.*/, ""); printf "%s; ", $0 }' "$RING_WORK/log.3")"
log_test "safe messages delivered in the view of three were at n3 too (check-logs)"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
