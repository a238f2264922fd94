#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ring.sh [N]: N nodes (default 3) form one ring, every node sends
# messages of mixed sizes (0 bytes to 1 MiB), and every node delivers the
# same messages in the same order.
#
#      n1          n2    ...    nN        nodes: network namespaces, each
#     eth0        eth0         eth0       with "vsyncadm ring add dev eth0
#      |           |            |         id I" and one vsync-node process
#      v1          v2           vN
#      +---------- br0 ---------+         bridge in the initial namespace
#
# With VSYNC_TEST_MEDIA=ib: fake_ipoib devices ib0 on one fabric, no
# bridge (see ringlib.sh); frames of at most 2044 bytes.
#
# Checks:
#  - every node's "vsyncadm -j ring show" says operational, the same ring
#    id, members 1..N;
#  - every node sends RING_COUNT (200) messages, sizes cycling through
#    16 bytes..40 KB, message 50 empty, 77 of 5 bytes, and exits once it
#    delivered the last message of every node;
#  - check-logs: all logs identical, no loss, no duplicate, no corruption;
#  - node 1 sends a 1 MiB and a 4 MiB (VSYNC_MSG_MAX) message: every node
#    delivers both, intact.
#
# Environment: RING_COUNT messages per node, RING_SIZES the size cycle.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=${1:-${RING_NODES:-3}}
COUNT=${RING_COUNT:-200}
SIZES=${RING_SIZES:-64,1000,1500,3000,200,9000,16,40000}

[[ $N =~ ^[1-9][0-9]*$ && $N -le 32 ]] || {
	echo "usage: ${0##*/} [N], N from 1 to 32" >&2
	exit 2
}

ring_require
kmsg_mark

seq_array nodes 1 "$N"
all=$(seq_list 1 "$N")

ring_setup "$N" || fail_all "cannot create the topology"
t0=$(now_ms)
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
for i in "${nodes[@]}"
do
	node_start "$i" -n "$COUNT" -s "$SIZES" -x 50:0 -x 77:5 \
		-v "$N" -Y -E
done
nodes_ready 30000 "${nodes[@]}"
check_err $? "the nodes did not see a view of $N members"
if [[ $RET -eq 0 ]]; then
	log_info "ring of $N formed in $(($(now_ms) - t0)) ms (with process starts)"
	wait_views 5000 "$all" "${nodes[@]}"
	check_err $? "the nodes disagree on the view"
	ring_show_agree "$all" "${nodes[@]}"
	check_err $? "vsyncadm ring show disagrees"
fi
log_test "$N nodes form one ring with members $all"

if [[ $RET -ne 0 ]]; then
	ring_stats "${nodes[@]}"
	log_test_skip "$N nodes send $COUNT messages each" "no ring"
	log_test_skip "every node delivers the same sequence" "no ring"
	log_test_skip "1 MiB and 4 MiB messages" "no ring"
	tests_done
fi

t1=$(now_ms)
nodes_go "${nodes[@]}"
nodes_wait "${nodes[@]}"
check_err $? "a node did not finish"
t2=$(now_ms)
log_info "$((N * COUNT)) messages delivered to $N nodes in $((t2 - t1)) ms"
log_test "$N nodes send $COUNT messages each (0 B to 40 KB) and deliver all"

out=$(check_logs --from-start --all-complete "${nodes[@]}")
check_err $? "the logs differ"
printf '%s\n' "$out"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "every node delivers the same $((N * COUNT)) messages in the same order"

# Large messages, in a second round so that a failure does not hide the
# results above: node 1 sends 1 MiB then 4 MiB, every node waits for two.
RING_WORK=$RING_WORK/big
mkdir -p "$RING_WORK"
for i in "${nodes[@]}"
do
	if [[ $i -eq 1 ]]; then
		node_start "$i" -n 2 -s 1048576,4194304 -v "$N" -Y -w 2
	else
		node_start "$i" -v "$N" -w 2
	fi
done
nodes_ready 20000 "${nodes[@]}"
check_err $? "the nodes are not ready"
t1=$(now_ms)
nodes_go 1
nodes_wait "${nodes[@]}"
check_err $? "a node did not get both messages (is the message size limit below VSYNC_MSG_MAX?)"
log_info "1 MiB + 4 MiB delivered to $N nodes in $(($(now_ms) - t1)) ms"
out=$(check_logs --from-start --all-complete "${nodes[@]}")
check_err $? "the logs differ"
printf '%s\n' "$out"
log_test "a 1 MiB and a 4 MiB message reach every node intact"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
