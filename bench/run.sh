#!/bin/sh
# run.sh [bench.py options]: the body of `make bench` (after the build): runs bench/bench.py with Debian's
# python3 (the one python3-torch and python3-numpy are installed for; a python3 earlier in PATH, such as a
# pyenv shim, may not have them) against $BUILD/initlab and $BUILD/bench/roofline. Writes out/bench/.
set -eu
BUILD=${BUILD:-build}
PY=/usr/bin/python3
for f in "$BUILD/initlab" "$BUILD/bench/roofline"; do
    if [ ! -x "$f" ]; then
        echo "bench: $f is missing; run 'make bench' (it builds it)" >&2
        exit 1
    fi
done
if ! "$PY" -c 'import numpy, torch' 2>/dev/null; then
    echo "bench: $PY cannot import numpy and torch; run 'sh .ci/deps.sh bench' (python3-numpy, python3-torch)" >&2
    exit 1
fi
# The MPI build (make MPI=1), when it exists and mpirun is there, adds rows of 2 ranks x 1 thread.
MPI_INITLAB=${MPI_INITLAB:-build-mpi/initlab}
if [ -x "$MPI_INITLAB" ] && command -v mpirun >/dev/null 2>&1; then
    set -- --mpi "$MPI_INITLAB" "$@"
fi
exec "$PY" bench/bench.py --initlab "$BUILD/initlab" --roofline "$BUILD/bench/roofline" --out out/bench "$@"
