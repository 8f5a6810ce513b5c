#!/usr/bin/env python3
"""Validate gpuval run documents against results/run.schema.json (JSON Schema 2020-12).

Usage: validate_run_document.py FILE... (use - for stdin). Exit 0 when all are valid, 1 otherwise.
"""
import json
import pathlib
import sys

import jsonschema

SCHEMA = pathlib.Path(__file__).resolve().parent.parent / "results" / "run.schema.json"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    bad = 0
    for name in argv[1:]:
        text = sys.stdin.read() if name == "-" else pathlib.Path(name).read_text()
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            print(f"{name}: not JSON: {e}", file=sys.stderr)
            bad += 1
            continue
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
        for e in errors:
            where = "/".join(str(p) for p in e.path) or "(root)"
            print(f"{name}: {where}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
