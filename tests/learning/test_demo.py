"""The learning demo runs on the demo city, is idempotent and gives realistic rates."""

from zhengdun.learning import selectors
from zhengdun.learning.demo import FINISHED_TITLE, seed_learning_demo
from zhengdun.learning.models import Exam
from zhengdun.org.access import scope_for
from zhengdun.org.demo import seed_demo
from zhengdun.org.models import Unit, User


def test_seed_learning_demo_is_idempotent_and_realistic(db, settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = tmp_path
    seed_demo(officers_target=300)
    first = seed_learning_demo()
    assert first["materials"] == 12 and first["questions"] >= 60 and first["exams"] == 2
    assert first["study_records"] > 300
    assert seed_learning_demo() == first
    exam = Exam.objects.get(title=FINISHED_TITLE)
    city = Unit.objects.get(code="JZ")
    total, rows = selectors.exam_unit_rates(scope=scope_for(User.objects.get(username="city_admin")), exam=exam,
                                            root=city)
    assert 0.7 < total.participation < 0.9
    assert 0.5 < total.pass_rate <= 1
    assert len(rows) > 5
