"""Roster import/export pages. Thin: zhengdun.org.roster does the work, selectors find units."""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.org import roster, selectors
from zhengdun.org.access import ROSTER_IMPORT_ROLES, access_policy, get_scope
from zhengdun.org.models import Unit
from zhengdun.org.views import client_ip

ERRORS_SHOWN = 500
_REPORT_TTL = 24 * 3600
_SESSION_KEY = "roster_error_reports"


def _reports_dir() -> Path:
    return Path(settings.VAR_DIR) / "roster-reports"


def _store_report(request, errors) -> str:
    """Keep the .xlsx error report for this session to download (no personal data in it)."""
    folder = _reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.xlsx"):
        if now - old.stat().st_mtime > _REPORT_TTL:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.xlsx").write_bytes(roster.error_report_xlsx(errors))
    request.session[_SESSION_KEY] = ([token] + request.session.get(_SESSION_KEY, []))[:10]
    return token


def _export_units(scope) -> list[Unit]:
    return list(selectors.unit_list(scope=scope).only("id", "name", "depth", "code"))


@access_policy(*ROSTER_IMPORT_ROLES)
def roster_import(request):
    scope = get_scope(request)
    context = {"max_mb": settings.ROSTER_IMPORT_MAX_BYTES / 1048576, "units": _export_units(scope),
               "officer_headers": roster.OFFICER_HEADERS, "relative_headers": roster.RELATIVE_HEADERS}
    if request.method != "POST":
        return render(request, "org/roster_import.html", context)
    upload = request.FILES.get("file")
    dry_run = bool(request.POST.get("dry_run"))
    if upload is None:
        context["file_error"] = _("请选择要导入的 .xlsx 或 .csv 文件")
        return render(request, "org/roster_import.html", context, status=400)
    try:
        roster.check_upload(upload.name, upload.size)
        result = roster.roster_import(actor=request.user, fileobj=upload, name=upload.name, dry_run=dry_run,
                                      size=upload.size, ip=client_ip(request))
    except roster.RosterFileError as exc:
        context["file_error"] = str(exc)
        return render(request, "org/roster_import.html", context, status=400)
    token = _store_report(request, result.errors) if result.errors else ""
    return render(request, "org/roster_result.html", {
        "result": result, "file_name": upload.name, "errors": result.errors[:ERRORS_SHOWN],
        "errors_total": len(result.errors), "errors_capped": len(result.errors) > ERRORS_SHOWN,
        "report_token": token,
    })


@access_policy(*ROSTER_IMPORT_ROLES)
def roster_error_report(request):
    token = request.GET.get("token", "")
    if not token or token not in request.session.get(_SESSION_KEY, []):
        raise Http404(_("错误报告不存在或已过期"))
    path = _reports_dir() / f"{token}.xlsx"
    if not path.exists():
        raise Http404(_("错误报告不存在或已过期"))
    return FileResponse(path.open("rb"), as_attachment=True, filename="名册导入错误报告.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@access_policy(*ROSTER_IMPORT_ROLES)
def roster_template(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt == "xlsx":
        response = HttpResponse(roster.template_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = "attachment; filename*=UTF-8''%E5%90%8D%E5%86%8C%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
        return response
    if fmt == "csv":
        kind = "relatives" if request.GET.get("kind") == "relatives" else "officers"
        response = HttpResponse(roster.template_csv(kind), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="roster-{kind}-template.csv"'
        return response
    raise Http404(_("没有这种模板"))


@access_policy(*roster.EXPORT_ROLES)
def roster_export(request):
    scope = get_scope(request)
    unit = None
    unit_id = request.GET.get("unit")
    if unit_id:
        unit = selectors.unit_list(scope=scope).filter(pk=unit_id).first() if unit_id.isdigit() else None
        if unit is None:
            raise Http404(_("未找到该单位"))
    out = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        roster.roster_export(actor=request.user, unit=unit, out=out, ip=client_ip(request))
    except PermissionDenied:
        out.close()
        raise Http404(_("未找到该单位"))
    out.seek(0)
    name = f"名册_{unit.code if unit else '全部'}_{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(out, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
