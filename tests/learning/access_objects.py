"""In-scope / out-of-scope object pairs for the generated access matrix (tests/test_access_matrix.py):
county-A objects (inside for admin_a, clerk_a, supervisor_a) and county-B objects (outside)."""

from __future__ import annotations

from tests.learning.factories import make_bank, make_exam, submitted_attempt
from zhengdun.learning import services


def _pair(cast, key, build):
    cache = cast.__dict__.setdefault("_learning_objects", {})
    if key not in cache:
        cache[key] = (build(cast, "a").id, build(cast, "b").id)
    return cache[key]


def _material(cast, side):
    unit, actor = (cast.county_a, cast.admin_a) if side == "a" else (cast.county_b, cast.admin_b)
    return services.material_create(actor=actor, unit=unit, title=f"资料{side}", category="political")


def _question(cast, side):
    return make_bank(cast, unit=cast.county_a if side == "a" else cast.county_b)[0]


def _exam(cast, side):
    cache = cast.__dict__.setdefault("_learning_exams", {})
    if side not in cache:
        cache[side] = make_exam(cast, unit=cast.county_a if side == "a" else cast.county_b)
    return cache[side]


def _attempt(cast, side):
    officer = cast.officers["judge_a" if side == "a" else "judge_b"]
    return submitted_attempt(_exam(cast, side), officer)


LEARNING_OBJECTS = {
    "material_id": lambda cast, user: _pair(cast, "material", _material),
    "question_id": lambda cast, user: _pair(cast, "question", _question),
    "exam_id": lambda cast, user: _pair(cast, "exam", _exam),
    "attempt_id": lambda cast, user: _pair(cast, "attempt", _attempt),
}
