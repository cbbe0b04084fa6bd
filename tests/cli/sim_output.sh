#!/bin/sh
# sim_output.sh: golden tests of what `initlab sim` writes: the TSV layout (header, columns, one row
# per layer and point, numbers that parse), determinism (the same bytes for any --threads; different
# seeds give different numbers; --out gives the bytes of stdout), the JSON document (checked with
# tests/jsoncheck.c), the help texts, and that every initializer and activation is accepted.
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab); JSONCHECK (a built tests/jsoncheck.c; default
# $BUILD/tests/jsoncheck if it is up to date, else it is compiled into the scratch directory).
# Run from the top of the tree: sh tests/cli/sim_output.sh
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

# Summary statistics against the matrices they summarise (means of at most 100 x 100 entries, all
# O(1)): rounding stays below 1e-12 relative, so a larger gap is a different formula, not noise.
TOL_SUMMARY=1e-12

# Options of `initlab sim`, as documented: --help must list exactly these (and --help itself).
SIM_OPTIONS="widths act last-act init bias-init no-bias dropout dropout-mode dropout-at eval residual
batchnorm arch input input-var draws batch float32 exact fixed-net post cov-limit seed threads format matrices out
compare claim claim-q0 alpha rel-tol checkpoint checkpoint-every resume stop-after plot progress quiet"
# Parameters every TSV header carries for a --widths network (input_var only when given).
TSV_PARAMS="seed draws batch fixed_net widths act last_act bias dropout dropout_at residual batchnorm
dropout_mode init bias_init mode input cov_limit se"
# Columns a TSV must have, at least.
TSV_COLUMNS="layer point width mean mean_se q q_se var_within var_between offdiag_mean offdiag_se"

. "$(dirname "$0")/lib/tap.sh"
# check DESC CMD...: ok if CMD succeeds, else not ok with $why (set by the judges below).
check() {
    desc=$1
    shift
    why=
    if "$@"; then
        ok "$desc"
    else
        not_ok "$desc" ${why:+"$why"}
    fi
}

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-sim-output.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
cd "$TMP" || exit 1

# --- Judges: each returns 0 or sets $why and returns 1. --------------------------------------------

# runto FILE ARGS...: initlab ARGS with stdout to FILE and stderr to FILE.err; sets st.
runto() {
    f=$1
    shift
    "$INITLAB" "$@" >"$f" 2>"$f.err" </dev/null
    st=$?
}
# ran_ok FILE: the run that wrote FILE exited 0 with nothing on stderr.
ran_ok() {
    why="exit status $st, stderr: $(head -c 300 "$1.err")"
    [ "$st" -eq 0 ] && [ ! -s "$1.err" ]
}
same_bytes() {
    why="$1 and $2 differ: $(diff "$1" "$2" | head -n 3 | cut -c 1-160 | tr '\n' '|')"
    cmp -s "$1" "$2"
}
# equal GOT WANT [WHAT]
equal() {
    why="${3:-value}: got '$1', expected '$2'"
    [ "$1" = "$2" ]
}
has_line() { # has_line FILE EXTENDED-REGEX
    why="no line matching /$2/ in $1"
    grep -Eq -- "$2" "$1"
}
# cols FILE: the column line of a TSV; data FILE: its data rows.
cols() { grep -v '^#' "$1" | head -n 1; }
data() { grep -v '^#' "$1" | tail -n +2; }
# col FILE NAME: column NAME of every data row, one per line ("MISSING" if there is no such column).
col() {
    awk -F '\t' -v name="$2" '/^#/ { next }
        !h { for (i = 1; i <= NF; i++) if ($i == name) c = i; h = 1; next }
        { print (c ? $c : "MISSING") }' "$1"
}
# col_list FILE NAME: the same, comma-joined.
col_list() { col "$1" "$2" | paste -s -d, -; }

# tsv_layout FILE: '#' lines first (at least one), then one column line starting "layer", then data
# rows with as many fields as the column line; no blank or '#' line after the header.
tsv_layout() {
    why=$(awk -F '\t' '
        /^#/ { if (stage > 0) { print "line " NR ": a # line after the header"; exit } nh++; next }
        stage == 0 { if (nh == 0) { print "no # header"; exit }
                     if ($1 != "layer") { print "line " NR ": column line does not start with layer"; exit }
                     nc = NF; stage = 1; next }
        /^$/ { print "line " NR ": blank line"; exit }
        NF != nc { print "line " NR ": " NF " fields, the column line has " nc; exit }
        END { if (stage == 0 && !bad) print "no column line" }' "$1")
    [ -z "$why" ]
}
# tsv_numbers FILE: every data field but "point" is a finite decimal number.
tsv_numbers() {
    why=$(awk -F '\t' '/^#/ { next }
        !h { for (i = 1; i <= NF; i++) name[i] = $i; h = 1; next }
        { for (i = 1; i <= NF; i++) {
              if (name[i] == "point") continue
              if ($i !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) {
                  print "line " NR " column " name[i] ": \"" $i "\" is not a number"; exit } } }' "$1")
    [ -z "$why" ]
}
# tsv_sane FILE: standard errors, q and the variances are >= 0, and q >= mean^2 (a mean square is
# at least the square of the mean, over the same samples).
tsv_sane() {
    why=$(awk -F '\t' '/^#/ { next }
        !h { for (i = 1; i <= NF; i++) c[$i] = i; h = 1; next }
        { for (k in c) if ((k ~ /_se$|_sd$/ || k == "q" || k ~ /^var/) && $c[k] < 0) {
              print "line " NR ": " k " = " $c[k] " < 0"; exit }
          m = $c["mean"]; if ($c["q"] < m * m * (1 - 1e-12)) { print "line " NR ": q < mean^2"; exit } }' "$1")
    [ -z "$why" ]
}
# no_timing FILE: no column looks like a time, a date or a duration.
no_timing() {
    bad=$(cols "$1" | tr '\t' '\n' | grep -Ei 'time|elapsed|sec|wall|clock|date|duration' | paste -s -d' ' -)
    why="timing columns: $bad"
    [ -z "$bad" ]
}
# rows_differ A B: no data row of A equals the corresponding row of B.
rows_differ() {
    data "$1" >"$TMP/rd.a"
    data "$2" >"$TMP/rd.b"
    same=$(paste -d '\n' "$TMP/rd.a" "$TMP/rd.b" | awk 'NR % 2 { a = $0; next } $0 == a { n++ } END { print n + 0 }')
    why="$same identical data rows"
    [ "$same" -eq 0 ] && [ -s "$TMP/rd.a" ]
}
# same_data A B: the data rows (not the '#' header) of A and B are identical, and there are some.
same_data() {
    data "$1" >"$TMP/sd.a"
    data "$2" >"$TMP/sd.b"
    why="data rows differ: $(diff "$TMP/sd.a" "$TMP/sd.b" | head -2 | tr '\n' ' ')"
    cmp -s "$TMP/sd.a" "$TMP/sd.b" && [ -s "$TMP/sd.a" ]
}

# --- Version and help ----------------------------------------------------------------------------

runto version.txt --version
check "initlab --version: exit 0, nothing on stderr" ran_ok version.txt
VERSION=$(sed -n 's/^initlab \([0-9][0-9]*\.[0-9][0-9]*\.[0-9][^ ]*\)$/\1/p' version.txt)
if [ -n "$VERSION" ] && [ "$(wc -l <version.txt)" -eq 1 ]; then
    ok "initlab --version prints one line 'initlab X.Y.Z' ($VERSION)"
else
    not_ok "initlab --version prints one line 'initlab X.Y.Z'" "got: $(head -c 200 version.txt)"
    VERSION=unknown-version
fi

runto help.txt --help
check "initlab --help: exit 0, nothing on stderr" ran_ok help.txt
check "initlab --help: a usage line" has_line help.txt '^usage: initlab '
check "initlab --help: lists the sim command" has_line help.txt '^  sim '
check "initlab --help: mentions --version" has_line help.txt '--version'
runto help-h.txt -h
check "initlab -h prints the same as --help" same_bytes help-h.txt help.txt

runto simhelp.txt sim --help
check "initlab sim --help: exit 0, nothing on stderr" ran_ok simhelp.txt
check "initlab sim --help: starts with 'usage: initlab sim'" has_line simhelp.txt '^usage: initlab sim'
for opt in $SIM_OPTIONS; do
    check "initlab sim --help documents --$opt" has_line simhelp.txt "^  --$opt( |\$)"
done
extra=
for opt in $(sed -n 's/^  --\([a-z][a-z0-9-]*\).*/\1/p' simhelp.txt); do
    case " $(echo $SIM_OPTIONS) help " in
    *" $opt "*) ;;
    *) extra="$extra --$opt" ;;
    esac
done
check "initlab sim --help documents no option missing from this test's list" equal "$extra" "" "options"
runto simhelp-h.txt sim -h
check "initlab sim -h prints the same as --help" same_bytes simhelp-h.txt simhelp.txt
long=$(awk 'length($0) > 100' simhelp.txt | head -n 1)
check "initlab sim --help: lines fit in 100 columns" equal "$long" "" "long line"

# --- TSV layout ----------------------------------------------------------------------------------

R1="sim --widths 6,8,5,3 --draws 40 --batch 8 --seed 7 --act tanh --dropout 0.1 --input-var 2 --threads 2 --quiet"
runto r1.tsv $R1
check "TSV run: exit 0, nothing on stderr" ran_ok r1.tsv
check "TSV: '#' header, one column line, rows as wide as the columns" tsv_layout r1.tsv
first=$(head -n 1 r1.tsv)
case $first in
"#"*initlab*"$VERSION"*) ok "TSV: the first line names initlab and its version" ;;
*) not_ok "TSV: the first line names initlab and its version" "got: $first" ;;
esac
check "TSV: header records '# seed = 7'" has_line r1.tsv '^# seed = 7$'
for p in $TSV_PARAMS input_var; do
    check "TSV: header records the parameter $p" has_line r1.tsv "^# $p = ."
