#!/bin/sh
# plot.sh: command-line tests of `initlab plot`: every figure kind from small runs, as PNG and SVG, each
# file checked (PNG: signature, IHDR, width and height in [300, 6000]; SVG: XML declaration, <svg ...>,
# </svg>; both between MIN_BYTES and MAX_BYTES) with gnuplot silent (any warning fails the command, and
# standard error must be empty); paths with spaces and quotes; --keep; without gnuplot (exit 3, the script
# and data written, and they render); atomic output; `sim --plot` once it exists; and bad command lines
# (exit 2, or 1 for runtime failures; exactly one stderr line starting with "initlab plot"; nothing on
# stdout; no figure left behind). The checkers are checked first on files that must fail them.
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: INITLAB (default build/initlab). Run from the top of the tree: sh tests/cli/plot.sh
set -u
LC_ALL=C
export LC_ALL

INITLAB=${INITLAB:-build/initlab}
case $INITLAB in
/*) ;;
*) INITLAB=$PWD/$INITLAB ;;
esac

# A figure of ours weighs tens of kilobytes (PNG) or tens to hundreds (SVG): below MIN_BYTES it is
# empty or truncated, above MAX_BYTES something (a runaway sample count, say) went wrong.
MIN_BYTES=5000
MAX_BYTES=3000000

. "$(dirname "$0")/lib/tap.sh"

if [ ! -x "$INITLAB" ]; then
    not_ok "$INITLAB is an executable (make build/initlab)"
    finish
fi
if ! command -v gnuplot >/dev/null 2>&1; then
    not_ok "gnuplot is installed (make check installs gnuplot-nox)"
    finish
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-plot.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM
cd "$TMP" || exit 1

# png_ok FILE: a PNG of sensible dimensions and size; sets why.
png_ok() {
    [ -f "$1" ] || { why="$1 does not exist"; return 1; }
    size=$(wc -c <"$1")
    sig=$(od -An -tx1 -N8 "$1" | tr -d ' \n')
    [ "$sig" = 89504e470d0a1a0a ] || { why="$1: not a PNG signature ($sig)"; return 1; }
    ihdr=$(od -An -c -j12 -N4 "$1" | tr -d ' \n')
    [ "$ihdr" = IHDR ] || { why="$1: no IHDR chunk first"; return 1; }
    set -- "$1" $(od -An -tu1 -j16 -N8 "$1")
    w=$(($2 * 16777216 + $3 * 65536 + $4 * 256 + $5))
    h=$(($6 * 16777216 + $7 * 65536 + $8 * 256 + $9))
    [ "$w" -ge 300 ] && [ "$w" -le 6000 ] && [ "$h" -ge 300 ] && [ "$h" -le 6000 ] ||
        { why="$1: $w x $h pixels"; return 1; }
    [ "$size" -ge $MIN_BYTES ] && [ "$size" -le $MAX_BYTES ] || { why="$1: $size bytes"; return 1; }
    return 0
}
# svg_ok FILE
svg_ok() {
    [ -f "$1" ] || { why="$1 does not exist"; return 1; }
    size=$(wc -c <"$1")
    head -n 1 "$1" | grep -q '^<?xml version="1.0"' || { why="$1: no XML declaration"; return 1; }
    grep -q '^<svg' "$1" || { why="$1: no <svg> element"; return 1; }
    tail -n 3 "$1" | grep -q '</svg>' || { why="$1: no closing </svg> (truncated?)"; return 1; }
    [ "$size" -ge $MIN_BYTES ] && [ "$size" -le $MAX_BYTES ] || { why="$1: $size bytes"; return 1; }
    return 0
}

# The checkers must be able to fail.
printf 'not a png at all, but long enough to pass the size check if that were all\n' >fake.png
head -c 6000 /dev/zero >>fake.png
if png_ok fake.png; then not_ok "png check rejects a file that is not a PNG"; else ok "png check rejects a file that is not a PNG"; fi
printf '<?xml version="1.0"?>\n<svg>\n' >fake.svg
head -c 6000 /dev/zero | tr '\0' ' ' >>fake.svg
if svg_ok fake.svg; then not_ok "svg check rejects a truncated SVG"; else ok "svg check rejects a truncated SVG"; fi

# run ARGS...: initlab with stdout and stderr captured; sets st.
run() {
    "$INITLAB" "$@" >out.txt 2>err.txt </dev/null
    st=$?
}

# figure NAME ARGS...: initlab plot ARGS... --out NAME --format png,svg, which must exit 0 silently and
# write NAME.png and NAME.svg, both valid.
figure() {
    name=$1
    shift
    run plot "$@" --out "$name" --format png,svg
    if [ "$st" -ne 0 ] || [ -s err.txt ] || [ -s out.txt ]; then
        not_ok "plot $*: exit 0, silent" "exit $st; stderr: $(head -c 400 err.txt)"
        return
    fi
    if png_ok "$name.png" && svg_ok "$name.svg"; then
        ok "plot $*: valid PNG ($w x $h) and SVG"
    else
        not_ok "plot $*: valid PNG and SVG" "$why"
    fi
}

# Small runs behind the figures.
W=16,16,16,16,16,16
"$INITLAB" sim --widths $W --act relu --draws 200 --batch 8 --quiet --out relu.tsv &&
    "$INITLAB" sim --widths $W --act tanh --init xavier_normal:gain=1.6666666666666667 --bias-init zeros \
        --draws 200 --batch 8 --quiet --post --out tanh.tsv &&
    "$INITLAB" theory --widths $W --act relu --out relu_th.tsv &&
    "$INITLAB" theory --widths $W --act tanh --init xavier_normal:gain=1.6666666666666667 --bias-init zeros \
        --post --out tanh_th.tsv &&
    "$INITLAB" sim --widths 3,2,4,2,3 --act identity --draws 2000 --batch 8 --quiet --compare \
        --claim 'q*(n+1)/(3*n)' --out cmp.tsv &&
    "$INITLAB" sim --widths 3,3,2 --act identity --draws 2000 --batch 8 --quiet --format json --matrices \
        --out mat.json &&
    "$INITLAB" sim --widths 3,3 --draws 10 --batch 2 --quiet --format json --out nomat.json &&
    "$INITLAB" commute --act relu,tanh,sigmoid,relu6 --p 0.1,0.5 --samples 2000 --out cm.tsv
if [ $? -ne 0 ]; then
    not_ok "the small runs behind the figures"
    finish
fi
ok "the small runs behind the figures"

# Every kind.
figure var1 variance --in cmp.tsv
figure var2 variance --in relu.tsv --in tanh.tsv=tanh --theory relu_th.tsv --theory tanh_th.tsv
figure var3 variance --in tanh.tsv --in tanh_th.tsv --point post
figure fl1 fluctuations --in relu.tsv --in tanh.tsv
figure fl2 fluctuations --in relu.tsv --relative
figure cm1 commute --in cm.tsv
figure cm2 commute --in cm.tsv --value max_rel_diff
figure di1 distribution --widths 8,8,8 --act relu --draws 300 --batch 16 --layer 2 --unit 3
figure di2 distribution --in tanh.tsv --point post --logy --bins 30
figure cv1 covariance --in mat.json --layer 1
figure cv2 covariance --in mat.json --layer 2 --size 600,600

# The variance figure carries the claim and the theory in its legend (the SVG is text).
if grep -q 'claim: q_l = q\*(n+1)/(3\*n)' var1.svg && grep -q 'theory (exact)' var1.svg; then
    ok "variance: the claim and the theory are in the legend"
else
    not_ok "variance: the claim and the theory are in the legend"
fi
# Subtitle: the parameters the runs share; legend: what tells them apart (or the label given).
if grep -q 'width 16, 5 layers' var2.svg && grep -q '>tanh<' var2.svg && grep -q 'relu, weights torch' var2.svg; then
    ok "variance: shared parameters in the subtitle, differing ones (or --in FILE=LABEL) in the legend"
else
    not_ok "variance: shared parameters in the subtitle, differing ones (or --in FILE=LABEL) in the legend"
fi
if grep -q 'theory: diagonal q − mean² = 0.4444 (exact), off-diagonal 0 (exact)' cv1.svg; then
    ok "covariance: the theory's (n0+1)/(3 n0) I of seed 001, exact"
else
    not_ok "covariance: the theory's (n0+1)/(3 n0) I of seed 001, exact" "$(grep -o 'theory:[^<]*' cv1.svg)"
fi

# Paths with spaces and quotes, one format from the extension.
mkdir "a dir 'with' \"quotes\"" && cp relu.tsv "a dir 'with' \"quotes\"/it's a run.tsv"
run plot variance --in "a dir 'with' \"quotes\"/it's a run.tsv=a 'label' \"x\"" --out "a dir 'with' \"quotes\"/fig 1.svg"
if [ "$st" -eq 0 ] && [ ! -s err.txt ] && svg_ok "a dir 'with' \"quotes\"/fig 1.svg" &&
    [ ! -e "a dir 'with' \"quotes\"/fig 1.png" ]; then
    ok "paths with spaces and quotes; .svg writes SVG only"
else
    not_ok "paths with spaces and quotes; .svg writes SVG only" "exit $st: $(cat err.txt) ${why:-}"
fi

# --keep: the script renders the figure again, from anywhere.
run plot commute --in cm.tsv --out keep.png --keep
rm -f keep.png
if [ "$st" -eq 0 ] && [ -f keep.gp ] && [ -f keep.vars.gp ] && (cd / && gnuplot "$TMP/keep.gp" 2>&1) | cmp -s - /dev/null &&
    png_ok keep.png; then
    ok "--keep: keep.gp renders the figure (silently)"
else
    not_ok "--keep: keep.gp renders the figure (silently)" "exit $st ${why:-}"
fi

# Without gnuplot: exit 3, one line saying how to render, the script and the data, no figure.
mkdir nogp
run plot distribution --widths 4,4 --draws 50 --batch 4 --out nogp/d.png --gnuplot /nonexistent/gnuplot
if [ "$st" -eq 3 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'render with: gnuplot nogp/d.gp' err.txt &&
    [ ! -e nogp/d.png ] && [ -f nogp/d.gp ] && [ -f nogp/d.vars.gp ] && [ -f nogp/d.hist.tsv ] && [ -f nogp/d.netvar.tsv ]; then
    ok "no gnuplot: exit 3, d.gp with its data, and the command to render"
else
    not_ok "no gnuplot: exit 3, d.gp with its data, and the command to render" "exit $st: $(cat err.txt)"; ls nogp
fi
if gnuplot nogp/d.gp 2>err2.txt && [ ! -s err2.txt ] && png_ok nogp/d.png; then
    ok "no gnuplot: the command printed renders the figure"
else
    not_ok "no gnuplot: the command printed renders the figure" "$(cat err2.txt) ${why:-}"
fi
run plot variance --in relu.tsv --out nogp2.png --gnuplot no-such-gnuplot-anywhere
if [ "$st" -eq 3 ] && [ -f nogp2.gp ] && [ ! -e nogp2.png ]; then
    ok "no gnuplot on PATH: exit 3"
else
    not_ok "no gnuplot on PATH: exit 3" "exit $st: $(cat err.txt)"
fi

# gnuplot failing: exit 1, nothing left (a scripts directory whose script warns).
mkdir badscripts
printf 'set terminal pngcairo\nset output ARG2\nplot x\nset xrange [1:1]\nreplot\n' >badscripts/variance_depth.gp
run plot variance --in relu.tsv --out warned.png --scripts badscripts
left=$(ls -A | grep -c 'warned\|initlab-plot')
if [ "$st" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'initlab plot: gnuplot: .*arning' err.txt && [ "$left" -eq 0 ]; then
    ok "a gnuplot warning: exit 1, one line naming it, no file left"
else
    not_ok "a gnuplot warning: exit 1, one line naming it, no file left" "exit $st, $left files: $(cat err.txt)"
fi

# sim --plot FILE, once cmd_sim has it.
if "$INITLAB" sim --help | grep -q -- '--plot'; then
    run sim --widths 4,4,4 --draws 100 --batch 4 --quiet --out simp.tsv --plot simp.png
    if [ "$st" -eq 0 ] && [ -s simp.tsv ] && png_ok simp.png; then
        ok "sim --plot FILE: the TSV and its figure"
    else
        not_ok "sim --plot FILE: the TSV and its figure" "exit $st: $(cat err.txt) ${why:-}"
    fi
fi

# bad NAME STATUS WANT ARGS...: initlab ARGS... --out bad.png exits with STATUS, one stderr line starting
# with "initlab plot" and containing WANT, nothing on stdout, no bad.* file.
bad() {
    desc=$1
    want_st=$2
    want=$3
    shift 3
    rm -f bad.*
    run "$@"
    lines=$(wc -l <err.txt)
    left=$(ls -A | grep -c '^bad\.\|initlab-plot')
    if [ "$st" -eq "$want_st" ] && [ "$lines" -eq 1 ] && grep -q "^initlab plot: .*$want" err.txt &&
        [ ! -s out.txt ] && [ "$left" -eq 0 ]; then
        ok "refused: $desc (exit $want_st)"
    else
        not_ok "refused: $desc (exit $want_st)" "exit $st, $lines stderr lines, $left files: $(head -c 300 err.txt)"
    fi
}
printf 'layer\tq\n1\t2\n' >plain.tsv
bad "no kind" 2 "no figure kind" plot --in relu.tsv --out bad.png
bad "unknown kind" 2 "unknown figure kind 'histogram'" plot histogram --in relu.tsv --out bad.png
bad "missing --in" 2 "variance needs --in" plot variance --out bad.png
bad "missing --out" 2 "needs --out" plot variance --in relu.tsv
bad "unreadable --in" 1 "cannot read 'nosuch.tsv'" plot variance --in nosuch.tsv --out bad.png
bad "unreadable --in with a label" 1 "cannot read 'nosuch.tsv'" plot variance --in nosuch.tsv=label --out bad.png
bad "a commute TSV to variance" 2 "'cm.tsv' is the output of 'initlab commute'" plot variance --in cm.tsv --out bad.png
bad "a JSON to variance" 2 "not a TSV written by initlab" plot variance --in mat.json --out bad.png
bad "a foreign TSV" 2 "not a TSV written by initlab" plot fluctuations --in plain.tsv --out bad.png
bad "a --compare TSV to fluctuations" 2 "no q_sd" plot fluctuations --in cmp.tsv --out bad.png
bad "a sim TSV to commute" 2 "'initlab commute' TSVs" plot commute --in relu.tsv --out bad.png
bad "a TSV to covariance" 2 "is not JSON" plot covariance --in relu.tsv --out bad.png
bad "a JSON without matrices" 2 "no covariance matrices" plot covariance --in nomat.json --out bad.png
bad "covariance of a missing layer" 2 "no layer 7" plot covariance --in mat.json --layer 7 --out bad.png
bad "post rows that are not there" 2 "no rows with point=post" plot variance --in relu.tsv --point post --out bad.png
bad "a theory of another network" 2 "matches no run" plot variance --in relu.tsv --theory tanh_th.tsv --out bad.png
bad "a sim TSV as --theory" 2 "not of 'initlab theory'" plot variance --in relu.tsv --theory tanh.tsv --out bad.png
bad "an option of another kind" 2 "--relative does not apply to 'plot variance'" plot variance --in relu.tsv --relative --out bad.png
bad "network options outside distribution" 2 "--act does not apply" plot variance --in relu.tsv --act relu --out bad.png
bad "--in and network options" 2 "already gives the network; drop --widths" plot distribution --in relu.tsv --widths 3,3 --out bad.png
bad "--unit beyond the width" 2 "--unit must be in \[1, 4\]" plot distribution --widths 4,4 --unit 5 --out bad.png
bad "--layer beyond the depth" 2 "--layer must be in \[1, 1\]" plot distribution --widths 4,4 --layer 2 --out bad.png
bad "--draws 1" 2 "--draws must be an integer in \[2," plot distribution --widths 4,4 --draws 1 --out bad.png
bad "too many samples" 2 "at most 10000000" plot distribution --widths 4,4 --draws 1000000 --batch 100 --out bad.png
bad "a bad --out extension" 2 "must end in .png or .svg" plot variance --in relu.tsv --out bad.pdf
bad "--out contradicting --format" 2 "formats asked for are png" plot variance --in relu.tsv --out bad.svg --format png
bad "a bad --format" 2 "--format must be png, svg or png,svg" plot variance --in relu.tsv --out bad.png --format jpg
bad "a bad --value" 2 "--value must be one of" plot commute --in cm.tsv --value max --out bad.png
bad "a bad --size" 2 "--size must be W,H" plot commute --in cm.tsv --size 100x100 --out bad.png
bad "two --in to commute" 2 "takes one --in" plot commute --in cm.tsv --in cm.tsv --out bad.png
bad "an empty label" 2 "label after '=' is empty" plot variance --in relu.tsv= --out bad.png
bad "--in without a value" 2 "--in needs a value" plot variance --out bad.png --in
bad "an unknown option" 2 "unknown option '--colour'" plot variance --in relu.tsv --colour red --out bad.png
bad "an output directory that does not exist" 1 "cannot write into the directory 'nodir'" plot variance --in relu.tsv --out nodir/bad.png
bad "a network option with a bad value" 2 "--act: unknown or malformed activation" plot distribution --act nope --out bad.png

if "$INITLAB" plot --help | grep -q 'variance' && "$INITLAB" plot --help | grep -q -- '--keep'; then
    ok "plot --help names the kinds and options"
else
    not_ok "plot --help names the kinds and options"
fi
finish
