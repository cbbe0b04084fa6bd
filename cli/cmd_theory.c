/* cmd_theory.c: `initlab theory`: the analytic per-layer table for the same network options as
 * `initlab sim`, and (--cmap) the mean-field fixed points and depth scales of the correlation map. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "netopts.h"
#include "theory.h"

static const char *const CMD = "theory";

static const il_optdef theory_opts[] = {
    {"post", NULL, "also the layer outputs (after activation, dropout, residual), as rows with point=post"},
    {"cmap", NULL, "instead of the per-layer table, the mean-field signal-propagation summary of Schoenholz "
     "et al. 2017 for the activation and dropout given: q*, c*, chi_1, the slopes chi_q, chi_c and the depth "
     "scales xi_q, xi_c (infinite width; sigma_w^2 and sigma_b^2 from --sw2/--sb2 or from the initializers "
     "at the first hidden width)"},
    {"sw2", "S", "with --cmap: sigma_w^2 = weight variance x fan-in, >= 0"},
    {"sb2", "S", "with --cmap: sigma_b^2 = bias variance, >= 0"},
    {"q0", "Q", "with --cmap: start of the q-map iteration, >= 0 (default 1)"},
    {"format", "FMT", "tsv or json (default tsv)"},
    {"out", "FILE", "write to FILE (written whole or not at all) instead of standard output"},
};

static const char *const formats[] = {"tsv", "json", NULL};

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("NaN", f);
    else if (isinf(v))
        fputs(v > 0 ? "Inf" : "-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

static int write_table(FILE *f, int fmt, const il_params *ps, const il_theory_layer *th, size_t L, int post)
{
    if (fmt == 0) {
        il_write_header(f, CMD, ps->p, ps->n);
        fprintf(f, "# method: exact = the exact expectation at these finite widths; mean-field = approximate "
                   "(infinite width, Gaussian pre-activations)\n");
        fprintf(f, "layer\tpoint\twidth\tq_theory\tmean_theory\toffdiag_theory\tmethod\tmean_method\toffdiag_method\n");
        for (int pt = 0; pt <= post; pt++)
            for (size_t l = 0; l < L; l++) {
                const il_theory_point *p = pt ? &th[l].post : &th[l].pre;
                fprintf(f, "%zu\t%s\t%zu\t", th[l].layer, pt ? "post" : "pre", th[l].width);
                put_num(f, p->q);
                fputc('\t', f);
                put_num(f, p->mean);
                fputc('\t', f);
                put_num(f, p->offdiag);
                fprintf(f, "\t%s\t%s\t%s\n", il_theory_method_name(p->q_method),
                        il_theory_method_name(p->mean_method), il_theory_method_name(p->offdiag_method));
            }
        return ferror(f) ? -1 : 0;
    }
    json_t *root = json_object(), *rows = json_array();
    int bad = !root || !rows;
    bad |= json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(CMD));
    bad |= json_object_set_new(root, "params", il_params_to_json(ps->p, ps->n));
    bad |= json_object_set_new(root, "layers", rows);
    for (int pt = 0; pt <= post && !bad; pt++)
        for (size_t l = 0; l < L && !bad; l++) {
            const il_theory_point *p = pt ? &th[l].post : &th[l].pre;
            json_t *o = json_object();
            bad |= !o || json_array_append_new(rows, o);
            bad |= json_object_set_new(o, "layer", json_integer((json_int_t)th[l].layer));
            bad |= json_object_set_new(o, "point", json_string(pt ? "post" : "pre"));
            bad |= json_object_set_new(o, "width", json_integer((json_int_t)th[l].width));
            bad |= json_object_set_new(o, "q_theory", il_json_number(p->q));
            bad |= json_object_set_new(o, "mean_theory", il_json_number(p->mean));
            bad |= json_object_set_new(o, "offdiag_theory", il_json_number(p->offdiag));
            bad |= json_object_set_new(o, "method", json_string(il_theory_method_name(p->q_method)));
            bad |= json_object_set_new(o, "mean_method", json_string(il_theory_method_name(p->mean_method)));
            bad |= json_object_set_new(o, "offdiag_method", json_string(il_theory_method_name(p->offdiag_method)));
        }
    bad |= bad || json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF;
    json_decref(root);
    return bad ? -1 : 0;
}

/* --cmap: mean-field fixed points for the network's activation and first dropout. */
static int cmap(const il_cmdopts *o, const il_net *net, il_params *ps, int fmt, FILE *f)
{
    il_theory_mf mf;
    il_theory_mf_default(&mf);
    mf.train = net->train;
    int have_act = 0;
    size_t fan = net->n_in, width = 0;
    for (size_t i = 0; i < net->n_ops; i++) {
        const il_op *op = &net->ops[i];
        if (op->kind == IL_OP_LINEAR && !width) {
            width = op->width;
            if (op->dc_p > 0) {
                mf.p = op->dc_p;
                mf.drop = IL_DROP_CONNECT;
            }
        } else if (op->kind == IL_OP_LINEAR) {
            fan = width; /* the hidden layers' fan-in */
            break;
        } else if (op->kind == IL_OP_ACT && !have_act) {
            mf.act = op->act;
            have_act = 1;
        } else if (op->kind == IL_OP_DROPOUT && mf.p == 0.0) {
            mf.p = op->p;
            mf.drop = op->drop;
            mf.drop_at = have_act ? IL_DROP_AFTER : IL_DROP_BEFORE;
        }
    }
    if (width && fan == net->n_in)
        fan = width;
    int rc;
    double dflt_w = il_init_variance(&net->winit, width ? width : 1, fan) * (double)fan;
    double dflt_b = il_init_bias_variance(&net->binit, fan);
    double q0;
    if ((rc = il_cli_double(CMD, o, "sw2", 0.0, 1e300, 0, 0, dflt_w, &mf.sw2)) ||
        (rc = il_cli_double(CMD, o, "sb2", 0.0, 1e300, 0, 0, dflt_b, &mf.sb2)) ||
        (rc = il_cli_double(CMD, o, "q0", 0.0, 1e300, 0, 0, 1.0, &q0)))
        return rc;
    il_theory_fixed fx;
    il_status st = il_theory_fixed_points(&mf, q0, &fx, NULL);
    if (st == IL_ENUMERIC)
        return il_fail(CMD, "the q-map has no finite fixed point for sigma_w^2 = %g, sigma_b^2 = %g (it diverges)",
                       mf.sw2, mf.sb2);
    if (st != IL_OK)
        return il_fail(CMD, "mean-field computation failed: %s", il_strerror(st));
    char act[64];
    il_act_format(&mf.act, act, sizeof act);
    il_params_add(ps, "cmap_act", 0, "%s", act);
    il_params_add(ps, "sw2", 1, "%.17g", mf.sw2);
    il_params_add(ps, "sb2", 1, "%.17g", mf.sb2);
    il_params_add(ps, "cmap_dropout", 1, "%.17g", mf.p);
    il_params_add(ps, "q0", 1, "%.17g", q0);
    static const char *const cols[] = {"qstar", "cstar", "chi1", "chi_q", "chi_c", "xi_q", "xi_c"};
    const double vals[] = {fx.qstar, fx.cstar, fx.chi1, fx.chi_q, fx.chi_c, fx.xi_q, fx.xi_c};
    if (fmt == 0) {
        il_write_header(f, CMD, ps->p, ps->n);
        fprintf(f, "# mean-field: approximate (infinite width); xi = Inf marks criticality\n");
        fprintf(f, "act\tsw2\tsb2\tp");
        for (size_t i = 0; i < 7; i++)
            fprintf(f, "\t%s", cols[i]);
        fprintf(f, "\tmethod\n%s\t%.17g\t%.17g\t%.17g", act, mf.sw2, mf.sb2, mf.p);
        for (size_t i = 0; i < 7; i++) {
            fputc('\t', f);
            put_num(f, vals[i]);
        }
        fprintf(f, "\tmean-field\n");
        return ferror(f) ? il_fail(CMD, "writing the output failed") : 0;
    }
    json_t *root = json_object();
    int bad = !root;
    bad |= json_object_set_new(root, "tool", json_string("initlab"));
    bad |= json_object_set_new(root, "version", json_string(IL_VERSION));
    bad |= json_object_set_new(root, "command", json_string(CMD));
    bad |= json_object_set_new(root, "params", il_params_to_json(ps->p, ps->n));
    for (size_t i = 0; i < 7; i++)
        bad |= json_object_set_new(root, cols[i], il_json_number(vals[i]));
    bad |= json_object_set_new(root, "method", json_string("mean-field"));
    bad |= bad || json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', f) == EOF;
    json_decref(root);
    return bad ? il_fail(CMD, "writing the output failed") : 0;
}

