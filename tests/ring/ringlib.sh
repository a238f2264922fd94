# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the multi-node ring tests. Source it from a test in
# tests/ring/:
#
#	source "${BASH_SOURCE[0]%/*}/ringlib.sh"
#
# It sources tests/lib.sh (TAP output, check_err, defer, busywait, msleep,
# kmsg_*) and adds:
#
#   ring_require            skip unless everything the tests need is there
#   ring_setup N            namespaces n1..nN, each with $RING_DEV
#   ring_add I...           "vsyncadm ring add dev $RING_DEV id I" in each nI
#   node_link_down I        cut node I off: its link goes down
#   node_unplug I           delete node I's link, then its namespace
#   ring_split I...         nodes I... on a network of their own
#   ring_heal               every node on one network again
#   ring_netem NETEM I...   netem NETEM on every frame towards nodes I...
#   node_start I ARGS...    a vsync-node in nI, logging to $RING_WORK/log.I
#   nodes_ready/go/stop/wait/kill
#   wait_views MS MEMBERS I...   until nodes I... have that regular view
#   nodes_in_view MEMBERS I...   nodes_ready, then wait_views, check_err
#   u32_ring_msgs ID / u32_msg_seq N   tc u32 matches of vsync frames
#   ring_show_check MEMBERS I... "vsyncadm -j ring show" agrees everywhere
#   check_logs [OPTS] I...  tests/ring/check-logs on the nodes' logs
#
# Topology (ring_setup 3), VSYNC_TEST_MEDIA=eth (the default):
#
#      n1            n2            n3          network namespaces = nodes
#     eth0          eth0          eth0         ring: "vsyncadm ring add
#      |             |             |                  dev eth0 id I"
#      v1            v2            v3          veth peers, initial namespace
#      +------------ br0 ----------+           bridge, initial namespace
#
# VSYNC_TEST_MEDIA=ib: the IPoIB link layer (tests/fake_ipoib), no bridge:
#
#      n1            n2            n3          network namespaces = nodes
#      ib0           ib0           ib0         fake_ipoib devices; ring:
#      |             |             |           "vsyncadm ring add dev ib0
#      +-------- the fabric -------+                  id I" (media ib)
#        (one partition, $RING_PKEY)
#
# Every fake_ipoib device of the machine is on one fabric; a ring_setup
# puts its devices in a partition (P_Key) of their own, so that nothing
# left over from another test reaches them. The tests name the device
# $RING_DEV and use the helpers above for what differs between the media:
#
#   operation         eth                          ib
#   node_link_down    bridge port vI down          nI's ib0 down
#   node_unplug       vI deleted, netns deleted    ib0 deleted, netns deleted
#   ring_split        ports moved to bridge br1    devices moved to another
#                                                  partition (their broadcast
#                                                  address's P_Key)
#   ring_netem        netem on the bridge ports    netem on an ifb that
#                     (frames towards the node)    takes ib0's ingress
#                                                  (frames towards the node)
#
# Every process start costs 100-300 ms in the test VM: the topology is one
# "ip -batch", vsync-node enters its namespace itself (-N), and waiting
# happens with bash builtins on files the nodes write.

RING_DIR=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
source "$RING_DIR/../lib.sh"

VSYNC_NODE=${VSYNC_NODE:-$RING_DIR/vsync-node}
VSYNC_WIRE=${VSYNC_WIRE:-$RING_DIR/vsync-wire}
CHECK_LOGS=${CHECK_LOGS:-$RING_DIR/check-logs}

# Timers for QEMU without KVM, where timers fire late: generous enough
# that a busy guest does not lose the token, short enough for quick tests.
RING_TIMERS=${RING_TIMERS:-"token-timeout 200 token-retransmit 20 join-timeout 20 consensus-timeout 200"}

# How long a node runs at most (its -t); a test's own waits are shorter.
NODE_TIMEOUT=${NODE_TIMEOUT:-$((50 * TIME_SCALE))}

# The medium, and the device the rings are on.
RING_MEDIA=$VSYNC_TEST_MEDIA
if [[ $RING_MEDIA == ib ]]; then
	RING_DEV=ib0
else
	RING_DEV=eth0
fi
RING_PKEY=

