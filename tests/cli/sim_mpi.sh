#!/bin/sh
# sim_mpi.sh: `mpirun -np K initlab sim` writes the same bytes as one process (docs/mpi.md), for 2 and 3 ranks
# (oversubscribed on a small machine) and several thread counts, over many configurations; rank 0 alone
# writes and speaks; --stop-after and --resume chunks, a signal, a failing draw and a bad option behave as in
# one process. Skipped (a "# SKIP" line, no test counted) when INITLAB was built without MPI (make MPI=1) or
# mpirun is missing. Prints "ok N - ..." / "not ok N - ..." and exits 1 if any failed.
# Environment: INITLAB (default build/initlab): the one-process reference; INITLAB_MPI (default INITLAB): the
# binary run under mpirun (`make check` passes build-mpi/initlab, so the MPI build is held against the default
# build's bytes; `make check-mpi` runs the whole suite with INITLAB=build-mpi/initlab).
set -u
LC_ALL=C
export LC_ALL
ONE=${INITLAB:-build/initlab}
case $ONE in /*) ;; *) ONE=$PWD/$ONE ;; esac
INITLAB=${INITLAB_MPI:-$ONE}
case $INITLAB in /*) ;; *) INITLAB=$PWD/$INITLAB ;; esac

if ! command -v mpirun >/dev/null 2>&1; then
    echo "# SKIP sim_mpi: no mpirun (sh .ci/deps.sh mpi installs Open MPI)"
    exit 0
fi
if ! ldd "$INITLAB" 2>/dev/null | grep -q 'libmpi'; then
    echo "# SKIP sim_mpi: $INITLAB is missing or built without MPI (make MPI=1 builds build-mpi/initlab)"
    exit 0
fi
MPIRUN="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }

# same NAME ARGS...: one process (--threads 1) against 2 ranks x 1 thread, 2 x 2 and 3 x 1 (3 x 2 with
# --threads 2 when the name says so), every byte of --out.
same() {
    name=$1
    shift
    "$ONE" sim "$@" --threads 1 --quiet --out "$name.one" 2>"$name.err1"
    s1=$?
    status=ok
    for rt in 2:1 2:2 3:1; do
        r=${rt%:*}
        t=${rt#*:}
        $MPIRUN -np "$r" "$INITLAB" sim "$@" --threads "$t" --quiet --out "$name.$r.$t" 2>"$name.err"
        s=$?
        if [ "$s" -ne "$s1" ] || ! cmp -s "$name.one" "$name.$r.$t"; then
            status="ranks $r threads $t: exit $s (one process: $s1), $(cmp "$name.one" "$name.$r.$t" 2>&1)"
            break
        fi
    done
    check "$name: 1, 2 and 3 ranks give the same bytes" "[ \"\$status\" = ok ] && [ -s $name.one ]"
    [ "$status" = ok ] || echo "#   $status"
}

same small --widths 4,3,5,2 --draws 1000 --batch 8 --seed 5
same wide_diag --widths 100,130,70 --act tanh --draws 301 --batch 4 --seed 7
same post_dropout --widths 16,32,32,8 --act tanh --dropout 0.2 --draws 3001 --batch 8 --post --seed 11
same dropout_kinds --widths 8,8,8,8 --act tanh --dropout 0.3 --dropout-at before --dropout-mode classic \
    --draws 257 --batch 5 --post
same fixed_net --widths 16,16,16 --act relu --dropout 0.1 --fixed-net --draws 500 --batch 4 --seed 9
same compare --widths 8,8,8,8 --act relu --draws 400 --batch 16 --compare --seed 2
same json_matrices --widths 5,6,7 --act sigmoid --draws 101 --batch 3 --format json --matrices --post
same float32 --widths 32,32,32,32 --act tanh --draws 299 --batch 16 --float32 --post
same exact --widths 6,5,4,3 --act identity --draws 211 --exact --post
same arch --arch 'input:6,linear:8,relu,dropout:0.2,res(linear:8,tanh),dropconnect:0.3,linear:4,batchnorm,relu,linear:1:nobias' \
    --draws 123 --batch 8 --post
same fewer_draws_than_ranks --widths 4,4,4 --draws 2 --batch 3 --seed 4
same one_draw --widths 4,4,4 --draws 1 --batch 3 --seed 4
same many_groups --widths 2,2,2 --draws 20011 --batch 2 --seed 6

# --batch auto: rank 0 times the pilots and chooses for every rank; the rows are one process's at that batch.
P="--widths 8,8,8 --act tanh --draws 300 --seed 8 --quiet"
$MPIRUN -np 2 "$INITLAB" sim $P --batch auto --out auto2.tsv 2>auto2.err
sa=$?
ba=$(awk '/^# batch = /{print $4}' auto2.tsv 2>/dev/null)
"$ONE" sim $P --batch "${ba:-1}" --out auto1.tsv
check "--batch auto on 2 ranks: one choice, announced once; the rows of one process at that batch" \
    "[ $sa -eq 0 ] && [ -n \"$ba\" ] && [ \$(grep -c 'batch auto chose' auto2.err) -eq 1 ] && \
     [ \"\$(grep -v '^#' auto2.tsv | md5sum)\" = \"\$(grep -v '^#' auto1.tsv | md5sum)\" ]"

# Chunks: one process stops, 2 ranks continue and stop, 3 ranks finish: the bytes of an uninterrupted run.
A="--widths 16,32,32,8 --act tanh --dropout 0.2 --draws 6000 --batch 8 --post --seed 13 --quiet --threads 1"
"$ONE" sim $A --out full.tsv
"$ONE" sim $A --checkpoint ck --stop-after 1000 --out c1.tsv 2>/dev/null
s1=$?
$MPIRUN -np 2 "$INITLAB" sim $A --resume ck --checkpoint ck --stop-after 1500 --out c2.tsv 2>c2.err
s2=$?
check "chunk on 2 ranks: exit 3, partial output, one message" \
    "[ $s1 -eq 3 ] && [ $s2 -eq 3 ] && grep -q '^# partial = yes' c2.tsv && [ \$(grep -c 'initlab sim: stopped after' c2.err) -eq 1 ]"
d1=$(grep -a '^draws_done' ck | awk '{print $2}')
check "chunk on 2 ranks: the checkpoint went on from the first chunk" "[ \"$d1\" -ge 2500 ] && [ \"$d1\" -lt 6000 ]"
$MPIRUN -np 3 "$INITLAB" sim $A --resume ck --checkpoint ck --out c3.tsv
check "chunks on 1, 2 and 3 ranks give the bytes of one uninterrupted process" "cmp -s full.tsv c3.tsv"
$MPIRUN -np 2 "$INITLAB" sim $A --checkpoint ck2 --stop-after 2000 --out d1.tsv 2>/dev/null
"$ONE" sim $A --resume ck2 --out d2.tsv
check "a checkpoint of 2 ranks is continued by one process" "cmp -s full.tsv d2.tsv"
check "only rank 0 writes: no stray or temporary files" \
    "[ -z \"\$(ls | grep -v -E '^(full|c[123]|d[12]|auto[12])\.tsv\$|^ck2?\$|\.(one|err|err1|[23]\.[12])\$')\" ]"

# Usage errors: every rank refuses, one line (from rank 0), exit 2, nothing written.
$MPIRUN -np 3 "$INITLAB" sim --widths 4,4 --dropout 1.5 --out u.tsv 2>u.err
su=$?
check "bad option on 3 ranks: exit 2, one initlab line, no output" \
    "[ $su -eq 2 ] && [ \$(grep -c '^initlab sim:' u.err) -eq 1 ] && grep -q -- '--dropout' u.err && [ ! -e u.tsv ]"
$MPIRUN -np 2 "$INITLAB" sim --widths 4,4 --resume missing.ck --out u2.tsv 2>u2.err
su2=$?
check "a --resume only rank 0 reads: exit 1 on every rank, one line" \
    "[ $su2 -eq 1 ] && [ \$(grep -c '^initlab sim:' u2.err) -eq 1 ] && [ ! -e u2.tsv ]"
$MPIRUN -np 2 "$INITLAB" sim --help >help2.out 2>/dev/null
"$ONE" sim --help >help1.out
check "--help is printed once" "cmp -s help1.out help2.out"

# A draw that overflows: the same failure (layer and draw) as one process, exit 1, nothing written.
F="--widths 4,4,4 --draws 50 --batch 2 --init normal:std=1e200 --quiet"
"$ONE" sim $F --out f1.tsv 2>f1.err
sf1=$?
$MPIRUN -np 3 "$INITLAB" sim $F --out f3.tsv 2>f3.err
sf3=$?
check "non-finite draw: the one-process message and exit status on 3 ranks" \
    "[ $sf1 -eq 1 ] && [ $sf3 -eq 1 ] && grep -q 'non-finite' f1.err && grep -F -q \"\$(cat f1.err)\" f3.err && [ ! -e f3.tsv ]"

# A signal to mpirun: it sends SIGTERM to every rank (and SIGKILL after odls_base_sigkill_timeout seconds,
# 1 by default: 3 here, for a loaded machine); rank 0 stops after the group under way and writes the partial
# output and the checkpoint.
B="--widths 64,64,64,64,64 --act relu --draws 2000000 --batch 64 --seed 3 --threads 1 --quiet"
OMPI_MCA_odls_base_sigkill_timeout=3 $MPIRUN -np 2 "$INITLAB" sim $B --checkpoint sk --checkpoint-every 1 --out sig.tsv 2>sig.err &
pid=$!
i=0
while [ $i -lt 400 ] && ! grep -aq '^draws_done [1-9]' sk 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -INT $pid
wait $pid
check "SIGINT to mpirun: partial output, one message naming the signal" \
    "grep -q '^# partial = yes' sig.tsv && [ \$(grep -c 'initlab sim: interrupted by signal' sig.err) -eq 1 ]"
dsig=$(grep -a '^draws_done' sk | awk '{print $2}')
check "SIGINT to mpirun: the checkpoint holds the draws of the partial output" \
    "[ -n \"$dsig\" ] && grep -q \"^1	pre	64	$dsig	\" sig.tsv"
"$ONE" sim $(echo "$B" | sed 's/--draws 2000000/--draws '"$dsig"'/') --out sig1.tsv
check "SIGINT to mpirun: the rows equal one process's run of as many draws" \
    "[ \"\$(grep -v '^#' sig.tsv | md5sum)\" = \"\$(grep -v '^#' sig1.tsv | md5sum)\" ]"

[ $fails -eq 0 ]
