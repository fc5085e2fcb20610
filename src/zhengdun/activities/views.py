"""Pages for activity records, evidence downloads, talks and pledges. Thin: selectors read, services
write; anything outside the user's scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.activities import evidence, selectors, services
from zhengdun.activities.forms import (
    EVIDENCE_FIELDS,
    ActivityFilterForm,
    ActivityForm,
    EvidenceForm,
    PledgeForm,
    TalkForm,
)
from zhengdun.audit.chain import record
from zhengdun.campaigns import selectors as campaign_selectors
from zhengdun.org.access import STAFF_ROLES, access_policy, get_scope
from zhengdun.org.models import Role

READERS = (*STAFF_ROLES, Role.OFFICER)
WRITERS = (Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SYSADMIN)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _unit_param(request, scope, writable: bool = False):
    units = campaign_selectors.units_writable(scope=scope) if writable else campaign_selectors.units_readable(
        scope=scope)
    unit_id = request.GET.get("unit") or request.POST.get("unit")
    if unit_id:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise Http404(_("未找到该单位"))
        return unit, units
    return None, units


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- activities -------------------------------------------------------------------------------

@access_policy(*STAFF_ROLES)
def activity_list(request):
    scope = get_scope(request)
    unit, _units = _unit_param(request, scope)
    form = ActivityFilterForm(request.GET or None, types=selectors.activity_types(active_only=False))
    data = form.cleaned_data if form.is_valid() else {}
    campaign = None
    if data.get("campaign"):
        campaign = campaign_selectors.campaign_get(scope=scope, campaign_id=data["campaign"])
        if campaign is None:
            raise Http404(_("未找到该整顿计划"))
    records = selectors.activity_list(scope=scope, unit=unit, activity_type=data.get("activity_type"),
                                      date_from=data.get("date_from"), date_to=data.get("date_to"),
                                      campaign=campaign, education_category=data.get("education_category", ""))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "activities/activity_list.html", {
        "form": form, "page": page, "unit": unit, "campaign": campaign, "query": _query(request),
        "can_create": scope.has_role(*WRITERS),
    })


@access_policy(*WRITERS)
def activity_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    if unit is None:
        unit = units.first()
        if unit is None:
            raise Http404(_("没有可登记的单位"))
    campaigns = campaign_selectors.campaign_list(scope=scope)
    actions = campaign_selectors.required_actions_for(unit)
    form = ActivityForm(request.POST or None, campaigns=campaigns, types=selectors.activity_types(),
                        actions=actions, officers=selectors.participant_officers(scope=scope, unit=unit))
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        files = [(f, kind) for kind, _label in EVIDENCE_FIELDS for f in request.FILES.getlist(f"files_{kind}")]
        try:
            activity = services.activity_create(
                actor=request.user, unit=unit, campaign=c["campaign"], activity_type=c["activity_type"],
                title=c["title"], date=c["date"], place=c["place"], organiser=c["organiser"],
                education_category=c["education_category"] or None, participants=list(c["participants"]),
                headcount=None if c["participants"] else c["headcount"], action=c["action"], summary=c["summary"],
                files=files)
        except ValidationError as exc:
            _form_errors(form, exc)
            messages.error(request, _("未保存：") + "；".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("活动记录已保存"))
            return redirect("activities:activity_detail", activity_id=activity.id)
    return render(request, "activities/activity_form.html", {
        "form": form, "unit": unit, "units": units[:500], "evidence_fields": EVIDENCE_FIELDS,
        "max_mb": evidence.max_bytes() // (1024 * 1024),
    })


def _activity_or_404(scope, activity_id):
    activity = selectors.activity_get(scope=scope, activity_id=activity_id)
    if activity is None:
        raise Http404(_("未找到该活动记录"))
    return activity


@access_policy(*STAFF_ROLES)
def activity_detail(request, activity_id):
    scope = get_scope(request)
    activity = _activity_or_404(scope, activity_id)
    files = selectors.activity_evidence(activity=activity)
    participants = list(selectors.activity_participants(activity=activity))
    return render(request, "activities/activity_detail.html", {
        "activity": activity, "files": files, "participants": participants,
        "five": selectors.five_haves(files), "can_write": scope.can_write_unit(activity.unit),
        "evidence_form": EvidenceForm(),
    })


@require_POST
@access_policy(*WRITERS)
def activity_add_evidence(request, activity_id):
    scope = get_scope(request)
    activity = _activity_or_404(scope, activity_id)
    kind = request.POST.get("kind") or "other"
    if kind not in dict(EVIDENCE_FIELDS):
        kind = "other"
    try:
        n = services.activity_add_evidence(actor=request.user, activity=activity,
                                           files=[(f, kind) for f in request.FILES.getlist("files")])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("未保存：") + "；".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("已上传 %(n)d 个文件") % {"n": n})
    return redirect("activities:activity_detail", activity_id=activity.id)


@access_policy(*READERS)
def evidence_download(request, evidence_id):
    """Serve an evidence file only to users whose scope covers it; anything else is a 404."""
    scope = get_scope(request)
    item = selectors.evidence_get(scope=scope, evidence_id=evidence_id)
    if item is None:
        raise Http404(_("未找到该文件"))
    path = evidence.path_of(item)
    if not path.exists():
        raise Http404(_("文件已丢失"))
    response = FileResponse(open(path, "rb"), as_attachment=item.extension not in ("jpg", "jpeg", "png", "pdf"),
                            filename=item.original_name, content_type=evidence.CONTENT_TYPES.get(item.extension))
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- talks ------------------------------------------------------------------------------------

@access_policy(*READERS)
def talk_list(request):
    scope = get_scope(request)
    unit, _units = _unit_param(request, scope)
    talks = selectors.talk_list(scope=scope, unit=unit, round=int(request.GET["round"]) if request.GET.get(
        "round", "").isdigit() else None)
    page = Paginator(talks, 50).get_page(request.GET.get("page"))
    return render(request, "activities/talk_list.html", {"page": page, "unit": unit, "query": _query(request),
                                                         "can_create": scope.has_role(*WRITERS)})


@access_policy(*WRITERS)
def talk_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    unit = unit or units.first()
    if unit is None:
        raise Http404(_("没有可登记的单位"))
    form = TalkForm(request.POST or None, campaigns=campaign_selectors.campaign_list(scope=scope),
                    officers=selectors.officer_choices(scope=scope, unit=unit),
                    talkers=selectors.officer_choices(scope=scope))
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            talk = services.talk_create(actor=request.user, campaign=c["campaign"], talker=c["talker"],
                                        officer=c["officer"], round=c["round"], date=c["date"], kind=c["kind"],
                                        note=c["note"], is_confidential=c["is_confidential"])
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("谈话记录已保存"))
            if selectors.talk_get(scope=scope, talk_id=talk.id) is not None:
                return redirect("activities:talk_detail", talk_id=talk.id)
            return redirect("activities:talk_list")
    return render(request, "activities/simple_form.html", {
        "form": form, "title": _("登记谈心谈话"), "unit": unit, "units": units[:500], "multipart": False})


@access_policy(*READERS)
def talk_detail(request, talk_id):
    """A confidential record: the read is written to the audit chain."""
    scope = get_scope(request)
    talk = selectors.talk_get(scope=scope, talk_id=talk_id)
    if talk is None:
        raise Http404(_("未找到该谈话记录"))
    record(actor=request.user, action="talk.view", op="read", object_type="activities_talkrecord",
           object_id=talk.pk, unit_id=talk.unit_id, ip=request.META.get("REMOTE_ADDR", ""))
    return render(request, "activities/talk_detail.html", {"talk": talk})


# --- pledges ----------------------------------------------------------------------------------

@access_policy(*READERS)
def pledge_list(request):
    scope = get_scope(request)
    unit, _units = _unit_param(request, scope)
    pledges = selectors.pledge_list(scope=scope, unit=unit)
    page = Paginator(pledges, 50).get_page(request.GET.get("page"))
    scans = selectors.pledge_evidence(pledge_ids=[p.id for p in page])
    return render(request, "activities/pledge_list.html", {
        "page": page, "unit": unit, "scans": scans, "query": _query(request), "can_create": scope.has_role(*WRITERS)})


@access_policy(*WRITERS)
def pledge_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    unit = unit or units.first()
    if unit is None:
        raise Http404(_("没有可登记的单位"))
    form = PledgeForm(request.POST or None, request.FILES or None,
                      campaigns=campaign_selectors.campaign_list(scope=scope),
                      officers=selectors.officer_choices(scope=scope, unit=unit))
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            services.pledge_create(actor=request.user, campaign=c["campaign"], officer=c["officer"],
                                   signed_date=c["signed_date"], scan=c["scan"], note=c["note"])
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("承诺书已登记"))
            return redirect(f"{request.path.rsplit('new/', 1)[0]}?unit={unit.id}")
    return render(request, "activities/simple_form.html", {
        "form": form, "title": _("登记承诺书"), "unit": unit, "units": units[:500], "multipart": True})
