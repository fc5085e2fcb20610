"""Screening on the platform: register a data set, run the engine as a background task,
review hits, export them. Clue data is confidential: only clue handlers reach it."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import socket
import tempfile
import uuid
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from zhengdun.audit.chain import audited, record
from zhengdun.org.access import scope_for
from zhengdun.org.models import (
    Officer,
    OfficerCategory,
    OfficerStatus,
    Relation,
    Relative,
    Role,
    Unit,
    UnitKind,
    User,
)
from zhengdun.screening import engine_adapter
from zhengdun.screening.models import (
    MATCH_LABELS,
    REGISTRY_LABELS,
    RULE_NAMES,
    RULES,
    DatasetSource,
    ReviewStatus,
    RosterSource,
    RunStatus,
    ScreeningDataset,
    ScreeningHit,
    ScreeningRun,
)
from zhengdun.screening.selectors import HANDLER_ROLES

CONTRACT_STEMS = ("roster", "relatives", "enterprises", "lawyers", "cases")
ALLOWED_SUFFIXES = (".csv", ".parquet")


def _require_handler(actor: User, unit: Unit | None = None):
    scope = scope_for(actor, only_roles=HANDLER_ROLES)
    if not scope.has_role(Role.CLUE_HANDLER):
        raise PermissionDenied(_("只有线索核查人员可以使用数据排查"))
    if unit is not None and not scope.can_read_unit(unit):
        raise PermissionDenied(_("该单位不在您的管辖范围内"))
    return scope


def fingerprint(rule: str, officer_key: str, subject: str, registry: str, record_key: str) -> str:
    return hashlib.sha1("\x1f".join([rule, officer_key, subject, registry, record_key]).encode()).hexdigest()


# --- data sets ---------------------------------------------------------------------------------

def dataset_register_upload(*, actor: User, unit: Unit, name: str, files: list) -> ScreeningDataset:
    """Save uploaded contract files into a new folder and check them; a bad set saves nothing.

    Only the quick check runs here (see `_check_folder`); every row is validated by the run."""
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
            path = Path(upload.name)  # saved as the engine looks for it: "lawyers.CSV" -> "lawyers.csv"
            with open(folder / f"{path.stem}{path.suffix.lower()}", "wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        counts = _check_folder(folder)
        with audited(actor=actor, action="screening.dataset_register"):
            return ScreeningDataset.objects.create(unit=unit, name=name.strip(), source=DatasetSource.UPLOAD,
                                                   folder=str(folder), files=counts, created_by=actor)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def dataset_register_server(*, actor: User, unit: Unit, name: str, path: str) -> ScreeningDataset:
    """Register a folder already on the server (large extracts); it must lie under an allowed root.

    A province's extracts take a minute to validate row by row, so the request only checks files,
    headers and encoding; the background run validates every row and fails naming file and column."""
    _require_handler(actor, unit)
    if not name.strip():
        raise ValidationError({"name": _("请填写数据集名称")})
    try:
        folder = Path(path.strip()).expanduser().resolve()
        roots = _server_roots()
        inside = any(folder == root or root in folder.parents for root in roots)
        exists = inside and folder.is_dir()
    except (OSError, RuntimeError) as exc:  # a name too long, a loop of links
        raise ValidationError({"path": _("服务器目录无法使用：%(error)s")
                               % {"error": getattr(exc, "strerror", None) or exc}}) from None
    if not inside:
        raise ValidationError({"path": _("服务器目录必须位于允许的目录之下：%(roots)s")
                               % {"roots": "、".join(str(r) for r in roots) or _("（未配置）")}})
    if not exists:
        raise ValidationError({"path": _("服务器目录不存在：%(path)s") % {"path": folder}})
    _check_files_inside_roots(folder)
    counts = _check_folder(folder)
    with audited(actor=actor, action="screening.dataset_register"):
        return ScreeningDataset.objects.create(unit=unit, name=name.strip(), source=DatasetSource.SERVER,
                                               folder=str(folder), files=counts, created_by=actor)


def _server_roots() -> list[Path]:
    return [Path(r).resolve() for r in settings.SCREENING_SERVER_ROOTS]


def _check_files_inside_roots(folder: Path) -> None:
    """A contract file in a server folder may be a link, but what it points to must also lie under
    an allowed root (checked at registration and again when a run reads the folder)."""
    roots = _server_roots()
    outside = []
    try:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in ALLOWED_SUFFIXES and path.stem in CONTRACT_STEMS:
                target = path.resolve(strict=True)
                if not any(root in target.parents for root in roots):
                    outside.append(path.name)
    except (OSError, RuntimeError) as exc:  # gone, unreadable, a link to nothing or a loop of links
        raise ValidationError({"path": _("服务器目录或其中的文件无法读取：%(folder)s（%(error)s）")
                               % {"folder": folder, "error": getattr(exc, "strerror", None) or exc}}) from None
    if outside:
        raise ValidationError({"path": _("以下文件指向允许目录之外，不能使用：%(files)s") % {"files": "、".join(outside)}})


def _check_folder(folder: Path) -> dict:
    """Files present, one per stem, header with the required columns, readable UTF-8 or Parquet.
    Returns stem -> rows, or None where the first run counts them (CSV)."""
    try:
        counts = engine_adapter.check(folder)
    except engine_adapter.InputError as exc:
        raise ValidationError({"files": _("数据文件检查未通过（未保存任何内容）：%(error)s") % {"error": exc}}) from None
    if not any(stem in counts for stem in ("enterprises", "lawyers", "cases")):
        raise ValidationError({"files": _("数据集至少需要一个登记库文件：enterprises、lawyers 或 cases")})
    return counts


def dataset_runnable_rules(*, dataset: ScreeningDataset) -> list[str]:
    """Rules whose registry files the data set has (the engine skips the others)."""
    return [r for r in RULE_NAMES if all(stem in dataset.files for stem in engine_adapter.RULE_NEEDS[r])]


# --- runs --------------------------------------------------------------------------------------

def dataset_default_roster_source(*, dataset: ScreeningDataset) -> str:
    """The data set's own roster and relatives files when it has them, else the platform's roster."""
    return RosterSource.DATASET if dataset.has_own_roster else RosterSource.PLATFORM


def run_start(*, actor: User, dataset: ScreeningDataset, as_of: date | None = None, engine: str = "duckdb",
              rules: list[str] | None = None, roster_source: str | None = None, unit: Unit | None = None,
              background: bool = True) -> ScreeningRun:
    """Queue a run (background=False: run it here and return it finished — the demo seeding, which
    must not leave a task for a worker). The run it is compared with is chosen when its hits are
    stored (`_compared_run`), so a run queued behind another is compared with that one once it has
    finished. Without a roster source the data set's default is used (`dataset_default_roster_source`)."""
    _require_handler(actor, dataset.unit)
    roster_source = roster_source or dataset_default_roster_source(dataset=dataset)
    if rules is not None and not rules:
        raise ValidationError({"rules": _("请至少选择一条规则")})
    rules = list(dict.fromkeys(rules or RULE_NAMES))
    unknown = [r for r in rules if r not in RULE_NAMES]
    if unknown:
        raise ValidationError({"rules": _("未知规则：%(rules)s") % {"rules": "、".join(unknown)}})
    if engine not in ("duckdb", "spark"):
        raise ValidationError({"engine": _("引擎只能是 duckdb 或 spark")})
    if as_of is not None and as_of.year < 1900:
        raise ValidationError({"as_of": _("排查基准日不能早于 1900 年")})
    if roster_source not in RosterSource.values:
        raise ValidationError({"roster_source": _("排查对象无效")})
    if roster_source == RosterSource.DATASET and not dataset.has_own_roster:
        raise ValidationError({"roster_source": _("该数据集不含 roster 和 relatives 文件，请选择使用本平台名册")})
    unit = unit or dataset.unit
    if unit.pk != dataset.unit_id:
        _require_handler(actor, unit)
        if not unit.path.startswith(dataset.unit.path):
            raise ValidationError({"unit": _("排查单位须为数据集所属单位或其下级单位")})
        if roster_source == RosterSource.DATASET:
            raise ValidationError({"unit": _("使用数据集名册时，排查单位须为数据集所属单位")})
    with audited(actor=actor, action="screening.run_start"):
        run = ScreeningRun.objects.create(unit=unit, dataset=dataset, roster_source=roster_source,
                                          as_of=as_of or timezone.localdate(), engine=engine, rules=",".join(rules),
                                          created_by=actor, stage=_queued_stage())
    if not background:
        return run_execute(run.pk)
    from zhengdun.screening.tasks import execute_run

    transaction.on_commit(lambda: execute_run.enqueue(run.pk))
    return run


