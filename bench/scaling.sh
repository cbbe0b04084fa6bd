#!/bin/sh
# scaling.sh: draws per second of `initlab sim` on this machine for 1 rank x 1 and 2 threads (build/initlab)
# and 2 and 3 ranks x 1 thread (mpirun build-mpi/initlab; make MPI=1), on a few workloads; and whether every
# configuration of a workload wrote the same bytes. Whole process, wall clock, OPENBLAS_NUM_THREADS=1; the
# start and end of mpirun and its ranks (timed on a one-draw run) are printed, so that the draws' own rate
# can be read off. docs/mpi.md shows its output. Takes about a minute.
# Environment: INITLAB (default build/initlab), INITLAB_MPI (default build-mpi/initlab).
set -eu
ONE=${INITLAB:-build/initlab}
MPI=${INITLAB_MPI:-build-mpi/initlab}
for f in "$ONE" "$MPI"; do
    [ -x "$f" ] || { echo "scaling: $f is missing (make; make MPI=1)" >&2; exit 1; }
done
command -v mpirun >/dev/null 2>&1 || { echo "scaling: no mpirun (sh .ci/deps.sh mpi)" >&2; exit 1; }
MPIRUN="mpirun --oversubscribe"
[ "$(id -u)" = 0 ] && MPIRUN="$MPIRUN --allow-run-as-root"
export OPENBLAS_NUM_THREADS=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

now() { date +%s.%N; }
widths() { i=0; s=$1; while [ $i -lt "$2" ]; do s="$s,$1"; i=$((i + 1)); done; echo "$s"; }
# run RANKS THREADS OUT ARGS...: wall seconds of one run
run() {
    r=$1 t=$2 o=$3
    shift 3
    s=$(now)
    if [ "$r" = 1 ]; then
        "$ONE" "$@" --threads "$t" --out "$o"
    else
        $MPIRUN -np "$r" "$MPI" "$@" --threads "$t" --out "$o"
    fi
    echo "$(now) - $s" | bc
}
for r in 2 3; do
    s=$(run "$r" 1 "$T/start" sim --widths 1,1 --draws 1 --batch 1 --quiet)
    printf 'mpirun -np %d start and end: %.2f s\n' "$r" "$s"
done
printf '%-16s %7s %5s %7s %9s %10s %8s\n' workload draws ranks threads seconds draws/s speed-up
for wl in "16 8 32 60000" "64 20 64 6000" "256 50 256 120" "1024 4 64 60"; do
    set -- $wl
    base=
    for c in 1:1 1:2 2:1 3:1; do
        r=${c%:*} t=${c#*:}
        secs=$(run "$r" "$t" "$T/$r.$t.tsv" sim --widths "$(widths "$1" "$2")" --act relu --batch "$3" --draws "$4" \
            --seed 1 --quiet)
        rate=$(echo "$4 / $secs" | bc -l)
        [ -n "$base" ] || base=$rate
        printf '%-16s %7d %5d %7d %9.2f %10.1f %8.2f\n' "n=$1,L=$2,B=$3" "$4" "$r" "$t" "$secs" "$rate" \
            "$(echo "$rate / $base" | bc -l)"
    done
    if [ "$(cat "$T"/*.tsv | md5sum)" = "$(for f in "$T"/*.tsv; do cat "$T/1.1.tsv"; done | md5sum)" ]; then
        echo "  same bytes for every configuration"
    else
        echo "  DIFFERENT BYTES"
        exit 1
    fi
    rm -f "$T"/*.tsv
done
