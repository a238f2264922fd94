#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# gone-join.sh: a node's last frames carry a message for safe delivery
# and then a group join; the node is gone before the token shows the
# message safe. The others deliver both in the transitional configuration
# that leaves the node out (extended virtual synchrony), and the join must
# not make a member of a node that is not in it.
#
#      n1      n2      n3           n3's egress (tc, clsact): message
#     eth0    eth0    eth0          frames pass, and tokens as long as
#      |       |       |            the ring is idle (fcc 0); anything
#      v1      v2      v3           else is dropped: n3 sends its frames,
#      +------ br0 ----+            and the token after them never comes
#
# 1. A ring of three, a member of group "a" on each node (n3's asks for
#    safe delivery and waits).
# 2. n3's egress filter goes in, and an ingress filter that keeps the
#    token from n3 for about half a second (the token timeout is 2000 ms
#    here). Meanwhile n3 queues one safe message and joins group "gone"
#    with a second socket: both leave in its next token visit, and then
#    n3 falls silent. n1 and n2 form a ring of two.
#    Checks: n1 and n2 deliver n3's message after a transitional view of
#    1,2 (the scenario happened), and neither lists group "gone": its one
#    member is on n3. (The join used to be delivered as any other old
#    frame: "gone" kept a member on n3 for as long as the ring lasted.)
# 3. The kernel log is clean.
#
# Ethernet only: the filter reads vsync frames behind an Ethernet header;
# the group logic is the same on InfiniBand.

# Room to hold the token away from n3 for a while (see 2).
RING_TIMERS="token-timeout 2000 token-retransmit 20 join-timeout 20 consensus-timeout 200"
source "${BASH_SOURCE[0]%/*}/ringlib.sh"

ring_require
kmsg_mark

nodes=(1 2 3)

# groups_at I: the groups at node I with their members' nodes,
# "a:1,2 gone:3", sorted.
groups_at()
{
	local out

	out=$(ip netns exec "n$1" "$VSYNCADM" -j group show) || return 1
	python3 -c '
import json, sys
gs = json.loads(sys.argv[1])
print(" ".join(sorted("%s:%s" % (g["name"], ",".join(
    str(n) for n in sorted({m["node_id"] for m in g["members"]})))
    for g in gs)))' "$out"
}

ring_setup 3 || fail_all "cannot create the topology"
require_u32

# ------------------------------------------------------------------
# 1. A ring of three and group "a"

ring_add "${nodes[@]}"
check_err $? "vsyncadm ring add failed"
node_start 1 -g a -n 0
node_start 2 -g a -n 0
node_start 3 -g a -n 1 -S -J gone -Y
nodes_in_view 1,2,3 "${nodes[@]}"
log_test "a ring of three, a member of group a on each node"
[[ $RET -ne 0 ]] && tests_done

# ------------------------------------------------------------------
# 2. n3's last frames: a safe message, then a join

# Let the ring fall idle, so that its tokens carry fcc 0.
msleep 500
# Offsets from the vsync header: type at 1, a token's fcc at 60.
tc -n n3 -batch - <<-EOF
	qdisc add dev eth0 clsact
	filter add dev eth0 egress prio 1 protocol 0x88b5 u32 match u8 1 0xff at 1 action ok
	filter add dev eth0 egress prio 2 protocol 0x88b5 u32 match u8 2 0xff at 1 match u32 0 0xffffffff at 60 action ok
	filter add dev eth0 egress prio 3 protocol 0x88b5 matchall action drop
	filter add dev eth0 ingress prio 1 protocol 0x88b5 u32 match u8 2 0xff at 1 action drop
EOF
check_err $? "cannot filter n3's traffic"
# The node wakes up, sends and joins while the token is kept away (under
# emulation that can take tens of milliseconds); a tc process that is
# already running takes the last line as it comes.
{
	nodes_go 3
	msleep $((300 * TIME_SCALE))
	echo "filter del dev eth0 ingress prio 1"
} | tc -n n3 -batch -
check_err $? "cannot hold the token away from n3"
wait_views 20000 1,2 1 2
check_err $? "n1 and n2 did not form a group view of 1,2"

for i in 1 2
do
	# shellcheck disable=SC2016  # eval'ed at each try
	busywait 5000 eval '[[ $(groups_at '"$i"') == "a:1,2" ]]'
	check_eq "$(groups_at "$i")" "a:1,2" "n$i: groups"
done
# The logs are whole once their writers exit.
nodes_kill
log_info "n3's message frames that passed its filter: $(tc -n n3 -s filter show dev eth0 egress | awk '/Sent/ { print $4; exit }')"
log_info "n1's log from n3's last view on: $(awk '/^[TR] / { sub(/ t=.*/, "") } /^R / && /3\/3/ { s = "" } { s = s "; " $0 } END { print substr(s, 3) }' "$RING_WORK/log.1")"
for i in 1 2
do
	got=$(awk '$1 == "T" || $1 == "R" { k = $1 }
		   $1 == "D" && $2 == 3 { print k; exit }' "$RING_WORK/log.$i")
	check_eq "$got" "T" \
		"n$i: the kind of view n3's message came in (T: transitional)"
done
[[ $RET -ne 0 ]] && ring_stats 1 2
log_test "n3's join after its last safe message makes no member at n1, n2"

splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
