#!/usr/bin/env python3
"""Every benchmark figure of gpuval run documents against the targets of bench/targets.json.

scripts/gpu-check.sh prints this last on a GPU machine; it needs only Python 3's standard library.

  gpu_check_table.py [--targets FILE] [--tsv] RUN.json...   a table per run document
  gpu_check_table.py [--targets FILE] --targets-markdown    bench/README.md's Targets table
  gpu_check_table.py [--targets FILE] --check-readme FILE   does the README's table match?

Per run document: its profile, device, verdict and wall times (run.duration_s; run.phases and the
checks' wall_s where the document has them), then one row per benchmark entry: id, params,
status, median and unit, CV, fraction of peak, the target and whether the figure meets it
("met", "low": under the fraction or median target, "noisy": over the CV target, "n/a": not
measured, "-": no target). A target may name an absolute median (min_median, in its unit: the
NCCL bus bandwidth), the params an entry must have ("params": {"pass": "default"}) and which of
them is judged ("at": "best-shape" the best fraction among its shapes, "largest-size" only the
entry with the largest params.bytes). Targets are not pass/fail: the exit code is 0 whatever they say, 1 only when
--check-readme finds the README out of date, 2 on unreadable or invalid input.
"""

import argparse
import json
import math
import os
import sys

TARGETS_SCHEMA = "gpuval.targets/1"
RUN_SCHEMA_MAJOR = "gpuval.run/1"
BEGIN_MARK = "<!-- targets:begin"
END_MARK = "<!-- targets:end -->"


class InputError(Exception):
    """Bad input: the message says which file and what is wrong (exit 2)."""


def default_targets_path():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "bench", "targets.json")


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not JSON: {e}") from e


def load_targets(path):
    doc = load_json(path)
    if not isinstance(doc, dict) or doc.get("schema") != TARGETS_SCHEMA:
        raise InputError(f"{path}: schema is not {TARGETS_SCHEMA}")
    targets = {}
    for i, t in enumerate(doc.get("targets", [])):
        where = f"{path}: targets[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("id"), str) or not t["id"]:
            raise InputError(f"{where}: needs an id")
        if t["id"] in targets:
            raise InputError(f"{where}: {t['id']} is listed twice")
        for key in ("min_fraction_of_peak", "max_cv"):
            v = t.get(key)
            if v is not None and not (isinstance(v, (int, float)) and 0 < v <= 1):
                raise InputError(f"{where}: {key} must be a number in (0, 1], not {v!r}")
        if "min_median" in t:
            v = t["min_median"]
            if not (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0):
                raise InputError(f"{where}: min_median must be a positive number, not {v!r}")
            if not isinstance(t.get("unit"), str) or not t["unit"]:
                raise InputError(f"{where}: min_median needs its unit")
        if not isinstance(t.get("params", {}), dict):
            raise InputError(f"{where}: params must be an object")
        if not any(k in t for k in ("min_fraction_of_peak", "max_cv", "min_median")):
            raise InputError(f"{where}: {t['id']} has none of min_fraction_of_peak, min_median, "
                             f"max_cv")
        if t.get("at") not in (None, "best-shape", "largest-size"):
            raise InputError(f"{where}: at must be \"best-shape\", \"largest-size\" or absent, "
                             f"not {t['at']!r}")
        targets[t["id"]] = t
    if not targets:
        raise InputError(f"{path}: no targets")
    return doc, targets


def percent(x, digits=1):
    text = f"{100 * x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text + " %"


def target_text(t, compact=False):
    parts = []
    if "min_fraction_of_peak" in t:
        best = "best " if t.get("at") == "best-shape" else ""
        parts.append(f"{best}>={percent(t['min_fraction_of_peak'])}")
    if "min_median" in t:
        parts.append(f">={t['min_median']:g} {t['unit']}")
    if "max_cv" in t:
        parts.append(f"cv<={percent(t['max_cv'])}")
    text = " ".join(parts)
    return text.replace(" %", "%") if compact else text


def targets_markdown(doc, targets):
    lines = [
        "| id | fraction of peak (median) | median | CV | basis |",
        "|---|---|---|---|---|",
    ]
    for t in targets.values():
        frac = "—"
        if "min_fraction_of_peak" in t:
            frac = ">= " + percent(t["min_fraction_of_peak"])
            if t.get("at") == "best-shape":
                frac += " at the best shape"
        median = "—"
        if "min_median" in t:
            median = f">= {t['min_median']:g} {t['unit']}"
            if t.get("at") == "largest-size":
                median += " at the largest size"
            if t.get("params"):
                median += " (" + ", ".join(f"{k} {v}" for k, v in t["params"].items()) + ")"
        cv = "<= " + percent(t["max_cv"]) if "max_cv" in t else "—"
        lines.append(f"| {t['id']} | {frac} | {median} | {cv} | {t.get('basis', '')} |")
    return "\n".join(lines) + "\n"


