#!/bin/sh
# claims.sh: command-line tests of `initlab claims`: the default run (every claim of the issue present once with a
# verdict, the required columns, a correct statement wherever a claim is refuted or needs a condition, nothing
# borderline), determinism (the same bytes for one seed, whatever --threads), --id filtering (a claim's row does not
# depend on the other claims run), another seed, JSON, the table, --list, --out, --data-dir; and bad command lines
# (exit status 2, or 1 for runtime failures; exactly one stderr line starting with "initlab claims" that names the
# culprit; nothing on stdout; with --out FILE, nothing left behind).
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab); JSONCHECK (a built tests/jsoncheck.c; default $BUILD/tests/jsoncheck
# if up to date, else compiled into the scratch directory); IL_VALGRIND (set by make check-valgrind: the runs of
# every claim, about 10 s each natively, are replaced by runs of the claims without large Monte Carlo).
# Run from the top of the tree: sh tests/cli/claims.sh
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
REQUIRED_COLUMNS="id source verdict evidence correct_statement"
# Every claim of the issue.
IDS="S000-P1a S000-P1b S000-P1c S000-P1d S000-P1e S000-P1f S000-P1g S000-P1h S000-P1i S000-P2a S000-P2b S000-P3a
S000-P3b S001-P1a S001-P1b S001-P1c S001-P1d S001-P2a S001-P2b S001-P2c S001-P2d S001-P2e S001-P2f S001-P2g S001-P2h
S001-P3a S001-P3b S001-P3c S001-P3d S001-P4a S001-P4b S002-P1 S002-P2a S002-P2b S002-P2c S002-P2d S002-P3a S002-P3b
S002-P3c"
NIDS=39

. "$(dirname "$0")/lib/tap.sh"

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-claims.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
WORK=$TMP/work

IL_CMD="initlab claims"
. "$(dirname "$0")/lib/judges.sh"
equal() {
    why="got '$1', expected '$2'"
    [ "$1" = "$2" ]
}

# ---- TSV helpers ----
# col FILE NAME: the values of column NAME (one per data row).
col() {
    awk -F '\t' -v name="$2" '
        /^#/ { next }
        !hdr { for (i = 1; i <= NF; i++) if ($i == name) c = i; hdr = 1; next }
        c { print $c }' "$1"
}
# cell FILE ID NAME: one cell, by the row's id.
cell() {
    awk -F '\t' -v id="$2" -v name="$3" '
        /^#/ { next }
        !hdr { for (i = 1; i <= NF; i++) if ($i == name) c = i; hdr = 1; next }
        $1 == id { print $c }' "$1"
}
# row FILE ID: the whole data row of a claim.
row() {
    awk -F '\t' -v id="$2" '/^#/ { next } $1 == id { print }' "$1"
}

# ---- the default run ----
# Under valgrind, the claims without large Monte Carlo runs stand in for all of them.
ALL=
EXPECT_IDS=$(echo $IDS)
if [ -n "${IL_VALGRIND:-}" ]; then
    EXPECT_IDS=$(echo $IDS | tr ' ' '\n' | grep -v -e '^S000-P2' -e '^S001-P2' | paste -s -d ' ' -)
    ALL="--id $(echo $EXPECT_IDS | tr ' ' ',')"
fi
NEXPECT=$(echo $EXPECT_IDS | wc -w | tr -d ' ')
run claims $ALL --threads 1
cp "$TMP/out" "$TMP/all.tsv"
check "initlab claims (every claim, --threads 1): exit 0" status_is 0
check "initlab claims: nothing on stderr (no claim undecided or borderline)" stderr_empty
head -n 1 "$TMP/all.tsv" >"$TMP/first"
check "TSV: first line is the '# initlab VERSION claims' header" \
    sh -c 'grep -q "^# initlab [0-9][0-9.]* claims$" "$0"' "$TMP/first"
for key in seed claims ids; do
    check "TSV header records '$key'" sh -c 'grep -q "^# $1 = " "$0"' "$TMP/all.tsv" "$key"
done
check "TSV header: seed = 1 (the default)" sh -c 'grep -q "^# seed = 1$" "$0"' "$TMP/all.tsv"
cols=$(grep -v '^#' "$TMP/all.tsv" | head -n 1 | tr '\t' ' ' | cut -d ' ' -f 1-5)
check "TSV: the first columns are: $REQUIRED_COLUMNS" equal "$cols" "$REQUIRED_COLUMNS"
for c in margin borderline numbers test config seed data claim reading; do
    check "TSV: has the column '$c'" sh -c 'grep -v "^#" "$0" | head -n 1 | tr "\t" "\n" | grep -qx "$1"' \
        "$TMP/all.tsv" "$c"
done
rows=$(grep -v '^#' "$TMP/all.tsv" | tail -n +2 | wc -l | tr -d ' ')
check "TSV: one row per claim: $NEXPECT rows" equal "$rows" "$NEXPECT"
ncols=$(grep -v '^#' "$TMP/all.tsv" | awk -F '\t' '{ print NF }' | sort -u | wc -l | tr -d ' ')
check "TSV: every line has the same number of fields" equal "$ncols" 1
check "TSV: every id of the issue, once, in order" equal "$(col "$TMP/all.tsv" id | paste -s -d ' ' -)" \
    "$EXPECT_IDS"
bad=$(col "$TMP/all.tsv" verdict | grep -v -x -e holds -e refuted -e holds-with-caveat | head -n 1)
check "TSV: every verdict is holds, refuted or holds-with-caveat" equal "$bad" ""
nocorrect=$(awk -F '\t' '/^#/ { next } !h { h = 1; next } ($3 == "refuted" || $3 == "holds-with-caveat") && $5 == "" { print $1 }' \
    "$TMP/all.tsv" | head -n 3)
check "TSV: every refuted or caveated claim has a correct statement" equal "$nocorrect" ""
noevidence=$(awk -F '\t' '/^#/ { next } !h { h = 1; next } $4 == "" || $9 == "" || $10 == "" { print $1 }' "$TMP/all.tsv" | head -n 3)
check "TSV: every claim has evidence, a test and a configuration" equal "$noevidence" ""
check "TSV: no claim is borderline" equal "$(col "$TMP/all.tsv" borderline | sort -u)" no
lowmargin=$(awk -F '\t' '/^#/ { next } !h { h = 1; next } !($6 == "Inf" || $6 + 0 >= 2) { print $1 "=" $6 }' "$TMP/all.tsv")
check "TSV: every margin is at least 2 (or exact)" equal "$lowmargin" ""
check "TSV: every row records seed 1" equal "$(col "$TMP/all.tsv" seed | sort -u)" 1
# A few verdicts, as the checks compute them (derivations in docs/claims.md).
for pair in S000-P1a:refuted S000-P1i:holds S000-P3a:holds S000-P3b:refuted S001-P1a:holds-with-caveat \
    S001-P1b:holds S001-P2d:refuted S001-P2e:holds S001-P2f:holds-with-caveat S001-P2h:refuted \
    S001-P4a:holds-with-caveat S002-P1:holds S002-P2b:refuted S002-P2d:holds S002-P3c:holds; do
    id=${pair%%:*}
    case " $EXPECT_IDS " in *" $id "*) ;; *) continue ;; esac
    check "$id: ${pair#*:}" equal "$(cell "$TMP/all.tsv" "$id" verdict)" "${pair#*:}"
