"""Learning and exams: study materials, study records (六学), question bank, exams and attempts.

Counting is set-based: one row per study record and one row per exam attempt, each carrying
the unit of the officer at the time (`unit`) and a date, indexed on (unit, date), so any
statistic is a GROUP BY over a unit-path prefix and a date range (see docs/learning.md).

Visibility differs from the plain "my subtree" rule in two places, both still expressed as
`within(scope)` so that every read starts there:
- materials published by an office reach everyone below it (officers and clerks included);
- an exam reaches the officers of its target units, and staff whose subtree it touches.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import Officer, Role, ScopedQuerySet, Unit, UnitScoped


class Category(models.TextChoices):
    POLITICAL = "political", _("政治教育")
    PARTY_HISTORY = "party_history", _("党史教育")
    WARNING = "warning", _("警示教育")
    ROLE_MODEL = "role_model", _("英模教育")


class Channel(models.TextChoices):
    """六学模式: the six ways of study; the only thing recorded about how someone studied."""

    SELF = "self", _("自学")
    LED = "led", _("领学")
    VIDEO = "video", _("视频学")
    ON_THE_JOB = "on_the_job", _("岗位学")
    DELIVERED = "delivered", _("送学")
    GROUP = "group", _("群组学")


class QuestionType(models.TextChoices):
    SINGLE = "single", _("单选题")
    MULTIPLE = "multiple", _("多选题")
    TRUE_FALSE = "true_false", _("判断题")


class Difficulty(models.IntegerChoices):
    EASY = 1, _("易")
    MEDIUM = 2, _("中")
    HARD = 3, _("难")


class AttemptStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("答题中")
    SUBMITTED = "submitted", _("已交卷")


# Roster: officers counted as "should take part" (serving or seconded; not retired or departed).
ROSTER_STATUSES = ("serving", "seconded")


def ancestor_paths(path: str) -> list[str]:
    """'/C1/CA/CAFY/' -> ['/C1/', '/C1/CA/', '/C1/CA/CAFY/']."""
    codes = [c for c in path.strip("/").split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def scope_positions(scope, *, as_officer: bool = True) -> list[str]:
    """Unit paths where the user sits: role anchors (subtree or exact unit) and, unless
    `as_officer` is False, their own unit as an officer."""
    paths = list(scope.subtree_paths)
    ids = list(scope.exact_unit_ids)
    if ids:
        paths += list(Unit.objects.filter(pk__in=ids).values_list("path", flat=True))
    if scope.officer_id and as_officer:
        paths += list(Officer.objects.filter(pk=scope.officer_id).values_list("unit__path", flat=True))
    return paths


def _reach_q(scope, path_field: str, *, as_officer: bool = True) -> Q:
    """Records owned by a unit at or above one of the user's positions."""
    above = sorted({a for p in scope_positions(scope, as_officer=as_officer) for a in ancestor_paths(p)})
    return Q(**{f"{path_field}__in": above}) if above else Q(pk__in=[])


class MaterialQuerySet(ScopedQuerySet):
    def within(self, scope):
        if scope.everything:
            return self.all()
        return self.filter(scope.unit_q("unit") | _reach_q(scope, "unit__path"))