def _queued_stage() -> str:
    """Stages are stored as text in the site's language (the worker writes the later ones so)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("排队等待执行")


def _set_progress(run: ScreeningRun, progress: int, stage: str) -> None:
    with audited(actor=None, action="screening.run_progress"):
        ScreeningRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(progress=progress, stage=stage[:200])


class RunEnded(Exception):
    """The run is no longer running (it was failed meanwhile); nothing more is written for it."""


class HitStoreError(Exception):
    """The engine's output cannot be stored as it is; the run fails with this message."""


def run_execute(run_id: int) -> ScreeningRun:
    """Body of the background task: prepare input, run the engine (which validates every row of the
    data set first), store hits with new/old marks. Any failure ends the run with a message for people."""
    run = ScreeningRun.objects.select_related("dataset", "unit").get(pk=run_id)
    with audited(actor=None, action="screening.run_begin"):
        # only a queued run starts: a task delivered twice, or a finished run, is left as it is
        started = ScreeningRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=timezone.now(), progress=1, stage=_("准备输入数据"),
            worker=worker_id())
    if not started:
        return run
    workdir = Path(tempfile.mkdtemp(prefix="zd-screen-"))
    try:
        if run.dataset.source == DatasetSource.SERVER:
            # the folder may have gone, or a file been relinked, since it was registered
            _check_files_inside_roots(Path(run.dataset.folder))
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

        outcome = engine_adapter.screen(data_dir, as_of=run.as_of, engine=run.engine, rules=run.rule_list,
                                        progress=progress)
        listed = _dataset_people(run, data_dir) if run.roster_source == RosterSource.DATASET and outcome.rows else {}
        _store_hits(run, outcome, officers_by_key, listed)
    except engine_adapter.InputError as exc:
        _fail(run, _input_error_message(exc))
    except RunEnded:
        pass
    except HitStoreError as exc:
        _fail(run, str(exc))
    except ValidationError as exc:
        _fail(run, " ".join(exc.messages))
    except Exception as exc:  # noqa: BLE001 - any failure ends the run with its message shown to the user
        _fail(run, _("排查运行失败：%(error)s") % {"error": exc})
    except BaseException:  # the worker is being stopped: the run must not stay "running"
        _fail(run, _("排查运行被中断（执行进程已停止），请重新运行"))
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    run.refresh_from_db()
    return run


