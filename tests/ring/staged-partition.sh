#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A staged partition (regression test for the transitional view).
#
#   n1 n2 n3 n4 on br0; n3 is cut off first (it has a short token timeout,
#   so it forms a ring of its own at once); n1, n2, n4 have a long one and
#   are still in the old ring 1,2,3,4 when n4 is cut off too and goes
#   straight from that ring to one with n3.
#
# EVS: n3 comes from another ring, so n4's transitional view must be {4},
# not {3,4}; otherwise n4 silently misses what n3 sent on its own.
# Ethernet only: the bridge ports are moved one by one.
source "${BASH_SOURCE[0]%/*}/ringlib.sh"
ring_require
[[ ${VSYNC_TEST_MEDIA:-eth} == eth ]] || skip_all "bridge ports exist on Ethernet only"
nodes=(1 2 3 4)
ring_setup 4 || fail_all "cannot create the topology"
RING_TIMERS="token-timeout 3000 token-retransmit 20 join-timeout 20 consensus-timeout 3600" \
	ring_add 1 2 4
ring_add 3
for i in "${nodes[@]}"; do
	node_start "$i" -n inf -r 100 -s 64,500,1500,3000,16 -v 4 -Y -E
done
nodes_in_view 1,2,3,4 "${nodes[@]}"
log_test "ring of 4"
nodes_go "${nodes[@]}"
msleep 1000
t0=$(now_ms)
ip -batch - <<B
link add br1 up type bridge
link set v3 master br1
B
wait_views 15000 3 3; check_err $? "n3 alone"
log_info "n3 alone after $(($(now_ms) - t0)) ms"
ip link set v4 master br1
wait_views 15000 3,4 3 4; check_err $? "3,4"
wait_views 15000 1,2 1 2; check_err $? "1,2"
log_test "staged split: n3 alone, then n3+n4"
msleep 1000
t1=$(now_ms)
nodes_stop "${nodes[@]}"
nodes_wait -t 10000 "${nodes[@]}"
for i in "${nodes[@]}"; do log_info "n$i views: $(changes_between "$t0" "$t1" "$i")"; done
out=$(check_logs --from-start "${nodes[@]}"); rc=$?
printf '%s\n' "$out"
check_err $rc "check-logs"
log_test "logs consistent (EVS) after a staged partition"
tests_done
