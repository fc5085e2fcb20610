"""Pages for campaigns, templates, actions with traffic lights, and reminders. Thin: selectors read,
services write; anything outside the user's scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.activities.models import EvidenceKind
from zhengdun.campaigns import selectors, services
from zhengdun.campaigns.forms import (
    CampaignFromTemplateForm,
    DeclareForm,
    OptionalActionForm,
    RequiredActionForm,
    ReturnForm,
    TemplateEditForm,
)
from zhengdun.campaigns.lights import LIGHT_CSS, LIGHT_LABELS
from zhengdun.campaigns.models import ActionKind, NotificationKind
from zhengdun.org.access import STAFF_ROLES, access_policy, get_scope, may_visit
from zhengdun.org.models import Role

READERS = (*STAFF_ROLES, Role.OFFICER)
WRITERS = (Role.OFFICE_ADMIN, Role.UNIT_CLERK, Role.SYSADMIN)


def _errors(request, exc: ValidationError | PermissionDenied) -> None:
    if isinstance(exc, ValidationError):
        for msg in exc.messages:
            messages.error(request, msg)
    else:
        messages.error(request, str(exc) or _("无权执行此操作"))


def _campaign_or_404(scope, campaign_id):
    campaign = selectors.campaign_get(scope=scope, campaign_id=campaign_id)
    if campaign is None:
        raise Http404(_("未找到该整顿计划"))
    return campaign


def _unit_or_404(scope, unit_id):
    unit = selectors.unit_get(scope=scope, unit_id=unit_id)
    if unit is None:
        raise Http404(_("未找到该单位"))
    return unit


def _default_unit(scope):
    units = selectors.units_readable(scope=scope)
    if scope.exact_unit_ids:
        return units.filter(pk=scope.exact_unit_ids[0]).first()
    if scope.anchor_unit_ids:
        return units.filter(pk__in=scope.anchor_unit_ids).first()
    return units.first()


def _today(request):
    return timezone.localdate()


# --- campaigns --------------------------------------------------------------------------------

@access_policy(*READERS)
def campaign_list(request):
    scope = get_scope(request)
    campaigns = list(selectors.campaign_list(scope=scope))
    today = _today(request)
    return render(request, "campaigns/campaign_list.html", {
        "campaigns": [(c, selectors.phase_for_day(c, today)) for c in campaigns], "today": today,
        "can_create": bool(selectors.office_units(scope=scope).exists()),
    })


@access_policy(*READERS)
def campaign_detail(request, campaign_id):
    scope = get_scope(request)
    campaign = _campaign_or_404(scope, campaign_id)
    today = _today(request)
    detail = selectors.campaign_detail(campaign)
    span = max(1, (campaign.end_date - campaign.start_date).days + 1)
    timeline = []
    for p in detail["phases"]:
        end = campaign.end_date if p.throughout else p.end_date
        timeline.append({"phase": p, "left": 100 * (p.start_date - campaign.start_date).days / span,
                         "width": max(2.0, 100 * ((end - p.start_date).days + 1) / span),
                         "current": p.start_date <= today <= p.end_date})
    today_pos = 100 * (today - campaign.start_date).days / span if campaign.start_date <= today <= campaign.end_date \
        else None
    return render(request, "campaigns/campaign_detail.html", {
        "campaign": campaign, **detail, "timeline": timeline, "today": today, "today_pos": today_pos,
        "current_phase": selectors.phase_for_day(campaign, today),
        "can_unit_actions": may_visit(scope, "campaigns:unit_actions"),
        "can_activities": may_visit(scope, "activities:activity_list"),
    })


@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def campaign_create(request):
    scope = get_scope(request)
    templates = selectors.template_list(scope=scope)
    units = selectors.office_units(scope=scope)
    form = CampaignFromTemplateForm(request.POST or None, templates=templates, units=units,
                                    initial={"template": request.GET.get("template")})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            campaign = services.campaign_create_from_template(
                actor=request.user, template=c["template"], name=c["name"], year=c["year"],
                owner_unit=c["owner_unit"], with_actions=c["with_actions"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已根据模板创建整顿计划"))
            return redirect("campaigns:campaign_detail", campaign_id=campaign.id)
    return render(request, "campaigns/campaign_form.html", {"form": form})


# --- templates --------------------------------------------------------------------------------

@access_policy(*READERS)
def template_list(request):
    scope = get_scope(request)
    return render(request, "campaigns/template_list.html", {
        "templates": selectors.template_list(scope=scope),
        "office_units": list(selectors.office_units(scope=scope)),
    })


def _template_or_404(scope, template_id):
    template = selectors.template_get(scope=scope, template_id=template_id)
    if template is None:
        raise Http404(_("未找到该模板"))
    return template


@access_policy(*READERS)
def template_detail(request, template_id):
    scope = get_scope(request)
    template = _template_or_404(scope, template_id)
    data = template.data or {}
    names = {p.get("key"): p.get("name") for p in data.get("phases") or []}
    actions = [dict(a, phase_name=names.get(a.get("phase"), a.get("phase"))) for a in data.get("actions") or []]
    return render(request, "campaigns/template_detail.html", {
        "template": template, "data": data, "actions": actions,
        "can_edit": not template.is_builtin and template.unit is not None and scope.can_write_unit(template.unit)
        and scope.has_role(Role.OFFICE_ADMIN),
        "office_units": list(selectors.office_units(scope=scope)),
    })


@require_POST
@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def template_copy(request, template_id):
    scope = get_scope(request)
    template = _template_or_404(scope, template_id)
    offices = selectors.office_units(scope=scope)
    unit = offices.filter(pk=request.POST["unit"]).first() if request.POST.get("unit") else offices.first()
    if unit is None:
        raise Http404(_("未找到该单位"))
    try:
        copy = services.template_copy(actor=request.user, template=template, unit=unit,
                                      name=request.POST.get("name", ""))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return redirect("campaigns:template_detail", template_id=template.id)
    messages.success(request, _("已复制为本单位模板，可以修改"))
    return redirect("campaigns:template_edit", template_id=copy.id)


@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def template_edit(request, template_id):
    scope = get_scope(request)
    template = _template_or_404(scope, template_id)
    if template.is_builtin:
        messages.info(request, _("内置模板不能修改，请先复制为本单位模板"))
        return redirect("campaigns:template_detail", template_id=template.id)
    form = TemplateEditForm(request.POST or None, initial=TemplateEditForm.initial_from(template))
    if request.method == "POST" and form.is_valid():
        try:
            data = form.template_data(template.data or {})
            services.template_update(actor=request.user, template=template, name=form.cleaned_data["name"],
                                     description=form.cleaned_data["description"], data=data)
        except ValidationError as exc:
            for field, errs in (exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]):
                form.add_error(field if field in form.fields else None, errs)
        except PermissionDenied as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("模板已保存"))
            return redirect("campaigns:template_detail", template_id=template.id)
    return render(request, "campaigns/template_edit.html", {"form": form, "template": template})


# --- actions ----------------------------------------------------------------------------------

@access_policy(*STAFF_ROLES)
def unit_actions(request):
    """A unit's list: what every level above requires of it plus its own optional actions, with lights."""
    scope = get_scope(request)
    unit = _unit_or_404(scope, request.GET["unit"]) if request.GET.get("unit") else _default_unit(scope)
    campaigns = list(selectors.campaign_list(scope=scope))
    campaign = _campaign_or_404(scope, request.GET["campaign"]) if request.GET.get("campaign") else None
    rows = selectors.action_rows_for_unit(scope=scope, unit=unit, campaign=campaign) if unit else []
    counts = {color: sum(1 for r in rows if r.light.color == color) for color in LIGHT_LABELS}
    # An office that issues actions (the city at the top receives none): what it issued, and how far
    # the units below are with each, instead of an empty list.
    issued = selectors.issued_progress(scope=scope, issuer=unit, campaign=campaign) if unit else []
    return render(request, "campaigns/unit_actions.html", {
        "unit": unit, "rows": rows, "campaigns": campaigns, "campaign": campaign, "counts": counts,
        "legend": [(LIGHT_LABELS[c], LIGHT_CSS[c], counts[c]) for c in LIGHT_LABELS], "can_write": bool(unit and scope.can_write_unit(unit)),
        "units": selectors.units_readable(scope=scope)[:500], "issued": issued,
        "can_matrix": may_visit(scope, "campaigns:office_matrix"),
        "can_issue": may_visit(scope, "campaigns:required_action_create") and bool(unit and scope.can_write_unit(unit)),
    })


