#!/bin/sh
# install.sh: `make install` and `make uninstall` into temporary places, and the installed library used
# the way a user would.
#   1. A staged install (DESTDIR=TMP/stage, PREFIX=/usr/local): every file where it belongs (the command,
#      libinitlab.a, libinitlab.so.VERSION with soname libinitlab.so.0 and its two links, the headers
#      under include/initlab with the umbrella initlab.h, initlab.pc, initlab.1, the gnuplot scripts under
#      share/initlab/plots) and nothing outside DESTDIR/PREFIX; initlab.pc names /usr/local, not DESTDIR;
#      examples/moments.c builds with PKG_CONFIG_SYSROOT_DIR=DESTDIR and runs; installing twice works;
#      `make uninstall` with the same DESTDIR and PREFIX leaves no file behind.
#   2. An install into PREFIX=TMP/prefix: examples/moments.c built with `pkg-config --cflags --libs
#      initlab` (shared library, run with LD_LIBRARY_PATH) and with `pkg-config --static` (libinitlab.a,
#      no libinitlab.so needed at run time); both exit 0 and print the same table; the installed
#      `initlab` runs, finds its gnuplot scripts under PREFIX/share/initlab/plots from any directory;
#      the man page documents, in the section of each command that `initlab --help` lists, every option
#      that `initlab CMD --help` lists, and renders without warnings (groff -ww, and man -l); uninstall
#      leaves nothing.
#   3. $BUILD/examples/moments (built by make check-build against the staged headers) runs and exits 0.
# The option checker is checked first on a man page with one option removed.
# Prints "ok N - ..." / "not ok N - ..." lines (with "#" diagnostics) and exits 1 if any failed.
# Environment: BUILD (default build); IL_MAKE (default make: the make command, e.g. "make -f
# /tmp/Makefile"); IL_VALGRIND (the examples then run under it, with fewer draws).
# Run from the top of the tree: sh tests/cli/install.sh
set -u
LC_ALL=C
export LC_ALL

BUILD=${BUILD:-build}
IL_MAKE=${IL_MAKE:-make}
TOP=$PWD
CC=${CC:-cc}
# Draws of the example (its default, 2000, takes well under a second; under valgrind, far longer).
EX_DRAWS=2000
if [ -n "${IL_VALGRIND:-}" ]; then
    EX_DRAWS=200
fi

. "$(dirname "$0")/lib/tap.sh"
check() { # check DESCRIPTION COMMAND...: ok if the command succeeds
    desc=$1
    shift
    if "$@" >"$TMP/check.out" 2>&1; then
        ok "$desc"
    else
        not_ok "$desc" "$(head -c 600 "$TMP/check.out")"
    fi
}

for tool in pkg-config readelf nm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        n=$((n + 1))
        nfail=$((nfail + 1))
        echo "not ok $n - $tool is installed (make check installs pkgconf and binutils)"
        finish
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/initlab-install.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 1' HUP INT TERM

VERSION=$("$BUILD/initlab" --version 2>/dev/null | awk '{ print $2 }')
if [ -z "$VERSION" ]; then
    not_ok "$BUILD/initlab --version prints the version (make check-build)"
    finish
fi

# The headers that must be installed: the umbrella, and every header it includes.
UMBRELLA_HDRS=$(awk -F '"' '/^#include "/ { print $2 }' include/initlab.h | sort)

# ---- helpers

# help_options CMD: the option names `initlab CMD --help` lists (one per line: --name, and -h).
help_options() {
    "$1" "$2" --help | awk '
        /^  -/ {
            s = $0
            sub(/^  /, "", s)
            n = split(s, w, " ")
            for (i = 1; i <= n; i++) {
                if (w[i] !~ /^-/) break
                x = w[i]; sub(/,$/, "", x)
                match(x, /^--?[A-Za-z0-9][A-Za-z0-9-]*/)
                print substr(x, RSTART, RLENGTH)
            }
        }'
}

# man_options MANFILE CMD: the options documented as .TP tags in the section "INITLAB CMD".
man_options() {
    awk -v sec=".SH \"INITLAB $(echo "$2" | tr a-z A-Z)\"" '
        /^\.SH/ { on = ($0 == sec); next }
        on && /^\.TP/ { tag = 1; next }
        on && tag {
            tag = 0
            s = $0
            gsub(/\\-/, "-", s)
            while (match(s, /\\fB-[^\\]*\\fR/)) {
                o = substr(s, RSTART + 3, RLENGTH - 6)
                print o
                s = substr(s, RSTART + RLENGTH)
            }
        }' "$1"
}

