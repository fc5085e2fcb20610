"""Pages for learning and exams. Thin: selectors read, services write; out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.audit.chain import record
from zhengdun.learning import officer_file, question_io, selectors, services
from zhengdun.learning.forms import (
    ExamForm,
    MaterialForm,
    QuestionForm,
    QuestionImportForm,
    StudyBatchForm,
    StudyFields,
    StudyFilterForm,
)
from zhengdun.learning.models import AttemptStatus, Category, QuestionType
from zhengdun.learning.scoring import is_correct
from zhengdun.org import selectors as org_selectors
from zhengdun.org.access import STAFF_ROLES, access_policy, get_scope
from zhengdun.org.models import Role

READERS = (*STAFF_ROLES, Role.OFFICER)
OFFICE = (Role.OFFICE_ADMIN,)
RECORDERS = (Role.OFFICE_ADMIN, Role.UNIT_CLERK)


def _errors(request, exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for msg in (m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages])
                    for m in ms):
            messages.error(request, msg)
    else:
        messages.error(request, str(exc))


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _unit_or_404(scope, unit_id):
    unit = selectors.unit_in_scope(scope=scope, unit_id=unit_id)
    if unit is None:
        raise Http404(_("未找到该单位"))
    return unit


# --- materials ---------------------------------------------------------------------------------

@access_policy(*READERS)
def material_list(request):
    scope = get_scope(request)
    category = request.GET.get("category", "")
    items = selectors.material_list(scope=scope, category=category if category in Category.values else "",
                                    query=request.GET.get("q", "").strip())
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    return render(request, "learning/material_list.html", {
        "page": page, "query": _query(request), "categories": Category.choices, "category": category,
        "can_publish": selectors.publishing_units(scope=scope).exists(),
    })


@access_policy(*READERS)
def material_detail(request, material_id):
    scope = get_scope(request)
    material = selectors.material_get(scope=scope, material_id=material_id)
    if material is None:
        raise Http404(_("未找到该学习资料"))
    return render(request, "learning/material_detail.html", {
        "material": material, "can_record": bool(scope.officer_id),
    })


@access_policy(*READERS)
def material_download(request, material_id):
    material = selectors.material_get(scope=get_scope(request), material_id=material_id)
    if material is None:
        raise Http404(_("未找到该学习资料"))
    if not material.attachment:
        messages.info(request, _("该资料没有附件"))
        return redirect("learning:material_detail", material_id=material.id)
    return FileResponse(material.attachment.open("rb"), as_attachment=True,
                        filename=material.attachment_name or material.attachment.name.rsplit("/", 1)[-1])


@access_policy(*OFFICE)
def material_create(request):
    scope = get_scope(request)
    units = selectors.publishing_units(scope=scope)
    form = MaterialForm(request.POST or None, request.FILES or None, units=units)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            material = services.material_create(
                actor=request.user, unit=d["unit"], title=d["title"], category=d["category"], summary=d["summary"],
                body=d["body"], published_on=d["published_on"], upload=d.get("attachment"))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("学习资料已发布"))
            return redirect("learning:material_detail", material_id=material.id)
    return render(request, "learning/material_form.html", {"form": form})


# --- study records -----------------------------------------------------------------------------

@access_policy(*READERS)
def study_list(request):
    scope = get_scope(request)
    form = StudyFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    unit = _unit_or_404(scope, data["unit"]) if data.get("unit") else None
    officer = None
    if data.get("officer"):
        officer = org_selectors.officer_get(scope=scope, officer_id=data["officer"])
        if officer is None:
            raise Http404(_("未找到该人员"))
    records = selectors.study_record_list(scope=scope, unit=unit, officer=officer, date_from=data.get("date_from"),
                                          date_to=data.get("date_to"), channel=data.get("channel", ""),
                                          category=data.get("category", ""))
    page = Paginator(records, 50).get_page(request.GET.get("page"))
    coverage = None
    if unit is not None and officer is None:
        coverage = selectors.study_coverage(scope=scope, root=unit, date_from=data.get("date_from"),
                                            date_to=data.get("date_to"))
    return render(request, "learning/study_list.html", {
        "form": form, "page": page, "query": _query(request), "unit": unit, "officer": officer,
        "coverage": coverage, "is_officer": bool(scope.officer_id),
        "can_batch": selectors.writable_units(scope=scope).exists(),
    })


@access_policy(Role.OFFICER)
def study_create(request):
    """An officer records their own study."""
    scope = get_scope(request)
    officer = org_selectors.officer_get(scope=scope, officer_id=scope.officer_id) if scope.officer_id else None
    if officer is None:
        raise Http404(_("您的账号未关联干警档案"))
    initial = {}
    material_id = request.GET.get("material")
    if material_id and material_id.isdigit():
        initial["material"] = material_id
    form = StudyFields(request.POST or None, initial=initial, materials=selectors.material_list(scope=scope))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.study_record_create(actor=request.user, officer=officer, date=d["date"], channel=d["channel"],
                                         material=d["material"], category=d["category"], hours=d["hours"],
                                         note=d["note"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("学习记录已保存"))
            return redirect("learning:study_list")
    return render(request, "learning/study_form.html", {"form": form, "officer": officer})


@access_policy(*RECORDERS)
def study_batch(request):
    """A clerk records a led session for many officers at once."""
    scope = get_scope(request)
    units = list(selectors.writable_units(scope=scope))
    unit_id = request.POST.get("unit") or request.GET.get("unit")
    # A led session happens in one unit: the roster offered is that unit's own officers.
    unit = next((u for u in units if str(u.id) == str(unit_id)), None) if unit_id else \
        (units[0] if len(units) == 1 else None)
    if unit_id and unit is None:
        raise Http404(_("未找到该单位"))
    if unit is not None:
        officers = selectors.roster(scope=scope, root=unit).filter(unit=unit).order_by("name")
    else:
        officers = org_selectors.officer_list(scope=scope).none()
    form = StudyBatchForm(request.POST or None, materials=selectors.material_list(scope=scope), officers=officers)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            rows = services.study_records_create_batch(
                actor=request.user, officers=list(d["officers"]), date=d["date"], channel=d["channel"],
                material=d["material"], category=d["category"], hours=d["hours"], note=d["note"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已为 %d 名干警登记学习记录") % len(rows))
            return redirect(f"{reverse('learning:study_list')}?unit={unit.id}")
    return render(request, "learning/study_batch.html", {"form": form, "units": units, "unit": unit})


# --- question bank -----------------------------------------------------------------------------

@access_policy(*OFFICE)
def question_list(request):
    scope = get_scope(request)
    category = request.GET.get("category", "")
    qtype = request.GET.get("qtype", "")
    items = selectors.question_list(scope=scope, category=category if category in Category.values else "",
                                    qtype=qtype if qtype in QuestionType.values else "",
                                    query=request.GET.get("q", "").strip())
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "learning/question_list.html", {
        "page": page, "query": _query(request), "categories": Category.choices, "types": QuestionType.choices,
        "category": category, "qtype": qtype, "counts": selectors.question_counts(scope=scope),
    })


@access_policy(*OFFICE)
def question_create(request):
    scope = get_scope(request)
    units = selectors.publishing_units(scope=scope)
    first = units.first()
    form = QuestionForm(request.POST or None, units=units, initial={"unit": first.pk if first else None})
    if request.method == "POST" and form.is_valid():
        try:
            services.question_create(actor=request.user, unit=form.cleaned_data["unit"], data=form.as_import_row())
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("试题已加入题库"))
            return redirect("learning:question_list")
    return render(request, "learning/question_form.html", {"form": form})


@access_policy(*OFFICE)
def question_edit(request, question_id):
    scope = get_scope(request)
    question = selectors.question_get(scope=scope, question_id=question_id)
    if question is None:
        raise Http404(_("未找到该试题"))
    can_edit = scope.can_write_unit(question.unit)
    units = selectors.publishing_units(scope=scope).filter(pk=question.unit_id) if can_edit else \
        selectors.publishing_units(scope=scope).none()
    form = QuestionForm(request.POST or None, units=units, initial=QuestionForm.initial_for(question))
    if request.method == "POST" and can_edit and form.is_valid():
        try:
            services.question_update(actor=request.user, question=question, data=form.as_import_row(),
                                     is_active=form.cleaned_data["is_active"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("试题已更新"))
            return redirect("learning:question_list")
    return render(request, "learning/question_form.html", {"form": form, "question": question, "can_edit": can_edit})


@access_policy(*OFFICE)
def question_import(request):
    scope = get_scope(request)
    form = QuestionImportForm(request.POST or None, request.FILES or None,
                              units=selectors.publishing_units(scope=scope))
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx") or upload.size > 10 * 1024 * 1024:
            messages.error(request, _("请上传不超过 10 MB 的 .xlsx 文件"))
        else:
            try:
                result = services.questions_import(actor=request.user, unit=form.cleaned_data["unit"],
                                                   content=upload.read())
            except PermissionDenied as exc:
                _errors(request, exc)
            else:
                if result.ok:
                    messages.success(request, _("导入完成：新增 %(c)d 道，更新 %(u)d 道，未变 %(n)d 道") % {
                        "c": result.created, "u": result.updated, "n": result.unchanged})
                else:
                    messages.error(request, _("文件有 %d 处错误，未导入任何试题，请修改后重新上传") % len(result.errors))
    return render(request, "learning/question_import.html", {"form": form, "result": result})


@access_policy(*OFFICE)
def question_template(request):
    response = HttpResponse(question_io.template_workbook(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E8%AF%95%E9%A2%98%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    return response


# --- exams (offices) -----------------------------------------------------------------------------

@access_policy(*STAFF_ROLES)
def exam_list(request):
    scope = get_scope(request)
    page = Paginator(selectors.exam_list(scope=scope), 30).get_page(request.GET.get("page"))
    return render(request, "learning/exam_list.html", {
        "page": page, "query": "", "now": timezone.now(),
        "can_create": selectors.publishing_units(scope=scope).exists(),
    })


def _rules_from(post) -> list[dict]:
    rules = []
    for cat in ["", *Category.values]:
        for qtype in QuestionType.values:
            raw = post.get(f"r_{cat or 'all'}_{qtype}", "").strip()
            if raw.isdigit() and int(raw) > 0:
                rules.append({"category": cat, "qtype": qtype, "count": int(raw)})
    return rules


@access_policy(*OFFICE)
def exam_create(request):
    scope = get_scope(request)
    units = selectors.publishing_units(scope=scope)
    targets = selectors.writable_units(scope=scope)
    first = units.first()
    form = ExamForm(request.POST or None, units=units, targets=targets,
                    initial={"unit": first.pk if first else None})
    questions = selectors.question_list(scope=scope, active_only=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        ids = [int(i) for i in request.POST.getlist("question_ids") if i.isdigit()]
        try:
            exam = services.exam_create(
                actor=request.user, unit=d["unit"], title=d["title"], description=d["description"],
                start_at=d["start_at"], end_at=d["end_at"], duration_minutes=d["duration_minutes"],
                pass_score=d["pass_score"], max_attempts=d["max_attempts"], target_root=d["target_root"],
                target_kinds=d["target_kinds"], publish=d["publish"],
                question_ids=ids if d["mode"] == "fixed" else None,
                rules=_rules_from(request.POST) if d["mode"] == "random" else None,
                points={"single": d["points_single"], "multiple": d["points_multiple"],
                        "true_false": d["points_true_false"]})
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("考试已创建，共 %d 道题") % exam.paper.count())
            return redirect("learning:exam_detail", exam_id=exam.id)
    counts = {(c["category"], c["qtype"]): c["n"] for c in selectors.question_counts(scope=scope)}
    grid = [(cat, label, [(t, counts.get((cat, t), 0), request.POST.get(f"r_{cat}_{t}", "")) for t in QuestionType.values])
            for cat, label in Category.choices]
    all_row = [(t, sum(n for (_c, qt), n in counts.items() if qt == t), request.POST.get(f"r_all_{t}", ""))
               for t in QuestionType.values]
    return render(request, "learning/exam_form.html", {
        "form": form, "questions": questions[:500], "grid": grid, "all_row": all_row, "types": QuestionType.choices,
        "chosen": set(request.POST.getlist("question_ids")),
    })


def _exam_or_404(request, exam_id):
    exam = selectors.exam_get(scope=get_scope(request), exam_id=exam_id)
    if exam is None:
        raise Http404(_("未找到该考试"))
    return exam


@access_policy(*STAFF_ROLES)
def exam_detail(request, exam_id):
    scope = get_scope(request)
    exam = _exam_or_404(request, exam_id)
    can_manage = scope.has_role(Role.OFFICE_ADMIN) and scope.can_write_unit(exam.unit)
    return render(request, "learning/exam_detail.html", {
        "exam": exam, "paper": selectors.exam_paper(exam=exam) if can_manage or exam.is_closed(timezone.now()) else None,
        "can_manage": can_manage, "now": timezone.now(),
    })


@require_POST
@access_policy(*OFFICE)
def exam_publish(request, exam_id):
    exam = _exam_or_404(request, exam_id)
    try:
        services.exam_publish(actor=request.user, exam=exam)
    except PermissionDenied as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("考试已发布"))
    return redirect("learning:exam_detail", exam_id=exam.id)


@access_policy(*STAFF_ROLES)
def exam_results(request, exam_id):
    scope = get_scope(request)
    exam = _exam_or_404(request, exam_id)
    if selectors.has_overdue_attempts(exam=exam):
        services.attempt_close_overdue(exam=exam)
    unit_id = request.GET.get("unit")
    root = _unit_or_404(scope, unit_id) if unit_id else selectors.exam_default_root(scope=scope, exam=exam)
    if root is None:
        raise Http404(_("未找到该单位"))
    if not root.path.startswith(exam.target_root.path) and not exam.target_root.path.startswith(root.path):
        raise Http404(_("该单位不在本次考试范围内"))
    total, rows = selectors.exam_unit_rates(scope=scope, exam=exam, root=root)
    ancestors = [a for a in root.ancestors() if scope.can_read_unit(a) and a.path.startswith(exam.target_root.path)]
    return render(request, "learning/exam_results.html", {
        "exam": exam, "root": root, "total": total, "rows": rows, "ancestors": ancestors,
    })


@access_policy(*STAFF_ROLES)
def exam_attempts(request, exam_id):
    """The attempts behind a figure of the results table."""
    scope = get_scope(request)
    exam = _exam_or_404(request, exam_id)
    unit = _unit_or_404(scope, request.GET["unit"]) if request.GET.get("unit") else None
    passed = {"1": True, "0": False}.get(request.GET.get("passed", ""))
    items = selectors.attempt_list(scope=scope, exam=exam, unit=unit, passed=passed,
                                   exact=request.GET.get("exact") == "1")
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "learning/exam_attempts.html", {
        "exam": exam, "unit": unit, "passed": passed, "page": page, "query": _query(request),
    })


@access_policy(*STAFF_ROLES)
def exam_absentees(request, exam_id):
    scope = get_scope(request)
    exam = _exam_or_404(request, exam_id)
    unit = _unit_or_404(scope, request.GET["unit"]) if request.GET.get("unit") else \
        selectors.exam_default_root(scope=scope, exam=exam)
    if unit is None:
        raise Http404(_("未找到该单位"))
    items = selectors.exam_absentees(scope=scope, exam=exam, root=unit).order_by("unit__path", "name")
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(request, "learning/exam_absentees.html", {
        "exam": exam, "unit": unit, "page": page, "query": _query(request),
    })


# --- exams (officers) ----------------------------------------------------------------------------

@access_policy(Role.OFFICER)
def my_exams(request):
    scope = get_scope(request)
    return render(request, "learning/my_exams.html", {"items": selectors.my_exams(scope=scope), "now": timezone.now()})


@require_POST
@access_policy(Role.OFFICER)
def exam_start(request, exam_id):
    exam = _exam_or_404(request, exam_id)
    try:
        attempt = services.attempt_start(actor=request.user, exam=exam)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
        return redirect("learning:my_exams")
    return redirect("learning:attempt_take", attempt_id=attempt.id)


def _attempt_or_404(request, attempt_id):
    attempt = selectors.attempt_get(scope=get_scope(request), attempt_id=attempt_id)
    if attempt is None:
        raise Http404(_("未找到该作答记录"))
    return attempt


def _own_attempt_or_404(request, attempt_id):
    attempt = _attempt_or_404(request, attempt_id)
    if attempt.officer_id != get_scope(request).officer_id:
        raise Http404(_("未找到该作答记录"))
    return attempt


def _posted_answers(request) -> dict:
    answers = {}
    for key in request.POST:
        if key.startswith("q_"):
            values = request.POST.getlist(key)
            answers[key[2:]] = "".join(values)
    return answers


@access_policy(Role.OFFICER)
def attempt_take(request, attempt_id):
    attempt = _own_attempt_or_404(request, attempt_id)
    if attempt.status == AttemptStatus.IN_PROGRESS and timezone.now() > attempt.deadline_at:
        services.attempt_close_overdue(attempt=attempt)
    if attempt.status != AttemptStatus.IN_PROGRESS:
        return redirect("learning:attempt_detail", attempt_id=attempt.id)
    paper = list(selectors.exam_paper(exam=attempt.exam))
    remaining = max(0, int((attempt.deadline_at - timezone.now()).total_seconds()))
    return render(request, "learning/attempt_take.html", {
        "attempt": attempt, "exam": attempt.exam, "paper": paper, "answers": attempt.answers or {},
        "remaining": remaining,
    })


@require_POST
@access_policy(Role.OFFICER)
def attempt_save(request, attempt_id):
    attempt = _own_attempt_or_404(request, attempt_id)
    saved = services.attempt_save(actor=request.user, attempt=attempt, answers=_posted_answers(request))
    text = _("已自动保存 %s") % timezone.localtime().strftime("%H:%M:%S") if saved else _("作答时间已到，未再保存")
    return HttpResponse(f'<span class="{"text-success" if saved else "text-danger"}">{text}</span>')


@require_POST
@access_policy(Role.OFFICER)
def attempt_submit(request, attempt_id):
    attempt = _own_attempt_or_404(request, attempt_id)
    try:
        services.attempt_submit(actor=request.user, attempt=attempt, answers=_posted_answers(request))
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        if attempt.timed_out:
            messages.warning(request, _("已超过答题时限，按时限内保存的答案评分"))
        else:
            messages.success(request, _("已交卷"))
    return redirect("learning:attempt_detail", attempt_id=attempt.id)


@access_policy(*READERS)
def attempt_detail(request, attempt_id):
    """Result of one sitting; the correct answers show once the exam window has closed (or to the
    office that owns the exam)."""
    scope = get_scope(request)
    attempt = _attempt_or_404(request, attempt_id)
    exam = attempt.exam
    now = timezone.now()
    owner = scope.has_role(Role.OFFICE_ADMIN) and scope.can_write_unit(exam.unit)
    show_answers = attempt.status == AttemptStatus.SUBMITTED and (exam.is_closed(now) or owner)
    paper = []
    if show_answers:
        for item in selectors.exam_paper(exam=exam):
            given = (attempt.answers or {}).get(str(item.id), "")
            paper.append({"item": item, "given": given, "right": is_correct(item.qtype, item.answer, given)})
    is_own = attempt.officer_id == scope.officer_id
    # Another sitting is offered on the officer's own result while the exam is open and allows more
    # (attempt_start checks the same again).
    can_retry = (is_own and attempt.status == AttemptStatus.SUBMITTED and exam.is_open(now)
                 and selectors.attempt_count(scope=scope, exam=exam, officer_id=attempt.officer_id) < exam.max_attempts)
    return render(request, "learning/attempt_detail.html", {
        "attempt": attempt, "exam": exam, "paper": paper, "show_answers": show_answers,
        "is_own": is_own, "now": now, "can_retry": can_retry,
        "can_see_exam": scope.has_role(*STAFF_ROLES) and not is_own,
    })


# --- one file per officer ------------------------------------------------------------------------

@access_policy(*READERS)
def officer_file_view(request, officer_id):
    scope = get_scope(request)
    officer = org_selectors.officer_get(scope=scope, officer_id=officer_id)
    if officer is None:
        raise Http404(_("未找到该人员"))
    sections, entitled, withheld = officer_file.build(scope, officer)
    if any(s.confidential for s in sections):
        record(actor=request.user, action="officer_file.view_confidential", op="read", object_type="officer_file",
               object_id=officer.pk, unit_id=officer.unit_id, ip=request.META.get("REMOTE_ADDR", ""))
    return render(request, "learning/officer_file.html", {
        "officer": officer, "sections": sections, "entitled": entitled, "withheld": withheld,
    })
