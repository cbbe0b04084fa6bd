#include "netopts.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define MAX_WIDTHS 1025

const il_optdef il_net_optdefs[] = {
    {"widths", "N0,N1,...,NL",
     "layer widths: the input width N0, then the output width of each linear layer (each in [1, 2^31-1]; "
     "default 64,64,64,64,64,64,64,64,64,64,64: ten layers of width 64)"},
    {"act", "NAME[:P1[:P2]]",
     "activation after each linear layer except the last: identity, relu, leaky_relu[:slope], prelu[:w], abs, "
     "sigmoid, tanh, gelu, elu[:alpha], selu, softplus[:beta[:threshold]], silu, relu6, hardtanh[:min:max] "
     "(default relu)"},
    {"last-act", NULL, "apply the activation (and dropout) after the last linear layer too"},
    {"init", "NAME[:K=V,...]",
     "weight initializer, with torch.nn.init's names and arguments: torch (nn.Linear's default, "
     "U(-1/sqrt(fan_in), 1/sqrt(fan_in))), kaiming_uniform, kaiming_normal (a=, mode=fan_in|fan_out, "
     "nonlinearity=), xavier_uniform, xavier_normal (gain=), lecun_normal, orthogonal (gain=), normal (mean=, "
     "std=), uniform (lo=, hi=), zeros, constant (value=); e.g. kaiming_normal:nonlinearity=relu (default torch)"},
    {"bias-init", "NAME[:K=V,...]",
     "bias initializer: torch (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), zeros, constant (value=), normal (mean=, std=), "
     "uniform (lo=, hi=) (default torch)"},
    {"no-bias", NULL, "linear layers without bias"},
    {"dropout", "P", "dropout probability of zeroing, in [0, 1) (default 0: no dropout)"},
    {"dropout-mode", "KIND",
     "inverted (kept units scaled by 1/(1-P), as nn.Dropout), classic (no scaling in training, x(1-P) in eval), "
     "or dropconnect (one mask per network on the weights, no scaling in training, weights x(1-P) in eval) "
     "(default inverted)"},
    {"dropout-at", "WHERE", "before or after the activation (default after)"},
    {"eval", NULL, "evaluation mode: no masks (the test-time rule of each dropout kind), BatchNorm with its "
     "initial running statistics (default: training mode)"},
    {"residual", NULL, "residual connections h_l = h_{l-1} + block(h_{l-1}) on hidden layers whose input and "
     "output widths match"},
    {"batchnorm", NULL, "BatchNorm after each linear layer that has an activation (training mode uses batch "
     "statistics and needs --batch >= 2)"},
    {"arch", "SPEC",
     "free-form network instead of --widths/--act/--dropout/--residual/--batchnorm, e.g. "
     "'input:16,linear:64,relu,dropout:0.2,res(linear:64,tanh),linear:1'; tokens: input:N, linear:N[:nobias], "
     "an activation, dropout:P[:inverted|classic], dropconnect:P (on the next linear), batchnorm, res( ... )"},
    {"input", "KIND", "input distribution, iid per coordinate with unit variance: normal, uniform, rademacher "
     "(default normal)"},
    {"input-var", "V[,V...]", "per-coordinate input variances (one value for all, or N0 values), each > 0 "
     "(default 1)"},
};
const size_t il_net_n_optdefs = sizeof il_net_optdefs / sizeof il_net_optdefs[0];

void il_cmdopts_init(il_cmdopts *o, const il_optdef *own, size_t n_own, int with_net)
{
    memset(o, 0, sizeof *o);
    for (size_t i = 0; i < n_own && o->n < IL_MAX_OPTS; i++)
        o->defs[o->n++] = own[i];
    for (size_t i = 0; with_net && i < il_net_n_optdefs && o->n < IL_MAX_OPTS; i++)
        o->defs[o->n++] = il_net_optdefs[i];
}

const char *il_cmdopts_get(const il_cmdopts *o, const char *name)
{
    size_t i = il_opt_index(o->defs, o->n, name);
    return i < o->n && o->vals[i].set ? o->vals[i].value : NULL;
}

void il_params_add(il_params *ps, const char *key, int numeric, const char *fmt, ...)
{
    if (ps->n >= IL_MAX_PARAMS)
        return;
    il_param *p = &ps->p[ps->n++];
    p->key = key;
    p->numeric = numeric;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->value, sizeof p->value, fmt, ap);
    va_end(ap);
}