done
check "S001-P4a: the numbers give the counts with and without biases" \
    sh -c 'echo "$0" | grep -q "weights=212992;weights_and_biases=213504"' "$(cell "$TMP/all.tsv" S001-P4a numbers)"

# Determinism: the same bytes with another thread count.
run claims $ALL --threads 2
check "--threads 2: the same bytes as --threads 1" cmp -s "$TMP/out" "$TMP/all.tsv"

# --id: the rows of the selected claims, byte for byte as in the full run.
run claims --id S002-P1,S000-P1a --threads 1
cp "$TMP/out" "$TMP/two.tsv"
check "--id S002-P1,S000-P1a: exit 0" status_is 0
check "--id: two rows, in registry order" equal "$(col "$TMP/two.tsv" id | paste -s -d ' ' -)" "S000-P1a S002-P1"
check "--id: S000-P1a's row is the full run's" equal "$(row "$TMP/two.tsv" S000-P1a)" "$(row "$TMP/all.tsv" S000-P1a)"
check "--id: S002-P1's row is the full run's" equal "$(row "$TMP/two.tsv" S002-P1)" "$(row "$TMP/all.tsv" S002-P1)"
check "--id: the header records the ids" sh -c 'grep -q "^# ids = S002-P1,S000-P1a$" "$0"' "$TMP/two.tsv"
if [ -z "${IL_VALGRIND:-}" ]; then
    run claims --id 'S001-P2*' --threads 1
    check "--id 'S001-P2*': the eight claims of seed 001, problem 2" \
        equal "$(col "$TMP/out" id | paste -s -d ' ' -)" "S001-P2a S001-P2b S001-P2c S001-P2d S001-P2e S001-P2f S001-P2g S001-P2h"
    check "--id 'S001-P2*': S001-P2h's row is the full run's" equal "$(row "$TMP/out" S001-P2h)" "$(row "$TMP/all.tsv" S001-P2h)"
