#!/bin/sh
# docs.sh: the doc check. Every command line that starts with `build/initlab ` or `initlab ` inside a
# ```sh fenced block of README.md or docs/*.md (and every `initlab` example of the man page, from the
# "# example: " lines of mk/man.sh) is run, with `initlab` and `build/initlab` mapped to $INITLAB, and must
# exit 0 and produce output (so must `python3 examples/read_output.py ...` lines, when python3 exists): its --out file (or FILE.png / FILE.svg for a figure) non-empty, or else
# non-empty standard output. The commands of one markdown file run in order in one temporary directory
# (so a later command can read what an earlier one wrote, and --out files land there), each under a
# time limit of DOC_TIMEOUT seconds; a command slower than SLOW_SECONDS is named in a "# slow" line.
# A line in a fence may be continued with a trailing backslash. A command marked with a trailing
# `# no-check` comment is skipped and listed as skipped: use it only for commands that cannot run here
# (never for initlab commands that should work). Then, if python3 exists, examples/read_output.py must
# read freshly written TSV and JSON files of every kind and refuse files that are not initlab's.
# The checker is checked first: on a fixture it must find exactly the commands it should, skip the
# marked one, and fail a command that exits non-zero and one that prints nothing.
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: BUILD (default build), INITLAB (default $BUILD/initlab); under IL_VALGRIND the doc commands
# run on $BUILD/initlab itself (they are a check of the documents, and some take 20000 draws).
# Run from the top of the tree: sh tests/cli/docs.sh
set -u
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
INITLAB=${INITLAB:-$BUILD/initlab}
if [ -n "${IL_VALGRIND:-}" ]; then
    INITLAB=$BUILD/initlab