def _action_form_querysets(scope, data):
    campaigns = selectors.campaign_list(scope=scope)
    campaign_id = (data or {}).get("campaign")
    campaign = selectors.campaign_get(scope=scope, campaign_id=campaign_id) if campaign_id else campaigns.first()
    phases = campaign.phases.all() if campaign else campaigns.none()
    return campaigns, phases


@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def required_action_create(request):
    scope = get_scope(request)
    campaigns, phases = _action_form_querysets(scope, request.POST or request.GET)
    form = RequiredActionForm(request.POST or None, campaigns=campaigns, phases=phases,
                              units=selectors.office_units(scope=scope),
                              initial={"campaign": request.GET.get("campaign")})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            action = services.required_action_create(
                actor=request.user, campaign=c["campaign"], issuing_unit=c["issuing_unit"], title=c["title"],
                deadline=c["deadline"], phase=c["phase"], description=c["description"],
                evidence_requirement=c["evidence_requirement"], target_kinds=c["target_kinds"],
                target_levels=c["target_levels"])
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("规定动作已下达"))
            return redirect("campaigns:action_detail", action_id=action.id)
    return render(request, "campaigns/action_form.html", {"form": form, "title": _("下达规定动作")})


@access_policy(*WRITERS)
def optional_action_create(request):
    scope = get_scope(request)
    campaigns, phases = _action_form_querysets(scope, request.POST or request.GET)
    units = selectors.units_writable(scope=scope)
    form = OptionalActionForm(request.POST or None, campaigns=campaigns, phases=phases, units=units,
                              initial={"unit": request.GET.get("unit"), "campaign": request.GET.get("campaign")})
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            action = services.optional_action_create(
                actor=request.user, campaign=c["campaign"], unit=c["unit"], title=c["title"],
                deadline=c["deadline"], phase=c["phase"], description=c["description"],
                evidence_requirement=c["evidence_requirement"])
        except ValidationError as exc:
            _form_errors(form, exc)
        except PermissionDenied as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("自选动作已添加"))
            return redirect(f"{_url('campaigns:unit_actions')}?unit={action.unit_id}")
    return render(request, "campaigns/action_form.html", {"form": form, "title": _("添加自选动作")})


