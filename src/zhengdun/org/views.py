"""Pages for the unit tree, people and the signed-in home. Thin: selectors read, services write."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.org import selectors, services
from zhengdun.org.access import (
    ROSTER_IMPORT_ROLES,
    STAFF_ROLES,
    UNIT_TREE_ROLES,
    access_policy,
    get_scope,
    may_unmask,
    may_visit,
)
from zhengdun.org.forms import OfficerEditForm, OfficerFilterForm
from zhengdun.org.models import Role, Unit


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


@access_policy(name="authenticated")
def home(request):
    scope = get_scope(request)
    if scope.roles == {Role.AUDITOR}:
        return redirect("audit:log")
    roots = selectors.unit_roots(scope=scope)
    counts = selectors.unit_officer_counts(scope=scope, units=roots) if roots else {}
    context = {"roots": roots, "counts": counts, "scope": scope}
    from zhengdun.campaigns import selectors as campaign_selectors

    campaign = campaign_selectors.campaign_current(scope=scope)
    if campaign is not None:
        context["campaign"] = campaign
        context["phase"] = campaign_selectors.phase_for_day(campaign, timezone.localdate())
    # Cards and links only for those who may follow them: the same policies as the views behind them.
    context["can_roster"] = may_visit(scope, "org:officer_list") and not scope.officer_id
    context["can_notes"] = may_visit(scope, "campaigns:notification_list")
    if context["can_notes"]:
        notes = campaign_selectors.notification_list(scope=scope, unread_only=True)
        context["notes"] = list(notes[:8])
        context["notes_total"] = notes.count()
    if scope.officer_id:
        context.update(_officer_home(scope))
    return render(request, "org/home.html", context)


def _officer_home(scope) -> dict:
    """An officer's own corner of the home page: their file (一人一档) and the open exams they have
    not yet sat."""
    from zhengdun.learning import selectors as learning_selectors

    now = timezone.now()
    open_exams = [exam for exam, attempts in learning_selectors.my_exams(scope=scope)
                  if exam.start_at <= now <= exam.end_at and not any(a.status == "submitted" for a in attempts)]
    return {"my_file_url": _my_file_url(scope), "open_exams": open_exams,
            "can_exams": may_visit(scope, "learning:my_exams")}


def _my_file_url(scope) -> str:
    """The officer's file (一人一档, with learning, exams and campaign records), or their roster entry
    where the learning app is not installed."""
    if may_visit(scope, "learning:officer_file", scope.officer_id):
        return reverse("learning:officer_file", args=[scope.officer_id])
    return reverse("org:officer_detail", args=[scope.officer_id])


@access_policy(Role.OFFICER)
def my_file(request):
    """我的档案: an officer's own file (一人一档), not a roster search with one row."""
    scope = get_scope(request)
    if not scope.officer_id:
        raise Http404(_("您的账号没有关联干警档案"))
    return redirect(_my_file_url(scope))


def _unit_in_scope(scope, unit_id) -> Unit:
    unit = selectors.unit_list(scope=scope).filter(pk=unit_id).first()
    if unit is None:
        raise Http404(_("未找到该单位"))
    return unit


@access_policy(*UNIT_TREE_ROLES)
def unit_tree(request, unit_id=None):
    scope = get_scope(request)
    unit = _unit_in_scope(scope, unit_id) if unit_id else None
    children = list(selectors.unit_children(scope=scope, unit=unit)) if unit else selectors.unit_roots(scope=scope)
    counts = selectors.unit_officer_counts(scope=scope, units=children + ([unit] if unit else []))
    ancestors = [a for a in unit.ancestors() if scope.can_read_unit(a)] if unit else []
    return render(request, "org/unit_tree.html", {
        "unit": unit, "children": children, "counts": counts, "ancestors": ancestors,
    })


