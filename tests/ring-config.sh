#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Ring configuration through vsyncadm against the real module: creating,
# showing and deleting rings, every refusal with its message (and nothing
# changed), the monitor's events for a membership change, a node leaving on
# purpose, and the netdevice events that remove a ring.
#
#   $a: eth0 ---- veth ---- eth0 :$b        $c: eth0 (mtu 1000) -- peer
#
source "${BASH_SOURCE[0]%/*}/lib.sh"

require_vsyncadm
vsync_load || fail_all "cannot load $VSYNC_KO"
setup_ns a b c || fail_all "cannot create namespaces"

ip -batch - <<EOF || fail_all "cannot create the veth pairs"
link add eth0 netns $a type veth peer name eth0 netns $b
link add eth0 netns $c mtu 1000 type veth peer name peer0 netns $c
EOF
ip -n "$a" link set eth0 up
ip -n "$b" link set eth0 up

# Generous timers: the VM's clock can stall under emulation.
TIMERS="token-timeout 400 token-retransmit 40 join-timeout 40 consensus-timeout 500"
adm() { local ns=$1; shift; ip netns exec "$ns" "$VSYNCADM" "$@"; }
rings() { adm "$1" -j info | sed -nE 's/.*"rings":([0-9]+).*/\1/p'; }
has_no_ring() { [[ $(rings "$1") == 0 ]]; }