# missing_options INITLAB MANFILE: prints "CMD --option" for every option of every command that the
# man page does not document in that command's section; "CMD: no options parsed" if a help lists none.
missing_options() {
    cmds=$("$1" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }')
    [ -n "$cmds" ] || echo "no commands parsed from --help"
    for c in $cmds; do
        help_options "$1" "$c" | sort -u >"$TMP/h.opts"
        man_options "$2" "$c" | sort -u >"$TMP/m.opts"
        [ -s "$TMP/h.opts" ] || echo "$c: no options parsed from its --help"
        comm -23 "$TMP/h.opts" "$TMP/m.opts" | sed "s/^/$c /"
    done
}

# build_example ROOT LINKMODE OUT: compiles examples/moments.c against the install under ROOT with
# pkg-config (PKG_CONFIG_SYSROOT_DIR and PKG_CONFIG_PATH set by the caller). LINKMODE: shared | static.
build_example() {
    san=""
    # An install made by `make check-asan` holds a sanitized library: link the example the same way.
    if nm "$1/lib/libinitlab.a" 2>/dev/null | grep -q ' U __asan_report'; then
        san="-fsanitize=address,undefined"
    fi
    if [ "$2" = shared ]; then
        # shellcheck disable=SC2046
        $CC -std=c11 -Wall -Wextra -Werror $san -o "$3" "$TOP/examples/moments.c" \
            $(pkg-config --cflags --libs initlab)
    else
        # shellcheck disable=SC2046
        $CC -std=c11 -Wall -Wextra -Werror $san -o "$3" "$TOP/examples/moments.c" \
            $(pkg-config --cflags --static --libs initlab | sed 's/-linitlab /-l:libinitlab.a /')
    fi
}

