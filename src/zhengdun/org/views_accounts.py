"""Account administration (三员分立) and "我的账号".

The system administrator creates accounts, disables/enables them and resets passwords; the
security administrator assigns and revokes roles, unlocks locked accounts and resets TOTP
devices; the audit administrator has no access here. Every signed-in user manages their own
password and personal API tokens. Thin views: selectors_accounts reads, services write.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth import password_validation, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.org import selectors_accounts as selectors
from zhengdun.org import services
from zhengdun.org.access import access_policy, get_scope
from zhengdun.org.api_auth import token_create, token_revoke
from zhengdun.org.forms_accounts import (
    AccountCreateForm,
    AccountEditForm,
    AccountFilterForm,
    PasswordChangeForm,
    PasswordResetForm,
    RoleAssignForm,
    TokenCreateForm,
)
from zhengdun.org.models import Role

ADMINS = (Role.SYSADMIN, Role.SECADMIN)


def _form_errors(form, exc: ValidationError, rename: dict | None = None) -> None:
    """Put a service's ValidationError on the form: on the named field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = (rename or {}).get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _account_or_404(request, user_id):
    account = selectors.account_get(scope=get_scope(request), user_id=user_id)
    if account is None:
        raise Http404(_("未找到该账号"))
    return account


# --- administration -----------------------------------------------------------------------------

@access_policy(*ADMINS)
def account_list(request):
    scope = get_scope(request)
    form = AccountFilterForm(request.GET or None, unit_choices=selectors.unit_choices(scope=scope))
    data = form.cleaned_data if form.is_valid() else {}
    unit = selectors.unit_for_choice(scope=scope, unit_id=data["unit"]) if data.get("unit") else None
    accounts = selectors.account_list(scope=scope, query=data.get("q", ""), role=data.get("role", ""),
                                      unit=unit, status=data.get("status", ""))
    page = Paginator(accounts, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "org/accounts_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "now": timezone.now(),
        "can_create": scope.has_role(Role.SYSADMIN),
    })


@access_policy(Role.SYSADMIN)
def account_create(request):
    scope = get_scope(request)
    form = AccountCreateForm(request.POST or None)
    candidates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        officer = None
        if data["officer_query"]:
            candidates = selectors.officer_candidates(scope=scope, query=data["officer_query"])
            free = [o for o in candidates if o.user_id is None]
            chosen = [o for o in free if o.pk == data.get("officer")]
            if chosen:
                officer = chosen[0]
            elif len(free) == 1 and len(candidates) == 1:
                officer = free[0]
            elif not candidates:
                form.add_error("officer_query", _("未找到该干警：请输入准确的姓名或完整的身份证号"))
            elif not free:
                form.add_error("officer_query", _("该干警已关联其他账号"))
            else:
                form.add_error("officer_query", _("找到多名同名干警，请在下方选择一名"))
        if form.is_valid():
            try:
                account = services.user_create(actor=request.user, username=data["username"],
                                               password=data["password1"], display_name=data["display_name"],
                                               officer=officer)
            except ValidationError as exc:
                _form_errors(form, exc, {"password": "password1", "officer": "officer_query"})
            else:
                messages.success(request, _("账号 %(name)s 已创建；请安全保密管理员为其分配角色。")
                                 % {"name": account.username})
                return redirect("accounts:detail", user_id=account.pk)
    return render(request, "org/accounts_create.html", {
        "form": form, "candidates": candidates, "password_help": password_validation.password_validators_help_texts(),
    })


def _render_detail(request, account, *, status=200, **forms):
    scope = get_scope(request)
    is_sys, is_sec = scope.has_role(Role.SYSADMIN), scope.has_role(Role.SECADMIN)
    units = selectors.unit_choices(scope=scope) if is_sec else []
    context = {
        "account": account,
        "roles": list(selectors.account_roles(user=account)),
        "otp_bound": selectors.account_otp_bound(user=account),
        "locked": bool(account.locked_until and account.locked_until > timezone.now()),
        "is_self": account.pk == request.user.pk,
        "is_sys": is_sys, "is_sec": is_sec,
        "edit_form": forms.get("edit_form") or AccountEditForm(initial={"display_name": account.display_name}),
        "password_form": forms.get("password_form") or PasswordResetForm(),
        "role_form": forms.get("role_form") or RoleAssignForm(unit_choices=units),
        "password_help": password_validation.password_validators_help_texts(),
    }
    return render(request, "org/accounts_detail.html", context, status=status)


@access_policy(*ADMINS)
def account_detail(request, user_id):
    return _render_detail(request, _account_or_404(request, user_id))


@require_POST
@access_policy(Role.SYSADMIN)
def account_update(request, user_id):
    account = _account_or_404(request, user_id)
    form = AccountEditForm(request.POST)
    if form.is_valid():
        services.user_update(actor=request.user, user=account, display_name=form.cleaned_data["display_name"])
        messages.success(request, _("账号信息已保存"))
        return redirect("accounts:detail", user_id=account.pk)
    return _render_detail(request, account, edit_form=form, status=400)


