from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengdun.audit import selectors
from zhengdun.audit.chain import verify
from zhengdun.org.access import access_policy
from zhengdun.org.forms import AuditFilterForm
from zhengdun.org.models import Role


@access_policy(Role.AUDITOR)
def log(request):
    form = AuditFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    entries = selectors.entry_list(**{k: v for k, v in data.items() if v})
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()})


@access_policy(Role.AUDITOR)
def entry_detail(request, entry_id):
    entry = selectors.entry_get(entry_id=entry_id)
    if entry is None:
        raise Http404(_("未找到该审计记录"))
    return render(request, "audit/entry.html", {"entry": entry})


@require_POST
@access_policy(Role.AUDITOR)
def verify_chain(request):
    result = verify(stop_at_first=False)
    return render(request, "audit/verify.html", {"result": result})