done
hv() { sed -n "s/^# $1 = //p" r1.tsv | head -n 1; }
check "TSV: header draws = 40" equal "$(hv draws)" 40 draws
check "TSV: header batch = 8" equal "$(hv batch)" 8 batch
check "TSV: header widths = 6,8,5,3" equal "$(hv widths)" 6,8,5,3 widths
check "TSV: header act = tanh" equal "$(hv act)" tanh act
# Numbers are printed with %.17g: 0.1 may read 0.10000000000000001, the same double.
dropout=$(hv dropout)
if awk -v v="$dropout" 'BEGIN { exit !(v + 0 == 0.1) }'; then
    ok "TSV: header dropout = 0.1 (as a double)"
else
    not_ok "TSV: header dropout = 0.1 (as a double)" "got '$dropout'"
fi
check "TSV: header input_var = 2" equal "$(hv input_var)" 2 input_var
check "TSV: header mode = train" equal "$(hv mode)" train mode
check "TSV: the header does not record --threads (the output does not depend on it)" \
    sh -c '! grep -q "^# threads" r1.tsv'
for c in $TSV_COLUMNS; do
    case "	$(cols r1.tsv)	" in
    *"	$c	"*) ok "TSV: column $c" ;;
    *) not_ok "TSV: column $c" "columns: $(cols r1.tsv)" ;;
    esac