RING_N=0
RING_WORK=
declare -a NODE_PID=()

# ------------------------------------------------------------------
# Requirements

# ring_build PROG VAR [DEP...]: make sure the tool tests/ring/PROG.c,
# whose path is in the variable VAR, is built and newer than its source,
# vsync.h and DEP...; inside the VM a missing or stale binary is built into
# the scratch directory and VAR set to it.
ring_build()
{
	local src=$RING_DIR/$1.c var=$2 bin=${!2} out=$RING_WORK/$1 dep
	local stale=0

	shift 2
	if [[ -x $bin ]]; then
		for dep in "$src" "$VSYNC_ROOT/include/uapi/linux/vsync.h" "$@"
		do
			[[ $dep -nt $bin ]] && stale=1
		done
		((stale)) || return 0
	fi
	type -P "${CC:-cc}" >/dev/null || return 1
	"${CC:-cc}" -O2 -std=gnu11 -Wall -Wextra -Werror \
		-I"$VSYNC_ROOT/include/uapi" -o "$out" "$src" || return 1
	printf -v "$var" '%s' "$out"
}

# ring_require: skip the test unless it can run; creates $RING_WORK.
ring_require()
{
	[[ $(id -u) -eq 0 ]] || skip_all "must run as root (in the test VM)"
	require_cmd ip python3
	require_vsyncadm
	require_media
	RING_WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsync-ring.XXXXXX") ||
		fail_all "cannot create a scratch directory"
	if [[ ${VSYNC_RING_KEEP-} == 1 ]]; then
		log_info "scratch directory (kept): $RING_WORK"
	else
		defer rm -rf "$RING_WORK"
	fi
	# VSYNC_RING_SAVE=DIR: copy the logs there at the end, e.g.
	# scripts/vm --keep -e VSYNC_RING_SAVE=/run/vmtest -- tests/ring/x.sh
	if [[ -n ${VSYNC_RING_SAVE-} ]]; then
		defer cp -a "$RING_WORK" "$VSYNC_RING_SAVE/"
	fi
	ring_build vsync-node VSYNC_NODE ||
		fail_all "$VSYNC_NODE is missing; run 'make -C tests/ring'"
	require_vsync
}

# ------------------------------------------------------------------
# Topology

# ring_setup N: nodes n1..nN, each with $RING_DEV up. eth: bridge br0, and
# each eth0's veth peer vI up on br0. ib: a fake_ipoib ib0 in each, all in
# a new partition $RING_PKEY. One ip process for all of it.
ring_setup()
{
	local n=$1 i batch="" brd

	RING_N=$n
	if [[ $RING_MEDIA == ib ]]; then
		RING_PKEY=$(ib_new_pkey)
		brd=$(ib_bcast "$RING_PKEY")
	else
		batch="link add br0 up type bridge"$'\n'
	fi
	for ((i = 1; i <= n; i++))
	do
		batch+="netns add n$i"$'\n'
		if [[ $RING_MEDIA == ib ]]; then
			batch+="link add ib0 netns n$i up broadcast $brd type fake_ipoib"$'\n'
			continue
		fi
		batch+="link add eth0 netns n$i up type veth peer name v$i"$'\n'
		batch+="link set v$i master br0 up"$'\n'
	done
	defer ring_teardown
	if ! ip -batch - <<<"$batch"; then
		log_info "cannot create the topology"
		return 1
	fi
}

# require_u32: skip the test unless the ring is on Ethernet and tc filters
# with u32 and its ok/drop actions (CONFIG_NET_CLS_U32,
# CONFIG_NET_ACT_GACT), for the tests whose filters read vsync headers
# behind an Ethernet header. After ring_setup: it tries on n1's eth0.
require_u32()
{
	[[ $RING_MEDIA == ib ]] &&
		skip_all "the tc filter reads Ethernet frames; the Ethernet run covers it"
	tc -n n1 -batch - >/dev/null 2>&1 <<-EOF ||
		qdisc add dev eth0 clsact
		filter add dev eth0 ingress prio 9 protocol 0x88b5 u32 match u8 0 0 at 0 action ok
		qdisc del dev eth0 clsact
	EOF
		skip_all "tc cannot filter with u32 here (CONFIG_NET_CLS_U32, CONFIG_NET_ACT_GACT)"
}

