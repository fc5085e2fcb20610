from django import forms
from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import Gender, OfficerCategory, OfficerStatus, Party
from zhengdun.widgets import DateInput


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class OtpForm(forms.Form):
    token = forms.RegexField(label=_("动态口令"), regex=r"^\s*\d{6}\s*$",
                             error_messages={"invalid": _("动态口令为 6 位数字")})


def indented_unit_label(units):
    """Label units by their depth below the top of the list (a tree in a plain select)."""
    base = (units.aggregate(m=Min("depth"))["m"] or 0) if units is not None else 0
    return lambda u: "\u3000" * max(0, u.depth - base) + u.name


class OfficerFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名 / 职务 / 身份证号"), required=False)
    unit = forms.ModelChoiceField(label=_("单位"), queryset=None, required=False, empty_label=_("全部单位"))
    subtree = forms.ChoiceField(label=_("范围"), required=False,
                                choices=[("", _("本单位及下级单位")), ("0", _("仅本单位"))])
    category = forms.ChoiceField(label=_("人员类别"), required=False,
                                 choices=[("", _("全部"))] + list(OfficerCategory.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(OfficerStatus.choices))
    party = forms.ChoiceField(label=_("政治面貌"), required=False, choices=[("", _("全部"))] + list(Party.choices))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is None:  # no units in scope (an officer sees their own entry): nothing to filter by
            del self.fields["unit"], self.fields["subtree"]
        else:
            self.fields["unit"].queryset = units
            self.fields["unit"].label_from_instance = indented_unit_label(units)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm")


class OfficerEditForm(forms.Form):
    """Edit one officer through org.services.officer_update: the unit among those the user may
    write, and a new ID number only when one is typed (checked like on import: GB 11643, unique)."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(label=_("性别"), choices=Gender.choices)
    birth_date = forms.DateField(label=_("出生日期"), widget=DateInput())
    unit = forms.ModelChoiceField(label=_("单位"), queryset=None, empty_label=None)
    position = forms.CharField(label=_("职务"), max_length=60, required=False)
    category = forms.ChoiceField(label=_("人员类别"), choices=OfficerCategory.choices)
    party = forms.ChoiceField(label=_("政治面貌"), choices=Party.choices)
    status = forms.ChoiceField(label=_("状态"), choices=OfficerStatus.choices)
    left_date = forms.DateField(label=_("离岗日期"), required=False, widget=DateInput(),
                                help_text=_("离职、退休人员离开政法队伍的日期"))
    id_number = forms.CharField(label=_("新身份证号"), required=False, max_length=20,
                                help_text=_("不修改请留空；填写后按国家标准校验，且不能与名册中他人重复"),
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = indented_unit_label(units)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select form-select-sm" if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm")

    @staticmethod
    def initial_from(officer) -> dict:
        return {name: getattr(officer, name) for name in (
            "name", "gender", "birth_date", "position", "category", "party", "status", "left_date")} | {
            "unit": officer.unit_id}
