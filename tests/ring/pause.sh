#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# pause.sh: the machine stops for a while and runs on; the ring stays.
#
#      n1      n2      n3      n4     a ring of three in one guest, which
#     eth0    eth0    eth0    eth0    scripts/vm stops PAUSES times for
#      |       |       |       |      PAUSE_TOKENS token timeouts each
#      v1      v2      v3      v4     (vm_pause: QEMU stopped on the host
#      +------ br0 ----+-------+      while the guest's clock goes on);
#                                     then n4 joins twice, with n4's or
#                                     n3's frames delayed (netem)
#
# When a hypervisor pauses a machine, or a host does not run it, every
# timer of the guest fires at once when it runs again, in the order they
# were due: the representative's end of hold, or a predecessor's token
# retransmission, and the token timeouts right after them, before the
# token those send has arrived. The nodes used to take that for a lost
# token and re-form the ring (wire.sh's token-behind step saw it on a busy
# host). Time a node was not run is not the token's: the token timer ticks
# every quarter of the timeout, and a late tick moves the deadline on.
# In gather the consensus timeout did the same: it fired before the joins
# that agreed and failed their senders. It ticks the same way, and a join
# tick late by a pause does not count towards failing silent members.
#
# Checks, with the ring idle and then with traffic (100 messages/s from
# each member, 64 and 1000 bytes):
#  - after each pause the ring id is the same and no node counted a token
#    loss;
#  - in the idle ring some node counted a pause (its counter pauses: a
#    node whose token tick fired late; frames that waited through the
#    pause may come first and re-arm the ticks, the token's own when it
#    was on its way, so not every pause need be counted), and said so in
#    the kernel log ("was not run for").
#  - the traffic across the pauses is delivered complete and in one order;
#  - n4 joins the ring with its frames delayed by JOIN_DELAY_MS, so that
#    the others gather for that long, and the guest is paused once they
#    do, for longer than the consensus timeout: n1 installs one new ring,
#    of all four (it used to fail n4, install a ring of three, and take
#    n4 in with a merge later);
#  - n3's frames SILENT_DELAY_MS late, n4 joins, and the guest is paused
#    after n1's second join tick, before n3's join has come: n1 installs
#    one ring, of all four (its third tick, firing at the end of the
#    pause, failed n3 as a member not heard in this gather, before n3's
#    join that had waited through the pause was received).
# The last two are skipped when the time scale makes their pauses longer
# than scripts/vm's 10 s.
# Needs scripts/vm (skipped elsewhere).

source "${BASH_SOURCE[0]%/*}/ringlib.sh"

PAUSES=${PAUSES:-3}
PAUSE_TOKENS=${PAUSE_TOKENS:-3}
JOIN_DELAY_MS=${JOIN_DELAY_MS:-2000}
SILENT_DELAY_MS=${SILENT_DELAY_MS:-5000}

[[ -n ${VSYNC_VM_PAUSE-} ]] ||
	skip_all "needs scripts/vm, which pauses the guest (VSYNC_VM_PAUSE)"
ring_require
kmsg_mark

members=(1 2 3)
token_ms=$(scale_timers "$RING_TIMERS")
token_ms=${token_ms#*token-timeout }
token_ms=${token_ms%% *}
[[ $token_ms =~ ^[0-9]+$ ]] ||
	fail_all "no token-timeout in RING_TIMERS ($RING_TIMERS)"
pause_ms=$((PAUSE_TOKENS * token_ms))
((pause_ms <= 10000)) ||
	skip_all "a pause of $pause_ms ms is longer than scripts/vm's 10 s"

ring_setup 4 || fail_all "cannot create the topology"
ring_add "${members[@]}"
check_err $? "vsyncadm ring add failed"
busywait 10000 ring_show_check 1,2,3 "${members[@]}" >/dev/null
check_err $? "no ring of n1..n3: $(ring_show_check 1,2,3 "${members[@]}")"
log_test "a ring of n1..n3"
[[ $RET -ne 0 ]] && tests_done

# node_state I: node I's "REP:SEQ token_losses pauses", in one query.
node_state()
{
	ring_query "$1" '"%s:%s %d %d" % (r["rep"], r["seq"],
		r["stats"]["token_losses"], r["stats"].get("pauses", 0))'
}

