#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bundle.sh: runs of frames leave as one skb (a bundle, fraglist GSO)
# where the device carries it, are cut up again where it does not, and
# nothing is lost or reordered either way.
#
#      n1      n2      n3      n4         4 nodes, each sends RING_COUNT
#     eth0    eth0    eth0*   eth0        (200) messages of 16 B..20 KB
#      |       |       |       |
#      v1      v2      v3      v4*        * tx-gso-list off:
#      +------ br0 ----+-------+            n3's eth0 cannot carry a
#                                            bundle, so n3 sends none;
#                                            the bridge cannot send one
#                                            to n4 through v4, so the
#                                            stack cuts every bundle up
#                                            (vsync_gso_segment()).
#
# Checks (eth):
#  - every node delivers every message of every node once, intact, in
#    one order (check-logs --all-complete), without a membership change;
#  - n1, n2 and n4 sent bundles and n3 none; n1..n3 received bundles and
#    n4 none: its frames came one by one, and it asked again for few of
#    them (without the segmentation the bridge drops the bundles, and n4
#    gets their frames only when it asks again);
#  - with the module parameter bundle=0 a second round sends no bundle
#    and is as complete;
#  - a third round on vxlan devices over the eth0s (bundles inside UDP;
#    where cut up, each frame gets the tunnel's headers too) and a
#    fourth on VLAN devices eth0.10 (where cut up, each frame keeps the
#    tag) are as complete: n1..n3 send and receive bundles, n4 receives
#    none and asks again for few frames.
# With VSYNC_TEST_MEDIA=ib: ipoib carries no GSO, so no node sends or
# receives a bundle, and the traffic is complete.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=4
COUNT=${RING_COUNT:-200}
SIZES=16,200,1400,3000,64,9000,20000,100
PARAM=/sys/module/vsync/parameters/bundle

ring_require
kmsg_mark
[[ -w $PARAM ]] || fail_all "no $PARAM"
[[ $RING_MEDIA == ib ]] || require_cmd ethtool

nodes=(1 2 3 4)
all=1,2,3,4

# shellcheck disable=SC2317 # run by cleanup(), see defer
bundle_on() { echo 1 >"$PARAM"; }

ring_setup "$N" || fail_all "cannot create the topology"
defer bundle_on
if [[ $RING_MEDIA != ib ]]; then
	ethtool -K v4 tx-gso-list off &&
		ip netns exec n3 ethtool -K eth0 tx-gso-list off
	check_err $? "ethtool -K ... tx-gso-list off"
fi
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"

# counters: "I bundles_out bundles_in frames_in rtr_requests" of every
# node, a line each.
counters()
{
	local i

	for i in "${nodes[@]}"
	do
		echo "$i $(ip netns exec "n$i" "$VSYNCADM" -j ring show \
			dev "$RING_DEV")"
	done | python3 -c '
import json, sys
for line in sys.stdin:
    i, js = line.split(" ", 1)
    r = json.loads(js)
    r = r[0] if isinstance(r, list) else r
    s = r["stats"]
    print(i, s["bundles_out"], s["bundles_in"], s["frames_in"],
          s["rtr_requests"])'
}

# read_counters NAME: counters into out[], in[], fin[] and rtr[], by node;
# logged under NAME.
declare -A out in fin rtr
read_counters()
{
	local c line i o b f q

	mapfile -t c < <(counters)
	log_info "$1: node bundles_out bundles_in frames_in rtr_requests: ${c[*]/%/;}"
	for line in "${c[@]}"
	do
		read -r i o b f q <<<"$line"
		out[$i]=$o in[$i]=$b fin[$i]=$f rtr[$i]=$q
	done
}

# round NAME: every node sends COUNT messages; all delivered everywhere.
round()
{
	local i logs

	for i in "${nodes[@]}"
	do
		node_start "$i" -n "$COUNT" -s "$SIZES" -v "$N" -Y -E
	done
	nodes_ready 30000 "${nodes[@]}"
	check_err $? "$1: no ring of $N"
	wait_views 5000 "$all" "${nodes[@]}"
	check_err $? "$1: the nodes disagree on the view"
	nodes_go "${nodes[@]}"
	nodes_wait "${nodes[@]}"
	check_err $? "$1: a node did not finish"
	logs=$(check_logs --from-start --all-complete "${nodes[@]}")
	check_err $? "$1: the logs differ"
	printf '%s\n' "$logs"
	for i in "${nodes[@]}"
	do
		check_eq "$(log_count "$i" "T ")" 0 "$1: transitional views at n$i"
	done
}

