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
# A second round has 16 nodes send 64-byte messages into a window of 32:
# there the nodes before the last ones can fill the window every rotation
# (before the fix, five of 16 sent nothing in the first half), and a node
# that sent nothing at its last visit must still get a frame out.
#
# Checks, per round:
#  - every node sends COUNT (400) messages and all deliver the same
#    messages in the same order (check-logs);
#  - in the first half of n1's deliveries, while all send, each sender
#    has at least a quarter of its fair share (1/(4 N) of them).
#
# With VSYNC_TEST_MEDIA=ib: fake_ipoib devices (see ringlib.sh).

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

COUNT=${RING_COUNT:-400}

ring_require
kmsg_mark

# round N WINDOW MAX SIZE: N nodes, window WINDOW, max-messages MAX,
# messages of SIZE bytes.
round()
{
	local n=$1 window=$2 max=$3 size=$4 name="$1 nodes, window $2, $4 B"
	local nodes all i half shares min c out t1

	seq_array nodes 1 "$n"
	all=$(seq_list 1 "$n")
	RING_WORK=$base_work/$n-$window-$max-$size
	mkdir -p "$RING_WORK"

	ring_setup "$n" || { check_err 1 "cannot create the topology"; return; }
	ring_add -o "window $window max-messages $max" "${nodes[@]}"
	check_err $? "vsyncadm ring add failed"
	for i in "${nodes[@]}"
	do
		node_start "$i" -n "$COUNT" -s "$size" -v "$n" -Y -E
	done
	nodes_ready 30000 "${nodes[@]}"
	check_err $? "the nodes did not see a view of $n members"
	if [[ $RET -eq 0 ]]; then
		wait_views 5000 "$all" "${nodes[@]}"
		check_err $? "the nodes disagree on the view"
	fi
	log_test "$name: one ring"
	if [[ $RET -ne 0 ]]; then
		ring_stats "${nodes[@]}"
		log_test_skip "$name: every node delivers every message" "no ring"
		log_test_skip "$name: every sender gets its share" "no ring"
		nodes_kill
		ring_teardown
		return
	fi

	t1=$(now_ms)
	nodes_go "${nodes[@]}"
	nodes_wait "${nodes[@]}"
	check_err $? "a node did not finish"
	log_info "$name: $((n * COUNT)) messages delivered in $(($(now_ms) - t1)) ms"
	out=$(check_logs --from-start --all-complete "${nodes[@]}")
	check_err $? "the logs differ"
	printf '%s\n' "$out"
	log_test "$name: every node sends $COUNT messages, all deliver the same sequence"

	# Per sender, its messages among the first half of n1's deliveries.
	half=$((n * COUNT / 2))
	shares=$(awk -v half="$half" -v n="$n" '
		$1 == "D" && seen < half { c[$2]++; seen++ }
		END { for (s = 1; s <= n; s++) printf "%d ", c[s] + 0 }' \
		"$RING_WORK/log.1")
	log_info "$name: senders 1..$n in the first $half deliveries at n1: $shares"
	min=$((half / (4 * n)))
	for c in $shares
	do
		if ((c < min)); then
			check_err 1 "a sender got $c of $half (at least $min expected): $shares"
			ring_stats "${nodes[@]}"
			break
		fi
	done
	log_test "$name: every sender gets its share of the window while all send"
	nodes_kill
	ring_teardown
}

base_work=$RING_WORK
# FAIRNESS_ROUNDS: "N:WINDOW:MAX:SIZE ..." instead of the two rounds.
for r in ${FAIRNESS_ROUNDS:-4:32:16:1000 16:32:16:64}
do
	IFS=: read -r -a args <<<"$r"
	round "${args[@]}"
done

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
