#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# netem.sh: a ring over a bad network still delivers everything, once,
# in the same order everywhere.
#
#      n1      n2      n3      n4         4 nodes, each sends RING_COUNT
#     eth0    eth0    eth0    eth0        (300) messages of 16 B..20 KB
#      |       |       |       |
#      v1      v2      v3      v4         netem on every bridge port:
#      +------ br0 ----+-------+          loss 10% duplicate 5%
#                                         reorder 25% delay 1ms
#
# Every frame towards a node passes one netem qdisc (the root qdisc of
# its bridge port), so each node sees its own share of loss, duplicates
# and reordering. With VSYNC_TEST_MEDIA=ib (fake_ipoib devices ib0, see
# ringlib.sh) that qdisc is on an ifb device in the node that takes what
# its ib0 receives.
#
# Checks:
#  - the ring forms (before netem is added);
#  - every node sends its messages and delivers the last message of
#    every node;
#  - check-logs --all-complete: every node delivers every message of
#    every node exactly once, intact, in one order;
#  - the ring saw the impairment (retransmissions were needed), and no
#    node left the ring (a single regular view).
# The ring's counters (retransmits, drops by reason, token losses) are
# printed.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=${RING_NODES:-4}
COUNT=${RING_COUNT:-300}
NETEM=${RING_NETEM:-"loss 10% duplicate 5% reorder 25% delay 1ms"}

ring_require
require_cmd tc
kmsg_mark

seq_array nodes 1 "$N"
all=$(seq_list 1 "$N")

ring_setup "$N" || fail_all "cannot create the topology"
ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
for i in "${nodes[@]}"
do
	node_start "$i" -n "$COUNT" -s 16,200,1400,3000,64,9000,20000,100 \
		-v "$N" -Y -E
done
nodes_in_view "$all" "${nodes[@]}"
log_test "$N nodes form one ring"
if [[ $RET -ne 0 ]]; then
	ring_stats "${nodes[@]}"
	tests_done
fi

if ! ring_netem "$NETEM" "${nodes[@]}"; then
	log_test_skip "traffic over netem" "cannot add the netem qdisc"
	tests_done
fi
log_info "netem towards n1..n$N ($RING_MEDIA): $NETEM"

t0=$(now_ms)
nodes_go "${nodes[@]}"
nodes_wait "${nodes[@]}"
check_err $? "a node did not finish"
log_info "$((N * COUNT)) messages to $N nodes in $(($(now_ms) - t0)) ms"
log_test "every node sends $COUNT messages and delivers the last one of every node"

stats=$(ring_stats "${nodes[@]}")
printf '%s\n' "$stats"

out=$(check_logs --from-start --all-complete "${nodes[@]}")
check_err $? "the logs differ"
printf '%s\n' "$out"
log_test "every message delivered once, intact, in the same order at every node"

# The impairment must have shown, or this test tested nothing.
[[ $stats =~ (^|[^_])retransmits=[1-9] ]]
check_err $? "no frame was retransmitted: did netem work?"
for i in "${nodes[@]}"
do
	check_eq "$(log_count "$i" "T ")" 0 "transitional views at n$i"
done
log_test "retransmissions repaired the losses without a membership change"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
