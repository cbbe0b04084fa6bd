# logy.gp: the log y axis of the depth figures (variance_depth.gp, fluctuations.gp): the range
# [y_min, y_max] from VARS with a margin, and readable ticks: a fine 1-1.1-1.2-... x 10^k sequence over
# at most 0.35 decades, 1-1.2-1.5-2-2.5-3-4-...-9 x 10^k over at most 1.3, 1-2-5 x 10^k over at most 3,
# powers of ten (printed as numbers) beyond.
set logscale y
_dec = log10(y_max / y_min)
_pad = 0.04 * _dec + 0.03
set yrange [y_min / 10 ** _pad : y_max * 10 ** _pad]
if (_dec <= 3) {
    _steps = _dec <= 0.35 ? "1 1.1 1.2 1.3 1.4 1.5 1.6 1.8 2 2.2 2.5 2.8 3 3.5 4 4.5 5 6 7 8 9" : \
             (_dec <= 1.3 ? "1 1.2 1.5 2 2.5 3 4 5 6 7 8 9" : "1 2 5")
    _yt = ""
    do for [_k = floor(log10(y_min) - _pad) : ceil(log10(y_max) + _pad)] {
        do for [_m in _steps] {
            _v = real(_m) * 10.0 ** _k
            if (_v >= y_min / 10 ** _pad && _v <= y_max * 10 ** _pad) { _yt = _yt . sprintf('"%g" %.17g,', _v, _v) }
        }
    }
    if (strlen(_yt) > 0) { eval "set ytics (" . _yt[1:strlen(_yt) - 1] . ")" }
    set grid xtics ytics lc rgb "#dcdcdc"
} else {
    set format y "%g"
    set mytics 10
    set grid xtics ytics mytics lc rgb "#dcdcdc", lc rgb "#f2f2f2"
}
