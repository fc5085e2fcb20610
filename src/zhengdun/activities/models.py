"""Activity records, heart-to-heart talks, pledge letters and evidence files.

Designed for set-based counting by a statistics layer:
- sessions (场次) = count of ActivityRecord rows; person-times (人次) = sum of `person_times`
  (roster participants or the head-count), both filterable by (unit path prefix, date, type);
- coverage of the roster = count of distinct ActivityParticipant.officer, whose `unit` and `date`
  are copied from the officer and the activity so the count needs no join;
- talks = TalkRecord rows (per pair and round), pledges = PledgeLetter rows (one per officer per campaign).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengdun.campaigns.models import Action, ActionCompletion, Campaign
from zhengdun.org.models import Officer, UnitScoped


class EducationCategory(models.TextChoices):
    POLITICAL = "political", _("政治教育")
    PARTY_HISTORY = "party_history", _("党史教育")
    WARNING = "warning", _("警示教育")
    ROLE_MODEL = "role_model", _("英模教育")


class ActivityType(models.Model):
    """Reference table of activity types (configurable; the built-in ones are seeded by a migration)."""

    code = models.CharField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    education_category = models.CharField(_("默认教育类别"), max_length=20, choices=EducationCategory.choices,
                                          blank=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    is_builtin = models.BooleanField(_("内置"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("活动类型")
        verbose_name_plural = _("活动类型")

    def __str__(self):
        return self.name


class ParticipantMode(models.TextChoices):
    ROSTER = "roster", _("从名册选择参加人员")
    HEADCOUNT = "headcount", _("填写人数并上传签到表")


class ActivityRecord(UnitScoped):
    """One activity held by a unit, recorded once and read by every level above (一次录入，多次调用)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="activities",
                                 verbose_name=_("整顿计划"))
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="activities",
                                      verbose_name=_("活动类型"))
    education_category = models.CharField(_("教育类别"), max_length=20, choices=EducationCategory.choices,
                                          blank=True)
    title = models.CharField(_("活动名称"), max_length=200)
    date = models.DateField(_("日期"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    organiser = models.CharField(_("组织者"), max_length=100, blank=True)
    participant_mode = models.CharField(_("参加人员登记方式"), max_length=10, choices=ParticipantMode.choices,
                                        default=ParticipantMode.ROSTER)
    headcount = models.PositiveIntegerField(_("参加人数"), default=0)
    person_times = models.PositiveIntegerField(_("人次"), default=0,
                                               help_text=_("名册选择时为参加人员数，按人数登记时为填写的人数"))
    action = models.ForeignKey(Action, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities",
                               verbose_name=_("落实的动作"))
    summary = models.TextField(_("内容摘要"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("活动记录")
        verbose_name_plural = _("活动记录")
        indexes = [
            models.Index(fields=["unit", "date"], name="activity_unit_date"),
            models.Index(fields=["campaign", "date"], name="activity_campaign_date"),
            models.Index(fields=["activity_type", "date"], name="activity_type_date"),
        ]

    def __str__(self):
        return self.title


class ActivityParticipant(UnitScoped):
    """An officer who took part in an activity. `unit` is the officer's unit and `date` the activity's
    date (copied) so coverage and person-times by subtree and period are single-table counts."""

    activity = models.ForeignKey(ActivityRecord, on_delete=models.CASCADE, related_name="participants")
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("参加人员")
        verbose_name_plural = _("参加人员")
        constraints = [models.UniqueConstraint(fields=["activity", "officer"], name="participant_once")]
        indexes = [
            models.Index(fields=["unit", "date"], name="participant_unit_date"),
            models.Index(fields=["officer", "date"], name="participant_officer_date"),
        ]


class TalkKind(models.TextChoices):
    HEART = "heart", _("谈心谈话")
    REMINDER = "reminder", _("提醒谈话")
    ADMONITION = "admonition", _("诫勉谈话")
    POLICY = "policy", _("政策宣讲谈话")
    TARGETED = "targeted", _("重点谈话")


class TalkRecord(UnitScoped):
    """A heart-to-heart talk between two officers in a round. Confidential by default: only office
    administrators of the subtree and the two people themselves see it (see selectors.talk_list).
    `unit` is the talked-to officer's unit; `officer` is the talked-to officer."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="talks",
                                 verbose_name=_("整顿计划"))
    talker = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name=_("谈话人"))
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name=_("谈话对象"))
    round = models.PositiveSmallIntegerField(_("轮次"), default=1)
    date = models.DateField(_("日期"))
    kind = models.CharField(_("谈话类型"), max_length=12, choices=TalkKind.choices, default=TalkKind.HEART)
    note = models.TextField(_("谈话要点"), blank=True)
    is_confidential = models.BooleanField(_("保密"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("谈心谈话")
        verbose_name_plural = _("谈心谈话")
        constraints = [models.UniqueConstraint(fields=["campaign", "talker", "officer", "round"],
                                               name="talk_once_per_round")]
        indexes = [models.Index(fields=["unit", "date"], name="talk_unit_date")]


class PledgeLetter(UnitScoped):
    """A signed pledge letter (承诺书) of one officer for one campaign, with its scan."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="pledges",
                                 verbose_name=_("整顿计划"))
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="+", verbose_name=_("干警"))
    signed_date = models.DateField(_("签订日期"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_date", "-id"]
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")
        constraints = [models.UniqueConstraint(fields=["officer", "campaign"], name="pledge_once_per_campaign")]
        indexes = [models.Index(fields=["unit", "signed_date"], name="pledge_unit_date")]


class EvidenceKind(models.TextChoices):
    SIGN_IN = "sign_in", _("签到表")
    NOTES = "notes", _("学习笔记")
    SPEECH = "speech", _("发言材料")
    PHOTO = "photo", _("现场照片")
    MINUTES = "minutes", _("会议记录")
    SCAN = "scan", _("扫描件")
    OTHER = "other", _("其他材料")


# The "五有" of a study session: sign-in, notes, speeches, photos, minutes (report 002).
FIVE_HAVES = [EvidenceKind.SIGN_IN, EvidenceKind.NOTES, EvidenceKind.SPEECH, EvidenceKind.PHOTO,
              EvidenceKind.MINUTES]


class EvidenceFile(UnitScoped):
    """A validated upload stored under MEDIA_ROOT with a random name and served only through a
    scope-checking view. It belongs to exactly one of: an activity, an action completion, a pledge."""

    kind = models.CharField(_("材料类型"), max_length=10, choices=EvidenceKind.choices)
    original_name = models.CharField(_("文件名"), max_length=255)
    stored_name = models.CharField(max_length=255, unique=True, editable=False)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    activity = models.ForeignKey(ActivityRecord, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="evidence")
    completion = models.ForeignKey(ActionCompletion, null=True, blank=True, on_delete=models.CASCADE,
                                   related_name="evidence")
    pledge = models.ForeignKey(PledgeLetter, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="evidence")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