# pause_rounds WHAT [counted]: PAUSES pauses of pause_ms, each after a
# second of running; after each every node must be in the same ring as
# before, with no token lost; with "counted", some node must have counted
# some pause.
pause_rounds()
{
	local what=$1 counted=${2-} round i id losses paused more=0 err
	local -a before after

	for i in "${members[@]}"
	do
		after[i]=$(node_state "$i")
	done
	for round in $(seq "$PAUSES")
	do
		# Each pause is judged from the state after the last one.
		for i in "${members[@]}"
		do
			before[i]=${after[i]}
		done
		msleep 1000
		if ! err=$(vm_pause "$pause_ms" 2>&1); then
			check_err 1 "$what: the guest was not paused: $err"
			return
		fi
		# A ring that lost its token re-forms within a consensus
		# timeout or so: give it time to show.
		msleep $((2 * token_ms))
		for i in "${members[@]}"
		do
			after[i]=$(node_state "$i")
		done
		log_info "$what, pause $round of $pause_ms ms: ring, token_losses, pauses before / after: $(for i in "${members[@]}"; do printf 'n%d %s / %s; ' "$i" "${before[i]}" "${after[i]}"; done)"
		for i in "${members[@]}"
		do
			read -r id losses paused <<<"${before[i]}"
			[[ ${after[i]} == "$id $losses "* ]]
			check_err $? "$what, pause $round: n$i's ring changed or lost its token (${before[i]} -> ${after[i]})"
			((${after[i]##* } > paused)) && more=1
		done
		if [[ $RET -ne 0 ]]; then
			ring_stats "${members[@]}"
			return
		fi
	done
	if [[ -n $counted ]]; then
		((more))
		check_err $? "$what: no node counted any of the $PAUSES pauses"
	fi
}

pause_rounds idle counted
grep -q "was not run for" <<<"$(kmsg_since)"
check_err $? "no node said in the kernel log that it was not run"
log_test "an idle ring stays through $PAUSES pauses of $PAUSE_TOKENS token timeouts"

for i in "${members[@]}"
do
	node_start "$i" -n inf -r 100 -s 64,1000 -E -v 3 -Y
done
nodes_in_view 1,2,3 "${members[@]}"
nodes_go "${members[@]}"
pause_rounds traffic
nodes_stop "${members[@]}"
nodes_wait -t 30000 "${members[@]}"
check_err $? "a node did not finish"
out=$(check_logs --from-start --all-complete "${members[@]}")
check_err $? "the logs differ"
[[ $RET -ne 0 ]] && printf '%s\n' "$out" | head -40
log_test "a ring with traffic stays through $PAUSES pauses, every message delivered once, in one order"

# shellcheck disable=SC2317 # called through busywait
n1_gathers()
{
	local re='"state": ?"gather"'

	# One process, not ring_query's two: the window is short.
	[[ $(ip netns exec n1 "$VSYNCADM" -j ring show dev "$RING_DEV") =~ $re ]]
}

# fresh_ring TIMERS MERGE_MS: n1..n3 in a new ring with TIMERS (scaled),
# n4 with none, no netem anywhere; sets views, n1's count of rings
# installed. A ring add split in two joins at the next merge, after
# MERGE_MS (twice the consensus timeout).
ringed=("${members[@]}")
fresh_ring()
{
	local i

	ring_del "${ringed[@]}"
	check_err $? "vsyncadm ring del failed"
	for i in 1 2 3 4
	do
		tc -n "n$i" qdisc del dev "$RING_DEV" root 2>/dev/null
	done
	ringed=("${members[@]}")
	RING_TIMERS=$1 ring_add "${members[@]}"
	check_err $? "vsyncadm ring add failed"
	busywait $(($2 + 5000)) ring_show_check 1,2,3 "${members[@]}" >/dev/null
	check_err $? "no ring of n1..n3: $(ring_show_check 1,2,3 "${members[@]}")"
	views=$(ring_query 1 "r['stats']['view_changes']")
}

# ring_of_four WAIT_MS: wait for the ring of n1..n4; n1 must have
# installed exactly one ring since fresh_ring.
ring_of_four()
{
	local now

	busywait "$1" ring_show_check 1,2,3,4 1 2 3 4 >/dev/null
	check_err $? "no ring of n1..n4: $(ring_show_check 1,2,3,4 1 2 3 4)"
	now=$(ring_query 1 "r['stats']['view_changes']")
	check_eq "$((now - views))" 1 "rings n1 installed from n4's ring add to the ring of four"
	[[ $RET -ne 0 ]] && ring_stats 1 2 3 4
}

# one_cpu / all_cpus: take every CPU but the first offline, and back.
# With one CPU the work at the end of a pause comes in a fixed order: the
# timers that fell due (netem's among them: it only raises the transmit
# softirq), then the frames. With two, netem's frames may be received on
# the other CPU while the first runs the ring's timers, and the rounds
# below would catch the old faults only in some runs.
offline=()
one_cpu()
{
	local c

	for c in /sys/devices/system/cpu/cpu[1-9]*/online
	do
		[[ -e $c && $(<"$c") == 1 ]] || continue
		echo 0 >"$c" || break
		offline+=("$c")
	done
	[[ $(</sys/devices/system/cpu/online) == 0 ]]
	check_err $? "cannot take the CPUs but the first offline (online: $(</sys/devices/system/cpu/online))"
}

all_cpus()
{
	local c

	for c in "${offline[@]}"
	do
		echo 1 >"$c" || log_info "cannot bring ${c%/online} back online"
	done
	offline=()
}
defer all_cpus

# round_start TIMERS MERGE_MS I DELAY_MS: one CPU, a fresh ring of n1..n3
# (fresh_ring TIMERS MERGE_MS), nI's frames DELAY_MS late, then n4's ring
# added with TIMERS; sets added, when.
round_start()
{
	one_cpu
	fresh_ring "$1" "$2"
	tc -n "n$3" qdisc add dev "$RING_DEV" root netem delay "${4}ms"
	check_err $? "cannot delay n$3's frames"
	added=$(now_ms)
	[[ $RET -eq 0 ]] || return
	RING_TIMERS=$1 ring_add 4
	check_err $? "vsyncadm ring add failed at n4"
	ringed=(1 2 3 4)
}

# round_pause WHAT BY_MS PAUSE_MS: pause the guest for PAUSE_MS, if it is
# not too late: BY_MS after n4's ring add WHAT may have come first, and
# nothing would be tested (the host stops the guest within about 100 ms
# of the request).
round_pause()
{
	local asked err

	asked=$(now_ms)
	((asked - added + 200 < $2))
	check_err $? "too slow: the pause was asked for $((asked - added)) ms after n4's ring add, $1 may have come by then"
	if [[ $RET -eq 0 ]] && ! err=$(vm_pause "$3" 2>&1); then
		check_err 1 "the guest was not paused: $err"
	fi
	log_info "the pause was asked for $((asked - added)) ms after n4's ring add"
}

# The gather: timers for a hop of JOIN_DELAY_MS (n4 to n1) in the ring,
# the pause longer than the consensus timeout, all scaled.
delay_ms=$((JOIN_DELAY_MS * TIME_SCALE))
gather_timers="token-timeout $((2 * JOIN_DELAY_MS)) token-retransmit $JOIN_DELAY_MS join-timeout 50 consensus-timeout $((8 * JOIN_DELAY_MS / 3))"
gather_pause=$((10 * delay_ms / 3))
name="a node joins while the guest is paused in gather: one new ring, of all four"
if ((gather_pause > 10000)); then
	log_test_skip "$name" "a pause of $gather_pause ms is longer than scripts/vm's 10 s"
else
	round_start "$gather_timers" $((16 * JOIN_DELAY_MS / 3)) 4 "$delay_ms"
	# n4's first join reaches the others delay_ms after it was sent, and
	# the joins that agree with theirs as late again: pause in between.
	busywait $((3 * JOIN_DELAY_MS)) n1_gathers
	check_err $? "n1 did not gather within $((3 * delay_ms)) ms of n4's ring add"
	round_pause "n4's agreeing join" $((2 * delay_ms)) "$gather_pause"
	ring_of_four $((12 * JOIN_DELAY_MS))
	log_test "$name"
fi

# The silent members: n3's frames SILENT_DELAY_MS late, the join timeout
# two fifths of that, so that n3's first join in the gather that n4
# starts reaches n1 between n1's second join tick and its third, which
# fails the members of the old ring not heard yet; the guest paused
# between the second tick and n3's join. The token timeout covers a
# rotation with n3's hop, the consensus timeout the whole of it.
silent_ms=$((SILENT_DELAY_MS * TIME_SCALE))
join_ms=$((2 * SILENT_DELAY_MS / 5))
silent_timers="token-timeout $((8 * SILENT_DELAY_MS / 5)) token-retransmit $join_ms join-timeout $join_ms consensus-timeout $((3 * SILENT_DELAY_MS))"
name="a member's join waits through a pause before the third join tick: it is not failed"
if ((silent_ms > 10000)); then
	log_test_skip "$name" "a pause of $silent_ms ms is longer than scripts/vm's 10 s"
else
	round_start "$silent_timers" $((6 * SILENT_DELAY_MS)) 3 "$silent_ms"
	# n4's joins reach n1..n3 at once: their join ticks start then. The
	# pause: after the second tick (0.8 x the delay), before n3's join.
	wait_ms=$((silent_ms * 23 / 25 - ($(now_ms) - added)))
	((wait_ms > 0)) && msleep "$wait_ms"
	round_pause "n3's join" "$silent_ms" "$silent_ms"
	ring_of_four $((8 * SILENT_DELAY_MS))
	log_test "$name"
fi
all_cpus

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