fi
run claims --id 'S001-P4*' --threads 1
check "--id 'S001-P4*': the two claims of seed 001, problem 4" equal "$(col "$TMP/out" id | paste -s -d ' ' -)" "S001-P4a S001-P4b"

# Another seed: other numbers, the same verdict.
run claims --id S000-P1a --seed 2
check "--seed 2: exit 0, verdict refuted" equal "$st:$(cell "$TMP/out" S000-P1a verdict)" "0:refuted"
check "--seed 2: other numbers" sh -c '[ "$0" != "$1" ]' "$(cell "$TMP/out" S000-P1a numbers)" \
    "$(cell "$TMP/all.tsv" S000-P1a numbers)"
check "--seed 2: recorded" equal "$(cell "$TMP/out" S000-P1a seed)" 2

# JSON, the table, --list.
JSONCHECK=${JSONCHECK:-}
if [ -z "$JSONCHECK" ]; then
    if [ -x "$BUILD/tests/jsoncheck" ] && [ ! "$ROOT/tests/jsoncheck.c" -nt "$BUILD/tests/jsoncheck" ]; then
        JSONCHECK=$BUILD/tests/jsoncheck
    else
        JSONCHECK=$TMP/jsoncheck
        cc -std=c11 -O2 -o "$JSONCHECK" "$ROOT/tests/jsoncheck.c" -ljansson 2>"$TMP/cc.err"
    fi
fi
run claims --id S000-P1a,S001-P4a,S002-P3a --format json
cp "$TMP/out" "$TMP/r.json"
if [ -x "$JSONCHECK" ]; then
    check "--format json: valid JSON" "$JSONCHECK" "$TMP/r.json"
    got=$("$JSONCHECK" "$TMP/r.json" command claims.length claims.0.id claims.0.verdict claims.1.verdict \
        claims.1.numbers.weights claims.2.margin summary.claims summary.refuted params.seed claims.0.seed | paste -s -d, -)
    check "--format json: command, claims, verdicts, numbers, margin, summary, seed" \
        equal "$got" "claims,3,S000-P1a,refuted,holds-with-caveat,212992,inf,3,1,1,1"
    check "--format json: the evidence and correct statement of S000-P1a" \
        sh -c '[ -n "$("$0" "$1" claims.0.evidence)" ] && "$0" "$1" claims.0.correct_statement | grep -q "(t - y)"' \
        "$JSONCHECK" "$TMP/r.json"
else
    not_ok "jsoncheck is built" "$(head -c 300 "$TMP/cc.err" 2>/dev/null)"
fi
run claims --id S002-P1,S000-P3b --format table
check "--format table: exit 0, both claims with their verdicts and the correct statement" \
    sh -c '[ "$0" -eq 0 ] && grep -q "^S002-P1  *holds " "$1" && grep -q "^S000-P3b  *refuted " "$1" && grep -q "correct:" "$1"' \
    "$st" "$TMP/out"
run claims --list
check "--list: exit 0, a column line and one line per claim" \
    equal "$st:$(head -n 1 "$TMP/out"):$(tail -n +2 "$TMP/out" | wc -l | tr -d ' ')" "0:$(printf 'id\tsource\tclaim\treading'):$NIDS"
check "--list: the ids in order" equal "$(tail -n +2 "$TMP/out" | cut -f 1 | paste -s -d ' ' -)" "$(echo $IDS)"
run claims --list --format json
if [ -x "$JSONCHECK" ]; then
    check "--list --format json: valid, $NIDS claims" equal "$("$JSONCHECK" "$TMP/out" claims.length 2>&1)" "$NIDS"
fi
run claims --help
check "--help: exit 0, lists --id, --seed, --format, --out, --list, --threads, --data-dir" \
    sh -c '[ "$0" -eq 0 ] && for o in id seed format out list threads data-dir; do grep -q -- "--$o" "$1" || exit 1; done' \
    "$st" "$TMP/out"