def readme_block(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    begin = text.find(BEGIN_MARK)
    end = text.find(END_MARK)
    if begin < 0 or end < begin:
        raise InputError(f"{path}: no '{BEGIN_MARK} ... -->' ... '{END_MARK}' block")
    start = text.index("\n", begin) + 1
    return text[start:end]


def human_bytes(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % (size // 16) == 0:
            return f"{n / size:g} {unit}"
    return f"{n} B"


def format_params(params):
    if not isinstance(params, dict):
        return ""
    p = dict(params)
    parts = []
    if "shape" in p:
        dims = "x".join(str(p.pop(k)) for k in ("m", "n", "k") if k in p)
        parts.append(f"{p.pop('shape')} {dims}".strip())
    if "bytes" in p and isinstance(p["bytes"], (int, float)):
        parts.append(human_bytes(int(p.pop("bytes"))))
    if {"n", "c", "h", "w", "k", "r", "s"} <= p.keys():
        parts.append(f"n{p.pop('n')} c{p.pop('c')} {p.pop('h')}x{p.pop('w')} k{p.pop('k')} "
                     f"{p.pop('r')}x{p.pop('s')}")
        for k in ("pad", "stride", "layout"):
            p.pop(k, None)
    if "peer" in p:
        parts.append(f"peer {p.pop('peer')}")
    parts.extend(f"{k}={v}" for k, v in p.items())
    return " ".join(parts)


def number(x):
    return x if isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) \
        else None


def matches(t, b):
    """Whether entry b has the params target t is for."""
    params = b.get("params") if isinstance(b.get("params"), dict) else {}
    return all(params.get(k) == v for k, v in (t.get("params") or {}).items())


def entry_bytes(b):
    params = b.get("params") if isinstance(b.get("params"), dict) else {}
    return number(params.get("bytes"))


def evaluate(doc, targets):
    """One row per benchmark entry, with the target verdict."""
    benchmarks = doc.get("benchmarks") or []
    best = {}  # (id, device) -> best fraction among measured entries
    largest = {}  # (id, device) -> largest params.bytes among measured entries a target is for
    for b in benchmarks:
        f = number(b.get("fraction_of_peak"))
        key = (b.get("id"), b.get("device"))
        if f is not None and number(b.get("median")) is not None:
            best[key] = max(best.get(key, f), f)
        t = targets.get(b.get("id"))
        size = entry_bytes(b)
        if t is not None and matches(t, b) and size is not None and \
                number(b.get("median")) is not None and b.get("status") != "SKIP":
            largest[key] = max(largest.get(key, size), size)
    rows = []
    for b in benchmarks:
        t = targets.get(b.get("id"))
        median = number(b.get("median"))
        cv = number(b.get("cv"))
        fraction = number(b.get("fraction_of_peak"))
        verdict = "-"
        if t is not None:
            if median is None or b.get("status") == "SKIP":
                verdict = "n/a"
            elif not matches(t, b) or (t.get("at") == "largest-size" and entry_bytes(b) !=
                                       largest.get((b.get("id"), b.get("device")))):
                verdict = "-"  # the target is for other params or the largest size only
            else:
                misses = []
                if "min_median" in t and median < t["min_median"]:
                    misses.append("low")
                if "min_fraction_of_peak" in t:
                    judged = best.get((b.get("id"), b.get("device"))) \
                        if t.get("at") == "best-shape" else fraction
                    if judged is None:
                        misses.append("no-peak")
                    elif judged < t["min_fraction_of_peak"]:
                        misses.append("low")
                if "max_cv" in t and (cv is None or cv > t["max_cv"]):
                    misses.append("noisy")
                verdict = "+".join(dict.fromkeys(misses)) if misses else "met"
        rows.append({
            "id": str(b.get("id", "?")),
            "params": format_params(b.get("params")),
            "status": str(b.get("status", "?")),
            "median": median,
            "unit": str(b.get("unit", "")),
            "cv": cv,
            "fraction": fraction,
            "target_min_fraction": t.get("min_fraction_of_peak") if t else None,
            "target_max_cv": t.get("max_cv") if t else None,
            "target_min_median": t.get("min_median") if t else None,
            "target": target_text(t, compact=True) if t else "",
            "verdict": verdict,
            "wall_s": number(b.get("wall_s")),
        })
    return rows


def fmt_median(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"


def phase_lines(doc):
    run = doc.get("run") or {}
    out = []
    total = number(run.get("duration_s"))
    parts = [f"total {total:.1f} s" if total is not None else "total ?"]
    phases = run.get("phases")
    if isinstance(phases, dict):
        for name, v in phases.items():
            secs = number(v.get("wall_s")) if isinstance(v, dict) else number(v)
            parts.append(f"{name} {secs:.1f} s" if secs is not None else f"{name} ?")
    out.append("  wall time: " + ", ".join(parts) +
               ("" if isinstance(phases, dict) else " (no run.phases in this document)"))
    timed = [(number(c.get("wall_s")), c.get("id", "?")) for c in doc.get("checks") or []
             if isinstance(c, dict) and number(c.get("wall_s")) is not None]
    if timed:
        timed.sort(reverse=True)
        checks_total = sum(s for s, _ in timed)
        slowest = ", ".join(f"{cid} {s:.2f} s" for s, cid in timed[:5])
        out.append(f"  checks: {checks_total:.1f} s in {len(timed)} checks; slowest: {slowest}")
    return out


def print_table(path, doc, rows, out):
    run = doc.get("run") or {}
    devices = doc.get("devices") or []
    device = devices[0].get("name", "?") if devices and isinstance(devices[0], dict) else "none"
    verdict = (doc.get("verdict") or {}).get("status", "?")
    print(f"== {os.path.basename(path)}: {run.get('command', '?')} --{run.get('profile', '?')}, "
          f"{device}, verdict {verdict}", file=out)
    for line in phase_lines(doc):
        print(line, file=out)
    if not rows:
        print("  no benchmark entries", file=out)
        return
    fmt = "  {:<17} {:<31} {:<4} {:>9} {:<7} {:>6} {:>6} {:<17} {:<9} {:>6}"
    print(fmt.format("id", "params", "stat", "median", "unit", "cv", "peak", "target", "vs target",
                     "wall_s"), file=out)
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
        print(fmt.format(
            r["id"][:17], r["params"][:31], r["status"][:4], fmt_median(r["median"]),
            r["unit"][:7],
            "-" if r["cv"] is None else f"{100 * r['cv']:.2f}%",
            "-" if r["fraction"] is None else f"{100 * r['fraction']:.1f}%",
            r["target"][:17], r["verdict"][:9],
            "-" if r["wall_s"] is None else f"{r['wall_s']:.1f}"), file=out)
    judged = {k: v for k, v in counts.items() if k != "-"}
    summary = ", ".join(f"{v} {k}" for k, v in sorted(judged.items()))
    print(f"  {len(rows)} figures; against targets: {summary or 'none has a target'}", file=out)


def print_tsv(path, rows, out):
    cols = ["file", "id", "params", "status", "median", "unit", "cv", "fraction_of_peak",
            "target_min_fraction", "target_max_cv", "verdict", "wall_s", "target_min_median"]
    print("\t".join(cols), file=out)
    for r in rows:
        values = [os.path.basename(path), r["id"], r["params"], r["status"], r["median"],
                  r["unit"], r["cv"], r["fraction"], r["target_min_fraction"],
                  r["target_max_cv"], r["verdict"], r["wall_s"], r["target_min_median"]]
        print("\t".join("" if v is None else repr(v) if isinstance(v, float) else str(v)
                        for v in values), file=out)


def load_run(path):
    doc = load_json(path)
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not (schema == RUN_SCHEMA_MAJOR or
                                           schema.startswith(RUN_SCHEMA_MAJOR + ".")):
        raise InputError(f"{path}: not a gpuval run document of schema {RUN_SCHEMA_MAJOR} "
                         f"(schema: {schema!r})")
    if not isinstance(doc.get("benchmarks", []), list):
        raise InputError(f"{path}: benchmarks is not an array")
    return doc


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", default=default_targets_path(),
                    help="targets file (default: bench/targets.json beside this script)")
    ap.add_argument("--tsv", action="store_true", help="tab-separated values, for scripts")
    ap.add_argument("--targets-markdown", action="store_true",
                    help="print bench/README.md's Targets table")
    ap.add_argument("--check-readme", metavar="README",
                    help="exit 1 when README's Targets table differs from the targets file")
    ap.add_argument("runs", nargs="*", metavar="RUN.json")
    args = ap.parse_args(argv)
    try:
        tdoc, targets = load_targets(args.targets)
        if args.targets_markdown:
            sys.stdout.write(targets_markdown(tdoc, targets))
            return 0
        if args.check_readme:
            want = targets_markdown(tdoc, targets)
            have = readme_block(args.check_readme)
            if have != want:
                print(f"{args.check_readme}: the Targets table differs from {args.targets}.\n"
                      f"Regenerate it: replace the lines between the targets:begin and "
                      f"targets:end markers with the output of\n"
                      f"  python3 scripts/gpu_check_table.py --targets-markdown\n"
                      f"--- README has:\n{have}--- {args.targets} gives:\n{want}",
                      file=sys.stderr)
                return 1
            return 0
        if not args.runs:
            ap.error("give run documents, --targets-markdown or --check-readme")
        docs = [(path, load_run(path)) for path in args.runs]
    except InputError as e:
        print(f"gpu_check_table: {e}", file=sys.stderr)
        return 2
    for path, doc in docs:
        rows = evaluate(doc, targets)
        if args.tsv:
            print_tsv(path, rows, sys.stdout)
        else:
            print_table(path, doc, rows, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
