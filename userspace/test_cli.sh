#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of vsyncadm's command line that need no kernel module: help, usage
# errors and exit codes with ./vsyncadm, and the output of every command
# with ./fake-vsyncadm, which answers from canned messages (fake_genl.c).
# Run by "make test". Prints TAP; exits 1 if a check failed.

cd "${BASH_SOURCE[0]%/*}" || exit 1
ADM=./vsyncadm
FAKE=./fake-vsyncadm
unset VSYNCADM_NO_CLIENT_CHECKS FAKE_RINGS FAKE_NO_MODULE

n=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok()
{
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	local line
	for line in "$@"; do
		echo "#   $line"
	done
}

# run PROGRAM ARGS...: sets rc, out and err.
run()
{
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(<"$tmp/out")
	err=$(<"$tmp/err")
}

# expect RC STDOUT? STDERR? DESC -- PROGRAM ARGS...
# STDOUT?/STDERR? are "empty", "some" or "any".
expect()
{
	local want_rc=$1 want_out=$2 want_err=$3 desc=$4 why=()
	shift 5

	run "$@"
	[[ $rc == "$want_rc" ]] || why+=("exit status $rc, want $want_rc")
	case $want_out in
	empty) [[ -z $out ]] || why+=("stdout not empty: ${out:0:200}") ;;
	some) [[ -n $out ]] || why+=("stdout empty") ;;
	esac
	case $want_err in
	empty) [[ -z $err ]] || why+=("stderr not empty: ${err:0:200}") ;;
	some) [[ -n $err ]] || why+=("stderr empty") ;;
	esac
	if ((${#why[@]})); then
		not_ok "$desc" "${why[@]}"
	else
		ok "$desc"
	fi
}

# same GOT WANT DESC
same()
{
	if [[ $1 == "$2" ]]; then
		ok "$3"
	else
		not_ok "$3" "got:  $1" "want: $2"
	fi
}

# has HAYSTACK NEEDLE DESC
has()
{
	if [[ $1 == *"$2"* ]]; then
		ok "$3"
	else
		not_ok "$3" "missing: $2" "in: ${1:0:300}"
	fi
}

# valid_json DESC: $out parses as JSON (one document, or JSON lines).
valid_json()
{
	local mode=${2:-doc} msg

	if ! type -P python3 >/dev/null; then
		echo "ok $((n += 1)) - $1 # SKIP python3 not installed"
		return
	fi
	if msg=$(python3 -c '
import json, sys
data = sys.stdin.read()
if sys.argv[1] == "lines":
    for line in data.splitlines():
        json.loads(line)
else:
    json.loads(data)
' "$mode" <<<"$out" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "${msg##*$'\n'}" "${out:0:300}"
	fi
}

# ---- help ------------------------------------------------------------
for args in "help" "-h" "--help" "-help" "help ring" "help monitor" \
	"ring help" "ring add help" "ring del help" "ring show help" \
	"r a dev eth0 help" "info help" "member help" "member show help" \
	"stats help" "stats -s help" "monitor help"; do
	# shellcheck disable=SC2086
	expect 0 some empty "vsyncadm $args: usage on stdout, exit 0" -- \
		$ADM $args
done
expect 0 some empty "vsyncadm -V prints the version" -- $ADM -V
has "$out" "vsyncadm 0.1.0" "the version is 0.1.0"
run $ADM help
has "$out" "Exit status" "help documents the exit status"

# ---- usage errors: exit 1, reason on stderr, nothing on stdout --------
usage_error()
{
	local desc=$1
	shift
	expect 1 empty some "$desc" -- $ADM "$@"
}
usage_error "no object" 
usage_error "unknown object" frobnicate
usage_error "ambiguous object" m
usage_error "unknown option" --no-such-option info
usage_error "info takes no argument" info frobnicate
usage_error "unknown ring command" ring frobnicate
usage_error "ring add without dev" ring add
usage_error "dev without a value" ring add dev
usage_error "empty device name" ring add dev ""
usage_error "device name of 16 characters" ring add dev 0123456789abcdef
has "$err" "device name too long" "message: device name too long"
expect 3 empty some "device name of 15 characters is fine" -- \
	env FAKE_NO_MODULE=1 $FAKE ring add dev 0123456789abcde
usage_error "unknown keyword" ring add dev eth0 colour blue
has "$err" '"colour"' "the message names the unknown keyword"
usage_error "ambiguous keyword" ring add dev eth0 token 5
usage_error "keyword given twice" ring add dev eth0 window 2 window 3
usage_error "window 0" ring add dev eth0 window 0
has "$err" "window" "the range message names the argument"
has "$err" "1..4096" "the range message gives the range"
usage_error "window 4097" ring add dev eth0 window 4097
usage_error "max-messages 0" ring add dev eth0 max-messages 0
usage_error "token-timeout 1" ring add dev eth0 token-timeout 1
usage_error "token-timeout 60001" ring add dev eth0 token-timeout 60001
usage_error "token-retransmit 0" ring add dev eth0 token-retransmit 0
usage_error "join-timeout 60001" ring add dev eth0 join-timeout 60001
usage_error "consensus-timeout 120001" ring add dev eth0 consensus-timeout 120001
usage_error "id 0" ring add dev eth0 id 0
usage_error "id 2^32" ring add dev eth0 id 4294967296
usage_error "id -1" ring add dev eth0 id -1
usage_error "id with a blank" ring add dev eth0 id " 1"
usage_error "id 12abc" ring add dev eth0 id 12abc
usage_error "id empty" ring add dev eth0 id ""
usage_error "ethertype 0x5ff" ring add dev eth0 ethertype 0x5ff
usage_error "ethertype 0x10000" ring add dev eth0 ethertype 0x10000
usage_error "ethertype 0x" ring add dev eth0 ethertype 0x
usage_error "mcast-addr with a bad digit" ring add dev eth0 mcast-addr 01:zz:00
usage_error "mcast-addr ending in a colon" ring add dev eth0 mcast-addr 01:02:
usage_error "mcast-addr of 21 bytes" ring add dev eth0 mcast-addr \
	1:2:3:4:5:6:7:8:9:a:b:c:d:e:f:10:11:12:13:14:15
usage_error "ring del without dev" ring del
usage_error "ring show with a stray word" ring show eth0
usage_error "stats with an unknown keyword" stats -x
usage_error "member show with an unknown keyword" member show foo
usage_error "monitor with an unknown group" monitor nothing
usage_error "batch with a command too" -b /dev/null info

# ---- the module is not loaded: exit 3 ---------------------------------
expect 3 empty some "fake without the module: exit 3" -- \
	env FAKE_NO_MODULE=1 $FAKE info
has "$err" 'the vsync module is not loaded' "the message says so"
has "$err" 'modprobe vsync' "the message says how to load it"
run $ADM info
if [[ $rc == 3 ]]; then
	has "$err" 'generic netlink family "vsync" not found' \
		"vsyncadm info on this host: exit 3, family not found"
else
	echo "ok $((n += 1)) - vsyncadm info on this host # SKIP exit $rc: the module is loaded here?"
fi

# ---- output of each command (fake kernel) ------------------------------
expect 0 some empty "info" -- $FAKE info
same "$out" "vsync 0.1.0 family 42 protocol 2 rings 2" "info text"
expect 0 some empty "-j info" -- $FAKE -j info
same "$out" '{"version":"0.1.0","family":42,"protocol":2,"rings":2}' \
	"info JSON"
expect 0 some empty "-j -p info" -- $FAKE -j -p info
valid_json "info pretty JSON"
has "$out" $'{\n    "version": "0.1.0",' "info pretty JSON is indented"

expect 0 some empty "ring show" -- $FAKE ring show
same "$out" "ring eth0 node 3 state operational id 1:12 members 3 ethertype 0x88b5 media eth mtu 1500
    link hwaddr 52:54:00:00:00:03 mcast-addr ff:ff:ff:ff:ff:ff
    timers token-timeout 50 token-retransmit 10 join-timeout 10 consensus-timeout 80 window 64 (auto) max-messages 16
    members 1 2 3*
ring q\"1 node 4000000000 state gather members 0" "ring show text"
expect 0 some empty "r s (abbreviated)" -- $FAKE r s
expect 0 some empty "ring (show is the default)" -- $FAKE ring

expect 0 some empty "-j ring show" -- $FAKE -j ring show
valid_json "ring show JSON"
has "$out" '"ifname":"q\"1"' "ring show JSON escapes the name"
has "$out" '"members":[{"node_id":1,"hwaddr":"52:54:00:00:00:01","local":false},' \
	"ring show JSON members"
has "$out" '"state":"operational"' "ring show JSON state is a string"
has "$out" '"ethertype":34997' "ring show JSON ethertype is a number"
has "$out" '"window":64,"window_auto":true,' "ring show JSON window and whether it grows"
has "$out" '"stats":{"frames_in":200,' "ring show JSON has the stats"
expect 0 some empty "-j -p ring show" -- $FAKE -j -p ring show
valid_json "ring show pretty JSON"
expect 0 some empty "-j ring show without rings" -- \
	env FAKE_RINGS=0 $FAKE -j ring show
same "$out" "[]" "no rings: []"
expect 0 some empty "-j -p ring show without rings" -- \
	env FAKE_RINGS=0 $FAKE -j -p ring show
same "$out" "[]" "no rings, pretty: []"
expect 0 empty empty "ring show without rings: no text" -- \
	env FAKE_RINGS=0 $FAKE ring show
expect 0 some empty "ring show dev eth0" -- $FAKE ring show dev eth0
expect 0 some empty "-j ring show dev eth0" -- $FAKE -j ring show dev eth0
valid_json "ring show dev JSON"
has "$out" '[{"ifindex":2,' "ring show dev is an array too"

expect 0 some empty "stats" -- $FAKE stats
has "$out" $'ring eth0\n    frames_in          200\n' "stats text"
has "$out" "drop_seq           7" "stats shows a non-zero drop"
if [[ $out != *drop_short* ]]; then
	ok "stats hides zero drops"
else
	not_ok "stats hides zero drops" "$out"
fi
expect 0 some empty "stats -s" -- $FAKE stats -s
has "$out" "drop_short         0" "stats -s shows zero drops"
expect 0 some empty "stats -d dev eth0" -- $FAKE stats -d dev eth0
has "$out" "drop_nomem         0" "stats -d shows zero drops"
expect 0 some empty "-j stats" -- $FAKE -j stats
valid_json "stats JSON"
has "$out" '"drop_short":0' "stats JSON has every counter"
has "$out" '"duplicate_node_id":2300' "stats JSON names from the enum"

expect 0 some empty "member show" -- $FAKE member show
same "$out" "ring eth0 node 1 hwaddr 52:54:00:00:00:01
ring eth0 node 2 hwaddr 52:54:00:00:00:02
ring eth0 node 3 hwaddr 52:54:00:00:00:03 local" "member show text"
expect 0 some empty "-j member show" -- $FAKE -j member show
valid_json "member show JSON"

expect 0 some some "monitor" -- timeout 10 $FAKE monitor
has "$out" $'new ring eth0 node 3' "monitor: new"
has "$out" $'\nview ring eth0 node 3' "monitor: view"
has "$out" $'\ndel ring eth0 node 3' "monitor: del"
has "$err" "join config" "monitor joins config"
has "$err" "join events" "monitor joins events"
expect 0 some some "-j monitor" -- timeout 10 $FAKE -j monitor
valid_json "monitor JSON lines" lines
has "$out" '{"event":"view","ifindex":2,' "monitor JSON event"
same "$(wc -l <<<"$out")" 3 "monitor JSON: one line per event"
run timeout 10 $FAKE monitor events
same "$err" "fake: join events" "monitor events joins events only"

# ---- requests and the kernel's refusals --------------------------------
expect 0 empty some "ring add with every option" -- $FAKE ring add \
	dev eth0 id 5 ethertype 0x88b6 mcast-addr 1:0:5e:0:0:1 \
	token-timeout 100 token-r 20 join 5 consensus 200 window 32 max-m 8
same "$err" "fake: ring new dev=eth0 id=5 token-timeout=100 token-retransmit=20 join-timeout=5 consensus-timeout=200 window=32 max-messages=8 ethertype=0x88b6(len 2) mcast-addr=01:00:5e:00:00:01" \
	"ring add sends the attributes"
expect 0 empty some "ring add window auto" -- \
	$FAKE ring add dev eth0 window auto
same "$err" "fake: ring new dev=eth0 window=0" "window auto is 0 on the wire"
expect 0 empty some "ring add, decimal ethertype" -- \
	$FAKE ring add dev eth0 ethertype 35000
has "$err" "ethertype=0x88b8" "decimal ethertype"
expect 2 empty some "the kernel refuses: exit 2" -- $FAKE ring add dev busy
has "$err" "vsyncadm: ring add: File exists: the device already has a ring" \
	"message: command, strerror, extack"
expect 2 empty some "ring del of a missing ring: exit 2" -- \
	$FAKE ring del dev wlan0
expect 0 empty empty "ring del" -- $FAKE ring del dev eth0
expect 1 empty some "window 5000 refused by vsyncadm" -- \
	$FAKE ring add dev eth0 window 5000
expect 2 empty some "VSYNCADM_NO_CLIENT_CHECKS=1 leaves it to the kernel" -- \
	env VSYNCADM_NO_CLIENT_CHECKS=1 $FAKE ring add dev eth0 window 5000
has "$err" "(attribute window)" "the message names the attribute"
expect 1 empty some "NO_CLIENT_CHECKS keeps the type's limit" -- \
	env VSYNCADM_NO_CLIENT_CHECKS=1 $FAKE ring add dev eth0 ethertype 0x10000
expect 1 empty some "NO_CLIENT_CHECKS keeps the name length check" -- \
	env VSYNCADM_NO_CLIENT_CHECKS=1 $FAKE ring add dev 0123456789abcdef

# ---- batch ------------------------------------------------------------
cat >"$tmp/batch" <<'EOF'
# a comment, then an empty line

info
ring add dev eth0 window 32   # a trailing comment
ring del dev wlan0
ring show dev "eth0"
EOF
expect 2 some some "batch stops at the first failure" -- $FAKE -b "$tmp/batch"
has "$err" "batch:5: command failed" "batch names the failing line"
if [[ $out != *"ring eth0"* ]]; then
	ok "nothing runs after the failure"
else
	not_ok "nothing runs after the failure" "$out"
fi
expect 2 some some "-force goes on" -- $FAKE -force -b "$tmp/batch"
has "$out" "ring eth0 node 3" "the last command ran"
expect 2 some some "-j -force batch" -- $FAKE -j -force -b "$tmp/batch"
valid_json "batch JSON is one array"
has "$out" '[{"version":"0.1.0",' "batch JSON: info first"
has "$out" '},null,null,[{"ifindex":2' "batch JSON: null for add and the failure"
expect 1 some some "-j batch from stdin with a bad line" -- \
	$FAKE -j -b - <<<$'info\nring bogus\ninfo'
same "$out" '[{"version":"0.1.0","family":42,"protocol":2,"rings":2},null]' \
	"batch JSON stays valid when it stops"
expect 1 some some "monitor is refused in a batch" -- $FAKE -j -b - <<<"monitor"
expect 4 empty some "batch file missing: exit 4" -- $FAKE -b "$tmp/none"

# ---- output errors ----------------------------------------------------
run $FAKE info
"$FAKE" info >/dev/full 2>"$tmp/err"
same "$?" 4 "writing to a full device: exit 4"

echo "1..$n"
((failed)) && { echo "# $failed of $n failed"; exit 1; }
echo "# all $n passed"
exit 0
