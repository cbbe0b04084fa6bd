#!/bin/sh
# invariance.sh: checks the rule of every optimisation of the engine: "bit-identical output for one seed
# before and after, and across thread counts".
#
# usage: bench/invariance.sh record DIR [INITLAB]   run every case once (--threads 1) and keep its output in DIR
#        bench/invariance.sh check DIR [INITLAB]    run every case at each thread count of IL_INV_THREADS
#                                                   (default "1 2 3") and compare every byte with DIR
#
# Record with the binary built from the commit before a change (e.g. `git archive HEAD | tar -x -C /tmp/ref`
# and `make` there), then check after every step with the new one. INITLAB defaults to build/initlab.
# The cases cover widths 1 to 300 (the small-GEMM path, its boundary, the BLAS path, full and diagonal
# second moments), several seeds, every dropout kind before and after the activation, train and eval mode,
# residual blocks, BatchNorm, --post, --fixed-net, every initializer family and input kind, TSV, JSON with
# --matrices, --compare, `initlab fluct` and `initlab commute`, and draw counts that span several groups of
# the driver. Exit status 0 only if every output is identical; each difference is named.
set -u
mode=${1:-}
dir=${2:-}
exe=${3:-build/initlab}
threads=${IL_INV_THREADS:-1 2 3}
if [ "$mode" != record ] && [ "$mode" != check ] || [ -z "$dir" ]; then
    echo "usage: $0 record|check DIR [INITLAB]" >&2
    exit 2
fi
if [ ! -x "$exe" ]; then
    echo "invariance: $exe is not an executable" >&2
    exit 2
fi

# One case per line: name, then the command's arguments (no quoting inside an argument but the arch spec,
# which has no spaces). The thread count is appended.
cases() {
    cat <<'EOF'
w4_s1 sim --widths 4,4,4,4,4 --draws 300 --batch 16 --seed 1
w4_s12345 sim --widths 4,4,4,4,4 --draws 300 --batch 16 --seed 12345
w4_smax sim --widths 4,4,4,4,4 --draws 300 --batch 16 --seed 18446744073709551615
w4_10_64 sim --widths 4,4,4,4,4,4,4,4,4,4,4 --draws 700 --batch 64 --seed 3
w1 sim --widths 1,1,1 --draws 50 --batch 3 --seed 2
b1 sim --widths 3,5,2 --draws 40 --batch 1 --seed 2 --post
b2_post sim --widths 3,5,7,2 --draws 40 --batch 2 --seed 9 --post
mixed sim --widths 1,3,300,17,2 --draws 12 --batch 5 --seed 4 --post
mixed2 sim --widths 7,2,33,1,64,5 --draws 25 --batch 11 --seed 5 --post
gemm_edge sim --widths 16,16,16,17,16,15,18 --draws 30 --batch 9 --seed 6 --post
w8_odd sim --widths 8,8,8,8 --draws 200 --batch 7 --seed 6
w64 sim --widths 64,64,64,64 --draws 40 --batch 64 --seed 7
w64_b3 sim --widths 64,64,64 --draws 30 --batch 3 --seed 7 --post
w65 sim --widths 65,65,70 --draws 20 --batch 33 --seed 8
w300 sim --widths 300,300,300 --draws 6 --batch 32 --seed 8 --post
w128 sim --widths 128,128,128,128 --draws 10 --batch 40 --seed 10
cov8 sim --widths 10,10,10 --draws 40 --batch 12 --cov-limit 8 --seed 11
cov300 sim --widths 100,100,100 --draws 12 --batch 20 --cov-limit 300 --seed 11
cov1 sim --widths 2,2,1 --draws 30 --batch 12 --cov-limit 1 --seed 11
inv_after sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --seed 12 --post
inv_before sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --dropout-at before --seed 12 --post
classic sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --dropout-mode classic --seed 12 --post
classic_before sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.5 --dropout-mode classic --dropout-at before --seed 12
dconnect sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --dropout-mode dropconnect --seed 12 --post
dconnect_big sim --widths 40,40,40 --draws 20 --batch 10 --dropout 0.2 --dropout-mode dropconnect --seed 12
inv_eval sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --eval --seed 12 --post
classic_eval sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --dropout-mode classic --eval --seed 12 --post
dconnect_eval sim --widths 8,8,8,8 --draws 100 --batch 10 --dropout 0.3 --dropout-mode dropconnect --eval --seed 12
drop_wide sim --widths 100,100,100 --draws 10 --batch 20 --dropout 0.1 --seed 13 --post
residual sim --widths 8,8,8,8,8 --draws 100 --batch 10 --residual --seed 14 --post
residual_drop sim --widths 6,6,6,6 --draws 100 --batch 10 --residual --dropout 0.2 --seed 14 --post
residual_wide sim --widths 70,70,70,70 --draws 8 --batch 10 --residual --seed 14 --post
bn sim --widths 8,8,8,8 --draws 100 --batch 10 --batchnorm --seed 15 --post
bn_eval sim --widths 8,8,8,8 --draws 100 --batch 10 --batchnorm --eval --seed 15 --post
bn_drop_res sim --widths 8,8,8,8 --draws 60 --batch 10 --batchnorm --residual --dropout 0.2 --seed 15 --post
fixed sim --widths 8,8,8,8 --draws 150 --batch 10 --fixed-net --seed 16
fixed_post_drop sim --widths 8,8,8,8 --draws 150 --batch 10 --fixed-net --dropout 0.2 --post --seed 16
fixed_wide sim --widths 80,80,80 --draws 10 --batch 10 --fixed-net --post --seed 16
nobias sim --widths 8,8,8 --draws 80 --batch 10 --no-bias --seed 17
ortho sim --widths 8,12,5,5 --draws 60 --batch 10 --init orthogonal --seed 18 --post
kn sim --widths 8,8,8 --draws 60 --batch 10 --init kaiming_normal:nonlinearity=relu --seed 18
xu sim --widths 8,9,8 --draws 60 --batch 10 --init xavier_uniform --seed 18
nrm sim --widths 8,8,8 --draws 60 --batch 10 --init normal:std=0.3 --bias-init normal:std=0.1 --seed 18
cst sim --widths 5,5,5 --draws 20 --batch 10 --init constant:value=0.1 --bias-init zeros --seed 18
unif_in sim --widths 8,8,8 --draws 60 --batch 10 --input uniform --seed 19
rad_in sim --widths 8,8,8 --draws 60 --batch 10 --input rademacher --seed 19
var_in sim --widths 3,8,8 --draws 60 --batch 10 --input-var 2,0.5,3 --seed 19
tanh sim --widths 8,8,8,8 --draws 60 --batch 10 --act tanh --last-act --seed 20 --post
gelu sim --widths 8,8,8 --draws 60 --batch 10 --act gelu --seed 20
leaky sim --widths 8,8,8 --draws 60 --batch 10 --act leaky_relu:0.2 --seed 20
ident sim --widths 8,8,8 --draws 60 --batch 10 --act identity --seed 20 --post
arch sim --arch input:6,linear:8,relu,dropout:0.2,res(linear:8,tanh),dropconnect:0.3,linear:4,batchnorm,relu,linear:1:nobias --draws 60 --batch 10 --seed 21 --post
json_w4 sim --widths 4,4,4 --draws 50 --batch 8 --seed 22 --format json --matrices --post
json_w65 sim --widths 65,65 --draws 10 --batch 8 --seed 22 --format json --matrices
json_drop sim --widths 6,6,6 --draws 50 --batch 8 --dropout 0.4 --seed 22 --format json --matrices
cmp_w16 sim --widths 16,16,16 --draws 200 --batch 16 --seed 23 --compare
cmp_drop sim --widths 8,8,8 --draws 200 --batch 8 --dropout 0.2 --seed 23 --compare --post
cmp_json sim --widths 8,8,8 --draws 100 --batch 8 --seed 23 --compare --format json
fluct_w8 fluct --widths 8,8,8 --draws 600 --batch 4 --seed 24
fluct_b1 fluct --widths 6,6,6,6 --draws 600 --seed 24
fluct_drop fluct --widths 8,8,8 --draws 600 --batch 3 --dropout 0.2 --seed 24
fluct_json fluct --widths 8,8 --draws 300 --batch 2 --seed 24 --format json
commute commute --samples 20000 --seed 25
commute_small commute --samples 20000 --seed 26 --act relu,tanh --p 0.2,0.5 --kind classic --widths 4,5,1
EOF
}

