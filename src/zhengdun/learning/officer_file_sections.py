"""This app's sections of the officer file: study records and exam results."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.learning import selectors
from zhengdun.learning.models import AttemptStatus, Channel
from zhengdun.learning.officer_file import Section, register


@register("learning.study", order=20)
def study_section(scope, officer):
    records = selectors.officer_study_records(scope=scope, officer=officer)
    total = records.count()
    counts = selectors.officer_channel_counts(scope=scope, officer=officer)
    rows = [[r.date.isoformat(), r.get_channel_display(), r.get_category_display() or "—",
             (r.material.title, reverse("learning:material_detail", args=[r.material_id])) if r.material_id else "—",
             str(r.hours or "—")] for r in records[:30]]
    return Section(
        title=_("学习记录"), columns=[_("日期"), _("学习方式"), _("教育类别"), _("学习资料"), _("学时")], rows=rows,
        total=total, figures=[(label, counts.get(value, 0)) for value, label in Channel.choices],
        more_url=f"{reverse('learning:study_list')}?officer={officer.id}", empty_text=_("尚无学习记录"))


@register("learning.exams", order=30)
def exam_section(scope, officer):
    attempts = list(selectors.officer_attempts(scope=scope, officer=officer)[:30])
    now = timezone.now()
    rows = []
    for a in attempts:
        if a.status == AttemptStatus.SUBMITTED:
            result = _("及格") if a.passed else _("不及格")
            score = f"{a.score:g} / {a.exam.total_score:g}"
        else:
            result, score = _("答题中") if now <= a.deadline_at else _("待收卷"), "—"
        rows.append([(a.exam.title, reverse("learning:attempt_detail", args=[a.id])),
                     timezone.localtime(a.started_at).strftime("%Y-%m-%d %H:%M"), score, result])
    return Section(title=_("考试成绩"), columns=[_("考试"), _("作答时间"), _("得分"), _("结果")], rows=rows,
                   total=len(attempts), empty_text=_("尚无考试记录"))
