"""Roster import/export over the API (same rules and scoping as the pages; see docs/roster.md)."""

import tempfile

from django.http import FileResponse, Http404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from zhengdun.org import roster, selectors
from zhengdun.org.access import ROSTER_IMPORT_ROLES, get_scope
from zhengdun.org.api_auth import ApiHttpError, api_policy

router = Router(tags=["roster"])


class RowErrorOut(Schema):
    sheet: str
    row: int
    column: str
    message: str


class CountsOut(Schema):
    created: int
    updated: int
    unchanged: int


class ImportOut(Schema):
    created: int
    updated: int
    unchanged: int
    officers: CountsOut
    relatives: CountsOut
    dry_run: bool
    saved: bool
    rows: int
    errors: list[RowErrorOut]


class InvalidRowsOut(ImportOut):
    code: str
    message: str


@router.post("/import", response={200: ImportOut, 400: InvalidRowsOut})
@api_policy(*ROSTER_IMPORT_ROLES)
def roster_import(request, file: File[UploadedFile], dry_run: Form[bool] = False):
    """Import officers (sheet 干警) and relatives (sheet 亲属) from .xlsx or one table from .csv.
    All-or-nothing: with any bad row the answer is 400 `invalid_rows` listing every problem."""
    try:
        roster.check_upload(file.name, file.size)
        result = roster.roster_import(actor=request.user, fileobj=file, name=file.name, dry_run=dry_run,
                                      size=file.size, ip=request.META.get("REMOTE_ADDR", ""))
    except roster.RosterFileError as exc:
        raise ApiHttpError(400, "invalid_file", str(exc))
    body = result.as_dict()
    if result.errors:
        return Status(400, {"code": "invalid_rows", "message": f"{len(result.errors)} 处错误，未导入任何数据", **body})
    return Status(200, body)


@router.get("/export")
@api_policy(*roster.EXPORT_ROLES)
def roster_export(request, unit: int | None = None):
    """The roster of a unit's subtree (or the caller's whole scope) as .xlsx, in the import format."""
    scope = get_scope(request)
    target = None
    if unit is not None:
        target = selectors.unit_list(scope=scope).filter(pk=unit).first()
        if target is None:
            raise Http404
    out = tempfile.TemporaryFile(suffix=".xlsx")
    roster.roster_export(actor=request.user, unit=target, out=out, ip=request.META.get("REMOTE_ADDR", ""))
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"roster-{target.code if target else 'all'}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
