#!/bin/sh
# sim_errors.sh: golden tests of how initlab refuses bad command lines (the table below).
#
# Each case is run twice, in an empty scratch directory: as written, then (for `initlab sim ...`) with
# `--out res.tsv` put right after `sim`. Checks, one TAP line each:
#   - the exit status (2 for usage errors, 1 for runtime failures);
#   - standard error is exactly one line, starting with "initlab", holding every expected substring
#     (the option it names) and no "(null)";
#   - nothing on standard output;
#   - with --out FILE: the same status, and neither FILE nor FILE.tmp.* (nothing at all) is left.
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab). Run from the top of the tree: sh tests/cli/sim_errors.sh
set -u
LC_ALL=C
export LC_ALL

INITLAB=${INITLAB:-build/initlab}
case $INITLAB in
/*) ;;
*) INITLAB=$PWD/$INITLAB ;;
esac

. "$(dirname "$0")/lib/tap.sh"

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-sim-errors.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
WORK=$TMP/work # the scratch directory every case runs in; it must be left empty

# run ARGS...: runs initlab in a fresh, empty $WORK; sets st, and the files $TMP/out and $TMP/err.
run() {
    rm -rf "$WORK" && mkdir "$WORK" || exit 1
    (cd "$WORK" && exec "$INITLAB" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null)
    st=$?
}

# The judges: each returns 0 if the last run passes, else 1 with the reason in $why.
status_is() {
    why="exit status $st, expected $1"
    [ "$st" -eq "$1" ]
}
# stderr_names "SUB1 & SUB2 & ...": one line, "initlab" first, every substring, no "(null)".
stderr_names() {
    lines=$(wc -l <"$TMP/err")
    line=$(head -n 1 "$TMP/err")
    why="stderr has $lines line(s), expected one naming: $1"
    [ "$lines" -eq 1 ] && [ "$(wc -c <"$TMP/err")" -eq $((${#line} + 1)) ] || return 1
    case $line in
    initlab*) ;;
    *) why="stderr does not start with 'initlab'"; return 1 ;;
    esac
    case $line in
    *"(null)"*) why="stderr prints a null string"; return 1 ;;
    esac
    rest=$1
    while [ -n "$rest" ]; do
        sub=${rest%% & *}
        if [ "$sub" = "$rest" ]; then rest=; else rest=${rest#* & }; fi
        case $line in
        *"$sub"*) ;;
        *) why="stderr does not mention '$sub'"; return 1 ;;
        esac
    done
}
stdout_empty() {
    why="$(wc -c <"$TMP/out") bytes on stdout"
    [ ! -s "$TMP/out" ]
}
work_empty() {
    left=$(ls -A "$WORK")
    why="left in the directory: $(echo $left)"
    [ -z "$left" ]
}

# diag: the last run's stderr and stdout, as diagnostic lines for not_ok.
show() {
    set -- "got exit status $st"
    while IFS= read -r l; do set -- "$@" "stderr: $l"; done <"$TMP/err"
    while IFS= read -r l; do [ -z "$l" ] || set -- "$@" "stdout: $l"; done <<EOF
$(head -n 3 "$TMP/out")
EOF
    for d in "$@"; do
        printf '#     %s\n' "$d"
    done
}

# check DESC JUDGE [ARG]: one TAP line for one judge of the last run.
check() {
    desc=$1
    shift
    if "$@"; then
        ok "$desc"
    else
        not_ok "$desc" "$why"
        show
    fi
}

# one_case ARGS EXPECTED_STATUS SUBSTRINGS
one_case() {
    args=$1 want_st=$2 want_sub=$3
    label=$(printf "%s" "initlab ${args:-(no arguments)}" | cut -c 1-90)
    eval "set -- $args"
    run "$@"
    check "$label: exit status $want_st" status_is "$want_st"
    check "$label: one stderr line naming $want_sub" stderr_names "$want_sub"
    check "$label: nothing on stdout" stdout_empty
    [ "${1:-}" = sim ] || return 0
    case " $args " in
    *" --out "* | *" --out="*)
        # The case writes to a file of its own: nothing may be left of it.
        check "$label: no output or temporary file left" work_empty
        return 0
        ;;
    esac
    shift
    run sim --out res.tsv "$@"
    if status_is "$want_st" && work_empty; then
        ok "$label: with --out res.tsv: exit $want_st, neither res.tsv nor res.tsv.tmp.* left"
    else
        not_ok "$label: with --out res.tsv: exit $want_st, neither res.tsv nor res.tsv.tmp.* left" "$why"
        show
    fi
}

# The catalogue: ARGS (shell words, evaluated) | EXPECTED EXIT STATUS | SUBSTRINGS of the stderr line,
# joined by " & ". Cases that could run a simulation if wrongly accepted carry small sizes.
while IFS= read -r row; do
    case $row in
    '' | '#'*) continue ;;
    esac
    args=${row%% | *}
    rest=${row#* | }
    one_case "$args" "${rest%% | *}" "${rest#* | }"
done <<'EOF'
# The top-level command. With no command: one line saying a command is needed (not the whole usage).
 | 2 | command
foo | 2 | unknown command & foo
--bogus | 2 | --bogus
# --widths: zero, negative, non-numeric, empty, overflowing, one width only, stray commas, blanks.
sim --widths 0,4 | 2 | --widths & '0'
sim --widths 4,0 | 2 | --widths
sim --widths=-1,4 | 2 | --widths & -1
sim --widths -3,4 | 2 | --widths
sim --widths a,4 | 2 | --widths
sim --widths 4,4.5 | 2 | --widths
sim --widths '' | 2 | --widths
sim --widths 2147483648,4 | 2 | --widths
sim --widths 99999999999999999999999,4 | 2 | --widths
sim --widths 4 | 2 | --widths & two
sim --widths 4,4, | 2 | --widths
sim --widths ,4,4 | 2 | --widths
sim --widths '4, 4' | 2 | --widths
# --dropout: the probability must be in [0, 1).
sim --dropout 1 | 2 | --dropout & [0, 1)
sim --dropout -0.1 | 2 | --dropout
sim --dropout nan | 2 | --dropout
sim --dropout inf | 2 | --dropout
sim --dropout 1e999 | 2 | --dropout
sim --dropout 0.5x | 2 | --dropout & 0.5x
sim --dropout '' | 2 | --dropout
# --act: unknown names and malformed parameters.
sim --act foo | 2 | --act & foo
sim --act relu:1 | 2 | --act & relu:1
sim --act elu:0 | 2 | --act
sim --act elu:-1 | 2 | --act
sim --act hardtanh:2:1 | 2 | --act
sim --act leaky_relu:abc | 2 | --act
sim --act leaky_relu: | 2 | --act
# --init and --bias-init.
sim --init foo | 2 | --init & foo
sim --init kaiming_normal:mode=fan_mid | 2 | --init & fan_mid
sim --init kaiming_normal:nonlinearity=foo | 2 | --init & foo
sim --init normal:std=-1 | 2 | --init & std
sim --init normal:std=nan | 2 | --init & std
sim --init uniform:lo=1,hi=0 | 2 | --init & lo
sim --init xavier_uniform:gain=0 | 2 | --init & gain
sim --init torch:x=1 | 2 | --init & 'x'
sim --init kaiming_normal: | 2 | --init
sim --init normal:std=1, | 2 | --init
sim --init normal:std | 2 | --init
# An argument the initializer does not take must not be silently dropped (torch raises TypeError).
sim --widths 4,4 --draws 2 --batch 2 --init kaiming_normal:gain=2 | 2 | --init & gain
sim --bias-init orthogonal | 2 | --bias-init & orthogonal
sim --bias-init normal:std=-1 | 2 | --bias-init
# Choices.
sim --dropout-mode foo | 2 | --dropout-mode & foo
sim --dropout-at foo | 2 | --dropout-at & foo
sim --input foo | 2 | --input & foo
sim --format foo | 2 | --format & foo
sim --format TSV | 2 | --format
# Counts and the seed.
sim --draws 0 | 2 | --draws
sim --draws=-1 | 2 | --draws
sim --draws 1e3 | 2 | --draws
sim --draws '' | 2 | --draws
sim --batch 0 | 2 | --batch
sim --batch 10000001 | 2 | --batch
sim --threads 0 | 2 | --threads
sim --threads 1000 | 2 | --threads
sim --cov-limit 0 | 2 | --cov-limit
sim --cov-limit 1025 | 2 | --cov-limit
sim --seed -1 | 2 | --seed
sim --seed 18446744073709551616 | 2 | --seed
sim --seed 0x10 | 2 | --seed
sim --seed +1 | 2 | --seed
# Options that need or exclude others.
sim --matrices | 2 | --matrices & --format json
sim --format tsv --matrices | 2 | --matrices
sim --progress --quiet | 2 | --progress & --quiet
sim --widths 4,4,4 --batchnorm --batch 1 | 2 | --batch
sim --batch autox | 2 | --batch & auto
sim --batch AUTO | 2 | --batch & auto
sim --widths 4,4 --act identity --exact --fixed-net | 2 | --exact & --fixed-net
sim --widths 4,4 --act identity --exact --float32 | 2 | --exact & --float32
sim --widths 4,4 --act identity --exact --batch auto | 2 | --exact & --batch
sim --widths 4,4,4 --act relu --exact | 2 | --exact & linear
sim --widths 4,4,4 --act identity --dropout 0.1 --exact | 2 | --exact
sim --widths 4,4 --act identity --input uniform --exact | 2 | --exact
# --arch specs.
sim --arch linear:4 | 2 | --arch & input
sim --arch '' | 2 | --arch
sim --arch input:4,linear:0 | 2 | --arch & linear:0
sim --arch input:0,linear:4 | 2 | --arch & input:0
sim --arch input:4,foo,linear:4 | 2 | --arch & foo
sim --arch 'input:4,res(linear:4,relu' | 2 | --arch & res(
sim --arch 'input:4,res(linear:4,res(linear:4),relu)' | 2 | --arch & nested
sim --arch 'input:4,linear:4)' | 2 | --arch & )
sim --arch 'input:4,res(linear:8,relu),linear:2' | 2 | --arch & width
sim --arch input:4,linear:4,dropconnect:0.5 | 2 | --arch & dropconnect
sim --arch input:4,linear:4,dropout:1 | 2 | --arch & dropout
sim --arch input:4,linear:4,,relu | 2 | --arch
sim --arch input:4,linear:4 --widths 4,4 | 2 | --arch & --widths
sim --arch input:4,linear:4 --act tanh | 2 | --arch & --act
sim --arch input:4,linear:4 --residual | 2 | --arch & --residual
# --input-var: one value or N0 values, each finite and > 0.
sim --widths 4,4 --input-var 1,2 | 2 | --input-var & 1,2
sim --widths 4,4 --input-var 0 | 2 | --input-var
sim --widths 4,4 --input-var -1 | 2 | --input-var
sim --widths 4,4 --input-var nan | 2 | --input-var
sim --widths 4,4 --input-var 1,,1,1 | 2 | --input-var
sim --arch input:3,linear:2 --input-var 1,2 | 2 | --input-var
# The option parser.
sim --bogus | 2 | --bogus
sim -x | 2 | -x
sim extra | 2 | extra
sim --draws 3 --draws 4 | 2 | --draws & more than once
sim --draws | 2 | --draws & value
sim --post=1 | 2 | --post & no value
sim --quiet=yes | 2 | --quiet
# Runs that would need more memory than the machine has are refused before they start.
sim --widths 1000000,1000000 | 2 | GiB & --widths
sim --batch 10000000 --widths 100000,100000 | 2 | GiB & --batch
# Output that cannot be created: a runtime failure, naming the option and the path.
sim --widths 4,4 --draws 2 --batch 2 --out nodir/res.tsv | 1 | --out & nodir/res.tsv
# A run that overflows fails (exit 1) and writes nothing.
sim --widths 4,4,4 --draws 2 --batch 2 --init normal:std=1e200 | 1 | non-finite & layer
EOF

# Output onto an existing directory: the rename fails; the temporary must be removed.
rm -rf "$WORK" && mkdir -p "$WORK/adir" && (cd "$WORK" && exec "$INITLAB" sim --widths 4,4 --draws 2 --batch 2 --out adir \
    >"$TMP/out" 2>"$TMP/err" </dev/null)
st=$?
check "initlab sim --out DIR (an existing directory): exit status 1" status_is 1
check "initlab sim --out DIR: one stderr line naming the path" stderr_names adir
if [ "$(ls -A "$WORK")" = adir ] && [ -z "$(ls -A "$WORK/adir")" ]; then
    ok "initlab sim --out DIR: no temporary file left"
else
    not_ok "initlab sim --out DIR: no temporary file left" "left: $(cd "$WORK" && echo $(ls -A . adir))"
fi

# A full disk on standard output is a runtime failure.
if [ -w /dev/full ]; then
    (cd "$TMP" && exec "$INITLAB" sim --widths 4,4 --draws 2 --batch 2 >/dev/full 2>"$TMP/err" </dev/null)
    st=$?
    : >"$TMP/out"
    check "initlab sim >/dev/full: exit status 1" status_is 1
    check "initlab sim >/dev/full: one stderr line naming standard output" stderr_names "standard output"
fi

# The judges can fail: a run that succeeds and writes its output must fail every one of them.
run sim --widths 2,2 --draws 2 --batch 2 --quiet --out res.tsv
if ! status_is 2 && ! stderr_names "--widths" && ! work_empty; then
    ok "the judges reject a successful run (status, stderr, leftover file)"
else
    not_ok "the judges reject a successful run (status, stderr, leftover file)"
fi
run sim --widths 2,2 --draws 2 --batch 2 --quiet
if ! stdout_empty; then
    ok "the judges reject output on stdout"
else
    not_ok "the judges reject output on stdout"
fi
printf 'initlab sim: two\nlines\n' >"$TMP/err"
if ! stderr_names "two"; then
    ok "the judges reject two lines on stderr"
else
    not_ok "the judges reject two lines on stderr"
fi

finish