# installed_files ROOT: every file and symlink under ROOT, relative, sorted.
installed_files() {
    (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
}

# check_tree ROOT LABEL: the installed files under ROOT (an install prefix).
check_tree() {
    root=$1
    label=$2
    bad=""
    [ -x "$root/bin/initlab" ] || bad="$bad bin/initlab(not executable)"
    [ -f "$root/lib/libinitlab.a" ] || bad="$bad lib/libinitlab.a"
    [ -f "$root/lib/libinitlab.so.$VERSION" ] && [ ! -L "$root/lib/libinitlab.so.$VERSION" ] ||
        bad="$bad lib/libinitlab.so.$VERSION"
    [ "$(readlink "$root/lib/libinitlab.so.0" 2>/dev/null)" = "libinitlab.so.$VERSION" ] ||
        bad="$bad lib/libinitlab.so.0(->libinitlab.so.$VERSION)"
    [ "$(readlink "$root/lib/libinitlab.so" 2>/dev/null)" = "libinitlab.so.0" ] ||
        bad="$bad lib/libinitlab.so(->libinitlab.so.0)"
    [ -f "$root/lib/pkgconfig/initlab.pc" ] || bad="$bad lib/pkgconfig/initlab.pc"
    [ -f "$root/share/man/man1/initlab.1" ] || bad="$bad share/man/man1/initlab.1"
    [ -f "$root/include/initlab/initlab.h" ] || bad="$bad include/initlab/initlab.h"
    for h in $UMBRELLA_HDRS; do
        [ -f "$root/include/initlab/$h" ] || bad="$bad include/initlab/$h"
    done
    for gp in plots/*.gp; do
        cmp -s "$gp" "$root/share/initlab/plots/$(basename "$gp")" || bad="$bad share/initlab/plots/$(basename "$gp")"
    done
    if [ -z "$bad" ]; then
        ok "$label: bin/initlab, libinitlab.a, libinitlab.so.$VERSION and links, $(echo "$UMBRELLA_HDRS" | wc -l) headers + initlab.h, initlab.pc, initlab.1, $(ls plots/*.gp | wc -l) gnuplot scripts"
    else
        not_ok "$label: every file installed" "missing or wrong:$bad" "installed: $(installed_files "$root" | tr '\n' ' ')"
    fi
    soname=$(readelf -d "$root/lib/libinitlab.so.$VERSION" 2>/dev/null | awk '/SONAME/ { gsub(/[][]/, "", $NF); print $NF }')
    if [ "$soname" = "libinitlab.so.0" ]; then
        ok "$label: libinitlab.so.$VERSION has soname libinitlab.so.0"
    else
        not_ok "$label: libinitlab.so.$VERSION has soname libinitlab.so.0" "soname: '$soname'"
    fi
    # Installed headers: exactly the umbrella and what it includes; every sim/, analysis/, plots/ header
    # is public (a new module header must be added to include/initlab.h and PUBLIC_HDRS).
    have=$(for h in "$root"/include/initlab/*.h; do
        [ -f "$h" ] && [ "$(basename "$h")" != initlab.h ] && basename "$h"
    done | sort)
    srcs=$(cd "$TOP" && for h in sim/*.h analysis/*.h plots/*.h; do basename "$h"; done | sort)
    if [ "$have" = "$UMBRELLA_HDRS" ] && [ "$srcs" = "$UMBRELLA_HDRS" ]; then
        ok "$label: the installed headers are exactly those include/initlab.h includes, and every module header"
    else
        not_ok "$label: the installed headers are exactly those include/initlab.h includes, and every module header" \
            "installed: $(echo $have)" "included by initlab.h: $(echo $UMBRELLA_HDRS)" "in sim/ analysis/ plots/: $(echo $srcs)"
    fi
}

# ---- the option checker, checked: it must find every option of a correct page and miss a removed one
if [ -f "$BUILD/initlab.1" ]; then
    missing_options "$BUILD/initlab" "$BUILD/initlab.1" >"$TMP/miss"
    nopts=0
    for c in $("$BUILD/initlab" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'); do
        nopts=$((nopts + $(man_options "$BUILD/initlab.1" "$c" | wc -l)))
    done
    # Drop the .TP entry of sim's --checkpoint-every (the head that touches its text in --help).
    awk '/^\.SH "INITLAB SIM"/ { s = 1 } /^\.SH "INITLAB THEORY"/ { s = 0 }
         s && /^\.TP$/ { held = $0; next }
         held != "" { if ($0 ~ /checkpoint\\-every\\fR/) { skip = 1; held = ""; next } print held; held = "" }
         skip { skip = 0; next }
         { print }' "$BUILD/initlab.1" >"$TMP/broken.1"
    missing_options "$BUILD/initlab" "$TMP/broken.1" >"$TMP/miss.broken"
    if [ ! -s "$TMP/miss" ] && [ "$nopts" -ge 50 ] && [ "$(cat "$TMP/miss.broken")" = "sim --checkpoint-every" ]; then
        ok "checker: $BUILD/initlab.1 documents all $nopts options; with sim --checkpoint-every removed, exactly that one is missing"
    else
        not_ok "checker: finds every option in $BUILD/initlab.1 and only the one removed from a broken copy" \
            "missing from the page: $(tr '\n' ',' <"$TMP/miss")" "options found: $nopts" \
            "missing from the broken page: $(tr '\n' ',' <"$TMP/miss.broken")"
    fi
else
    not_ok "$BUILD/initlab.1 exists (make check-build)"
fi

# ---- 1. staged install: DESTDIR and PREFIX
STAGE=$TMP/stage
SPREFIX=/usr/local
ROOT=$STAGE$SPREFIX
check "make install DESTDIR=$STAGE PREFIX=$SPREFIX" \
    $IL_MAKE --no-print-directory BUILD="$BUILD" DESTDIR="$STAGE" PREFIX="$SPREFIX" install
check_tree "$ROOT" "DESTDIR install"
outside=$(installed_files "$STAGE" | grep -v "^${SPREFIX#/}/")
if [ -z "$outside" ]; then
    ok "DESTDIR install: nothing outside DESTDIR$SPREFIX"
else
    not_ok "DESTDIR install: nothing outside DESTDIR$SPREFIX" "$outside"
fi
pc=$ROOT/lib/pkgconfig/initlab.pc
if grep -qx "prefix=$SPREFIX" "$pc" 2>/dev/null && ! grep -qF "$STAGE" "$pc" && grep -qx "Version: $VERSION" "$pc"; then
    ok "DESTDIR install: initlab.pc says prefix=$SPREFIX and Version: $VERSION, and does not mention DESTDIR"
else
    not_ok "DESTDIR install: initlab.pc says prefix=$SPREFIX and Version: $VERSION, and does not mention DESTDIR" \
        "$(grep -v '^#' "$pc" | head -12)"
fi
(
    export PKG_CONFIG_SYSROOT_DIR="$STAGE" PKG_CONFIG_PATH="$ROOT/lib/pkgconfig" PKG_CONFIG_LIBDIR="$ROOT/lib/pkgconfig"
    build_example "$ROOT" shared "$TMP/moments.stage"
) >"$TMP/cc.out" 2>&1
if [ $? -eq 0 ]; then
    LD_LIBRARY_PATH="$ROOT/lib" ${IL_VALGRIND:-} "$TMP/moments.stage" "$EX_DRAWS" >"$TMP/ex.stage" 2>&1
    st=$?
    if [ "$st" -eq 0 ] && grep -q '^overall: ' "$TMP/ex.stage"; then
        ok "DESTDIR install: examples/moments.c builds with PKG_CONFIG_SYSROOT_DIR and runs (exit 0)"
    else
        not_ok "DESTDIR install: examples/moments.c runs (exit 0)" "exit status $st" "$(head -c 600 "$TMP/ex.stage")"
    fi
else
    not_ok "DESTDIR install: examples/moments.c builds with PKG_CONFIG_SYSROOT_DIR" "$(head -c 600 "$TMP/cc.out")"
fi
installed_files "$STAGE" >"$TMP/files.1"
check "make install a second time into the same DESTDIR (links replaced, no error)" \
    $IL_MAKE --no-print-directory BUILD="$BUILD" DESTDIR="$STAGE" PREFIX="$SPREFIX" install
installed_files "$STAGE" >"$TMP/files.2"
check "the second install leaves the same files" cmp "$TMP/files.1" "$TMP/files.2"
check "make uninstall DESTDIR=$STAGE PREFIX=$SPREFIX" \
    $IL_MAKE --no-print-directory BUILD="$BUILD" DESTDIR="$STAGE" PREFIX="$SPREFIX" uninstall
left=$(installed_files "$STAGE"; cd "$STAGE" && find . -type d -name 'initlab*')
if [ -z "$left" ]; then
    ok "DESTDIR uninstall: no file, link or initlab directory left"
else
    not_ok "DESTDIR uninstall: no file, link or initlab directory left" "$(echo $left)"
fi

# ---- 2. install into a temporary PREFIX; the library through pkg-config, shared and static
PREFIX=$TMP/prefix
check "make install PREFIX=$PREFIX" $IL_MAKE --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" install
check_tree "$PREFIX" "PREFIX install"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
check "pkg-config --modversion initlab is $VERSION" sh -c "[ \"\$(pkg-config --modversion initlab)\" = '$VERSION' ]"
for mode in shared static; do
    if build_example "$PREFIX" "$mode" "$TMP/moments.$mode" >"$TMP/cc.out" 2>&1; then
        ok "examples/moments.c builds against the installed library ($mode): pkg-config --cflags$([ "$mode" = static ] && echo ' --static') --libs initlab"
    else
        not_ok "examples/moments.c builds against the installed library ($mode)" "$(head -c 600 "$TMP/cc.out")"
        continue
    fi
    needed=$(readelf -d "$TMP/moments.$mode" | awk '/NEEDED/ && /libinitlab/ { gsub(/[][]/, "", $NF); print $NF }')
    if [ "$mode" = shared ]; then
        [ "$needed" = libinitlab.so.0 ] && ok "shared: the example needs libinitlab.so.0" ||
            not_ok "shared: the example needs libinitlab.so.0" "NEEDED: '$needed'"
        LD_LIBRARY_PATH="$PREFIX/lib" ${IL_VALGRIND:-} "$TMP/moments.$mode" "$EX_DRAWS" >"$TMP/ex.$mode" 2>&1
    else
        [ -z "$needed" ] && ok "static: the example does not need libinitlab.so" ||
            not_ok "static: the example does not need libinitlab.so" "NEEDED: '$needed'"
        ${IL_VALGRIND:-} "$TMP/moments.$mode" "$EX_DRAWS" >"$TMP/ex.$mode" 2>&1
    fi
    st=$?
    if [ "$st" -eq 0 ] && grep -q '^overall: ' "$TMP/ex.$mode" && [ "$(grep -c '^[1-9]' "$TMP/ex.$mode")" -eq 4 ]; then
        ok "$mode: the example runs, exit 0, 4 layers and an overall verdict"
    else
        not_ok "$mode: the example runs, exit 0, 4 layers and an overall verdict" "exit status $st" \
            "$(head -c 800 "$TMP/ex.$mode")"
    fi
done
if [ -f "$TMP/ex.shared" ] && [ -f "$TMP/ex.static" ]; then
    check "shared and static examples print the same table" cmp "$TMP/ex.shared" "$TMP/ex.static"
fi

# The installed command, and its gnuplot scripts found from anywhere.
mkdir -p "$TMP/elsewhere"
check "the installed initlab prints its version" sh -c "[ \"\$('$PREFIX/bin/initlab' --version)\" = 'initlab $VERSION' ]"
if command -v gnuplot >/dev/null 2>&1; then
    (
        cd "$TMP/elsewhere" &&
            "$PREFIX/bin/initlab" sim --widths 4,4,4 --draws 100 --batch 4 --quiet --out run.tsv &&
            "$PREFIX/bin/initlab" plot variance --in run.tsv --out fig.png
    ) >"$TMP/plot.out" 2>&1
    st=$?
    if [ "$st" -eq 0 ] && [ -s "$TMP/elsewhere/fig.png" ]; then
        ok "the installed initlab plot finds PREFIX/share/initlab/plots (run from another directory)"
    else
        not_ok "the installed initlab plot finds PREFIX/share/initlab/plots (run from another directory)" \
            "exit status $st" "$(head -c 400 "$TMP/plot.out")"
    fi
else
    echo "# gnuplot not found: the installed plot command not checked"
fi

# The man page: every option of every command, and a clean rendering.
MAN1=$PREFIX/share/man/man1/initlab.1
missing_options "$PREFIX/bin/initlab" "$MAN1" >"$TMP/miss"
ncmds=$("$PREFIX/bin/initlab" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { n++ } END { print n + 0 }')
if [ ! -s "$TMP/miss" ] && [ "$ncmds" -ge 4 ]; then
    ok "initlab(1) documents every option of all $ncmds commands of initlab --help, each in its command's section"
else
    not_ok "initlab(1) documents every option of every command of initlab --help" \
        "commands: $ncmds; missing: $(tr '\n' ',' <"$TMP/miss")"
fi
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$MAN1" >"$TMP/groff.out" 2>&1
    st=$?
    groff -man -Tascii -P-cbou -rLL=200n "$MAN1" 2>/dev/null >"$TMP/man.txt"
    absent=""
    for c in $("$PREFIX/bin/initlab" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on && /^  [a-z]/ { print $1 }'); do
        for o in $(help_options "$PREFIX/bin/initlab" "$c"); do
            grep -q -- "$o" "$TMP/man.txt" || absent="$absent $c:$o"
        done
    done
    if [ "$st" -eq 0 ] && [ ! -s "$TMP/groff.out" ] && [ -z "$absent" ] && grep -q "^INITLAB SIM" "$TMP/man.txt"; then
        ok "groff -man -ww renders initlab(1) without warnings, and the rendered text shows every option"
    else
        not_ok "groff -man -ww renders initlab(1) without warnings, and the rendered text shows every option" \
            "exit status $st" "$(head -c 400 "$TMP/groff.out")" "not in the text:$absent"
    fi
else
    echo "# groff not found: the man page's rendering not checked"
fi
if command -v man >/dev/null 2>&1; then
    MANPAGER=cat MANWIDTH=100 man --warnings -l "$MAN1" >"$TMP/man.out" 2>"$TMP/man.err"
    st=$?
    if [ "$st" -eq 0 ] && [ ! -s "$TMP/man.err" ] && grep -q "initlab - Monte Carlo" "$TMP/man.out"; then
        ok "man -l shows initlab(1) without warnings"
    else
        not_ok "man -l shows initlab(1) without warnings" "exit status $st" "$(head -c 400 "$TMP/man.err")"
    fi
fi
unset PKG_CONFIG_PATH
check "make uninstall PREFIX=$PREFIX" $IL_MAKE --no-print-directory BUILD="$BUILD" PREFIX="$PREFIX" uninstall
left=$(installed_files "$PREFIX"; cd "$PREFIX" && find . -type d -name 'initlab*')
if [ -z "$left" ]; then
    ok "PREFIX uninstall: no file, link or initlab directory left"
else
    not_ok "PREFIX uninstall: no file, link or initlab directory left" "$(echo $left)"
fi

# ---- 3. the in-tree example of make check
if [ -x "$BUILD/examples/moments" ]; then
    ${IL_VALGRIND:-} "$BUILD/examples/moments" "$EX_DRAWS" >"$TMP/ex.tree" 2>&1
    st=$?
    if [ "$st" -eq 0 ] && grep -q '^overall: ' "$TMP/ex.tree"; then
        ok "$BUILD/examples/moments runs: $(grep '^overall: ' "$TMP/ex.tree" | cut -c1-60)..."
    else
        not_ok "$BUILD/examples/moments runs and exits 0 (nothing refuted)" "exit status $st" "$(head -c 800 "$TMP/ex.tree")"
    fi
else
    not_ok "$BUILD/examples/moments exists (make check-build builds it)"
fi

finish
