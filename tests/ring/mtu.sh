#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mtu.sh: members whose devices take frames of different sizes. A frame
# larger than a member's MTU never reaches it (veth drops it, as a NIC
# with smaller buffers or a switch port would), so a ring must send
# frames no larger than the smallest MTU among its members, which they
# agree on in the commit token that forms it (vsyncadm: frame-mtu).
#
#      n1 (1500)   n2 (1500)   n3 (1400)    eth0 and its bridge port vI
#       |           |           |           with that MTU
#       +--------- br0 ---------+
#
# The module sends no bundles here (bundle=0): a bundle crosses veth as
# one GSO packet, which no MTU check stops, and would hide the problem.
#
# 1. The three form a ring: every node's frame-mtu is 1400, and messages
#    of 16 B to 9000 B from every node are delivered complete and in one
#    order, with no token lost and no stalled frame. (Each node used to
#    send frames of its own MTU: n3 never got the large ones, the ring
#    re-formed over and over, retransmitting without end, and n3
#    delivered none of them.)
# 2. n2's MTU goes down to 1280 on a running ring: the ring forms again,
#    every node's frame-mtu is 1280, and traffic is delivered complete
#    and in one order.
# 3. Back to 1500 everywhere but n3's bridge port v3, which keeps 1400:
#    nobody knows of it, so n3 neither gets nor sends the large frames.
#    For 8 s the nodes send and the ring stalls and forms again and again;
#    then v3 is mended. Every node finishes, one ring of three forms, and
#    the logs keep virtual synchrony and one order (check-logs). At the
#    end of a recovery a node delivered, in the transitional
#    configuration, the frames past one that none of its members held,
#    from every sender: a gap in the order of the sender of the missing
#    frame, which check-logs found here in about half the runs. Past such
#    a hole only the frames of the transitional configuration's own
#    members are delivered now.
# 4. n3's MTU goes down to 1280 in the middle of traffic of frames of
#    about 1460 bytes. Recovery sends the old ring's frames that some
#    member may lack again, and those no longer fit the new ring's frames:
#    they go in pieces (counter recovery_pieces), n3 takes them, the ring
#    of three forms with frames of 1280, and every node delivers every
#    message in one order. (Recovery frames used to keep the old frames'
#    size: n3 never got them, and the ring stalled and formed again
#    without end.) Up to three tries, each lowering the MTU once, for a
#    change that finds frames in flight: one that finds none needs no
#    recovery frames and proves nothing.
# 5. The kernel log is clean.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

COUNT=${RING_COUNT:-60}
SIZES=64,3000,1000,1380,9000,16
PORT_MS=${MTU_PORT_MS:-8000}

ring_require
[[ $RING_MEDIA == ib ]] &&
	skip_all "fake_ipoib devices all have one MTU; the Ethernet run covers it"
kmsg_mark

nodes=(1 2 3)
members=("${nodes[@]}")	# stat_sum's nodes
all=1,2,3

# frame_mtus: every node's frame-mtu, "1:1400 2:1400 3:1400".
frame_mtus()
{
	local i out=()

	for i in "${nodes[@]}"
	do
		out+=("$i:$(ring_query "$i" 'r.get("frame_mtu")')")
	done
	echo "${out[*]}"
}

# counters_sum NAME...: each counter summed over the nodes, "NAME=N ...".
counters_sum()
{
	local c out=()

	for c in "$@"
	do
		out+=("$c=$(stat_sum "$c")")
	done
	echo "${out[*]}"
}

# round NAME: every node sends COUNT messages; all deliver all in one order.
round()
{
	local i logs

	RING_WORK=$BASE/$1
	mkdir -p "$RING_WORK"
	for i in "${nodes[@]}"
	do
		node_start "$i" -n "$COUNT" -s "$SIZES" -v 3 -Y -E
	done
	nodes_ready 30000 "${nodes[@]}"
	check_err $? "the nodes did not see a view of 3"
	nodes_go "${nodes[@]}"
	nodes_wait -t 40000 "${nodes[@]}"
	check_err $? "a node did not deliver everything"
	logs=$(check_logs --from-start --all-complete "${nodes[@]}")
	check_err $? "the logs differ"
	printf '%s\n' "$logs"
}

