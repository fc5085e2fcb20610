"""Scopes and access policies: the one layer that decides what a user may see and change.

A `Scope` is built once per request from the user's role assignments. Querysets of
unit-owned models are limited with `.within(scope)`; views declare a policy with
`@access_policy(...)`, and a test walks every URL pattern to make sure they do.
Objects outside the scope answer 404, exactly like missing ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from zhengdun.org.models import Role, RoleAssignment

# Roles whose scope is a subtree below their anchor unit (read); WRITE_ROLES may also change records.
SUBTREE_ROLES = {Role.OFFICE_ADMIN, Role.SUPERVISOR, Role.CLUE_HANDLER}
WRITE_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_CLERK}
# The business roles that work with the records of their units (people, campaigns, activities…).
# 三员分立: the three administrators are not among them — the system administrator keeps accounts
# and the unit tree, the security administrator roles, the audit administrator the audit log.
STAFF_ROLES = {Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR, Role.CLUE_HANDLER}
ADMIN_ROLES = {Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}
# Who reads the unit tree: the business roles in their scope, and both account administrators
# (the system administrator keeps the tree, the security administrator anchors roles in it).
UNIT_TREE_ROLES = STAFF_ROLES | {Role.SYSADMIN, Role.SECADMIN}
# Who imports rosters (writes officers and relatives), each into the units they may write.
ROSTER_IMPORT_ROLES = (Role.OFFICE_ADMIN, Role.UNIT_CLERK)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    roles: frozenset[str] = frozenset()
    subtree_paths: tuple[str, ...] = ()
    exact_unit_ids: tuple[int, ...] = ()
    write_paths: tuple[str, ...] = ()
    write_unit_ids: tuple[int, ...] = ()
    officer_id: int | None = None
    officer_unit_id: int | None = None  # an officer reads their own unit (not the units around it)
    everything: bool = False  # every unit-owned record; no role has it (三员分立), kept for callers
    all_units: bool = False  # system and security administrators: the whole unit tree, no records in it
    manages_units: bool = False  # system administrator: creates, edits and moves units anywhere
    officer_directory: bool = False  # system administrator: finds an officer by exact name or ID to link an account
    can_unmask: bool = False
    anchor_unit_ids: tuple[int, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.subtree_paths or self.exact_unit_ids or self.officer_id)

    def covers_unit(self, unit) -> bool:
        """The unit's records are in scope (the Python twin of unit_q, for a unit already loaded)."""
        if self.everything:
            return True
        return unit.id in self.exact_unit_ids or any(unit.path.startswith(p) for p in self.subtree_paths)

    def unit_q(self, unit_field: str | None) -> Q:
        """Q limiting a queryset to units in scope; unit_field None means the Unit model itself."""
        prefix = f"{unit_field}__" if unit_field else ""
        q = Q(pk__in=[]) if unit_field is None else Q(**{f"{unit_field}__in": []})
        for path in self.subtree_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        if self.exact_unit_ids:
            q |= Q(**{(f"{unit_field}_id__in" if unit_field else "pk__in"): list(self.exact_unit_ids)})
        return q

    def self_q(self, model) -> Q:
        """Records about the signed-in officer themself (an officer sees their own file)."""
        if not self.officer_id:
            return Q(pk__in=[])
        if model._meta.label == "org.Officer":
            return Q(pk=self.officer_id)
        if any(f.name == "officer" for f in model._meta.get_fields()):
            return Q(officer_id=self.officer_id)
        return Q(pk__in=[])

    def can_write_unit(self, unit) -> bool:
        """May change the records (people, campaigns, …) of this unit."""
        if self.everything:
            return True
        return unit.id in self.write_unit_ids or any(unit.path.startswith(p) for p in self.write_paths)

    def can_manage_unit(self, unit) -> bool:
        """May create units below this one, edit it or move it (the unit tree, not its records)."""
        return self.manages_units or self.can_write_unit(unit)

    def can_read_unit(self, unit) -> bool:
        if self.everything or self.all_units:
            return True
        return unit.id in self.exact_unit_ids or any(unit.path.startswith(p) for p in self.subtree_paths)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


ANONYMOUS = Scope(user_id=None)