done
check "TSV: one row per layer (3)" equal "$(data r1.tsv | wc -l | tr -d ' ')" 3 rows
check "TSV: layer column 1,2,3" equal "$(col_list r1.tsv layer)" 1,2,3 layer
check "TSV: width column 8,5,3" equal "$(col_list r1.tsv width)" 8,5,3 width
check "TSV: point column pre,pre,pre" equal "$(col_list r1.tsv point)" pre,pre,pre point
check "TSV: every data field (but point) is a finite number" tsv_numbers r1.tsv
check "TSV: standard errors, q, variances >= 0 and q >= mean^2" tsv_sane r1.tsv
check "TSV: no timing column" no_timing r1.tsv
runto r1-again.tsv $R1
check "TSV: a second identical run gives identical bytes (no time or date anywhere)" same_bytes r1-again.tsv r1.tsv

runto r1-post.tsv $R1 --post
check "TSV --post: exit 0" ran_ok r1-post.tsv
check "TSV --post: layout" tsv_layout r1-post.tsv
check "TSV --post: one row per layer and point (6)" equal "$(data r1-post.tsv | wc -l | tr -d ' ')" 6 rows
col r1-post.tsv layer >"$TMP/pl"
col r1-post.tsv point >"$TMP/pp"
pairs=$(paste -d: "$TMP/pl" "$TMP/pp" | sort | paste -s -d, -)
check "TSV --post: each of layers 1-3 once as pre and once as post" equal "$pairs" \
    "1:post,1:pre,2:post,2:pre,3:post,3:pre" "layer:point pairs"