# open_end WHAT: the end of a round that sends until told (-n inf): one
# view of all, the nodes stop and finish (after WHAT), the logs hold.
open_end()
{
	local logs

	wait_views 20000 "$all" "${nodes[@]}"
	check_err $? "the nodes' sockets do not share a view of 1,2,3"
	nodes_stop "${nodes[@]}"
	nodes_wait -t 30000 "${nodes[@]}"
	check_err $? "a node did not finish after $1"
	logs=$(check_logs --from-start "${nodes[@]}")
	check_err $? "the logs break virtual synchrony or the order"
	printf '%s\n' "$logs"
	[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
}

ring_setup 3 || fail_all "cannot create the topology"
BASE=$RING_WORK
bundles_off
ip link set v3 mtu 1400 && ip -n n3 link set eth0 mtu 1400
check_err $? "cannot set n3's MTU"

# ------------------------------------------------------------------
# 1. Formed with different MTUs

ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
busywait 20000 ring_show_check "$all" "${nodes[@]}" >/dev/null
check_err $? "no ring of 1,2,3: $(ring_show_check "$all" "${nodes[@]}")"
# shellcheck disable=SC2016  # eval'ed at each try
busywait 5000 eval '[[ $(frame_mtus) == "1:1400 2:1400 3:1400" ]]'
check_err $? "frame-mtu: $(frame_mtus), want 1400 everywhere"
log_test "a ring of MTUs 1500, 1500 and 1400 sends frames of 1400"

before=$(counters_sum token_losses recv_stalls)
round formed
after=$(counters_sum token_losses recv_stalls)
check_eq "$after" "$before" "token losses and stalls during the traffic"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "messages of 16 B to 9000 B reach n3 too, in one order"

# ------------------------------------------------------------------
# 2. An MTU lowered on a running ring

id_before=$(ring_id)
ip link set v2 mtu 1280 && ip -n n2 link set eth0 mtu 1280
check_err $? "cannot set n2's MTU"
# shellcheck disable=SC2016  # eval'ed at each try
busywait 20000 eval '[[ $(frame_mtus) == "1:1280 2:1280 3:1280" && $(ring_id) != "$id_before" ]]'
check_err $? "frame-mtu: $(frame_mtus), ring $(ring_id) (was $id_before); want 1280 everywhere on a new ring"
busywait 10000 ring_show_check "$all" "${nodes[@]}" >/dev/null
check_err $? "no ring of 1,2,3: $(ring_show_check "$all" "${nodes[@]}")"
log_test "n2's MTU down to 1280: the ring forms again with frames of 1280"

round lowered
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "after it, every message reaches every node, in one order"

# ------------------------------------------------------------------
# 3. A port in between with a smaller MTU, which nobody knows of

ip link set v2 mtu 1500 && ip -n n2 link set eth0 mtu 1500 &&
	ip -n n3 link set eth0 mtu 1500
check_err $? "cannot set the MTUs back"
# shellcheck disable=SC2016  # eval'ed at each try
busywait 20000 eval '[[ $(frame_mtus) == "1:1500 2:1500 3:1500" ]]'
check_err $? "frame-mtu: $(frame_mtus), want 1500 everywhere"
busywait 10000 ring_show_check "$all" "${nodes[@]}" >/dev/null
check_err $? "no ring of 1,2,3: $(ring_show_check "$all" "${nodes[@]}")"
RING_WORK=$BASE/port
mkdir -p "$RING_WORK"
# Sending on until the ring is whole again: a message sent while a node
# was in a ring of its own does not reach the others, so a last message
# sent then would leave them waiting for it.
for i in "${nodes[@]}"
do
	node_start "$i" -n inf -r 50 -s "$SIZES" -v 3 -Y -E
done
nodes_ready 30000 "${nodes[@]}"
check_err $? "the nodes did not see a view of 3"
nodes_go "${nodes[@]}"
msleep $((PORT_MS * TIME_SCALE))
ip link set v3 mtu 1500
check_err $? "cannot mend v3"
busywait 30000 ring_show_check "$all" "${nodes[@]}" >/dev/null
check_err $? "no ring of 1,2,3 after v3 was mended: $(ring_show_check "$all" "${nodes[@]}")"
open_end "v3 was mended"
log_test "v3's MTU 1400 for $PORT_MS ms: views and order hold, one ring after"

# ------------------------------------------------------------------
# 4. An MTU lowered under traffic

# set_mtu3 MTU: n3's device and its bridge port.
set_mtu3() { ip link set v3 mtu "$1" && ip -n n3 link set eth0 mtu "$1"; }

busywait 20000 ring_show_check "$all" "${nodes[@]}" >/dev/null
check_err $? "no ring of 1,2,3 before round 4: $(ring_show_check "$all" "${nodes[@]}")"
RING_WORK=$BASE/under
mkdir -p "$RING_WORK"
for i in "${nodes[@]}"
do
	node_start "$i" -n inf -r "${MTU_UNDER_RATE:-400}" -s 1400,1380,64 \
		-v 3 -Y -E
done
nodes_ready 30000 "${nodes[@]}"
check_err $? "the nodes did not see a view of 3"
nodes_go "${nodes[@]}"
pieces=0
malformed=$(stat_sum drop_malformed)
for try in 1 2 3
do
	msleep 1500
	id_before=$(ring_id)
	set_mtu3 1280
	check_err $? "cannot lower n3's MTU"
	# shellcheck disable=SC2016  # eval'ed at each try
	busywait 20000 eval '[[ $(frame_mtus) == "1:1280 2:1280 3:1280" && $(ring_id) != "$id_before" ]]'
	check_err $? "try $try: frame-mtu: $(frame_mtus), ring $(ring_id) (was $id_before); want 1280 everywhere on a new ring"
	busywait 10000 ring_show_check "$all" "${nodes[@]}" >/dev/null
	check_err $? "try $try: no ring of 1,2,3 with n3 at 1280: $(ring_show_check "$all" "${nodes[@]}")"
	pieces=$(stat_sum recovery_pieces)
	log_info "try $try: recovery pieces so far: $pieces"
	[[ $pieces -gt 0 || $RET -ne 0 ]] && break
	set_mtu3 1500
	check_err $? "cannot raise n3's MTU"
	# shellcheck disable=SC2016  # eval'ed at each try
	busywait 20000 eval '[[ $(frame_mtus) == "1:1500 2:1500 3:1500" ]]'
	check_err $? "try $try: frame-mtu: $(frame_mtus), want 1500 everywhere"
done
[[ $pieces -gt 0 ]]
check_err $? "no recovery frame went in pieces in three tries: no change found frames in flight"
check_eq "$(stat_sum drop_malformed)" "$malformed" \
	"frames dropped as malformed (pieces that did not fit together)"
log_test "n3's MTU down to 1280 under traffic: the ring forms with frames of 1280"

msleep 1500
open_end "n3's MTU went down"
log_test "the old ring's frames went in pieces: views and order hold"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
