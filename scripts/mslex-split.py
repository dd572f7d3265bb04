#!/usr/bin/env python3
"""Splits Windows command lines with mslex (PyPI), an independent model of the Microsoft C runtime rules.

    mslex-split.py < lines.json     a JSON array of command-line tails in, a JSON array of argv lists out

Each line is split like CommandLineToArgvW and the C runtime (`like_cmd=False`); `ucrt=None` makes mslex fail
when the legacy msvcrt.dll and the modern UCRT would split the line differently, so a line passes only when
both runtimes agree. A line that fails is answered with {"error": "..."}.

Needs the venv made by scripts/install-deps (COORDINATOR_VENV, default /opt/coordinator-venv).
"""
import json
import sys

try:
    import mslex
except ImportError as error:  # pragma: no cover - reported to the caller
    sys.stderr.write(f"mslex-split: {error}; run scripts/install-deps (it makes the venv)\n")
    sys.exit(2)


def split(line):
    try:
        return mslex.split(line, like_cmd=False, ucrt=None)
    except Exception as error:  # mslex raises MSLexError for ambiguous lines
        return {"error": str(error)}


json.dump([split(line) for line in json.load(sys.stdin)], sys.stdout)
