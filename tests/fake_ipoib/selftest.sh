#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fake_ipoib self-test, and vsync over it.
#
#	scripts/vm -- tests/fake_ipoib/selftest.sh
#
# Checks that fake_ipoib.ko gives the stack what ipoib gives it (device
# type, addresses, MTU, header layout on transmit and receive, packet types,
# unicast, broadcast, multicast, the EtherTypes ipoib transmits, IPv4 with
# ARP), then runs vsync rings over it in three namespaces, and unloads both
# modules while traffic flows.
#
#   $a: ib0 --.
#   $b: ib0 --+-- the fabric (every fake_ipoib device of the machine)
#   $c: ib0 --'
#
# Environment:
#   FIPOIB_KO           the module (default: fake_ipoib.ko next to this file,
#                       built with "make -C tests/fake_ipoib")
#   IBPKT               the AF_PACKET helper (default: ibpkt next to this)
#   FIPOIB_VSYNC_OPTS   extra "vsyncadm ring add" arguments, e.g.
#                       "ethertype 0x88ca"
#   VSYNC_KO, VSYNCADM  as for every test (tests/lib.sh)
#
# Exit status: 0 all passed, 1 something failed, 4 nothing could run.

source "${BASH_SOURCE[0]%/*}/../lib.sh"

FIPOIB_DIR=$(cd "${BASH_SOURCE[0]%/*}" && pwd)
FIPOIB_KO=${FIPOIB_KO:-$FIPOIB_DIR/fake_ipoib.ko}
IBPKT=${IBPKT:-$FIPOIB_DIR/ibpkt}
FIPOIB_VSYNC_OPTS=${FIPOIB_VSYNC_OPTS-}
FIPOIB_SYSFS=/sys/module/fake_ipoib

# Generous timers: the VM's clock can stall under emulation.
TIMERS="token-timeout 400 token-retransmit 40 join-timeout 40 consensus-timeout 500"

# ipoib's IPv4 broadcast group of the default partition.
IB_BRD=00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:ff:ff:ff:ff
# A multicast GID nobody uses, P_Key 0xffff in bytes 8 and 9.
IB_GROUP=00:ff:ff:ff:ff:12:40:1b:ff:ff:00:00:00:00:00:00:00:00:0f:1b
# The 24 bytes in front of a received TIPC frame's payload: a zeroed
# pseudo header, then the encapsulation header (EtherType, reserved 0).
RX_HDR_TIPC=$(printf '%040d' 0)88ca0000
# EtherTypes ipoib_start_xmit() transmits; it drops every other one.
IB_PROTOS="0x0800 0x86dd 0x0806 0x8035 0x88ca"

[[ $(id -u) -eq 0 ]] || skip_all "must run as root (in the test VM)"
[[ ${VSYNC_IN_VM-} == 1 || ${FIPOIB_FORCE-} == 1 ]] ||
	skip_all "loads kernel modules: run it in the VM (scripts/vm), or set FIPOIB_FORCE=1"
require_cmd ip ping

# ------------------------------------------------------------------
# Helpers

# hwaddr NS DEV / brdaddr NS DEV: the device's addresses, from "ip -o link".
__link=
link_line()
{
	__link=$(ip -n "$1" -o -d link show dev "$2" 2>/dev/null)
}

hwaddr()
{
	link_line "$1" "$2" || return 1
	[[ $__link =~ link/infiniband\ ([0-9a-f:]+) ]] || return 1
	echo "${BASH_REMATCH[1]}"
}

# sysfs NS DEV ATTR: a sysfs attribute of the device in NS.
sysfs()
{
	ip netns exec "$1" cat "/sys/class/net/$2/$3"
}

# link_stat NS DEV FIELD: a counter of the device.
link_stat()
{
	sysfs "$1" "$2" "statistics/$3"
}

# ring_json NS: "vsyncadm -j ring show dev ib0" in NS.
ring_json()
{
	ip netns exec "$1" "$VSYNCADM" -j ring show dev ib0 2>&1
}

