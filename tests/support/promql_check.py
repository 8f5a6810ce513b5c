#!/usr/bin/env python3
"""Check that a Grafana dashboard queries only what gpuval writes.

  promql_check.py DASHBOARD.json METRICS.prom [--promtool]

METRICS.prom is real output of `gpuval history check --prom` (the names are taken from it, never
from a list kept here). Every PromQL expression of the dashboard (panel targets, and the metric
selectors of label_values() template queries) is tokenised and parsed far enough to find:

  - metric names          must be families in METRICS.prom
  - label matchers        must be labels of that metric; an "=" value must be one it has
  - by/without/on/ignoring/group_left/group_right labels, and {{label}} in legendFormat
                          must be labels of a metric the expression reads

Grafana variables are replaced first ($var in a regex matcher by ".*", others by the variable's
current value). With --promtool every expression also goes through Prometheus's own parser
(`promtool check rules` on a rule file of them) and is evaluated against METRICS.prom
(`promtool test rules`): each must return at least one series, except expressions over time()
(the textfile's timestamps are real, the test clock starts at 0). Prints what it checked; exits 1
naming every problem.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                "bottomk", "topk", "quantile"}
FUNCTIONS = {"abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max",
             "clamp_min", "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta",
             "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta",
             "increase", "irate", "label_join", "label_replace", "ln", "log2", "log10", "minute",
             "month", "predict_linear", "rate", "resets", "round", "scalar", "sgn", "sort",
             "sort_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time",
             "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
             "quantile_over_time", "stddev_over_time", "stdvar_over_time", "last_over_time",
             "present_over_time"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
            "unless", "offset", "atan2", "inf", "nan"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<duration>\d+(?:ms|s|m|h|d|w|y))
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}\[\]@:])
""", re.X)


def tokens(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError(f"cannot tokenise at {expr[pos:pos + 20]!r}")
        pos = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup, m.group()))
    return out


def unquote(s):
    return bytes(s[1:-1], "utf-8").decode("unicode_escape")


def parse(expr):
    """(selectors, grouping labels): selectors are (metric, [(label, op, value)])."""
    try:
        return parse_tokens(expr)
    except IndexError:
        raise ValueError(f"unbalanced or unfinished expression {expr!r}") from None


def parse_tokens(expr):
    toks = tokens(expr)
    selectors, grouping = [], []
    i = 0

    def matchers(j):  # toks[j] == "{": returns (matchers, index after "}")
        out = []
        j += 1
        while toks[j][1] != "}":
            if toks[j][1] == ",":
                j += 1
                continue
            label, op, value = toks[j][1], toks[j + 1][1], toks[j + 2]
            if toks[j][0] != "ident" or op not in ("=", "!=", "=~", "!~") or value[0] != "string":
                raise ValueError(f"bad label matcher near {label!r} in {expr!r}")
            out.append((label, op, unquote(value[1])))
            j += 3
        return out, j + 1

    while i < len(toks):
        kind, text = toks[i]
        nxt = toks[i + 1][1] if i + 1 < len(toks) else None
        if kind == "ident" and text in GROUPING:
            if nxt == "(":
                j = i + 2
                while toks[j][1] != ")":
                    if toks[j][0] == "ident":
                        grouping.append(toks[j][1])
                    j += 1
                i = j + 1
            else:
                i += 1
            continue
        if kind == "ident" and ((nxt == "(" and text in FUNCTIONS) or
                                (text in AGGREGATIONS and nxt in ("(", "by", "without"))):
            i += 1
            continue
        if kind == "ident" and nxt == "(":
            raise ValueError(f"unknown function {text!r} in {expr!r}")
        if kind == "ident" and text.lower() in KEYWORDS:
            i += 1
            continue
        if kind == "ident":
            if nxt == "{":
                m, i = matchers(i + 1)
            else:
                m, i = [], i + 1
            selectors.append((text, m))
            continue
        if text == "{":  # a selector without a name: {__name__=~"..."}
            m, i = matchers(i)
            names = [v for label, op, v in m if label == "__name__" and op == "="]
            selectors.append((names[0] if names else None, [x for x in m if x[0] != "__name__"]))
            continue
        i += 1
    return selectors, grouping


def read_prom(path):
    """metric -> {label -> set(values)} from a text exposition file."""
    families = {}
    line_re = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
    label_re = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            m = line_re.match(line)
            if not m:
                raise ValueError(f"{path}: not exposition format: {line!r}")
            labels = families.setdefault(m.group(1), {})
            for k, v in label_re.findall(m.group(2) or ""):
                labels.setdefault(k, set()).add(v.replace('\\"', '"').replace("\\\\", "\\"))
    return families


def variables(dash):
    out = {}
    for v in dash.get("templating", {}).get("list", []):
        current = v.get("current", {}).get("value", "")
        if isinstance(current, list):
            current = current[0] if current else ""
        out[v["name"]] = (v.get("type"), current, v.get("allValue"))
    return out


def substitute(expr, vars_):
    """Grafana's variables: inside a regex matcher ".*"; elsewhere the current value."""
    def in_regex(m):
        return m.group(1) + re.sub(r"\$\{?(\w+)\}?", ".*", m.group(2)) + '"'
    expr = re.sub(r'(=~\s*")((?:[^"\\]|\\.)*)"', in_regex, expr)
    expr = re.sub(r"\$__(rate_)?interval", "5m", expr)

    def value(m):
        name = m.group(1)
        if name not in vars_:
            raise ValueError(f"unknown dashboard variable ${name}")
        return str(vars_[name][1])
    return re.sub(r"\$\{?(\w+)\}?", value, expr)