fi
case $INITLAB in
/*) ;;
*) INITLAB=$PWD/$INITLAB ;;
esac
export INITLAB
TOP=$PWD

# A documented command is an example for people: it should finish in a few seconds. DOC_TIMEOUT only
# stops a runaway; SLOW_SECONDS is where a command gets named as slow.
DOC_TIMEOUT=60
SLOW_SECONDS=5

. "$(dirname "$0")/lib/tap.sh"

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-docs.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM

# extract FILE: the commands of FILE's ```sh fences, one per line: "LINE<TAB>run<TAB>COMMAND" or
# "LINE<TAB>skip<TAB>COMMAND" (marked # no-check). LINE is where the command starts. Fences may be
# indented (inside a list); their lines lose that indentation.
extract() {
    awk '
        function flush() {
            if (cmd != "") {
                c = cmd
                sub(/^[ \t]+/, "", c)
                if (c ~ /^(build\/)?initlab / || c ~ /^python3 examples\/read_output\.py /)
                    print start "\t" (c ~ /#[ \t]*no-check/ ? "skip" : "run") "\t" c
            }
            cmd = ""
        }
        /^[ \t]*```/ {
            if (!infence) { infence = 1; issh = ($0 ~ /^[ \t]*```sh[ \t]*$/) }
            else { flush(); infence = 0; issh = 0 }
            next
        }
        infence && issh {
            line = $0
            if (cmd == "") start = NR
            if (line ~ /\\$/) { sub(/\\$/, "", line); cmd = cmd line; next }
            cmd = cmd line
            flush()
        }
        END { flush() }' "$1"
}

# man_examples: the man page examples, in the same format (LINE is the line in mk/man.sh).
man_examples() {
    awk '/^# examples-begin/ { on = 1; next } /^# examples-end/ { on = 0 }
         on && /^# example: initlab / { c = $0; sub(/^# example: /, "", c); print NR "\trun\t" c }' mk/man.sh
}

# out_path COMMAND: the value of its --out (or --out=) option, or nothing.
out_path() {
    printf '%s\n' "$1" | awk '{
        for (i = 1; i <= NF; i++) {
            if ($i ~ /^#/) exit
            if ($i == "--out" && i < NF) { print $(i + 1); exit }
            if ($i ~ /^--out=/) { v = $i; sub(/^--out=/, "", v); print v; exit }
        }
    }'
}

# run_cmd DIR COMMAND PROG: runs COMMAND in DIR with its leading initlab or build/initlab replaced by
# PROG (and examples/ by the tree's). Returns 0 if it exited 0 and produced output; else 1 with the reason in $TMP/why. Leaves the
# elapsed seconds in $TMP/secs and the output in $TMP/out, $TMP/err.
run_cmd() {
    dir=$1
    cmd=$2
    prog=$3
    case $cmd in
    python3\ *)
        script="python3 \"\$IL_TOP/examples/read_output.py\"${cmd#python3 examples/read_output.py}"
        ;;
    *)
        rest=${cmd#build/}
        script="\"\$IL_PROG\"${rest#initlab}"
        ;;
    esac
    t0=$(date +%s%N)
    (cd "$dir" && IL_PROG="$prog" IL_TOP="$TOP" timeout "$DOC_TIMEOUT" sh -c "$script") >"$TMP/out" 2>"$TMP/err"
    st=$?
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1e9 }' >"$TMP/secs"
    if [ "$st" -ne 0 ]; then
        if [ "$st" -eq 124 ]; then
            echo "timed out after $DOC_TIMEOUT s" >"$TMP/why"
        else
            echo "exit status $st; stderr: $(head -c 400 "$TMP/err")" >"$TMP/why"
        fi
        return 1
    fi
    out=$(out_path "$cmd")
    if [ -n "$out" ] && [ "$out" != "-" ]; then
        for f in "$dir/$out" "$dir/$out.png" "$dir/$out.svg"; do
            [ -s "$f" ] && return 0
        done
        echo "--out '$out' was not written (or is empty)" >"$TMP/why"
        return 1
    fi
    if [ ! -s "$TMP/out" ]; then
        echo "exit status 0 but nothing on standard output" >"$TMP/why"
        return 1
    fi
    return 0
}

# ---- the checker, checked
mkdir -p "$TMP/fixture"
cat >"$TMP/fixture.md" <<'EOF'
Text that mentions initlab sim --widths 2,2 outside a fence is not run.

```sh
build/initlab sim --widths 2,2 --draws 10 --batch 2 --quiet
make check
  initlab theory --widths 2,2   # indented, and with a comment
initlab sim --widths 2,2 --draws 0
initlab sim --widths 2,2 \
    --draws 10 --quiet --out cont.tsv
initlab sim --no-such-option   # no-check (an example of the marker)
python3 examples/read_output.py cont.tsv
```

```console
initlab sim --widths 3,3
```
EOF
extract "$TMP/fixture.md" >"$TMP/fx"
got_run=$(awk -F '\t' '$2 == "run"' "$TMP/fx" | wc -l)
got_skip=$(awk -F '\t' '$2 == "skip"' "$TMP/fx" | wc -l)
if [ "$got_run" -eq 5 ] && [ "$got_skip" -eq 1 ] && grep -q "^8	run	initlab sim --widths 2,2     --draws 10 --quiet --out cont.tsv$" "$TMP/fx"; then
    ok "checker: finds the 5 commands of the fixture's sh fence (one continued), skips the no-check one"
else
    not_ok "checker: finds the 5 commands of the fixture's sh fence (one continued), skips the no-check one" \
        "found $got_run to run, $got_skip skipped:" "$(cat "$TMP/fx")"
fi
fx_fail=0
fx_bad=""
while IFS="	" read -r line mode cmd; do
    [ "$mode" = run ] || continue
    case $cmd in python3\ *) command -v python3 >/dev/null 2>&1 || continue ;; esac
    if ! run_cmd "$TMP/fixture" "$cmd" "$INITLAB"; then
        fx_fail=$((fx_fail + 1))
        fx_bad="$fx_bad [line $line: $(cat "$TMP/why")]"
    fi
done <"$TMP/fx"
if [ "$fx_fail" -eq 1 ] && printf '%s' "$fx_bad" | grep -q "line 7: exit status 2"; then
    ok "checker: exactly the failing fixture command (--draws 0, exit 2) fails"
else
    not_ok "checker: exactly the failing fixture command (--draws 0, exit 2) fails" "$fx_fail failed:$fx_bad"
fi
printf '#!/bin/sh\nexit 0\n' >"$TMP/silent"
chmod +x "$TMP/silent"
if ! run_cmd "$TMP/fixture" "initlab sim" "$TMP/silent" && grep -q "nothing on standard output" "$TMP/why" &&
    ! run_cmd "$TMP/fixture" "initlab sim --out none.tsv" "$TMP/silent" && grep -q "was not written" "$TMP/why"; then
    ok "checker: a command that exits 0 but writes nothing fails (standard output, and --out)"
else
    not_ok "checker: a command that exits 0 but writes nothing fails (standard output, and --out)"
fi

# ---- the documents
total=0
for md in README.md docs/*.md man; do
    if [ "$md" = man ]; then
        name="mk/man.sh (EXAMPLES)"
        man_examples >"$TMP/cmds"
    else
        [ -f "$md" ] || continue
        name=$md
        extract "$md" >"$TMP/cmds"
    fi
    work="$TMP/work/$(printf '%s' "$md" | tr '/ ' '__')"
    mkdir -p "$work"
    while IFS="	" read -r line mode cmd; do
        if [ "$mode" = skip ]; then
            echo "# skipped (no-check) $name:$line: $cmd"
            continue
        fi
        case $cmd in
        python3\ *)
            if ! command -v python3 >/dev/null 2>&1; then
                echo "# skipped (python3 not found) $name:$line: $cmd"
                continue
            fi
            ;;
        esac
        total=$((total + 1))
        if run_cmd "$work" "$cmd" "$INITLAB"; then
            secs=$(cat "$TMP/secs")
            ok "$name:$line: $cmd  ($secs s)"
            if awk -v s="$secs" -v lim="$SLOW_SECONDS" 'BEGIN { exit !(s > lim) }'; then
                echo "# slow: $name:$line takes $secs s (more than $SLOW_SECONDS s)"
            fi
        else
            not_ok "$name:$line: $cmd" "$(cat "$TMP/why")"
        fi
    done <"$TMP/cmds"
done
readme_cmds=$(extract README.md | awk -F '\t' '$2 == "run" && $3 ~ /initlab /' | wc -l)
if [ "$total" -ge 5 ] && [ "$readme_cmds" -ge 1 ]; then
    ok "found commands to check: $total in all, $readme_cmds in README.md"
else
    not_ok "found commands to check: $total in all, $readme_cmds in README.md (expected >= 5 and >= 1)"
fi

# ---- examples/read_output.py on fresh files of every kind
if command -v python3 >/dev/null 2>&1; then
    py="$TMP/py"
    mkdir -p "$py"
    (
        cd "$py" || exit 1
        set -e
        "$INITLAB" sim --widths 6,4,2 --draws 200 --batch 4 --post --quiet --out sim.tsv
        "$INITLAB" sim --widths 6,4,2 --draws 200 --batch 4 --format json --matrices --quiet --out sim.json
        "$INITLAB" sim --widths 4,3,5,2 --act identity --draws 3000 --batch 8 --compare --claim 'q*(n+1)/(3*n)' \
            --quiet --out compare.tsv
        "$INITLAB" sim --widths 4,3,5,2 --act identity --draws 3000 --batch 8 --compare --claim 'q*(n+1)/(3*n)' \
            --format json --quiet --out compare.json
        "$INITLAB" theory --widths 6,4,2 --out theory.tsv
        "$INITLAB" theory --widths 6,4,2 --format json --out theory.json
        "$INITLAB" theory --cmap --act tanh --out cmap.tsv
        "$INITLAB" theory --cmap --act tanh --format json --out cmap.json
        "$INITLAB" commute --act relu,sigmoid --p 0.5 --samples 1000 --out commute.tsv
        "$INITLAB" commute --act relu,sigmoid --p 0.5 --samples 1000 --format json --out commute.json
        "$INITLAB" commute --act relu --p 0.5 --samples 1000 --format table --out commute.txt
    ) >"$TMP/out" 2>"$TMP/err"
    if [ $? -ne 0 ]; then
        not_ok "initlab writes the files for read_output.py" "$(head -c 400 "$TMP/err")"
    else
        files="sim.tsv sim.json compare.tsv compare.json theory.tsv theory.json cmap.tsv cmap.json commute.tsv commute.json"
        # shellcheck disable=SC2086
        (cd "$py" && python3 "$TOP/examples/read_output.py" $files) >"$TMP/out" 2>"$TMP/err"
        st=$?
        missing=""
        for f in $files; do
            grep -q "^$f: initlab " "$TMP/out" || missing="$missing $f"
        done
        if [ "$st" -eq 0 ] && [ -z "$missing" ] && [ ! -s "$TMP/err" ] &&
            grep -q "claim 0.18519: refuted" "$TMP/out" && grep -q "sigmoid .* does-not-commute" "$TMP/out" &&
            grep -q "q\* = " "$TMP/out" && grep -q "with covariance matrix" "$TMP/out"; then
            ok "examples/read_output.py reads TSV and JSON of sim, sim --compare, theory, theory --cmap, commute"
        else
            not_ok "examples/read_output.py reads TSV and JSON of sim, sim --compare, theory, theory --cmap, commute" \
                "exit status $st; not summarised:$missing" "stderr: $(head -c 300 "$TMP/err")" \
                "stdout: $(head -c 1500 "$TMP/out")"
        fi
        printf 'layer\tq\n1\t0.5\n' >"$py/other.tsv"
        for bad in other.tsv commute.txt; do
            (cd "$py" && python3 "$TOP/examples/read_output.py" "$bad") >"$TMP/out" 2>"$TMP/err"
            st=$?
            if [ "$st" -eq 1 ] && grep -q "read_output.py: $bad: " "$TMP/err"; then
                ok "examples/read_output.py refuses $bad (exit 1, one line naming it)"
            else
                not_ok "examples/read_output.py refuses $bad (exit 1, one line naming it)" \
                    "exit status $st" "stderr: $(cat "$TMP/err")"
            fi
        done
    fi
else
    echo "# python3 not found: examples/read_output.py not checked"
fi

finish
