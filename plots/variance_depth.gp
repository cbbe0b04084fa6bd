# variance_depth.gp: per-layer mean square q (Monte Carlo, with +-2 SE bars) against depth, log scale.
# usage: gnuplot -c plots/variance_depth.gp OUT.png TITLE MANIFEST
# MANIFEST is a tab-separated file, one line per curve: the path of a TSV written by `initlab sim`
# (rows with point=pre are plotted) and the curve's label.
set terminal pngcairo size 1000,700 enhanced font "DejaVu Sans,12"
set output ARG1
set datafile separator "\t"
set datafile columnheaders
set title ARG2 noenhanced
set xlabel "layer l"
set ylabel "q_l = mean_i E[y_{l,i}^2]  (pre-activation)"
set logscale y
set format y "10^{%T}"
set grid ytics mytics xtics lc rgb "#dddddd"
set key inside center right box opaque noenhanced Left reverse
set xtics 1
files = system("cut -f1 '".ARG3."'")
label(i) = system(sprintf("sed -n %dp '%s' | cut -f2", i, ARG3))
pre(c) = strcol("point") eq "pre" ? column(c) : NaN
plot for [i = 1:words(files)] word(files, i) \
       using (pre("layer")):(pre("q")):(2*pre("q_se")) with yerrorlines lw 2 pt 7 ps 0.8 title label(i)