def scope_for(user, *, only_roles: tuple[str, ...] | None = None) -> Scope:
    """The user's scope: the union of all their role assignments. With ``only_roles``, only the
    assignments of those roles count (a clue handler at one county and supervisor at another reads
    screening data of the first county only), and the officer's access to records about himself is
    left out unless OFFICER is among them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    assignments = RoleAssignment.objects.filter(user=user).select_related("unit")
    if only_roles is not None:
        assignments = assignments.filter(role__in=only_roles)
    assignments = list(assignments)
    roles = frozenset(a.role for a in assignments)
    subtree, exact, write_paths, write_ids, anchors = [], [], [], [], []
    for a in assignments:
        if a.unit is None:
            continue
        anchors.append(a.unit.id)
        if a.role in SUBTREE_ROLES:
            subtree.append(a.unit.path)
            if a.role in WRITE_ROLES:
                write_paths.append(a.unit.path)
        elif a.role == Role.UNIT_CLERK:
            exact.append(a.unit.id)
            write_ids.append(a.unit.id)
    officer = getattr(user, "officer", None) if Role.OFFICER in roles else None
    sysadmin = Role.SYSADMIN in roles
    return Scope(
        user_id=user.id,
        roles=roles,
        subtree_paths=tuple(sorted(set(subtree))),
        exact_unit_ids=tuple(sorted(set(exact))),
        write_paths=tuple(sorted(set(write_paths))),
        write_unit_ids=tuple(sorted(set(write_ids))),
        officer_id=officer.id if officer else None,
        officer_unit_id=officer.unit_id if officer else None,
        all_units=sysadmin or Role.SECADMIN in roles,
        manages_units=sysadmin,
        officer_directory=sysadmin,
        # ZHENGDUN_ID_UNMASK_ROLES names business roles; an administrator never sees full numbers.
        can_unmask=bool((roles - ADMIN_ROLES).intersection(settings.ID_UNMASK_ROLES)),
        anchor_unit_ids=tuple(sorted(set(anchors))),
    )


def get_scope(request: HttpRequest, *, only_roles: tuple[str, ...] | None = None) -> Scope:
    if only_roles is not None:
        cache = request.__dict__.setdefault("_zhengdun_role_scopes", {})
        if only_roles not in cache:
            cache[only_roles] = scope_for(request.user, only_roles=only_roles)
        return cache[only_roles]
    if not hasattr(request, "_zhengdun_scope"):
        request._zhengdun_scope = scope_for(request.user)
    return request._zhengdun_scope


def otp_required(user) -> bool:
    roles = set(RoleAssignment.objects.filter(user=user).values_list("role", flat=True))
    return bool(roles.intersection(settings.OTP_REQUIRED_ROLES))


@dataclass(frozen=True)
class Policy:
    """What a view requires. `roles` empty means any signed-in user; `public` means no sign-in;
    `requires` is a further test of the scope, made at request time (for roles set in settings)."""

    name: str
    roles: frozenset[str] = frozenset()
    public: bool = False
    requires: Callable[[Scope], bool] | None = None

    def allows(self, scope: Scope) -> bool:
        if self.public:
            return True
        return (scope.user_id is not None and (not self.roles or scope.has_role(*self.roles))
                and (self.requires is None or self.requires(scope)))


def may_unmask(scope: Scope) -> bool:
    """Policy test for the views that reveal full ID numbers (roles: settings.ID_UNMASK_ROLES)."""
    return scope.can_unmask


def access_policy(*roles: str, public: bool = False, name: str | None = None, api: bool = False,
                  requires: Callable[[Scope], bool] | None = None):
    """Declare who may call a view. Every view must carry one (see tests/org/test_url_policies.py)."""
    policy = Policy(name=name or ("public" if public else ",".join(sorted(roles)) or "authenticated"),
                    roles=frozenset(roles), public=public, requires=requires)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not policy.public:
                denial = check_signed_in(request, api=api)
                if denial is not None:
                    return denial
                if not policy.allows(get_scope(request)):
                    if api:
                        return JsonResponse({"code": "forbidden", "message": _("您的角色无权访问此功能")}, status=403)
                    raise_forbidden()
            return view(request, *args, **kwargs)

        wrapped.access_policy = policy
        return wrapped

    return decorate


def may_visit(scope: Scope, url_name: str, *args, **kwargs) -> bool:
    """Whether the access policy of the view behind `url_name` lets this scope in: pages show a link
    or button only to those who may follow it (the view's own policy, not a second list of roles)."""
    from django.urls import NoReverseMatch, resolve, reverse

    try:
        match = resolve(reverse(url_name, args=args, kwargs=kwargs))
    except NoReverseMatch:
        return False
    policy = getattr(match.func, "access_policy", None)
    return policy is not None and policy.allows(scope)


def raise_forbidden():
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied(_("您的角色无权访问此功能"))


def check_signed_in(request, *, api: bool = False):
    """None when the request may proceed; otherwise the response that sends the user to sign in."""
    user = request.user
    if not user.is_authenticated:
        if api:
            return JsonResponse({"code": "not_authenticated", "message": _("请先登录")}, status=401)
        return redirect(f"{settings.LOGIN_URL and '/accounts/login/'}?next={request.path}")
    if otp_required(user) and not user.is_verified():
        if api:
            return JsonResponse({"code": "otp_required", "message": _("需要动态口令二次验证")}, status=401)
        return redirect(f"/accounts/otp/?next={request.path}")
    return None


def get_in_scope(queryset, scope: Scope, **lookup):
    """Fetch one object inside the scope; anything else — missing or not yours — is a 404."""
    obj = queryset.within(scope).filter(**lookup).first()
    if obj is None:
        raise Http404(_("未找到该记录"))
    return obj


def roles_display(roles: Iterable[str]) -> list[str]:
    labels = dict(Role.choices)
    return [str(labels.get(r, r)) for r in roles]
