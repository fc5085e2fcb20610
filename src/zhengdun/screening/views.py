"""Screening pages for clue handlers. Thin: selectors read, services write."""

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.org.access import access_policy
from zhengdun.org.models import Role
from zhengdun.org.selectors import unit_list
from zhengdun.screening import selectors, services
from zhengdun.screening.display import evidence_points
from zhengdun.screening.forms import DatasetUploadForm, HitFilterForm, HitReviewForm, RunStartForm
from zhengdun.screening.models import RULES, ReviewStatus
from zhengdun.screening.selectors import handler_scope

HANDLER = Role.CLUE_HANDLER


def _or_404(obj):
    if obj is None:
        raise Http404(_("未找到该记录"))
    return obj


def _form_errors(form, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@access_policy(HANDLER)
def index(request):
    scope = handler_scope(request)
    services.runs_fail_orphaned()
    return render(request, "screening/index.html", {
        "datasets": selectors.dataset_list(scope=scope)[:50],
        "runs": selectors.run_list(scope=scope)[:50],
    })


@access_policy(HANDLER)
def dataset_new(request):
    scope = handler_scope(request)
    anchors = list(unit_list(scope=scope).filter(pk__in=scope.anchor_unit_ids))
    form = DatasetUploadForm(request.POST or None, request.FILES or None, units=anchors)
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in anchors if u.id == form.cleaned_data["unit"])
        try:
            if form.cleaned_data["files"]:
                dataset = services.dataset_register_upload(actor=request.user, unit=unit,
                                                           name=form.cleaned_data["name"],
                                                           files=form.cleaned_data["files"])
            else:
                dataset = services.dataset_register_server(actor=request.user, unit=unit,
                                                           name=form.cleaned_data["name"],
                                                           path=form.cleaned_data["server_path"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("数据集已登记：文件和表头检查通过；每一行数据在排查运行时校验"))
            return redirect("screening:dataset", dataset_id=dataset.id)
    return render(request, "screening/dataset_new.html", {"form": form})


@access_policy(HANDLER)
def dataset_detail(request, dataset_id):
    scope = handler_scope(request)
    dataset = _or_404(selectors.dataset_get(scope=scope, dataset_id=dataset_id))
    form = RunStartForm(request.POST or None, dataset=dataset, units=unit_list(scope=scope, root=dataset.unit),
                        initial={"rules": services.dataset_runnable_rules(dataset=dataset),
                                 "roster_source": services.dataset_default_roster_source(dataset=dataset)})
    if request.method == "POST" and form.is_valid():
        try:
            run = services.run_start(actor=request.user, dataset=dataset, as_of=form.cleaned_data["as_of"],
                                     engine=form.cleaned_data["engine"], rules=form.cleaned_data["rules"],
                                     roster_source=form.cleaned_data["roster_source"],
                                     unit=_or_404(unit_list(scope=scope).filter(pk=form.cleaned_data["unit"]).first())
                                     if form.cleaned_data["unit"] else None)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return redirect("screening:run", run_id=run.id)
    return render(request, "screening/dataset_detail.html", {
        "dataset": dataset, "form": form, "runs": selectors.run_list(scope=scope, dataset=dataset),
    })


def _filtered_hits(request, scope, run):
    """The form and the hits it selects; None for the hits while the filter is invalid (its errors are
    shown; an invalid filter never silently widens to every hit)."""
    form = HitFilterForm(request.GET or None, units=selectors.hit_units(scope=scope, run=run))
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    unit = None
    if data.get("unit"):
        unit = _or_404(unit_list(scope=scope).filter(pk=data["unit"]).first())
    hits = selectors.hit_list(scope=scope, run=run, rule=data.get("rule", ""), unit=unit,
                              min_score=data.get("min_score"), review_status=data.get("review_status", ""),
                              new_only=bool(data.get("new_only")), query=data.get("q", ""))
    return form, hits


@access_policy(HANDLER)
def run_detail(request, run_id):
    scope = handler_scope(request)
    services.runs_fail_orphaned()
    run = _or_404(selectors.run_get(scope=scope, run_id=run_id))
    form, hits = _filtered_hits(request, scope, run)
    if hits is None:
        hits = selectors.hit_list(scope=scope, run=run).none()
    page = Paginator(hits, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    counts = selectors.hit_counts_by_rule(scope=scope, run=run)
    services.hits_listed(actor=request.user, run=run, ip=_ip(request))
    compared = run.compared_rules
    return render(request, "screening/run_detail.html", {
        "run": run, "form": form, "page": page, "query": query.urlencode(),
        "rule_counts": [(name, label, counts.get(name, 0)) for name, label in RULES if name in run.rule_list],
        "disappeared": selectors.disappeared_hits(scope=scope, run=run),
        "compared_rules": compared,
        "compared_labels": [str(label) for name, label in RULES if name in compared],
        "uncompared_labels": [str(label) for name, label in RULES if name in run.rule_list and name not in compared],
    })


@access_policy(HANDLER)
def run_progress(request, run_id):
    services.runs_fail_orphaned()
    run = _or_404(selectors.run_get(scope=handler_scope(request), run_id=run_id))
    response = render(request, "screening/run_progress.html", {"run": run})
    if run.status in ("succeeded", "failed") and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"  # reload the page once to show the hits
    return response


@access_policy(HANDLER)
def hit_detail(request, hit_id):
    scope = handler_scope(request)
    hit = _or_404(selectors.hit_get(scope=scope, hit_id=hit_id))
    # The saved conclusion is the form's starting point: its radio button is selected after saving.
    current = hit.review_status if hit.review_status != ReviewStatus.PENDING else None
    form = HitReviewForm(request.POST or None, initial={"status": current, "reason": hit.review_reason})
    if request.method == "POST" and form.is_valid():
        try:
            services.hit_review(actor=request.user, hit=hit, status=form.cleaned_data["status"],
                                reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("研判结论已保存"))
            return redirect("screening:hit", hit_id=hit.id)
    services.hit_viewed(actor=request.user, hit=hit, ip=_ip(request))
    run_readable = selectors.run_get(scope=scope, run_id=hit.run_id) is not None
    return render(request, "screening/hit_detail.html", {"hit": hit, "form": form, "run_readable": run_readable,
                                                         "evidence_points": evidence_points(hit.evidence)})


@require_POST
@access_policy(HANDLER)
def run_export(request, run_id):
    """Export the ticked hits (or, with none ticked, every hit the current filter shows)."""
    scope = handler_scope(request)
    run = _or_404(selectors.run_get(scope=scope, run_id=run_id))
    form, hits = _filtered_hits(request, scope, run)
    if hits is None:
        messages.error(request, _("筛选条件有误, 未导出: %(errors)s") % {"errors": _filter_errors(form)})
        return redirect(f"{reverse('screening:run', args=[run.id])}?{request.GET.urlencode()}")
    ids = [int(i) for i in request.POST.getlist("hit") if ID_TEXT.fullmatch(i)]
    if ids:
        hits = hits.filter(pk__in=ids)
    content = services.hits_export_xlsx(actor=request.user, run=run, hits=hits)
    return _xlsx(content, f"screening-run-{run.id}-hits.xlsx")


ID_TEXT = re.compile(r"[0-9]{1,18}")  # a database id as sent in a form or query (ASCII digits, fits 64 bits)


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _filter_errors(form) -> str:
    return "; ".join(f"{form.fields[f].label if f in form.fields else f}: {' '.join(errs)}"
                     for f, errs in form.errors.items())


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _leads(request, scope):
    dataset = None
    if ID_TEXT.fullmatch(request.GET.get("dataset", "")):
        dataset = _or_404(selectors.dataset_get(scope=scope, dataset_id=int(request.GET["dataset"])))
    return dataset, selectors.lead_list(scope=scope, dataset=dataset)


@access_policy(HANDLER)
def lead_list(request):
    """Confirmed hits of every run in scope, one per finding, each linked to its run and data set:
    the hand-over point to the clue workflow."""
    scope = handler_scope(request)
    dataset, leads = _leads(request, scope)
    page = Paginator(leads, 50).get_page(request.GET.get("page"))
    services.leads_listed(actor=request.user, ip=_ip(request))
    readable_runs = set(selectors.run_list(scope=scope).filter(pk__in={h.run_id for h in page})
                        .values_list("pk", flat=True))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "screening/leads.html", {
        "page": page, "dataset": dataset, "readable_runs": readable_runs, "query": query.urlencode(),
        "datasets": selectors.dataset_list(scope=scope)[:100]})


@require_POST
@access_policy(HANDLER)
def lead_export(request):
    scope = handler_scope(request)
    _dataset, leads = _leads(request, scope)
    return _xlsx(services.hits_export_xlsx(actor=request.user, hits=leads), "screening-leads.xlsx")
