#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AF_VSYNC groups on a ring of three nodes: every member of a group, on
# every node, sees the same messages and views in the same order; a group
# sees only its own messages; a socket that closes leaves at the same point
# of the order everywhere.
#
#     vsm-P-1          vsm-P-2          vsm-P-3      network namespaces
#   g0 g1 h0         g0 g1 h0         g0 g1 h0      sockapi-peer sockets:
#      |                |                |          groups "g" (6) and "h" (3)
#     eth0             eth0             eth0        "vsyncadm ring add dev
#      |                |                |           eth0 id I"
#    vsmP-1           vsmP-2           vsmP-3       veth peers
#      +-------------- vsmP ------------+           bridge, initial namespace
#
# With VSYNC_TEST_MEDIA=ib (tests/lib.sh) each namespace has a fake_ipoib
# device ib0 instead, the three in an IB partition (P_Key) of their own,
# and there is no bridge.
#
# Each peer (tests/sockapi-peer.c) sends COUNT messages per socket once its
# groups are complete, then COUNT more once it has everybody's first COUNT;
# meanwhile g1 of node 2 closes. The peers log what each socket receives;
# this script compares the logs.

source "${BASH_SOURCE[0]%/*}/lib.sh"

PEER=${SOCKAPI_PEER:-$VSYNC_TESTS_DIR/sockapi-peer}
COUNT=${COUNT:-60}
RING_TIMERS=${RING_TIMERS:-"token-timeout 400 token-retransmit 40 join-timeout 40 consensus-timeout 500"}
N=3
G_TOTAL=$((2 * N))
H_TOTAL=$N
CLOSER=2		# the node whose g1 closes

[[ $(id -u) -eq 0 ]] || skip_all "must run as root (in the test VM)"
require_cmd ip
require_vsyncadm
[[ -x $PEER ]] || fail_all "$PEER is missing; run 'make tests'"
require_media
require_vsync

if [[ $VSYNC_TEST_MEDIA == ib ]]; then
	DEV=ib0
else
	DEV=eth0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vsync-sockapi.XXXXXX") ||
	fail_all "cannot create a scratch directory"
if [[ ${VSYNC_SOCKAPI_KEEP-} == 1 ]]; then
	log_info "scratch directory (kept): $WORK"
else
	defer rm -rf "$WORK"
fi

BR=vsm$$
NS=()
for ((i = 1; i <= N; i++))
do
	NS[i]=vsm-$$-$i
done

teardown()
{
	local i batch=

	for ((i = 1; i <= N; i++))
	do
		batch+="netns del ${NS[i]}"$'\n'
	done
	[[ $DEV == eth0 ]] && batch+="link del $BR"$'\n'
	ip -force -batch - <<<"$batch" >/dev/null 2>&1
}

# show_file FILE: its last lines as comments.
show_file()
{
	local line lines=()

	[[ -s $1 ]] || return 0
	mapfile -t lines <"$1"
	log_info "${1##*/}:"
	for line in "${lines[@]: -15}"
	do
		log_info "  $line"
	done
}

# ------------------------------------------------------------------
# The ring

if [[ $DEV == ib0 ]]; then
	brd=$(ib_bcast "$(ib_new_pkey)")
	batch=
else
	batch="link add $BR up type bridge"$'\n'
fi
for ((i = 1; i <= N; i++))
do
	batch+="netns add ${NS[i]}"$'\n'
	if [[ $DEV == ib0 ]]; then
		batch+="link add ib0 netns ${NS[i]} up broadcast $brd type fake_ipoib"$'\n'
		continue
	fi
	batch+="link add eth0 netns ${NS[i]} up type veth peer name $BR-$i"$'\n'
	batch+="link set $BR-$i master $BR up"$'\n'
done
defer teardown
ip -batch - <<<"$batch"
check_err $? "cannot create the namespaces and their devices"

pids=()
for ((i = 1; i <= N; i++))
do
	# shellcheck disable=SC2046
	ip netns exec "${NS[i]}" "$VSYNCADM" ring add dev "$DEV" id "$i" \
		$(scale_timers "$RING_TIMERS") 2>"$WORK/ring-add.$i" &
	pids+=($!)
done
for p in "${pids[@]}"
do
	wait "$p"
	check_err $? "vsyncadm ring add failed"
done
log_test "a ring on $DEV in each of $N namespaces"