def _input_error_message(exc: engine_adapter.InputError) -> str:
    """The run's failure in Chinese: where the problem is (file, column), then the engine's own
    report, which is English and names the row or value."""
    if exc.file and exc.column:
        where = _("问题在文件 %(file)s 的 %(column)s 列。") % {"file": exc.file, "column": exc.column}
    elif exc.file:
        where = _("问题在文件 %(file)s。") % {"file": exc.file}
    else:
        where = ""
    return _("数据校验未通过，未保存任何命中。%(where)s请修正数据文件（上传的数据集须重新登记）后再运行。引擎报告：%(error)s") % {
        "where": where, "error": exc}


def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux /proc), "" where /proc is not there, None if no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        if not os.path.isdir("/proc/self"):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return None
            except PermissionError:
                pass
            return ""
        return None
    except (OSError, IndexError):
        return ""


def _pid_namespace() -> str:
    """Which PID numbering this process sees (containers on one host may each have their own)."""
    try:
        return os.readlink("/proc/self/ns/pid").strip("pid:[]")
    except OSError:
        return ""


def worker_id() -> str:
    """host:pid-namespace:pid:start-time of this process."""
    return f"{socket.gethostname()}:{_pid_namespace()}:{os.getpid()}:{_process_start(os.getpid()) or ''}"


