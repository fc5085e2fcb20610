"""Statistics pages: the dashboard, the drill-down lists behind every figure, and the exports.
Thin: values come from the registry (rollups), lists from the selectors (records, within scope)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from zhengdun.org.access import access_policy, get_scope
from zhengdun.org.models import Role
from zhengdun.stats import dashboard, exports, registry, selectors

READERS = (Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SUPERVISOR)


def _query(ctx, **extra) -> str:
    params = {"unit": ctx.unit.id, "from": ctx.date_from.isoformat(), "to": ctx.date_to.isoformat(),
              "campaign": ctx.campaign.id if ctx.campaign else "all"}
    params.update(extra)
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@access_policy(*READERS)
def index(request):
    scope = get_scope(request)
    if selectors.default_unit(scope=scope) is None:
        return render(request, "stats/dashboard.html", {"no_unit": True})
    ctx = dashboard.parse_ctx(scope, request.GET)
    data = dashboard.build(ctx)
    data.update({
        "units": selectors.picker_units(scope=scope, unit=ctx.unit),
        "campaigns": selectors.stats_campaigns(scope=scope)[:50],
        "query": _query(ctx),
    })
    return render(request, "stats/dashboard.html", data)


@access_policy(*READERS)
def records(request, figure_key: str):
    scope = get_scope(request)
    figure = registry.BY_KEY.get(figure_key)
    if figure is None:
        raise Http404("figure")
    ctx = dashboard.parse_ctx(scope, request.GET, default_campaign=False)
    if not figure.breakdown:
        ctx = ctx.with_filter()
    if not figure.available(ctx):
        raise Http404("figure")
    own, _rows, _snap = registry.evaluate(ctx, with_children=False)
    value = own[figure.key]
    if figure.is_rate:
        part = request.GET.get("part") or "numerator"
        getter = {"numerator": figure.numerator, "denominator": figure.denominator,
                  "uncovered": figure.uncovered}.get(part)
        if getter is None:
            raise Http404("part")
        items = getter(ctx)
        columns = "pair" if isinstance(items, selectors.PairList) else figure.columns
        parts = figure.parts()
    else:
        part, items, columns, parts = "records", figure.records(ctx), figure.columns, []
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    total = registry.count_records(figure, ctx, part) if figure.measure else None
    base = {"unit": ctx.unit.id, "from": ctx.date_from.isoformat(), "to": ctx.date_to.isoformat(),
            "campaign": ctx.campaign.id if ctx.campaign else "all", "type": ctx.type, "cat": ctx.cat}
    return render(request, "stats/records.html", {
        "figure": figure, "ctx": ctx, "value": value, "text": registry.format_value(figure, value),
        "page": page, "columns": columns, "part": part, "parts": parts, "part_labels": dict(parts),
        "measure_total": total,
        "query": urlencode({k: v for k, v in {**base, "part": part if figure.is_rate else ""}.items() if v}),
        "base_query": urlencode({k: v for k, v in base.items() if v}),
        "dashboard_query": _query(ctx),
    })


@access_policy(*READERS)
def export_xlsx(request):
    ctx = dashboard.parse_ctx(get_scope(request), request.GET)
    response = HttpResponse(exports.progress_xlsx(ctx), content_type=exports.XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"progress-{ctx.unit.code}-{ctx.date_to:%Y%m%d}.xlsx\""
    return response


@access_policy(*READERS)
def export_docx(request):
    ctx = dashboard.parse_ctx(get_scope(request), request.GET)
    response = HttpResponse(exports.briefing_docx(ctx), content_type=exports.DOCX_TYPE)
    response["Content-Disposition"] = f"attachment; filename=\"briefing-{ctx.unit.code}-{ctx.date_to:%Y%m%d}.docx\""
    return response
