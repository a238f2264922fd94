#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# big-recovery.sh: a recovery that sends more frames than a store holds.
#
#      n1      n2      n3      n4       a ring of four; n4's message
#     eth0    eth0    eth0    eth0      frames never leave it (tc), then
#      +------ br0 ----+-------+        n4 is unplugged
#
# 1. n4 sends a message: its frame is dropped on the way out, so nobody
#    else ever holds it and every member's aru stops below it. n1, n2 and n3 send 4000 messages of 1000 bytes each (one per
#    frame) on top, until a frame would be 8192 past the aru (the most a
#    ring sends beyond a hole).
# 2. n4 is unplugged. n1, n2 and n3 form a ring, and each sends again,
#    in recovery, every old frame it holds above the hole: three times
#    8000-odd, more than the 16384 frames a store holds. Recovery frames
#    every member took in are released as on an operational ring; before
#    that, the new store filled up, recovery went no further, the ring
#    formed again with the same hole below the same frames, for ever.
#    Checks: n1..n3 install a ring of 1,2,3, deliver the rest of their
#    messages, and their logs keep virtual synchrony and one order
#    (past the hole they deliver only their own frames: n4 is not in the
#    transitional configuration); the kernel log says no "recovery went
#    no further" and is clean.
#
# Ethernet only: the filter reads vsync frames behind an Ethernet header;
# recovery is the same on InfiniBand.

# A token timeout that keeps the stall rule (VSYNC_STALL_VISITS and the
# token timeout) quiet until n4 is gone: it would form rings with n4
# while n4 is there, and the members then came apart (seen: n1 alone,
# n2 and n3 recovering only their two copies). A consensus timeout that
# forms one ring of three while they recover.
RING_TIMERS="token-timeout 10000 token-retransmit 50 join-timeout 50 consensus-timeout 2000"
source "${BASH_SOURCE[0]%/*}/ringlib.sh"

COUNT=${RING_COUNT:-4000}
SIZE=1000

ring_require
kmsg_mark

ring_setup 4 || fail_all "cannot create the topology"
require_u32

nodes=(1 2 3 4)
survivors=(1 2 3)

ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
# Each queues all it sends at once: the ring, not the senders, sets the
# pace, and the frames pile up above the hole.
for i in "${survivors[@]}"
do
	node_start "$i" -n "$COUNT" -s "$SIZE" -v 4 -Y -E \
		-m $((COUNT * (SIZE + 1024))) -F
done
node_start 4 -n 1 -s "$SIZE" -v 4 -Y -E
nodes_in_view 1,2,3,4 "${nodes[@]}"
log_test "a ring of four"
[[ $RET -ne 0 ]] && tests_done

# ------------------------------------------------------------------
# 1. A hole, and 8000-odd frames above it

# The vsync header's type at 1: n4's message frames stay at home.
tc -n n4 -batch - <<-EOF
	qdisc add dev eth0 clsact
	filter add dev eth0 egress prio 1 protocol 0x88b5 u32 match u8 1 0xff at 1 action drop
EOF
check_err $? "cannot filter n4's traffic"
nodes_go 4
msleep 200
nodes_go "${survivors[@]}"

# sent_at_least N: n1..n3 put N messages or more into frames.
# shellcheck disable=SC2317 # called through busywait
sent_at_least()
{
	(($(stat_sum msgs_sent) >= $1))
}

# installed: n1..n3 are operational in one ring of 1,2,3.
# shellcheck disable=SC2317 # called through busywait
installed()
{
	ring_show_check 1,2,3 "${survivors[@]}" >/dev/null
}

members=("${survivors[@]}")
# Well within the token timeout: the stall rule's clock runs from the
# hole, and n4 must be gone before it forms a ring with n4.
busywait 7000 sent_at_least 6000
check_err $? "n1..n3 sent only $(stat_sum msgs_sent) messages above the hole in 7 s"
log_info "n1..n3 sent $(stat_sum msgs_sent) messages; delivered $(stat_sum msgs_delivered)"
log_test "n4's frame never arrives: the others send 6000 frames and more above it"

# ------------------------------------------------------------------
# 2. n4 goes: the survivors recover three times what they sent

t_gone=$(now_ms)
node_unplug 4
kill -KILL "${NODE_PID[4]}" 2>/dev/null
wait "${NODE_PID[4]}" 2>/dev/null
unset "NODE_PID[4]"

# The ring, not the group: the nodes leave the group as they finish.
if busywait 90000 installed; then
	log_info "n1..n3 operational as 1,2,3 $(($(now_ms) - t_gone)) ms after n4 went"
else
	ring_show_check 1,2,3 "${survivors[@]}"
	check_err 1 "n1..n3 did not install a ring of 1,2,3 in 90 s"
	ring_stats "${survivors[@]}"
fi
log_test "n4 unplugged: the survivors recover and install 1,2,3"

nodes_wait -t 60000 "${survivors[@]}"
check_err $? "the survivors did not deliver all their messages"
out=$(check_logs "${survivors[@]}")
check_err $? "the logs differ"
printf '%s\n' "$out"
# Each delivers every message of the three (n4's never left n4).
for i in "${survivors[@]}"
do
	check_eq "$(grep -c '^D ' "$RING_WORK/log.$i")" $((3 * COUNT)) \
		"n$i: messages delivered"
done
ring_stats "${survivors[@]}"
log_test "the survivors deliver all they sent, in one order, with virtual synchrony"

# ------------------------------------------------------------------
# 3. The kernel log

log=$(kmsg_since)
stuck=$(grep -c "recovery went no further" <<<"$log")
check_eq "$stuck" 0 "kernel log lines \"recovery went no further\""
log_test "recovery goes on past the store's size"
splats=$(kmsg_splats "$log")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
