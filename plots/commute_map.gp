# commute_map.gp: does dropout commute with the activation? A heat map with one row per activation and
# one column per drop probability p, a block of columns per dropout kind, coloured by a pathwise
# discrepancy of the two orders (dropout then activation, activation then dropout) and marked with the
# verdict: "=" commutes, "≠" does not (the criterion), "?" when a level could not confirm the criterion
# (levels = partial), "!" when a level contradicts it (disagree). Reads an `initlab commute` TSV as it is.
#
# usage: gnuplot -c plots/commute_map.gp VARS OUT png|svg
# VARS, written by `initlab plot commute` (docs/plots.md), defines
#   fig_w, fig_h, fig_title, fig_sub[]   size, title, subtitle lines (common.gp)
#   cm_file, val_col                     the commute TSV and the column shown (e.g. pathwise_frac_differ)
#   cb_label, cb_max                     the colour bar's label and upper end
#   n_act, act_name[]                    the activations, top to bottom (exactly as in the activation column)
#   n_p, p_str[], p_lab[]                the values of p (exactly as in the p column) and their tick labels
#   n_kind, kind_name[]                  the dropout kinds, left to right (inverted, classic)
fig_out = ARG2
fig_term = ARG3
_last = 0
do for [_i = 1:strlen(ARG0)] { if (ARG0[_i:_i] eq "/") { _last = _i } }
fig_dir = _last ? ARG0[1:_last] : ""
load ARG1
load fig_dir . "common.gp"

set datafile separator "\t"
set datafile columnheaders
aidx(s) = sum [i = 1:n_act] (act_name[i] eq s ? i : 0)
pidx(s) = sum [i = 1:n_p] (p_str[i] eq s ? i : 0)
kidx(s) = sum [i = 1:n_kind] (kind_name[i] eq s ? i : 0)
# column of a cell: the kinds side by side, one empty column between them
xpos(p, k) = (kidx(k) - 1) * (n_p + 1) + pidx(p)
mark(v, l) = (v eq "commutes" ? "=" : "≠") . (l eq "partial" ? "?" : (l eq "disagree" ? "!" : ""))
# dark cells get white text
dark(v) = v > 0.55 * cb_max

set xrange [0.5 : n_kind * (n_p + 1) - 0.5]
# cells about 58 x 30 pixels, whatever their number
set size ratio (n_act * 30.0) / ((n_kind * (n_p + 1) - 1) * 58.0)
set yrange [n_act + 0.5 : 0.5]
set xtics scale 0 font ",10"
set ytics scale 0
set xtics ()
set ytics ()
do for [k = 1:n_kind] { do for [i = 1:n_p] { set xtics add (p_lab[i] (k - 1) * (n_p + 1) + i) } }
do for [i = 1:n_act] { set ytics add (act_name[i] i) }
set ytics noenhanced
set xtics noenhanced
unset grid
set border 0
set xlabel "drop probability p"
kind_title(k) = k eq "inverted" ? "inverted dropout\n(nn.Dropout: kept × 1/(1−p))" : "classic dropout\n(no scaling in training)"
do for [k = 1:n_kind] {
    set label (10 + k) kind_title(kind_name[k]) at first (k - 1) * (n_p + 1) + (n_p + 1) / 2.0, graph 1 \
        offset 0, 1.6 center font ",11"
}
set tmargin fig_top + 2.4
set palette defined (0 "#f7fbff", 0.15 "#deebf7", 0.35 "#9ecae1", 0.6 "#4292c6", 0.8 "#2171b5", 1 "#08306b")
set cbrange [0 : cb_max]
set cblabel cb_label offset 1, 0
set colorbox user origin graph 1.02, graph 0 size character 1.6, graph 1
set rmargin 14
unset key
set style fill solid 1.0 border lc rgb "white"

plot cm_file using (xpos(strcol("p"), strcol("kind"))):(aidx(strcol("activation"))):(0.5):(0.5):(column(val_col)) \
         with boxxyerror fillcolor palette lw 2, \
     cm_file using (dark(column(val_col)) ? NaN : xpos(strcol("p"), strcol("kind"))):(aidx(strcol("activation"))):(mark(strcol("verdict"), strcol("levels"))) \
         with labels textcolor rgb "black" font ",12", \
     cm_file using (dark(column(val_col)) ? xpos(strcol("p"), strcol("kind")) : NaN):(aidx(strcol("activation"))):(mark(strcol("verdict"), strcol("levels"))) \
         with labels textcolor rgb "white" font ",12"
