"""Pages for activity records, evidence downloads, talks and pledges. Thin: selectors read, services
write; anything outside the user's scope is a 404."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.activities import evidence, selectors, services
from zhengdun.activities.forms import (
    EVIDENCE_FIELDS,
    ActivityEvidenceEditForm,
    ActivityFilterForm,
    ActivityForm,
    EvidenceForm,
    PledgeFilterForm,
    PledgeForm,
    TalkFilterForm,
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

def _filters(form, scope=None) -> dict:
    """The filters that passed validation (a bad date drops only that filter, not all of them).
    With a scope that holds no units (an officer's own records), there is no unit to filter by."""
    if scope is not None and not _has_units(scope):
        form.fields.pop("unit", None)
    form.is_valid()
    return getattr(form, "cleaned_data", {}) if form.is_bound else {}


def _has_units(scope) -> bool:
    return bool(scope.subtree_paths or scope.exact_unit_ids)


def _campaign_param(request, scope):
    campaign_id = request.GET.get("campaign")
    if not campaign_id:
        return None
    campaign = campaign_selectors.campaign_get(scope=scope, campaign_id=campaign_id) if campaign_id.isdigit() else None
    if campaign is None:
        raise Http404(_("未找到该整顿计划"))
    return campaign


@access_policy(*STAFF_ROLES)
def activity_list(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope)
    campaign = _campaign_param(request, scope)
    form = ActivityFilterForm(request.GET or None, types=selectors.activity_types(active_only=False), units=units,
                              campaigns=campaign_selectors.campaign_list(scope=scope))
    data = _filters(form)
    records = selectors.activity_list(scope=scope, unit=unit, activity_type=data.get("activity_type"),
                                      date_from=data.get("date_from"), date_to=data.get("date_to"),
                                      campaign=campaign, education_category=data.get("education_category", ""),
                                      query=data.get("q", ""))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    return render(request, "activities/activity_list.html", {
        "form": form, "page": page, "unit": unit, "campaign": campaign, "query": _query(request),
        "can_create": scope.has_role(*WRITERS),
    })


# --- pickers: search the roster instead of listing it ------------------------------------------

def _picker_root(request, scope):
    """The unit whose subtree a picker searches (in scope, or 404), or None for the whole scope."""
    unit_id = request.GET.get("unit")
    if not unit_id:
        return None
    unit = campaign_selectors.units_readable(scope=scope).filter(pk=unit_id).first() if unit_id.isdigit() else None
    if unit is None:
        raise Http404(_("未找到该单位"))
    return unit


@access_policy(*WRITERS)
def officer_search(request):
    """HTML fragment for the person picker: at most PICKER_LIMIT officers in scope (below `unit`)
    matching a name, a unit name or the tail of the ID number."""
    scope = get_scope(request)
    root = _picker_root(request, scope)
    query = request.GET.get("q", "")[:50]
    found = selectors.officer_search(scope=scope, query=query, root=root, serving_only=request.GET.get("serving") == "1",
                                     limit=selectors.PICKER_LIMIT + 1)
    return render(request, "activities/_picker_officers.html", {
        "officers": found[:selectors.PICKER_LIMIT], "more": len(found) > selectors.PICKER_LIMIT, "query": query.strip(),
        "limit": selectors.PICKER_LIMIT})


@access_policy(*WRITERS)
def unit_search(request):
    """HTML fragment for "add everyone serving in unit X": units in scope below `unit` with their
    serving head-count (one query for all counts)."""
    scope = get_scope(request)
    root = _picker_root(request, scope)
    query = request.GET.get("q", "")[:50]
    found = selectors.unit_search(scope=scope, query=query, root=root, limit=selectors.PICKER_LIMIT + 1)
    shown = found[:selectors.PICKER_LIMIT]
    return render(request, "activities/_picker_units.html", {
        "units": shown, "counts": selectors.serving_counts(scope=scope, units=shown, root=root),
        "more": len(found) > selectors.PICKER_LIMIT, "query": query.strip(), "limit": selectors.PICKER_LIMIT})


def _picker(url: str, *, field, officers, multiple: bool = False, unit_url: str = "", units=None,
            scope=None, root=None) -> dict:
    """What a picker shows: chips for the ids in the form's data (or initial), looked up in the
    roster the field accepts, so a re-shown form keeps exactly what was picked and can be read."""
    value = field.value()
    ids = value if isinstance(value, list | tuple) else ([value] if value else [])
    ids = [getattr(v, "pk", v) for v in ids]
    picker = {"url": url, "multiple": multiple, "unit_url": unit_url,
              "selected": selectors.officers_by_ids(officers=officers, ids=ids)}
    if units is not None:
        raw = units.value() or []
        picker["units"] = selectors.units_by_ids(scope=scope, ids=[getattr(v, "pk", v) for v in raw], root=root)
        picker["units_name"] = units.html_name
    return picker


def _search_url(name: str, **params) -> str:
    return f"{reverse(name)}?{urlencode({k: v for k, v in params.items() if v not in (None, '')})}"


def _activity_form_page(request, *, scope, unit, units, activity=None):
    """The create and edit page of an activity record: one form, one set of rules (the service's)."""
    types = selectors.activity_types(include=activity.activity_type_id if activity else None)
    officers = selectors.participant_officers(scope=scope, unit=unit, activity=activity)
    initial = None
    files = selectors.activity_evidence(activity=activity) if activity else []
    if activity is not None:
        initial = {"campaign": activity.campaign_id, "activity_type": activity.activity_type_id,
                   "education_category": activity.education_category, "title": activity.title,
                   "date": activity.date, "place": activity.place, "organiser": activity.organiser,
                   "action": activity.action_id, "summary": activity.summary,
                   "headcount": activity.headcount or None,
                   "participants": list(selectors.activity_participant_ids(activity=activity))}
    form = ActivityForm(request.POST or None, initial=initial, campaigns=campaign_selectors.campaign_list(scope=scope),
                        types=types, actions=campaign_selectors.required_actions_for(unit), officers=officers,
                        units=selectors.participant_units(scope=scope, unit=unit))
    removal = ActivityEvidenceEditForm(request.POST or None, files=files)
    if request.method == "POST" and form.is_valid() and removal.is_valid():
        c = form.cleaned_data
        files_in = [(f, kind) for kind, _label in EVIDENCE_FIELDS for f in request.FILES.getlist(f"files_{kind}")]
        values = dict(campaign=c["campaign"], activity_type=c["activity_type"], title=c["title"], date=c["date"],
                      place=c["place"], organiser=c["organiser"], education_category=c["education_category"] or None,
                      participants=c["participants"], headcount=None if c["participants"] else c["headcount"],
                      action=c["action"], summary=c["summary"], files=files_in)
        try:
            if activity is None:
                saved = services.activity_create(actor=request.user, unit=unit, **values)
            else:
                saved = services.activity_update(actor=request.user, activity=activity,
                                                 remove_evidence=removal.cleaned_data["remove_evidence"], **values)
        except ValidationError as exc:
            _form_errors(form, exc)
            messages.error(request, _("未保存：") + "；".join(exc.messages))
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("活动记录已保存"))
            return redirect("activities:activity_detail", activity_id=saved.id)
    if removal.is_bound and not removal.is_valid():
        form.add_error(None, _("要删除的材料不属于该活动记录"))
    search = _search_url("activities:officer_search", unit=unit.id, serving=1)
    picker = _picker(search, field=form["participants"], officers=officers, multiple=True,
                     unit_url=_search_url("activities:unit_search", unit=unit.id), units=form["participant_units"],
                     scope=scope, root=unit)
    return render(request, "activities/activity_form.html", {
        "form": form, "unit": unit, "units": units[:500] if units is not None else None,
        "evidence_fields": EVIDENCE_FIELDS, "max_mb": evidence.max_bytes() // (1024 * 1024), "picker": picker,
        "activity": activity, "files": files,
        "removing": set(removal.cleaned_data.get("remove_evidence", [])) if removal.is_bound and removal.is_valid()
        else set(),
    })


