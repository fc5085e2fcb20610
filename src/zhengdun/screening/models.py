"""Screening on the platform: registered data sets, runs (background tasks) and their hits.

A hit's `fingerprint` (rule, officer, subject, registry, record) identifies the same finding
across runs, so a re-run shows what is new and what disappeared, and a confirmed hit can
become a clue linked back to its run (the clue workflow comes with the rectification work).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import Officer, Relation, UnitScoped

RULES = [
    ("officer_business", _("干警违规经商办企业")),
    ("relative_business", _("配偶子女在辖区内经商办企业")),
    ("relative_lawyer", _("配偶子女在辖区内从事律师职业")),
    ("case_conflict", _("办理亲属代理的案件")),
    ("departed_lawyer", _("离职法官检察官违规从事律师职业")),
]
RULE_NAMES = [name for name, _label in RULES]
SUBJECT_LABELS = {"officer": _("本人"), **dict(Relation.choices)}
REGISTRY_LABELS = {"enterprises": _("企业登记"), "lawyers": _("律师执业"), "cases": _("案件代理")}
MATCH_LABELS = {"id": _("身份证号一致"), "fuzzy": _("姓名等信息模糊匹配")}
# The contract's files (screening.md) as the pages name them; the stem stays beside it for uploads.
FILE_LABELS = {"roster": _("干警名册"), "relatives": _("申报亲属"), **REGISTRY_LABELS}
ENGINE_LABELS = {"duckdb": _("DuckDB 嵌入式"), "spark": _("Spark 集群")}


class DatasetSource(models.TextChoices):
    UPLOAD = "upload", _("上传文件")
    SERVER = "server", _("服务器目录")


class RosterSource(models.TextChoices):
    DATASET = "dataset", _("数据集中的名册文件")
    PLATFORM = "platform", _("本平台在册干警及申报亲属")


class ScreeningDataset(UnitScoped):
    name = models.CharField(_("名称"), max_length=100)
    source = models.CharField(_("来源"), max_length=10, choices=DatasetSource.choices)
    folder = models.CharField(_("数据目录"), max_length=500)
    files = models.JSONField(_("文件"), default=dict, help_text=_("文件名 → 行数"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("排查数据集")
        verbose_name_plural = _("排查数据集")

    def __str__(self):
        return self.name

    @property
    def has_own_roster(self) -> bool:
        """The data set carries the contract's roster and relatives files (else only the platform roster)."""
        return {"roster", "relatives"} <= set(self.files)

    @property
    def file_rows(self) -> list[tuple[str, str, int | None]]:
        """(stem, label, rows) in the contract's order; rows None until the first run counts a CSV."""
        order = list(FILE_LABELS)
        stems = sorted(self.files, key=lambda s: (order.index(s) if s in order else len(order), s))
        return [(s, str(FILE_LABELS.get(s, s)), self.files[s]) for s in stems]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")


class ScreeningRun(UnitScoped):
    dataset = models.ForeignKey(ScreeningDataset, on_delete=models.PROTECT, related_name="runs")
    roster_source = models.CharField(_("名册来源"), max_length=10, choices=RosterSource.choices,
                                     default=RosterSource.DATASET)
    as_of = models.DateField(_("排查基准日"))
    engine = models.CharField(_("引擎"), max_length=10, default="duckdb")
    rules = models.CharField(_("规则"), max_length=200)
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    stage = models.CharField(_("当前步骤"), max_length=200, blank=True)
    summary = models.JSONField(_("各规则命中数"), default=dict)
    error = models.TextField(_("错误信息"), blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("上一次运行"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # host:pid:start of the process running it, so a run whose worker was killed can be told apart
    worker = models.CharField(_("执行进程"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("排查运行")
        verbose_name_plural = _("排查运行")

    def __str__(self):
        return f"{self.dataset} #{self.pk}"

    @property
    def engine_label(self) -> str:
        return str(ENGINE_LABELS.get(self.engine, self.engine))

    @property
    def rule_list(self) -> list[str]:
        """Rules asked for; once the run has succeeded, the rules that ran."""
        return [r for r in self.rules.split(",") if r]

    @property
    def compared_rules(self) -> list[str]:
        """Rules this run was compared on with `previous`: those both runs ran."""
        if self.previous is None:
            return []
        theirs = set(self.previous.rule_list)
        return [r for r in self.rule_list if r in theirs]


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待研判")
    CONFIRMED = "confirmed", _("确认为线索")
    FALSE_POSITIVE = "false_positive", _("排除（误报）")


class ScreeningHit(UnitScoped):
    """One row of hits.csv, placed in the officer's unit when the officer is on this platform."""

    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="hits")
    rule = models.CharField(_("规则"), max_length=20, choices=RULES)
    # The contract sets no length on keys and names from the registries: text, not a guessed limit.
    officer_key = models.TextField(_("干警编号"))
    officer = models.ForeignKey(Officer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("干警"))
    officer_name = models.CharField(_("干警姓名"), max_length=50, blank=True)  # Officer.name
    subject = models.CharField(_("对象"), max_length=20)
    subject_name = models.TextField(_("对象姓名"))
    registry = models.CharField(_("登记库"), max_length=20)
    record_key = models.TextField(_("登记记录"))
    match = models.CharField(_("匹配方式"), max_length=10)
    score = models.FloatField(_("置信度"))
    evidence = models.TextField(_("依据"))
    fingerprint = models.CharField(max_length=40, db_index=True)
    is_new = models.BooleanField(_("本次新增"), default=True)
    review_status = models.CharField(_("研判结论"), max_length=16, choices=ReviewStatus.choices,
                                     default=ReviewStatus.PENDING)
    review_reason = models.CharField(_("研判理由"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["rule", "-score", "officer_key"]
        verbose_name = _("排查命中")
        verbose_name_plural = _("排查命中")
        constraints = [models.UniqueConstraint(fields=["run", "fingerprint"], name="hit_unique_per_run")]
        indexes = [models.Index(fields=["run", "rule", "score"])]

    def __str__(self):
        return f"{self.get_rule_display()} · {self.subject_name}"

    @property
    def lead_key(self) -> str:
        """The finding's identity across runs of its data set (data set, roster source, fingerprint):
        the same lead in a re-run has the same key, so turning leads into clues can be idempotent."""
        return f"{self.run.dataset_id}/{self.run.roster_source}/{self.fingerprint}"

    @property
    def subject_label(self) -> str:
        return str(SUBJECT_LABELS.get(self.subject, self.subject))

    @property
    def registry_label(self) -> str:
        return str(REGISTRY_LABELS.get(self.registry, self.registry))

    @property
    def match_label(self) -> str:
        return str(MATCH_LABELS.get(self.match, self.match))
