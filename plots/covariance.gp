# covariance.gp: the covariance matrix Cov(y_i, y_j) of one layer as a heat map (a diverging palette
# centred on 0, so the sign reads at a glance; row i from the top, column j from the left), each cell
# with its estimate and standard error when the layer is narrow. Reads the matrix file initlab plot
# derives from `initlab sim --format json --matrices` (columns i, j, cov, cov_se).
#
# usage: gnuplot -c plots/covariance.gp VARS OUT png|svg
# VARS, written by `initlab plot covariance` (docs/plots.md), defines
#   fig_w, fig_h, fig_title, fig_sub[]   size, title, subtitle lines (common.gp)
#   matrix_file, n                       the matrix (n x n) file
#   cb_max                               the colour range is [-cb_max, cb_max]
#   show_values                          1: print estimate and SE in each cell
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
set xrange [0.5 : n + 0.5]
set yrange [n + 0.5 : 0.5]
set size ratio -1
if (n <= 16) { set xtics 1 scale 0; set ytics 1 scale 0 } else { set xtics scale 0.5; set ytics scale 0.5 }
set xtics out nomirror
set ytics out nomirror
set xlabel "unit j"
set ylabel "unit i"
unset grid
set palette defined (-1 "#2166ac", -0.6 "#67a9cf", -0.25 "#d1e5f0", 0 "#f7f7f7", 0.25 "#fddbc7", 0.6 "#ef8a62", 1 "#b2182b")
set cbrange [-cb_max : cb_max]
set cblabel "Cov(i, j)"
unset key
dark(v) = abs(v) > 0.6 * cb_max
# the cells' text shrinks with the number of cells
cell_font = n <= 4 ? ",12" : (n <= 8 ? ",10" : ",8")
# estimate and SE to the SE's first significant digit (0.0006 ± 0.0009, not 0.000596 ± 0.0009)
dec(s) = s > 0 ? (-floor(log10(s)) < 0 ? 0 : (-floor(log10(s)) > 8 ? 8 : int(-floor(log10(s))))) : 3
nz(c, d) = abs(c) < 0.5 * 10.0 ** (-d) ? 0.0 : c   # no "-0.000"
txt(c, s) = s == s ? sprintf(sprintf("%%.%df\n±%%.%df", dec(s), dec(s)), nz(c, dec(s)), s) : sprintf("%.3g", c)

if (show_values) {
    plot matrix_file using 2:1:3 with image, \
         matrix_file using 2:1:(dark($3) ? "" : txt($3, $4)) with labels textcolor rgb "black" font cell_font, \
         matrix_file using 2:1:(dark($3) ? txt($3, $4) : "") with labels textcolor rgb "white" font cell_font
} else {
    plot matrix_file using 2:1:3 with image
}
