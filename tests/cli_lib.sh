# Shared by the command-line tests: counters, ok/bad, and expect.
# shellcheck shell=bash
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

# expect NAME STATUS PATTERN -- command...: exit status and a one-line stderr matching PATTERN
expect() {
    local name=$1 want=$2 pattern=$3
    shift 4
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "$name: exit $got, want $want ($(head -c 300 err.txt))"
    elif [ -n "$pattern" ] && ! grep -Eq -- "$pattern" err.txt; then
        bad "$name: stderr '$(head -c 300 err.txt)' lacks /$pattern/"
    elif [ "$want" -ge 64 ] && [ "$name" != usage ] && [ "$(grep -c '^latentbench: ' err.txt)" -ne 1 ]; then
        bad "$name: want exactly one error line, got: $(cat err.txt)"
    else
        ok "$name"
    fi
}