@access_policy(*WRITERS)
def activity_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    if unit is None:
        unit = units.first()
        if unit is None:
            raise Http404(_("没有可登记的单位"))
    return _activity_form_page(request, scope=scope, unit=unit, units=units)


@access_policy(*WRITERS)
def activity_edit(request, activity_id):
    """Edit a record: readable but not the writer's unit is refused (403); not readable is a 404."""
    scope = get_scope(request)
    activity = _activity_or_404(scope, activity_id)
    if not scope.can_write_unit(activity.unit):
        raise PermissionDenied(_("只有登记该活动的单位可以修改该记录"))
    return _activity_form_page(request, scope=scope, unit=activity.unit, units=None, activity=activity)


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
    unit, units = _unit_param(request, scope)
    campaign = _campaign_param(request, scope)
    form = TalkFilterForm(request.GET or None, units=units, campaigns=campaign_selectors.campaign_list(scope=scope))
    data = _filters(form, scope)
    talks = selectors.talk_list(scope=scope, unit=unit, campaign=campaign, round=data.get("round"),
                                kind=data.get("kind", ""), date_from=data.get("date_from"),
                                date_to=data.get("date_to"), query=data.get("q", ""))
    page = Paginator(talks, 50).get_page(request.GET.get("page"))
    return render(request, "activities/talk_list.html", {
        "form": form, "page": page, "unit": unit, "query": _query(request), "can_create": scope.has_role(*WRITERS),
        "show_units": _has_units(scope)})


