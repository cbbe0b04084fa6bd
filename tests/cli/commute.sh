#!/bin/sh
# commute.sh: command-line tests of `initlab commute`: good runs (the TSV layout and the verdicts of
# the seed's activations, edge cases p = 0 and classic p = 1, a p grid, activations with parameters,
# JSON and the table, --out giving the bytes of stdout, the same bytes for any --threads), and bad
# command lines (exit status 2, or 1 for runtime failures; exactly one stderr line starting with
# "initlab commute" that names the option; nothing on stdout; with --out FILE, no FILE or temporary
# left behind).
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab); JSONCHECK (a built tests/jsoncheck.c; default
# $BUILD/tests/jsoncheck if up to date, else compiled into the scratch directory).
# Run from the top of the tree: sh tests/cli/commute.sh
set -u
LC_ALL=C
export LC_ALL

INITLAB=${INITLAB:-build/initlab}
case $INITLAB in
/*) ;;
*) INITLAB=$PWD/$INITLAB ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$PWD/$BUILD ;;
esac

# Columns the issue requires, first and in this order.
REQUIRED_COLUMNS="activation p kind verdict criterion pathwise_max_diff ks_p counterexample"
# Small runs: 3000 inputs per pool keep each run well under a second.
SMALL="--samples 3000 --seed 7"

. "$(dirname "$0")/lib/tap.sh"

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-commute.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
WORK=$TMP/work

IL_CMD="initlab commute"
. "$(dirname "$0")/lib/judges.sh"

# ---- TSV helpers ----
# col FILE NAME: the values of column NAME (one per data row).
col() {
    awk -F '\t' -v name="$2" '
        /^#/ { next }
        !hdr { for (i = 1; i <= NF; i++) if ($i == name) c = i; hdr = 1; next }
        c { print $c }' "$1"
}
# cell FILE ACT P KIND NAME: one cell, by the row's activation, p and kind.
cell() {
    awk -F '\t' -v a="$2" -v p="$3" -v k="$4" -v name="$5" '
        /^#/ { next }
        !hdr { for (i = 1; i <= NF; i++) if ($i == name) c = i; hdr = 1; next }
        $1 == a && $2 + 0 == p + 0 && $3 == k { print $c }' "$1"
}
equal() {
    why="got '$1', expected '$2'"
    [ "$1" = "$2" ]
}

# ---- good runs ----
run commute $SMALL --act relu,leaky_relu,sigmoid,tanh --p 0.1,0.5
cp "$TMP/out" "$TMP/main.tsv"
check "initlab commute (4 activations x 2 p x 2 kinds): exit 0" status_is 0
check "initlab commute: nothing on stderr" stderr_empty
head -n 1 "$TMP/main.tsv" >"$TMP/first"
check "TSV: first line is the '# initlab VERSION commute' header" \
    sh -c 'grep -q "^# initlab [0-9][0-9.]* commute$" "$0"' "$TMP/first"
for key in seed samples activations p kinds alpha tol ulps stack_widths stack_act stack_init inputs; do
    check "TSV header records '$key'" sh -c 'grep -q "^# $1 = " "$0"' "$TMP/main.tsv" "$key"
done
cols=$(grep -v '^#' "$TMP/main.tsv" | head -n 1 | tr '\t' ' ' | cut -d ' ' -f 1-8)
check "TSV: the first columns are: $REQUIRED_COLUMNS" equal "$cols" "$REQUIRED_COLUMNS"
rows=$(grep -v '^#' "$TMP/main.tsv" | tail -n +2 | wc -l | tr -d ' ')
check "TSV: one row per (activation, p, kind): 16 rows" equal "$rows" 16
ncols=$(grep -v '^#' "$TMP/main.tsv" | awk -F '\t' '{ print NF }' | sort -u | paste -s -d, -)
check "TSV: every line has the same number of fields" sh -c '[ "$(echo "$0" | tr -cd , | wc -c)" -eq 0 ]' "$ncols"
bad_verdicts=$(col "$TMP/main.tsv" verdict | grep -v -x -e commutes -e does-not-commute | head -n 1)
check "TSV: verdicts are 'commutes' or 'does-not-commute'" equal "$bad_verdicts" ""
# The seed's claims (derived in docs/commute.md): relu and leaky relu commute with both kinds,
# sigmoid with neither (sigmoid(0) != 0), tanh only with classic dropout (tanh(0) = 0, not homogeneous).
for p in 0.1 0.5; do
    for k in inverted classic; do
        check "relu p=$p $k: commutes" equal "$(cell "$TMP/main.tsv" relu $p $k verdict)" commutes
        check "leaky_relu p=$p $k: commutes" equal "$(cell "$TMP/main.tsv" leaky_relu:0.01 $p $k verdict)" commutes
        check "sigmoid p=$p $k: does-not-commute" equal "$(cell "$TMP/main.tsv" sigmoid $p $k verdict)" \
            does-not-commute
        check "sigmoid p=$p $k: counterexample with a dropped unit" \
            equal "$(cell "$TMP/main.tsv" sigmoid $p $k counterexample)" "y=1,m=0"
    done
    check "tanh p=$p inverted: does-not-commute" equal "$(cell "$TMP/main.tsv" tanh $p inverted verdict)" \
        does-not-commute
    check "tanh p=$p classic: commutes" equal "$(cell "$TMP/main.tsv" tanh $p classic verdict)" commutes
    check "relu p=$p inverted: pathwise_max_diff 0" equal "$(cell "$TMP/main.tsv" relu $p inverted pathwise_max_diff)" 0
    check "relu p=$p inverted: counterexample none" equal "$(cell "$TMP/main.tsv" relu $p inverted counterexample)" none
done
check "sigmoid p=0.5 inverted: the KS test rejects (ks_p < 1e-10)" \
    sh -c 'awk "BEGIN { exit !($0 < 1e-10) }"' "$(cell "$TMP/main.tsv" sigmoid 0.5 inverted ks_p)"
check "no row's levels disagree" equal "$(col "$TMP/main.tsv" levels | grep -c -x disagree)" 0

# --out gives the bytes of stdout; the thread count does not change them.
run commute $SMALL --act relu,leaky_relu,sigmoid,tanh --p 0.1,0.5 --threads 1 --out res.tsv
check "--out res.tsv: exit 0, nothing on stdout" sh -c '[ "$0" -eq 0 ] && [ ! -s "$1" ]' "$st" "$TMP/out"
check "--out res.tsv --threads 1: the same bytes as stdout with all threads" cmp -s "$WORK/res.tsv" "$TMP/main.tsv"
run commute $SMALL --act relu,leaky_relu,sigmoid,tanh --p 0.1,0.5 --threads 3
check "--threads 3: the same bytes" cmp -s "$TMP/out" "$TMP/main.tsv"
run commute --samples 3000 --seed 8 --act relu,leaky_relu,sigmoid,tanh --p 0.1,0.5
check "another --seed gives other numbers" sh -c '! cmp -s "$0" "$1"' "$TMP/out" "$TMP/main.tsv"

# Edge cases: p = 0 commutes for everything; classic p = 1 is decided by phi(0) alone.
run commute $SMALL --act sigmoid,softplus,relu --p 0 --kind inverted,classic
cp "$TMP/out" "$TMP/p0.tsv"
check "--p 0: exit 0" status_is 0
check "--p 0: every row commutes" equal "$(col "$TMP/p0.tsv" verdict | sort -u)" commutes
check "--p 0: no pathwise difference" equal "$(col "$TMP/p0.tsv" pathwise_max_diff | sort -u)" 0
run commute $SMALL --act sigmoid,relu,hardtanh:0.5:2 --p 1 --kind classic
cp "$TMP/out" "$TMP/p1.tsv"
check "--p 1 --kind classic: exit 0" status_is 0
check "classic p=1: relu commutes" equal "$(cell "$TMP/p1.tsv" relu 1 classic verdict)" commutes
check "classic p=1: sigmoid does not" equal "$(cell "$TMP/p1.tsv" sigmoid 1 classic verdict)" does-not-commute
check "classic p=1: hardtanh:0.5:2 (0 outside [0.5, 2]) does not" \
    equal "$(cell "$TMP/p1.tsv" hardtanh:0.5:2 1 classic verdict)" does-not-commute

# A grid of p, activations with parameters, 'all'.
run commute $SMALL --act leaky_relu:0.2,elu:0.5,elu:2 --p 0:0.3:0.1 --kind inverted
cp "$TMP/out" "$TMP/grid.tsv"
check "--p 0:0.3:0.1: exit 0" status_is 0
check "--p 0:0.3:0.1: four p values per activation" equal "$(col "$TMP/grid.tsv" p | sort -u | paste -s -d, -)" \
    "0,0.10000000000000001,0.20000000000000001,0.29999999999999999"
check "leaky_relu:0.2 commutes at every p" equal "$(grep '^leaky_relu' "$TMP/grid.tsv" | cut -f 4 | sort -u)" commutes
check "elu:0.5 at p=0.2 (inverted) does not commute" \
    equal "$(cell "$TMP/grid.tsv" elu:0.5 0.20000000000000001 inverted verdict)" does-not-commute
check "elu:2 at p=0 commutes" equal "$(cell "$TMP/grid.tsv" elu:2 0 inverted verdict)" commutes
run commute --samples 500 --act all --p 0.5 --kind classic
check "--act all: exit 0 and one row per activation of the engine (14)" \
    equal "$st:$(grep -v '^#' "$TMP/out" | tail -n +2 | wc -l | tr -d ' ')" "0:14"

# JSON and the table.
JSONCHECK=${JSONCHECK:-}
if [ -z "$JSONCHECK" ]; then
    if [ -x "$BUILD/tests/jsoncheck" ] && [ ! "$ROOT/tests/jsoncheck.c" -nt "$BUILD/tests/jsoncheck" ]; then
        JSONCHECK=$BUILD/tests/jsoncheck
    else
        JSONCHECK=$TMP/jsoncheck
        cc -std=c11 -O2 -o "$JSONCHECK" "$ROOT/tests/jsoncheck.c" -ljansson 2>"$TMP/cc.err"
    fi
fi
run commute $SMALL --act relu,sigmoid --p 0.3 --format json
cp "$TMP/out" "$TMP/r.json"
if [ -x "$JSONCHECK" ]; then
    check "--format json: valid JSON" "$JSONCHECK" "$TMP/r.json"
    got=$("$JSONCHECK" "$TMP/r.json" command rows.length rows.0.activation rows.0.verdict rows.2.verdict \
        rows.2.criterion.counterexample.m rows.2.distribution.status params.seed | paste -s -d, -)
    check "--format json: command, rows, verdicts, counterexample, status, seed" \
        equal "$got" "commute,4,relu,commutes,does-not-commute,0,differ,7"
else
    not_ok "jsoncheck is built" "$(head -c 300 "$TMP/cc.err" 2>/dev/null)"
fi
run commute $SMALL --act relu,sigmoid --p 0.3 --format table
check "--format table: exit 0, both verdicts and the test-time table" \
    sh -c '[ "$0" -eq 0 ] && grep -q "does-not-commute" "$1" && grep -q " commutes " "$1" && grep -q "^Test time" "$1"' \
    "$st" "$TMP/out"
run commute --help
check "--help: exit 0, lists --act, --p, --kind, --samples, --seed, --format, --out, --widths" \
    sh -c '[ "$0" -eq 0 ] && for o in act p kind samples seed format out widths; do grep -q -- "--$o " "$1" || exit 1; done' \
    "$st" "$TMP/out"

# ---- bad command lines ----
# one_case ARGS STATUS SUBSTRINGS: as written, then with --out res.tsv (nothing may be left).
one_case() {
    args=$1 want_st=$2 want_sub=$3
    label=$(printf "%s" "initlab commute $args" | cut -c 1-90)
    eval "set -- $args"
    run commute "$@"
    check "$label: exit status $want_st" status_is "$want_st"
    check "$label: one stderr line naming $want_sub" stderr_names "$want_sub"
    check "$label: nothing on stdout" stdout_empty
    case " $args " in
    *" --out "*) check "$label: no output or temporary file left" work_empty; return 0 ;;
    esac
    run commute --out res.tsv "$@"
    if status_is "$want_st" && work_empty; then
        ok "$label: with --out res.tsv: exit $want_st, nothing left"
    else
        not_ok "$label: with --out res.tsv: exit $want_st, nothing left" "$why"
        show
    fi
}

while IFS= read -r row; do
    case $row in
    '' | '#'*) continue ;;
    esac
    args=${row%% | *}
    rest=${row#* | }
    one_case "$args" "${rest%% | *}" "${rest#* | }"
done <<'EOF'
# p = 1 with inverted dropout (the default kinds include it): refused, saying why.
--p 1 | 2 | --p 1 & inverted & 1/(1-p)
--p 0.5,1 --kind inverted | 2 | --p 1 & inverted
--p 0.9:1:0.1 | 2 | --p 1 & inverted
# --p: out of range, malformed, duplicated, bad grids.
--p 1.5 | 2 | --p & 1.5
--p -0.1 | 2 | --p
--p abc | 2 | --p & abc
--p '' | 2 | --p
--p 0.1,,0.2 | 2 | --p
--p 0.1, | 2 | --p
--p nan | 2 | --p
--p 0.1,0.1 | 2 | --p & twice
--p 0:1 | 2 | --p & LO:HI:STEP
--p 0.5:0.1:0.1 | 2 | --p & LO <= HI
--p 0:1:0 | 2 | --p & STEP > 0
--p 0:0.5:1e-9 | 2 | --p & more than
--p 0:0.5:x | 2 | --p
# --act and --kind.
--act foo | 2 | --act & foo
--act relu:1 | 2 | --act & relu:1
--act elu:0 | 2 | --act & elu:0
--act hardtanh:2:1 | 2 | --act
--act '' | 2 | --act
--act relu,,tanh | 2 | --act
--act relu, | 2 | --act
--kind dropconnect | 2 | --kind & dropconnect
--kind foo | 2 | --kind & foo
--kind inverted,inverted | 2 | --kind & twice
--kind '' | 2 | --kind
--kind inverted,classic,inverted | 2 | --kind
# Sizes, seed, levels, format.
--samples 0 | 2 | --samples
--samples 99 | 2 | --samples & 99
--samples 1e5 | 2 | --samples
--samples 100000001 | 2 | --samples
--seed -1 | 2 | --seed
--seed 18446744073709551616 | 2 | --seed
--alpha 0 | 2 | --alpha
--alpha 0.5 | 2 | --alpha
--tol 0 | 2 | --tol
--tol 1.5 | 2 | --tol
--ulps -1 | 2 | --ulps
--threads 0 | 2 | --threads
--format csv | 2 | --format & csv
# The stack.
--widths 4 | 2 | --widths
--widths 0,4 | 2 | --widths
--widths 4,4, | 2 | --widths
--stack-act foo | 2 | --stack-act & foo
--init foo | 2 | --init & foo
--init normal:std=-1 | 2 | --init & std
--bias-init orthogonal | 2 | --bias-init
--input foo | 2 | --input & foo
--widths 4,4 --input-var 1,2 | 2 | --input-var
--widths 4,4 --input-var 0 | 2 | --input-var
# The option parser.
--bogus | 2 | --bogus
extra | 2 | extra
--act relu --act tanh | 2 | --act & more than once
--samples | 2 | --samples
--no-bias=1 | 2 | --no-bias
# Too much memory: refused before anything is drawn.
--samples 100000000 --threads 256 | 2 | GiB & --samples
# Output that cannot be created, and a stack that overflows: runtime failures (exit 1).
--samples 200 --act relu --p 0.5 --out nodir/res.tsv | 1 | --out & nodir/res.tsv
--samples 200 --act relu --p 0.5 --widths 4,4,4 --init normal:std=1e200 | 1 | non-finite
EOF

# The judges can fail: a successful run fails the error judges.
run commute --samples 200 --act relu --p 0.5 --out res.tsv
if ! status_is 2 && ! stderr_names "--p" && ! work_empty; then
    ok "the judges reject a successful run (status, stderr, leftover file)"
else
    not_ok "the judges reject a successful run (status, stderr, leftover file)"
fi
run commute --samples 200 --act relu --p 0.5
if ! stdout_empty && ! equal "$(col "$TMP/out" verdict)" does-not-commute; then
    ok "the judges reject output on stdout and a wrong verdict"
else
    not_ok "the judges reject output on stdout and a wrong verdict"
fi

finish