@require_POST
@access_policy(Role.SYSADMIN)
def account_set_active(request, user_id):
    account = _account_or_404(request, user_id)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=account, active=active)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("账号已启用") if active else _("账号已停用，其会话已全部结束"))
    return redirect("accounts:detail", user_id=account.pk)


@require_POST
@access_policy(Role.SYSADMIN)
def account_reset_password(request, user_id):
    account = _account_or_404(request, user_id)
    form = PasswordResetForm(request.POST)
    if form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=account, password=form.cleaned_data["password1"])
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("accounts:detail", user_id=account.pk)
        except ValidationError as exc:
            _form_errors(form, exc, {"password": "password1"})
        else:
            messages.success(request, _("密码已重置，该用户的会话和 API 令牌已失效"))
            return redirect("accounts:detail", user_id=account.pk)
    return _render_detail(request, account, password_form=form, status=400)


@require_POST
@access_policy(Role.SECADMIN)
def role_assign(request, user_id):
    scope = get_scope(request)
    account = _account_or_404(request, user_id)
    form = RoleAssignForm(request.POST, unit_choices=selectors.unit_choices(scope=scope))
    if form.is_valid():
        data = form.cleaned_data
        unit = selectors.unit_for_choice(scope=scope, unit_id=data["unit"]) if data.get("unit") else None
        try:
            services.role_assign(actor=request.user, user=account, role=data["role"], unit=unit)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("角色已分配"))
            return redirect("accounts:detail", user_id=account.pk)
    return _render_detail(request, account, role_form=form, status=400)


@require_POST
@access_policy(Role.SECADMIN)
def role_revoke(request, user_id, assignment_id):
    scope = get_scope(request)
    account = _account_or_404(request, user_id)
    assignment = selectors.account_role_get(scope=scope, user=account, assignment_id=assignment_id)
    if assignment is None:
        raise Http404(_("未找到该角色分配"))
    try:
        services.role_revoke(actor=request.user, assignment=assignment)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("角色已撤销"))
    return redirect("accounts:detail", user_id=account.pk)


@require_POST
@access_policy(Role.SECADMIN)
def account_unlock(request, user_id):
    account = _account_or_404(request, user_id)
    services.user_unlock(actor=request.user, user=account)
    messages.success(request, _("账号已解除锁定"))
    return redirect("accounts:detail", user_id=account.pk)


@require_POST
@access_policy(Role.SECADMIN)
def account_reset_otp(request, user_id):
    account = _account_or_404(request, user_id)
    try:
        services.user_reset_otp(actor=request.user, user=account)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("动态口令已重置：该用户下次登录时需重新绑定"))
    return redirect("accounts:detail", user_id=account.pk)


# --- my account ---------------------------------------------------------------------------------

def _render_mine(request, *, status=200, new_token=None, **forms):
    scope = get_scope(request)
    return render(request, "org/my_account.html", {
        "roles": list(selectors.account_roles(user=request.user)),
        "scope": scope,
        "otp_bound": selectors.account_otp_bound(user=request.user),
        "tokens": list(selectors.token_list(user=request.user)),
        "password_form": forms.get("password_form") or PasswordChangeForm(),
        "token_form": forms.get("token_form") or TokenCreateForm(),
        "new_token": new_token,
        "now": timezone.now(),
        "password_help": password_validation.password_validators_help_texts(),
    }, status=status)


@access_policy(name="authenticated")
def my_account(request):
    return _render_mine(request)


@require_POST
@access_policy(name="authenticated")
def my_password(request):
    form = PasswordChangeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.user_change_password(actor=request.user, old_password=data["old_password"],
                                          new_password=data["new_password"],
                                          keep_session_key=request.session.session_key)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("密码已修改，您在其他设备上的登录已结束"))
            return redirect("accounts:me")
    return _render_mine(request, password_form=form, status=400)


@require_POST
@access_policy(name="authenticated")
def my_token_create(request):
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render_mine(request, token_form=form, status=400)
    expires = form.cleaned_data.get("expires_at")
    if expires is not None:
        expires = timezone.make_aware(dt.datetime.combine(expires, dt.time.max))
        if expires < timezone.now():
            form.add_error("expires_at", _("有效期不能早于今天"))
            return _render_mine(request, token_form=form, status=400)
    token, plain = token_create(user=request.user, name=form.cleaned_data["name"].strip(), expires_at=expires)
    # The plain token is shown on this response only (never stored, never put in a message or session).
    return _render_mine(request, new_token={"token": plain, "name": token.name})


@require_POST
@access_policy(name="authenticated")
def my_token_revoke(request, token_id):
    token = selectors.token_get(user=request.user, token_id=token_id)
    if token is None:
        raise Http404(_("未找到该令牌"))
    token_revoke(user=request.user, token=token)
    messages.success(request, _("令牌已吊销"))
    return redirect("accounts:me")
