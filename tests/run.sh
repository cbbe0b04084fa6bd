#!/bin/sh
# run.sh: runs every unit test binary (cmocka) and the command-line tests, then prints one closing
# line "N passed, N failed". Exit status 0 only if nothing failed.
# Environment: BUILD (default build).
BUILD=${BUILD:-build}
export IL_PCG_REF="$BUILD/tests/pcg_ref"
export INITLAB="$BUILD/initlab"
# IL_VALGRIND (e.g. "valgrind -q --error-exitcode=99"): run every test binary and the command under it.
if [ -n "${IL_VALGRIND:-}" ]; then
    wrap="$BUILD/initlab-valgrind"
    printf '#!/bin/sh\nexec %s "%s/initlab" "$@"\n' "$IL_VALGRIND" "$(cd "$BUILD" && pwd)" >"$wrap"
    chmod +x "$wrap"
    export INITLAB="$wrap"
fi
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t")
    ${IL_VALGRIND:-} "$t" >"$log" 2>&1
    status=$?
    runs=$(grep -c '^\[ RUN      \]' "$log")
    oks=$(grep -c '^\[       OK \]' "$log")
    bad=$((runs - oks))
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    passed=$((passed + oks))
    failed=$((failed + bad))
    if [ "$bad" -ne 0 ]; then
        echo "FAIL $name ($oks passed, $bad failed):"
        sed 's/^/    /' "$log"
    else
        echo "ok   $name ($oks tests)"
    fi
done
for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    sh "$t" >"$log" 2>&1
    status=$?
    oks=$(grep -c '^ok ' "$log")
    bad=$(grep -c '^not ok ' "$log")
    if [ "$status" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    passed=$((passed + oks))
    failed=$((failed + bad))
    if [ "$bad" -ne 0 ]; then
        echo "FAIL cli/$name ($oks passed, $bad failed):"
        grep -v '^ok ' "$log" | sed 's/^/    /'
    else
        echo "ok   cli/$name ($oks tests)"
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
