# fluctuations.gp: the variance across networks of each layer's mean square M_l = |y_l|^2 / n_l (averaged
# over the B inputs of each network) against depth, log scale: q_sd^2 of an `initlab sim` TSV (with
# relative = 1, q_sd^2 / q^2), with approximate +-2 SE bars q_sd^2 * 2 sqrt(2 / (D - 1)), exact if M were
# Gaussian (heavier tails widen the true SE).
#
# usage: gnuplot -c plots/fluctuations.gp VARS OUT png|svg
# VARS, written by `initlab plot fluctuations` (docs/plots.md), defines
#   fig_w, fig_h, fig_title, fig_sub[]     size, title, subtitle lines (common.gp)
#   point, n_layers, relative              "pre" or "post"; the largest layer; 1 for q_sd^2 / q^2
#   n_mc, mc_file[], mc_lt[]               the inputs (sim TSVs) and their colours
#   key_colours, key_lab[]                 the legend's colours (shown when key_colours is 1)
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
set datafile columnheaders
at(c) = strcol("point") eq point ? column(c) : NaN
fl(sd, q) = relative ? (sd / q) ** 2 : sd ** 2
rse(d) = 2 * sqrt(2.0 / (d - 1))
dodge = n_mc > 1 ? (0.5 / n_mc < 0.12 ? 0.5 / n_mc : 0.12) : 0
dx(i) = (i - (n_mc + 1) / 2.0) * dodge

set xlabel "layer l"
# M_l of one network is the mean over its B inputs of |y_l|^2 / n_l (the q of that network; the subtitle
# says so): its variance across networks is the between-network part plus the within-network part / B.
if (relative) { set ylabel "Var(M_l) / E[M_l]^2 across networks" } else { set ylabel "Var(M_l) across networks" }
set xrange [0.5 : n_layers + 0.5]
if (n_layers <= 24) { set xtics 1 } else { set xtics autofreq }
load fig_dir . "logy.gp"
set key outside below center horizontal Left reverse noenhanced samplen 2.5 spacing 1.15 maxcols 2 width 0 height 1 font ",10"
set bars 0.6
style_col = n_mc > 1 ? "black" : lt_col[1]

plot \
    for [i = 1:n_mc] mc_file[i] \
        using (at("layer") + dx(i)):(fl(at("q_sd"), at("q"))):(fl(at("q_sd"), at("q")) * (1 - rse(at("draws")))):(fl(at("q_sd"), at("q")) * (1 + rse(at("draws")))) \
        with yerrorlines lc rgb lt_col[mc_lt[i]] pt 7 ps 0.85 lw 1.3 notitle, \
    for [i = 1:(key_colours ? n_mc : 0)] keyentry with points lc rgb lt_col[mc_lt[i]] pt 5 ps 1.6 title key_lab[i], \
    keyentry with yerrorlines lc rgb style_col pt 7 ps 0.85 lw 1.3 \
        title "Monte Carlo, ±2 SE (normal approximation: ±2·sqrt(2/(D−1)) relative)"
