#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# join.sh: while a ring of 3 carries traffic, a fourth node adds its ring
# and a member of the group; it joins, and traffic goes on.
#
#      n1      n2      n3      n4         n1..n3: ring and senders from
#     eth0    eth0    eth0    eth0        the start (100 messages/s each)
#      |       |       |       |          n4: "ring add" and its sender
#      v1      v2      v3      v4         start while the others send
#      +------------ br0 ------+
#
# (VSYNC_TEST_MEDIA=ib: fake_ipoib devices ib0, see ringlib.sh.)
#
# Checks:
#  - n4's ring merges: "vsyncadm ring show" gives members 1,2,3,4 at all;
#  - every member gets a regular view of the group with members on nodes
#    1,2,3,4; at n1..n3 that is the only view change, without a
#    transitional view (nobody was lost);
#  - traffic goes on: after that view every node delivers messages from
#    all four;
#  - check-logs: from the join view on, all four deliver the same
#    sequence; before it, n1..n3 agree; no loss, duplicate or corruption.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

RATE=${RING_RATE:-100}

ring_require
kmsg_mark

old=(1 2 3)
nodes=(1 2 3 4)
# One of the first three sends for safe delivery.
RING_SAFE=(2)

ring_setup 4 || fail_all "cannot create the topology"
ring_traffic "${old[@]}"
log_test "3 nodes form one ring"
if [[ $RET -ne 0 ]]; then
	ring_stats "${old[@]}"
	tests_done
fi
nodes_go "${old[@]}"
msleep 1000

# ------------------------------------------------------------------
t_join=$(now_ms)
ring_add 4
check_err $? "vsyncadm ring add in n4 failed"
node_start 4 -n inf -r "$RATE" -s 64,500,1500,3000,16 -E
wait_views 15000 1,2,3,4 "${nodes[@]}"
check_err $? "no common view with n4"
if [[ $RET -eq 0 ]]; then
	log_info "join to view 1,2,3,4: $(view_times "$t_join" "${nodes[@]}")"
	ring_show_agree 1,2,3,4 "${nodes[@]}"
	check_err $? "ring show after the join"
fi
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "n4 joins: ring and group with members on 1,2,3,4 everywhere"

msleep 1000
t_stop=$(now_ms)
nodes_stop "${nodes[@]}"
nodes_wait -t 10000 "${nodes[@]}"
wait_rc=$?

for i in "${old[@]}"
do
	check_eq "$(changes_between "$t_join" "$t_stop" "$i")" "R 1,2,3,4" \
		"n$i: views after the join"
done
got=$(changes_between "$t_join" "$t_stop" 4)
log_info "n4 views: $got"
check_match "$got" "^(R 4;)?R 1,2,3,4\$" "n4: its views"
log_test "the join is one regular view at n1..n3, without a transitional view"

for i in "${nodes[@]}"
do
	check_eq "$(senders_in_view "$i" 1,2,3,4)" 1,2,3,4 \
		"n$i: senders of what it delivered in the view 1,2,3,4"
done
log_test "traffic goes on: every node delivers messages of all four"

check_err "$wait_rc" "a node did not deliver the last message of every member"
out=$(check_logs "${nodes[@]}")
check_err $? "the logs are not consistent"
printf '%s\n' "$out"
[[ $RET -ne 0 ]] && ring_stats "${nodes[@]}"
log_test "logs consistent from the join view on: virtual synchrony, total order"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