# u32_ring_msgs ID: the u32 match of the message frames of ring ID
# (REP:SEQ): in the vsync header, the type at 1 and the ring id's seq at
# 16..23. For the tests whose tc filters read vsync headers (require_u32).
u32_ring_msgs()
{
	local seq=${1#*:}

	echo "u32 match u8 1 0xff at 1 match u32 $((seq >> 32)) 0xffffffff at 16 match u32 $((seq & 0xffffffff)) 0xffffffff at 20"
}

# u32_msg_seq N: the u32 match of message frames numbered N (of any
# ring; the frame's own seq at 24..31), N below 2^32.
u32_msg_seq()
{
	echo "u32 match u8 1 0xff at 1 match u32 0 0xffffffff at 24 match u32 $1 0xffffffff at 28"
}

# bundles_off: the module sends frames one by one until the test ends
# (module parameter bundle=0; set back at cleanup). For tests that must
# see every frame on the wire: a tc filter sees a bundle's first frame.
BUNDLE_PARAM=/sys/module/vsync/parameters/bundle
# shellcheck disable=SC2317 # run by cleanup(), see defer
bundles_on() { echo 1 >"$BUNDLE_PARAM"; }
bundles_off()
{
	[[ -w $BUNDLE_PARAM ]] || fail_all "no $BUNDLE_PARAM"
	defer bundles_on
	echo 0 >"$BUNDLE_PARAM"
}

# ring_teardown: stop the nodes, delete the namespaces and the bridge.
ring_teardown()
{
	local i batch=

	nodes_kill KILL
	for ((i = 1; i <= RING_N; i++))
	do
		[[ -e /run/netns/n$i ]] && batch+="netns del n$i"$'\n'
	done
	if [[ $RING_MEDIA != ib ]]; then
		batch+="link del br0"$'\n'
		[[ -e /sys/class/net/br1 ]] && batch+="link del br1"$'\n'
	fi
	ip -force -batch - <<<"$batch" >/dev/null 2>&1
}

# node_link_down I: cut node I off, the node living on. eth: its bridge
# port goes down (its eth0 loses the carrier). ib: its ib0 goes down.
node_link_down()
{
	if [[ $RING_MEDIA == ib ]]; then
		ip -n "n$1" link set ib0 down
	else
		ip link set "v$1" down
	fi
}

# node_link_up I: node I's link comes back.
node_link_up()
{
	if [[ $RING_MEDIA == ib ]]; then
		ip -n "n$1" link set ib0 up
	else
		ip link set "v$1" up
	fi
}

# node_unplug I: node I's link is deleted, then its namespace. Its ring
# goes away with the device, unable to send anything more.
node_unplug()
{
	if [[ $RING_MEDIA == ib ]]; then
		ip -n "n$1" link del ib0 && ip netns del "n$1"
	else
		ip -batch - <<-EOF
			link del v$1
			netns del n$1
		EOF
	fi
}

# ib_set_partition BRD I...: "ip link set ib0 broadcast BRD" in every nI,
# all from one process within microseconds, so that they make one change
# of the network: one ip process per node would be 10 to 300 ms apart, and
# as vsync hears of each change at once, the first node would form a ring
# of its own before the next one came.
ib_set_partition()
{
	local brd=$1

	shift
	python3 -c '
import ctypes, os, socket, struct, sys
CLONE_NEWNET = 0x40000000
RTM_SETLINK, IFLA_BROADCAST, NLM_F_REQUEST_ACK = 19, 2, 5
libc = ctypes.CDLL(None, use_errno=True)
brd = bytes.fromhex(sys.argv[1].replace(":", ""))
socks = []
for ns in sys.argv[2:]:
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET):
        sys.exit("setns %s: %s" % (ns, os.strerror(ctypes.get_errno())))
    os.close(fd)
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                      socket.NETLINK_ROUTE)
    attr = struct.pack("HH", 4 + len(brd), IFLA_BROADCAST) + brd
    body = struct.pack("BxHiII", 0, 0, socket.if_nametoindex("ib0"), 0, 0)
    msg = body + attr
    s.send(struct.pack("IHHII", 16 + len(msg), RTM_SETLINK,
                       NLM_F_REQUEST_ACK, 1, 0) + msg)
    socks.append((ns, s))
