#!/usr/bin/env bash
# The source tree keeps its shape (src/README.md): no include loop between
# folders or between modules, nothing includes init/, and the worker side
# and the caller side include nothing of each other.  The checker is
# scripts/include_graph.py; it is first shown to catch each fault in a
# planted tree, so that its silence on src/ means something.  No database.
source "$(dirname "$0")/lib.bash"
plan 9
root="$(cd "$(dirname "$0")/../.." && pwd)"
graph() { python3 "$root/scripts/include_graph.py" "$@"; }

# A planted tree: billing/a.h includes caller/b.h and back (a loop between
# modules and between folders); worker/w.c includes caller/b.h and
# caller/b.h includes init/i.h.
plant=$(mktemp -d)
trap 'rm -rf "$plant"' EXIT
mkdir -p "$plant"/{billing,caller,worker,init}
printf '#include "caller/b.h"\n' >"$plant/billing/a.h"
printf '#include "billing/a.h"\n#include "init/i.h"\n' >"$plant/caller/b.h"
printf '#include "caller/b.h"\n' >"$plant/worker/w.c"
printf '\n' >"$plant/init/i.h"
out=$(graph --src "$plant" --check folders); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"billing caller"* ]]; echo $?) "a planted loop between folders is caught"
out=$(graph --src "$plant" --check modules); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"billing/a caller/b"* ]]; echo $?) "a planted loop between modules is caught"
out=$(graph --src "$plant" --check root); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"caller/b -> init/i"* ]]; echo $?) "a planted include of init/ is caught"
out=$(graph --src "$plant" --check sides); rc=$?
ok $([ $rc -ne 0 ] && [[ "$out" == *"worker/w -> caller/b"* ]]; echo $?) "a planted include of the caller side by the worker is caught"

# The real tree.
out=$(graph --check folders); rc=$?
ok $rc "no include loop between the folders of src/"; [ $rc -eq 0 ] || echo "# $out"
out=$(graph --check modules); rc=$?
ok $rc "no include loop between modules"; [ $rc -eq 0 ] || echo "# $out"
out=$(graph --check root); rc=$?
ok $rc "no module includes init/ (it knows everyone, nobody knows it)"; [ $rc -eq 0 ] || echo "# $out"
out=$(graph --check sides); rc=$?
ok $rc "the worker side and the caller side include nothing of each other"; [ $rc -eq 0 ] || echo "# $out"

# Every module is in a folder: nothing left at the top of src/.
top=$(cd "$root/src" && ls ./*.c ./*.h 2>/dev/null)
is "$top" "" "no C file at the top of src/"

finish
