"""Campaign plan: campaigns with phases, tasks and problem lists; required and optional actions
("1+1+N"); their completion by each unit; reminders.

Visibility differs from ordinary unit-owned records: a campaign, and a required action, belong to
the office that issues them (`unit`) but are *seen* by every unit below it. The querysets below
express that in SQL with the materialised path (ancestor paths are derived from the path string,
so "issued above me" is one `path IN (...)` look-up, never a loop over units).
"""

from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import OfficerCategory, ScopedQuerySet, Unit, UnitScoped


def ancestor_paths(path: str, *, include_self: bool = True) -> list[str]:
    """'/C1/CA/CAFY/' -> ['/C1/', '/C1/CA/', '/C1/CA/CAFY/'] (the last only with include_self)."""
    codes = [c for c in path.strip("/").split("/") if c]
    stop = len(codes) if include_self else len(codes) - 1
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(stop)]


def scope_unit_paths(scope) -> list[str]:
    """Paths of the units a scope is anchored at (subtree roots, exact units, the officer's own unit)."""
    paths = list(scope.subtree_paths)
    if scope.exact_unit_ids:
        paths += list(Unit.objects.filter(pk__in=scope.exact_unit_ids).values_list("path", flat=True))
    if scope.officer_id:
        from zhengdun.org.models import Officer

        paths += list(Officer.objects.filter(pk=scope.officer_id).values_list("unit__path", flat=True))
    return sorted(set(paths))


def csv_field(values) -> str:
    """Store a small set of codes as ',a,b,' so "contains ,a," is an indexable-enough SQL filter."""
    values = [v for v in (values or []) if v]
    return ("," + ",".join(values) + ",") if values else ""


def csv_values(stored: str) -> list[str]:
    return [v for v in (stored or "").split(",") if v]


class Batch(models.TextChoices):
    FIRST = "first", _("第一批")
    SECOND = "second", _("第二批")
    OTHER = "other", _("其他")


# --- templates --------------------------------------------------------------------------------


class TemplateQuerySet(models.QuerySet):
    def within(self, scope):
        """Built-in templates are shared reference data; an office's copies are visible to the
        office, the levels above it and the units below it (like its campaigns)."""
        if scope.everything:
            return self.all()
        above = sorted({p for path in scope_unit_paths(scope) for p in ancestor_paths(path)})
        return self.filter(Q(unit__isnull=True) | scope.unit_q("unit") | Q(unit__path__in=above))


