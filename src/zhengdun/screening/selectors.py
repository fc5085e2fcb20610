"""Reads of screening data sets, runs and hits; all through the scoping layer."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, QuerySet

from zhengdun.org.access import Scope, get_scope
from zhengdun.org.models import Role
from zhengdun.screening.models import ReviewStatus, ScreeningDataset, ScreeningHit, ScreeningRun

# the roles whose assignments make up the scope of every screening read and write (scope_for's only_roles)
HANDLER_ROLES = (Role.CLUE_HANDLER,)


def handler_scope(request) -> Scope:
    """The scope of screening pages and endpoints: the clue-handler assignments only (see scope_for)."""
    return get_scope(request, only_roles=HANDLER_ROLES)


def dataset_list(*, scope: Scope) -> QuerySet[ScreeningDataset]:
    return ScreeningDataset.objects.within(scope).select_related("unit", "created_by")


def dataset_get(*, scope: Scope, dataset_id: int) -> ScreeningDataset | None:
    return dataset_list(scope=scope).filter(pk=dataset_id).first()


def run_list(*, scope: Scope, dataset: ScreeningDataset | None = None) -> QuerySet[ScreeningRun]:
    runs = ScreeningRun.objects.within(scope).select_related("dataset", "unit", "created_by")
    return runs.filter(dataset=dataset) if dataset is not None else runs


def run_get(*, scope: Scope, run_id: int) -> ScreeningRun | None:
    return run_list(scope=scope).select_related("previous").filter(pk=run_id).first()


def hit_units(*, scope: Scope, run: ScreeningRun):
    """The units (in scope) that hold hits of ``run``: the choices of the unit filter."""
    from zhengdun.org.selectors import unit_list

    held = ScreeningHit.objects.within(scope).filter(run=run).values("unit_id")
    return unit_list(scope=scope).filter(pk__in=held).order_by("path")


def hit_list(*, scope: Scope, run: ScreeningRun, rule: str = "", unit=None, min_score: float | None = None,
             review_status: str = "", new_only: bool = False, query: str = "") -> QuerySet[ScreeningHit]:
    hits = ScreeningHit.objects.within(scope).filter(run=run).select_related("unit", "run")
    if rule:
        hits = hits.filter(rule=rule)
    if unit is not None:
        hits = hits.filter(unit__path__startswith=unit.path)
    if min_score is not None:
        hits = hits.filter(score__gte=min_score)
    if review_status:
        hits = hits.filter(review_status=review_status)
    if new_only:
        hits = hits.filter(is_new=True)
    if query:
        hits = hits.filter(subject_name__contains=query) | hits.filter(officer_name__contains=query)
    return hits.order_by("rule", "-score", "officer_key", "id")


def hit_get(*, scope: Scope, hit_id: int) -> ScreeningHit | None:
    return ScreeningHit.objects.within(scope).select_related("run", "unit", "reviewed_by").filter(pk=hit_id).first()


def hit_counts_by_rule(*, scope: Scope, run: ScreeningRun) -> dict[str, int]:
    rows = ScreeningHit.objects.within(scope).filter(run=run).values("rule").annotate(n=Count("id"))
    return {r["rule"]: r["n"] for r in rows}


def disappeared_hits(*, scope: Scope, run: ScreeningRun) -> QuerySet[ScreeningHit]:
    """Findings of the compared run that this run no longer reports — only for the rules both ran,
    so a run of fewer rules does not list every hit of the others as gone."""
    if run.previous_id is None:
        return ScreeningHit.objects.none()
    current = ScreeningHit.objects.filter(run=run).values("fingerprint")
    return (ScreeningHit.objects.within(scope).filter(run_id=run.previous_id, rule__in=run.compared_rules)
            .exclude(fingerprint__in=current).order_by("rule", "officer_key"))


def lead_list(*, scope: Scope, dataset: ScreeningDataset | None = None) -> QuerySet[ScreeningHit]:
    """Confirmed hits (确认为线索), one per finding: a finding re-found by later runs carries its
    review into each of them, so the lead is its latest reviewed hit — and a finding whose latest
    review is 排除 is no lead. Each row links back to its run and data set (`lead_key`)."""
    later_review = ScreeningHit.objects.filter(
        fingerprint=OuterRef("fingerprint"), run__dataset_id=OuterRef("run__dataset_id"),
        run__roster_source=OuterRef("run__roster_source"),
    ).exclude(review_status=ReviewStatus.PENDING).filter(reviewed_at__gt=OuterRef("reviewed_at"))
    same_review_later_run = ScreeningHit.objects.filter(
        fingerprint=OuterRef("fingerprint"), run__dataset_id=OuterRef("run__dataset_id"),
        run__roster_source=OuterRef("run__roster_source"), reviewed_at=OuterRef("reviewed_at"),
        run_id__gt=OuterRef("run_id"))
    leads = (ScreeningHit.objects.within(scope).filter(review_status=ReviewStatus.CONFIRMED)
             .exclude(Exists(later_review)).exclude(Exists(same_review_later_run))
             .select_related("run__dataset", "unit", "reviewed_by"))
    if dataset is not None:
        leads = leads.filter(run__dataset=dataset)
    return leads.order_by("-reviewed_at", "id")
