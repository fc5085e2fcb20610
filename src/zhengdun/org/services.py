"""Writes for units, people and accounts. Each service checks access, validates and
writes in one audited transaction (see zhengdun.audit.chain.audited)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.audit.chain import audited, record
from zhengdun.org import idnumbers
from zhengdun.org.access import Scope, scope_for
from zhengdun.org.models import (
    LEVEL_DEPTH,
    Level,
    Officer,
    Relative,
    Role,
    RoleAssignment,
    Unit,
    User,
)


def _require_write(scope: Scope, unit: Unit) -> None:
    if not scope.can_write_unit(unit):
        raise PermissionDenied(_("无权修改该单位的数据"))


# --- units -------------------------------------------------------------------------------------

def _check_parent_level(level: str, parent: Unit) -> None:
    """A unit sits below a unit of a higher level (a county below a city, a court below a county);
    only basic units may also sit below a basic unit (a tribunal below its court, a station below
    its police bureau)."""
    mine, above = LEVEL_DEPTH.get(level, 99), LEVEL_DEPTH.get(parent.level, 99)
    if mine < above:
        raise ValidationError({"level": _("下级单位的级别不能高于上级单位")})
    if mine == above and level != Level.UNIT:
        raise ValidationError({"level": _("上级单位的级别必须高于本单位（只有基层单位可以设在基层单位之下）")})


def unit_create(*, actor: User | None, parent: Unit | None, code: str, name: str, level: str, kind: str,
                division_code: str, sort_order: int = 0) -> Unit:
    """Create a unit below `parent`. Only a system administrator creates a root (province/city);
    an office administrator creates units below the units they may write."""
    scope = scope_for(actor) if actor else None
    if scope is not None:
        if parent is None and not scope.manages_units:
            raise PermissionDenied(_("只有系统管理员可以创建顶级单位"))
        if parent is not None and not scope.can_manage_unit(parent):
            raise PermissionDenied(_("无权在该单位下创建下级单位"))
    unit = Unit(parent=parent, code=code.strip(), name=name.strip(), level=level, kind=kind,
                division_code=division_code.strip(), sort_order=sort_order)
    unit.path = (parent.path if parent else "/") + unit.code + "/"
    unit.depth = (parent.depth + 1) if parent else 0
    if parent is not None:
        _check_parent_level(level, parent)
    unit.full_clean()
    with audited(actor=actor, action="unit.create"):
        unit.save()
    return unit


def unit_update(*, actor: User, unit: Unit, **changes) -> Unit:
    scope = scope_for(actor)
    if not scope.can_manage_unit(unit):
        raise PermissionDenied(_("无权修改该单位的数据"))
    for name in ("name", "kind", "division_code", "sort_order", "is_active", "level"):
        if name in changes:
            setattr(unit, name, changes[name])
    unit.full_clean(exclude=["parent", "code", "path"])
    with audited(actor=actor, action="unit.update"):
        unit.save()
    return unit


def unit_move(*, actor: User | None, unit: Unit, new_parent: Unit) -> Unit:
    """Move a unit and its whole subtree below `new_parent`; paths and depths stay consistent.
    The new parent must be of a higher level (see _check_parent_level) and not in the subtree."""
    if actor is not None:
        scope = scope_for(actor)
        if not (scope.can_manage_unit(unit.parent or unit) and scope.can_manage_unit(new_parent)):
            raise PermissionDenied(_("无权移动该单位"))
    unit.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.path.startswith(unit.path):
        raise ValidationError({"parent": _("不能把单位移动到它自己或它的下级单位之下")})
    _check_parent_level(unit.level, new_parent)
    if unit.parent_id == new_parent.pk:
        return unit
    old_prefix = unit.path
    new_prefix = new_parent.path + unit.code + "/"
    depth_delta = new_parent.depth + 1 - unit.depth
    with audited(actor=actor, action="unit.move"):
        Unit.objects.filter(path__startswith=old_prefix).update(
            path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)),
            depth=F("depth") + depth_delta,
        )
        Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    return unit


# --- people ------------------------------------------------------------------------------------

OFFICER_FIELDS = ("name", "gender", "birth_date", "position", "category", "party", "status", "left_date")


def officer_create(*, actor: User | None, unit: Unit, id_number: str, **fields) -> Officer:
    """Register an officer. The ID number is required (it identifies the person across rosters,
    screening and accounts); a declared relative's number stays optional."""
    if actor is not None:
        _require_write(scope_for(actor), unit)
    officer = Officer(unit=unit, **{k: v for k, v in fields.items() if k in OFFICER_FIELDS})
    _require_id_number(id_number)
    _apply_id_number(officer, id_number)
    officer.full_clean(validate_constraints=False)
    if Officer.objects.filter(id_number_hash=officer.id_number_hash).exists():
        raise ValidationError({"id_number": _("该身份证号已登记在册")})
    with audited(actor=actor, action="officer.create"):
        officer.save()
    return officer