def _url(name, **kwargs):
    from django.urls import reverse

    return reverse(name, kwargs=kwargs or None)


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errs)
    else:
        form.add_error(None, exc.messages)


def _action_or_404(scope, action_id):
    action = selectors.action_get(scope=scope, action_id=action_id)
    if action is None:
        raise Http404(_("未找到该动作"))
    return action


@access_policy(*STAFF_ROLES)
def action_detail(request, action_id):
    """One action: for a unit below (?unit=) its own state and the declare form; for the issuing
    office, every target unit with its light and the return/accept buttons."""
    scope = get_scope(request)
    action = _action_or_404(scope, action_id)
    today = _today(request)
    unit = _unit_or_404(scope, request.GET["unit"]) if request.GET.get("unit") else None
    own_row = None
    fulfilling, citable = [], None
    if unit is not None:
        if not action.targets(unit):
            raise Http404(_("该动作不是对该单位的要求"))
        own_row = next((r for r in selectors.action_rows_for_unit(scope=scope, unit=unit, campaign=action.campaign,
                                                                  today=today) if r.action.id == action.id), None)
        fulfilling = list(selectors.fulfilling_activities(scope=scope, action=action, unit=unit))
        citable = selectors.citable_activities(scope=scope, action=action, unit=unit)
    is_issuer = scope.can_write_unit(action.unit) and (scope.has_role(Role.OFFICE_ADMIN) or scope.everything)
    status_rows = selectors.action_status_rows(scope=scope, action=action, today=today) \
        if scope.can_read_unit(action.unit) or action.kind == ActionKind.REQUIRED else []
    can_review = is_issuer and action.kind == ActionKind.REQUIRED
    return render(request, "campaigns/action_detail.html", {
        "action": action, "unit": unit, "own_row": own_row, "status_rows": status_rows, "is_issuer": is_issuer,
        "can_review": can_review, "evidence_kinds": EvidenceKind.choices,
        "to_confirm": sum(1 for r in status_rows if r.completion and r.completion.status in ("declared", "redeclared")),
        "declare_form": DeclareForm(activities=citable), "return_form": ReturnForm(),
        "fulfilling": fulfilling,
        "can_declare": bool(unit and scope.can_write_unit(unit)),
    })


@require_POST
@access_policy(*WRITERS)
def completion_declare(request, action_id, unit_id):
    scope = get_scope(request)
    action = _action_or_404(scope, action_id)
    unit = _unit_or_404(scope, unit_id)
    form = DeclareForm(request.POST, request.FILES,
                       activities=selectors.citable_activities(scope=scope, action=action, unit=unit))
    form.is_valid()
    files = [(f, request.POST.get("kind") or "other") for f in request.FILES.getlist("files")]
    try:
        if form.errors.get("activities"):
            raise ValidationError(form.errors["activities"])
        services.completion_declare(actor=request.user, action=action, unit=unit,
                                    note=form.cleaned_data.get("note", ""), files=files,
                                    activities=form.cleaned_data.get("activities") or [])
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已申报完成，等待下达单位确认"))
    return redirect(f"{_url('campaigns:action_detail', action_id=action.id)}?unit={unit.id}")


