"""Precision and recall of a hits file against a truth file."""

from __future__ import annotations

import csv
import os

from .contract import RULES, ScreeningInputError
from .readers import check_utf8

KEY = ("rule", "officer_id", "subject", "registry", "record_key")


def _keys(path: str) -> set[tuple]:
    name = os.path.basename(path)
    try:
        check_utf8(path)
        with open(path, encoding="utf-8-sig", newline="") as fh:
            r = csv.reader(fh, strict=True)
            header = next(r, None)
            if header is None:
                raise ScreeningInputError(f"{name}: empty file, a header row is required", file=name)
            header = [c.strip() for c in header]
            missing = [k for k in KEY if k not in header]
            if missing:
                raise ScreeningInputError(f"{name}: missing required column {missing[0]}", file=name,
                                          column=missing[0])
            at = [header.index(k) for k in KEY]
            keys = set()
            start = r.line_num + 1
            for row in r:
                if row:
                    if len(row) != len(header):
                        raise ScreeningInputError(
                            f"{name}: line {start} has {len(row)} fields, the header {len(header)}", file=name)
                    keys.add(tuple(row[i] for i in at))
                start = r.line_num + 1
            return keys
    except csv.Error as exc:
        raise ScreeningInputError(f"{name}: not valid CSV: {exc}", file=name)
    except OSError as exc:
        raise ScreeningInputError(f"{name}: cannot read file: {exc.strerror or exc}", file=name)


def score_sets(truth: set[tuple], hits: set[tuple]) -> dict[str, dict]:
    out = {}
    for rule in (*RULES, "overall"):
        t = truth if rule == "overall" else {k for k in truth if k[0] == rule}
        h = hits if rule == "overall" else {k for k in hits if k[0] == rule}
        tp = len(t & h)
        out[rule] = {
            "truth": len(t), "hits": len(h), "tp": tp,
            "precision": tp / len(h) if h else (1.0 if not t else 0.0),
            "recall": tp / len(t) if t else 1.0,
        }
    return out


def score_files(truth_path: str, hits_path: str) -> dict[str, dict]:
    return score_sets(_keys(truth_path), _keys(hits_path))


def format_scores(scores: dict[str, dict]) -> str:
    lines = [f"{'rule':<18} {'truth':>7} {'hits':>7} {'tp':>7} {'precision':>9} {'recall':>7}"]
    for rule, s in scores.items():
        lines.append(f"{rule:<18} {s['truth']:>7} {s['hits']:>7} {s['tp']:>7} {s['precision']:>9.4f} {s['recall']:>7.4f}")
    return "\n".join(lines)