# ring_parse JSON: sets R_STATE, R_MEDIA, R_ETHERTYPE, R_IDS ("1 2 3"),
# R_ADDRS ("ID=HWADDR ..."), R_ROT (token rotations), R_IN (frames in).
ring_parse()
{
	local j=$1 m re='"node_id":([0-9]+),"hwaddr":"([0-9a-f:]+)"'

	R_STATE='' R_MEDIA='' R_ETHERTYPE='' R_IDS='' R_ADDRS='' R_ROT='' R_IN=''
	[[ $j =~ \"state\":\"([a-z]+)\" ]] && R_STATE=${BASH_REMATCH[1]}
	[[ $j =~ \"media\":\"([a-z]+)\" ]] && R_MEDIA=${BASH_REMATCH[1]}
	[[ $j =~ \"ethertype\":([0-9]+) ]] && R_ETHERTYPE=${BASH_REMATCH[1]}
	[[ $j =~ \"token_rotations\":([0-9]+) ]] && R_ROT=${BASH_REMATCH[1]}
	[[ $j =~ \"frames_in\":([0-9]+) ]] && R_IN=${BASH_REMATCH[1]}
	[[ $j =~ \"members\":\[([^]]*)\] ]] || return 0
	m=${BASH_REMATCH[1]}
	while [[ $m =~ $re ]]
	do
		R_IDS+="${R_IDS:+ }${BASH_REMATCH[1]}"
		R_ADDRS+="${R_ADDRS:+ }${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
		m=${m#*"${BASH_REMATCH[0]}"}
	done
}

# ring_is NS IDS: the ring in NS is operational with exactly members IDS.
# shellcheck disable=SC2317 # called through busywait
ring_is()
{
	ring_parse "$(ring_json "$1")"
	[[ $R_STATE == operational && $R_IDS == "$2" ]]
}

# ring_wait MS IDS NS...: until every NS has that ring, or MS passed.
ring_wait()
{
	local end=$(($(now_ms) + $1)) ids=$2 ns left

	shift 2
	for ns in "$@"
	do
		left=$((end - $(now_ms)))
		if ! busywait "$((left > 0 ? left : 0))" ring_is "$ns" "$ids"; then
			log_info "$ns: state '$R_STATE' members '$R_IDS'," \
				"want operational with '$ids'"
			return 1
		fi
	done
}

# ring_add NS ID: a ring on ib0 of NS.
ring_add()
{
	local out

	# shellcheck disable=SC2046,SC2086
	out=$(ip netns exec "$1" "$VSYNCADM" ring add dev ib0 id "$2" \
		$(scale_timers "$TIMERS") $FIPOIB_VSYNC_OPTS 2>&1) || {
		log_info "ring add in $1: $out"
		return 1
	}
}

# vsync_rings NS: how many rings vsync has in NS.
vsync_rings()
{
	local out

	out=$(ip netns exec "$1" "$VSYNCADM" -j info 2>/dev/null)
	[[ $out =~ \"rings\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

fipoib_unload()
{
	[[ -d $FIPOIB_SYSFS ]] || return 0
	timeout 60 rmmod fake_ipoib
}

# ------------------------------------------------------------------
# Build what is missing (inside the VM the writes go to its overlay).

if [[ ! -f $FIPOIB_KO || ! -x $IBPKT ||
      $FIPOIB_DIR/fake_ipoib.c -nt $FIPOIB_KO ||
      $FIPOIB_DIR/ibpkt.c -nt $IBPKT ]]; then
	log_info "building fake_ipoib.ko and ibpkt"
	make -s -C "$FIPOIB_DIR" >/dev/null 2>&1 ||
		fail_all "cannot build $FIPOIB_DIR (make -C tests/fake_ipoib)"
fi

kmsg_mark >/dev/null
START_MARK=$KMSG_MARK

# ------------------------------------------------------------------
# The devices

if [[ -d $FIPOIB_SYSFS ]]; then
	rmmod fake_ipoib || fail_all "fake_ipoib is loaded and busy"
fi
out=$(insmod "$FIPOIB_KO" 2>&1) || fail_all "cannot load $FIPOIB_KO: $out"
defer fipoib_unload
setup_ns a b c || fail_all "cannot create namespaces"

# One device made in the initial namespace and moved, two made in place.
ip -batch - <<EOF
link add ib0 type fake_ipoib
link set ib0 netns $a
link add ib0 netns $b type fake_ipoib
link add ib0 netns $c type fake_ipoib
EOF
check_err $? "ip link add ... type fake_ipoib"
for ns in "$a" "$b" "$c"
do
	ip -n "$ns" link set ib0 up
	check_err $? "$ns: ip link set ib0 up"
done
[[ ! -e /sys/class/net/ib0 ]]
check_err $? "ib0 is still in the initial namespace"
log_test "fake_ipoib loads; devices are made and moved between namespaces"

A=$(hwaddr "$a" ib0)
B=$(hwaddr "$b" ib0)
C=$(hwaddr "$c" ib0)
HW_RE='^([0-9a-f]{2}:){19}[0-9a-f]{2}$'
for ns in "$a" "$b" "$c"
do
	link_line "$ns" ib0
	check_match "$__link" "link/infiniband [0-9a-f:]+ brd $IB_BRD " \
		"$ns: type and broadcast address"
	check_match "$__link" " mtu 2044 " "$ns: MTU"
	check_match "$__link" "minmtu 72 maxmtu 4092" "$ns: MTU limits"
	check_match "$__link" "fake_ipoib" "$ns: link kind"
	check_eq "$(sysfs "$ns" ib0 carrier)" 1 "$ns: carrier"
done
for x in "$A" "$B" "$C"
do
	check_match "$x" "$HW_RE" "20-byte address"
	# Flags and QPN, then the GID: link-local prefix, GUID.
	check_match "$x" '^80:' "flags byte (connected mode supported)"
	[[ ${x:3:8} != 00:00:00 ]]
	check_err $? "QPN of $x is zero"
	check_match "$x" '^..:..:..:..:fe:80:00:00:00:00:00:00:' \
		"GID prefix fe80::/64"
done
[[ $A != "$B" && $B != "$C" && $A != "$C" ]]
check_err $? "addresses are not unique: $A $B $C"
# vsync names a node by the GUID's low 32 bits: they must differ.
[[ ${A: -11} != "${B: -11}" && ${B: -11} != "${C: -11}" &&
   ${A: -11} != "${C: -11}" ]]
check_err $? "GUIDs' low 32 bits are not unique"
log_test "link/infiniband, 20-byte address fe80::GUID, ipoib's broadcast, mtu 2044"

ip -n "$a" link set ib0 mtu 1500
check_err $? "mtu 1500 refused"
link_line "$a" ib0
check_match "$__link" " mtu 1500 " "mtu 1500"
ip -n "$a" link set ib0 mtu 4092
check_err $? "mtu 4092 refused"
link_line "$a" ib0
check_match "$__link" " mtu 2044 " "mtu 4092 in datagram mode, 2K group"
ip -n "$a" link set ib0 mtu 71 2>/dev/null
check_fail $? "mtu 71 accepted"
ip -n "$a" link set ib0 mtu 2044
log_test "MTU as ipoib's datagram mode: at most the broadcast group's 2044, at least 72"

GOOD=80:00:01:23:fe:80:00:00:00:00:00:00:02:00:5e:ff:fe:00:00:2a
out=$(ip -n "$a" link add ib9 address "$GOOD" type fake_ipoib 2>&1)
check_err $? "explicit address refused: $out"
check_eq "$(hwaddr "$a" ib9)" "$GOOD" "explicit address"
# As ipoib_set_mac(): a new GUID, only while down.
GOOD2=${GOOD:0:36}02:00:5e:ff:fe:00:00:2b
ip -n "$a" link set ib9 address "$GOOD2"
check_err $? "new GUID refused"
check_eq "$(hwaddr "$a" ib9)" "$GOOD2" "address after the change"
ip -n "$a" link set ib9 address "${GOOD2/80:00:01:23/80:00:01:24}" 2>/dev/null
check_fail $? "new QPN accepted"
ip -n "$a" link set ib9 up
ip -n "$a" link set ib9 address "$GOOD" 2>/dev/null
check_fail $? "address change while up accepted"
ip -n "$a" link del ib9 2>/dev/null
check_err $? "ip link del ib9"
for bad in "${GOOD/fe:80/ff:12}" "${GOOD/80:00:01:23/80:00:00:00}" \
	   "80:00:01:23:fe:80"
do
	ip -n "$a" link add ib9 address "$bad" type fake_ipoib 2>/dev/null
	check_fail $? "address $bad accepted"
done
ip -n "$a" link add ib9 broadcast "$GOOD" type fake_ipoib 2>/dev/null
check_fail $? "broadcast address accepted"
ip -n "$a" link del ib9 2>/dev/null
log_test "explicit addresses: a port GID and QPN; GUID changes only while down"

# ------------------------------------------------------------------
# AF_PACKET: SOCK_DGRAM sends through header_ops, SOCK_RAW receives.

# pkt VAR ARGS...: ibpkt ARGS, its output in VAR, one line per listener.
pkt()
{
	local -n __o=$1

	shift
	__o=$("$IBPKT" "$@" 2>&1)
	check_err $? "ibpkt $*: $__o"
}

pkt out 0x88ca "$a" ib0 "$B" "$b" ib0 "$c" ib0 "$a" ib0
check_match "$out" "$b/ib0: host hdr $RX_HDR_TIPC len 32" "to B, at B"
check_match "$out" "$c/ib0: none" "to B, at C"
check_match "$out" "$a/ib0: outgoing hdr [0-9a-f]{48} len 32" "to B, at A"
# What a tap sees on transmit: the destination, then the header.
check_match "$out" "$a/ib0: outgoing hdr ${B//:/}88ca0000 " \
	"pseudo header on transmit"
log_test "AF_PACKET unicast: PACKET_HOST, zeroed pseudo header + EtherType"

pkt out -l 2000 0x88ca "$a" ib0 "$IB_BRD" "$b" ib0 "$c" ib0 "$a" ib0
check_match "$out" "$b/ib0: broadcast hdr $RX_HDR_TIPC len 2000" "at B"
check_match "$out" "$c/ib0: broadcast hdr $RX_HDR_TIPC len 2000" "at C"
check_match "$out" "$a/ib0: outgoing hdr" "at A"
log_test "AF_PACKET broadcast: once to every other port, PACKET_BROADCAST"

pkt out -g "$IB_GROUP" 0x88ca "$a" ib0 "$IB_GROUP" "$b" ib0 "$c" ib0
check_match "$out" "$b/ib0: multicast hdr $RX_HDR_TIPC" "member B"
check_match "$out" "$c/ib0: none" "non-member C"
log_test "AF_PACKET multicast: members only (dev_mc_add), PACKET_MULTICAST"

drops=$(link_stat "$a" ib0 tx_dropped)
# B's GID with another QPN: the port gets it, no QP takes it.
pkt out 0x88ca "$a" ib0 \
	"${B:0:9}$(printf '%02x' $(((0x${B:9:2} + 1) % 256)))${B:11}" "$b" ib0
check_match "$out" "$b/ib0: none" "wrong QPN delivered"
# A GID no port has: ipoib's path record query fails, the frame is dropped.
pkt out 0x88ca "$a" ib0 \
	"${B:0:12}fe:80:00:00:00:00:00:00:00:00:00:00:00:00:00:01" "$b" ib0
check_match "$out" "$b/ib0: none" "unknown GID delivered"
check_eq "$(link_stat "$a" ib0 tx_dropped)" $((drops + 1)) \
	"tx_dropped after the unknown GID"
log_test "unicast needs the GID and the QPN; unknown GIDs count as tx_dropped"

drops=$(link_stat "$a" ib0 tx_dropped)
pkt out 0x88b5 "$a" ib0 "$IB_BRD" "$b" ib0
check_match "$out" "$b/ib0: none" "0x88b5 broadcast delivered"
pkt out 0x88b5 "$a" ib0 "$B" "$b" ib0
check_match "$out" "$b/ib0: none" "0x88b5 unicast delivered"
check_eq "$(link_stat "$a" ib0 tx_dropped)" $((drops + 2)) "tx_dropped"
log_test "as ipoib_start_xmit: EtherTypes other than IPv4/IPv6/ARP/RARP/TIPC are dropped"

ip -n "$a" addr add 10.251.0.1/24 dev ib0
ip -n "$b" addr add 10.251.0.2/24 dev ib0
out=$(ip netns exec "$a" ping -c 2 -i 0.2 -W 2 10.251.0.2 2>&1)
check_err $? "ping: $out"
out=$(ip -n "$a" neigh show 10.251.0.2 dev ib0)
check_match "$out" "lladdr $B " "ARP entry"
log_test "IPv4 with ARP over it: ping, neighbour has the 20-byte address"

# ------------------------------------------------------------------
# vsync over it

vsync_ok=1
why=
if [[ ! -x $VSYNCADM ]]; then
	vsync_ok=0
	why="$VSYNCADM is missing; run 'make tools'"
elif ! vsync_load; then
	vsync_ok=0
	why="cannot load $VSYNC_KO; run 'make module'"
fi

if ((vsync_ok)); then
	ring_add "$a" 1
	check_err $? "ring add in a"
	ring_add "$b" 2
	check_err $? "ring add in b"
	ring_parse "$(ring_json "$a")"
	check_eq "$R_MEDIA" ib "media"
	ok=0
	for p in $IB_PROTOS
	do
		[[ $R_ETHERTYPE == $((p)) ]] && ok=1
	done
	[[ $ok == 1 ]]
	check_err $? "the ring's EtherType $(printf 0x%04x "$R_ETHERTYPE") is not one ipoib_start_xmit() transmits ($IB_PROTOS)"
	log_test "vsync: ring add on ib0, media ib, an EtherType IPoIB carries"

	ring_wait 10000 "1 2" "$a" "$b"
	check_err $? "no ring of 2"
	ring_parse "$(ring_json "$b")"
	check_match " $R_ADDRS " " 1=$A " "member 1's address at b"
	check_match " $R_ADDRS " " 2=$B " "member 2's address at b"
	[[ $RET -eq 0 ]] || vsync_ok=0
	log_test "vsync: a ring of 2 over IPoIB, members' 20-byte addresses learned"
fi

if ((vsync_ok)); then
	ring_add "$c" 3
	check_err $? "ring add in c"
	ring_wait 10000 "1 2 3" "$a" "$b" "$c"
	check_err $? "no ring of 3"
	for ns in "$a" "$b" "$c"
	do
		ring_parse "$(ring_json "$ns")"
		check_match "$R_ROT" '^[1-9]' "$ns: token rotations"
		check_match "$R_IN" '^[1-9]' "$ns: frames in"
		check_match " $R_ADDRS " " 3=$C " "$ns: member 3's address"
	done
	log_test "vsync: a ring of 3 over IPoIB, the token goes round (unicast)"

	# A new GUID (ipoib allows it while down): the others learn it.
	C2=${C:0:36}02:00:5e:ff:fe:00:00:3c
	ip -n "$c" link set ib0 down
	ip -n "$c" link set ib0 address "$C2"
	check_err $? "address change"
	ip -n "$c" link set ib0 up
	ring_wait 10000 "1 2 3" "$a" "$b" "$c"
	check_err $? "no ring of 3 after c's new address"
	ring_parse "$(ring_json "$a")"
	check_match " $R_ADDRS " " 3=$C2 " "member 3's new address at a"
	log_test "vsync: a member's new address is learned (NETDEV_CHANGEADDR)"

	ip -n "$c" link del ib0
	check_err $? "ip link del in c"
	ring_wait 10000 "1 2" "$a" "$b"
	check_err $? "no ring of 2 after c's device went"
	check_eq "$(vsync_rings "$c")" 0 "rings left in c"
	log_test "vsync: deleting a node's device removes its ring, the others reform"
elif [[ -n ${why-} ]]; then
	log_test_skip "vsync over fake_ipoib" "$why"
else
	log_test_skip "vsync: rings of 3, new address, device deleted" \
		"no ring of 2"
fi

# ------------------------------------------------------------------
# Unloading while traffic flows

kmsg_mark >/dev/null
ip netns exec "$a" ping -q -f -w 10 10.251.0.2 >/dev/null 2>&1 &
ping_pid=$!
ip netns exec "$b" ping -q -f -b -w 10 10.251.0.255 >/dev/null 2>&1 &
ping2_pid=$!
msleep 500
fipoib_unload
check_err $? "rmmod fake_ipoib"
[[ ! -d $FIPOIB_SYSFS ]]
check_err $? "fake_ipoib is still loaded"
for ns in "$a" "$b" "$c"
do
	out=$(ip -n "$ns" -o link show 2>&1)
	[[ $out != *link/infiniband* ]]
	check_err $? "$ns: devices left: $out"
	if vsync_loaded; then
		check_eq "$(vsync_rings "$ns")" 0 "$ns: vsync rings left"
	fi
done
kill "$ping_pid" "$ping2_pid" 2>/dev/null
wait "$ping_pid" "$ping2_pid" 2>/dev/null
if vsync_loaded; then
	vsync_unload
	check_err $? "rmmod vsync"
fi
splats=$(kmsg_splats "$(kmsg_since)")
check_eq "$splats" "" "kernel log"
log_test "rmmod fake_ipoib with devices up, rings on them and traffic; rmmod vsync"

splats=$(kmsg_splats "$(kmsg_since "$START_MARK")")
check_eq "$splats" "" "kernel log"
log_test "kernel log clean"

tests_done