# expect_refusal NS EXIT REGEX ARGS...: vsyncadm ARGS in NS exits with
# EXIT, says something matching REGEX on stderr, and changes no ring.
expect_refusal()
{
	local ns=$1 code=$2 re=$3 before after out rc
	shift 3

	before=$(rings "$ns")
	out=$(adm "$ns" "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(rings "$ns")
	check_eq "$rc" "$code" "vsyncadm $* exit status"
	check_match "$out" "$re" "vsyncadm $* message"
	check_eq "$after" "$before" "vsyncadm $* changed the ring count"
}

# ------------------------------------------------------------------
out=$(adm "$a" ring add dev eth0 id 7 $TIMERS window 32 max-messages 8 2>&1)
check_err $? "ring add: $out"
json=$(adm "$a" -j ring show dev eth0)
check_err $? "ring show dev eth0"
check_match "$json" '"node_id":7' "node id"
check_match "$json" '"token_timeout":400' "token timeout"
check_match "$json" '"window":32,"window_auto":false' "window"
check_match "$json" '"max_messages":8' "max messages"
check_match "$json" '"ethertype":34997' "default EtherType 0x88b5"
check_match "$json" '"media":"eth"' "media"
check_eq "$(rings "$a")" 1 "ring count"
log_test "ring add with timers; ring show reports them"

text=$(adm "$a" ring show)
check_err $? "ring show"
check_match "$text" 'ring eth0 node 7' "text output"
check_match "$text" 'token-timeout 400' "text timers"
log_test "ring show as text"

# ------------------------------------------------------------------
expect_refusal "$a" 2 'already has a ring' ring add dev eth0
log_test "a second ring on the same device is refused"

expect_refusal "$a" 2 'no device' ring add dev nosuchdev0
log_test "an unknown device is refused"

expect_refusal "$a" 1 'too long' ring add dev abcdefghijklmnopq
log_test "a device name that is too long is refused"

expect_refusal "$a" 1 'token-timeout' ring add dev eth0 token-timeout 0
VSYNCADM_NO_CLIENT_CHECKS=1 expect_refusal "$a" 2 'out of range.*token-timeout|token-timeout.*range' \
	ring add dev eth0 token-timeout 99999999
log_test "a timer out of range is refused, by vsyncadm and by the kernel"

expect_refusal "$b" 2 'token-retransmit must be less than token-timeout' \
	ring add dev eth0 token-timeout 100 token-retransmit 100
log_test "inconsistent timers are refused with the reason"

expect_refusal "$b" 2 'max-messages must not exceed 64 with a window that grows' \
	ring add dev eth0 max-messages 65
expect_refusal "$b" 2 'max-messages must not exceed window' \
	ring add dev eth0 window 8 max-messages 9
log_test "max-messages above the window is refused, the least auto window too"

expect_refusal "$b" 2 'neither Ethernet nor IPoIB' ring add dev lo
log_test "a device that is neither Ethernet nor IPoIB is refused"

expect_refusal "$c" 2 'MTU' ring add dev eth0
log_test "a device whose MTU is too small is refused"

expect_refusal "$b" 2 'has no ring' ring del dev eth0
log_test "deleting a ring that does not exist is refused"

# ------------------------------------------------------------------
# The monitor sees b's ring appear and the view with both members.
mon=$(mktemp)
ip netns exec "$b" "$VSYNCADM" -j monitor >>"$mon" 2>&1 &
monpid=$!
defer kill "$monpid"
msleep 300
out=$(adm "$b" ring add dev eth0 id 9 $TIMERS 2>&1)
check_err $? "ring add in b: $out"
busywait 15000 grep -q '"event":"view".*"node_id":7.*"node_id":9' "$mon"
check_err $? "no view with nodes 7 and 9 in: $(tr '\n' ' ' <"$mon")"
check_match "$(head -n1 "$mon")" '"event":"new"' "first event is the new ring"
log_test "monitor: a new ring, then the view of the two-node ring"

json=$(adm "$a" -j member show)
check_match "$json" '"node_id":7' "member 7"
check_match "$json" '"node_id":9' "member 9"
log_test "member show lists both members"

# b's ring has the default window: 8 frames per member, at least 64.
json=$(adm "$b" -j ring show dev eth0)
check_match "$json" '"window":64,"window_auto":true' "default window"
check_match "$json" '"max_messages":16' "default max-messages"
check_match "$(adm "$b" ring show)" 'window 64 \(auto\) max-messages 16' \
	"text"
log_test "the default window grows with the ring, at least 64"

# ------------------------------------------------------------------
json=$(adm "$a" -j stats)
check_err $? "stats"
check_match "$json" '"ifname":"eth0","stats":\{"frames_in":[1-9][0-9]*' "frames counted"
check_match "$json" '"token_rotations":[1-9]' "token rotations counted"
check_match "$json" '"drop_malformed":0' "every drop reason reported"
text=$(adm "$a" stats -s)
check_match "$text" 'frames_in' "text stats"
check_match "$text" 'drop_version +0' "stats -s shows the zero drop counters"
log_test "stats in text and JSON"

# ------------------------------------------------------------------
# A process group shows up in "group show" once its member's JOIN is
# delivered, with this node's socket marked local.
NODE=${VSYNC_NODE:-${BASH_SOURCE[0]%/*}/ring/vsync-node}
if [[ -x $NODE ]]; then
	ready=$(mktemp)
	rm -f "$ready"
	"$NODE" -N "${b}" -g cfg-group -n 0 -t 30 -R "$ready" -q >/dev/null 2>&1 &
	nodepid=$!
	defer kill "$nodepid"
	busywait 15000 test -e "$ready"
	check_err $? "the member never saw its join"
	json=$(adm "$a" -j group show)
	check_err $? "group show"
	check_match "$json" '"name":"cfg-group".*"node_id":9,"port":[0-9]+,"local":false' "group seen from a"
	text=$(adm "$b" group show dev eth0)
	check_match "$text" 'group cfg-group ring eth0 members 1' "group show text"
	check_match "$text" '9/[0-9]+\*' "local member marked"
	kill "$nodepid" 2>/dev/null
	wait "$nodepid" 2>/dev/null
	busywait 10000 bash -c "! ip netns exec $a $VSYNCADM -j group show | grep -q cfg-group"
	check_err $? "the group outlived its only member"
	log_test "group show lists a process group and its members"
else
	log_test_skip "group show lists a process group and its members" "no $NODE"
fi

# ------------------------------------------------------------------
# MTU changes: a smaller MTU that vsync can live with is taken up; one
# below its minimum deletes the ring.
ip -n "$b" link set eth0 mtu 1400
busywait 5000 bash -c "ip netns exec $b $VSYNCADM -j ring show | grep -q '\"mtu\":1400'"
check_err $? "the ring did not take the new MTU"
log_test "an MTU change is taken up"

# ------------------------------------------------------------------
# a leaves on purpose: b sees a view of itself alone well before a token
# timeout plus consensus timeout would pass.
: >"$mon"
t0=$(now_ms)
out=$(adm "$a" ring del dev eth0 2>&1)
check_err $? "ring del: $out"
check_eq "$(rings "$a")" 0 "rings in a after ring del"
busywait 15000 grep -q '"event":"view".*"members":\[{"node_id":9[^]]*\]' "$mon"
check_err $? "no view of node 9 alone: $(tr '\n' ' ' <"$mon")"
log_info "b saw the view without a $(($(now_ms) - t0)) ms after 'ring del' started (tool start-up included)"
log_test "a node that leaves on purpose is removed"

# ------------------------------------------------------------------
ip -n "$b" link set eth0 mtu 1000
busywait 5000 has_no_ring "$b"
check_err $? "the ring survived an MTU below 1024"
log_test "an MTU below vsync's minimum deletes the ring"

out=$(adm "$b" ring add dev eth0 id 9 2>&1)
check_fail $? "ring add on a device with MTU 1000 succeeded"
ip -n "$b" link set eth0 mtu 1500
out=$(adm "$b" ring add dev eth0 id 9 2>&1)
check_err $? "ring add again in b: $out"
ip -n "$b" link del eth0
busywait 5000 has_no_ring "$b"
check_err $? "the ring survived its device"
log_test "deleting the device deletes its ring"

tests_done
