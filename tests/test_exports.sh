#!/bin/sh
# The shared library exports exactly the functions latent.h declares: nothing
# internal leaks out (liblatent is built with -fvisibility=hidden) and no public
# function lost its LT_EXTERN.
#
# Usage: test_exports.sh NM LIBLATENT_SO LATENT_H
#
# The public names come from the header's declarations, not from its LT_EXTERN
# markers, so a declaration without the marker shows up as a missing export.
set -u
nm_tool=$1 lib=$2 header=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Every lt_* identifier followed by "(" outside comments: the header declares
# no lower-case lt_ macros, so these are exactly its function declarations.
tr '\n' ' ' <"$header" |
    sed -E 's#/\*([^*]|\*+[^*/])*\*+/# #g' |
    grep -oE '(^|[^A-Za-z0-9_])lt_[a-z0-9_]+[[:space:]]*\(' |
    sed -E 's/^[^l]*//; s/[[:space:]]*\($//' | sort -u >"$tmp/declared"

# Defined dynamic symbols, without the ones the linker and the sanitizer
# runtimes add to every shared object.
if ! "$nm_tool" -D --defined-only "$lib" >"$tmp/nm"; then
    echo "FAIL: $nm_tool -D --defined-only $lib failed"
    exit 1
fi
awk '{ print $NF }' "$tmp/nm" | sed 's/@.*//' |
    grep -vE '^(_init|_fini|_edata|_end|__bss_start|__(asan|odr_asan|ubsan|sanitizer|tsan|lsan)[._].*)$' |
    sort -u >"$tmp/exported"

ndecl=$(wc -l <"$tmp/declared")
nexp=$(wc -l <"$tmp/exported")
if [ "$ndecl" -lt 10 ]; then
    echo "FAIL: found only $ndecl function declarations in $header; the parser is broken"
    exit 1
fi

status=0
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "FAIL: $lib exports symbols that latent.h does not declare:"
    echo "$extra" | sed 's/^/  /'
    status=1
fi
if [ -n "$missing" ]; then
    echo "FAIL: latent.h declares functions that $lib does not export (LT_EXTERN missing?):"
    echo "$missing" | sed 's/^/  /'
    status=1
fi
if [ $status -eq 0 ]; then
    echo "ok: $nexp exported symbols, all $ndecl declared in latent.h"
fi
exit $status
