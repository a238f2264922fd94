# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the vsync shell tests. Source it from a test:
#
#	source "${BASH_SOURCE[0]%/*}/lib.sh"
#
# A test is a bash script that prints one TAP line per check through
# log_test, "#" lines for diagnostics, and ends with tests_done. Its exit
# status is 0 (all passed), 1 (something failed) or $ksft_skip (nothing ran).
#
# Every process start costs 100-300 ms in the test VM, so the helpers use
# bash builtins wherever they can: parameter expansion instead of dirname,
# $EPOCHREALTIME instead of date, read -t instead of sleep, one "ip -batch"
# instead of a loop of ip commands.

# Exit codes, as in the kernel's kselftest.h.
ksft_pass=0
ksft_fail=1
ksft_skip=4

VSYNC_TESTS_DIR=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
VSYNC_ROOT=${VSYNC_TESTS_DIR%/*}
VSYNC_KO=${VSYNC_KO:-$VSYNC_ROOT/kernel/vsync.ko}
VSYNCADM=${VSYNCADM:-$VSYNC_ROOT/userspace/vsyncadm}
VSYNC_SYSFS=/sys/module/vsync

# VSYNC_TEST_TIME_SCALE: a whole factor for slow kernels. A debug kernel
# (KASAN, lockdep, kmemleak) runs the tests 4 to 7 times slower, and
# timers tuned for the stock kernel under emulation lose tokens there.
# busywait's limits, the ring tests' protocol timers (scale_timers), their
# nodes' time limit and the bounds derived from the timers, and run-all's
# time limits are multiplied by it. 1 by default.
TIME_SCALE=${VSYNC_TEST_TIME_SCALE:-1}
if [[ ! $TIME_SCALE =~ ^[1-9][0-9]?$ ]]; then
	echo "VSYNC_TEST_TIME_SCALE: want a whole number from 1 to 99, not \"$TIME_SCALE\"" >&2
	exit 1
fi

# Lines of the kernel log that mean the kernel is broken. Most of them
# start the message ("[   12.345678] WARNING: CPU: 0 PID: ..."); anchoring
# them keeps out benign lines such as the SRSO mitigation notice
# ("Speculative Return Stack Overflow: WARNING: See ...").
KERNEL_SPLAT='(^|\] )(BUG:|WARNING:|Oops|kernel BUG|UBSAN:|general protection fault|refcount_t:|list_(add|del) corruption|Call Trace:)|KASAN|circular locking|suspected memory leak|blocked for more than'

# ------------------------------------------------------------------
# TAP output

RET=0
RETMSG=
__test_num=0
__test_failed=0
__test_skipped=0

# check_err STATUS MSG: a step that must succeed (STATUS 0) failed.
check_err()
{
	local err=$1 msg=$2

	if [[ $RET -eq 0 && $err -ne 0 ]]; then
		RET=$err
		RETMSG=$msg
	fi
}

# check_fail STATUS MSG: a step that must fail (STATUS non-zero) succeeded.
check_fail()
{
	local err=$1 msg=$2

	if [[ $RET -eq 0 && $err -eq 0 ]]; then
		RET=1
		RETMSG=$msg
	fi
}

# check_eq GOT WANT MSG
check_eq()
{
	local got=$1 want=$2 msg=$3

	if [[ $RET -eq 0 && "$got" != "$want" ]]; then
		RET=1
		RETMSG="$msg: got '$got', want '$want'"
	fi
}

# check_match STRING REGEX MSG (bash extended regex)
check_match()
{
	local s=$1 re=$2 msg=$3

	if [[ $RET -eq 0 && ! $s =~ $re ]]; then
		RET=1
		RETMSG="$msg: '${s:0:200}' does not match /$re/"
	fi
}

# log_test NAME: print the TAP line of the checks since the last log_test.
log_test()
{
	local name=$1

	__test_num=$((__test_num + 1))
	if [[ $RET -eq 0 ]]; then
		printf 'ok %d - %s\n' "$__test_num" "$name"
	else
		__test_failed=$((__test_failed + 1))
		printf 'not ok %d - %s\n' "$__test_num" "$name"
		printf '#   %s\n' "$RETMSG"
	fi
	RET=0
	RETMSG=
}

# log_test_skip NAME REASON
log_test_skip()
{
	__test_num=$((__test_num + 1))
	__test_skipped=$((__test_skipped + 1))
	printf 'ok %d - %s # SKIP %s\n' "$__test_num" "$1" "$2"
	RET=0
	RETMSG=
}

# log_info MSG...: a diagnostic line.
log_info()
{
	printf '# %s\n' "$*"
}

# skip_all REASON: nothing in this file applies here (not root, not in
# the VM, a medium the test does not run on). Never for a failed setup step
# or a missing build product of this project: that is fail_all.
skip_all()
{
	printf '1..0 # SKIP %s\n' "$1"
	exit "$ksft_skip"
}

# fail_all REASON: the setup of this file failed (a module that does not
# load, a test program that is not built, namespaces that cannot be made);
# nothing can run, and that is a failure.
fail_all()
{
	printf 'not ok 1 - setup: %s\n1..1\n' "$1"
	exit "$ksft_fail"
}

# tests_done: print the plan and exit with the kselftest status.
tests_done()
{
	printf '1..%d\n' "$__test_num"
	if [[ $__test_failed -ne 0 ]]; then
		exit "$ksft_fail"
	elif [[ $__test_num -gt 0 && $__test_skipped -eq $__test_num ]]; then
		exit "$ksft_skip"
	fi
	exit "$ksft_pass"
}

# ------------------------------------------------------------------
# Cleanup: defer CMD... runs CMD at exit, last deferred first.

__deferred=()

defer()
{
	local q

	printf -v q '%q ' "$@"
	__deferred+=("$q")
}

cleanup()
{
	local i

	for ((i = ${#__deferred[@]} - 1; i >= 0; i--))
	do
		eval "${__deferred[i]}" >/dev/null 2>&1
	done
	__deferred=()
}

trap cleanup EXIT

# ------------------------------------------------------------------
# Small builtins-only utilities

# A pipe nobody writes to: "read -t" on it is a sleep without a process.
exec {__sleep_fd}<> <(:)

# msleep MS
msleep()
{
	local ms=$1

	local frac

	printf -v frac '%03d' $((ms % 1000))
	read -r -t "$((ms / 1000)).$frac" -u "$__sleep_fd" || true
}

# now_ms: milliseconds since the epoch.
now_ms()
{
	local t=${EPOCHREALTIME/[.,]/}

	echo $((t / 1000))
}

# busywait TIMEOUT_MS CMD...: run CMD until it succeeds or the time is up
# (TIMEOUT_MS times TIME_SCALE). Returns CMD's last status.
busywait()
{
	local timeout=$(($1 * TIME_SCALE)) start now ret

	shift
	start=${EPOCHREALTIME/[.,]/}
	while :
	do
		"$@" && return 0
		ret=$?
		now=${EPOCHREALTIME/[.,]/}
		if (((now - start) / 1000 > timeout)); then
			return "$ret"
		fi
		msleep 20
	done
}

# vm_pause MS: have scripts/vm stop the whole guest for MS milliseconds
# (1 to 10000) and wait until it runs again. The guest's clock goes on
# meanwhile, so every timer is late at once, as after a hypervisor paused
# the machine. Fails, saying why on stderr, outside scripts/vm (no
# VSYNC_VM_PAUSE), for another MS, or if the host refused or did not
# answer.
vm_pause()
{
	local answer

	if [[ -z ${VSYNC_VM_PAUSE-} ]]; then
		echo "vm_pause: not in scripts/vm's guest" >&2
		return 1
	fi
	if ! [[ $1 =~ ^[1-9][0-9]{0,4}$ ]] || (($1 > 10000)); then
		echo "vm_pause: '$1' is not 1 to 10000 ms" >&2
		return 1
	fi
	rm -f "$VSYNC_VM_PAUSE.done"
	echo "$1" >"$VSYNC_VM_PAUSE" || return 1
	if ! busywait $(($1 + 5000)) test -e "$VSYNC_VM_PAUSE.done"; then
		echo "vm_pause: the host did not answer" >&2
		return 1
	fi
	answer=$(<"$VSYNC_VM_PAUSE.done")
	rm -f "$VSYNC_VM_PAUSE.done"
	[[ $answer == ok ]] && return 0
	echo "vm_pause: the host $answer" >&2
	return 1
}

# scale_timers "KEYWORD VALUE ...": the vsyncadm ring options with the
# values of the four timers multiplied by TIME_SCALE.
scale_timers()
{
	local w out=() timer=0

	for w in $1
	do
		if ((timer)); then
			w=$((w * TIME_SCALE))
			timer=0
		fi
		case $w in
		token-timeout|token-retransmit|join-timeout|consensus-timeout)
			timer=1 ;;
		esac
		out+=("$w")
	done
	printf '%s\n' "${out[*]}"
}

# read_file FILE: print its first line, fail if it cannot be read.
read_file()
{
	local line

	read -r line <"$1" || [[ -n $line ]] || return 1
	printf '%s\n' "$line"
}

# run OUT ERR CMD...: run CMD, storing its stdout and stderr in the
# variables named OUT and ERR; returns CMD's status.
__run_tmp=
run()
{
	local -n __out=$1 __err=$2
	local ret

	shift 2
	if [[ -z $__run_tmp ]]; then
		__run_tmp=$(mktemp "${TMPDIR:-/tmp}/vsync-test.XXXXXX") || return 1
		defer rm -f "$__run_tmp"
	fi
	__out=$("$@" 2>"$__run_tmp")
	ret=$?
	__err=$(<"$__run_tmp")
	return "$ret"
}

# ------------------------------------------------------------------
# The module

vsync_loaded()
{
	[[ -d $VSYNC_SYSFS ]]
}

# vsync_family: print the socket family number the loaded module uses.
vsync_family()
{
	read_file "$VSYNC_SYSFS/parameters/family"
}

# vsync_load [PARAM=VALUE...]: insmod kernel/vsync.ko unless it is loaded.
# With parameters, a loaded module is first unloaded so they take effect.
vsync_load()
{
	if vsync_loaded; then
		[[ $# -eq 0 ]] && return 0
		vsync_unload || return 1
	fi
	if [[ ! -f $VSYNC_KO ]]; then
		echo "# $VSYNC_KO is missing; run 'make module'" >&2
		return 1
	fi
	insmod "$VSYNC_KO" "$@"
}

# vsync_unload: rmmod vsync if it is loaded.
vsync_unload()
{
	vsync_loaded || return 0
	rmmod vsync
}

# require_vsync: load the module or fail the whole file.
require_vsync()
{
	vsync_load || fail_all "cannot load $VSYNC_KO"
}

# require_cmd CMD...: skip the whole file unless every CMD exists.
require_cmd()
{
	local c

	for c in "$@"
	do
		type -P "$c" >/dev/null || skip_all "$c is not installed"
	done
}

# require_vsyncadm: fail the whole file unless vsyncadm is built.
require_vsyncadm()
{
	[[ -x $VSYNCADM ]] || fail_all "$VSYNCADM is missing; run 'make tools'"
}

# ------------------------------------------------------------------
# The kernel log. Markers are written to /dev/kmsg, so that a test can
# look at what the kernel said since a point in time.

__kmsg_seq=0

# kmsg_mark: write a new marker; prints its text.
kmsg_mark()
{
	__kmsg_seq=$((__kmsg_seq + 1))
	KMSG_MARK="vsync-test[$$]: mark $__kmsg_seq ${BASH_SOURCE[1]##*/}"
	echo "$KMSG_MARK" >/dev/kmsg
}

