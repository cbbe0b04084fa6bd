#!/bin/sh
# fluct.sh: `initlab fluct` end to end: the exact theory column against the closed form computed
# here, agreement with the simulation, bit-identical output for any thread count, the between/within
# split, the method labels, JSON, and refusal of bad command lines (exit 2, one line, nothing
# written).
INITLAB=${INITLAB:-build/initlab}
case "$INITLAB" in /*) ;; *) INITLAB="$(pwd)/$INITLAB" ;; esac
ROOT=$(pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
ok() { echo "ok $*"; }
bad() { echo "not ok $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# col FILE NAME: the values of column NAME in the data rows of a TSV written by initlab
col() { awk -F'\t' -v n="$2" '/^#/ {next} !h {for (i = 1; i <= NF; i++) if ($i == n) c = i; h = 1; next} {print $c}' "$1"; }

# ReLU, He (Gaussian) weights, no bias, Rademacher inputs: m2_ratio_l = (1 + 5/n)^(l-1) (1 + 2/n)
HE="--widths 10,10,10,10 --act relu --init kaiming_normal:nonlinearity=relu --no-bias --input rademacher"
"$INITLAB" fluct $HE --draws 20000 --seed 3 --threads 1 >a.tsv 2>err; s=$?
check "exit 0, nothing on stderr" "[ $s -eq 0 ] && [ ! -s err ]"
for c in layer width method m2_ratio m2_ratio_se m2_ratio_theory z p verdict se_kind m2_ratio_mf kurt kurt_se \
    kurt_theory var var_between var_between_se var_within between_frac; do
    check "column $c" "head -40 a.tsv | grep -v '^#' | head -1 | tr '\t' '\n' | grep -qx $c"
done
check "one row per layer" "[ \$(col a.tsv layer | wc -l) -eq 3 ]"
want=$(awk 'BEGIN { for (l = 1; l <= 3; l++) printf "%.17g\n", 1.5^(l-1) * 1.2 }')
if printf '%s\n' "$want" >w && col a.tsv m2_ratio_theory >g && paste w g | awk '{ if (($1 - $2)^2 > (1e-13 * $1)^2) exit 1 }'; then
    ok "m2_ratio_theory = (1 + 5/n)^(l-1) (1 + 2/n) to 1e-13"
else
    bad "m2_ratio_theory = (1 + 5/n)^(l-1) (1 + 2/n) to 1e-13 (want $want got $(cat g))"
fi
check "every layer exact" "[ \$(col a.tsv method | grep -vc exact) -eq 0 ]"
check "the simulation agrees (no layer refuted, |z| < 5)" \
    "grep -q '^# overall: \(consistent\|inconclusive\)' a.tsv && col a.tsv z | awk '{ if (\$1 > 5 || \$1 < -5) exit 1 }'"
check "the header records the seed and the theory" "grep -q '^# seed = 3$' a.tsv && grep -q '^# theory = exact for every layer$' a.tsv"
check "one input per network: no between/within split" "[ \"\$(col a.tsv var_between | sort -u)\" = NaN ]"
"$INITLAB" fluct $HE --draws 20000 --seed 3 --threads 2 >b.tsv
check "--threads 2 gives the same bytes" "cmp -s a.tsv b.tsv"
"$INITLAB" fluct $HE --draws 3000 --batch 4 --seed 4 --threads 2 >c.tsv
check "--batch 4: the split is estimated" \
    "col c.tsv between_frac | awk '{ if (!(\$1 > 0 && \$1 < 1)) exit 1 }' && [ \$(col c.tsv var_between | grep -c NaN) -eq 0 ]"

# method labels
"$INITLAB" fluct --widths 6,6,6,6 --act tanh --draws 500 --threads 1 >t.tsv
check "tanh: layer 1 exact, deeper layers mean-field" \
    "[ \"\$(col t.tsv method | paste -s -d, -)\" = exact,mean-field,mean-field ]"
check "tanh: the header says why" "grep -q '^# theory = no exact theory after layer 1: the activation is not positively homogeneous' t.tsv"
"$INITLAB" fluct --widths 6,6,6 --init orthogonal --draws 200 --threads 1 >o.tsv
check "orthogonal: no theory, untested" \
    "[ \"\$(col o.tsv method | sort -u)\" = none ] && [ \"\$(col o.tsv verdict | sort -u)\" = untested ] && grep -q '^# overall: untested' o.tsv"

# JSON and --out
"$INITLAB" fluct $HE --draws 500 --threads 1 --format json --out r.json >out 2>err; s=$?
check "--format json --out: exit 0, nothing on stdout" "[ $s -eq 0 ] && [ ! -s out ] && [ -s r.json ]"
JSONCHECK=$BUILD/tests/jsoncheck
if [ ! -x "$JSONCHECK" ] || [ "$ROOT/tests/jsoncheck.c" -nt "$JSONCHECK" ]; then
    JSONCHECK=$T/jsoncheck
    cc -std=c11 -O2 -o "$JSONCHECK" "$ROOT/tests/jsoncheck.c" -ljansson 2>/dev/null
fi
if [ -x "$JSONCHECK" ]; then
    got=$("$JSONCHECK" r.json command layers.length layers.0.method layers.2.layer params.seed overall.tested \
        layers.0.var_between | paste -s -d, -)
    check "JSON: command, layers, method, seed, tests, NaN as null" "[ \"$got\" = fluct,3,exact,3,1,3,null ]"
else
    bad "jsoncheck could be built"
fi

# bad command lines: exit 2, one line on stderr naming the problem, nothing written
for args in "--draws 1" "--draws 2x" "--batch 0" "--format xml" "--alpha 0.7" "--rel-tol 0" "--widths 3,0,3" \
    "--threads 0" "--seed -1" "--bogus" "--act nope" "--init orthogonal:gain=x" "--batchnorm" "--dropout 1"; do
    rm -f o2.tsv
    "$INITLAB" fluct --widths 3,3,3 --draws 10 $args --out o2.tsv >out 2>err; s=$?
    check "fluct $args: exit 2, one line, nothing written" \
        "[ $s -eq 2 ] && [ \$(wc -l <err) -eq 1 ] && grep -q '^initlab fluct: ' err && [ ! -s out ] && [ ! -e o2.tsv ] && [ -z \"\$(ls | grep '\.tmp\.')\" ]"
done
"$INITLAB" fluct --widths 3,3 --draws 10 --out missing/dir/o.tsv >out 2>err; s=$?
check "unwritable --out: exit 1, one line naming it" "[ $s -eq 1 ] && [ \$(wc -l <err) -eq 1 ] && grep -q 'missing/dir/o.tsv' err"
check "--help lists the options" "\"$INITLAB\" fluct --help | grep -q -- '--batch' && \"$INITLAB\" fluct --help | grep -q -- '--rel-tol'"
check "initlab --help lists fluct" "\"$INITLAB\" --help | grep -q '^  fluct '"
exit $fails