# few_retransmissions: n4, behind v4, asked again for less than a quarter
# of the frames it received. Had the bundles that v4 cannot carry been
# dropped, not cut up, it would have had to ask for every frame of each
# (a few times each: requests repeat every rotation until the frame
# comes), which is more than it received.
few_retransmissions()
{
	[[ $((rtr[4] * 4)) -lt ${fin[4]} ]]
	check_err $? "n4 asked for ${rtr[4]} retransmissions for ${fin[4]} frames received"
}

round "bundles on"
ring_stats "${nodes[@]}"
log_test "bundles on: every message delivered once, in one order"

read_counters "bundles on"
if [[ $RING_MEDIA == ib ]]; then
	for i in "${nodes[@]}"
	do
		check_eq "${out[$i]}/${in[$i]}" 0/0 "n$i bundles out/in on ib"
	done
	log_test "ib: no bundles"
else
	for i in 1 2 4
	do
		[[ ${out[$i]} -gt 0 ]]
		check_err $? "n$i sent no bundle"
	done
	check_eq "${out[3]}" 0 "bundles from n3, whose eth0 has tx-gso-list off"
	for i in 1 2 3
	do
		[[ ${in[$i]} -gt 0 ]]
		check_err $? "n$i received no bundle"
	done
	check_eq "${in[4]}" 0 "bundles through v4, which has tx-gso-list off"
	[[ ${fin[4]} -gt 0 ]]
	check_err $? "n4 received no frame"
	few_retransmissions
	log_test "bundles where the devices carry them, frames one by one where not"
fi

echo 0 >"$PARAM"
before=$(counters)
round "bundle=0"
log_test "bundle=0: every message delivered once, in one order"
after=$(counters)
out0=$(join <(echo "$before") <(echo "$after") |
	awk '$6 != $2 { print "n" $1 ": " $2 " -> " $6 }')
check_eq "$out0" "" "bundles sent with bundle=0"
log_test "bundle=0: no bundle sent"

# upper_round NAME DEV LINES: move the rings to DEV, made in each node by
# the "ip -batch" LINES (I stands for the node's number), run a round
# on it, and check that n1..n3 sent and received bundles, and that n4,
# behind v4, got its frames cut up and asked again for few of them.
upper_round()
{
	local name=$1 dev=$2 lines=$3 i

	ring_del "${nodes[@]}"
	check_err $? "$name: vsyncadm ring del failed"
	for i in "${nodes[@]}"
	do
		ip -n "n$i" -batch - <<<"${lines//I/$i}"
		check_err $? "n$i: cannot add $dev"
	done
	RING_DEV=$dev
	ring_add "${nodes[@]}"
	check_err $? "vsyncadm ring add dev $dev failed"
	round "$name"
	read_counters "$name"
	for i in 1 2 3
	do
		[[ ${out[$i]} -gt 0 && ${in[$i]} -gt 0 ]]
		check_err $? "n$i: bundles out/in ${out[$i]}/${in[$i]} over $dev"
	done
	check_eq "${in[4]}" 0 "bundles through v4 over $dev"
	few_retransmissions
}

# Over vxlan the bundles travel inside UDP, whole over the veths and
# the bridge and to the tunnel's socket, which takes them whole. Where a
# device cannot carry them, the tunnel's segmentation calls
# vsync_gso_segment() with the outer headers in front: at n3's eth0 for
# what n3 sends, at the bridge for what goes through v4.
echo 1 >"$PARAM"
if [[ $RING_MEDIA == ib ]]; then
	:
elif ! ip link add vxtest type vxlan id 1 dstport 4789 2>/dev/null; then
	log_test_skip "vxlan: bundles inside a tunnel" "this kernel has no vxlan"
else
	ip link del vxtest
	upper_round vxlan vxlan0 "addr add 10.98.0.I/24 dev eth0
link add vxlan0 type vxlan id 42 group 239.1.1.1 dev eth0 dstport 4789
link set vxlan0 up"
	log_test "vxlan: bundles inside the tunnel, cut up with its headers where needed; every message delivered once, in one order"
fi

# On a VLAN device the tag travels beside the bundle (vlan_tci, veth
# inserts it in "hardware"); every frame cut from a bundle at v4 must
# carry it too, or n4's eth0.10 never sees it.
if [[ $RING_MEDIA == ib ]]; then
	:
elif ! ip link add link br0 name vltest type vlan id 10 2>/dev/null; then
	log_test_skip "vlan: bundles with a VLAN tag" "this kernel has no 8021q"
else
	ip link del vltest
	upper_round vlan eth0.10 "link add link eth0 name eth0.10 type vlan id 10
link set eth0.10 up"
	log_test "vlan: bundles tagged, cut up with the tag where needed; every message delivered once, in one order"
fi

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