# kmsg_since [MARK]: print the kernel log lines after MARK (default: the
# last kmsg_mark).
kmsg_since()
{
	local mark=${1:-$KMSG_MARK} line seen=0

	while IFS= read -r line
	do
		if ((seen)); then
			printf '%s\n' "$line"
		elif [[ $line == *"$mark" ]]; then
			seen=1
		fi
	done < <(dmesg)
}

# kmsg_splats TEXT: print the lines of TEXT that show a kernel problem.
kmsg_splats()
{
	local line

	while IFS= read -r line
	do
		[[ $line =~ $KERNEL_SPLAT ]] && printf '%s\n' "$line"
	done <<<"$1"
	return 0
}

# ------------------------------------------------------------------
# Network namespaces as hosts

NS_LIST=()

# setup_ns NAME...: create one namespace per NAME, named NAME-<random>,
# with lo up; the variable NAME holds the full name. All "netns add" go
# through one ip process; lo needs one per namespace.
setup_ns()
{
	local name ns batch=

	for name in "$@"
	do
		ns="vsync-$name-$$-$RANDOM"
		printf -v "$name" '%s' "$ns"
		NS_LIST+=("$ns")
		batch+="netns add $ns"$'\n'
	done
	if ! ip -batch - <<<"$batch"; then
		echo "# setup_ns: cannot create namespaces" >&2
		return 1
	fi
	if [[ -z ${__ns_cleanup-} ]]; then
		__ns_cleanup=1
		defer cleanup_ns
	fi
	for name in "$@"
	do
		ip -n "${!name}" link set lo up || return 1
	done
}

