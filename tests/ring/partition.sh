#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# partition.sh: a ring of 4 carrying traffic splits in two halves that go
# on as two rings, then the network heals and the halves merge.
#
#      n1      n2      n3      n4         4 nodes, all sending
#     eth0    eth0    eth0    eth0        100 messages/s each
#      |       |       |       |
#      v1      v2      v3      v4
#      +- br0 -+       +- br1 -+          partition: v3, v4 move to br1
#      +------------ br0 ------+          heal: back to br0
#
# With VSYNC_TEST_MEDIA=ib the nodes have fake_ipoib devices ib0 on one
# fabric (see ringlib.sh); the partition moves n3's and n4's ib0 to
# another IB partition (P_Key), the heal moves them back.
#
# Checks:
#  - after the split, n1 and n2 install the regular view 1,2 and n3, n4
#    the view 3,4, each through one transitional view of their half, and
#    "vsyncadm ring show" agrees;
#  - both rings deliver traffic from both of their members;
#  - after the heal, all four install one regular view 1,2,3,4 (its
#    transitional view being their own half) and "ring show" agrees;
#  - check-logs: virtual synchrony, total order, no loss or duplicate.
# The times from the split and the heal to the new views are printed.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

RATE=${RING_RATE:-100}

ring_require
kmsg_mark

nodes=(1 2 3 4)
# One node of each half sends for safe delivery.
RING_SAFE=(1 3)

ring_setup 4 || fail_all "cannot create the topology"
ring_traffic "${nodes[@]}"
log_test "4 nodes form one ring"
if [[ $RET -ne 0 ]]; then
	ring_stats "${nodes[@]}"
	tests_done
fi
nodes_go "${nodes[@]}"
msleep 1000

# ------------------------------------------------------------------
t_part=$(now_ms)
ring_split 3 4
check_err $? "cannot split n3 and n4 off"
wait_views 15000 1,2 1 2
check_err $? "n1 and n2 did not form the ring 1,2"
wait_views 15000 3,4 3 4
check_err $? "n3 and n4 did not form the ring 3,4"
[[ $RET -eq 0 ]] &&
	log_info "split to views 1,2 / 3,4: $(view_times "$t_part" 1 2 3 4)"
ring_show_agree 1,2 1 2
check_err $? "ring show at n1, n2"
ring_show_agree 3,4 3 4
check_err $? "ring show at n3, n4"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "partition: two rings form, 1,2 and 3,4"

msleep 1000

# ------------------------------------------------------------------
t_heal=$(now_ms)
ring_heal
check_err $? "cannot bring n3 and n4 back"
if wait_views 15000 1,2,3,4 "${nodes[@]}"; then
	log_info "heal to view 1,2,3,4: $(view_times "$t_heal" "${nodes[@]}")"
else
	check_err 1 "the halves did not merge"
fi
ring_show_agree 1,2,3,4 "${nodes[@]}"
check_err $? "ring show after the heal"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "heal: one ring 1,2,3,4 again"

msleep 1000
t_stop=$(now_ms)
nodes_stop "${nodes[@]}"
nodes_wait -t 10000 "${nodes[@]}"
wait_rc=$?

# ------------------------------------------------------------------
for i in "${nodes[@]}"
do
	if ((i <= 2)); then half=1,2; else half=3,4; fi
	got=$(changes_between "$t_part" "$t_stop" "$i")
	log_info "n$i view changes: $got"
	# The split: exactly one change to the half.
	check_match "$got" "^T $half;R $half;" "n$i: the split"
	# The merge: the last change, to everyone (a transitional view is
	# needed only if the group lost members: it did not).
	check_match "$got" ";(T $half;)?R 1,2,3,4\$" "n$i: the merge"
done
log_test "EVS order: T and R of the half at the split, R 1,2,3,4 at the merge"

for i in "${nodes[@]}"
do
	if ((i <= 2)); then half=1,2; else half=3,4; fi
	check_eq "$(senders_in_view "$i" "$half")" "$half" \
		"n$i: senders of what it delivered in the view $half"
done
log_test "both rings carry traffic during the partition"

check_err "$wait_rc" "a node did not deliver the last message of every member"
out=$(check_logs --from-start "${nodes[@]}")
check_err $? "the logs are not consistent"
printf '%s\n' "$out"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "logs consistent: virtual synchrony, total order, nothing lost or twice"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
