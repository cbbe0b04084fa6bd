#!/bin/sh
# demo.sh: the default experiments behind `make demo`: Monte Carlo variance-vs-depth runs for the
# seed homework's deep linear network and for common activations under PyTorch's default init, and the
# figures of `initlab plot` (without gnuplot, their scripts and data), and the report of every claim of the seed
# homeworks (`initlab report`). Output goes to ${OUT:-out/demo}.
set -eu
BUILD=${BUILD:-build}
OUT=${OUT:-out/demo}
IL="$BUILD/initlab"
mkdir -p "$OUT"
run() {
    name=$1
    shift
    echo "demo: $name: initlab sim $*" >&2
    "$IL" sim "$@" --progress --out "$OUT/$name.tsv"
}
W=64,64,64,64,64,64,64,64,64,64,64,64,64,64,64,64,64
run linear_torch --widths $W --act identity --draws 2000 --batch 64
run relu_torch --widths $W --act relu --draws 2000 --batch 64
run relu_kaiming --widths $W --act relu --init kaiming_normal:nonlinearity=relu --bias-init zeros --draws 2000 --batch 64
run tanh_xavier --widths $W --act tanh --init xavier_normal:gain=1.6666666666666667 --bias-init zeros --draws 2000 --batch 64
# The figures (docs/plots.md). Without gnuplot, `initlab plot` writes each figure's script and data and
# says how to render them (exit status 3), and the demo goes on.
plot() {
    echo "demo: initlab plot $*" >&2
    "$IL" plot "$@" || [ $? -eq 3 ]
}
theory() {
    name=$1
    shift
    "$IL" theory "$@" --out "$OUT/$name.theory.tsv"
}
theory linear_torch --widths $W --act identity
theory relu_torch --widths $W --act relu
theory relu_kaiming --widths $W --act relu --init kaiming_normal:nonlinearity=relu --bias-init zeros
theory tanh_xavier --widths $W --act tanh --init xavier_normal:gain=1.6666666666666667 --bias-init zeros
plot variance --format png,svg --out "$OUT/variance_depth.png" \
    --in "$OUT/linear_torch.tsv=identity, torch default: U(-1/sqrt(n), 1/sqrt(n)) weights and biases" \
    --in "$OUT/relu_torch.tsv=relu, torch default" \
    --in "$OUT/relu_kaiming.tsv=relu, kaiming_normal(nonlinearity=relu), zero bias" \
    --in "$OUT/tanh_xavier.tsv=tanh, xavier_normal(gain=5/3), zero bias" \
    --theory "$OUT/linear_torch.theory.tsv" --theory "$OUT/relu_torch.theory.tsv" \
    --theory "$OUT/relu_kaiming.theory.tsv" --theory "$OUT/tanh_xavier.theory.tsv"
plot fluctuations --relative --format png,svg --out "$OUT/fluctuations.png" \
    --in "$OUT/linear_torch.tsv=identity, torch default" --in "$OUT/relu_torch.tsv=relu, torch default" \
    --in "$OUT/relu_kaiming.tsv=relu, kaiming_normal(nonlinearity=relu), zero bias" \
    --in "$OUT/tanh_xavier.tsv=tanh, xavier_normal(gain=5/3), zero bias"
plot distribution --in "$OUT/relu_kaiming.tsv" --layer 16 --format png,svg --out "$OUT/distribution_relu_kaiming.png"
# Seed 001, problem 2: the deep linear network of widths 3,2,4,2,3, its exact q against the seed's product
# formula (a claim, refuted), and the covariance (n0+1)/(3 n0) I of its first layer.
echo "demo: seed 001: initlab sim --compare --claim and --format json --matrices" >&2
"$IL" sim --widths 3,2,4,2,3 --act identity --draws 100000 --batch 8 --quiet --compare --claim 'q*(n+1)/(3*n)' \
    --out "$OUT/seed001_compare.tsv"
"$IL" sim --widths 3,2,4,2,3 --act identity --draws 100000 --batch 8 --quiet --format json --matrices \
    --out "$OUT/seed001.json"
plot variance --in "$OUT/seed001_compare.tsv" --format png,svg --out "$OUT/seed001_claim.png" \
    --title "Seed 001: the exact q against the claimed product formula"
plot covariance --in "$OUT/seed001.json" --layer 1 --format png,svg --out "$OUT/seed001_covariance.png"
# Seed 001, problem 1: does dropout commute with the activation?
echo "demo: initlab commute" >&2
"$IL" commute --out "$OUT/commute.tsv"
plot commute --in "$OUT/commute.tsv" --format png,svg --out "$OUT/commute.png"
# The claims of the seed homeworks, each decided with its evidence and figure, as one report (docs/report.md).
# Without gnuplot the report is written with a note in place of each figure (exit status 3).
echo "demo: initlab report -o $OUT/report" >&2
"$IL" report -o "$OUT/report" --progress || [ $? -eq 3 ]
echo "demo: results in $OUT/ (figures: *.png, *.svg)" >&2
echo "demo: the report of every seed claim: $OUT/report/report.html (self-contained; also report.md)" >&2
