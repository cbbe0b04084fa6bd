#!/bin/sh
# report_screenshot.sh: opens report.html in headless Chromium (Debian's chromium) and screenshots several
# parts of the page, for a person to look at (make check-report; docs/report.md).
#
# usage: sh tests/report_screenshot.sh REPORT.html OUTDIR
# Writes OUTDIR/top.png (the title, the summary and the verdict table), OUTDIR/ID.png for a few claims (the
# page scrolled to that claim's section through its #anchor: a gradient claim, a Monte Carlo claim with its
# figure, the covariance heat map, the commutation map) and OUTDIR/appendix.png, each 1280 pixels wide, and
# OUTDIR/full.png (the whole page at 1280 x 4000). Checks that each file is a PNG of a plausible size and
# prints one "ok"/"not ok" line per screenshot; exit status 1 if any failed, 2 for a usage error.
# Environment: CHROMIUM (default: chromium, else chromium-browser).
set -u
if [ $# -ne 2 ] || [ ! -f "$1" ]; then
    echo "usage: sh tests/report_screenshot.sh REPORT.html OUTDIR (REPORT.html must exist)" >&2
    exit 2
fi
html=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
mkdir -p "$out" || exit 1
CHROMIUM=${CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
    for c in chromium chromium-browser; do
        if command -v "$c" >/dev/null 2>&1; then CHROMIUM=$c; break; fi
    done
fi
if [ -z "$CHROMIUM" ]; then
    echo "report_screenshot.sh: chromium not found (Debian: sudo apt-get install chromium)" >&2
    exit 1
fi
profile=$(mktemp -d "${TMPDIR:-/tmp}/initlab-chromium.XXXXXX") || exit 1
trap 'rm -rf "$profile"' EXIT
trap 'exit 1' HUP INT TERM

failed=0
# shot NAME ANCHOR HEIGHT: the page at file://...#ANCHOR in a 1280 x HEIGHT window into OUTDIR/NAME.png.
# Headless Chromium screenshots a page opened at a #fragment blank, so a section is shown through a frame
# page (in the private profile directory) whose iframe opens the report at that fragment.
shot() {
    name=$1 anchor=$2 height=$3
    url="file://$html"
    if [ -n "$anchor" ]; then
        printf '<!DOCTYPE html><html><body style="margin:0;overflow:hidden"><iframe src="%s#%s" style="width:1280px;height:%spx;border:0;display:block"></iframe></body></html>\n' \
            "$url" "$anchor" "$height" >"$profile/frame.html"
        url="file://$profile/frame.html"
    fi
    rm -f "$out/$name.png"
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync --disable-extensions \
        --user-data-dir="$profile/user" --window-size=1280,"$height" --virtual-time-budget=5000 --screenshot="$out/$name.png" "$url" \
        >"$profile/log" 2>&1
    size=$(wc -c <"$out/$name.png" 2>/dev/null || echo 0)
    magic=$(head -c 4 "$out/$name.png" 2>/dev/null | od -An -c | tr -d ' ')
    if [ "$size" -gt 10000 ] && [ "$magic" = "211PNG" ]; then
        echo "ok - $out/$name.png (${anchor:-top}, 1280x$height, $size bytes)"
    else
        echo "not ok - $out/$name.png (${anchor:-top}): no PNG written"
        sed 's/^/#     /' "$profile/log" | tail -n 5
        failed=1
    fi
}

shot top "" 1400
for id in S000-P1a S000-P2b S001-P1b S001-P2d S001-P2h S002-P3c; do
    grep -q "id=\"$id\"" "$html" && shot "$id" "$id" 1400
done
shot appendix appendix 1400
shot full "" 4000
exit $failed