mkdir -p "$dir" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0
# The cases are read on descriptor 3 so that the commands cannot consume them from standard input.
cases >"$tmp/cases"
while read -r name cmd args <&3; do
    [ -n "$name" ] || continue
    quiet=""
    [ "$cmd" = sim ] && quiet="--quiet"
    if [ "$mode" = record ]; then
        # shellcheck disable=SC2086
        "$exe" $cmd $args $quiet --threads 1 --out "$dir/$name.out" 2>"$tmp/err" </dev/null
        st=$?
        echo "$st" >"$dir/$name.status"
        # a non-zero status is kept as part of the output (a refuting verdict may set it by design)
        if [ ! -s "$dir/$name.out" ]; then
            echo "invariance: $name wrote nothing (status $st):" >&2
            sed 's/^/    /' "$tmp/err" >&2
            bad=$((bad + 1))
        fi
        n=$((n + 1))
        continue
    fi
    for t in $threads; do
        # shellcheck disable=SC2086
        "$exe" $cmd $args $quiet --threads "$t" --out "$tmp/out" 2>"$tmp/err" </dev/null
        st=$?
        n=$((n + 1))
        if [ ! -f "$dir/$name.out" ]; then
            echo "MISSING $name (no recorded output in $dir)"
            bad=$((bad + 1))
        elif [ "$st" != "$(cat "$dir/$name.status")" ]; then
            echo "DIFF $name threads=$t: exit status $st, recorded $(cat "$dir/$name.status")"
            sed 's/^/    /' "$tmp/err"
            bad=$((bad + 1))
        elif ! cmp -s "$tmp/out" "$dir/$name.out"; then
            echo "DIFF $name threads=$t: output differs from $dir/$name.out"
            diff "$dir/$name.out" "$tmp/out" | head -6 | sed 's/^/    /'
            bad=$((bad + 1))
        fi
    done
done 3<"$tmp/cases"
if [ "$mode" = record ]; then
    echo "invariance: recorded $n cases in $dir ($bad failed)"
else
    echo "invariance: $n runs compared with $dir, $bad differ"
fi
[ "$bad" -eq 0 ]
