# variance_depth.gp: the per-layer second moment q against depth, log scale: Monte Carlo estimates with
# +-2 SE bars, the theory as lines (solid: exact at every layer; dash-dot: mean-field at some layer),
# claims dashed; one colour per input. Reads the TSVs of `initlab sim`, `sim --compare` and
# `initlab theory` as they are (columns by name, rows with point = `point`).
#
# usage: gnuplot -c plots/variance_depth.gp VARS OUT png|svg
# VARS, written by `initlab plot variance` (docs/plots.md), defines
#   fig_w, fig_h, fig_title, fig_sub[]     size, title, subtitle lines (common.gp)
#   y_min, y_max                           the range of the values (log axis)
#   point, n_layers                        "pre" or "post"; the largest layer
#   n_mc, mc_file[], mc_lt[]               Monte Carlo inputs (sim or sim --compare TSVs) and their colours
#   n_th, th_file[], th_lt[], th_dt[],     theory lines (sim --compare or theory TSVs), colours, dash types,
#     th_slot[]                            and the Monte Carlo series each belongs to (0: none)
#   n_cl, cl_file[], cl_lt[], cl_slot[]    claims (sim --compare TSVs with q_claim)
#   n_in, key_colours, key_lab[], key_lt[] the legend's colours (shown when key_colours is 1)
#   key_mc, key_exact, key_mf, key_claim   the legend's styles ("" for none), in colour style_lt (0: black)
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
# +-2 SE; without an SE (one draw), no bar
lo(q, se) = se == se ? q - 2 * se : q
hi(q, se) = se == se ? q + 2 * se : q
# inputs side by side, so that their bars do not hide each other; a run's theory and claim lines move
# with its points (slot i; slot 0: a theory without Monte Carlo, not moved), so each point sits on
# the vertex it is compared with
dodge = n_mc > 1 ? (0.5 / n_mc < 0.12 ? 0.5 / n_mc : 0.12) : 0
dx(i) = i > 0 ? (i - (n_mc + 1) / 2.0) * dodge : 0
style_col = style_lt ? lt_col[style_lt] : "black"

set xlabel "layer l"
if (point eq "pre") {
    set ylabel "q_l = mean_i E[y_{l,i}^2]   (y_l = W_l h_{l-1} + b_l, the linear output)"
} else {
    set ylabel "mean_i E[h_{l,i}^2]   (h_l, the output of layer l)"
}
set xrange [0.5 : n_layers + 0.5]
if (n_layers <= 24) { set xtics 1 } else { set xtics autofreq }
load fig_dir . "logy.gp"
set key outside below center horizontal Left reverse noenhanced samplen 2.5 spacing 1.15 maxcols 2 width 0 height 1 font ",10"
set bars 0.6

# The plot command, one clause per kind of series present (gnuplot opens a plot's file even when its
# iteration is empty, so absent kinds must not appear at all).
p = ""
if (n_th) { p = p . ', for [i = 1:n_th] th_file[i] using (at("layer") + dx(th_slot[i])):(at("q_theory")) with lines lc rgb lt_col[th_lt[i]] dt th_dt[i] lw 2 notitle' }
if (n_cl) { p = p . ', for [i = 1:n_cl] cl_file[i] using (at("layer") + dx(cl_slot[i])):(at("q_claim")) with lines lc rgb lt_col[cl_lt[i]] dt (16, 8) lw 2 notitle' }
if (n_mc) { p = p . ', for [i = 1:n_mc] mc_file[i] using (at("layer") + dx(i)):(at("q")):(lo(at("q"), at("q_se"))):(hi(at("q"), at("q_se"))) with yerrorbars lc rgb lt_col[mc_lt[i]] pt 7 ps 0.85 lw 1.3 notitle' }
if (key_colours) { p = p . ', for [i = 1:n_in] keyentry with points lc rgb lt_col[key_lt[i]] pt 5 ps 1.6 title key_lab[i]' }
if (key_mc ne "") { p = p . ', keyentry with yerrorbars lc rgb style_col pt 7 ps 0.85 lw 1.3 title key_mc' }
if (key_exact ne "") { p = p . ', keyentry with lines lc rgb style_col dt 1 lw 2 title key_exact' }
if (key_mf ne "") { p = p . ', keyentry with lines lc rgb style_col dt 4 lw 2 title key_mf' }
if (key_claim ne "") { p = p . ', keyentry with lines lc rgb style_col dt (16, 8) lw 2 title key_claim' }
eval "plot " . p[3:]