for ns, s in socks:
    err = struct.unpack_from("i", s.recv(4096), 16)[0]
    if err:
        sys.exit("%s: ip link set ib0 broadcast: %s" % (ns, os.strerror(-err)))
' "$brd" "${@/#/n}"
}

# ring_split I...: nodes I... go on a network of their own, apart from the
# others. eth: their bridge ports move to a new bridge br1. ib: their
# devices move to a new partition ("ip link set ib0 broadcast" with another
# P_Key, ib_set_partition; the kernel tells vsync that the device's
# addresses changed).
RING_SPLIT=()
ring_split()
{
	local batch=""

	RING_SPLIT=("$@")
	if [[ $RING_MEDIA == ib ]]; then
		ib_set_partition "$(ib_bcast "$(ib_new_pkey)")" "$@"
		return
	fi
	batch="link add br1 up type bridge"$'\n'
	for i in "$@"
	do
		batch+="link set v$i master br1"$'\n'
	done
	ip -batch - <<<"$batch"
}

# ring_heal: undo ring_split: every node back on the first network.
ring_heal()
{
	local i batch=""

	if [[ $RING_MEDIA == ib ]]; then
		ib_set_partition "$(ib_bcast "$RING_PKEY")" "${RING_SPLIT[@]}" ||
			return 1
		RING_SPLIT=()
		return 0
	fi
	for i in "${RING_SPLIT[@]}"
	do
		batch+="link set v$i master br0"$'\n'
	done
	batch+="link del br1"$'\n'
	RING_SPLIT=()
	ip -batch - <<<"$batch"
}

# ring_netem NETEM I...: every frame towards the nodes I... passes a netem
# qdisc with the parameters NETEM. eth: the root qdisc of each node's
# bridge port, one tc process. ib: there is no port; each node gets an ifb
# device that takes the frames ib0 receives (an ingress qdisc whose filter
# redirects them), with netem as its root qdisc, which hands them back to
# ib0's receive path. One tc process per node.
ring_netem()
{
	local netem=$1 i batch=

	shift
	if [[ $RING_MEDIA != ib ]]; then
		for i in "$@"
		do
			batch+="qdisc add dev v$i root netem $netem"$'\n'
		done
		tc -batch - <<<"$batch"
		return
	fi
	for i in "$@"
	do
		batch+="link add ifb0 netns n$i up type ifb"$'\n'
	done
	ip -batch - <<<"$batch" || return 1
	for i in "$@"
	do
		tc -n "n$i" -batch - <<-EOF || return 1
			qdisc add dev ifb0 root netem $netem
			qdisc add dev ib0 handle ffff: ingress
			filter add dev ib0 parent ffff: matchall action mirred egress redirect dev ifb0
		EOF
	done
}

# ring_add [-o "OPTIONS"] I...: add the ring on $RING_DEV of each nI, with id I
# and $RING_TIMERS plus OPTIONS, timers scaled (scale_timers). The vsyncadm
# processes run in parallel.
ring_add()
{
	local opts='' i rc=0 pids=() p timers

	if [[ $1 == -o ]]; then
		opts=$2
		shift 2
	fi
	timers=$(scale_timers "$RING_TIMERS")
	opts=$(scale_timers "$opts")
	for i in "$@"
	do
		# shellcheck disable=SC2086
		ip netns exec "n$i" "$VSYNCADM" ring add dev "$RING_DEV" id "$i" \
			$timers $opts &
		pids+=($!)
	done
	for p in "${pids[@]}"
	do
		wait "$p" || rc=1
	done
	return "$rc"
}

# ring_del I...: delete the ring of each nI.
ring_del()
{
	local i rc=0 pids=() p

	for i in "$@"
	do
		ip netns exec "n$i" "$VSYNCADM" ring del dev "$RING_DEV" &
		pids+=($!)
	done
	for p in "${pids[@]}"
	do
		wait "$p" || rc=1
	done
	return "$rc"
}

# ------------------------------------------------------------------
# Nodes