def _worker_gone(worker: str) -> bool:
    """True when the process that ran a run was on this host, in this PID namespace, and has
    stopped (killed, machine restarted) or its PID now belongs to another process. A worker
    elsewhere (another host or container) cannot be checked from here."""
    parts = worker.split(":")
    if len(parts) != 4 or not parts[2].isascii() or not parts[2].isdigit():
        return False
    host, namespace, pid, start = parts
    if host != socket.gethostname() or namespace != _pid_namespace():
        return False
    now = _process_start(int(pid))
    return now is None or bool(start and now and now != start)


def runs_fail_orphaned() -> int:
    """Fail the runs still marked running whose worker process has gone (a SIGKILL or a crash
    leaves no chance to say so); called where runs are shown. Returns how many."""
    running = ScreeningRun.objects.filter(status=RunStatus.RUNNING).exclude(worker="").only("id", "worker")
    return sum(_fail(run, _("排查运行被中断（执行进程已停止），请重新运行")) for run in running
               if _worker_gone(run.worker))


def _fail(run: ScreeningRun, message: str) -> int:
    """End a running run with ``message``; 1 if it was running, else 0 (left as it is)."""
    with audited(actor=None, action="screening.run_failed"):
        return ScreeningRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(status=RunStatus.FAILED, finished_at=timezone.now(),
                                                     error=message[:4000], stage=_("运行失败"))


def _dataset_people(run: ScreeningRun, data_dir: Path) -> dict[str, tuple[str, int | None]]:
    """officer_id -> (name, unit) for a data set's own roster: the unit whose code the roster gives,
    where it lies inside the run's unit (so a county's handlers see the hits about their county's
    officers); None where the code is a unit of this platform outside the run's unit (those hits are
    not the run's to keep); the run's unit where the code is unknown here."""
    roster = engine_adapter.dataset_roster(data_dir)
    codes = {code for _name, code in roster.values() if code}
    known = {code: (pk if path.startswith(run.unit.path) else None)
             for code, pk, path in Unit.objects.filter(code__in=codes).values_list("code", "id", "path")}
    return {key: (name, known.get(code, run.unit_id)) for key, (name, code) in roster.items()}


def _compared_run(run: ScreeningRun, rules: list[str]) -> ScreeningRun | None:
    """The run a re-run is compared with: the latest earlier successful run of the same data set,
    roster source (officer keys differ between the two sources) and unit that ran at least one of
    the same rules. Only the rules both ran are compared; the page says which run and which rules."""
    earlier = (ScreeningRun.objects.filter(dataset_id=run.dataset_id, roster_source=run.roster_source,
                                           unit_id=run.unit_id, status=RunStatus.SUCCEEDED, pk__lt=run.pk)
               .order_by("-pk"))
    for candidate in earlier.only("id", "rules")[:50]:
        if set(candidate.rule_list) & set(rules):
            return candidate
    return None


def _earlier_reviews(run: ScreeningRun) -> dict[str, ScreeningHit]:
    """Latest review of each finding in any earlier run of the data set, so a run with a subset of the
    rules in between does not lose the conclusions about the other rules."""
    reviewed = (ScreeningHit.objects.filter(run__dataset_id=run.dataset_id, run__roster_source=run.roster_source,
                                            run_id__lt=run.pk)
                .exclude(review_status=ReviewStatus.PENDING)
                .only("fingerprint", "review_status", "review_reason", "reviewed_by_id", "reviewed_at")
                .order_by("reviewed_at", "run_id"))
    return {h.fingerprint: h for h in reviewed.iterator(chunk_size=2000)}


