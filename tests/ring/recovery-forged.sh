#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# recovery-forged.sh: an old frame that a member cannot put together from
# its pieces keeps the new ring from installing, and a later recovery
# brings it.
#
#      n1      n2      n3      n4     a ring of n1..n3; n1 sends, n2 and
#     eth0    eth0    eth0    eth0    n3 take none of the ring's message
#      +-------- br0 ---------+       frames (tc on their ingress), so
#                                     only n1 holds them; n4, not a
#                                     member, runs tests/ring/vsync-wire
#
# 1. n1 sends COUNT messages of 1300 bytes, one to a frame, which n2 and
#    n3 never take: nothing is safe, and n1 alone holds the frames.
# 2. n3's MTU goes down to 1280: a new ring forms whose frames are smaller
#    than the old ones, so n1 sends each old frame again in two pieces, and
#    n2 and n3 put them together. n3 takes none of the frames numbered 100
#    from the others (a second filter); vsync-wire on n4 sees the first
#    one go by and sends its own frame 100 (a third filter lets frames
#    from n4's address through to n3; n1 and n2 hold frame 100 and drop
#    it as a duplicate): the first piece of the same old frame, but of a
#    total 8 bytes larger. That old frame can no longer be put together
#    at n3: its genuine pieces disagree with the one begun (the piece
#    begun before is given up, or the pieces after it are dropped).
# 3. So n3 must keep the ring from installing (its bit in the token's
#    recov_mask) until the stall rule forms a ring again, whose recovery
#    sends the frame again. It installed at once before: with a hole at
#    that frame, which n1 had delivered and n3 never did. Checks: the
#    stall rule ran after the forged frame, n3 counted the disagreeing
#    pieces (drop_malformed), every transitional view has all three (the
#    others follow whoever ran the stall rule back to gather), every
#    node delivered all COUNT messages, check-logs holds, the kernel log
#    is clean.
#
# Bundles are off (module parameter bundle=0): a filter sees only the
# first frame of a bundle. Ethernet only: the filters read vsync frames
# behind an Ethernet header; recovery is the same on InfiniBand.

# n1 runs until told, through a stall rule or two: time enough.
NODE_TIMEOUT=$((120 * ${VSYNC_TEST_TIME_SCALE:-1}))
# A token timeout that gives n1 time to send all before the stall rule
# forms the next ring (it waits a token timeout too).
RING_TIMERS="token-timeout 3000 token-retransmit 50 join-timeout 50 consensus-timeout 1000"
source "${BASH_SOURCE[0]%/*}/ringlib.sh"

COUNT=${RING_COUNT:-100}

ring_require
ring_build vsync-wire VSYNC_WIRE "$VSYNC_ROOT/kernel/proto.h" ||
	fail_all "$VSYNC_WIRE is missing; run 'make -C tests/ring'"
kmsg_mark

ring_setup 4 || fail_all "cannot create the topology"
require_u32
# Frames one by one: a filter sees only the first frame of a bundle.
bundles_off

nodes=(1 2 3)
members=(1 2 3)
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
# A frame holds its messages' memory until the ring's safe point passes
# it, which it does only once n2 and n3 have them.
node_start 1 -n "$COUNT" -s 1300 -v 3 -Y -m $((COUNT * 4096))
node_start 2 -n 0 -v 3 -w "$COUNT"
node_start 3 -n 0 -v 3 -w "$COUNT"
nodes_in_view 1,2,3 "${nodes[@]}"
log_test "a ring of three"
[[ $RET -ne 0 ]] && tests_done

# ------------------------------------------------------------------
# 1. n2 and n3 miss the ring's frames; n1 sends