int il_cli_size(const char *cmd, const il_cmdopts *o, const char *name, size_t lo, size_t hi, size_t dflt,
                size_t *out)
{
    const char *v = il_cmdopts_get(o, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (il_parse_size(v, lo, hi, out) != IL_OK)
        return il_usage_error(cmd, "--%s must be an integer in [%zu, %zu], got '%s'", name, lo, hi, v);
    return 0;
}

int il_cli_u64(const char *cmd, const il_cmdopts *o, const char *name, uint64_t dflt, uint64_t *out)
{
    const char *v = il_cmdopts_get(o, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (il_parse_u64(v, out) != IL_OK)
        return il_usage_error(cmd, "--%s must be an integer in [0, 18446744073709551615], got '%s'", name, v);
    return 0;
}

int il_cli_double(const char *cmd, const il_cmdopts *o, const char *name, double lo, double hi, int lo_open,
                  int hi_open, double dflt, double *out)
{
    const char *v = il_cmdopts_get(o, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    double d;
    int ok = il_parse_double(v, &d) == IL_OK && (lo_open ? d > lo : d >= lo) && (hi_open ? d < hi : d <= hi);
    if (!ok)
        return il_usage_error(cmd, "--%s must be a number in %c%g, %g%c, got '%s'", name, lo_open ? '(' : '[', lo,
                              hi, hi_open ? ')' : ']', v);
    *out = d;
    return 0;
}

static void join_names(const char *const *names, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; names[i]; i++) {
        strncat(buf, names[i], n - strlen(buf) - 1);
        if (names[i + 1])
            strncat(buf, ", ", n - strlen(buf) - 1);
    }
}

int il_cli_choice(const char *cmd, const il_cmdopts *o, const char *name, const char *const *names, int dflt,
                  int *out)
{
    const char *v = il_cmdopts_get(o, name);
    if (!v) {
        *out = dflt;
        return 0;
    }
    if (il_parse_choice(v, names, out) != IL_OK) {
        char buf[256];
        join_names(names, buf, sizeof buf);
        return il_usage_error(cmd, "--%s must be one of %s; got '%s'", name, buf, v);
    }
    return 0;
}

/* The arguments each initializer takes, as torch.nn.init's functions do. */
static const char *init_keys(il_init_kind kind)
{
    switch (kind) {
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_KAIMING_NORMAL: return "a, mode, nonlinearity";
    case IL_INIT_XAVIER_UNIFORM:
    case IL_INIT_XAVIER_NORMAL:
    case IL_INIT_ORTHOGONAL: return "gain";
    case IL_INIT_NORMAL: return "mean, std";
    case IL_INIT_UNIFORM: return "lo, hi";
    case IL_INIT_CONSTANT: return "value";
    default: return "";
    }
}

/* Whether key is one of the ", "-separated names in list. */
static int key_allowed(const char *list, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = list; *p;) {
        size_t wl = strcspn(p, ",");
        if (wl == kl && strncmp(p, key, kl) == 0)
            return 1;
        p += wl;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return 0;
}

/* Parses "name[:k=v,...]" into *s. Returns 0 or IL_EXIT_USAGE after a message. */
static int parse_init(const char *cmd, const char *opt, const char *text, il_init_spec *s)
{
    char name[32];
    const char *colon = strchr(text, ':');
    size_t nl = colon ? (size_t)(colon - text) : strlen(text);
    il_init_kind kind;
    if (nl >= sizeof name)
        nl = sizeof name - 1;
    memcpy(name, text, nl);
    name[nl] = '\0';
    if (il_init_parse_kind(name, &kind) != IL_OK)
        return il_usage_error(cmd, "--%s: unknown initializer '%s' (choose from %s)", opt, name, il_init_names());
    il_init_spec_default(kind, s);
    if (!colon)
        return 0;
    const char *p = colon + 1;
    if (!*p)
        return il_usage_error(cmd, "--%s: empty argument list after '%s:'", opt, name);
    while (*p) {
        size_t len = strcspn(p, ",");
        char item[96];
        if (len == 0 || len >= sizeof item)
            return il_usage_error(cmd, "--%s: malformed argument list in '%s'", opt, text);
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        if (!eq)
            return il_usage_error(cmd, "--%s: argument '%s' must be key=value", opt, item);
        *eq = '\0';
        const char *key = item, *val = eq + 1;
        const char *allowed = init_keys(kind);
        if (!key_allowed(allowed, key))
            return il_usage_error(cmd, "--%s: %s takes no argument '%s' (%s)", opt, name, key,
                                  *allowed ? allowed : "it takes none");
        double d = 0.0;
        int is_num = il_parse_double(val, &d) == IL_OK;
        if (strcmp(key, "nonlinearity") == 0) {
            double g;
            if (il_init_calculate_gain(val, -1.0, &g) != IL_OK || strlen(val) >= sizeof s->nonlinearity)
                return il_usage_error(cmd,
                                      "--%s: unknown nonlinearity '%s' (linear, conv1d, conv2d, conv3d, "
                                      "conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, "
                                      "leaky_relu, selu)",
                                      opt, val);
            strcpy(s->nonlinearity, val);
        } else if (strcmp(key, "mode") == 0) {
            if (strcmp(val, "fan_in") == 0)
                s->mode = IL_FAN_IN;
            else if (strcmp(val, "fan_out") == 0)
                s->mode = IL_FAN_OUT;
            else
                return il_usage_error(cmd, "--%s: mode must be fan_in or fan_out, got '%s'", opt, val);
        } else if (!is_num) {
            return il_usage_error(cmd, "--%s: %s must be a finite number, got '%s'", opt, key, val);
        } else if (strcmp(key, "a") == 0) {
            s->a = d;
        } else if (strcmp(key, "gain") == 0) {
            if (!(d > 0.0))
                return il_usage_error(cmd, "--%s: gain must be > 0, got '%s'", opt, val);
            s->gain = d;
        } else if (strcmp(key, "mean") == 0) {
            s->mean = d;
        } else if (strcmp(key, "std") == 0) {
            if (!(d >= 0.0))
                return il_usage_error(cmd, "--%s: std must be >= 0, got '%s'", opt, val);
            s->std = d;
        } else if (strcmp(key, "lo") == 0) {
            s->lo = d;
        } else if (strcmp(key, "hi") == 0) {
            s->hi = d;
        } else if (strcmp(key, "value") == 0) {
            s->value = d;
        } else {
            return il_usage_error(cmd, "--%s: unknown argument '%s' (a, mode, nonlinearity, gain, mean, std, lo, hi, "
                                  "value)", opt, key);
        }
        p += len;
        if (*p == ',') {
            p++;
            if (!*p)
                return il_usage_error(cmd, "--%s: trailing comma in '%s'", opt, text);
        }
    }
    if (kind == IL_INIT_UNIFORM && !(s->lo < s->hi))
        return il_usage_error(cmd, "--%s: uniform needs lo < hi, got lo=%g hi=%g", opt, s->lo, s->hi);
    return 0;
}

static void format_init(const il_init_spec *s, char *buf, size_t n)
{
    switch (s->kind) {
    case IL_INIT_KAIMING_UNIFORM:
    case IL_INIT_KAIMING_NORMAL:
        snprintf(buf, n, "%s:a=%.17g,mode=%s,nonlinearity=%s", il_init_name(s->kind), s->a,
                 s->mode == IL_FAN_IN ? "fan_in" : "fan_out", s->nonlinearity);
        break;
    case IL_INIT_XAVIER_UNIFORM:
    case IL_INIT_XAVIER_NORMAL:
    case IL_INIT_ORTHOGONAL: snprintf(buf, n, "%s:gain=%.17g", il_init_name(s->kind), s->gain); break;
    case IL_INIT_NORMAL: snprintf(buf, n, "normal:mean=%.17g,std=%.17g", s->mean, s->std); break;
    case IL_INIT_UNIFORM: snprintf(buf, n, "uniform:lo=%.17g,hi=%.17g", s->lo, s->hi); break;
    case IL_INIT_CONSTANT: snprintf(buf, n, "constant:value=%.17g", s->value); break;
    default: snprintf(buf, n, "%s", il_init_name(s->kind)); break;
    }
}

static const char *const drop_modes[] = {"inverted", "classic", "dropconnect", NULL};
static const char *const drop_ats[] = {"after", "before", NULL};
static const char *const input_kinds[] = {"normal", "uniform", "rademacher", NULL};

int il_cli_net(const char *cmd, const il_cmdopts *o, size_t batch, il_net *net, il_params *ps)
{
    char err[512], buf[256];
    int rc, mode, at, input;
    const char *arch = il_cmdopts_get(o, "arch");
    if ((rc = il_cli_choice(cmd, o, "dropout-mode", drop_modes, IL_DROP_INVERTED, &mode)) ||
        (rc = il_cli_choice(cmd, o, "dropout-at", drop_ats, IL_DROP_AFTER, &at)) ||
        (rc = il_cli_choice(cmd, o, "input", input_kinds, IL_INPUT_NORMAL, &input)))
        return rc;
    net->input = (il_input_kind)input;
    net->train = il_cmdopts_get(o, "eval") == NULL;
    const char *winit = il_cmdopts_get(o, "init"), *binit = il_cmdopts_get(o, "bias-init");
    if ((rc = parse_init(cmd, "init", winit ? winit : "torch", &net->winit)) ||
        (rc = parse_init(cmd, "bias-init", binit ? binit : "torch", &net->binit)))
        return rc;
    il_init_kind bk = net->binit.kind;
    if (bk != IL_INIT_TORCH && bk != IL_INIT_ZEROS && bk != IL_INIT_CONSTANT && bk != IL_INIT_NORMAL &&
        bk != IL_INIT_UNIFORM)
        return il_usage_error(cmd, "--bias-init must be torch, zeros, constant, normal or uniform, got '%s'", binit);

    if (arch) {
        static const char *const excl[] = {"widths", "act", "last-act", "dropout", "dropout-at", "residual",
                                           "batchnorm", "no-bias"};
        for (size_t i = 0; i < sizeof excl / sizeof excl[0]; i++)
            if (il_cmdopts_get(o, excl[i]))
                return il_usage_error(cmd, "--arch cannot be combined with --%s (the spec says it)", excl[i]);
        if (il_net_parse_arch(net, arch, (il_drop_kind)mode, err, sizeof err) != IL_OK)
            return il_usage_error(cmd, "--arch: %s", err);
        il_params_add(ps, "arch", 0, "%s", arch);
    } else {
        size_t widths[MAX_WIDTHS], nw;
        const char *wt = il_cmdopts_get(o, "widths");
        if (!wt)
            wt = "64,64,64,64,64,64,64,64,64,64,64";
        if (il_parse_size_list(wt, 1, (size_t)INT_MAX, widths, MAX_WIDTHS, &nw, err, sizeof err) != IL_OK)
            return il_usage_error(cmd, "--widths must be a comma-separated list of 2 to %d integers in [1, %d]: %s "
                                  "in '%s'", MAX_WIDTHS, INT_MAX, err, wt);
        if (nw < 2)
            return il_usage_error(cmd, "--widths needs at least two widths (input and one layer), got '%s'", wt);
        il_net_shape sh;
        memset(&sh, 0, sizeof sh);
        sh.widths = widths;
        sh.n_widths = nw;
        const char *act = il_cmdopts_get(o, "act");
        if (il_act_parse(act ? act : "relu", &sh.act) != IL_OK)
            return il_usage_error(cmd, "--act: unknown or malformed activation '%s' (choose from %s)", act,
                                  il_act_names());
        sh.last_act = il_cmdopts_get(o, "last-act") != NULL;
        if ((rc = il_cli_double(cmd, o, "dropout", 0.0, 1.0, 0, 1, 0.0, &sh.p)))
            return rc;
        sh.drop = (il_drop_kind)mode;
        sh.drop_at = (il_drop_at)at;
        sh.residual = il_cmdopts_get(o, "residual") != NULL;
        sh.batchnorm = il_cmdopts_get(o, "batchnorm") != NULL;
        sh.bias = il_cmdopts_get(o, "no-bias") == NULL;
        if (il_net_build(net, &sh, err, sizeof err) != IL_OK)
            return il_usage_error(cmd, "%s", err);
        il_params_add(ps, "widths", 0, "%s", wt);
        il_act_format(&sh.act, buf, sizeof buf);
        il_params_add(ps, "act", 0, "%s", buf);
        il_params_add(ps, "last_act", 1, "%d", sh.last_act);
        il_params_add(ps, "bias", 1, "%d", sh.bias);
        il_params_add(ps, "dropout", 1, "%.17g", sh.p);
        il_params_add(ps, "dropout_at", 0, "%s", drop_ats[at]);
        il_params_add(ps, "residual", 1, "%d", sh.residual);
        il_params_add(ps, "batchnorm", 1, "%d", sh.batchnorm);
    }
    il_params_add(ps, "dropout_mode", 0, "%s", drop_modes[mode]);
    format_init(&net->winit, buf, sizeof buf);
    il_params_add(ps, "init", 0, "%s", buf);
    format_init(&net->binit, buf, sizeof buf);
    il_params_add(ps, "bias_init", 0, "%s", buf);
    il_params_add(ps, "mode", 0, "%s", net->train ? "train" : "eval");
    il_params_add(ps, "input", 0, "%s", input_kinds[input]);

    const char *iv = il_cmdopts_get(o, "input-var");
    if (iv) {
        double *var = malloc(net->n_in * sizeof *var);
        size_t nv = 0;
        if (!var)
            return il_fail(cmd, "out of memory");
        il_status st = il_parse_double_list(iv, 0.0, HUGE_VAL, var, net->n_in, &nv, err, sizeof err);
        if (st == IL_OK)
            st = il_net_set_input_var(net, var, nv);
        free(var);
        if (st != IL_OK)
            return il_usage_error(cmd, "--input-var must be one value or %zu values (the input width), each a finite "
                                  "number > 0; got '%s'", net->n_in, iv);
        il_params_add(ps, "input_var", 0, "%s", iv);
    }
    if (il_net_check(net, batch, err, sizeof err) != IL_OK)
        return il_usage_error(cmd, "%s%s", arch ? "--arch: " : "", err);
    return 0;
}
