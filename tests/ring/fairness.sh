#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fairness.sh: flow control shares the window among the nodes that wait.
#
#      n1      n2      n3      n4       4 nodes, window 32, max-messages 16,
#     eth0    eth0    eth0    eth0      all sending 1000-byte messages as
#      +------ br0 ----+-------+        fast as flow control lets them
#
# Each node may send at most max-messages frames per visit and what the
# window leaves, and, while others wait too, its share of the window in
# proportion to its backlog (the token's backlog field). Without the share
# the first two nodes after the representative would fill the window of 32
# every rotation and the other two would send nothing until they are done.
#
# Checks:
#  - every node sends COUNT (400) messages and all deliver the same
#    messages in the same order (check-logs);
#  - in the first half of n1's deliveries, while all four send, each
#    sender has at least a quarter of its fair share (1/16 of them).
#
# With VSYNC_TEST_MEDIA=ib: fake_ipoib devices (see ringlib.sh).

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=4
COUNT=${RING_COUNT:-400}

ring_require
kmsg_mark

seq_array nodes 1 "$N"
all=$(seq_list 1 "$N")

ring_setup "$N" || fail_all "cannot create the topology"
ring_add -o "window 32 max-messages 16" "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
for i in "${nodes[@]}"
do
	node_start "$i" -n "$COUNT" -s 1000 -v "$N" -Y -E
done
nodes_ready 30000 "${nodes[@]}"
check_err $? "the nodes did not see a view of $N members"
if [[ $RET -eq 0 ]]; then
	wait_views 5000 "$all" "${nodes[@]}"
	check_err $? "the nodes disagree on the view"
fi
log_test "$N nodes form one ring with window 32"

if [[ $RET -ne 0 ]]; then
	ring_stats "${nodes[@]}"
	log_test_skip "every node delivers every message" "no ring"
	log_test_skip "every sender gets its share of the window" "no ring"
	tests_done
fi

t1=$(now_ms)
nodes_go "${nodes[@]}"
nodes_wait "${nodes[@]}"
check_err $? "a node did not finish"
log_info "$((N * COUNT)) messages delivered to $N nodes in $(($(now_ms) - t1)) ms"
out=$(check_logs --from-start --all-complete "${nodes[@]}")
check_err $? "the logs differ"
printf '%s\n' "$out"
log_test "every node sends $COUNT messages and all deliver the same sequence"

# Per sender, its messages among the first half of n1's deliveries.
half=$((N * COUNT / 2))
shares=$(awk -v half="$half" '
	$1 == "D" && seen < half { n[$2]++; seen++ }
	END { for (s = 1; s <= 4; s++) printf "%d ", n[s] + 0 }' \
	"$RING_WORK/log.1")
log_info "senders 1..$N in the first $half deliveries at n1: $shares"
min=$((half / (4 * N)))
for c in $shares
do
	if ((c < min)); then
		check_err 1 "a sender got $c of $half (at least $min expected): $shares"
		ring_stats "${nodes[@]}"
		break
	fi
done
log_test "every sender gets its share of the window while all send"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
