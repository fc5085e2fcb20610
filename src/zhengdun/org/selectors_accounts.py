"""Reads for account administration. Accounts are not unit-owned records: only the system and
security administrators list them (三员分立), and a unit filter means "holds a role anchored in
this unit's subtree, or is linked to an officer there"."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengdun.org import identity, idnumbers
from zhengdun.org.access import Scope
from zhengdun.org.models import ApiToken, Officer, Role, RoleAssignment, Unit, User

ACCOUNT_ADMIN_ROLES = (Role.SYSADMIN, Role.SECADMIN)


def _may_administer(scope: Scope) -> bool:
    return scope.has_role(*ACCOUNT_ADMIN_ROLES)


def account_list(*, scope: Scope, query: str = "", role: str = "", unit: Unit | None = None,
                 status: str = "") -> QuerySet[User]:
    if not _may_administer(scope):
        return User.objects.none()
    users = User.objects.annotate(
        otp_bound=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
    ).select_related("officer", "officer__unit").prefetch_related("role_assignments__unit")
    query = (query or "").strip()
    if query:
        users = users.filter(Q(username__icontains=query) | Q(display_name__icontains=query)
                             | Q(officer__name__contains=query))
    if role:
        users = users.filter(Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), role=role)))
    if unit is not None:
        users = users.filter(
            Exists(RoleAssignment.objects.filter(user=OuterRef("pk"), unit__path__startswith=unit.path))
            | Q(officer__unit__path__startswith=unit.path))
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "disabled":
        users = users.filter(is_active=False)
    elif status == "locked":
        from django.utils import timezone

        users = users.filter(locked_until__gt=timezone.now())
    return users.order_by("username")


def account_get(*, scope: Scope, user_id: int) -> User | None:
    return account_list(scope=scope).filter(pk=user_id).first()


def account_roles(*, user: User) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(user=user).select_related("unit").order_by("role", "unit__path")


def account_role_get(*, scope: Scope, user: User, assignment_id: int) -> RoleAssignment | None:
    if not _may_administer(scope):
        return None
    return account_roles(user=user).filter(pk=assignment_id).first()


def account_otp_bound(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def unit_choices(*, scope: Scope) -> list[tuple[int, str]]:
    """The unit tree as indented choices, for anchoring a role."""
    units = Unit.objects.within(scope).filter(is_active=True).order_by("path").only("id", "name", "depth")
    return [(u.id, "\u3000" * u.depth + u.name) for u in units]


def unit_for_choice(*, scope: Scope, unit_id) -> Unit | None:
    return Unit.objects.within(scope).filter(pk=unit_id).first()


def linkable_officers(*, scope: Scope) -> QuerySet[Officer]:
    """Officers an account may be linked to: those in scope; for the system administrator, who holds
    no records (三员分立) but creates the accounts, any officer — found only by exact name or full
    ID number (officer_candidates), showing name, unit and masked number, never the file."""
    if scope.officer_directory:
        return Officer.objects.all()
    return Officer.objects.within(scope)


def officer_candidates(*, scope: Scope, query: str, limit: int = 20) -> list[Officer]:
    """Officers an account may be linked to, matching a full ID number (exact, by keyed hash) or a name."""
    query = (query or "").strip()
    if not query:
        return []
    officers = linkable_officers(scope=scope).select_related("unit", "user")
    try:
        number = idnumbers.normalize(query)
    except idnumbers.InvalidIdNumber:
        officers = officers.filter(name=query)
    else:
        officers = officers.filter(id_number_hash=identity.lookup_hash(number))
    return list(officers.order_by("unit__path", "id")[:limit])


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("revoked", "-created_at")


def token_get(*, user: User, token_id: int) -> ApiToken | None:
    return ApiToken.objects.filter(user=user, pk=token_id).first()