@access_policy(*STAFF_ROLES, Role.OFFICER)
def officer_list(request):
    scope = get_scope(request)
    unit_id = request.GET.get("unit", "")
    if unit_id and not unit_id.isdigit():
        raise Http404(_("未找到该单位"))
    unit = _unit_in_scope(scope, unit_id) if unit_id else None  # not yours looks like not there: 404
    has_units = bool(scope.subtree_paths or scope.exact_unit_ids)
    form = OfficerFilterForm(request.GET or None, units=selectors.unit_list(scope=scope) if has_units else None)
    form.is_valid()
    data = form.cleaned_data if form.is_bound else {}
    officers = selectors.officer_list(scope=scope, query=data.get("q", ""), unit=unit,
                                      category=data.get("category", ""), status=data.get("status", ""),
                                      party=data.get("party", ""), subtree=data.get("subtree") != "0")
    page = Paginator(officers, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "org/officer_list.html", {
        "form": form, "page": page, "unit": unit, "query": query.urlencode(),
    })


@access_policy(*STAFF_ROLES, Role.OFFICER)
def officer_detail(request, officer_id):
    scope = get_scope(request)
    officer = selectors.officer_get(scope=scope, officer_id=officer_id)
    if officer is None:
        raise Http404(_("未找到该人员"))
    relatives = list(selectors.relative_list(scope=scope, officer=officer))
    if relatives:
        services.relatives_viewed(actor=request.user, officer=officer, ip=client_ip(request))
    return render(request, "org/officer_detail.html", {
        "officer": officer, "relatives": relatives, "can_unmask": scope.can_unmask,
        "can_write": scope.can_write_unit(officer.unit),
        "can_edit": scope.has_role(*ROSTER_IMPORT_ROLES) and scope.can_write_unit(officer.unit),
    })


@access_policy(*ROSTER_IMPORT_ROLES)
def officer_edit(request, officer_id):
    """Edit one officer (the roles that write the roster, in the units they may write); the write,
    its checks and its audit entry are org.services.officer_update's."""
    scope = get_scope(request)
    officer = selectors.officer_get(scope=scope, officer_id=officer_id)
    if officer is None:
        raise Http404(_("未找到该人员"))
    if not scope.can_write_unit(officer.unit):
        raise PermissionDenied(_("无权修改该单位的数据"))
    units = selectors.units_writable(scope=scope)
    form = OfficerEditForm(request.POST or None, initial=OfficerEditForm.initial_from(officer), units=units)
    if request.method == "POST" and form.is_valid():
        c = dict(form.cleaned_data)
        id_number = c.pop("id_number", "").strip() or None
        unit = c.pop("unit")
        try:
            services.officer_update(actor=request.user, officer=officer, id_number=id_number, unit=unit, **c)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                form.add_error(field if field in form.fields else None, errors)
            officer.refresh_from_db()
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            officer.refresh_from_db()
        else:
            messages.success(request, _("人员信息已保存"))
            return redirect("org:officer_detail", officer_id=officer.id)
    return render(request, "org/officer_form.html", {"form": form, "officer": officer})


@require_POST
@access_policy(name="id-unmask", requires=may_unmask)
def officer_reveal_id(request, officer_id):
    """Show the full ID number of the officer (or of one relative) once; the view is audited."""
    scope = get_scope(request)
    officer = selectors.officer_get(scope=scope, officer_id=officer_id)
    if officer is None:
        raise Http404(_("未找到该人员"))
    person = officer
    relative_id = request.POST.get("relative")
    if relative_id:
        person = selectors.relative_list(scope=scope, officer=officer).filter(pk=relative_id).first()
        if person is None:
            raise Http404(_("未找到该亲属"))
    try:
        number = services.person_reveal_id(actor=request.user, person=person, ip=client_ip(request))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("org:officer_detail", officer_id=officer.id)
    relatives = list(selectors.relative_list(scope=scope, officer=officer))
    return render(request, "org/officer_detail.html", {
        "officer": officer, "relatives": relatives, "can_unmask": True, "revealed": {person._meta.model_name: {person.pk: number}},
        "revealed_person": person, "revealed_number": number, "can_write": scope.can_write_unit(officer.unit),
    })
