# common.gp: what every figure of initlab shares: the terminal (pngcairo or svg), the fonts, the colours
# of the inputs, and the title block (a title and subtitle lines, as labels at the top of the canvas).
# Loaded by each figure's script right after its VARS file (`load` hides the script's ARGn, so the script
# copies them first). Expects fig_out (the output path), fig_term (png or svg) and, from VARS, fig_w and
# fig_h (pixels; points for SVG), fig_tl[] (title lines) and fig_sub[] (subtitle lines).
# Sets fig_top: the top margin, in character heights, that leaves room for the title block.
if (fig_term ne "png" && fig_term ne "svg") { exit error "common.gp: the terminal (third argument) must be png or svg" }
if (fig_term eq "svg") {
    set terminal svg size fig_w, fig_h dynamic enhanced font "DejaVu Sans,11" background rgb "white"
} else {
    set terminal pngcairo size fig_w, fig_h enhanced font "DejaVu Sans,11" background rgb "white"
}
set output fig_out

# Colours of the inputs: Okabe-Ito without yellow and black, then Paul Tol's muted scheme.
array lt_col[12] = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", \
                    "#332288", "#882255", "#117733", "#999933", "#44AA99", "#AA4499"]
do for [i = 1:12] { set linetype i lc rgb lt_col[i] lw 2 pt 7 ps 0.9 dt solid }
set linetype cycle 12

set border lw 1 lc rgb "#444444"
set tics textcolor rgb "#222222"
set grid lc rgb "#dcdcdc" lw 1

# The title block: labels at the top of the canvas, never enhanced (parameters hold _ and ^): the title
# lines fig_tl[] (the title, broken by initlab where the width asks for it), then the subtitle lines.
do for [k = 1:|fig_tl|] {
    set label (1000 + k) fig_tl[k] at screen 0.5, screen 1 offset 0, -1.3 - 1.45 * (k - 1) center font ",15" \
        noenhanced front
}
do for [k = 1:|fig_sub|] {
    set label (1100 + k) fig_sub[k] at screen 0.5, screen 1 offset 0, -(1.55 + 1.45 * (|fig_tl| - 1) + 1.15 * k) \
        center font ",10" noenhanced front textcolor rgb "#333333"
}
fig_top = 3.2 + 1.45 * (|fig_tl| - 1) + 1.15 * |fig_sub|
set tmargin fig_top
