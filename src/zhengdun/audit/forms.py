"""The audit log's filter (the list page and its export use the same one)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengdun.audit.labels import OP_LABELS, object_type_choices, object_type_label
from zhengdun.widgets import DateInput


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    action = forms.CharField(label=_("操作"), required=False, help_text=_("中文名称或操作代码"))
    object_type = forms.ChoiceField(label=_("对象类型"), required=False)
    object_id = forms.CharField(label=_("对象编号"), required=False, max_length=64)
    op = forms.ChoiceField(label=_("类型"), required=False)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = object_type_choices()
        asked = (self.data.get("object_type") or "").strip() if self.is_bound else ""
        if asked and asked not in dict(choices):
            # a type without a label (a table dropped since, an application record): still filterable
            choices.append((asked, object_type_label(asked)))
        self.fields["object_type"].choices = [("", _("全部"))] + choices
        self.fields["op"].choices = [("", _("全部"))] + list(OP_LABELS.items())

    def filters(self) -> dict:
        """The valid, non-empty filter values (an invalid form filters nothing, like the page did)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
