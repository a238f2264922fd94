#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vsyncadm's interface: "info" in text and JSON, its exit status and
# messages when the module is not loaded and when the arguments are wrong.
#
#   exit 0  done
#   exit 1  usage error, message on stderr
#   exit 2  the kernel refused
#   exit 3  vsync.ko is not loaded

source "${BASH_SOURCE[0]%/*}/lib.sh"

require_vsyncadm
vsync_load || fail_all "cannot load $VSYNC_KO"

# ------------------------------------------------------------------
run json err "$VSYNCADM" -j info
check_err $? "vsyncadm -j info: $err"
log_info "vsyncadm -j info: $json"
# jq (or python3) parses it: that is the check that it is valid JSON.
fields=$(json_fields "$json" version family protocol rings)
check_err $? "not a valid JSON object: $json"
declare -A got=()
while IFS= read -r f
do
	[[ $f == *=* ]] && got[${f%%=*}]=${f#*=}
done <<<"$fields"
version=${got[version:string]-}
check_match "$version" '^[0-9]+\.[0-9]+\.[0-9]+' "version (a string)"
check_eq "${got[family:number]-}" "$(vsync_family)" "family (a number)"
check_eq "${got[protocol:number]-}" 2 "protocol (a number)"
check_match "${got[rings:number]-}" '^[0-9]+$' "rings (a number)"
if [[ -r $VSYNC_SYSFS/version ]]; then
	check_eq "$version" "$(read_file "$VSYNC_SYSFS/version")" \
		"version vs /sys/module/vsync/version"
fi
log_test "vsyncadm -j info prints a valid JSON info object"


# ------------------------------------------------------------------
run out err "$VSYNCADM" info
check_err $? "vsyncadm info: $err"
if [[ -n $version ]]; then
	[[ $out == *"$version"* ]]
	check_err $? "the text does not mention version $version: $out"
fi
[[ $out == *"${got[family:number]-?}"* ]]
check_err $? "the text does not mention the family number: $out"
log_test "vsyncadm info mentions the version and the family"

# ------------------------------------------------------------------
# check_usage_error ARGS...: exit 1, a message on stderr, nothing on stdout.
check_usage_error()
{
	local rc

	run out err "$VSYNCADM" "$@"
	rc=$?
	check_eq "$rc" 1 "exit status of 'vsyncadm $*'"
	[[ -n $err ]]
	check_err $? "'vsyncadm $*' printed nothing on stderr"
	check_eq "$out" "" "stdout of 'vsyncadm $*'"
	log_info "vsyncadm $*: ${err%%$'\n'*}"
}

check_usage_error frobnicate
check_usage_error info frobnicate
check_usage_error --no-such-option info
check_usage_error ring add
check_usage_error ring add dev
log_test "bad arguments: exit 1 and a message on stderr"

# ------------------------------------------------------------------
vsync_unload
check_err $? "rmmod vsync"
run out err "$VSYNCADM" info
rc=$?
check_eq "$rc" 3 "exit status without the module"
check_match "$err" "[Vv]sync" "the message names vsync"
check_match "$err" "[Ll]oad" "the message says to load the module"
log_info "vsyncadm info without the module: ${err%%$'\n'*}"
run out err "$VSYNCADM" -j info
check_eq "$?" 3 "exit status of -j info without the module"
log_test "without the module: exit 3 and a clear message"

vsync_load
tests_done
