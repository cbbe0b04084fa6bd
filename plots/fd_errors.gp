# fd_errors.gp: a gradient claim against central differences of the network itself (initlab report): for
# each instance, the largest |claimed - central difference| / bound over the derivative's entries, for the
# claimed formula and for the correct one, on a log axis; at most 1 (the dashed line) is consistent.
#
# usage: gnuplot -c plots/fd_errors.gp VARS OUT png|svg
# VARS, written by il_plot_fd_errors (plots/plot.h), defines
#   fig_w, fig_h, fig_tl[], fig_sub[]   size, title and subtitle lines (common.gp)
#   ratio_file, n_inst                  columns instance, claimed, correct (ratios, floored at y_min)
#   y_min, y_max                        the range
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
set datafile columnheaders
set xrange [-0.5 : n_inst - 0.5]
set xlabel "instance (random network and input)"
set ylabel "max |claimed − difference| / bound"
load fig_dir . "logy.gp"
set key outside below center horizontal noenhanced samplen 2.5 spacing 1.15 width 2 font ",10"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "#444444" front

plot \
    ratio_file using (column("instance")):(column("claimed")) with points lc rgb lt_col[2] pt 2 ps 1.4 lw 1.8 \
        title "the claim's formula", \
    ratio_file using (column("instance")):(column("correct")) with points lc rgb lt_col[1] pt 6 ps 1.3 lw 1.6 \
        title "the correct formula", \
    keyentry with lines dt 2 lw 1.5 lc rgb "#444444" title "threshold 1 (the error bound)"
