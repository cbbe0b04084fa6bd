#!/usr/bin/env python3
r"""read_output.py: reads the files initlab writes, with the standard library only, and prints a summary.

Usage: python3 examples/read_output.py FILE...

Each FILE is a TSV or a JSON file of `initlab sim`, `sim --compare`, `theory` (also `--cmap`) or
`commute` (the `--format table` of commute is for people and is refused). The kind is read from the
file itself: JSON starts with '{'; a TSV starts with '#' lines, the first "# initlab VERSION COMMAND",
then "# key = value" for every parameter. Exit status 0, or 1 if a file cannot be read or is not an
initlab output. docs/output-formats.md lists every column and field.

The same files in pandas and R (comment lines are skipped, NaN is read as a missing value):

    import json, pandas as pd
    df = pd.read_csv("run.tsv", sep="\t", comment="#")                   # one row per layer and point
    js = pd.json_normalize(json.load(open("run.json"))["layers"])        # JSON layers as a table

    df <- read.delim("run.tsv", comment.char = "#")                      # R, base
    js <- jsonlite::fromJSON("run.json")$layers                         # R, the jsonlite package

(`sim --compare` also writes comment lines after the table, "# overall: ..." and "# claim: ...";
comment="#" skips those as well. `commute` TSVs have free text in the `note` column, never a tab.)
"""
import csv
import io
import json
import math
import sys


def number(text):
    """A TSV cell as a float: %.17g numbers, NaN, Inf and -Inf (float() reads all of them)."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def fmt(v, digits=5):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN"
    return f"{v:.{digits}g}"


def read_tsv(text):
    """Returns (header, params, rows, trailer): header = (version, command) from the first line,
    params = {key: value} from the '# key = value' lines before the table, rows = list of dicts
    (strings) keyed by the column line, trailer = the comment lines after the table."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# initlab "):
        raise ValueError("not an initlab TSV (the first line is not '# initlab VERSION COMMAND')")
    first = lines[0][len("# initlab "):].split(" ", 1)
    version, command = first[0], first[1] if len(first) > 1 else ""
    params, data, trailer = {}, [], []
    for line in lines[1:]:
        if line.startswith("#"):
            if data:
                trailer.append(line[1:].strip())
            elif " = " in line:
                key, value = line[1:].split(" = ", 1)
                params[key.strip()] = value
        elif line:
            data.append(line)
    if not data or "\t" not in data[0]:
        raise ValueError("no tab-separated column line (commute --format table is for people; use tsv or json)")
    rows = list(csv.DictReader(io.StringIO("\n".join(data)), delimiter="\t"))
    return (version, command), params, rows, trailer


def summarize_tsv(path, text):
    (version, command), params, rows, trailer = read_tsv(text)
    print(f"{path}: initlab {version} {command}, {len(rows)} rows")
    keys = ["seed", "draws", "batch", "widths", "arch", "act", "init", "dropout", "samples"]
    print("  " + ", ".join(f"{k}={params[k]}" for k in keys if k in params))
    if command == "theory" and rows and "qstar" in rows[0]:
        for r in rows:
            print(f"  {r['act']}: q* = {fmt(number(r['qstar']))}, c* = {fmt(number(r['cstar']))}, "
                  f"chi_1 = {fmt(number(r['chi1']))}, xi_c = {fmt(number(r['xi_c']))} ({r['method']})")
    elif command == "theory":
        for r in rows:
            print(f"  layer {r['layer']} {r['point']:4} width {r['width']:>5}: q = {fmt(number(r['q_theory']))} "
                  f"({r['method']})")
    elif command == "sim --compare":
        for r in rows:
            line = (f"  layer {r['layer']} {r['point']:4} width {r['width']:>5}: q = {fmt(number(r['q']))} "
                    f"+- {fmt(number(r['q_se']), 2)}, theory {fmt(number(r['q_theory']))} ({r['method']}): "
                    f"{r['verdict']}")
            if "verdict_claim" in r and r["verdict_claim"] != "untested":
                line += f"; claim {fmt(number(r['q_claim']))}: {r['verdict_claim']}"
            print(line)
    elif command == "sim":
        for r in rows:
            print(f"  layer {r['layer']} {r['point']:4} width {r['width']:>5}: q = {fmt(number(r['q']))} "
                  f"+- {fmt(number(r['q_se']), 2)}, mean = {fmt(number(r['mean']))} +- "
                  f"{fmt(number(r['mean_se']), 2)} ({r['draws']} networks)")
    elif command == "commute":
        for r in rows:
            print(f"  {r['activation']:12} p={r['p']:<5} {r['kind']:9} {r['verdict']:17} levels {r['levels']}")
    else:
        raise ValueError(f"unknown command '{command}'")
    for line in trailer:
        print(f"  {line}")


def summarize_json(path, doc):
    if doc.get("tool") != "initlab":
        raise ValueError("not an initlab JSON file (no \"tool\": \"initlab\")")
    command, params = doc["command"], doc["params"]
    print(f"{path}: initlab {doc['version']} {command} (JSON)")
    keys = ["seed", "draws", "batch", "widths", "arch", "act", "init", "dropout", "samples"]
    print("  " + ", ".join(f"{k}={params[k]}" for k in keys if k in params))
    if command == "theory" and "qstar" in doc:
        print(f"  q* = {fmt(doc['qstar'])}, c* = {fmt(doc['cstar'])}, chi_1 = {fmt(doc['chi1'])} ({doc['method']})")
    elif command == "theory":
        for r in doc["layers"]:
            print(f"  layer {r['layer']} {r['point']:4}: q = {fmt(r['q_theory'])} ({r['method']})")
    elif command == "sim --compare":
        for r in doc["layers"]:
            q = r["q"]
            print(f"  layer {r['layer']} {r['point']:4}: q = {fmt(q['estimate'])} +- {fmt(q['se'], 2)}, theory "
                  f"{fmt(q['value'])}, z = {fmt(q['z'], 3)}: {q['verdict']}")
        o = doc["overall"]
        print(f"  overall: {o['verdict']} ({o['refuted']} refuted of {o['tests']} tests)")
    elif command == "sim":
        for r in doc["layers"]:
            extra = " (with covariance matrix)" if "cov" in r else ""
            print(f"  layer {r['layer']} {r['point']:4}: q = {fmt(r['q'])} +- {fmt(r['q_se'], 2)}{extra}")
    elif command == "commute":
        for r in doc["rows"]:
            print(f"  {r['activation']:12} p={r['p']:<5} {r['kind']:9} {r['verdict']:17} "
                  f"KS D = {fmt(r['distribution']['ks']['d'], 3)}")
    else:
        raise ValueError(f"unknown command '{command}'")


def main(argv):
    if len(argv) < 2:
        print("usage: read_output.py FILE...", file=sys.stderr)
        return 2
    status = 0
    for path in argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if text.lstrip().startswith("{"):
                summarize_json(path, json.loads(text))
            else:
                summarize_tsv(path, text)
        except (OSError, ValueError, KeyError) as e:
            print(f"read_output.py: {path}: {e}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