check "TSV --post: numbers parse" tsv_numbers r1-post.tsv
grep -v '^#' r1-post.tsv | awk -F '\t' 'NR == 1 || $2 == "pre"' >"$TMP/post-pre"
grep -v '^#' r1.tsv >"$TMP/nopost"
check "TSV --post: the pre rows are those of the run without --post" same_bytes "$TMP/post-pre" "$TMP/nopost"

runto arch.tsv sim --arch 'input:5,linear:7,relu,dropout:0.2,res(linear:7,tanh),linear:2' --draws 20 --batch 4 --quiet
check "TSV --arch: exit 0" ran_ok arch.tsv
check "TSV --arch: the header records the spec" has_line arch.tsv \
    '^# arch = input:5,linear:7,relu,dropout:0\.2,res\(linear:7,tanh\),linear:2$'
check "TSV --arch: one row per linear layer, widths 7,7,2" equal "$(col_list arch.tsv width)" 7,7,2 width
runto eval.tsv sim --widths 4,6,3 --draws 10 --batch 4 --eval --fixed-net --quiet
check "TSV --eval --fixed-net: exit 0" ran_ok eval.tsv
check "TSV --eval: header mode = eval" has_line eval.tsv '^# mode = eval$'
check "TSV --fixed-net: header fixed_net = 1" has_line eval.tsv '^# fixed_net = 1$'
check "TSV --fixed-net: the header says the standard errors are conditional" has_line eval.tsv '^# se = .*conditional'

# --- Determinism ---------------------------------------------------------------------------------

B0="sim --widths 8,16,16,4 --draws 48 --batch 6 --quiet"
B="$B0 --seed 11"
det() { # det NAME ARGS...: the same bytes for --threads 1, 2 and 4
    name=$1
    shift
    runto "det-$name-1.out" "$@" --threads 1
    if [ "$st" -ne 0 ]; then
        not_ok "determinism ($name): the run succeeds" "exit $st: $(head -c 200 "det-$name-1.out.err")"
        return
    fi
    for t in 2 4; do
        runto "det-$name-$t.out" "$@" --threads "$t"
        check "determinism ($name): --threads $t gives the bytes of --threads 1" \
            same_bytes "det-$name-$t.out" "det-$name-1.out"
    done
}
det plain $B
det dropout $B --dropout 0.3
det post $B --post
det fixed-net $B --fixed-net
det wide sim --widths 10,100,5 --draws 24 --batch 4 --seed 11 --quiet
det wide-post-fixed sim --widths 10,100,5 --draws 24 --batch 4 --seed 11 --quiet --post --fixed-net
det dropconnect-bn-res $B --dropout 0.2 --dropout-mode dropconnect --batchnorm --residual
det json-matrices sim --widths 3,70,5 --draws 24 --batch 4 --seed 11 --quiet --format json --matrices
det float32 $B --float32
det float32-wide-post sim --widths 10,100,5 --draws 24 --batch 4 --seed 11 --quiet --post --float32
det exact sim --widths 8,16,16,4 --act identity --draws 48 --seed 11 --quiet --exact
check "--float32: the header says so" has_line det-float32-1.out '^# precision = float32'
check "--float32: the numbers differ from the float64 run's (rounding)" rows_differ det-float32-1.out det-plain-1.out
check "--exact: the header names the estimator" has_line det-exact-1.out '^# estimator = exact conditional'
runto exact-batch.out sim --widths 8,16,16,4 --act identity --draws 48 --seed 11 --quiet --exact --batch 3 --threads 1
check "--exact: --batch does not change the numbers" same_data exact-batch.out det-exact-1.out
runto auto.out sim --widths 8,16,16,4 --draws 48 --seed 11 --batch auto --threads 2
check "--batch auto: exit 0" equal "$st" 0 "exit status"
check "--batch auto: the header records the chosen batch and the plan" has_line auto.out '^# batch_plan = auto: '
check "--batch auto: the choice is reported on stderr" has_line auto.out.err 'batch auto chose B = [0-9]+'
check "determinism: the wide layer (100) is wider than the default --cov-limit (64)" \
    has_line det-wide-1.out '^# cov_limit = 64$'

