#!/bin/sh
# demo.sh: the default experiments behind `make demo`: Monte Carlo variance-vs-depth runs for the
# seed homework's deep linear network and for common activations under PyTorch's default init, and a
# figure (if gnuplot is installed). Output goes to ${OUT:-out/demo}.
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
if command -v gnuplot >/dev/null 2>&1; then
    printf '%s\t%s\n' "$OUT/linear_torch.tsv" "identity, torch default (U(-1/sqrt(n), 1/sqrt(n)) weights and biases)" \
        "$OUT/relu_torch.tsv" "relu, torch default" \
        "$OUT/relu_kaiming.tsv" "relu, kaiming_normal(nonlinearity=relu), zero bias" \
        "$OUT/tanh_xavier.tsv" "tanh, xavier_normal(gain=5/3), zero bias" >"$OUT/variance_depth.manifest"
    gnuplot -c plots/variance_depth.gp "$OUT/variance_depth.png" \
        "Variance vs depth, width 64, 2000 networks x 64 inputs (Monte Carlo, bars: 2 SE)" \
        "$OUT/variance_depth.manifest"
    echo "demo: figure $OUT/variance_depth.png" >&2
else
    echo "demo: gnuplot is not installed; render with: gnuplot -c plots/variance_depth.gp ..." >&2
fi
echo "demo: results in $OUT/" >&2
