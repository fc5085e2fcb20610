"""How the pages present a hit's evidence. The text is stored exactly as the engine wrote it (the
contract's `evidence` column, also in the exports); the hit page shows it as bullet points with
Chinese punctuation and a shareholding as a percentage, and keeps the original text beside it."""

from __future__ import annotations

import re

_RATIO = re.compile(r"(持股比例\s*)(\d+(?:\.\d+)?|\.\d+)(?![\d.%])")
_PUNCT = (("(", "（"), (")", "）"), (", ", "，"), (": ", "："))


def percent(value: str) -> str:
    """`0.2` -> `20%`, `0.3333` -> `33.33%`; a value outside 0–1 is left as it is."""
    try:
        ratio = float(value)
    except ValueError:
        return value
    if not 0 <= ratio <= 1:
        return value
    shown = f"{ratio * 100:.2f}".rstrip("0").rstrip(".")
    return f"{shown}%"


def evidence_points(evidence: str) -> list[str]:
    """The engine's clauses (separated by `;` outside parentheses) as readable bullet points."""
    clauses, depth, current = [], 0, []
    for char in evidence or "":
        if char in "(（":
            depth += 1
        elif char in ")）":
            depth = max(0, depth - 1)
        if char in ";；" and depth == 0:
            clauses.append("".join(current))
            current = []
            continue
        current.append(char)
    clauses.append("".join(current))
    points = []
    for clause in clauses:
        text = _RATIO.sub(lambda m: m.group(1) + percent(m.group(2)), clause.strip())
        for ascii_mark, chinese in _PUNCT:
            text = text.replace(ascii_mark, chinese)
        text = re.sub(r"\s*（", "（", text)
        text = re.sub(r"）\s+(?=[\u4e00-\u9fff])", "）", text)
        if text:
            points.append(text)
    return points
