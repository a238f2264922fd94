#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# multi/ring.sh: the ring across kernels. Every node is a guest of its own
# with a NIC on one bridge, so frames really leave one kernel
# and enter another: through a NIC driver (no veth shortcut, no shared
# skb data), software GSO for the bundles, padding of short frames, and
# clocks that are not one. Run it in every guest at once, as make check
# does:
#
#	scripts/vm-multi -n 3 --nic-models virtio-net-pci,e1000 -- \
#		tests/multi/ring.sh
#
# (guest 2 then has an e1000, whose driver pads frames shorter than 60
# bytes, such as the 38 bytes of a WAKE, as real Ethernet cards do)
#
#      guest 1        guest 2        guest 3      one kernel each,
#       eth0           eth0           eth0        "vsyncadm ring add
#        |              |              |           dev eth0 id I"
#       tap1           tap2           tap3        host side, in
#        +------------ br0 ------------+          vm-multi's netns
#
# Guest 1 judges and speaks TAP; the others do their part and leave their
# results in the shared directory ($VSYNC_VM_SHARE): NAME.I files, written
# whole (rename), which the judge waits for.
#
# Checks:
#  - the N kernels form one ring: every node operational, one ring id,
#    members 1..N, seen by a socket as a view of N;
#  - every node sends MULTI_COUNT (100) messages of sizes cycling through
#    16 bytes..40 KB, and delivers everybody's, in the same order
#    (check-logs --from-start --all-complete);
#  - no frame dropped as short, malformed or of an unknown version or
#    type, and no memory shortage, on any node;
#  - guest N is paused (its QEMU stopped) for three token timeouts while
#    everybody sends: the others get a view without it, and once it runs
#    again all get a new view of N within four token timeouts; all agree
#    on everything (check-logs);
#  - guest N's power is cut while everybody sends (scripts/vm-multi kills
#    its QEMU): the survivors get a view without it within the bound of
#    the timers, go on, and agree on everything (check-logs);
#  - no kernel splat: on the survivors at the end, on guest N before its
#    power is cut.

source "${BASH_SOURCE[0]%/*}/../ring/ringlib.sh"

ME=${VSYNC_VM_NODE-}
N=${VSYNC_VM_NODES-}
S=${VSYNC_VM_SHARE-}
[[ $ME =~ ^[1-9]$ && $N =~ ^[2-9]$ && -d $S ]] ||
	skip_all "not in a scripts/vm-multi guest (run: scripts/vm-multi -n 3 -- ${0#"$VSYNC_ROOT"/})"

COUNT=${MULTI_COUNT:-100}
SIZES=${MULTI_SIZES:-64,1000,1500,3000,200,9000,16,40000}
# One guest per node, all on the host's two CPUs: generous timers.
TIMERS=$(scale_timers "token-timeout 1000 token-retransmit 50 join-timeout 50 consensus-timeout 1200")
TOKEN_MS=$((1000 * TIME_SCALE))
WAIT_MS=120000	# busywait scales it
RING_DEV=eth0
RING_MEDIA=eth

# share_put NAME TEXT: publish NAME.$ME with TEXT, whole.
share_put()
{
	printf '%s\n' "$2" >"$S/.$1.$ME.tmp" && mv -f "$S/.$1.$ME.tmp" "$S/$1.$ME"
}

# share_wait MS NAME I...: wait until NAME.I exists for every I; fails at
# once when guest I has ended without it (scripts/vm-multi's exit.I).
share_wait()
{
	local ms=$1 name=$2 i

	shift 2
	for i in "$@"
	do
		busywait "$ms" share_has "$name" "$i" || return 1
		[[ -e $S/$name.$i ]] || return 1
	done
}

# share_has NAME I: NAME.I is there, or guest I has ended.
# shellcheck disable=SC2317  # called by busywait
share_has()
{
	[[ -e $S/$1.$2 || -e $S/exit.$2 ]]
}

# share_check NAME I...: every NAME.I says "ok"; prints the others.
share_check()
{
	local name=$1 i text rc=0

	shift
	for i in "$@"
	do
		text=$(cat "$S/$name.$i" 2>/dev/null) || text="no answer"
		[[ $text == ok* ]] && continue
		log_info "node $i: $text"
		rc=1
	done
	return "$rc"
}

# node_run TAG ARGS...: vsync-node on eth0, logging to $RING_WORK/TAG.*.
node_run()
{
	local tag=$1

	shift
	"$VSYNC_NODE" -d eth0 -t "$NODE_TIMEOUT" -o "$RING_WORK/log.$tag" \
		-R "$RING_WORK/ready.$tag" -V "$RING_WORK/view.$tag" "$@" \
		2>>"$RING_WORK/err.$tag" &
	NODE_PID[0]=$!
}