def officer_update(*, actor: User, officer: Officer, id_number: str | None = None, unit: Unit | None = None,
                   **fields) -> Officer:
    scope = scope_for(actor)
    _require_write(scope, officer.unit)
    if unit is not None and unit.pk != officer.unit_id:
        _require_write(scope, unit)
        officer.unit = unit
    for key, value in fields.items():
        if key in OFFICER_FIELDS:
            setattr(officer, key, value)
    if id_number is not None:
        _require_id_number(id_number)
        _apply_id_number(officer, id_number)
        if Officer.objects.filter(id_number_hash=officer.id_number_hash).exclude(pk=officer.pk).exists():
            raise ValidationError({"id_number": _("该身份证号已登记在册")})
    officer.full_clean(validate_constraints=False)
    with audited(actor=actor, action="officer.update"):
        officer.save()
        # A relative's unit follows its officer, so scoping of relatives stays right.
        Relative.objects.filter(officer=officer).exclude(unit_id=officer.unit_id).update(unit_id=officer.unit_id)
    return officer


def _require_id_number(raw: str | None) -> None:
    if not (raw or "").strip():
        raise ValidationError({"id_number": _("请填写干警的身份证号")})


def _apply_id_number(person, raw: str) -> None:
    try:
        person.set_id_number(raw)
    except idnumbers.InvalidIdNumber as exc:
        raise ValidationError({"id_number": str(exc)}) from None


def relative_create(*, actor: User | None, officer: Officer, relation: str, name: str, id_number: str = "",
                    work_unit: str = "", occupation: str = "") -> Relative:
    if actor is not None:
        _require_write(scope_for(actor), officer.unit)
    relative = Relative(officer=officer, unit_id=officer.unit_id, relation=relation, name=name.strip(),
                        work_unit=work_unit, occupation=occupation)
    if id_number:
        _apply_id_number(relative, id_number)
    relative.full_clean(validate_constraints=False)
    if Relative.objects.filter(officer=officer, relation=relation, name=relative.name).exists():
        raise ValidationError({"name": _("该干警已申报同名同关系的亲属")})
    with audited(actor=actor, action="relative.create"):
        relative.save()
    return relative


def relative_delete(*, actor: User, relative: Relative) -> None:
    _require_write(scope_for(actor), relative.unit)
    with audited(actor=actor, action="relative.delete"):
        relative.delete()


def person_reveal_id(*, actor: User, person: Officer | Relative, ip: str = "") -> str:
    """Show a full ID number to a role allowed to see it; every such view is audited."""
    scope = scope_for(actor)
    if not scope.can_unmask:
        raise PermissionDenied(_("您的角色无权查看完整身份证号"))
    record(actor=actor, action="person.reveal_id", op="read", object_type=person._meta.db_table,
           object_id=person.pk, unit_id=person.unit_id, ip=ip)
    return person.reveal_id_number()


def relatives_viewed(*, actor: User, officer: Officer, ip: str = "") -> None:
    """Declared relatives are confidential: log who looked at them."""
    record(actor=actor, action="person.view_relatives", op="read", object_type="org_relative",
           object_id=officer.pk, unit_id=officer.unit_id, ip=ip)


# --- accounts ----------------------------------------------------------------------------------

ACCOUNT_ADMIN_ROLES = {Role.SYSADMIN, Role.SECADMIN}


