"""Forms for activities, talks and pledges; querysets are handed in by the views from selectors."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengdun.activities.models import EducationCategory, TalkKind
from zhengdun.campaigns.forms import MultipleFileInput, _Styled


class ActivityFilterForm(_Styled):
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    campaign = forms.IntegerField(required=False, widget=forms.HiddenInput)
    activity_type = forms.ModelChoiceField(label=_("活动类型"), queryset=None, required=False,
                                           empty_label=_("全部类型"))
    education_category = forms.ChoiceField(label=_("教育类别"), required=False,
                                           choices=[("", _("全部"))] + list(EducationCategory.choices))
    date_from = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity_type"].queryset = types


class ActivityForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    activity_type = forms.ModelChoiceField(label=_("活动类型"), queryset=None, empty_label=None)
    education_category = forms.ChoiceField(label=_("教育类别"), required=False,
                                           choices=[("", _("按活动类型默认"))] + list(EducationCategory.choices))
    title = forms.CharField(label=_("活动名称"), max_length=200)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    place = forms.CharField(label=_("地点"), max_length=120, required=False)
    organiser = forms.CharField(label=_("组织者"), max_length=100, required=False)
    action = forms.ModelChoiceField(label=_("落实的规定动作/自选动作"), queryset=None, required=False,
                                    empty_label=_("（不关联）"))
    summary = forms.CharField(label=_("内容摘要"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    participants = forms.ModelMultipleChoiceField(label=_("参加人员（从名册选择）"), queryset=None, required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    headcount = forms.IntegerField(label=_("或：参加人数（需上传签到表）"), min_value=1, required=False)

    def __init__(self, *args, campaigns=None, types=None, actions=None, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["activity_type"].queryset = types
        self.fields["action"].queryset = actions
        self.fields["participants"].queryset = officers
        self.fields["participants"].label_from_instance = lambda o: f"{o.name}（{o.unit.name}）"

    def clean(self):
        data = super().clean()
        if not data.get("participants") and not data.get("headcount"):
            raise forms.ValidationError(_("请从名册勾选参加人员，或填写参加人数并上传签到表"))
        return data


EVIDENCE_FIELDS = [("sign_in", _("签到表")), ("notes", _("学习笔记")), ("speech", _("发言材料")),
                   ("photo", _("现场照片")), ("minutes", _("会议记录")), ("other", _("其他材料"))]


class TalkForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    talker = forms.ModelChoiceField(label=_("谈话人"), queryset=None)
    officer = forms.ModelChoiceField(label=_("谈话对象"), queryset=None)
    round = forms.IntegerField(label=_("轮次"), min_value=1, max_value=20, initial=1)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("谈话类型"), choices=TalkKind.choices)
    note = forms.CharField(label=_("谈话要点（保密）"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_confidential = forms.BooleanField(label=_("保密（仅本级及上级教整办管理员和谈话双方可见）"), required=False,
                                         initial=True)

    def __init__(self, *args, campaigns=None, officers=None, talkers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["officer"].queryset = officers
        self.fields["talker"].queryset = talkers
        for name in ("officer", "talker"):
            self.fields[name].label_from_instance = lambda o: f"{o.name}（{o.unit.name}）"


class PledgeForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    officer = forms.ModelChoiceField(label=_("干警"), queryset=None)
    signed_date = forms.DateField(label=_("签订日期"), widget=forms.DateInput(attrs={"type": "date"}))
    scan = forms.FileField(label=_("承诺书扫描件（jpg/png/pdf）"))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, campaigns=None, officers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["officer"].queryset = officers
        self.fields["officer"].label_from_instance = lambda o: f"{o.name}（{o.unit.name}）"


class EvidenceForm(_Styled):
    kind = forms.ChoiceField(label=_("材料类型"), choices=EVIDENCE_FIELDS)
    files = forms.FileField(label=_("文件（可多选）"), widget=MultipleFileInput(attrs={"multiple": True}),
                            required=False)