SUBJECTS = {"officer", *Relation.values}
_LIMITED = [f for f in ScreeningHit._meta.concrete_fields if getattr(f, "max_length", None)]


def _hit_from_row(run: ScreeningRun, n: int, row: dict, officers_by_key: dict, rules: set[str],
                  listed: dict | None = None) -> ScreeningHit | None:
    """One engine row as a hit; a row outside the contract fails the run naming the row and field,
    instead of a database error half-way through bulk_create."""
    def bad(field: str, reason: str) -> HitStoreError:
        return HitStoreError(_("第 %(n)d 条命中无法保存：字段 %(field)s %(reason)s（值：%(value).60s）")
                             % {"n": n, "field": field, "reason": reason, "value": row.get(field)})

    for field, allowed in (("rule", rules), ("subject", SUBJECTS), ("registry", REGISTRY_LABELS),
                           ("match", MATCH_LABELS)):
        if row.get(field) not in allowed:
            raise bad(field, _("不是约定的取值"))
    for field in ("officer_id", "record_key"):
        if not str(row.get(field) or "").strip():
            raise bad(field, _("为空"))
    try:
        score = float(row["score"])
    except (TypeError, ValueError, KeyError):
        raise bad("score", _("不是数字")) from None
    if not 0 <= score <= 1:
        raise bad("score", _("不在 0–1 之间"))
    officer_key = str(row["officer_id"])
    officer = officers_by_key.get(officer_key)
    if officer is not None:
        officer_name, unit_id = officer.name, officer.unit_id
    else:
        officer_name, unit_id = (listed or {}).get(officer_key, ("", run.unit_id))
        if unit_id is None:  # an officer of a unit outside the run's
            return None
    hit = ScreeningHit(
        run=run, unit_id=unit_id, rule=row["rule"], officer_key=officer_key,
        officer=officer, officer_name=officer_name[:ScreeningHit._meta.get_field("officer_name").max_length],
        subject=row["subject"],
        subject_name=str(row.get("subject_name") or ""), registry=row["registry"], record_key=str(row["record_key"]),
        match=row["match"], score=score, evidence=str(row.get("evidence") or ""),
        fingerprint=fingerprint(row["rule"], officer_key, row["subject"], row["registry"], str(row["record_key"])))
    for field in ("subject_name", "record_key", "evidence", "officer_name"):
        value = getattr(hit, field)
        if "\x00" in value:  # PostgreSQL text cannot hold NUL
            setattr(hit, field, value.replace("\x00", "\ufffd"))
    for field in _LIMITED:
        value = getattr(hit, field.attname)
        if isinstance(value, str) and len(value) > field.max_length:
            raise bad(field.name, _("超过 %(max)d 个字符") % {"max": field.max_length})
    return hit


