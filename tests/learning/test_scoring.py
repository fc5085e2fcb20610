"""Scoring: single choice, multiple choice all-or-nothing, true/false."""

from decimal import Decimal
from types import SimpleNamespace

from zhengdun.learning.scoring import is_correct, normalise_choice, score_paper


def test_single_choice_needs_the_one_right_letter():
    assert is_correct("single", "B", "B")
    assert is_correct("single", "B", "b")
    assert not is_correct("single", "B", "A")
    assert not is_correct("single", "B", "AB")
    assert not is_correct("single", "B", "")
    assert not is_correct("single", "B", None)


def test_multiple_choice_is_all_or_nothing():
    assert is_correct("multiple", "ACD", "ACD")
    assert is_correct("multiple", "ACD", "DCA")
    assert is_correct("multiple", "ACD", ["C", "A", "D"])
    assert not is_correct("multiple", "ACD", "AC")  # partly right scores nothing
    assert not is_correct("multiple", "ACD", "ABCD")  # one too many scores nothing
    assert not is_correct("multiple", "ACD", "")


def test_true_false_accepts_the_usual_words():
    assert is_correct("true_false", "T", "T")
    assert is_correct("true_false", "T", "正确")
    assert is_correct("true_false", "F", "错")
    assert not is_correct("true_false", "F", "T")
    assert not is_correct("true_false", "F", "")


def test_score_paper_adds_points_of_right_answers_only():
    paper = [SimpleNamespace(id=1, qtype="single", answer="A", points=Decimal("2")),
             SimpleNamespace(id=2, qtype="multiple", answer="BC", points=Decimal("3")),
             SimpleNamespace(id=3, qtype="true_false", answer="F", points=Decimal("1.5"))]
    assert score_paper(paper, {"1": "A", "2": "BC", "3": "F"}) == (Decimal("6.5"), 3)
    assert score_paper(paper, {"1": "A", "2": "B", "3": "F"}) == (Decimal("3.5"), 2)
    assert score_paper(paper, {}) == (Decimal("0"), 0)


def test_normalise_choice_drops_noise():
    assert normalise_choice("c, a ,a") == "AC"
    assert normalise_choice(None) == ""