int cmd_theory(int argc, char **argv)
{
    static il_cmdopts o;
    static il_net net;
    const char *pos[1];
    size_t npos;
    il_cmdopts_init(&o, theory_opts, sizeof theory_opts / sizeof theory_opts[0], 1);
    int rc = il_opts_parse(CMD, o.defs, o.n, argc, argv, o.vals, pos, 0, &npos, "[options]",
                           "Prints the analytic moments of every layer of the network described by the same options "
                           "as 'initlab sim': the mean square q, the mean and the mean off-diagonal covariance of "
                           "the linear outputs (and with --post of the layer outputs). Each value is labelled exact "
                           "(the exact expectation at these finite widths) or mean-field (approximate: infinite "
                           "width). Derivations: docs/theory.md.");
    if (rc)
        return rc < 0 ? IL_EXIT_OK : rc;
    int fmt;
    if ((rc = il_cli_choice(CMD, &o, "format", formats, 0, &fmt)))
        return rc;
    int want_cmap = il_cmdopts_get(&o, "cmap") != NULL;
    static const char *const cmap_only[] = {"sw2", "sb2", "q0"};
    for (size_t i = 0; i < 3; i++)
        if (!want_cmap && il_cmdopts_get(&o, cmap_only[i]))
            return il_usage_error(CMD, "--%s needs --cmap", cmap_only[i]);
    if (want_cmap && il_cmdopts_get(&o, "post"))
        return il_usage_error(CMD, "--post and --cmap contradict each other (--cmap prints no layers)");
    il_params ps = {.n = 0};
    il_net_init(&net);
    if ((rc = il_cli_net(CMD, &o, 2, &net, &ps))) {
        il_net_release(&net);
        return rc;
    }
    il_outfile out;
    const char *path = il_cmdopts_get(&o, "out");
    if (il_outfile_open(&out, path) != 0) {
        rc = il_fail(CMD, "cannot create --out '%s': %s", path, strerror(errno));
        il_net_release(&net);
        return rc;
    }
    if (want_cmap) {
        rc = cmap(&o, &net, &ps, fmt, out.f);
    } else {
        size_t L = il_net_layers(&net);
        il_theory_layer *th = calloc(L, sizeof *th);
        char err[256] = "";
        il_status st = th ? il_theory_run(&net, th, NULL, err, sizeof err) : IL_ENOMEM;
        if (st == IL_EUNSUPPORTED)
            rc = il_usage_error(CMD, "no theory for this network: %s", err);
        else if (st != IL_OK)
            rc = il_fail(CMD, "%s%s%s", il_strerror(st), err[0] ? ": " : "", err);
        else if (write_table(out.f, fmt, &ps, th, L, il_cmdopts_get(&o, "post") != NULL) != 0)
            rc = il_fail(CMD, "writing the output failed");
        free(th);
    }
    if (rc)
        il_outfile_abort(&out);
    else if (il_outfile_commit(&out) != 0)
        rc = il_fail(CMD, "writing '%s' failed: %s", path ? path : "standard output", strerror(errno));
    il_net_release(&net);
    return rc;
}