# --out gives the bytes of stdout; --data-dir writes the files the data column names.
run claims --id S002-P1,S000-P1a --threads 1 --out res.tsv
check "--out res.tsv: exit 0, nothing on stdout, the same bytes as stdout" \
    sh -c '[ "$0" -eq 0 ] && [ ! -s "$1" ] && cmp -s "$2" "$3"' "$st" "$TMP/out" "$WORK/res.tsv" "$TMP/two.tsv"
mkdir -p "$TMP/data"
run claims --id S000-P1a,S001-P1c --data-dir "$TMP/data"
data=$(col "$TMP/out" data | tr ',' '\n' | sort -u | paste -s -d ' ' -)
check "--data-dir: data files named" equal "$data" "S000-P1a.tsv S001-P1-commute.tsv S001-P1c-curve.tsv"
missing=
for f in $data; do [ -s "$TMP/data/$f" ] || missing="$missing $f"; done
check "--data-dir: every named file exists and is not empty" equal "$missing" ""
check "--data-dir: the data directory is recorded" sh -c 'grep -q "^# data_dir = " "$0"' "$TMP/out"
run claims --id S000-P1a
check "without --data-dir the data column is empty" equal "$(cell "$TMP/out" S000-P1a data)" ""

# ---- bad command lines ----
one_case() {
    args=$1 want_st=$2 want_sub=$3
    label=$(printf "%s" "initlab claims $args" | cut -c 1-90)
    eval "set -- $args"
    run claims "$@"
    check "$label: exit status $want_st" status_is "$want_st"
    check "$label: one stderr line naming $want_sub" stderr_names "$want_sub"
    check "$label: nothing on stdout" stdout_empty
    case " $args " in
    *" --out "*) check "$label: no output or temporary file left" work_empty; return 0 ;;
    esac
    run claims --out res.tsv "$@"
    if status_is "$want_st" && work_empty; then
        ok "$label: with --out res.tsv: exit $want_st, nothing left"
    else
        not_ok "$label: with --out res.tsv: exit $want_st, nothing left" "$why"
        show
    fi
}

while IFS= read -r line; do
    case $line in
    '' | '#'*) continue ;;
    esac
    args=${line%% | *}
    rest=${line#* | }
    one_case "$args" "${rest%% | *}" "${rest#* | }"
done <<'EOF'
# --id: unknown ids are all named, with the known ones listed.
--id bogus | 2 | unknown claim id & 'bogus' & known: S000-P1a
--id S000-P1a,nope,S9* | 2 | unknown claim ids & 'nope' & 'S9*'
--id s000-p1a | 2 | 's000-p1a'
--id '' | 2 | --id
--id S000-P1a, | 2 | --id & empty
--id ,S000-P1a | 2 | --id & empty
--id S000-P1a --id S002-P1 | 2 | --id & more than once
# --seed, --format, --threads.
--seed -1 | 2 | --seed
--seed abc | 2 | --seed & abc
--seed 18446744073709551616 | 2 | --seed
--seed 1.5 | 2 | --seed
--format csv | 2 | --format & csv
--threads 0 | 2 | --threads
--threads 257 | 2 | --threads
--threads x | 2 | --threads
# --list takes no run options; --data-dir must exist.
--list --seed 3 | 2 | --seed & --list
--list --id S000-P1a | 2 | --id & --list
--list --format table | 2 | --list & table
--data-dir /nonexistent/dir | 2 | --data-dir & /nonexistent/dir
--data-dir '' | 2 | --data-dir
--progress --quiet | 2 | --progress & --quiet
# The option parser.
--bogus | 2 | --bogus
extra | 2 | extra
--seed | 2 | --seed
--list=1 | 2 | --list
# Output that cannot be created: a runtime failure (exit 1).
--id S002-P1 --out nodir/res.tsv | 1 | --out & nodir/res.tsv
EOF

# The judges can fail: a successful run fails the error judges, and a wrong verdict is caught.
run claims --id S002-P1 --out res.tsv
if ! status_is 2 && ! stderr_names "--id" && ! work_empty; then
    ok "the judges reject a successful run (status, stderr, leftover file)"
else
    not_ok "the judges reject a successful run (status, stderr, leftover file)"
fi
run claims --id S002-P1
if ! stdout_empty && ! equal "$(cell "$TMP/out" S002-P1 verdict)" refuted; then
    ok "the judges reject output on stdout and a wrong verdict"
else
    not_ok "the judges reject output on stdout and a wrong verdict"
fi

finish