class StudyMaterial(UnitScoped):
    """A study material published by an office; everyone below that office can read it."""

    title = models.CharField(_("标题"), max_length=200)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    summary = models.TextField(_("内容摘要"), blank=True)
    body = models.TextField(_("正文"), blank=True)
    attachment = models.FileField(_("附件"), upload_to="learning/materials/%Y/%m/", blank=True)
    attachment_name = models.CharField(_("附件文件名"), max_length=200, blank=True)
    published_on = models.DateField(_("发布日期"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("发布人"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MaterialQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "-id"]
        verbose_name = _("学习资料")
        verbose_name_plural = _("学习资料")
        indexes = [models.Index(fields=["unit", "category"], name="learn_material_unit_cat")]

    def __str__(self):
        return self.title


class StudyRecord(UnitScoped):
    """One study by one officer on one day through one channel. `unit` is the officer's unit when
    the record was made. No check-in, timer or points: the issue forbids formalism."""

    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="study_records",
                                verbose_name=_("干警"))
    material = models.ForeignKey(StudyMaterial, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="study_records", verbose_name=_("学习资料"))
    category = models.CharField(_("教育类别"), max_length=20, choices=Category.choices, blank=True)
    date = models.DateField(_("学习日期"))
    channel = models.CharField(_("学习方式"), max_length=12, choices=Channel.choices)
    hours = models.DecimalField(_("学时"), max_digits=4, decimal_places=1, null=True, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    session = models.UUIDField(_("集中学习批次"), null=True, blank=True,
                               help_text=_("同一次集中学习（批量录入）的记录共用一个批次号"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("学习记录")
        verbose_name_plural = _("学习记录")
        indexes = [
            models.Index(fields=["unit", "date"], name="learn_study_unit_date"),
            models.Index(fields=["officer", "date"], name="learn_study_officer_date"),
            models.Index(fields=["date"], name="learn_study_date"),
        ]

    def __str__(self):
        return f"{self.officer_id} {self.date} {self.get_channel_display()}"


class QuestionQuerySet(ScopedQuerySet):
    def within(self, scope):
        """An office's bank is read by the office's admins and those above; an office admin may
        also draw on the banks of the offices above them. Officers never see the bank."""
        if scope.everything:
            return self.all()
        q = scope.unit_q("unit")
        if scope.has_role(Role.OFFICE_ADMIN):
            above = sorted({a for p in scope.subtree_paths for a in ancestor_paths(p)})
            q |= Q(unit__path__in=above)
        return self.filter(q)


class Question(UnitScoped):
    qtype = models.CharField(_("题型"), max_length=12, choices=QuestionType.choices)
    stem = models.TextField(_("题干"))
    options = models.JSONField(_("选项"), default=list, blank=True, help_text=_("按 A、B、C… 顺序的选项文字"))
    answer = models.CharField(_("答案"), max_length=6, help_text=_("单选如 A；多选如 ACD；判断题 T（正确）或 F（错误）"))
    explanation = models.TextField(_("解析"), blank=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    difficulty = models.PositiveSmallIntegerField(_("难度"), choices=Difficulty.choices, default=Difficulty.MEDIUM)
    is_active = models.BooleanField(_("启用"), default=True)
    fingerprint = models.CharField(max_length=64, editable=False,
                                   help_text="hash of type + normalised stem: re-importing a question updates it")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["unit__path", "category", "qtype", "id"]
        verbose_name = _("试题")
        verbose_name_plural = _("试题")
        constraints = [models.UniqueConstraint(fields=["unit", "fingerprint"], name="learn_question_unique_stem")]
        indexes = [models.Index(fields=["unit", "category", "qtype"], name="learn_question_pick")]

    def __str__(self):
        return self.stem[:40]


class ExamQuerySet(ScopedQuerySet):
    def within(self, scope):
        """Staff: exams issued in their subtree, or whose target reaches a unit they sit in or a unit
        below them. Officers: published exams whose target units include their own unit."""
        if scope.everything:
            return self.all()
        q = scope.unit_q("unit") | ((scope.unit_q("target_root") | _reach_q(scope, "target_root__path",
                                                                             as_officer=False))
                                    & Q(status=Exam.Status.PUBLISHED))
        if scope.officer_id:
            own = Officer.objects.filter(pk=scope.officer_id).values_list("unit__path", "unit__kind").first()
            if own:
                path, kind = own
                q |= (Q(target_root__path__in=ancestor_paths(path)) & Q(status=Exam.Status.PUBLISHED)
                      & (Q(target_kinds="") | Q(target_kinds__contains=f",{kind},")))
        return self.filter(q)


class Exam(UnitScoped):
    """An exam issued by an office (`unit`) to the units below `target_root` (optionally only some
    kinds of unit). The paper is drawn once when assembled: every officer gets the same questions."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")

    title = models.CharField(_("考试名称"), max_length=200)
    description = models.TextField(_("考试说明"), blank=True)
    start_at = models.DateTimeField(_("开始时间"))
    end_at = models.DateTimeField(_("结束时间"))
    duration_minutes = models.PositiveIntegerField(_("答题时长（分钟）"), default=60)
    pass_score = models.DecimalField(_("及格分"), max_digits=6, decimal_places=2, default=60)
    total_score = models.DecimalField(_("总分"), max_digits=6, decimal_places=2, default=0)
    max_attempts = models.PositiveSmallIntegerField(_("允许作答次数"), default=1)
    target_root = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("参考单位范围"))
    target_kinds = models.CharField(_("参考单位类别"), max_length=200, blank=True,
                                    help_text=_("为空表示范围内全部单位；否则形如 ,court,police,"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    assembly = models.JSONField(_("组卷规则"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ExamQuerySet.as_manager()

    class Meta:
        ordering = ["-start_at", "-id"]
        verbose_name = _("考试")
        verbose_name_plural = _("考试")
        indexes = [models.Index(fields=["unit", "start_at"], name="learn_exam_unit_start")]

    def __str__(self):
        return self.title

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.target_kinds.split(",") if k]

    def is_open(self, now) -> bool:
        return self.status == self.Status.PUBLISHED and self.start_at <= now <= self.end_at

    def is_closed(self, now) -> bool:
        return now > self.end_at


class ExamQuestion(UnitScoped):
    """A question on an exam's paper, copied from the bank so later edits of the bank do not
    change a paper already taken. `unit` is the exam's unit."""

    exam = models.ForeignKey(Exam, on_delete=models.CASCADE, related_name="paper")
    question = models.ForeignKey(Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    position = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=5, decimal_places=2)
    qtype = models.CharField(max_length=12, choices=QuestionType.choices)
    stem = models.TextField()
    options = models.JSONField(default=list, blank=True)
    answer = models.CharField(max_length=6)
    explanation = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)

    class Meta:
        ordering = ["exam_id", "position"]
        constraints = [models.UniqueConstraint(fields=["exam", "position"], name="learn_examq_unique_position")]

    def labelled_options(self) -> list[tuple[str, str]]:
        if self.qtype == QuestionType.TRUE_FALSE:
            return [("T", str(_("正确"))), ("F", str(_("错误")))]
        return [(chr(65 + i), text) for i, text in enumerate(self.options)]


class ExamAttempt(UnitScoped):
    """One officer's sitting of one exam (attempt `number` 1, 2… when retakes are allowed).
    `unit` is the officer's unit when they started; `submitted_on` the local date of submission.
    Count participation and passes from rows with status 'submitted'."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("考试"))
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="exam_attempts",
                                verbose_name=_("干警"))
    number = models.PositiveSmallIntegerField(_("第几次作答"), default=1)
    status = models.CharField(_("状态"), max_length=12, choices=AttemptStatus.choices,
                              default=AttemptStatus.IN_PROGRESS)
    started_at = models.DateTimeField(_("开始作答"))
    deadline_at = models.DateTimeField(_("交卷期限"))
    submitted_at = models.DateTimeField(_("交卷时间"), null=True, blank=True)
    submitted_on = models.DateField(_("交卷日期"), null=True, blank=True)
    answers = models.JSONField(_("作答"), default=dict, blank=True)
    answers_saved_at = models.DateTimeField(null=True, blank=True)
    score = models.DecimalField(_("得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    correct_count = models.PositiveIntegerField(_("答对题数"), null=True, blank=True)
    passed = models.BooleanField(_("及格"), null=True, blank=True)
    timed_out = models.BooleanField(_("超时收卷"), default=False)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("考试作答")
        verbose_name_plural = _("考试作答")
        constraints = [models.UniqueConstraint(fields=["exam", "officer", "number"],
                                               name="learn_attempt_one_per_number")]
        indexes = [
            models.Index(fields=["unit", "submitted_on"], name="learn_attempt_unit_date"),
            models.Index(fields=["exam", "status", "unit"], name="learn_attempt_exam_unit"),
            models.Index(fields=["officer", "exam"], name="learn_attempt_officer"),
        ]

    def __str__(self):
        return f"{self.exam_id}/{self.officer_id}#{self.number}"