runto seed12.out $B0 --seed 12 --threads 2
check "different seeds: exit 0" ran_ok seed12.out
check "different seeds (11, 12): every data row differs" rows_differ seed12.out det-plain-1.out
check "different seeds: the header records seed = 12" has_line seed12.out '^# seed = 12$'

# --- --out ---------------------------------------------------------------------------------------

mkdir outdir
runto outdir/stdout.txt $B --threads 2 --out outdir/res.tsv
check "--out FILE: exit 0, nothing on stderr" ran_ok outdir/stdout.txt
check "--out FILE: nothing on stdout" equal "$(wc -c <outdir/stdout.txt | tr -d ' ')" 0 "bytes on stdout"
check "--out FILE: the bytes of standard output" same_bytes outdir/res.tsv det-plain-1.out
check "--out FILE: no temporary file left" equal "$(cd outdir && echo *)" "res.tsv stdout.txt stdout.txt.err" files
runto outdir/res.tsv.2 $B --threads 2 --out outdir/res.tsv
check "--out FILE over an existing file: replaced by the same bytes" same_bytes outdir/res.tsv det-plain-1.out
runto dash.out $B --out -
check "--out - writes to standard output" same_bytes dash.out det-plain-1.out
runto outdir/json.stdout $B --format json --out outdir/res.json
runto res.json $B --format json
check "--out FILE with --format json: the bytes of standard output" same_bytes outdir/res.json res.json

# --- JSON ----------------------------------------------------------------------------------------

JSONCHECK=${JSONCHECK:-}
if [ -z "$JSONCHECK" ]; then
    if [ -x "$BUILD/tests/jsoncheck" ] && [ ! "$ROOT/tests/jsoncheck.c" -nt "$BUILD/tests/jsoncheck" ]; then
        JSONCHECK=$BUILD/tests/jsoncheck
    else
        JSONCHECK=$TMP/jsoncheck
        cc -std=c11 -O2 -o "$JSONCHECK" "$ROOT/tests/jsoncheck.c" -ljansson 2>"$TMP/cc.err"
    fi
fi
if [ ! -x "$JSONCHECK" ]; then
    not_ok "jsoncheck is built" "$(head -c 300 "$TMP/cc.err" 2>/dev/null)"
    finish
fi
J=$JSONCHECK

json_valid() {
    why=$("$J" "$1" 2>&1)
    [ -z "$why" ]
}
# jq1 FILE PATH: one value, or "<missing>".
jq1() { "$J" "$1" "$2" 2>/dev/null || echo "<missing>"; }

# The checker can fail: invalid JSON, a duplicate key, a missing path.
printf '{"a": [1, 2' >bad.json
printf '{"a": 1, "a": 2}' >dup.json
printf '{"a": [1, {"b": "x"}]}' >good.json
check "jsoncheck rejects truncated JSON" sh -c '! "$0" bad.json 2>/dev/null' "$J"
check "jsoncheck rejects a duplicate key" sh -c '! "$0" dup.json 2>/dev/null' "$J"
check "jsoncheck rejects a missing path" sh -c '! "$0" good.json a.2 2>/dev/null' "$J"
check "jsoncheck reads a.1.b and a.length" equal "$("$J" good.json a.1.b a.length | paste -s -d, -)" x,2

R1J="$R1 --format json"
runto r1.json $R1J
check "JSON run: exit 0, nothing on stderr" ran_ok r1.json
check "JSON: valid (jsoncheck parses it)" json_valid r1.json
check "JSON: tool = initlab" equal "$(jq1 r1.json tool)" initlab tool
check "JSON: version = $VERSION" equal "$(jq1 r1.json version)" "$VERSION" version
check "JSON: command = sim" equal "$(jq1 r1.json command)" sim command
check "JSON: params.seed = 7" equal "$(jq1 r1.json params.seed)" 7 params.seed
check "JSON: params.draws = 40" equal "$(jq1 r1.json params.draws)" 40 params.draws
check "JSON: params.widths = 6,8,5,3" equal "$(jq1 r1.json params.widths)" 6,8,5,3 params.widths
missing=
for p in $TSV_PARAMS input_var; do
    "$J" r1.json "params.$p" >/dev/null 2>&1 || missing="$missing $p"