def expressions(dash):
    """(where, expr, legend) for every target, and label_values() queries as (where, expr, label)."""
    exprs, label_queries = [], []

    def walk(panels):
        for p in panels:
            for t in p.get("targets", []):
                if t.get("expr"):
                    exprs.append((f"panel {p.get('id')} \"{p.get('title')}\" {t.get('refId')}",
                                  t["expr"], t.get("legendFormat", "")))
            walk(p.get("panels", []))
    walk(dash.get("panels", []))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else q
        m = re.fullmatch(r"\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*", q or "")
        if not m:
            exprs.append((f"variable ${v['name']}", q, ""))
            continue
        label_queries.append((f"variable ${v['name']}", m.group(1), m.group(2)))
    return exprs, label_queries


def check(dash, families):
    vars_ = variables(dash)
    exprs, label_queries = expressions(dash)
    problems, checked = [], []

    def check_selectors(where, selectors):
        seen = []
        for metric, matchers in selectors:
            if metric is None:
                problems.append(f"{where}: a selector without a metric name")
                continue
            if metric not in families:
                problems.append(f"{where}: metric {metric} is not written by gpuval "
                                f"(written: {', '.join(sorted(families))})")
                continue
            seen.append(metric)
            for label, op, value in matchers:
                if label not in families[metric]:
                    problems.append(f"{where}: {metric} has no label {label!r} "
                                    f"(it has: {', '.join(sorted(families[metric])) or 'none'})")
                elif op == "=" and value not in families[metric][label]:
                    problems.append(f"{where}: {metric}{{{label}=\"{value}\"}} matches nothing "
                                    f"gpuval wrote ({label}: {', '.join(sorted(families[metric][label]))})")
        return seen

    for where, expr, legend in exprs:
        try:
            real = substitute(expr, vars_)
            selectors, grouping = parse(real)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        metrics = check_selectors(where, selectors)
        labels = set().union(*(families[m].keys() for m in metrics)) if metrics else set()
        for label in grouping + re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", legend):
            if label not in labels:
                problems.append(f"{where}: label {label!r} is on none of {', '.join(metrics) or 'its metrics'}")
        checked.append((where, real))
    for where, selector, label in label_queries:
        try:
            real = substitute(selector, vars_)
            selectors, _ = parse(real)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        metrics = check_selectors(where, selectors)
        if metrics and label not in families[metrics[0]]:
            problems.append(f"{where}: label_values: {metrics[0]} has no label {label!r}")
        checked.append((where, real))
    return checked, problems


def promtool(checked, prom_path):
    """Prometheus's parser on every expression, then each evaluated against the textfile."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        rules = os.path.join(tmp, "rules.yml")
        with open(rules, "w") as f:
            f.write("groups:\n- name: dashboard\n  rules:\n")
            for i, (_, expr) in enumerate(checked):
                f.write(f"  - record: dashboard:expr{i}\n    expr: {json.dumps(expr)}\n")
        r = subprocess.run(["promtool", "check", "rules", rules], capture_output=True, text=True)
        if r.returncode != 0:
            return [f"promtool check rules: {r.stdout}{r.stderr}"]
        # The textfile as test series (a sample a minute for 3 minutes), each expression evaluated
        # at 2m: count(...) > bool 0 is {} 1 when it returns anything.
        series = []
        line_re = re.compile(r'^([A-Za-z_:][A-Za-z0-9_:]*(?:\{.*\})?)\s+(\S+)$')
        for line in open(prom_path):
            m = line_re.match(line.strip())
            if m and not line.startswith("#"):
                series.append((m.group(1), m.group(2)))
        test = os.path.join(tmp, "test.yml")
        evaluated = [(w, e) for w, e in checked if "time()" not in e]
        with open(test, "w") as f:
            f.write("rule_files: []\nevaluation_interval: 1m\ntests:\n- interval: 1m\n  input_series:\n")
            for name, value in series:
                f.write(f"  - series: {json.dumps(name)}\n    values: {json.dumps(f'{value} {value} {value}')}\n")
            f.write("  promql_expr_test:\n")
            for _, expr in evaluated:
                f.write(f"  - expr: {json.dumps(f'count({expr}) > bool 0')}\n    eval_time: 2m\n"
                        f"    exp_samples:\n    - labels: '{{}}'\n      value: 1\n")
        r = subprocess.run(["promtool", "test", "rules", test], capture_output=True, text=True)
        if r.returncode != 0:
            out = r.stdout + r.stderr
            empty = [w for w, e in evaluated if json.dumps(f"count({e}) > bool 0")[1:-1] in out
                     or f"count({e}) > bool 0" in out]
            problems.append("promtool test rules: expressions that return nothing from gpuval's "
                            f"real output: {'; '.join(empty) or out}")
        return problems


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    with open(args[0]) as f:
        dash = json.load(f)
    families = read_prom(args[1])
    checked, problems = check(dash, families)
    if "--promtool" in sys.argv and not problems:
        problems += promtool(checked, args[1])
    for where, expr in checked:
        print(f"checked {where}: {expr}")
    print(f"promql_check: {len(checked)} expressions against {len(families)} metric families "
          f"gpuval wrote: {len(problems)} problem(s)")
    for p in problems:
        print(f"PROBLEM {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
