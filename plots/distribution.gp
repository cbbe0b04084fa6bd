# distribution.gp: the distribution of one unit's output at one layer over random networks and inputs.
# Left: the histogram (density, +-2 SE bars computed across networks) of the samples pooled over networks
# and inputs, against the Gaussian with the theory's mean and variance (or the sample's, without a
# theory). Right: the spread between networks: the histogram of the unit's variance within each network,
# with the mean within-network variance and the total variance marked. Reads the histogram files
# initlab plot writes (columns x, width, density[, density_se]).
#
# usage: gnuplot -c plots/distribution.gp VARS OUT png|svg
# VARS, written by `initlab plot distribution` (docs/plots.md), defines
#   fig_w, fig_h, fig_title, fig_sub[]   size, title, subtitle lines (common.gp)
#   hist_file, netvar_file               the two histograms
#   x_lo, x_hi, x_label, logy, y_floor   the left panel's range, axis label, log density axis (1) and
#                                        its floor (half a count: where empty bins end)
#   g_mu, g_sd, gauss_lab                the Gaussian and its legend
#   v_hi, v_xlabel, v_within, v_within_lab, v_total, v_total_lab, v_out_lab   the right panel
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
gauss(x) = exp(-0.5 * ((x - g_mu) / g_sd) ** 2) / (g_sd * sqrt(2 * pi))
set samples 500
set multiplot
# panels side by side; the title block (common.gp) is drawn with the left panel only
set origin 0, 0
set size 0.6, 1
set rmargin 3
set xrange [x_lo : x_hi]
set xlabel x_label noenhanced
set ylabel "density"
if (logy) { set logscale y; set format y "%g"; set yrange [y_floor : *] } else { set yrange [0 : *] }
set key outside below center vertical Left reverse noenhanced samplen 2.5 font ",10"
set tmargin fig_top + 1.6
set style fill transparent solid 0.35 noborder
set title "pooled over networks and inputs" font ",11"
lo2(d, s) = d - 2 * s > 0 ? d - 2 * s : (logy ? y_floor : 0)
plot hist_file using 1:(lo2($3, $4)):($3 + 2 * $4) with filledcurves lc rgb "#56B4E9" title "±2 SE across networks", \
     hist_file using 1:3 with histeps lc rgb "#0b3c5d" lw 1.5 title "Monte Carlo histogram (density)", \
     gauss(x) with lines lc rgb "#D55E00" lw 2.5 title gauss_lab

# the right panel: nothing of the title block, its own axes
unset label
unset logscale y
set origin 0.6, 0
set size 0.4, 1
set lmargin 10
set rmargin 3
set xrange [0 : v_hi]
set yrange [0 : *]
set format y "%g"
set xlabel v_xlabel noenhanced
set ylabel "density over networks"
set title "between networks" font ",11"
set arrow 1 from v_within, graph 0 to v_within, graph 1 nohead lc rgb "black" lw 2 front
set arrow 2 from v_total, graph 0 to v_total, graph 1 nohead lc rgb "#D55E00" lw 2 dt (14, 6) front
set style fill solid 0.5 noborder
plot netvar_file using 1:3:2 with boxes lc rgb "#009E73" title "networks" . (v_out_lab ne "" ? " (" . v_out_lab . ")" : ""), \
     keyentry with lines lc rgb "black" lw 2 title v_within_lab, \
     keyentry with lines lc rgb "#D55E00" lw 2 dt (14, 6) title v_total_lab
unset multiplot
