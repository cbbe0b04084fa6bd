# tap.sh: the test-line harness shared by the command tests in tests/cli (sourced, not run).
# ok DESC / not_ok DESC [DIAGNOSTIC LINE...] print "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics),
# which tests/run.sh counts; finish prints the plan and a summary and exits 1 if any check failed.
n=0
nfail=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    nfail=$((nfail + 1))
    echo "not ok $n - $1"
    shift
    for d in "$@"; do
        printf '#     %s\n' "$d"
    done
}
finish() {
    echo "1..$n"
    [ "$nfail" -eq 0 ] && echo "# all $n checks passed" || echo "# $nfail of $n checks failed"
    [ "$nfail" -eq 0 ]
    exit $?
}