class CampaignTemplate(models.Model):
    """A reusable campaign plan. `data` holds phases, tasks, problems and example actions (see builtin.py).

    Built-in templates have no unit (reference data seeded by a migration); an office's copy belongs
    to the office's unit and is editable there.
    """

    name = models.CharField(_("模板名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("所属单位"))
    is_builtin = models.BooleanField(_("内置模板"), default=False)
    code = models.CharField(_("模板代码"), max_length=40, blank=True, db_index=True)
    data = models.JSONField(_("模板内容"), default=dict)
    source = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("复制自"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["-is_builtin", "name", "id"]
        verbose_name = _("整顿计划模板")
        verbose_name_plural = _("整顿计划模板")

    def __str__(self):
        return self.name


# --- campaigns --------------------------------------------------------------------------------


class CampaignQuerySet(ScopedQuerySet):
    def visible_to(self, scope):
        """Campaigns a user takes part in or runs: owned inside the scope, or whose participating
        roots are above, at or below one of the scope's units."""
        if scope.everything:
            return self.all()
        paths = scope_unit_paths(scope)
        above = sorted({p for path in paths for p in ancestor_paths(path)})
        q = scope.unit_q("unit") | Q(scope_links__unit__path__in=above)
        for path in scope.subtree_paths:
            q |= Q(scope_links__unit__path__startswith=path)
        return self.filter(q).distinct()


class Campaign(UnitScoped):
    """One campaign run by an office (`unit` = the office's unit) for the units in its scope."""

    name = models.CharField(_("名称"), max_length=120)
    year = models.PositiveSmallIntegerField(_("年度"))
    batch = models.CharField(_("批次"), max_length=10, choices=Batch.choices, default=Batch.FIRST)
    goal = models.TextField(_("目标"), blank=True)
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    officer_categories = models.CharField(_("参加人员类别"), max_length=100, blank=True,
                                          help_text=_("为空表示全部类别"))
    scope_units = models.ManyToManyField(Unit, through="CampaignScopeUnit", related_name="+",
                                         verbose_name=_("参加单位范围"))
    template = models.ForeignKey(CampaignTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("来源模板"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("整顿计划")
        verbose_name_plural = _("整顿计划")
        indexes = [models.Index(fields=["unit", "start_date"], name="campaign_unit_start")]

    def __str__(self):
        return self.name

    @property
    def category_list(self) -> list[str]:
        return csv_values(self.officer_categories)

    def category_labels(self) -> list[str]:
        labels = dict(OfficerCategory.choices)
        return [str(labels.get(c, c)) for c in self.category_list] or [str(_("全部类别"))]


class CampaignScopeUnit(models.Model):
    """A root of the campaign's participating units (the unit and everything below it take part)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="scope_links")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_scope_unique")]


class Phase(models.Model):
    """A phase (环节) of a campaign; `throughout` marks learning that continues to the end."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    key = models.CharField(_("代码"), max_length=30)
    name = models.CharField(_("环节名称"), max_length=60)
    order = models.PositiveSmallIntegerField(_("顺序"))
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"))
    goals = models.TextField(_("目标要求"), blank=True)
    throughout = models.BooleanField(_("贯穿始终"), default=False)

    class Meta:
        ordering = ["campaign_id", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="phase_order_unique")]
        verbose_name = _("环节")
        verbose_name_plural = _("环节")

    def __str__(self):
        return self.name


class _CampaignItem(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="%(class)ss")
    order = models.PositiveSmallIntegerField(_("序号"))
    name = models.CharField(_("名称"), max_length=120)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        abstract = True
        ordering = ["campaign_id", "order"]

    def __str__(self):
        return self.name


class Task(_CampaignItem):
    """四项任务."""

    class Meta(_CampaignItem.Meta):
        verbose_name = _("任务")
        verbose_name_plural = _("任务")


class FocusProblem(_CampaignItem):
    """五大问题 (the problems the campaign sets out to solve)."""

    class Meta(_CampaignItem.Meta):
        verbose_name = _("突出问题")
        verbose_name_plural = _("突出问题")


class ChronicProblem(_CampaignItem):
    """六大顽瘴痼疾."""

    class Meta(_CampaignItem.Meta):
        verbose_name = _("顽瘴痼疾")
        verbose_name_plural = _("顽瘴痼疾")


# --- actions ----------------------------------------------------------------------------------


class ActionKind(models.TextChoices):
    REQUIRED = "required", _("规定动作")
    OPTIONAL = "optional", _("自选动作")


class ActionQuerySet(ScopedQuerySet):
    def for_unit(self, unit: Unit):
        """Everything asked of `unit`: required actions issued by any level above it whose target
        filter matches it (and whose campaign covers it), plus its own optional actions."""
        above = ancestor_paths(unit.path, include_self=False)
        covering = ancestor_paths(unit.path)
        required = (
            Q(kind=ActionKind.REQUIRED, unit__path__in=above)
            & (Q(target_kinds="") | Q(target_kinds__contains=f",{unit.kind},"))
            & (Q(target_levels="") | Q(target_levels__contains=f",{unit.level},"))
            & Q(campaign__scope_links__unit__path__in=covering)
        )
        return self.filter(required | Q(kind=ActionKind.OPTIONAL, unit=unit)).distinct()

    def visible_to(self, scope):
        """Actions issued inside the scope, or issued above one of the scope's units."""
        if scope.everything:
            return self.all()
        above = sorted({p for path in scope_unit_paths(scope) for p in ancestor_paths(path, include_self=False)})
        return self.filter(scope.unit_q("unit") | Q(kind=ActionKind.REQUIRED, unit__path__in=above))


class Action(UnitScoped):
    """A required action (规定动作) issued by an office (`unit`) for the units below it, or an optional
    action (自选动作) a unit sets itself (`unit` = that unit, it is its only target)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="actions",
                                 verbose_name=_("整顿计划"))
    phase = models.ForeignKey(Phase, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions",
                              verbose_name=_("环节"))
    kind = models.CharField(_("类型"), max_length=10, choices=ActionKind.choices, default=ActionKind.REQUIRED)
    title = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("内容要求"), blank=True)
    deadline = models.DateField(_("完成时限"))
    evidence_requirement = models.TextField(_("完成标准（佐证要求）"), blank=True)
    target_kinds = models.CharField(_("对象单位类别"), max_length=200, blank=True, help_text=_("为空表示全部类别"))
    target_levels = models.CharField(_("对象单位级别"), max_length=100, blank=True, help_text=_("为空表示全部级别"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("工作动作")
        verbose_name_plural = _("工作动作")
        indexes = [
            models.Index(fields=["unit", "deadline"], name="action_unit_deadline"),
            models.Index(fields=["campaign", "kind", "deadline"], name="action_campaign_kind"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_required(self) -> bool:
        return self.kind == ActionKind.REQUIRED

    def targets(self, unit: Unit) -> bool:
        """Does this action ask something of `unit`? A required action asks it of the active units
        below the issuer, of its kinds and levels, inside the campaign's participating units (Python
        mirror of campaigns.services.target_units_q and of the statistics' target condition)."""
        return self.why_not_target(unit) is None

    def why_not_target(self, unit: Unit) -> str | None:
        """None when the action asks something of `unit`; otherwise the reason, in Chinese."""
        if self.kind == ActionKind.OPTIONAL:
            return None if unit.id == self.unit_id else str(_("该动作不是对本单位的要求"))
        if not (unit.path.startswith(self.unit.path) and unit.id != self.unit_id
                and (not self.target_kinds or f",{unit.kind}," in self.target_kinds)
                and (not self.target_levels or f",{unit.level}," in self.target_levels)):
            return str(_("该动作不是对本单位的要求"))
        if not any(unit.path.startswith(p) for p in self.scope_root_paths):
            return str(_("“%(unit)s”不在整顿计划“%(campaign)s”的参加范围内，该动作不是对本单位的要求")
                       % {"unit": unit.name, "campaign": self.campaign.name})
        if not unit.is_active:
            return str(_("“%(unit)s”已停用，不再是该动作的对象单位") % {"unit": unit.name})
        return None

    @cached_property
    def scope_root_paths(self) -> list[str]:
        """Paths of the campaign's participating roots (read once per action instance)."""
        return list(CampaignScopeUnit.objects.filter(campaign_id=self.campaign_id)
                    .values_list("unit__path", flat=True))

    def target_kind_list(self) -> list[str]:
        return csv_values(self.target_kinds)

    def target_level_list(self) -> list[str]:
        return csv_values(self.target_levels)


class RequiredActionManager(models.Manager.from_queryset(ActionQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ActionKind.REQUIRED)


class OptionalActionManager(models.Manager.from_queryset(ActionQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=ActionKind.OPTIONAL)


class RequiredAction(Action):
    """规定动作 (same table as Action, kind='required')."""

    objects = RequiredActionManager()

    class Meta:
        proxy = True
        verbose_name = _("规定动作")
        verbose_name_plural = _("规定动作")


class OptionalAction(Action):
    """自选动作 (same table as Action, kind='optional')."""

    objects = OptionalActionManager()

    class Meta:
        proxy = True
        verbose_name = _("自选动作")
        verbose_name_plural = _("自选动作")


class CompletionStatus(models.TextChoices):
    DECLARED = "declared", _("已申报完成")
    REDECLARED = "redeclared", _("退回后重新申报")
    ACCEPTED = "accepted", _("已确认")
    RETURNED = "returned", _("已退回")


DONE_STATUSES = (CompletionStatus.DECLARED, CompletionStatus.REDECLARED, CompletionStatus.ACCEPTED)


class ActionCompletion(UnitScoped):
    """The state of one action for one unit. No row means pending (未完成)."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="completions")
    status = models.CharField(_("状态"), max_length=12, choices=CompletionStatus.choices)
    note = models.TextField(_("完成情况说明"), blank=True)
    declared_on = models.DateField(_("申报日期"))
    declared_at = models.DateTimeField(_("申报时间"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    return_reason = models.TextField(_("退回理由"), blank=True)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)

    class Meta:
        verbose_name = _("动作完成情况")
        verbose_name_plural = _("动作完成情况")
        constraints = [models.UniqueConstraint(fields=["action", "unit"], name="completion_unique_per_unit")]
        indexes = [models.Index(fields=["unit", "status"], name="completion_unit_status")]


class CompletionEventKind(models.TextChoices):
    DECLARE = "declare", _("申报完成")
    REDECLARE = "redeclare", _("重新申报")
    ACCEPT = "accept", _("确认完成")
    RETURN = "return", _("退回")


class CompletionEvent(UnitScoped):
    """History of a completion (declared, returned with a reason, re-declared, accepted)."""

    completion = models.ForeignKey(ActionCompletion, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("操作"), max_length=10, choices=CompletionEventKind.choices)
    text = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+")
    at = models.DateTimeField(_("时间"))

    class Meta:
        ordering = ["at", "id"]


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("即将到期")
    OVERDUE = "overdue", _("已逾期")
    RETURNED = "returned", _("被退回")
    DIGEST = "digest", _("落实汇总")  # to the issuing office: its action's overdue / returned target units


class Notification(UnitScoped):
    """An in-app reminder to a unit about one action; at most one per (unit, action, kind, day).
    A DIGEST goes to the issuing office (`unit` = the action's unit) and links to its matrix."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类型"), max_length=10, choices=NotificationKind.choices)
    day = models.DateField(_("日期"))
    message = models.CharField(_("内容"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["unit", "action", "kind", "day"],
                                               name="notification_once_a_day")]
        indexes = [models.Index(fields=["unit", "day"], name="notification_unit_day")]