def user_create(*, actor: User | None, username: str, password: str | None, display_name: str = "",
                roles: list[tuple[str, Unit | None]] = (), officer: Officer | None = None) -> User:
    """Create an account with its roles; the system administrator creates, roles need security sign-off
    in strict deployments (kept simple here: either administrator may)."""
    if actor is not None and not scope_for(actor).has_role(*ACCOUNT_ADMIN_ROLES):
        raise PermissionDenied(_("只有系统管理员或安全保密管理员可以创建账号"))
    if actor is not None and roles and not scope_for(actor).has_role(Role.SECADMIN):
        # 三员分立: the system administrator creates accounts; only the security administrator grants roles.
        raise PermissionDenied(_("只有安全保密管理员可以分配角色"))
    if actor is not None and password:
        _validate_password(password, User(username=username, display_name=display_name))
    if officer is not None and actor is not None:
        _check_officer_link(actor, officer)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名已存在")})
    with audited(actor=actor, action="user.create"):
        user = User(username=username, display_name=display_name, password_changed_at=timezone.now())
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        for role, unit in roles:
            RoleAssignment.objects.create(user=user, role=role, unit=unit)
        if officer is not None:
            Officer.objects.filter(pk=officer.pk).update(user=user)
    return user


def role_assign(*, actor: User, user: User, role: str, unit: Unit | None) -> RoleAssignment:
    if not scope_for(actor).has_role(Role.SECADMIN):
        raise PermissionDenied(_("只有安全保密管理员可以分配角色"))
    if role in {Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR, Role.CLUE_HANDLER} and unit is None:
        raise ValidationError({"unit": _("该角色必须指定所属单位")})
    _check_role_assignment(actor=actor, user=user, role=role)
    if role in GLOBAL_ROLES:
        unit = None  # the three administrators act on the whole system, not below a unit
    with audited(actor=actor, action="role.assign"):
        assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, unit=unit)
    return assignment


def role_revoke(*, actor: User, assignment: RoleAssignment) -> None:
    if not scope_for(actor).has_role(Role.SECADMIN):
        raise PermissionDenied(_("只有安全保密管理员可以撤销角色"))
    if assignment.user_id == actor.pk:
        raise PermissionDenied(_("不能修改自己的角色"))
    with audited(actor=actor, action="role.revoke"):
        assignment.delete()


def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Disable or enable an account; a disabled account's sessions end at once."""
    if not scope_for(actor).has_role(*ACCOUNT_ADMIN_ROLES):
        raise PermissionDenied(_("无权停用或启用账号"))
    if user.pk == actor.pk and not active:
        raise ValidationError(_("不能停用自己的账号"))
    with audited(actor=actor, action="user.disable" if not active else "user.enable"):
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            end_sessions(user)
    return user


def end_sessions(user: User, *, revoke_tokens: bool = True, keep_session_key: str | None = None) -> int:
    """End the user's signed-in sessions (all but `keep_session_key`) and, by default, revoke their tokens."""
    ended = 0
    for session in Session.objects.filter(expire_date__gte=timezone.now()).iterator():
        if session.session_key == keep_session_key:
            continue
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()
            ended += 1
    if revoke_tokens:
        user.api_tokens.filter(revoked=False).update(revoked=True)
    return ended


def user_unlock(*, actor: User, user: User) -> User:
    if not scope_for(actor).has_role(Role.SECADMIN):
        raise PermissionDenied(_("只有安全保密管理员可以解除锁定"))
    with audited(actor=actor, action="user.unlock"):
        user.failed_logins = 0
        user.locked_until = None
        user.save(update_fields=["failed_logins", "locked_until"])
    return user


# --- account administration (三员分立) -----------------------------------------------------------

# Roles that act on the whole system rather than below a unit.
GLOBAL_ROLES = {Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}
# Roles anchored at a unit (the root of what the role reaches).
UNIT_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR, Role.CLUE_HANDLER}


def _validate_password(password: str, user: User, field: str = "password") -> None:
    """Django's password validators (length over rotation); messages name the field."""
    from django.contrib.auth import password_validation

    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: [_password_message(e) for e in exc.error_list]}) from None


def _password_message(error: ValidationError) -> str:
    """Our own wording of Django's validator messages (some of Django's Chinese catalogue lags behind
    its English source, so a message could show in English); unknown validators keep theirs."""
    params = error.params or {}
    texts = {
        "password_too_short": _("密码太短：至少需要 %(min_length)s 个字符。"),
        "password_too_similar": _("密码与账号信息（%(verbose_name)s）过于相似。"),
        "password_too_common": _("密码过于常见，容易被猜中。"),
        "password_entirely_numeric": _("密码不能全部是数字。"),
    }
    if error.code in texts:
        return texts[error.code] % {"min_length": params.get("min_length", ""),
                                    "verbose_name": params.get("verbose_name", "")}
    return error.messages[0]