# cleanup_ns: delete every namespace setup_ns made, in one ip process.
cleanup_ns()
{
	local ns batch=

	[[ ${#NS_LIST[@]} -eq 0 ]] && return 0
	for ns in "${NS_LIST[@]}"
	do
		batch+="netns del $ns"$'\n'
	done
	ip -force -batch - <<<"$batch" >/dev/null 2>&1
	NS_LIST=()
}

# ns_batch NS: run the ip commands on stdin inside namespace NS.
ns_batch()
{
	ip -n "$1" -batch -
}

# ------------------------------------------------------------------
# JSON, through jq when it is installed, python3 otherwise

# json_num JSON KEY: print the number KEY of a flat JSON object, in bash
# alone. It does not validate JSON: use json_fields for that.
json_num()
{
	local re="\"$2\"[[:space:]]*:[[:space:]]*(-?[0-9]+)"

	[[ $1 =~ $re ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# json_fields JSON KEY...: print "KEY=VALUE" per KEY, with the JSON type of
# VALUE ("KEY:number=1"), in one process; fails if JSON is not an object.
json_fields()
{
	local json=$1

	shift
	if type -P jq >/dev/null; then
		jq -er '. as $o | if type != "object" then error("not an object")
			else $ARGS.positional[] | "\(.):\($o[.] | type)=\($o[.] // "")"
			end' --args "$@" <<<"$json" 2>/dev/null
	else
		python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert isinstance(o, dict)
names = {str: "string", int: "number", float: "number", bool: "boolean",
         list: "array", dict: "object", type(None): "null"}
for k in sys.argv[1:]:
    v = o.get(k)
    print("%s:%s=%s" % (k, names[type(v)], "" if v is None else v))' \
			"$@" <<<"$json" 2>/dev/null
	fi
}

# ------------------------------------------------------------------
# The medium of the multi-node tests
#
# VSYNC_TEST_MEDIA=eth (the default) runs them on veth pairs, =ib on
# fake_ipoib devices (tests/fake_ipoib, Documentation/infiniband.rst): the
# IPoIB link layer, one fabric for every such device of the machine. On
# it, a test keeps its devices apart from any other test's by a partition
# (P_Key) of its own: a device's P_Key is in bytes 8 and 9 of its
# broadcast address, given when it is made ("ip link add ... broadcast").

VSYNC_TEST_MEDIA=${VSYNC_TEST_MEDIA:-eth}
FIPOIB_KO=${FIPOIB_KO:-$VSYNC_TESTS_DIR/fake_ipoib/fake_ipoib.ko}
# The last P_Key handed out, shared by the tests of one boot (sockapi.c
# reads and writes it too).
VSYNC_PKEY_FILE=${VSYNC_PKEY_FILE:-/run/vsync-test-pkey}

# require_media: skip the whole file unless VSYNC_TEST_MEDIA names a medium;
# for ib, load fake_ipoib.ko unless it is loaded (or fail the file).
require_media()
{
	local out

	case $VSYNC_TEST_MEDIA in
	eth) ;;
	ib)
		[[ -d /sys/module/fake_ipoib ]] && return 0
		[[ -f $FIPOIB_KO ]] ||
			fail_all "VSYNC_TEST_MEDIA=ib: $FIPOIB_KO is missing; run 'make tests'"
		out=$(insmod "$FIPOIB_KO" 2>&1) ||
			fail_all "VSYNC_TEST_MEDIA=ib: cannot load $FIPOIB_KO: $out"
		;;
	*)
		skip_all "VSYNC_TEST_MEDIA='$VSYNC_TEST_MEDIA': eth or ib"
		;;
	esac
}

# ib_new_pkey: print a full-member P_Key (0x8001..0xfffe) that no earlier
# call of this boot handed out (the default partition's 0xffff never).
ib_new_pkey()
{
	local n=0

	[[ -r $VSYNC_PKEY_FILE ]] && read -r n <"$VSYNC_PKEY_FILE"
	[[ $n =~ ^[0-9]+$ ]] || n=$((RANDOM % 0x7ffe))
	n=$((n % 0x7ffe + 1))
	echo "$n" 2>/dev/null >"$VSYNC_PKEY_FILE"
	printf '0x%04x\n' $((0x8000 | n))
}

# ib_bcast PKEY: the broadcast address of partition PKEY, ipoib's IPv4
# broadcast group with the P_Key in bytes 8 and 9.
ib_bcast()
{
	printf '00:ff:ff:ff:ff:12:40:1b:%02x:%02x:00:00:00:00:00:00:ff:ff:ff:ff\n' \
		$((($1 >> 8) & 0xff)) $(($1 & 0xff))
}
