#!/bin/sh
# deps.sh [build|check|demo|bench|slow|report|mpi]: installs the Debian packages initlab needs for that goal when any
# is missing. As root it runs apt-get; otherwise it prints the exact command and fails.
set -eu
goal=${1:-build}
pkgs="gcc g++ make pkg-config libgsl-dev libopenblas-dev libjansson-dev libmatheval-dev libpcg-cpp-dev"
case "$goal" in
build) ;;
check) pkgs="$pkgs libcmocka-dev gnuplot-nox" ;;
demo) pkgs="$pkgs gnuplot-nox" ;;
bench) pkgs="$pkgs python3-numpy python3-torch" ;;
slow) pkgs="$pkgs libcmocka-dev clang libclang-rt-14-dev dieharder" ;;
mpi) pkgs="$pkgs openmpi-bin libopenmpi-dev" ;;
report) pkgs="$pkgs gnuplot-nox chromium fonts-dejavu-core" ;;
*) echo "deps.sh: unknown goal '$goal' (build, check, demo, bench, slow, report, mpi)" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "initlab: installing missing Debian packages:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q --no-install-recommends $missing >&2; then
        apt-get update -q >&2
        apt-get install -y -q --no-install-recommends $missing >&2
    fi
else
    echo "initlab: missing Debian packages:$missing" >&2
    echo "initlab: run:  sudo apt-get install -y$missing" >&2
    exit 1
fi
