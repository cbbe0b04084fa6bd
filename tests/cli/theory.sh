#!/bin/sh
# theory.sh: `initlab theory` and `initlab sim --compare` end to end: the exact table against a
# recursion computed here, verdicts that refute wrong formulas (a seed's claim, mean-field at small
# width) and do not refute right ones, and bad input.
INITLAB=${INITLAB:-build/initlab}
case "$INITLAB" in /*) ;; *) INITLAB="$(pwd)/$INITLAB" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
fails=0
ok() { echo "ok $*"; }
bad() { echo "not ok $*"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# col FILE NAME: the values of column NAME in the data rows of a TSV written by initlab
col() { awk -F'\t' -v n="$2" '/^#/ {next} !h {for (i = 1; i <= NF; i++) if ($i == n) c = i; h = 1; next} {print $c}' "$1"; }

"$INITLAB" theory --widths 4,3,5,2,6 --act identity >lin.tsv; s=$?
check "theory: exit 0" "[ $s -eq 0 ]"
check "theory: columns" "grep -q '^layer	point	width	q_theory	mean_theory	offdiag_theory	method' lin.tsv"
# q_l = (q_{l-1} + 1/n_{l-1}) / 3 for torch init, identity, unit inputs (derived in docs/theory.md)
want=$(echo "4 3 5 2 6" | awk '{q = 1; for (i = 1; i < NF; i++) { q = (q + 1 / $i) / 3; printf "%.15g\n", q }}')
got=$(col lin.tsv q_theory)
if printf '%s\n' "$want" >w && printf '%s\n' "$got" >g && paste w g | awk '{ if (($1 - $2)^2 > (1e-13 * $1)^2) exit 1 }'; then
    ok "theory: q_theory equals (q + 1/n)/3 to 1e-13"
else
    bad "theory: q_theory equals (q + 1/n)/3 to 1e-13 (want: $want got: $got)"
fi
check "theory: every row exact for identity" "[ \$(col lin.tsv method | grep -vc exact) -eq 0 ]"
"$INITLAB" theory --widths 8,8,8 --act tanh >tanh.tsv
check "theory: tanh layer 2 labelled mean-field" "[ \"\$(col tanh.tsv method | sed -n 2p)\" = mean-field ]"
"$INITLAB" theory --widths 8,8,8 --act relu --format json --out th.json
check "theory: JSON written" "[ -s th.json ] && grep -q '\"q_theory\"' th.json"
"$INITLAB" theory --cmap --act relu --sw2 2 --sb2 0 >cm.tsv
check "theory --cmap: relu at sw2 = 2 is critical (chi1 = 1)" "[ \"\$(col cm.tsv chi1 | awk '{print (\$1 - 1)^2 < 1e-20}')\" = 1 ]"

# --compare: a right theory is not refuted; a wrong claim is
"$INITLAB" sim --widths 4,3,5,2 --act identity --draws 20000 --batch 8 --seed 3 --quiet --compare \
    --claim 'q*(n+1)/(3*n)' >cmp.tsv; s=$?
check "compare: exit 0" "[ $s -eq 0 ]"
check "compare: required columns" "head -100 cmp.tsv | grep -q '^layer	point	width	method	q	q_se	q_theory	z	p	'"
check "compare: right formulas not refuted" "grep -q '^# overall: \(consistent\|inconclusive\)' cmp.tsv"
check "compare: the seed's product formula is refuted" "grep -q '^# claim: refuted' cmp.tsv"
check "compare: the right recursion as a claim is not refuted" \
    "\"$INITLAB\" sim --widths 4,3,5,2 --act identity --draws 20000 --batch 8 --seed 4 --quiet --compare --claim '(q+1/n)/3' | grep -q '^# claim: \(consistent\|inconclusive\)'"
"$INITLAB" sim --widths 2,2,2 --act tanh --init normal:std=1.5 --bias-init zeros --draws 40000 --batch 4 \
    --seed 5 --quiet --compare >mf.tsv
check "compare: mean-field refuted at width 2 (tanh), and labelled so" \
    "awk -F'\t' '\$1 == 2 && \$4 == \"mean-field\" && \$11 == \"refuted\"' mf.tsv | grep -q ."
"$INITLAB" sim --widths 2,2,2 --act sigmoid --init normal:std=2 --bias-init zeros --draws 40000 --batch 4 \
    --seed 6 --quiet --compare >mfs.tsv
check "compare: mean-field refuted at width 2 (sigmoid), and labelled so" \
    "awk -F'\t' '\$1 == 2 && \$4 == \"mean-field\" && \$11 == \"refuted\"' mfs.tsv | grep -q ."
check "compare: JSON" "\"$INITLAB\" sim --widths 3,3 --draws 100 --quiet --compare --format json | grep -q '\"overall\"'"

# bad input: exit 2, one line naming the option, no output file
for args in "--claim q" "--compare --claim 'q*(' " "--compare --claim 'x+1'" "--compare --alpha 0.7" \
    "--compare --rel-tol 0" "--compare --draws 1" "--claim-q0 2" "--compare --matrices --format json" \
    "--compare --claim 'log(q-10)'"; do
    eval "\"$INITLAB\" sim --widths 3,3 --draws 10 --quiet $args --out o.tsv" >out 2>err; s=$?
    opt=$(echo "$args" | sed 's/^\(--[a-z-]*\).*/\1/')
    check "sim $args: exit 2, one line, no output" \
        "[ $s -eq 2 ] && [ \$(wc -l <err) -eq 1 ] && grep -q -- 'initlab sim: --' err && [ ! -e o.tsv ] && [ ! -s out ]"
done
for args in "--sw2 1" "--cmap --post" "--cmap --sw2 -1" "--format xml" "--widths 3,0"; do
    eval "\"$INITLAB\" theory $args --out o.tsv" >out 2>err; s=$?
    check "theory $args: exit 2, one line, no output" "[ $s -eq 2 ] && [ \$(wc -l <err) -eq 1 ] && [ ! -e o.tsv ]"
done
check "theory --help lists --cmap" "\"$INITLAB\" theory --help | grep -q -- '--cmap'"
exit $fails