done
check "JSON: params has every parameter of the TSV header" equal "$missing" "" "missing params"
check "JSON: layers is an array of 3" equal "$(jq1 r1.json layers.length)" 3 layers.length
check "JSON: layers[].width = 8,5,3" equal \
    "$("$J" r1.json layers.0.width layers.1.width layers.2.width | paste -s -d, -)" 8,5,3 widths
# Every TSV column of every row equals the JSON value (both print doubles at full precision).
: >"$TMP/mismatch"
names=$(cols r1.tsv | tr '\t' ' ')
i=0
data r1.tsv | while IFS= read -r row; do
    paths=
    for c in $names; do paths="$paths layers.$i.$c"; done
    # shellcheck disable=SC2086
    "$J" r1.json $paths >"$TMP/jvals" 2>&1
    printf '%s\n' "$row" | tr '\t' '\n' >"$TMP/tvals"
    echo "$names" | tr ' ' '\n' | paste - "$TMP/tvals" "$TMP/jvals" |
        awk -F '\t' -v r="$i" '$2 != $3 { print "layers." r "." $1 ": tsv " $2 ", json " $3 }' >>"$TMP/mismatch"
    i=$((i + 1))
done
check "JSON: every layer's values equal the TSV row of the same run" equal "$(head -n 3 "$TMP/mismatch" | paste -s -d';' -)" "" mismatches

runto r1-post.json $R1J --post
check "JSON --post: layers is an array of 6" equal "$(jq1 r1-post.json layers.length)" 6 layers.length