# The forger's address at -8..-3: the Ethernet source, before the
# network header the filter starts at.
mac=$(ip netns exec n4 cat /sys/class/net/eth0/address)
mac=${mac//:/}
old_ring="protocol 0x88b5 $(u32_ring_msgs "$(ring_id)") action drop"
tc -n n2 -batch - <<-EOF &&
	qdisc add dev eth0 clsact
	filter add dev eth0 ingress prio 1 $old_ring
EOF
tc -n n3 -batch - <<-EOF
	qdisc add dev eth0 clsact
	filter add dev eth0 ingress prio 1 $old_ring
	filter add dev eth0 ingress prio 2 protocol 0x88b5 u32 match u32 0x${mac:0:8} 0xffffffff at -8 match u16 0x${mac:8:4} 0xffff at -4 action ok
	filter add dev eth0 ingress prio 3 protocol 0x88b5 $(u32_msg_seq 100) action drop
EOF
check_err $? "cannot filter n2's and n3's traffic"
# sent_all: n1 ordered its COUNT messages (the logs are written at exit).
sent=$(ring_query 1 "r['stats'].get('msgs_sent', 0)")
# shellcheck disable=SC2317 # called through busywait
sent_all() { (($(ring_query 1 "r['stats'].get('msgs_sent', 0)") >= sent + COUNT)); }

nodes_go 1
busywait 20000 sent_all
check_err $? "n1 did not send its $COUNT messages"
log_test "n1 sent $COUNT messages that n2 and n3 did not take"
[[ $RET -ne 0 ]] && tests_done

# ------------------------------------------------------------------
# 2. A new ring in smaller frames; n3's frame 100 forged

ip netns exec n4 "$VSYNC_WIRE" -i eth0 -w $((20000 * TIME_SCALE)) -R "$RING_WORK/wire.ready" \
	piece 100 >"$RING_WORK/wire.out" 2>&1 &
wire_pid=$!
busywait 5000 test -e "$RING_WORK/wire.ready"
check_err $? "vsync-wire did not start: $(cat "$RING_WORK/wire.out")"
ip link set v3 mtu 1280 && ip -n n3 link set eth0 mtu 1280
check_err $? "cannot lower n3's MTU"
wait "$wire_pid"
check_err $? "vsync-wire piece 100: $(cat "$RING_WORK/wire.out")"
log_info "vsync-wire: $(cat "$RING_WORK/wire.out")"
stalls=$(stat_sum recv_stalls)
# filter_hits PRIO: frames n3's ingress filter PRIO matched.
filter_hits()
{
	tc -n n3 -s filter show dev eth0 ingress prio "$1" |
		awk '/Sent/ { print $4; exit }'
}
# vsync-wire sent its frame through veth, which n3 took in the same
# system call: it passed the second filter, and frame 100 is taken.
(($(filter_hits 2) > 0))
check_err $? "the forged frame did not reach n3"
(($(filter_hits 3) > 0))
check_err $? "n3's filter took no genuine frame 100"
tc -n n3 filter del dev eth0 ingress prio 3
check_err $? "cannot remove n3's filter of frame 100"
check_eq "$(ring_query 1 "r['frame_mtu']")" 1280 "n1's frame-mtu"
(($(stat_sum recovery_pieces) > 0))
check_err $? "no old frame went in pieces"
log_test "a ring in frames of 1280; n3 took a forged piece as frame 100"

# ------------------------------------------------------------------
# 3. The ring waits for n3; a later recovery completes it

(($(ring_query 3 "r['stats'].get('drop_malformed', 0)") > 0))
check_err $? "n3 counted no disagreeing piece (drop_malformed)"
if ! busywait 30000 ring_show_check 1,2,3 "${nodes[@]}" >/dev/null; then
	ring_show_check 1,2,3 "${nodes[@]}"
	check_err 1 "no ring of 1,2,3 after the forged piece"
	ring_stats "${nodes[@]}"
fi
(($(stat_sum recv_stalls) > stalls))
check_err $? "the ring installed without the old frame n3 could not put together (no stall after the forged piece)"
log_test "n3 held the ring in recovery until a later one brought the frame"

# n2 and n3 exit once they delivered COUNT messages (-w), n1 when told.
nodes_wait -t 30000 2 3
delivered=$?
nodes_signal TERM 1
nodes_wait -t 30000 1
finished=$?

# Whoever ran the stall rule went back to gather with the same members,
# and the others must follow it, not take its join for a late copy of the
# agreement: then it failed them and formed a ring alone (n3 so dropped
# n1's messages past its hole, with n1 gone from its transitional view).
# Every ring change is of the three, so is every transitional view.
check_eq "$(awk '$1 == "T" && $3 != "1/1,2/2,3/3" { print FILENAME ": " $0 }' \
	"$RING_WORK/log.1" "$RING_WORK/log.2" "$RING_WORK/log.3")" "" \
	"transitional views without all three"
log_test "no node formed a ring without the others: they followed the stall rule's gather"

check_err $delivered "n2 and n3 did not deliver n1's $COUNT messages"
check_err $finished "n1 did not finish"
out=$(check_logs "${nodes[@]}")
check_err $? "the logs break extended virtual synchrony"
printf '%s\n' "$out"
log_test "every node delivered n1's $COUNT messages (check-logs)"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