# ring_complete: node 1 sees an operational ring of N members, on the
# medium asked for.
ring_complete()
{
	local out members

	out=$(ip netns exec "${NS[1]}" "$VSYNCADM" -j ring show 2>/dev/null) ||
		return 1
	[[ $out == *'"state":"operational"'* ]] || return 1
	[[ $out == *"\"media\":\"$VSYNC_TEST_MEDIA\""* ]] || return 1
	members=${out//'{"node_id":'/$'\x01'}
	members=${members//[!$'\x01']/}
	[[ ${#members} -eq $N ]]
}

if [[ $RET -eq 0 ]]; then
	busywait 30000 ring_complete
	check_err $? "the ring does not reach $N members: $(ip netns exec "${NS[1]}" "$VSYNCADM" -j ring show 2>&1)"
fi
log_test "the ring forms with $N members"

# ------------------------------------------------------------------
# The peers

pids=()
for ((i = 1; i <= N; i++))
do
	args=(-N "${NS[i]}" -o "$WORK/n$i" -n "$COUNT" -G "$G_TOTAL"
	      -H "$H_TOTAL" -C -t 100)
	[[ $i -eq $CLOSER ]] && args+=(-c)
	"$PEER" "${args[@]}" 2>"$WORK/err.$i" &
	pids+=($!)
done
for ((i = 1; i <= N; i++))
do
	wait "${pids[i - 1]}"
	rc=$?
	if [[ $rc -ne 0 ]]; then
		check_err "$rc" "peer $i exited with status $rc"
		show_file "$WORK/err.$i"
		for s in g0 g1 h0
		do
			show_file "$WORK/n$i.$s"
		done
	fi
done
log_test "every peer sends $((2 * COUNT)) messages per socket and finishes"

# ------------------------------------------------------------------
# The logs

declare -A LOG		# "n1.g0" -> the log's lines, one per line
G_LOGS=()
H_LOGS=()
for ((i = 1; i <= N; i++))
do
	G_LOGS+=("n$i.g0" "n$i.g1")
	H_LOGS+=("n$i.h0")
done
CLOSED=n$CLOSER.g1

for name in "${G_LOGS[@]}" "${H_LOGS[@]}"
do
	if [[ -r $WORK/$name ]]; then
		LOG[$name]=$(<"$WORK/$name")
	else
		LOG[$name]=
		check_err 1 "no log $name"
	fi
done

# No E lines, no corrupt messages, and the right last line.
for name in "${G_LOGS[@]}" "${H_LOGS[@]}"
do
	text=${LOG[$name]}
	if [[ $text == *$'\nE '* || $text == *" BAD"* ]]; then
		bad=${text#*$'\nE '}
		check_err 1 "$name: E ${bad%%$'\n'*}"
	fi
	want="X done"
	[[ $name == "$CLOSED" ]] && want="X closed"
	last=${text##*$'\n'}
	[[ $last == "$want"* ]]
	check_err $? "$name ends with '$last', not '$want'"
done
log_test "the logs hold no errors or corrupt messages"

# from_view NAME COUNT: print the log NAME from its first regular view of
# COUNT members on, without the X line; fails if there is none.
from_view()
{
	local text=${LOG[$1]} want=$2 line commas out='' on=0

	while IFS= read -r line
	do
		if ((!on)) && [[ $line == "R "* ]]; then
			commas=${line##* }
			commas=${commas//[!,]/}
			((${#commas} + 1 == want)) && on=1
		fi
		((on)) || continue
		[[ $line == "X "* ]] && break
		out+=$line$'\n'
	done <<<"$text"
	((on)) || return 1
	printf '%s' "$out"
}

# first_diff A B: "line N: 'x' vs 'y'" for the first line that differs.
first_diff()
{
	local -a a b
	local i

	mapfile -t a <<<"$1"
	mapfile -t b <<<"$2"
	for ((i = 0; i < ${#a[@]} || i < ${#b[@]}; i++))
	do
		if [[ ${a[i]-<end>} != "${b[i]-<end>}" ]]; then
			echo "line $((i + 1)): '${a[i]-<end>}' vs '${b[i]-<end>}'"
			return
		fi
	done
}

# members_of LINE: the "N/P" members of a view line, one per line.
members_of()
{
	local m=${1##* }

	printf '%s\n' "${m//,/$'\n'}"
}

# --- group g: the five that stay see one sequence
declare -A SEQ
ref=
ref_name=
for name in "${G_LOGS[@]}"
do
	if ! SEQ[$name]=$(from_view "$name" "$G_TOTAL"); then
		check_err 1 "$name: no view of $G_TOTAL members"
		continue
	fi
	[[ $name == "$CLOSED" ]] && continue
	if [[ -z $ref_name ]]; then
		ref=${SEQ[$name]}
		ref_name=$name
	elif [[ ${SEQ[$name]} != "$ref" ]]; then
		check_err 1 "$name and $ref_name differ from the view of $G_TOTAL members on, at $(first_diff "$ref" "${SEQ[$name]}")"
	fi
done
mapfile -t ref_lines <<<"${ref%$'\n'}"
log_test "g: all members that stay see the same messages and views, in the same order (${#ref_lines[@]} items)"

# --- the member that closed saw a prefix of that sequence
closed_seq=${SEQ[$CLOSED]-}
if [[ -z $closed_seq ]]; then
	check_err 1 "$CLOSED: nothing from the full view on"
elif [[ $ref$'\n' != "$closed_seq"$'\n'* ]]; then
	check_err 1 "$CLOSED is not a prefix of $ref_name, at $(first_diff "$ref" "$closed_seq")"
fi
mapfile -t closed_lines <<<"${closed_seq%$'\n'}"
log_test "g: the member that closed saw a prefix of it (${#closed_lines[@]} items)"

# --- the view without it: once, the same place for everyone, and right
closed_member=
closed_hdr=${LOG[$CLOSED]%%$'\n'*}
if [[ $closed_hdr =~ node=([0-9]+)\ port=([0-9]+) ]]; then
	closed_member=${BASH_REMATCH[1]}/${BASH_REMATCH[2]}
else
	check_err 1 "$CLOSED has no header line"
fi
full_view=${ref_lines[0]}
leave_idx=
leave_view=
n_data=0
declare -A G_SENDERS
for ((k = 1; k < ${#ref_lines[@]}; k++))
do
	line=${ref_lines[k]}
	case $line in
	"D "*)
		n_data=$((n_data + 1))
		read -r _ node port _ <<<"$line"
		G_SENDERS[$node/$port]=1
		;;
	"R "*|"T "*)
		if [[ -n $leave_view ]]; then
			check_err 1 "another view after the leave, at item $k: $line"
		fi
		leave_idx=$k
		leave_view=$line
		;;
	esac
done
if [[ -z $leave_view ]]; then
	check_err 1 "no view after the full view $full_view"
else
	check_match "$leave_view" '^R ' "the view after the leave is not regular"
	commas=${leave_view##* }
	commas=${commas//[!,]/}
	check_eq $((${#commas} + 1)) $((G_TOTAL - 1)) "members of $leave_view"
	[[ ",${leave_view##* }," != *",$closed_member,"* ]]
	check_err $? "$leave_view still has $closed_member"
	while read -r m
	do
		[[ $m == "$closed_member" ]] && continue
		[[ ",${full_view##* }," == *",$m,"* ]]
		check_err $? "$leave_view has $m, not in $full_view"
	done < <(members_of "$leave_view")
	# The member that closed had stopped reading before it.
	((${#closed_lines[@]} <= leave_idx))
	check_err $? "$CLOSED read past the view without it"
fi
check_eq "$n_data" $(((2 * G_TOTAL - 1) * COUNT)) "messages in group g"
check_eq "${#G_SENDERS[@]}" "$G_TOTAL" "senders in group g"
log_test "g: the view without the closed member, ${leave_view%% *} ${leave_view#* }, is item $leave_idx for every member"

# --- group h: the same sequence, and only its own members' messages
ref=
ref_name=
for name in "${H_LOGS[@]}"
do
	if ! seq=$(from_view "$name" "$H_TOTAL"); then
		check_err 1 "$name: no view of $H_TOTAL members"
		continue
	fi
	if [[ -z $ref_name ]]; then
		ref=$seq
		ref_name=$name
	elif [[ $seq != "$ref" ]]; then
		check_err 1 "$name and $ref_name differ from the view of $H_TOTAL members on, at $(first_diff "$ref" "$seq")"
	fi
done
mapfile -t h_lines <<<"${ref%$'\n'}"
h_view=${h_lines[0]}
n_data=0
for line in "${h_lines[@]:1}"
do
	case $line in
	"D "*)
		n_data=$((n_data + 1))
		read -r _ node port _ <<<"$line"
		[[ ",${h_view##* }," == *",$node/$port,"* ]]
		check_err $? "h got a message from $node/$port, not a member of $h_view"
		[[ -z ${G_SENDERS[$node/$port]-} ]]
		check_err $? "h got a message from $node/$port, a member of g"
		;;
	*)
		check_err 1 "h: unexpected item after its full view: $line"
		;;
	esac
done
check_eq "$n_data" $((2 * H_TOTAL * COUNT)) "messages in group h"
log_test "h: its members see the same sequence, only h's messages (${#h_lines[@]} items)"

tests_done
