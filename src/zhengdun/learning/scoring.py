"""Scoring of answers (pure functions, no database).

Single choice and true/false: the one right letter. Multiple choice: all or nothing — the
chosen set must equal the answer set exactly; a partly right choice scores zero.
"""

from __future__ import annotations

from decimal import Decimal

TRUE_WORDS = {"T", "TRUE", "对", "正确", "√", "是", "Y", "YES"}
FALSE_WORDS = {"F", "FALSE", "错", "错误", "×", "X", "否", "N", "NO"}


def normalise_choice(value) -> str:
    """'c,a' / ['C', 'A'] / 'ac' -> 'AC' (sorted unique letters A–F)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple, set)):
        value = "".join(str(v) for v in value)
    letters = {ch for ch in str(value).upper() if "A" <= ch <= "F"}
    return "".join(sorted(letters))


def normalise_true_false(value) -> str:
    text = str(value or "").strip().upper()
    if text in TRUE_WORDS:
        return "T"
    if text in FALSE_WORDS:
        return "F"
    return ""


def normalise_answer(qtype: str, value) -> str:
    return normalise_true_false(value) if qtype == "true_false" else normalise_choice(value)


def is_correct(qtype: str, correct: str, given) -> bool:
    given = normalise_answer(qtype, given)
    if not given:
        return False
    if qtype == "single":
        return len(given) == 1 and given == normalise_choice(correct)
    if qtype == "multiple":
        return given == normalise_choice(correct)  # all or nothing
    if qtype == "true_false":
        return given == normalise_true_false(correct)
    return False


def score_paper(paper, answers: dict) -> tuple[Decimal, int]:
    """Total points and number right; `paper` is an iterable of objects with id, qtype, answer, points;
    `answers` maps str(exam-question id) to the given answer."""
    total, right = Decimal("0"), 0
    for item in paper:
        if is_correct(item.qtype, item.answer, answers.get(str(item.id))):
            total += Decimal(item.points)
            right += 1
    return total, right