def _completion_or_404(scope, action_id, unit_id):
    action = _action_or_404(scope, action_id)
    unit = _unit_or_404(scope, unit_id)
    completion = selectors.completion_get(scope=scope, action=action, unit=unit)
    if completion is None:
        raise Http404(_("该单位尚未申报"))
    return action, completion


@require_POST
@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def completion_return(request, action_id, unit_id):
    scope = get_scope(request)
    action, completion = _completion_or_404(scope, action_id, unit_id)
    try:
        services.completion_return(actor=request.user, completion=completion, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已退回，并通知该单位"))
    return redirect("campaigns:action_detail", action_id=action.id)


@require_POST
@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def completion_accept(request, action_id, unit_id):
    scope = get_scope(request)
    action, completion = _completion_or_404(scope, action_id, unit_id)
    try:
        services.completion_accept(actor=request.user, completion=completion)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已确认完成"))
    return redirect("campaigns:action_detail", action_id=action.id)


@require_POST
@access_policy(Role.OFFICE_ADMIN, Role.SYSADMIN)
def completion_accept_selected(request, action_id):
    """确认所选: the issuing office confirms the declarations ticked on the action's page."""
    scope = get_scope(request)
    action = _action_or_404(scope, action_id)
    completions = selectors.completions_of_units(scope=scope, action=action, unit_ids=request.POST.getlist("units"))
    if not completions:
        messages.error(request, _("请先勾选要确认的单位"))
        return redirect("campaigns:action_detail", action_id=action.id)
    try:
        done = services.completion_accept_many(actor=request.user, action=action, completions=completions)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        text = _("已确认 %(n)d 个单位的申报") % {"n": done["accepted"]}
        if done["skipped"]:
            text += _("；%(m)d 个不是待确认状态，未改动") % {"m": done["skipped"]}
        messages.success(request, text)
    return redirect("campaigns:action_detail", action_id=action.id)


@access_policy(Role.OFFICE_ADMIN, Role.SUPERVISOR, Role.SYSADMIN)
def office_matrix(request):
    """The issuing office's page: its required actions × the units below, with their lights."""
    scope = get_scope(request)
    offices = list(selectors.office_units(scope=scope)) or list(selectors.units_readable(scope=scope)[:1])
    issuer = _unit_or_404(scope, request.GET["unit"]) if request.GET.get("unit") else (offices[0] if offices else None)
    if issuer is None:
        raise Http404(_("没有可查看的单位"))
    campaign = _campaign_or_404(scope, request.GET["campaign"]) if request.GET.get("campaign") else None
    matrix = selectors.office_matrix(scope=scope, issuer=issuer, campaign=campaign,
                                     only_attention=request.GET.get("attention") == "1")
    return render(request, "campaigns/office_matrix.html", {
        "issuer": issuer, "matrix": matrix, "offices": offices, "campaign": campaign,
        "campaigns": selectors.campaign_list(scope=scope), "labels": LIGHT_LABELS, "css": LIGHT_CSS,
        "attention": request.GET.get("attention") == "1",
        "can_issue": may_visit(scope, "campaigns:required_action_create"),
    })


# --- notifications ----------------------------------------------------------------------------

@access_policy(*STAFF_ROLES)
def notification_list(request):
    scope = get_scope(request)
    unread = request.GET.get("unread") == "1"
    notes = selectors.notification_list(scope=scope, unread_only=unread)
    page = Paginator(notes, 50).get_page(request.GET.get("page"))
    return render(request, "campaigns/notification_list.html", {
        "page": page, "unread": unread, "query": "unread=1" if unread else "",
        "unread_total": selectors.notification_list(scope=scope, unread_only=True).count()})


@require_POST
@access_policy(*STAFF_ROLES)
def notification_read_all(request):
    n = services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)d 条提醒标为已读") % {"n": n})
    return redirect("campaigns:notification_list")


@require_POST
@access_policy(*STAFF_ROLES)
def notification_read(request, notification_id):
    scope = get_scope(request)
    note = selectors.notification_get(scope=scope, notification_id=notification_id)
    if note is None:
        raise Http404(_("未找到该提醒"))
    services.notification_mark_read(actor=request.user, notification=note)
    if note.kind == NotificationKind.DIGEST:  # the issuing office's digest: its matrix, units needing attention
        return redirect(f"{_url('campaigns:office_matrix')}?unit={note.unit_id}&campaign={note.action.campaign_id}"
                        "&attention=1")
    return redirect(f"{_url('campaigns:action_detail', action_id=note.action_id)}?unit={note.unit_id}")