# --matrices: for a layer no wider than --cov-limit, cov and cov_se are symmetric width x width
# matrices, unit_mean has width entries, and the scalar summaries are their means.
runto mat.json sim --widths 3,5,4 --draws 30 --batch 4 --seed 3 --quiet --format json --matrices --post
check "JSON --matrices: exit 0" ran_ok mat.json
check "JSON --matrices: valid" json_valid mat.json
nl=$(jq1 mat.json layers.length)
check "JSON --matrices --post: 4 layers" equal "$nl" 4 layers.length
l=0
while [ "$l" -lt "${nl:-0}" ] 2>/dev/null; do
    w=$(jq1 mat.json "layers.$l.width")
    pt=$(jq1 mat.json "layers.$l.point")
    what="layers.$l ($pt, width $w)"
    check "JSON --matrices: $what cov has $w rows" equal "$(jq1 mat.json "layers.$l.cov.length")" "$w" cov.length
    check "JSON --matrices: $what cov_se has $w rows" equal "$(jq1 mat.json "layers.$l.cov_se.length")" "$w" cov_se.length
    check "JSON --matrices: $what unit_mean has $w entries" equal "$(jq1 mat.json "layers.$l.unit_mean.length")" "$w" \
        unit_mean.length
    for m in cov cov_se; do
        paths=
        r=0
        while [ "$r" -lt "$w" ]; do
            paths="$paths layers.$l.$m.$r.length"
            c=0
            while [ "$c" -lt "$w" ]; do
                paths="$paths layers.$l.$m.$r.$c"
                c=$((c + 1))
            done
            r=$((r + 1))
        done
        # shellcheck disable=SC2086
        "$J" mat.json $paths >"$TMP/m" 2>&1
        why=$(awk -v w="$w" '
            { k = NR - 1; r = int(k / (w + 1)); c = k % (w + 1) - 1
              if (c < 0) { if ($0 != w) { print "row " r " has " $0 " entries"; bad = 1; exit } next }
              x[r, c] = $0 }
            END { if (bad) exit; if (NR != w * (w + 1)) { print NR " values for " w "x" w; exit }
                  for (r = 0; r < w; r++) { if (x[r, r] + 0 < 0) { print "diagonal " r " < 0"; exit }
                      for (c = 0; c < r; c++) if (x[r, c] != x[c, r]) { print "[" r "][" c "] != [" c "][" r "]"; exit } } }' "$TMP/m")
        if [ -z "$why" ]; then
            ok "JSON --matrices: $what $m is a symmetric $w x $w matrix, diagonal >= 0"
        else
            not_ok "JSON --matrices: $what $m is a symmetric $w x $w matrix, diagonal >= 0" "$why"
        fi
    done
    # var, offdiag_mean and mean against the diagonal, the off-diagonal and unit_mean.
    paths="layers.$l.var layers.$l.offdiag_mean layers.$l.mean"
    i=0
    while [ "$i" -lt "$w" ]; do
        paths="$paths layers.$l.unit_mean.$i"
        j=0
        while [ "$j" -lt "$w" ]; do paths="$paths layers.$l.cov.$i.$j"; j=$((j + 1)); done
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    "$J" mat.json $paths >"$TMP/s" 2>&1
    why=$(awk -v w="$w" -v tol="$TOL_SUMMARY" '
        function bad(name, a, b) { d = a - b; if (d < 0) d = -d; s = (a < 0 ? -a : a) + scale
                                   if (d > tol * s) { printf "%s: summary %.17g, from the matrix %.17g\n", name, a, b; exit 1 } }
        NR == 1 { var = $0; next } NR == 2 { off = $0; next } NR == 3 { mean = $0; next }
        { k = NR - 4; i = int(k / (w + 1)); j = k % (w + 1)
          if (j == 0) { um += $0; next }
          j--; a = ($0 < 0 ? -$0 : $0); if (a > scale) scale = a
          if (i == j) diag += $0; else offs += $0 }
        END { if (NR != 3 + w * (w + 1)) { print NR " values"; exit }
              bad("var", var, diag / w)
              if (w > 1) bad("offdiag_mean", off, offs / (w * (w - 1)))
              bad("mean", mean, um / w) }' "$TMP/s")
    desc="JSON --matrices: $what var, offdiag_mean and mean are the means of the matrix entries"
    if [ -z "$why" ]; then ok "$desc"; else not_ok "$desc" "$why"; fi
    l=$((l + 1))
done

# A layer wider than --cov-limit keeps its summaries: no cov matrix, and "var" is still the scalar
# (the help: "wider layers keep the diagonal and off-diagonal summaries").
runto wide.json sim --widths 3,6,2 --cov-limit 4 --draws 10 --batch 4 --quiet --format json --matrices
check "JSON --matrices, width 6 > --cov-limit 4: exit 0" ran_ok wide.json
check "JSON --matrices, width 6 > --cov-limit 4: no cov matrix" equal "$(jq1 wide.json layers.0.cov.type)" "<missing>" cov
case $(jq1 wide.json layers.0.var.type) in
real | integer) ok "JSON --matrices, width 6 > --cov-limit 4: var is still a number" ;;
*) not_ok "JSON --matrices, width 6 > --cov-limit 4: var is still a number" \
    "layers.0.var is $(jq1 wide.json layers.0.var | cut -c 1-80)" ;;
esac
check "JSON --matrices, width 2 <= --cov-limit 4: a 2 x 2 cov" equal "$(jq1 wide.json layers.1.cov.length)" 2 cov.length

# --- Accepted inputs: every initializer, bias initializer and activation runs ---------------------

accepts() { # accepts ARGS...: exit 0, nothing on stderr, two data rows
    runto acc.out sim --widths 4,6,3 --draws 4 --batch 2 --quiet "$@"
    if [ "$st" -eq 0 ] && [ ! -s acc.out.err ] && [ "$(data acc.out | wc -l)" -eq 2 ]; then
        ok "initlab sim $* runs"
    else
        not_ok "initlab sim $* runs" "exit $st: $(head -c 200 acc.out.err)"
    fi
}
for init in torch kaiming_uniform kaiming_normal:nonlinearity=relu kaiming_normal:mode=fan_out,a=0.1 \
    xavier_uniform xavier_normal:gain=2 lecun_normal orthogonal orthogonal:gain=1.5 normal:mean=0,std=0.5 \
    uniform:lo=-1,hi=1 zeros constant:value=0.1; do
    accepts --init "$init"
done
for binit in torch zeros constant:value=0.5 normal:std=0.1 uniform:lo=0,hi=1; do
    accepts --bias-init "$binit"
done
for act in identity relu leaky_relu leaky_relu:0.2 prelu:0.25 abs sigmoid tanh gelu elu elu:0.5 selu softplus \
    softplus:2:10 silu relu6 hardtanh hardtanh:-2:2; do
    accepts --act "$act"
done

finish
