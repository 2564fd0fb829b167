#!/bin/bash
# scripts/demo, on this build: it shows the fix and exits 0.
. "$(dirname "$0")/lib.sh"
: "${NOTW_SOURCE_ROOT:?NOTW_SOURCE_ROOT must name the source tree}"
make_work_dir
build=$(realpath "$(dirname "$NOTW_LIB")/..")
BUILD_DIR=$build NOTW_DEMO_BUILT=1 timeout 100 "$NOTW_SOURCE_ROOT/scripts/demo" >"$WORK/demo.out" 2>&1
check_eq "scripts/demo: exit 0" 0 $?
check "... it says the port came back" \
	grep -q '^Without notw the restarted server drifted to 49201; with notw it got 49200 back\.$' "$WORK/demo.out"
finish
