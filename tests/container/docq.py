#!/usr/bin/env python3
"""Print values from a gpuval run document, for the container scenario tests.

Usage: docq.py FILE PATH...   (FILE "-" reads stdin)
PATH is dotted keys or list indexes; "checks[ID]" picks the check with that id, e.g.
  verdict.status   checks[device-nodes].status   checks[x].metrics.invalid.0.token
Strings print as they are, other values as JSON, one line each. Exit 1 naming the first PATH
that is missing, 2 when FILE is not JSON.
"""
import json
import re
import sys

STEP = re.compile(r"([^.\[\]]+)(?:\[([^\]]+)\])?")


def lookup(doc, path):
    value = doc
    for part in path.split("."):
        m = STEP.fullmatch(part)
        if not m:
            raise KeyError(part)
        key, select = m.groups()
        value = value[int(key)] if isinstance(value, list) and key.isdigit() else value[key]
        if select is not None:
            matches = [item for item in value if item.get("id") == select]
            if not matches:
                raise KeyError(f"{key}[{select}]")
            value = matches[0]
    return value


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        text = sys.stdin.read() if argv[1] == "-" else open(argv[1], encoding="utf-8").read()
        doc = json.loads(text)
    except (OSError, json.JSONDecodeError) as e:
        print(f"docq: {argv[1]}: {e}", file=sys.stderr)
        return 2
    for path in argv[2:]:
        try:
            value = lookup(doc, path)
        except (KeyError, TypeError, IndexError) as e:
            print(f"docq: {argv[1]}: no {path} ({e})", file=sys.stderr)
            return 1
        print(value if isinstance(value, str) else json.dumps(value))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
