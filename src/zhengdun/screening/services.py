"""Screening on the platform: register a data set, run the engine as a background task,
review hits, export them. Clue data is confidential: only clue handlers reach it."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import tempfile
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengdun.audit.chain import audited, record
from zhengdun.org.access import scope_for
from zhengdun.org.models import Officer, OfficerStatus, Relative, Role, Unit, UnitKind, User
from zhengdun.screening import engine_adapter
from zhengdun.screening.models import (
    RULE_NAMES,
    DatasetSource,
    ReviewStatus,
    RosterSource,
    RunStatus,
    ScreeningDataset,
    ScreeningHit,
    ScreeningRun,
)

CONTRACT_STEMS = ("roster", "relatives", "enterprises", "lawyers", "cases")
ALLOWED_SUFFIXES = (".csv", ".parquet")


def _require_handler(actor: User, unit: Unit | None = None):
    scope = scope_for(actor)
    if not scope.has_role(Role.CLUE_HANDLER):
        raise PermissionDenied(_("只有线索核查人员可以使用数据排查"))
    if unit is not None and not scope.can_read_unit(unit):
        raise PermissionDenied(_("该单位不在您的管辖范围内"))
    return scope


def fingerprint(rule: str, officer_key: str, subject: str, registry: str, record_key: str) -> str:
    return hashlib.sha1("\x1f".join([rule, officer_key, subject, registry, record_key]).encode()).hexdigest()


# --- data sets ---------------------------------------------------------------------------------

def dataset_register_upload(*, actor: User, unit: Unit, name: str, files: list) -> ScreeningDataset:
    """Save uploaded contract files into a new folder and validate them; a bad set saves nothing."""
    _require_handler(actor, unit)
    if not name.strip():
        raise ValidationError({"name": _("请填写数据集名称")})
    if not files:
        raise ValidationError({"files": _("请选择要上传的文件")})
    seen = set()
    for upload in files:
        path = Path(upload.name)
        if path.suffix.lower() not in ALLOWED_SUFFIXES or path.stem not in CONTRACT_STEMS:
            raise ValidationError({"files": _("文件「%(name)s」不符合约定：文件名须为 %(stems)s 之一，扩展名为 .csv 或 .parquet")
                                   % {"name": upload.name, "stems": "、".join(CONTRACT_STEMS)}})
        if path.stem in seen:
            raise ValidationError({"files": _("文件「%(stem)s」重复上传") % {"stem": path.stem}})
        seen.add(path.stem)
    folder = Path(settings.MEDIA_ROOT) / "screening" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        for upload in files:
            with open(folder / Path(upload.name).name, "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        counts = _validate_folder(folder, roster_required=False)
        with audited(actor=actor, action="screening.dataset_register"):
            return ScreeningDataset.objects.create(unit=unit, name=name.strip(), source=DatasetSource.UPLOAD,
                                                   folder=str(folder), files=counts, created_by=actor)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def dataset_register_server(*, actor: User, unit: Unit, name: str, path: str) -> ScreeningDataset:
    """Register a folder already on the server (large extracts); it must lie under an allowed root."""
    _require_handler(actor, unit)
    if not name.strip():
        raise ValidationError({"name": _("请填写数据集名称")})
    folder = Path(path).expanduser().resolve()
    roots = [Path(r).resolve() for r in settings.SCREENING_SERVER_ROOTS]
    if not any(folder == root or root in folder.parents for root in roots):
        raise ValidationError({"path": _("服务器目录必须位于允许的目录之下：%(roots)s")
                               % {"roots": "、".join(str(r) for r in roots) or _("（未配置）")}})
    if not folder.is_dir():
        raise ValidationError({"path": _("服务器目录不存在：%(path)s") % {"path": folder}})
    counts = _validate_folder(folder, roster_required=False)
    with audited(actor=actor, action="screening.dataset_register"):
        return ScreeningDataset.objects.create(unit=unit, name=name.strip(), source=DatasetSource.SERVER,
                                               folder=str(folder), files=counts, created_by=actor)


def _validate_folder(folder: Path, *, roster_required: bool) -> dict:
    try:
        counts = engine_adapter.validate(folder, roster_required=roster_required)
    except engine_adapter.InputError as exc:
        raise ValidationError({"files": _("数据文件校验未通过（未保存任何内容）：%(error)s") % {"error": exc}}) from None
    if not any(stem in counts for stem in ("enterprises", "lawyers", "cases")):
        raise ValidationError({"files": _("数据集至少需要一个登记库文件：enterprises、lawyers 或 cases")})
    return counts


# --- runs --------------------------------------------------------------------------------------

def run_start(*, actor: User, dataset: ScreeningDataset, as_of: date | None = None, engine: str = "duckdb",
              rules: list[str] | None = None, roster_source: str = RosterSource.DATASET) -> ScreeningRun:
    _require_handler(actor, dataset.unit)
    rules = list(rules or RULE_NAMES)
    unknown = [r for r in rules if r not in RULE_NAMES]
    if unknown:
        raise ValidationError({"rules": _("未知规则：%(rules)s") % {"rules": "、".join(unknown)}})
    if engine not in ("duckdb", "spark"):
        raise ValidationError({"engine": _("引擎只能是 duckdb 或 spark")})
    if roster_source == RosterSource.DATASET and not {"roster", "relatives"} <= set(dataset.files):
        raise ValidationError({"roster_source": _("该数据集不含 roster 和 relatives 文件，请选择使用本平台名册")})
    previous = (ScreeningRun.objects.filter(dataset=dataset, roster_source=roster_source,
                                            status=RunStatus.SUCCEEDED).order_by("-created_at").first())
    with audited(actor=actor, action="screening.run_start"):
        run = ScreeningRun.objects.create(unit=dataset.unit, dataset=dataset, roster_source=roster_source,
                                          as_of=as_of or timezone.localdate(), engine=engine, rules=",".join(rules),
                                          previous=previous, created_by=actor, stage=_("排队等待执行"))
    from zhengdun.screening.tasks import execute_run

    transaction.on_commit(lambda: execute_run.enqueue(run.pk))
    return run


def _set_progress(run: ScreeningRun, progress: int, stage: str) -> None:
    with audited(actor=None, action="screening.run_progress"):
        ScreeningRun.objects.filter(pk=run.pk).update(progress=progress, stage=stage[:200])


def run_execute(run_id: int) -> ScreeningRun:
    """Body of the background task: prepare input, run the engine, store hits with new/old marks."""
    run = ScreeningRun.objects.select_related("dataset", "unit", "previous").get(pk=run_id)
    with audited(actor=None, action="screening.run_begin"):
        ScreeningRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, started_at=timezone.now(),
                                                     progress=1, stage=_("准备输入数据"))
    workdir = Path(tempfile.mkdtemp(prefix="zd-screen-"))
    try:
        data_dir = Path(run.dataset.folder)
        officers_by_key = {}
        if run.roster_source == RosterSource.PLATFORM:
            data_dir, officers_by_key = _platform_input(run, workdir)
        last = {"p": 0}

        def progress(fraction: float, stage: str) -> None:
            pct = 5 + int(85 * max(0.0, min(1.0, fraction)))
            if pct >= last["p"] + 5 or fraction >= 1:
                last["p"] = pct
                _set_progress(run, pct, stage)

        rows = engine_adapter.screen(data_dir, as_of=run.as_of, engine=run.engine, rules=run.rule_list,
                                     progress=progress)
        _store_hits(run, rows, officers_by_key)
    except Exception as exc:  # noqa: BLE001 - any failure ends the run with its message shown to the user
        with audited(actor=None, action="screening.run_failed"):
            ScreeningRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                         error=str(exc)[:4000], stage=_("运行失败"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run.refresh_from_db()
    return run


def _store_hits(run: ScreeningRun, rows: list[dict], officers_by_key: dict) -> None:
    previous = {}
    if run.previous_id:
        previous = {h.fingerprint: h for h in ScreeningHit.objects.filter(run_id=run.previous_id)}
    hits, summary = [], dict.fromkeys(run.rule_list, 0)
    for row in rows:
        fp = fingerprint(row["rule"], row["officer_id"], row["subject"], row["registry"], row["record_key"])
        officer = officers_by_key.get(row["officer_id"])
        before = previous.get(fp)
        hit = ScreeningHit(
            run=run, unit_id=officer.unit_id if officer else run.unit_id, rule=row["rule"],
            officer_key=row["officer_id"], officer=officer, officer_name=officer.name if officer else "",
            subject=row["subject"], subject_name=row["subject_name"], registry=row["registry"],
            record_key=row["record_key"], match=row["match"], score=float(row["score"]), evidence=row["evidence"],
            fingerprint=fp, is_new=before is None,
        )
        if before is not None and before.review_status != ReviewStatus.PENDING:
            # A finding reviewed in the previous run keeps its conclusion.
            hit.review_status, hit.review_reason = before.review_status, before.review_reason
            hit.reviewed_by_id, hit.reviewed_at = before.reviewed_by_id, before.reviewed_at
        hits.append(hit)
        summary[row["rule"]] = summary.get(row["rule"], 0) + 1
    with audited(actor=None, action="screening.run_store"):
        ScreeningHit.objects.bulk_create(hits, batch_size=2000)
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.SUCCEEDED, finished_at=timezone.now(), progress=100, summary=summary,
            stage=_("完成：命中 %(n)d 条") % {"n": len(hits)})


ROLE_BY_KIND = {UnitKind.COURT: "judge", UnitKind.PROCURATORATE: "prosecutor", UnitKind.POLICE: "police",
                UnitKind.STATE_SECURITY: "police", UnitKind.JUSTICE: "justice", UnitKind.COMMITTEE: "committee"}
ROSTER_COLUMNS = ["officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction", "role", "status",
                  "left_date"]
RELATIVE_COLUMNS = ["officer_id", "relation", "name", "id_number", "birth_date"]


def _platform_input(run: ScreeningRun, workdir: Path) -> tuple[Path, dict]:
    """Write the platform's roster and declared relatives below the run's unit in the contract format,
    next to links to the data set's registry files. Decrypting ID numbers for this is an audited read."""
    officers = list(Officer.objects.filter(unit__path__startswith=run.unit.path).select_related("unit"))
    by_key = {str(o.pk): o for o in officers}
    with open(workdir / "roster.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROSTER_COLUMNS)
        for o in officers:
            departed = o.status in (OfficerStatus.DEPARTED, OfficerStatus.RETIRED)
            writer.writerow([o.pk, o.name, o.reveal_id_number(), o.birth_date.isoformat(), o.unit.code,
                             o.unit.division_code, ROLE_BY_KIND.get(o.unit.kind, "other"),
                             "departed" if departed else "serving",
                             o.left_date.isoformat() if departed and o.left_date else ""])
    relatives = Relative.objects.filter(unit__path__startswith=run.unit.path).only(
        "officer_id", "relation", "name", "id_number_enc")
    with open(workdir / "relatives.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RELATIVE_COLUMNS)
        for r in relatives.iterator(chunk_size=5000):
            number = r.reveal_id_number()
            birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}" if number else ""
            writer.writerow([r.officer_id, r.relation, r.name, number, birth])
    for stem in ("enterprises", "lawyers", "cases"):
        for suffix in ALLOWED_SUFFIXES:
            source = Path(run.dataset.folder) / f"{stem}{suffix}"
            if source.exists():
                (workdir / source.name).symlink_to(source)
    record(actor=run.created_by, action="screening.platform_roster_read", op="read", object_type="org_officer",
           object_id=f"run:{run.pk}", unit_id=run.unit_id, after={"officers": len(officers)})
    return workdir, by_key


# --- review and export -------------------------------------------------------------------------

def hit_review(*, actor: User, hit: ScreeningHit, status: str, reason: str) -> ScreeningHit:
    """Confirm a hit as a lead or mark it a false positive; either way a reason is required."""
    _require_handler(actor, hit.unit)
    if status not in (ReviewStatus.CONFIRMED, ReviewStatus.FALSE_POSITIVE, ReviewStatus.PENDING):
        raise ValidationError({"status": _("研判结论无效")})
    reason = (reason or "").strip()
    if status != ReviewStatus.PENDING and len(reason) < 2:
        raise ValidationError({"reason": _("请填写研判理由")})
    with audited(actor=actor, action="screening.hit_review"):
        hit.review_status, hit.review_reason = status, reason
        hit.reviewed_by, hit.reviewed_at = actor, timezone.now()
        hit.save(update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at"])
    return hit


EXPORT_HEADERS = ["规则", "干警编号", "干警姓名", "对象", "对象姓名", "登记库", "登记记录", "匹配方式", "置信度",
                  "依据", "本次新增", "研判结论", "研判理由"]


def hits_export_xlsx(*, actor: User, run: ScreeningRun, hits) -> bytes:
    """Selected hits as .xlsx for the clue handlers; the export is an audited read."""
    from openpyxl import Workbook

    _require_handler(actor, run.unit)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("排查命中"))
    sheet.append(EXPORT_HEADERS)
    count = 0
    for h in hits:
        sheet.append([h.get_rule_display(), h.officer_key, h.officer_name, h.subject_label, h.subject_name,
                      h.registry_label, h.record_key, h.match_label, round(h.score, 3), h.evidence, "是" if h.is_new else "否",
                      h.get_review_status_display(), h.review_reason])
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(actor=actor, action="screening.hits_export", op="read", object_type="screening_screeninghit",
           object_id=f"run:{run.pk}", unit_id=run.unit_id, after={"rows": count})
    return buffer.getvalue()
