"""Forms for activities, talks and pledges; querysets are handed in by the views from selectors."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zhengdun.activities.models import EducationCategory, TalkKind
from zhengdun.campaigns.forms import MultipleFileInput, _Styled
from zhengdun.org.forms import indented_unit_label
from zhengdun.org.models import OfficerStatus
from zhengdun.widgets import DateInput


class ActivityFilterForm(_Styled):
    unit = forms.ModelChoiceField(label=_("单位（含下级）"), queryset=None, required=False, empty_label=_("全部单位"))
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, required=False, empty_label=_("全部"))
    activity_type = forms.ModelChoiceField(label=_("活动类型"), queryset=None, required=False,
                                           empty_label=_("全部类型"))
    education_category = forms.ChoiceField(label=_("教育类别"), required=False,
                                           choices=[("", _("全部"))] + list(EducationCategory.choices))
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    q = forms.CharField(label=_("活动名称"), required=False, max_length=100)

    def __init__(self, *args, types=None, units=None, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = types
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = indented_unit_label(units)
        self.fields["campaign"].queryset = campaigns


class ActivityForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    activity_type = forms.ModelChoiceField(label=_("活动类型"), queryset=None, empty_label=None)
    education_category = forms.ChoiceField(label=_("教育类别"), required=False,
                                           choices=[("", _("按活动类型默认"))] + list(EducationCategory.choices))
    title = forms.CharField(label=_("活动名称"), max_length=200)
    date = forms.DateField(label=_("日期"), widget=DateInput())
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    organiser = forms.CharField(label=_("组织者"), max_length=100, required=False)
    action = forms.ModelChoiceField(label=_("落实的规定动作/自选动作"), queryset=None, required=False,
                                    empty_label=_("（不关联）"))
    summary = forms.CharField(label=_("内容摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Picked with the search picker (hidden inputs): the page never lists the roster, and only the
    # submitted ids are looked up, inside the roster handed in (the unit's subtree in scope).
    participants = forms.ModelMultipleChoiceField(label=_("参加人员（从名册选择）"), queryset=None, required=False,
                                                  widget=forms.MultipleHiddenInput,
                                                  error_messages={"invalid_choice": _(
                                                      "所选人员不属于本单位及下级单位或不在您的管辖范围内")})
    participant_units = forms.ModelMultipleChoiceField(label=_("整单位添加"), queryset=None, required=False,
                                                       widget=forms.MultipleHiddenInput,
                                                       error_messages={"invalid_choice": _(
                                                           "所选单位不是本单位或其下级单位，或不在您的管辖范围内")})
    headcount = forms.IntegerField(label=_("或：参加人数（需上传签到表）"), min_value=1, required=False)

    def __init__(self, *args, campaigns=None, types=None, actions=None, officers=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["activity_type"].queryset = types
        self.fields["action"].queryset = actions
        self.fields["participants"].queryset = officers
        self.fields["participant_units"].queryset = units

    def clean(self):
        data = super().clean()
        picked = list(data.get("participants") or [])
        units = list(data.get("participant_units") or [])
        if units:
            # "Everyone serving in unit X (and below)": expanded here, one query, inside the same roster.
            q = Q(pk__in=[])
            for unit in units:
                q |= Q(unit__path__startswith=unit.path)
            seen = {o.pk for o in picked}
            extra = self.fields["participants"].queryset.filter(q, status=OfficerStatus.SERVING)
            picked += [o for o in extra.select_related("unit") if o.pk not in seen]
        data["participants"] = picked
        if not picked and not data.get("headcount"):
            raise forms.ValidationError(_("请从名册选择参加人员，或填写参加人数并上传签到表"))
        return data


EVIDENCE_FIELDS = [("sign_in", _("签到表")), ("notes", _("学习笔记")), ("speech", _("发言材料")),
                   ("photo", _("现场照片")), ("minutes", _("会议记录")), ("other", _("其他材料"))]


class TalkForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    talker = forms.ModelChoiceField(label=_("谈话人"), queryset=None, widget=forms.HiddenInput,
                                    error_messages={"required": _("请选择谈话人"),
                                                    "invalid_choice": _("谈话人不在您的管辖范围内")})
    officer = forms.ModelChoiceField(label=_("谈话对象"), queryset=None, widget=forms.HiddenInput,
                                     error_messages={"required": _("请选择谈话对象"),
                                                     "invalid_choice": _("谈话对象不属于登记单位或不在您的管辖范围内")})
    round = forms.IntegerField(label=_("轮次"), min_value=1, max_value=20, initial=1)
    date = forms.DateField(label=_("日期"), widget=DateInput())
    kind = forms.ChoiceField(label=_("谈话类型"), choices=TalkKind.choices)
    note = forms.CharField(label=_("谈话要点（保密）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_confidential = forms.BooleanField(label=_("保密（仅本级及上级教整办管理员和谈话双方可见）"), required=False,
                                         initial=True)

    def __init__(self, *args, campaigns=None, officers=None, talkers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["officer"].queryset = officers
        self.fields["talker"].queryset = talkers


class PledgeForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    officer = forms.ModelChoiceField(label=_("干警"), queryset=None, widget=forms.HiddenInput,
                                     error_messages={"required": _("请选择干警"),
                                                     "invalid_choice": _("该干警不属于登记单位或不在您的管辖范围内")})
    signed_date = forms.DateField(label=_("签订日期"), widget=DateInput())
    scan = forms.FileField(label=_("承诺书扫描件（jpg/png/pdf）"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, campaigns=None, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["officer"].queryset = officers


class EvidenceForm(_Styled):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EVIDENCE_FIELDS)
    files = forms.FileField(label=_("文件（可多选）"), widget=MultipleFileInput(attrs={"multiple": True}),
                            required=False)


class ActivityEvidenceEditForm(forms.Form):
    """Files of a record to remove when it is edited (the ids are checked against the record's own)."""

    remove_evidence = forms.TypedMultipleChoiceField(required=False, coerce=int, choices=())

    def __init__(self, *args, files=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["remove_evidence"].choices = [(f.id, f.original_name) for f in files]


class _ListFilter(_Styled):
    """Filters shared by the talk and pledge lists: unit (in scope, with its subtree), campaign,
    date range and a name; the views hand in the querysets."""

    unit = forms.ModelChoiceField(label=_("单位（含下级）"), queryset=None, required=False, empty_label=_("全部单位"))
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, required=False, empty_label=_("全部"))
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=DateInput())
    q = forms.CharField(label=_("姓名"), required=False, max_length=50)

    def __init__(self, *args, units=None, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = indented_unit_label(units)
        self.fields["campaign"].queryset = campaigns


class TalkFilterForm(_ListFilter):
    round = forms.IntegerField(label=_("轮次"), required=False, min_value=1, max_value=20)
    kind = forms.ChoiceField(label=_("谈话类型"), required=False, choices=[("", _("全部"))] + list(TalkKind.choices))
    field_order = ["unit", "campaign", "round", "kind", "date_from", "date_to", "q"]


class PledgeFilterForm(_ListFilter):
    field_order = ["unit", "campaign", "date_from", "date_to", "q"]