# view_of TAG: the node's view (of node_run TAG), "ID MEMBERS".
view_of()
{
	local v

	v=$(cat "$RING_WORK/view.$1" 2>/dev/null) || return 1
	printf '%s\n' "${v%% t=*}"
}

# view_is TAG MEMBERS: the node's view has MEMBERS.
# shellcheck disable=SC2317  # called by busywait
view_is()
{
	local v

	v=$(view_of "$1") || return 1
	[[ ${v#* } == "$2" ]]
}

# view_after TAG ID MEMBERS: the node's view is not ID and has MEMBERS.
# shellcheck disable=SC2317  # called by busywait
view_after()
{
	local v

	v=$(view_of "$1") || return 1
	[[ ${v%% *} != "$2" && ${v#* } == "$3" ]]
}

# round_start TAG ARGS...: vsync-node for round TAG with ARGS, holding
# back until it has a view of all N; once every node has, all send. The
# judge checks and logs what each node said.
round_start()
{
	local tag=$1 t0 i

	shift
	node_run "$tag" "$@" -v "$N" -Y
	t0=$(now_ms)
	if busywait "$WAIT_MS" test -e "$RING_WORK/ready.$tag"; then
		share_put "ready$tag" "ok $(view_of "$tag") in $(($(now_ms) - t0)) ms"
	else
		share_put "ready$tag" "no view of $N after $WAIT_MS ms: $(view_of "$tag")"
	fi
	share_wait "$WAIT_MS" "ready$tag" "${nodes[@]}"
	kill -USR1 "${NODE_PID[0]}" 2>/dev/null
	((judge)) || return 0
	share_check "ready$tag" "${nodes[@]}"
	check_err $? "a node did not get a view of $N in round $tag"
	for i in "${nodes[@]}"
	do
		log_info "round $tag, node $i: $(cat "$S/ready$tag.$i" 2>/dev/null)"
	done
}

# node_finish TAG: wait for the node, publish its log as TAG-log.$ME and
# its exit as TAG-done.$ME.
node_finish()
{
	local tag=$1 rc=0

	wait "${NODE_PID[0]}" || rc=$?
	NODE_PID[0]=
	cp "$RING_WORK/log.$tag" "$S/.$tag-log.$ME.tmp" &&
		mv -f "$S/.$tag-log.$ME.tmp" "$S/$tag-log.$ME"
	cp "$RING_WORK/err.$tag" "$S/$tag-err.$ME" 2>/dev/null
	dmesg >"$S/$tag-dmesg.$ME"
	if ((rc == 0)); then
		share_put "$tag-done" ok
	else
		share_put "$tag-done" "vsync-node exited with $rc: $(tail -n 2 "$RING_WORK/err.$tag" | tr '\n' ' ')"
	fi
}

# judge_logs TAG [OPTION...] -- I...: check-logs on the published logs of
# round TAG of nodes I..., its report as comments.
judge_logs()
{
	local tag=$1 opts=() logs=() i out rc=0

	shift
	while [[ $1 != -- ]]
	do
		opts+=("$1")
		shift
	done
	shift
	for i in "$@"
	do
		logs+=("$S/$tag-log.$i")
	done
	out=$("$CHECK_LOGS" "${opts[@]}" "${logs[@]}" 2>&1) || rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	return "$rc"
}

# show_json: this node's ring as "vsyncadm -j ring show" gives it.
show_json()
{
	"$VSYNCADM" -j ring show dev eth0 2>&1
}

# judge_show MEMBERS I...: the nodes' published ring shows agree on one
# operational ring with MEMBERS, and none dropped a frame as broken.
judge_show()
{
	local want=$1 i args=()

	shift
	for i in "$@"
	do
		args+=("$i" "$S/show.$i")
	done
	python3 -c '
import json, sys
want = sys.argv[1]
a = sys.argv[2:]
ids = set()
bad = []
broken = ("drop_short", "drop_version", "drop_type", "drop_malformed",
          "drop_nomem")
for node, path in zip(a[0::2], a[1::2]):
    try:
        r = json.load(open(path))
        r = r[0] if isinstance(r, list) else r
    except Exception as e:
        bad.append("node %s: no ring show (%s)" % (node, e))
        continue
    s = r.get("stats", {})
    members = ",".join(str(m["node_id"]) for m in r.get("members", []))
    ids.add("%s:%s" % (r.get("rep"), r.get("seq")))
    if r.get("state") != "operational" or members != want:
        bad.append("node %s: %s, members %s" % (node, r.get("state"), members))
    drops = ["%s=%d" % (k, s[k]) for k in broken if s.get(k)]
    if drops:
        bad.append("node %s dropped frames: %s" % (node, " ".join(drops)))
    print("# node %s: frames in %s out %s, bundles out %s in %s, "
          "retransmits %s, token losses %s, pauses %s, drops %s" % (node,
          s.get("frames_in"), s.get("frames_out"), s.get("bundles_out"),
          s.get("bundles_in"), s.get("retransmits"), s.get("token_losses"),
          s.get("pauses"), " ".join("%s=%d" % (k[5:], v)
          for k, v in sorted(s.items()) if k.startswith("drop_") and v)
          or "none"))
if len(ids) > 1:
    bad.append("ring ids differ: " + " ".join(sorted(ids)))
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)' "$want" "${args[@]}"
}

[[ $(id -u) -eq 0 ]] || skip_all "must run as root (in the test VM)"
require_cmd ip python3
require_vsyncadm
RING_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsync-multi.XXXXXX") ||
	fail_all "cannot create a scratch directory"
defer rm -rf "$RING_WORK"
ring_build vsync-node VSYNC_NODE ||
	fail_all "$VSYNC_NODE is missing; run 'make -C tests/ring'"
require_vsync
kmsg_mark

seq_array nodes 1 "$N"
seq_array survivors 1 $((N - 1))
all=$(seq_list 1 "$N")
rest=$(seq_list 1 $((N - 1)))
judge=0
((ME == 1)) && judge=1

# ------------------------------------------------------------------
# Round 1: one ring, one order.

# shellcheck disable=SC2086  # TIMERS is words
if ! out=$(ip link set eth0 up 2>&1 &&
	"$VSYNCADM" ring add dev eth0 id "$ME" $TIMERS 2>&1); then
	share_put up "ring add failed: $out"
else
	share_put up ok
fi
# Everybody sends once everybody has the view (--from-start).
round_start 1 -n "$COUNT" -s "$SIZES" -x 50:0 -x 77:5 -E
node_finish 1
show_json >"$S/.show.$ME.tmp" && mv -f "$S/.show.$ME.tmp" "$S/show.$ME"

if ((judge)); then
	share_wait "$WAIT_MS" up "${nodes[@]}"
	share_check up "${nodes[@]}"
	check_err $? "a node could not add its ring"
	log_test "$N kernels form one ring with members $all"

	share_wait "$WAIT_MS" 1-done "${nodes[@]}"
	share_check 1-done "${nodes[@]}"
	check_err $? "a node did not deliver everything"
	log_test "$N nodes send $COUNT messages each (0 B to 40 KB) and deliver all"

	judge_logs 1 --from-start --all-complete -- "${nodes[@]}"
	check_err $? "the logs differ"
	log_test "every kernel delivers the same $((N * COUNT)) messages in the same order"

	share_wait "$WAIT_MS" show "${nodes[@]}"
	judge_show "$all" "${nodes[@]}"
	check_err $? "the rings disagree, or frames were dropped as broken"
	log_test "one ring id everywhere, no frame dropped as broken"
fi

# ------------------------------------------------------------------
# ------------------------------------------------------------------
# Round 2: guest N is paused alone (its hypervisor stops it) for three
# token timeouts while everybody sends; the others go on without it, and
# it comes back.

# views_since TAG ID I: the regular views (their nodes) after view ID in
# node I's published log of round TAG, as "1,2 1,2,3".
views_since()
{
	awk -v id="$2" "$RING_AWK_NODES"'
	/^R / { if (seen) out = out (out == "" ? "" : " ") nodes($3)
		if ($2 == id) seen = 1 }
	END { print out }' "$S/$1-log.$3"
}

share_wait "$WAIT_MS" 1-done "${nodes[@]}"
round_start 2 -n inf -r 50 -s "$SIZES" -E
first=$(view_of 2)
first=${first%% *}
PAUSE_MS=$((3 * TOKEN_MS))
if ((judge)); then
	msleep 1500
	echo "$PAUSE_MS" >"$S/pause.$N"
	busywait $((PAUSE_MS + 10000)) test -e "$S/pause.$N.done"
	check_err $? "scripts/vm-multi did not pause guest $N"
	t_resume=$(now_ms)
	answer=$(cat "$S/pause.$N.done" 2>/dev/null)
	[[ $answer == ok ]]
	check_err $? "the pause of guest $N: $answer"
fi
# Everybody, guest N too: back to a view of all, a new one.
if busywait "$WAIT_MS" view_after 2 "$first" "$all"; then
	share_put back2 ok
else
	share_put back2 "no new view of $all: $(view_of 2)"
fi
((judge)) && t_back=$(now_ms)
share_wait "$WAIT_MS" back2 "${nodes[@]}"
kill -USR2 "${NODE_PID[0]}" 2>/dev/null
node_finish 2

if ((judge)); then
	share_wait "$WAIT_MS" 2-done "${nodes[@]}"
	for i in "${survivors[@]}"
	do
		seen=$(views_since 2 "$first" "$i")
		log_info "node $i's views after $first: $seen"
		[[ " $seen " == *" $rest "* ]]
		check_err $? "node $i never had the view $rest while guest $N was paused"
	done
	log_test "guest $N paused for $PAUSE_MS ms: the others go on in the view $rest"

	share_check back2 "${nodes[@]}"
	check_err $? "a node did not get back to a view of $all"
	took=$((t_back - t_resume))
	limit=$((TOKEN_MS * 4))
	log_info "node 1 had the view $all again $took ms after guest $N ran again"
	((took <= limit))
	check_err $? "guest $N took $took ms to come back, more than $limit"
	log_test "guest $N runs again and rejoins: the view $all"

	share_check 2-done "${nodes[@]}"
	check_err $? "a node did not finish"
	judge_logs 2 --from-start -- "${nodes[@]}"
	check_err $? "the logs differ"
	log_test "all $N agree on every message and view around the pause"
fi

# Round 3: guest N's power is cut while everybody sends.

share_wait "$WAIT_MS" 2-done "${nodes[@]}"
round_start 3 -n inf -r 50 -s "$SIZES" -E

if ((ME == N)); then
	# Nothing to do but be killed; the judge says when. Its kernel log
	# until now is checked by the judge: nobody looks at it afterwards.
	splats=$(kmsg_splats "$(kmsg_since)")
	share_put splats "${splats:-ok}"
	busywait "$WAIT_MS" test -e "$S/never"
	exit 0
fi

if ((judge)); then
	msleep 1500
	t_kill=$(now_ms)
	echo kill >"$S/kill.$N"
	busywait 10000 test -e "$S/kill.$N.done"
	answer=$(cat "$S/kill.$N.done" 2>/dev/null)
	[[ $answer == ok ]]
	check_err $? "scripts/vm-multi did not cut guest $N's power: ${answer:-no answer}"
fi

# Each survivor: a view without N, then stop sending once all have it.
if busywait "$WAIT_MS" view_is 3 "$rest"; then
	share_put failover3 ok
else
	share_put failover3 "no view of $rest: $(view_of 3)"
fi
if ((judge)); then
	t_view=$(now_ms)
fi
share_wait "$WAIT_MS" failover3 "${survivors[@]}"
kill -USR2 "${NODE_PID[0]}" 2>/dev/null
node_finish 3
show_json >"$S/.show3.$ME.tmp" && mv -f "$S/.show3.$ME.tmp" "$S/show3.$ME"

if ((judge)); then
	share_check failover3 "${survivors[@]}"
	check_err $? "a survivor did not get the view $rest"
	# Token loss, consensus, then forming: with the timers above, a few
	# seconds; a generous bound, as the host runs every guest on two CPUs.
	limit=$((TOKEN_MS * 8))
	took=$((t_view - t_kill))
	log_info "node 1 had the view $rest $took ms after the power cut"
	((took <= limit))
	check_err $? "the view took $took ms, more than $limit"
	log_test "guest $N's power is cut: the survivors form the view $rest"

	share_wait "$WAIT_MS" 3-done "${survivors[@]}"
	share_check 3-done "${survivors[@]}"
	check_err $? "a survivor did not finish"
	# (The counters, for the record; the checks are on the logs.)
	share_wait "$WAIT_MS" show3 "${survivors[@]}"
	for i in "${survivors[@]}"
	do
		cp "$S/show3.$i" "$S/show.$i"
	done
	judge_show "$rest" "${survivors[@]}" | grep '^# node'
	judge_logs 3 --from-start -- "${survivors[@]}"
	check_err $? "the survivors' logs differ"
	log_test "the survivors agree on every message and view around the crash"
fi

splats=$(kmsg_splats "$(kmsg_since)")
if ((judge)); then
	share_wait "$WAIT_MS" splats "${nodes[@]:1}"
	check_eq "$splats" "" "kernel log of node 1"
	share_check splats "${nodes[@]:1}"
	check_err $? "a survivor's kernel log has a splat"
	log_test "kernel logs clean"
	tests_done
fi
share_put splats "${splats:-ok}"
exit 0