def _check_officer_link(actor: User, officer: Officer) -> None:
    """An account may be linked to an officer the actor may link (see selectors_accounts.linkable_officers)
    who has no account yet."""
    from zhengdun.org.selectors_accounts import linkable_officers

    if not linkable_officers(scope=scope_for(actor)).filter(pk=officer.pk).exists():
        raise ValidationError({"officer": _("未找到该干警")})
    if Officer.objects.filter(pk=officer.pk, user__isnull=False).exists():
        raise ValidationError({"officer": _("该干警已关联其他账号")})


def _check_role_assignment(*, actor: User, user: User, role: str) -> None:
    """Separation of duties: nobody grants themself a role, and one account holds at most one
    of the three administrator roles (system, security, audit) and no business role beside it."""
    if role not in Role.values:
        raise ValidationError({"role": _("角色不存在")})
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能修改自己的角色"))
    held = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    if role in GLOBAL_ROLES and (held - {role}):
        raise ValidationError({"role": _("三员分立：系统管理员、安全保密管理员、安全审计员角色不能与其他角色兼任")})
    if role not in GLOBAL_ROLES and held & GLOBAL_ROLES:
        raise ValidationError({"role": _("三员分立：系统管理员、安全保密管理员、安全审计员角色不能与其他角色兼任")})
    if role == Role.OFFICER and not Officer.objects.filter(user=user).exists():
        raise ValidationError({"role": _("“干警”角色要求账号已关联干警档案")})


def user_update(*, actor: User, user: User, display_name: str) -> User:
    """The system administrator keeps account details (not roles) up to date."""
    if not scope_for(actor).has_role(Role.SYSADMIN):
        raise PermissionDenied(_("只有系统管理员可以修改账号信息"))
    with audited(actor=actor, action="user.update"):
        user.display_name = display_name.strip()
        user.save(update_fields=["display_name"])
    return user


def user_reset_password(*, actor: User, user: User, password: str) -> User:
    """The system administrator sets a new password for a user (checked by the password validators).
    The user's sessions end and their API tokens are revoked: a reset usually follows a suspected leak."""
    if not scope_for(actor).has_role(Role.SYSADMIN):
        raise PermissionDenied(_("只有系统管理员可以重置密码"))
    if user.pk == actor.pk:
        raise PermissionDenied(_("请在“我的账号”中修改自己的密码"))
    _validate_password(password, user)
    with audited(actor=actor, action="user.reset_password"):
        user.set_password(password)
        user.password_changed_at = timezone.now()
        user.failed_logins = 0
        user.save(update_fields=["password", "password_changed_at", "failed_logins"])
        end_sessions(user)
    return user


def user_change_password(*, actor: User, old_password: str, new_password: str,
                         keep_session_key: str | None = None) -> User:
    """A signed-in user changes their own password; their other sessions end."""
    if not actor.check_password(old_password or ""):
        raise ValidationError({"old_password": _("原密码不正确")})
    if old_password == new_password:
        raise ValidationError({"new_password": _("新密码不能与原密码相同")})
    _validate_password(new_password, actor, field="new_password")
    with audited(actor=actor, action="user.change_password"):
        actor.set_password(new_password)
        actor.password_changed_at = timezone.now()
        actor.save(update_fields=["password", "password_changed_at"])
        end_sessions(actor, revoke_tokens=False, keep_session_key=keep_session_key)
    return actor


def user_reset_otp(*, actor: User, user: User) -> int:
    """The security administrator removes a user's TOTP devices (lost phone); the user enrols a new one
    at the next sign-in. Their sessions end at once. Returns how many devices were removed."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not scope_for(actor).has_role(Role.SECADMIN):
        raise PermissionDenied(_("只有安全保密管理员可以重置动态口令"))
    if user.pk == actor.pk:
        raise PermissionDenied(_("不能重置自己的动态口令"))
    with audited(actor=actor, action="user.reset_otp"):
        removed, _detail = TOTPDevice.objects.filter(user=user).delete()
        end_sessions(user, revoke_tokens=False)
    return removed
