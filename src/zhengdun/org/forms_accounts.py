"""Forms for account administration and "我的账号". Validation of business rules stays in the
services; these forms only parse input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengdun.org.models import Role
from zhengdun.widgets import DateInput

STATUS_CHOICES = [("", _("全部")), ("active", _("启用")), ("disabled", _("已停用")), ("locked", _("已锁定"))]


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("用户名 / 姓名"), required=False)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部"))] + list(Role.choices))
    unit = forms.TypedChoiceField(label=_("单位"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("全部"))] + list(unit_choices)


class AccountCreateForm(forms.Form):
    username = forms.RegexField(label=_("用户名"), max_length=150, regex=r"^[\w.@+-]+$",
                                error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _")})
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)
    password1 = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, strip=False)
    officer_query = forms.CharField(label=_("关联干警（姓名或身份证号，可不填）"), required=False)
    officer = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class PasswordResetForm(forms.Form):
    password1 = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput, strip=False)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput, strip=False)

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的密码不一致"))
        return data


class RoleAssignForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("请选择"))] + list(Role.choices))
    unit = forms.TypedChoiceField(label=_("所属单位"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, unit_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("（不限单位）"))] + list(unit_choices)


class AccountEditForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=60)
    expires_at = forms.DateField(label=_("有效期至（可不填）"), required=False,
                                 widget=DateInput())
