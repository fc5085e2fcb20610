"""Reads of units and people; every one starts from `.within(scope)`."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from zhengdun.org import identity, idnumbers
from zhengdun.org.access import Scope
from zhengdun.org.models import Officer, Relative, Unit


def unit_list(*, scope: Scope, root: Unit | None = None) -> QuerySet[Unit]:
    units = Unit.objects.within(scope)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    return units.order_by("path")


def units_writable(*, scope: Scope) -> QuerySet[Unit]:
    """Units whose people the user may change (subtrees of write roles, a clerk's own unit)."""
    if scope.everything:
        return Unit.objects.order_by("path")
    q = Q(pk__in=list(scope.write_unit_ids))
    for path in scope.write_paths:
        q |= Q(path__startswith=path)
    return Unit.objects.within(scope).filter(q).order_by("path")


def unit_get(*, scope: Scope, unit_id: int) -> Unit | None:
    """One unit in scope; an officer (whose scope holds no units) may also read their own unit."""
    unit = unit_list(scope=scope).filter(pk=unit_id).first()
    if unit is None and scope.officer_unit_id is not None and scope.officer_unit_id == unit_id:
        unit = Unit.objects.filter(pk=unit_id).first()
    return unit


def unit_roots(*, scope: Scope) -> list[Unit]:
    """Top-most units the user can see (their anchors), for the tree browser."""
    units = list(unit_list(scope=scope).only("id", "path", "depth"))
    paths = {u.path for u in units}
    return [u for u in units if not any(p != u.path and u.path.startswith(p) for p in paths)]


def unit_children(*, scope: Scope, unit: Unit) -> QuerySet[Unit]:
    return unit_list(scope=scope).filter(parent=unit).order_by("sort_order", "code")


def unit_officer_counts(*, scope: Scope, units: list[Unit]) -> dict[int, int]:
    """Officers in each unit's subtree (one query per unit: a prefix range scan)."""
    base = Officer.objects.within(scope)
    return {u.id: base.filter(unit__path__startswith=u.path).count() for u in units}


def officer_list(*, scope: Scope, query: str = "", unit: Unit | None = None, category: str = "",
                 status: str = "", party: str = "", subtree: bool = True) -> QuerySet[Officer]:
    """People in scope; `unit` limits to its subtree (or to the unit itself with subtree=False)."""
    officers = Officer.objects.within(scope).select_related("unit")
    if unit is not None:
        officers = officers.filter(unit__path__startswith=unit.path) if subtree else officers.filter(unit=unit)
    query = (query or "").strip()
    if query:
        try:
            number = idnumbers.normalize(query)
        except idnumbers.InvalidIdNumber:
            officers = officers.filter(Q(name__contains=query) | Q(position__contains=query))
        else:
            officers = officers.filter(id_number_hash=identity.lookup_hash(number))
    if category:
        officers = officers.filter(category=category)
    if status:
        officers = officers.filter(status=status)
    if party:
        officers = officers.filter(party=party)
    return officers.order_by("unit__path", "name", "id")


def officer_get(*, scope: Scope, officer_id: int) -> Officer | None:
    return Officer.objects.within(scope).select_related("unit").filter(pk=officer_id).first()


def relative_list(*, scope: Scope, officer: Officer) -> QuerySet[Relative]:
    return Relative.objects.within(scope).filter(officer=officer).order_by("relation", "name")


def relative_counts(*, scope: Scope, officer_ids: list[int]) -> dict[int, int]:
    rows = (Relative.objects.within(scope).filter(officer_id__in=officer_ids)
            .values("officer_id").annotate(n=Count("id")))
    return {r["officer_id"]: r["n"] for r in rows}
