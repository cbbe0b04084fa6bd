# estimates.gp: the Monte Carlo items of a claim (initlab report): each estimate with +-2 SE bars, the value
# the claim states (crosses) and the correct value (open circles), one column per item. With joined = 1 the
# claimed and the correct values are joined across the items (a sequence such as the layers of a network:
# variance against depth).
#
# usage: gnuplot -c plots/estimates.gp VARS OUT png|svg
# VARS, written by il_plot_estimates (plots/plot.h), defines
#   fig_w, fig_h, fig_tl[], fig_sub[]      size, title and subtitle lines (common.gp)
#   data_file, n_items                     the items (columns item, estimate, se, claimed, correct)
#   logy, joined, has_claimed, has_correct 0/1
#   y_min, y_max                           the range of the values and bars
#   x_label, y_label                       the axis labels
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
set datafile columnheaders
set xrange [0.5 : n_items + 0.5]
set xtics 1 noenhanced scale 0 nomirror
# many items: slanted labels, so that they do not run into each other
if (n_items > 8) { set xtics rotate by 35 right }
set xlabel x_label noenhanced
set ylabel y_label noenhanced
if (logy) {
    load fig_dir . "logy.gp"
} else {
    _pad = (y_max - y_min) * 0.08
    set yrange [y_min - _pad : y_max + _pad]
    set grid xtics ytics lc rgb "#dcdcdc"
}
set key outside right top vertical Left reverse noenhanced samplen 2.5 spacing 1.3 width 1 font ",10"
set bars 1.2
_co = has_correct ? 1 : 0
_cl = has_claimed ? 1 : 0
_j = joined ? 1 : 0

# with joined, the claimed and correct series are lines through their points (an iteration over 0 items
# leaves a clause out)
plot \
    data_file using ($0 + 1):(column("estimate")):(column("estimate") - 2 * column("se")):(column("estimate") + 2 * column("se")):xticlabels(strcol("item")) \
        with yerrorbars lc rgb lt_col[1] pt 7 ps 0.9 lw 1.6 title "Monte Carlo estimate ±2 SE", \
    for [_k = 1:_co * _j] data_file using ($0 + 1):(column("correct")) with linespoints lc rgb lt_col[3] pt 6 ps 2.2 lw 1.8 \
        title "correct value", \
    for [_k = 1:_co * (1 - _j)] data_file using ($0 + 1):(column("correct")) with points lc rgb lt_col[3] pt 6 ps 2.2 lw 1.8 \
        title "correct value", \
    for [_k = 1:_cl * _j] data_file using ($0 + 1):(column("claimed")) with linespoints dt 2 lc rgb lt_col[2] pt 2 ps 1.9 lw 1.8 \
        title "claimed value", \
    for [_k = 1:_cl * (1 - _j)] data_file using ($0 + 1):(column("claimed")) with points lc rgb lt_col[2] pt 2 ps 1.9 lw 1.8 \
        title "claimed value"
