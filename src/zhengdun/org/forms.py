from django import forms
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import OfficerCategory, OfficerStatus, Party


class LoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput)


class OtpForm(forms.Form):
    token = forms.RegexField(label=_("动态口令"), regex=r"^\s*\d{6}\s*$",
                             error_messages={"invalid": _("动态口令为 6 位数字")})


class OfficerFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名 / 职务 / 身份证号"), required=False)
    category = forms.ChoiceField(label=_("人员类别"), required=False,
                                 choices=[("", _("全部"))] + list(OfficerCategory.choices))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部"))] + list(OfficerStatus.choices))
    party = forms.ChoiceField(label=_("政治面貌"), required=False, choices=[("", _("全部"))] + list(Party.choices))
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    action = forms.CharField(label=_("操作"), required=False)
    object_type = forms.CharField(label=_("对象类型"), required=False)
    op = forms.ChoiceField(label=_("类型"), required=False, choices=[
        ("", _("全部")), ("insert", _("新增")), ("update", _("修改")), ("delete", _("删除")),
        ("read", _("查阅")), ("login", _("登录"))])
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
