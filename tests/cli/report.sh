#!/bin/sh
# report.sh: command-line tests of `initlab report`: the report written (report.md, a self-contained report.html,
# claims.tsv, data/, figures/), every claim of `initlab claims` present with the same verdict in the Markdown table
# and the HTML sections, the figures embedded and linked, no external reference in the HTML, the same bytes for two
# runs with one seed (--no-timings, and another thread count), a claim's section the same with --id, run times only without --no-timings, an existing
# directory reused (other files untouched), gnuplot missing (exit 3, notes in place of the figures) or failing
# (exit 1, nothing left); and bad command lines (exit status 2, or 1 for runtime failures; exactly one stderr line
# starting with "initlab report" that names the culprit; nothing on stdout; nothing left behind).
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab); IL_VALGRIND (set by make check-valgrind: the claims without large
# Monte Carlo runs stand in for all of them, as in claims.sh).
# Run from the top of the tree: sh tests/cli/report.sh
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

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-report.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
WORK=$TMP/work

IL_CMD="initlab report"
. "$(dirname "$0")/lib/judges.sh"
# keep NAME: moves the report directory $WORK/r to $TMP/NAME.
keep() {
    rm -rf "$TMP/$1" && mv "$WORK/r" "$TMP/$1"
}
equal() {
    why="got '$(echo "$1" | head -c 300)', expected '$(echo "$2" | head -c 300)'"
    [ "$1" = "$2" ]
}
# lacks FILE PATTERN: no line of FILE matches the extended regular expression PATTERN.
lacks() {
    hit=$(grep -o -E -- "$2" "$1" | head -n 1 | head -c 200)
    why="found: $hit"
    [ -z "$hit" ]
}

# ---- the claims, for reference ----
IDS_OPT=
if [ -n "${IL_VALGRIND:-}" ]; then
    IDS_OPT="--id S000-P1a,S000-P3b,S001-P4a,S001-P4b,S002-P1,S002-P3c"
fi
run claims $IDS_OPT --threads 2 --quiet
awk -F '\t' '/^#/ { next } !h { h = 1; next } { print $1 " " $3 }' "$TMP/out" >"$TMP/verdicts"
NCLAIMS=$(wc -l <"$TMP/verdicts" | tr -d ' ')
check "initlab claims $IDS_OPT: exit 0, some claims" sh -c '[ "$0" -eq 0 ] && [ "$1" -gt 0 ]' "$st" "$NCLAIMS"

# ---- the report ----
run report -o r $IDS_OPT --no-timings --quiet
keep a
check "initlab report -o r --no-timings: exit 0" status_is 0
check "initlab report: nothing on stderr with --quiet" stderr_empty
check "initlab report: nothing on stdout" stdout_empty
missing=
for f in report.md report.html claims.tsv; do [ -s "$TMP/a/$f" ] || missing="$missing $f"; done
[ -d "$TMP/a/figures" ] && [ -d "$TMP/a/data" ] || missing="$missing figures/ data/"
check "the report directory has report.md, report.html, claims.tsv, figures/, data/" equal "$missing" ""
check "nothing else is left in the report directory (no private directory)" \
    equal "$(ls -A "$TMP/a" | paste -s -d ' ' -)" "claims.tsv data figures report.html report.md"

# every claim, with the verdict of `initlab claims`, in the Markdown table, the HTML table and the HTML sections
md_v=$(sed -n 's/^| \[\([^]]*\)\](#[^)]*) | [^|]* | \([a-z-]*\) | .*/\1 \2/p' "$TMP/a/report.md")
check "report.md: the verdict table has every claim with the verdict of 'initlab claims'" \
    equal "$md_v" "$(cat "$TMP/verdicts")"
html_v=$(sed -n 's/.*<tr><td class="id"><a href="#\([^"]*\)">.*<span class="v v-\([a-z-]*\)">.*/\1 \2/p' "$TMP/a/report.html")
check "report.html: the verdict table has every claim with the verdict of 'initlab claims'" \
    equal "$html_v" "$(cat "$TMP/verdicts")"
sec_v=$(sed -n 's/^<h3><span>\([^<]*\)<\/span><span class="v v-\([a-z-]*\)">.*/\1 \2/p' "$TMP/a/report.html")
check "report.html: one section per claim, with its verdict" equal "$sec_v" "$(cat "$TMP/verdicts")"
sec_ids=$(sed -n 's/^<section class="claim" id="\([^"]*\)">$/\1/p' "$TMP/a/report.html")
check "report.html: the sections' anchors are the claims' ids" equal "$sec_ids" "$(cut -d ' ' -f 1 "$TMP/verdicts")"
tsv_v=$(awk -F '\t' '/^#/ { next } !h { h = 1; next } { print $1 " " $3 }' "$TMP/a/claims.tsv")
check "claims.tsv: the verdicts of 'initlab claims'" equal "$tsv_v" "$(cat "$TMP/verdicts")"
for section in '<h2 id="verdicts">' '<h2 id="claims">' '<h2 id="appendix">' '<h4>Versions</h4>' 'Claim as written' \
    'Test and threshold' 'Decisive numbers'; do
    check "report.html has '$section'" grep -q -F -- "$section" "$TMP/a/report.html"
done
for v in initlab GSL OpenBLAS gnuplot compiler; do
    check "the appendix gives the version of $v" grep -q -F "<tr><th>$v</th><td>" "$TMP/a/report.html"
done

# figures: every one linked from report.md exists and is embedded in report.html
links=$(grep -o -E '!\[[^]]*\]\(figures/[^)]*\.png\)' "$TMP/a/report.md" | sed 's/.*(\(.*\))/\1/')
nlinks=$(echo "$links" | grep -c . )
nfiles=$(ls "$TMP/a/figures" | grep -c '\.png$')
nimg=$(grep -o '<img alt="[^"]*" src="data:image/png;base64,' "$TMP/a/report.html" | wc -l | tr -d ' ')
nomiss=
for l in $links; do [ -s "$TMP/a/$l" ] || nomiss="$nomiss $l"; done
check "report.md: every linked figure exists ($nlinks links, $nfiles files)" sh -c '[ "$0" -gt 0 ] && [ -z "$1" ]' \
    "$nlinks" "$nomiss"
check "report.html: one embedded PNG per figure link" equal "$nimg" "$nlinks"
check "report.html: no figure left out" lacks "$TMP/a/report.html" 'Figure not rendered'
first=$(echo "$links" | head -n 1)
b64=$(base64 -w 0 "$TMP/a/$first")
check "report.html: the first figure's bytes are embedded ($first)" grep -q -F "base64,$b64\"" "$TMP/a/report.html"
if [ -z "${IL_VALGRIND:-}" ]; then
    for fig in S001-P2h S001-P2d-covariance S001-P1-commute S000-P1a S000-P2b; do
        check "the figure $fig is drawn" test -s "$TMP/a/figures/$fig.png"
    done
fi

# self-contained: no external resource of any kind
check "report.html: no src= other than data: URIs" lacks "$TMP/a/report.html" 'src="[^d]|src="d[^a]|src=[^"]'
check "report.html: no href= other than #anchors" lacks "$TMP/a/report.html" 'href="[^#]|href=[^"]'
check "report.html: no http(s) URL, <link>, <script>, @import or url()" \
    lacks "$TMP/a/report.html" 'https?://|<link|<script|@import|url\('
check "report.html: a well-formed page (doctype, charset, closing tag)" \
    sh -c 'head -n 1 "$0" | grep -q "^<!DOCTYPE html>$" && grep -q "<meta charset=\"utf-8\">" "$0" && tail -n 1 "$0" | grep -q "^</html>$"' \
    "$TMP/a/report.html"
check "report.html: every table cell and tag is closed in order (no stray '<' in text)" \
    lacks "$TMP/a/report.html" '<[^a-zA-Z/!]'

# determinism: the same seed gives the same bytes, with another thread count too (a subset of the claims with
# each kind of figure, Monte Carlo ones included, to keep the test short)
SUBSET=S000-P1a,S000-P2b,S001-P1b,S001-P2d,S001-P2e,S002-P1
[ -n "${IL_VALGRIND:-}" ] && SUBSET=S000-P1a,S002-P1
run report -o r --id $SUBSET --no-timings --threads 1 --quiet
keep c
run report -o r --id $SUBSET --no-timings --threads 2 --quiet
keep d
check "two runs of --id $SUBSET (--threads 1 and 2): exit 0" status_is 0
check "--no-timings: the two runs give the same report.html, report.md, claims.tsv, figures and data" \
    diff -r "$TMP/c" "$TMP/d"
check "--id: a claim's section is the same as in the full report" \
    equal "$(sed -n '/^<section class="claim" id="S002-P1">/,/^<\/section>/p' "$TMP/c/report.html")" \
    "$(sed -n '/^<section class="claim" id="S002-P1">/,/^<\/section>/p' "$TMP/a/report.html")"
check "--no-timings: no run times and no date" lacks "$TMP/a/report.md" 'Run times|UTC'

# with timings (the default): the run times and the date; progress on stderr with --progress
run report -o r --id S002-P1,S001-P4a --progress
keep t
check "--progress: exit 0" status_is 0
check "--progress: progress lines on stderr, and where the report is" \
    sh -c 'grep -q "^initlab report: claim 1/2 S001-P4a" "$0" && grep -q "wrote r/report.html" "$0"' "$TMP/err"
check "with timings: the run times of each claim and the total" \
    sh -c 'grep -q -E "^\| S001-P4a \| (< )?[0-9.]+ \|$" "$0" && grep -q "total (claims and figures)" "$0" && grep -q "<h4 id=\"timings\">Run times</h4>" "$1"' \
    "$TMP/t/report.md" "$TMP/t/report.html"
check "--id S002-P1,S001-P4a: two claims, in registry order" \
    equal "$(sed -n 's/^| \[\([^]]*\)\](#.*/\1/p' "$TMP/t/report.md" | paste -s -d ' ' -)" "S001-P4a S002-P1"

# an existing directory: the report's files are replaced, other files are left alone
rm -rf "$WORK" && mkdir -p "$WORK/r" && echo keep >"$WORK/r/notes.txt" && echo old >"$WORK/r/report.md"
(cd "$WORK" && "$INITLAB" report -o r --id S002-P1 --no-timings --quiet >"$TMP/out" 2>"$TMP/err")
st=$?
check "-o EXISTING_DIR: exit 0, other files kept, report.md replaced, no private directory left" \
    sh -c '[ "$0" -eq 0 ] && [ "$(cat "$1/notes.txt")" = keep ] && grep -q "S002-P1" "$1/report.md" && [ -z "$(ls -A "$1" | grep "^\.")" ]' \
    "$st" "$WORK/r"

# gnuplot missing: exit 3, the report with a note in place of each figure; gnuplot failing: exit 1, nothing left
run report -o r --id S000-P1a,S002-P1 --gnuplot /nonexistent/gnuplot --no-timings
check "--gnuplot /nonexistent/gnuplot: exit 3" status_is 3
check "--gnuplot /nonexistent/gnuplot: one stderr line saying gnuplot was not found" stderr_names "gnuplot not found"
check "--gnuplot /nonexistent/gnuplot: report.html and report.md with a note for the figure, no figures/" \
    sh -c 'grep -q "Figure not rendered: gnuplot was not found" "$0/report.html" && grep -q "Figure not rendered" "$0/report.md" && [ ! -e "$0/figures" ]' \
    "$WORK/r"
printf '#!/bin/sh\n[ "$1" = --version ] && { echo "gnuplot 0 (a stand-in that fails)"; exit 0; }\necho "it failed"\nexit 1\n' \
    >"$TMP/badgp"
chmod +x "$TMP/badgp"
run report -o r --id S000-P1a --gnuplot "$TMP/badgp"
check "a failing gnuplot: exit 1" status_is 1
check "a failing gnuplot: one stderr line naming the figure and gnuplot's message" stderr_names "S000-P1a & it failed"
check "a failing gnuplot: nothing left (the directory it created is removed)" work_empty

run report --help
check "--help: exit 0, lists -o/--out, --id, --seed, --threads, --no-timings, --progress, --quiet, --gnuplot" \
    sh -c '[ "$0" -eq 0 ] && for o in out id seed threads no-timings progress quiet gnuplot scripts; do grep -q -- "--$o" "$1" || exit 1; done' \
    "$st" "$TMP/out"

# ---- bad command lines ----
: >"$TMP/afile"
while IFS= read -r line; do
    case $line in
    '' | '#'*) continue ;;
    esac
    args=${line%% | *}
    rest=${line#* | }
    want_st=${rest%% | *}
    want_sub=${rest#* | }
    label=$(printf "%s" "initlab report $args" | cut -c 1-90)
    eval "set -- $args"
    run report "$@"
    check "$label: exit status $want_st" status_is "$want_st"
    check "$label: one stderr line naming $want_sub" stderr_names "$want_sub"
    check "$label: nothing on stdout" stdout_empty
    check "$label: nothing left behind" work_empty
done <<EOF
# -o is required, and must name a directory that can be made
 | 2 | -o DIR & required
-o | 2 | --out & needs a value
-o '' | 2 | --out
--out= | 2 | --out
-o $TMP/afile | 2 | --out & exists and is not a directory
-o nodir/r --id S002-P1 | 1 | --out & nodir/r
-o $TMP/afile/r --id S002-P1 | 1 | --out & Not a directory
# the options of initlab claims
-o r --id bogus | 2 | unknown claim id & 'bogus'
-o r --id '' | 2 | --id
-o r --id S002-P1, | 2 | --id & empty
-o r --seed -1 | 2 | --seed
-o r --seed abc | 2 | --seed & abc
-o r --seed 18446744073709551616 | 2 | --seed
-o r --threads 0 | 2 | --threads
-o r --threads 257 | 2 | --threads
-o r --progress --quiet | 2 | --progress & --quiet
-o r --scripts /nonexistent/dir | 2 | --scripts & /nonexistent/dir
-o r --gnuplot '' | 2 | --gnuplot
# the option parser
-o r --bogus | 2 | --bogus
-o r extra | 2 | extra
-o r --no-timings=1 | 2 | --no-timings
-o r -o s | 2 | --out & more than once
EOF

# The judges can fail: a successful run fails the error judges, and a wrong verdict is caught.
run report -o r --id S002-P1 --no-timings
if ! status_is 2 && ! stderr_names "--id" && ! work_empty; then
    ok "the judges reject a successful run (status, stderr, leftover directory)"
else
    not_ok "the judges reject a successful run (status, stderr, leftover directory)"
fi
if ! equal "$(sed -n 's/^| \[\([^]]*\)\](#[^)]*) | [^|]* | \([a-z-]*\) | .*/\1 \2/p' "$WORK/r/report.md")" "S002-P1 refuted" &&
    ! lacks "$TMP/a/report.html" 'data:image'; then
    ok "the judges reject a wrong verdict and find what is there"
else
    not_ok "the judges reject a wrong verdict and find what is there"
fi

finish
