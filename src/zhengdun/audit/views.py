"""The audit log pages: for the audit administrator only, and showing audit data only (三员分立) —
an entry's object links to its history in the log, never into the business records."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.audit import selectors, services
from zhengdun.audit.chain import verify
from zhengdun.audit.forms import AuditFilterForm
from zhengdun.audit.labels import EntryView
from zhengdun.org.access import access_policy
from zhengdun.org.models import Role


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@access_policy(Role.AUDITOR)
def log(request):
    form = AuditFilterForm(request.GET or None)
    entries = selectors.entry_list(**form.filters())
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {
        "form": form, "page": page, "rows": [EntryView(e) for e in page], "query": _query(request),
        "time_zone": timezone.get_current_timezone_name(), "export_max": services.export_max_rows(),
    })


@access_policy(Role.AUDITOR)
def entry_detail(request, entry_id):
    entry = selectors.entry_get(entry_id=entry_id)
    if entry is None:
        raise Http404(_("未找到该审计记录"))
    return render(request, "audit/entry.html", {"entry": entry, "view": EntryView(entry),
                                                "time_zone": timezone.get_current_timezone_name()})


@require_POST
@access_policy(Role.AUDITOR)
def export(request):
    """The filtered log as .xlsx (the filter is the page's query string); the export is audited."""
    form = AuditFilterForm(request.GET or None)
    try:
        content, _rows = services.entry_export_xlsx(actor=request.user, filters=form.filters())
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        query = _query(request)
        return redirect(reverse("audit:log") + (f"?{query}" if query else ""))
    response = HttpResponse(content,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.xlsx"'
    return response


@require_POST
@access_policy(Role.AUDITOR)
def verify_chain(request):
    result = verify(stop_at_first=False)
    return render(request, "audit/verify.html", {"result": result})