def _store_hits(run: ScreeningRun, outcome: engine_adapter.Outcome, officers_by_key: dict,
                listed: dict | None = None) -> None:
    rules_run = [r for r in run.rule_list if r in outcome.rules_run]
    previous = _compared_run(run, rules_run)
    compared = set(previous.rule_list) & set(rules_run) if previous else set()
    seen_before = set()
    if previous is not None:
        seen_before = set(ScreeningHit.objects.filter(run=previous, rule__in=compared)
                          .values_list("fingerprint", flat=True))
    reviews = _earlier_reviews(run)
    hits, fingerprints, summary, outside = [], set(), dict.fromkeys(rules_run, 0), 0
    for n, row in enumerate(outcome.rows, start=1):
        hit = _hit_from_row(run, n, row, officers_by_key, set(rules_run), listed)
        if hit is None:
            outside += 1
            continue
        if hit.fingerprint in fingerprints:
            raise HitStoreError(_("第 %(n)d 条命中与前面的命中重复（规则、干警、对象、登记记录均相同），引擎输出不符合约定")
                                % {"n": n})
        fingerprints.add(hit.fingerprint)
        # New: the compared run ran this rule and did not report the finding (a rule not compared,
        # and every hit of a first run, is not "new": there is nothing it is new against).
        hit.is_new = hit.rule in compared and hit.fingerprint not in seen_before
        before = reviews.get(hit.fingerprint)
        if before is not None:
            # A finding reviewed in an earlier run keeps its conclusion.
            hit.review_status, hit.review_reason = before.review_status, before.review_reason
            hit.reviewed_by_id, hit.reviewed_at = before.reviewed_by_id, before.reviewed_at
        hits.append(hit)
        summary[hit.rule] += 1
    stage = _("完成：命中 %(n)d 条") % {"n": len(hits)}
    if outside:
        stage += _("；%(n)d 条涉及本单位以外单位的干警，未保存") % {"n": outside}
    skipped = {r: why for r, why in outcome.rules_skipped.items() if r in run.rule_list}
    if skipped:
        labels = dict(RULES)
        stage += _("；未运行：%(rules)s（数据集缺少所需文件）") % {"rules": "、".join(str(labels.get(r, r)) for r in skipped)}
    files = dict(run.dataset.files)
    own = [s for s in files if run.roster_source == RosterSource.DATASET or s not in ("roster", "relatives")]
    files.update({s: outcome.counts[s] for s in own if s in outcome.counts})
    try:
        with audited(actor=None, action="screening.run_store"):
            ScreeningHit.objects.bulk_create(hits, batch_size=2000)
            stored = ScreeningRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.SUCCEEDED, finished_at=timezone.now(), progress=100, summary=summary,
                rules=",".join(rules_run), previous=previous, stage=stage[:200])
            if not stored:  # failed meanwhile (its worker taken for gone): the hits go with it
                raise RunEnded
            if files != run.dataset.files:  # rows counted by the engine's full read (CSV: first run)
                ScreeningDataset.objects.filter(pk=run.dataset_id).update(files=files)
    except DatabaseError as exc:
        raise HitStoreError(_("命中结果无法写入数据库，本次运行未保存任何命中：%(error)s") % {"error": exc}) from None


# Contract roles (screening.md: roster.role). Only 政法干警 carry the role of their unit's kind:
# auxiliaries (辅警, 聘用制书记员) and others are "other", so departed_lawyer, which concerns
# departed judges and prosecutors, never flags them. Every 政法干警 of a court is "judge" whatever
# the position says: positions such as 庭长、院长、执行局局长 are judges without saying 法官, and the
# rules on court staff practising law after leaving cover the court's staff, not only 员额法官.
ROLE_BY_KIND = {UnitKind.COURT: "judge", UnitKind.PROCURATORATE: "prosecutor", UnitKind.POLICE: "police",
                UnitKind.STATE_SECURITY: "police", UnitKind.JUSTICE: "justice", UnitKind.COMMITTEE: "committee"}


def contract_role(officer: Officer) -> str:
    if officer.category != OfficerCategory.OFFICER:
        return "other"
    return ROLE_BY_KIND.get(officer.unit.kind, "other")


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
                             o.unit.division_code, contract_role(o), "departed" if departed else "serving",
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

def hit_viewed(*, actor: User, hit: ScreeningHit, ip: str = "") -> None:
    """A hit (its evidence about a person) is confidential: log who opened it."""
    record(actor=actor, action="screening.hit_view", op="read", object_type=ScreeningHit._meta.db_table,
           object_id=hit.pk, unit_id=hit.unit_id, ip=ip)


def hits_listed(*, actor: User, run: ScreeningRun, ip: str = "") -> None:
    """A run's hits were listed: log who read them."""
    record(actor=actor, action="screening.hits_view", op="read", object_type=ScreeningRun._meta.db_table,
           object_id=run.pk, unit_id=run.unit_id, ip=ip)


def leads_listed(*, actor: User, ip: str = "") -> None:
    """The confirmed leads were listed: log who read them."""
    record(actor=actor, action="screening.leads_view", op="read", object_type=ScreeningHit._meta.db_table, ip=ip)


CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def hit_review(*, actor: User, hit: ScreeningHit, status: str, reason: str) -> ScreeningHit:
    """Confirm a hit as a lead or mark it a false positive (a reason is required), or withdraw the
    conclusion (pending). A conclusion is the finding's: it is written to the finding's hit in every
    run of the data set (same roster source and fingerprint), so each run's page, its export and the
    leads agree; the audit chain keeps the history."""
    scope = _require_handler(actor, hit.unit)
    if status not in (ReviewStatus.CONFIRMED, ReviewStatus.FALSE_POSITIVE, ReviewStatus.PENDING):
        raise ValidationError({"status": _("研判结论无效")})
    reason = (reason or "").strip()
    if CONTROL_CHARS.search(reason):
        raise ValidationError({"reason": _("研判理由含有不可见的控制字符，请删除后再提交")})
    if status != ReviewStatus.PENDING and len(reason) < 2:
        raise ValidationError({"reason": _("请填写研判理由")})
    limit = ScreeningHit._meta.get_field("review_reason").max_length
    if len(reason) > limit:
        raise ValidationError({"reason": _("研判理由不能超过 %(limit)d 个字（现为 %(n)d 个字）") % {"limit": limit, "n": len(reason)}})
    with audited(actor=actor, action="screening.hit_review"):
        hit.review_status, hit.review_reason = status, reason
        hit.reviewed_by, hit.reviewed_at = actor, timezone.now()
        hit.save(update_fields=["review_status", "review_reason", "reviewed_by", "reviewed_at"])
        (ScreeningHit.objects.within(scope)
         .filter(run__dataset_id=hit.run.dataset_id, run__roster_source=hit.run.roster_source,
                 fingerprint=hit.fingerprint).exclude(pk=hit.pk)
         .update(review_status=status, review_reason=reason, reviewed_by=actor, reviewed_at=hit.reviewed_at))
    return hit


EXPORT_HEADERS = [
    _l("规则"), _l("干警编号"), _l("干警姓名"), _l("对象"), _l("对象姓名"), _l("登记库"), _l("登记记录"), _l("匹配方式"), _l("置信度"),
    _l("依据"), _l("本次新增"), _l("研判结论"), _l("研判理由"), _l("数据集"), _l("运行编号"), _l("命中编号"), _l("线索标识")
]
# A spreadsheet reads a cell starting with one of these as a formula (=HYPERLINK(...), +cmd|...);
# values from uploaded registries are written as text cells that stay text when edited.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _export_row(sheet, values: list) -> list:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    row = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters: not allowed in .xlsx
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type, cell.quotePrefix = "s", True
            value = cell
        row.append(value)
    return row


def hits_export_xlsx(*, actor: User, hits, run: ScreeningRun | None = None) -> bytes:
    """Hits as .xlsx for the clue handlers — the ticked or filtered hits of a run, or the confirmed
    leads (run None). Rows outside the actor's scope are dropped; the export is an audited read.
    Each row carries data set, run and hit number and the lead key, the stable link back."""
    from openpyxl import Workbook

    scope = _require_handler(actor, run.unit if run is not None else None)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("排查命中"))
    sheet.append([str(h) for h in EXPORT_HEADERS])
    count = 0
    for h in hits.within(scope).select_related("run__dataset").iterator(chunk_size=2000):
        sheet.append(_export_row(sheet, [
            h.get_rule_display(), h.officer_key, h.officer_name, h.subject_label, h.subject_name, h.registry_label,
            h.record_key, h.match_label, round(h.score, 3), h.evidence, _("是") if h.is_new else _("否"),
            h.get_review_status_display(), h.review_reason, h.run.dataset.name, h.run_id, h.id, h.lead_key]))
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(actor=actor, action="screening.hits_export", op="read", object_type="screening_screeninghit",
           object_id=f"run:{run.pk}" if run is not None else "leads", unit_id=run.unit_id if run is not None else None,
           after={"rows": count})
    return buffer.getvalue()