# node_start I ARGS...: start vsync-node in nI bound to $RING_DEV, logging
# to $RING_WORK/log.I, its view in $RING_WORK/view.I, ready file
# $RING_WORK/ready.I; with -Y in ARGS it waits for nodes_go.
node_start()
{
	local i=$1

	shift
	rm -f "$RING_WORK/ready.$i" "$RING_WORK/view.$i"
	"$VSYNC_NODE" -N "n$i" -d "$RING_DEV" -t "$NODE_TIMEOUT" \
		-o "$RING_WORK/log.$i" -R "$RING_WORK/ready.$i" \
		-V "$RING_WORK/view.$i" "$@" 2>>"$RING_WORK/err.$i" &
	NODE_PID[i]=$!
}

# nodes_ready MS I...: wait until every node I created its ready file.
nodes_ready()
{
	local ms=$1 i

	shift
	for i in "$@"
	do
		if ! busywait "$ms" test -e "$RING_WORK/ready.$i"; then
			log_info "node $i is not ready after ${ms} ms"
			node_diag "$i"
			return 1
		fi
	done
}

# nodes_signal SIG I...: signal the nodes I at once. Each signal wakes a
# node that may preempt this shell; with 16 busy senders on two CPUs the
# shell then waited its turn between kills, and the nodes took SIGUSR2 in
# groups of two or three over more than a second (fairness.sh's late
# round, seen in CI: the last messages of senders 1..16 came in that
# order, 779 deliveries apart). So several nodes get their signals from
# one kill, with the shell at real-time priority meanwhile.
nodes_signal()
{
	local sig=$1 i pids=() rt=0

	shift
	for i in "$@"
	do
		[[ -n ${NODE_PID[i]-} ]] && pids+=("${NODE_PID[i]}")
	done
	((${#pids[@]})) || return 0
	# -R: what the shell starts meanwhile (the chrt that puts it back)
	# runs at normal priority.
	((${#pids[@]} > 1)) && chrt -R -f -p 50 "$BASHPID" 2>/dev/null && rt=1
	kill "-$sig" "${pids[@]}" 2>/dev/null
	((rt)) && chrt -o -p 0 "$BASHPID"
	return 0
}

# nodes_go I...: start sending (nodes started with -Y).
nodes_go()
{
	nodes_signal USR1 "$@"
}

# nodes_stop I...: stop sending; each sends its last message (FIN).
nodes_stop()
{
	nodes_signal USR2 "$@"
}

# nodes_wait [-t MS] I...: wait for the nodes to exit; fails unless every
# one exited 0. NODE_RC[I] holds each status. When one fails, or after MS
# milliseconds, the others are told to stop (SIGTERM: they flush their
# logs and exit "term"), since they would otherwise wait until their own
# timeout for a node that is gone.
declare -a NODE_RC=()
nodes_wait()
{
	local i rc=0 pending left ms=0 limit=0 stopped=0

	if [[ $1 == -t ]]; then
		ms=$(($2 * TIME_SCALE))
		limit=$(($(now_ms) + ms))
		shift 2
	fi
	pending=("$@")
	while [[ ${#pending[@]} -gt 0 ]]
	do
		left=()
		for i in "${pending[@]}"
		do
			if [[ -z ${NODE_PID[i]-} ]]; then
				continue
			elif kill -0 "${NODE_PID[i]}" 2>/dev/null; then
				left+=("$i")
				continue
			fi
			wait "${NODE_PID[i]}"
			NODE_RC[i]=$?
			unset "NODE_PID[i]"
			if [[ ${NODE_RC[i]} -ne 0 ]]; then
				log_info "node $i exited with status ${NODE_RC[i]}$(
					[[ ${NODE_RC[i]} -eq 2 ]] && echo ' (timeout)')"
				node_diag "$i"
				rc=1
			fi
		done
		pending=("${left[@]}")
		[[ ${#pending[@]} -eq 0 ]] && break
		if ((!stopped && (rc || (limit && $(now_ms) > limit)))); then
			stopped=1
			if [[ $rc -eq 0 ]]; then
				log_info "nodes ${pending[*]} still running after $ms ms"
				for i in "${pending[@]}"
				do
					node_diag "$i"
				done
				rc=1
			fi
			log_info "stopping nodes ${pending[*]}"
			nodes_signal TERM "${pending[@]}"
		fi
		msleep 50
	done
	return "$rc"
}

# nodes_kill [SIG]: signal every running node (default TERM) and reap it.
nodes_kill()
{
	local sig=${1:-TERM} i

	for i in "${!NODE_PID[@]}"
	do
		kill "-$sig" "${NODE_PID[i]}" 2>/dev/null
	done
	for i in "${!NODE_PID[@]}"
	do
		wait "${NODE_PID[i]}" 2>/dev/null
		unset "NODE_PID[i]"
	done
	return 0
}

# node_view I: print the current regular view of node I's socket:
# "REP:SEQ:VSEQ NODES", NODES being the nodes of the group's members.
node_view()
{
	local line

	read -r line 2>/dev/null <"$RING_WORK/view.$1" || return 1
	printf '%s\n' "${line% t=*}"
}

# node_view_time I: print when node I installed its current view (ms).
node_view_time()
{
	local line

	read -r line 2>/dev/null <"$RING_WORK/view.$1" || return 1
	printf '%s\n' "${line##* t=}"
}

# view_times T0 I...: "nI MS ms, ..." from T0 to each node's current view.
view_times()
{
	local t0=$1 i out=

	shift
	for i in "$@"
	do
		out+="${out:+, }n$i $(($(node_view_time "$i") - t0)) ms"
	done
	echo "$out"
}

# ring_traffic I...: the start of the traffic tests. A ring on each nI
# (ring_add) and in each a vsync-node that sends ${RATE:-100} messages/s of
# mixed sizes once told to (nodes_go), after a view of all of them; then
# that view everywhere. The nodes in the array RING_SAFE send for safe
# delivery (check-logs then checks that too). Failures go to RET
# (check_err), which it returns.
RING_SAFE=()
ring_traffic()
{
	local list i safe=()

	list=$(IFS=,; echo "$*")
	ring_add "$@"
	check_err $? "vsyncadm ring add failed"
	for i in "$@"
	do
		safe=()
		[[ " ${RING_SAFE[*]} " == *" $i "* ]] && safe=(-S)
		node_start "$i" -n inf -r "${RATE:-100}" \
			-s 64,500,1500,3000,16 -v "$#" -Y -E "${safe[@]}"
	done
	nodes_in_view "$list" "$@"
	return "$RET"
}

# views_are MEMBERS I...: every node I has a regular view with MEMBERS
# (comma-separated), all with the same ring id.
views_are()
{
	local want=$1 i v id=

	shift
	for i in "$@"
	do
		v=$(node_view "$i") || return 1
		[[ ${v#* } == "$want" ]] || return 1
		[[ -z $id || $id == "${v%% *}" ]] || return 1
		id=${v%% *}
	done
}

# nodes_in_view MEMBERS I...: the nodes I... started (nodes_ready) and
# in one regular view of MEMBERS; check_err otherwise.
nodes_in_view()
{
	local want=$1

	shift
	nodes_ready 30000 "$@"
	check_err $? "the nodes are not ready"
	wait_views 10000 "$want" "$@"
	check_err $? "no view of $want"
}

# wait_views MS MEMBERS I...: wait until views_are MEMBERS I...
wait_views()
{
	local ms=$1 want=$2 i

	shift 2
	if ! busywait "$ms" views_are "$want" "$@"; then
		log_info "no common view $want after ${ms} ms:"
		for i in "$@"
		do
			log_info "  node $i: $(node_view "$i" || echo none)"
		done
		return 1
	fi
}

# node_diag I: print what helps to understand a node's failure.
node_diag()
{
	local i=$1 line n=0

	if [[ -s $RING_WORK/err.$i ]]; then
		while IFS= read -r line && ((n++ < 10))
		do
			log_info "  node $i stderr: $line"
		done <"$RING_WORK/err.$i"
	fi
	log_info "  node $i view: $(node_view "$i" || echo none)"
}

# ring_stats I...: print the interesting counters of the rings, for
# diagnostics: frames, retransmissions, token losses, drops.
ring_stats()
{
	local i out

	for i in "$@"
	do
		out=$(ip netns exec "n$i" "$VSYNCADM" -j ring show dev "$RING_DEV" 2>&1)
		python3 -c '
import json, sys
try:
    r = json.loads(sys.argv[2])
    r = r[0] if isinstance(r, list) else r
except Exception:
    print("# node %s: %s" % (sys.argv[1], sys.argv[2][:200]))
    sys.exit(0)
s = r.get("stats", {})
keys = ["frames_in", "frames_out", "msgs_sent", "msgs_delivered",
        "retransmits", "rtr_requests", "token_rotations",
        "token_retransmits", "token_losses", "view_changes", "recv_stalls",
        "bundles_out", "bundles_in", "pages_reused", "pauses",
        "recovery_pieces"]
drops = ["%s=%d" % (k[5:], v) for k, v in sorted(s.items())
         if k.startswith("drop_") and v]
print("# node %s: %s %s:%s members %s" % (sys.argv[1], r.get("state"),
      r.get("rep"), r.get("seq"),
      ",".join(str(m.get("node_id")) for m in r.get("members", []))))
print("#   " + " ".join("%s=%s" % (k, s.get(k)) for k in keys))
print("#   drops: " + (" ".join(drops) or "none") +
      (" duplicate_node_id=%d" % s["duplicate_node_id"]
       if s.get("duplicate_node_id") else ""))
' "$i" "$out"
	done
}

# ring_query I EXPR: print EXPR, Python over r, node I's ring as
# "vsyncadm -j ring show" gives it.
ring_query()
{
	ip netns exec "n$1" "$VSYNCADM" -j ring show dev "$RING_DEV" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)
r = r[0] if isinstance(r, list) else r
print(eval(sys.argv[1]))' "$2"
}

# ring_id: node 1's ring id, REP:SEQ.
ring_id()
{
	ring_query 1 '"%s:%s" % (r["rep"], r["seq"])'
}

# stat_sum NAME: counter NAME summed over the nodes in the array members.
stat_sum()
{
	local i sum=0

	for i in "${members[@]}"
	do
		sum=$((sum + $(ring_query "$i" "r['stats'].get('$1', 0)")))
	done
	echo "$sum"
}

# ring_show_check MEMBERS I...: "vsyncadm -j ring show" in every nI says
# operational, the same ring id, exactly MEMBERS (comma-separated), and
# the medium $RING_MEDIA. Prints the problem and fails otherwise.
ring_show_check()
{
	local want=$1 i args=()

	shift
	for i in "$@"
	do
		args+=("$i" "$(ip netns exec "n$i" "$VSYNCADM" -j ring show 2>&1)")
	done
	python3 -c '
import json, sys
want = sys.argv[1]
media = sys.argv[2]
ids = {}
bad = []
a = sys.argv[3:]
for node, out in zip(a[0::2], a[1::2]):
    try:
        rings = json.loads(out)
    except ValueError:
        bad.append("node %s: not JSON: %s" % (node, out[:200]))
        continue
    if len(rings) != 1:
        bad.append("node %s: %d rings" % (node, len(rings)))
        continue
    r = rings[0]
    memb = ",".join(str(m["node_id"]) for m in r.get("members", []))
    local = [m["node_id"] for m in r.get("members", []) if m.get("local")]
    ids.setdefault((r.get("rep"), r.get("seq")), []).append(node)
    if r.get("state") != "operational":
        bad.append("node %s: state %s" % (node, r.get("state")))
    if memb != want:
        bad.append("node %s: members %s, want %s" % (node, memb, want))
    if r.get("media") != media:
        bad.append("node %s: media %s, want %s" % (node, r.get("media"), media))
    if str(r.get("node_id")) != node or local != [int(node)]:
        bad.append("node %s: node_id %s, local members %s"
                   % (node, r.get("node_id"), local))
if len(ids) > 1:
    bad.append("different ring ids: " + "; ".join(
        "%s:%s at %s" % (k[0], k[1], ",".join(v)) for k, v in ids.items()))
for b in bad:
    print("# ring show: " + b)
sys.exit(1 if bad else 0)
' "$want" "$RING_MEDIA" "${args[@]}"
}

# ring_show_agree WANT I...: ring_show_check, asked again for up to 5 s if
# the nodes disagree. vsyncadm runs in one namespace after the other, 100
# to 300 ms apart under emulation, so a ring that re-forms with the same
# members in between shows two ring ids (seen right after formation). The
# first disagreement and the counters go to the log, to tell why it
# re-formed (token_losses, view_changes).
ring_show_agree()
{
	local want=$1 out

	shift
	out=$(ring_show_check "$want" "$@") && return 0
	log_info "ring show disagreed, asking again:"
	printf '%s\n' "$out"
	ring_stats "$@"
	busywait 5000 ring_show_check "$want" "$@" >/dev/null && return 0
	ring_show_check "$want" "$@"
}

# check_logs [OPTIONS] I...: run check-logs on the logs of nodes I...
check_logs()
{
	local opts=() i logs=()

	while [[ $1 == -* ]]
	do
		opts+=("$1")
		shift
	done
	for i in "$@"
	do
		logs+=("$RING_WORK/log.$i")
	done
	"$CHECK_LOGS" "${opts[@]}" "${logs[@]}"
}

# The log queries below run one awk each: bash loops over logs of
# thousands of lines are slow in the VM.

# RING_AWK_NODES: awk function nodes(list): "1/3,1/7,2/4" -> "1,2".
RING_AWK_NODES='
function nodes(list,    n, i, m, p, out, last) {
	if (list == "-")
		return "-"
	n = split(list, m, ",")
	out = ""
	last = ""
	for (i = 1; i <= n; i++) {
		split(m[i], p, "/")
		if (p[1] == last)
			continue
		last = p[1]
		out = out (out == "" ? "" : ",") p[1]
	}
	return out
}'

# changes_between FROM TO I: print the views node I got from time FROM to
# time TO (ms since the epoch) as "T NODES;R NODES;...", NODES being the
# nodes of the members.
changes_between()
{
	awk -v from="$1" -v to="$2" "$RING_AWK_NODES"'
	/^[TR] / && $NF ~ /^t=/ {
		t = substr($NF, 3) + 0
		if (t >= from && t <= to)
			out = out (out == "" ? "" : ";") $1 " " nodes($3)
	}
	END { print out }' "$RING_WORK/log.$3"
}

# senders_in_view I NODES: print the distinct sender nodes of the data
# node I delivered in its regular views whose members are on NODES.
senders_in_view()
{
	awk -v want="$2" "$RING_AWK_NODES"'
	/^R / { in_view = nodes($3) == want; next }
	/^T / { in_view = 0; next }
	/^D / && in_view { seen[$2 + 0] = 1 }
	END {
		out = ""
		for (i = 1; i <= 4096; i++)
			if (i in seen)
				out = out (out == "" ? "" : ",") i
		print out
	}' "$RING_WORK/log.$1"
}

# data_after_view I NODES: print how many data messages node I delivered
# after its last regular view whose members are on NODES.
data_after_view()
{
	awk -v want="$2" "$RING_AWK_NODES"'
	/^R / && nodes($3) == want { n = 0; next }
	/^D / { n++ }
	END { print n + 0 }' "$RING_WORK/log.$1"
}

# log_count I PREFIX: print how many lines of node I's log start with
# PREFIX.
log_count()
{
	awk -v p="$2" 'index($0, p) == 1 { n++ } END { print n + 0 }' \
		"$RING_WORK/log.$1"
}

# node_gone I: node I's process has exited (or was never started).
node_gone()
{
	[[ -z ${NODE_PID[$1]-} ]] || ! kill -0 "${NODE_PID[$1]}" 2>/dev/null
}

# seq_array NAME A B: the array NAME holds A, A+1, ..., B.
seq_array()
{
	local -n __arr=$1
	local i

	__arr=()
	for ((i = $2; i <= $3; i++))
	do
		__arr+=("$i")
	done
}

# seq_list A B: "A,A+1,...,B" for member lists.
seq_list()
{
	local i out=

	for ((i = $1; i <= $2; i++))
	do
		out+=${out:+,}$i
	done
	echo "$out"
}

# kill_roles N: the roles of a test where the last of N nodes dies:
# nodes (1..N), survivors (1..N-1), victim (N), surv_list ("1,...,N-1").
# shellcheck disable=SC2034  # globals for the test that sources us
kill_roles()
{
	seq_array nodes 1 "$1"
	seq_array survivors 1 $(($1 - 1))
	victim=$1
	surv_list=$(seq_list 1 $(($1 - 1)))
}
