"""Forms for campaigns, templates and actions. Querysets are handed in by the views from selectors."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import Level, UnitKind
from zhengdun.widgets import DateInput

CSS = "form-control form-control-sm"
SELECT = "form-select form-select-sm"


class _Styled(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                continue
            widget.attrs.setdefault("class", SELECT if isinstance(widget, forms.Select) else CSS)


class CampaignFromTemplateForm(_Styled):
    template = forms.ModelChoiceField(label=_("模板"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("整顿计划名称"), max_length=120)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100, initial=lambda: dt.date.today().year)
    owner_unit = forms.ModelChoiceField(label=_("主办单位（本级教整办）"), queryset=None, empty_label=None)
    with_actions = forms.BooleanField(label=_("同时下达模板中的规定动作"), required=False, initial=True)

    def __init__(self, *args, templates=None, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["owner_unit"].queryset = units


class TemplateEditForm(_Styled):
    """Line-based editing of a template: one item per line, fields separated by '|'."""

    name = forms.CharField(label=_("模板名称"), max_length=100)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    goal = forms.CharField(label=_("目标"), required=False)
    phases = forms.CharField(label=_("环节（每行：名称|开始月-日|结束月-日|贯穿始终 是/否|目标要求）"),
                             widget=forms.Textarea(attrs={"rows": 4}))
    tasks = forms.CharField(label=_("任务（每行一项）"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(label=_("突出问题（每行一项）"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    chronic_problems = forms.CharField(label=_("顽瘴痼疾（每行一项）"), required=False,
                                       widget=forms.Textarea(attrs={"rows": 6}))
    actions = forms.CharField(label=_("规定动作示例（每行：环节名称|截止月-日|动作名称|完成标准）"), required=False,
                              widget=forms.Textarea(attrs={"rows": 12}))

    @staticmethod
    def initial_from(template) -> dict:
        data = template.data or {}
        names = {p.get("key"): p.get("name") for p in data.get("phases") or []}
        return {
            "name": template.name, "description": template.description, "goal": data.get("goal", ""),
            "phases": "\n".join(f"{p['name']}|{p['start']}|{p['end']}|{'是' if p.get('throughout') else '否'}|"
                                f"{p.get('goals', '')}" for p in data.get("phases") or []),
            "tasks": "\n".join(i["name"] for i in data.get("tasks") or []),
            "problems": "\n".join(i["name"] for i in data.get("problems") or []),
            "chronic_problems": "\n".join(i["name"] for i in data.get("chronic_problems") or []),
            "actions": "\n".join(f"{names.get(a['phase'], a['phase'])}|{a['due']}|{a['title']}|{a.get('evidence', '')}"
                                 for a in data.get("actions") or []),
        }

    def template_data(self, previous: dict) -> dict:
        """Build the template's JSON from the lines (raises ValidationError naming the line)."""
        c = self.cleaned_data
        phases = []
        old = {p.get("name"): p for p in previous.get("phases") or []}
        for n, line in enumerate(_lines(c["phases"]), start=1):
            parts = [x.strip() for x in line.split("|")]
            if len(parts) < 3:
                raise ValidationError({"phases": f"环节第 {n} 行格式不正确：应为“名称|开始月-日|结束月-日|贯穿始终|目标要求”"})
            name = parts[0]
            phases.append({"key": (old.get(name) or {}).get("key") or f"phase{n}", "name": name, "start": parts[1],
                           "end": parts[2], "throughout": len(parts) > 3 and parts[3] in ("是", "Y", "y", "1", "true"),
                           "goals": parts[4] if len(parts) > 4 else ""})
        keys = {p["name"]: p["key"] for p in phases}
        actions = []
        for n, line in enumerate(_lines(c["actions"]), start=1):
            parts = [x.strip() for x in line.split("|")]
            if len(parts) < 3:
                raise ValidationError({"actions": f"规定动作第 {n} 行格式不正确：应为“环节名称|截止月-日|动作名称|完成标准”"})
            if parts[0] not in keys:
                raise ValidationError({"actions": f"规定动作第 {n} 行的环节“{parts[0]}”不在上面的环节中"})
            actions.append({"phase": keys[parts[0]], "due": parts[1], "title": parts[2],
                            "evidence": parts[3] if len(parts) > 3 else ""})
        data = dict(previous)
        data.update({
            "goal": c["goal"], "phases": phases, "actions": actions,
            "start": phases[0]["start"] if phases else previous.get("start"),
            "end": max((p["end"] for p in phases), default=previous.get("end")),
            "tasks": [{"name": x, "description": ""} for x in _lines(c["tasks"])],
            "problems": [{"name": x, "description": ""} for x in _lines(c["problems"])],
            "chronic_problems": [{"name": x, "description": ""} for x in _lines(c["chronic_problems"])],
        })
        return data


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ActionForm(_Styled):
    campaign = forms.ModelChoiceField(label=_("整顿计划"), queryset=None, empty_label=None)
    phase = forms.ModelChoiceField(label=_("环节"), queryset=None, required=False)
    title = forms.CharField(label=_("动作名称"), max_length=200)
    description = forms.CharField(label=_("内容要求"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("完成时限"), widget=DateInput())
    evidence_requirement = forms.CharField(label=_("完成标准（需提交的佐证材料）"), required=False,
                                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, campaigns=None, phases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns
        self.fields["phase"].queryset = phases


class RequiredActionForm(ActionForm):
    issuing_unit = forms.ModelChoiceField(label=_("下达单位"), queryset=None, empty_label=None)
    target_kinds = forms.MultipleChoiceField(label=_("对象单位类别（不选为全部）"), required=False,
                                             choices=UnitKind.choices, widget=forms.CheckboxSelectMultiple)
    target_levels = forms.MultipleChoiceField(label=_("对象单位级别（不选为全部）"), required=False,
                                              choices=Level.choices, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuing_unit"].queryset = units
        self.order_fields(["issuing_unit", "campaign", "phase", "title"])


class OptionalActionForm(ActionForm):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=None, empty_label=None)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.order_fields(["unit", "campaign", "phase", "title"])


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class DeclareForm(_Styled):
    note = forms.CharField(label=_("完成情况说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = forms.FileField(label=_("佐证材料（jpg/png/pdf/docx/xlsx，可多选）"), required=False,
                            widget=MultipleFileInput(attrs={"multiple": True}))
    activities = forms.ModelMultipleChoiceField(
        label=_("引用本单位已登记的活动记录作为佐证（无需重复上传）"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, activities=None, **kwargs):
        super().__init__(*args, **kwargs)
        if activities is None:
            del self.fields["activities"]
        else:
            self.fields["activities"].queryset = activities
            self.fields["activities"].label_from_instance = (
                lambda a: f"{a.title}（{a.date:%Y-%m-%d}，{a.activity_type.name}，"
                          + str(_("%(n)s 个佐证材料")) % {"n": len(a.evidence.all())} + "）")


class ReturnForm(_Styled):
    reason = forms.CharField(label=_("退回理由"), widget=forms.Textarea(attrs={"rows": 2}))
