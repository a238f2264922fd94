#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kill.sh: a node of a ring carrying traffic dies; the survivors install
# a new view in EVS order and keep working. Three ways to die:
#
#   netns     the node's link (veth pair, or ib0) and namespace are
#             deleted, then its process is SIGKILLed (its ring goes away
#             with its device, before its socket could say goodbye)
#   linkdown  its bridge port (ib: its ib0) goes down: the node lives on,
#             alone
#   ringdel   "vsyncadm ring del" in the node: it leaves on purpose (its
#             ring says goodbye; its socket fails with ENODEV)
#
#      n1      n2      n3      n4      n5        5 nodes, all sending
#     eth0    eth0    eth0    eth0    eth0       100 messages/s each
#      |       |       |       |       |
#      v1      v2      v3      v4      v5   <-- netns: v5, n5 deleted
#      +------ br0 ------------+-------+         linkdown: v5 down
#                                                ringdel: ring del in n5
#
# With VSYNC_TEST_MEDIA=ib the nodes have fake_ipoib devices ib0 on one
# fabric instead (see ringlib.sh): netns deletes n5's ib0, then n5;
# linkdown sets n5's ib0 down.
#
# Checks, per variant:
#  - the survivors install a regular view with members on 1,2,3,4;
#  - netns and linkdown: within token timeout + half the consensus
#    timeout. The ring runs with a consensus timeout of 2000 ms against a
#    token timeout of 200 and a join timeout of 20: the dead node, silent
#    in gather, is failed after three join timeouts, not at the consensus
#    timeout (kernel/memb.c, vsync_fail_silent());
#  - at each survivor the change is "T 1,2,3,4" then "R 1,2,3,4";
#  - the survivors go on sending in the new ring and deliver what they
#    send (check-logs: virtual synchrony, total order, no loss or
#    duplicate); with linkdown, n5 forms a ring of its own, "T 5", "R 5",
#    and its log is consistent with the others too.

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

N=${RING_NODES:-5}
RATE=${RING_RATE:-100}
TOKEN_MS=200
CONSENSUS_MS=2000
RING_TIMERS="token-timeout $TOKEN_MS token-retransmit 20 join-timeout 20 consensus-timeout $CONSENSUS_MS"

ring_require
kmsg_mark
kill_roles "$N"
# Odd nodes, the victim too, send for safe delivery.
RING_SAFE=(1 3 5)
base_work=$RING_WORK

# view_lines I: print the T and R lines of node I's log on one line.
view_lines()
{
	awk '/^[TR] / { sub(/ t=[0-9]+$/, ""); printf "%s  ", $0 }
	END { print "" }' "$RING_WORK/log.$1"
}

run_variant()
{
	local variant=$1 i t_kill t_stop ms max_ms=0 times='' out counts n live
	local wait_rc

	RING_WORK=$base_work/$variant
	mkdir -p "$RING_WORK"
	log_info "--- variant $variant"

	ring_setup "$N" || { check_err 1 "cannot create the topology"; return; }
	ring_traffic "${nodes[@]}"
	if [[ $RET -ne 0 ]]; then
		log_test "$variant: survivors install a new view"
		ring_teardown
		return
	fi
	nodes_go "${nodes[@]}"
	msleep 1000

	t_kill=$(now_ms)
	case $variant in
	netns)
		# The link first, so that nothing more leaves the node, not
		# even the LEAVE its socket sends when the process dies.
		node_unplug "$victim"
		kill -KILL "${NODE_PID[victim]}" 2>/dev/null
		wait "${NODE_PID[victim]}" 2>/dev/null
		unset "NODE_PID[victim]"
		;;
	linkdown)
		node_link_down "$victim"
		;;
	ringdel)
		ip netns exec "n$victim" "$VSYNCADM" ring del dev "$RING_DEV"
		check_err $? "vsyncadm ring del in n$victim failed"
		;;
	esac
	if wait_views 15000 "$surv_list" "${survivors[@]}"; then
		for i in "${survivors[@]}"
		do
			ms=$(($(node_view_time "$i") - t_kill))
			times+="${times:+, }n$i $ms ms"
			((ms > max_ms)) && max_ms=$ms
		done
		log_info "$variant: kill to regular view $surv_list: $times"
		if [[ $variant != ringdel ]] &&
		   ((max_ms >= (TOKEN_MS + CONSENSUS_MS / 2) * TIME_SCALE)); then
			check_err 1 "failover took $max_ms ms: was the dead node failed only at the consensus timeout ($((CONSENSUS_MS * TIME_SCALE)) ms)?"
		fi
	else
		check_err 1 "the survivors did not install $surv_list"
	fi
	if [[ $variant == linkdown ]]; then
		wait_views 15000 "$victim" "$victim"
		check_err $? "n$victim did not form a ring of its own"
	elif [[ $variant == ringdel ]]; then
		# Its socket is told: ENODEV, and vsync-node exits with 3.
		busywait 5000 node_gone "$victim"
		wait "${NODE_PID[victim]}"
		check_eq "$?" 3 "n$victim: exit status of vsync-node after ring del"
		unset "NODE_PID[victim]"
	fi
	log_test "$variant: survivors install the view $surv_list"

	# Traffic in the new ring, then everyone sends its last message.
	msleep 1000
	t_stop=$(now_ms)
	nodes_stop "${nodes[@]}"
	live=("${survivors[@]}")
	[[ $variant == linkdown ]] && live+=("$victim")
	nodes_wait -t 10000 "${live[@]}"
	wait_rc=$?

	for i in "${survivors[@]}"
	do
		check_eq "$(changes_between "$t_kill" "$t_stop" "$i")" \
			"T $surv_list;R $surv_list" "n$i: view changes after the kill"
	done
	if [[ $variant == linkdown ]]; then
		check_eq "$(changes_between "$t_kill" "$t_stop" "$victim")" \
			"T $victim;R $victim" "n$victim: view changes after the kill"
	fi
	if [[ $RET -ne 0 ]]; then
		for i in "${live[@]}"
		do
			log_info "n$i views: $(view_lines "$i")"
		done
	fi
	log_test "$variant: one view change at the survivors: T $surv_list, then R $surv_list"

	check_err "$wait_rc" "a node did not deliver the last message of every member of its view"
	out=$(check_logs --from-start "${live[@]}")
	check_err $? "the logs are not consistent"
	printf '%s\n' "$out"
	counts=
	for i in "${survivors[@]}"
	do
		n=$(data_after_view "$i" "$surv_list")
		[[ $n -gt 0 ]]
		check_err $? "n$i delivered nothing after the new view"
		counts+="${counts:+, }n$i $n"
	done
	log_info "$variant: messages delivered in the new ring: $counts"
	[[ $RET -ne 0 ]] && ring_stats "${survivors[@]}"
	if [[ $variant == linkdown ]]; then
		log_test "$variant: the survivors and the lone n$victim keep working, logs consistent"
	else
		log_test "$variant: the survivors keep working, logs consistent"
	fi

	nodes_kill
	ring_teardown
}

for v in ${RING_KILL_VARIANTS:-netns linkdown ringdel}
do
	run_variant "$v"
done

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