def _single_picker_form(request, *, unit, form, fields: dict, title: str, multipart: bool, units):
    """Talk and pledge forms: each person field is a search picker (single choice)."""
    pickers = {name: _picker(_search_url("activities:officer_search", unit=root.id if root else None),
                             field=form[name], officers=officers)
               for name, (officers, root) in fields.items()}
    return render(request, "activities/simple_form.html", {
        "form": form, "title": title, "unit": unit, "units": units[:500], "multipart": multipart,
        "pickers": pickers})


@access_policy(*WRITERS)
def talk_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    unit = unit or units.first()
    if unit is None:
        raise Http404(_("没有可登记的单位"))
    officers = selectors.officer_choices(scope=scope, unit=unit)
    talkers = selectors.officer_choices(scope=scope)
    form = TalkForm(request.POST or None, campaigns=campaign_selectors.campaign_list(scope=scope),
                    officers=officers, talkers=talkers)
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
    return _single_picker_form(request, unit=unit, form=form, title=_("登记谈心谈话"), multipart=False,
                               units=units, fields={"talker": (talkers, None), "officer": (officers, unit)})


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
    unit, units = _unit_param(request, scope)
    campaign = _campaign_param(request, scope)
    form = PledgeFilterForm(request.GET or None, units=units, campaigns=campaign_selectors.campaign_list(scope=scope))
    data = _filters(form, scope)
    pledges = selectors.pledge_list(scope=scope, unit=unit, campaign=campaign, date_from=data.get("date_from"),
                                    date_to=data.get("date_to"), query=data.get("q", ""))
    page = Paginator(pledges, 50).get_page(request.GET.get("page"))
    scans = selectors.pledge_scans_readable(scope=scope, pledge_ids=[p.id for p in page])
    return render(request, "activities/pledge_list.html", {
        "form": form, "page": page, "unit": unit, "scans": scans, "query": _query(request),
        "can_create": scope.has_role(*WRITERS), "show_units": _has_units(scope)})


@access_policy(*READERS)
def pledge_detail(request, pledge_id):
    """One pledge letter with its scan (the scan link only where evidence_get would serve it)."""
    scope = get_scope(request)
    pledge = selectors.pledge_get(scope=scope, pledge_id=pledge_id)
    if pledge is None:
        raise Http404(_("未找到该承诺书"))
    scan = selectors.pledge_scans_readable(scope=scope, pledge_ids=[pledge.id]).get(pledge.id)
    return render(request, "activities/pledge_detail.html", {"pledge": pledge, "scan": scan})


@access_policy(*WRITERS)
def pledge_create(request):
    scope = get_scope(request)
    unit, units = _unit_param(request, scope, writable=True)
    unit = unit or units.first()
    if unit is None:
        raise Http404(_("没有可登记的单位"))
    officers = selectors.officer_choices(scope=scope, unit=unit)
    form = PledgeForm(request.POST or None, request.FILES or None,
                      campaigns=campaign_selectors.campaign_list(scope=scope), officers=officers)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            pledge = services.pledge_create(actor=request.user, campaign=c["campaign"], officer=c["officer"],
                                            signed_date=c["signed_date"], scan=c["scan"], note=c["note"])
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("承诺书已登记"))
            return redirect("activities:pledge_detail", pledge_id=pledge.id)
    return _single_picker_form(request, unit=unit, form=form, title=_("登记承诺书"), multipart=True,
                               units=units, fields={"officer": (officers, unit)})
