"""Writing, sealing, checkpointing and verifying the audit chain.

`audited(actor=…, action=…)` opens the transaction every service writes in: it tells
the database triggers who is acting, and before the transaction commits it seals the
new entries into the hash chain. Checkpoints of the chain head are signed (HMAC) and
kept outside the database, so a rewrite of the whole tail is still detected.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from zhengdun.audit.models import AuditContext, AuditEntry, AuditSeal

GENESIS = "0" * 64
_LOCK_KEY = 0x5A4844  # PostgreSQL advisory lock serialising audited transactions
_current: contextvars.ContextVar[dict | None] = contextvars.ContextVar("zhengdun_audit_ctx", default=None)


def _set_db_context(ctx: dict | None) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for key in ("actor_id", "actor_name", "action", "ip"):
                value = "" if ctx is None or ctx.get(key) is None else str(ctx[key])
                cursor.execute("SELECT set_config(%s, %s, true)", [f"zhengdun.{key}", value])
    else:
        AuditContext.objects.all().delete()
        if ctx is not None:
            AuditContext.objects.create(actor_id=ctx["actor_id"], actor_name=ctx["actor_name"],
                                        action=ctx["action"], ip=ctx["ip"])


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is None or not getattr(actor, "pk", None):
        return None, "system"
    return actor.pk, actor.get_username()


@contextmanager
def audited(*, actor, action: str, ip: str = "") -> Iterator[None]:
    """Run a write in one transaction whose row changes are audited as `action` by `actor`."""
    outer = _current.get()
    actor_id, actor_name = _actor_fields(actor)
    ctx = {"actor_id": actor_id, "actor_name": actor_name, "action": action, "ip": ip or (outer or {}).get("ip", "")}
    with transaction.atomic():
        if outer is None and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        token = _current.set(ctx)
        _set_db_context(ctx)
        try:
            yield
        finally:
            _current.reset(token)
        _set_db_context(outer)
        if outer is None:
            seal_pending()


def record(*, actor, action: str, op: str, object_type: str, object_id="", unit_id=None,
           before: dict | None = None, after: dict | None = None, ip: str = "") -> AuditEntry:
    """Append an application entry (a confidential read, a sign-in) to the chain."""
    actor_id, actor_name = _actor_fields(actor)
    with audited(actor=actor, action=action, ip=ip):
        return AuditEntry.objects.create(
            at=_now(), actor_id=actor_id, actor_name=actor_name, action=action, op=op,
            object_type=object_type, object_id=str(object_id or ""), unit_id=unit_id,
            before=_dump(before), after=_dump(after), source="app", ip=ip or (_current.get() or {}).get("ip", ""),
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dump(value: dict | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


_FIELDS = ("id", "at", "actor_id", "actor_name", "action", "op", "object_type", "object_id", "unit_id",
           "before", "after", "source", "ip")


def entry_hash(seq: int, prev_hash: str, row: tuple) -> str:
    parts = [str(seq), prev_hash] + ["" if v is None else str(v) for v in row]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def seal_pending() -> int:
    """Chain every entry written since the last seal, in id order. Returns how many were sealed.

    Plain SQL (one SELECT per 5,000 entries, one executemany INSERT of their seals): a bulk import
    writes hundreds of thousands of entries in one transaction, and ORM row building and
    bulk_create compilation would cost more than the hashing itself."""
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash", "entry_id").first()
    seq, prev, last_entry = last if last else (0, GENESIS, 0)
    sealed = 0
    qn = connection.ops.quote_name
    entries, seals_table = qn(AuditEntry._meta.db_table), qn(AuditSeal._meta.db_table)
    select = (f"SELECT {', '.join(qn(AuditEntry._meta.get_field(f).column) for f in _FIELDS)} FROM {entries} "
              f"WHERE {qn('id')} > %s ORDER BY {qn('id')} LIMIT 5000")
    insert = (f"INSERT INTO {seals_table} ({qn('seq')}, {qn('entry_id')}, {qn('prev_hash')}, {qn('hash')}) "
              f"VALUES (%s, %s, %s, %s)")
    with connection.cursor() as cursor:
        while True:
            cursor.execute(select, [last_entry])
            rows = cursor.fetchall()
            if not rows:
                break
            seals = []
            for row in rows:
                seq += 1
                digest = entry_hash(seq, prev, row)
                seals.append((seq, row[0], prev, digest))
                prev = digest
            cursor.executemany(insert, seals)
            last_entry = rows[-1][0]
            sealed += len(rows)
    if sealed and _checkpoint_due(seq, sealed):
        head = (seq, prev)
        transaction.on_commit(lambda: write_checkpoint(*head))
    return sealed


# --- checkpoints -------------------------------------------------------------------------------

def checkpoint_dir() -> Path:
    name = str(connection.settings_dict.get("NAME") or "default")
    host = str(connection.settings_dict.get("HOST") or "local")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{connection.vendor}-{host}-{Path(name).name}")
    return Path(settings.AUDIT_CHECKPOINT_DIR) / slug


def _sign(payload: dict) -> str:
    message = f"{payload['seq']}:{payload['hash']}:{payload['at']}".encode()
    return hmac.new(settings.AUDIT_SIGNING_KEY, message, hashlib.sha256).hexdigest()


def _checkpoint_due(seq: int, sealed: int) -> bool:
    every = max(1, settings.AUDIT_CHECKPOINT_EVERY)
    return (seq // every) > ((seq - sealed) // every)


def write_checkpoint(seq: int | None = None, head_hash: str | None = None) -> Path | None:
    """Write a signed checkpoint of the chain head (the latest seal unless given)."""
    if seq is None:
        last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
        if not last:
            return None
        seq, head_hash = last
    folder = checkpoint_dir()
    folder.mkdir(parents=True, exist_ok=True)
    payload = {"seq": seq, "hash": head_hash, "at": _now()}
    payload["signature"] = _sign(payload)
    path = folder / f"checkpoint-{seq:012d}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload))
    tmp.replace(path)
    return path


def load_checkpoints() -> list[dict]:
    folder = checkpoint_dir()
    result = []
    for path in sorted(folder.glob("checkpoint-*.json")) if folder.exists() else []:
        try:
            data = json.loads(path.read_text())
            data["_file"] = path.name
        except (OSError, ValueError):
            data = {"_file": path.name, "_unreadable": True}
        result.append(data)
    return result


# --- verification ------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool = True
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None

    def fail(self, message: str, seq: int | None = None) -> None:
        if self.ok:
            self.first_bad_seq = seq
        self.ok = False
        self.problems.append(message)


def verify(*, stop_at_first: bool = True) -> VerifyResult:
    """Recompute the chain; report the first entry edited, removed, reordered or forged."""
    result = VerifyResult()
    expected_seq, prev = 0, GENESIS
    hashes: dict[int, str] = {}
    last_entry_id = 0
    seen_entries = 0
    cursor_seq = 0
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=cursor_seq).order_by("seq")
                     .values_list("seq", "entry_id", "prev_hash", "hash")[:5000])
        if not seals:
            break
        entries = {row[0]: row for row in AuditEntry.objects.filter(id__in=[s[1] for s in seals]).values_list(*_FIELDS)}
        for seq, entry_id, prev_hash, digest in seals:
            expected_seq += 1
            if seq != expected_seq:
                result.fail(f"第 {expected_seq} 号链节缺失：审计记录被删除（下一个链节为第 {seq} 号）", expected_seq)
                expected_seq = seq
            row = entries.get(entry_id)
            if row is None:
                result.fail(f"第 {seq} 号链节对应的审计记录 #{entry_id} 已被删除", seq)
            elif prev_hash != prev:
                result.fail(f"第 {seq} 号链节（记录 #{entry_id}）的前序哈希不符：记录被删除、重排或伪造", seq)
            elif entry_hash(seq, prev_hash, row) != digest:
                result.fail(f"第 {seq} 号链节（记录 #{entry_id}）内容与哈希不符：记录被修改或调换", seq)
            if entry_id <= last_entry_id:
                result.fail(f"第 {seq} 号链节（记录 #{entry_id}）顺序错乱", seq)
            last_entry_id = max(last_entry_id, entry_id)
            prev = digest
            hashes[seq] = digest
            seen_entries += 1
            result.checked += 1
            if stop_at_first and not result.ok:
                return result
        cursor_seq = seals[-1][0]
    # Entries inside the sealed range that carry no seal were slipped in afterwards.
    unsealed_inside = AuditEntry.objects.filter(id__lte=last_entry_id, seal__isnull=True).order_by("id").first()
    if unsealed_inside is not None:
        result.fail(f"审计记录 #{unsealed_inside.id} 不在哈希链中：伪造或事后插入的记录")
        if stop_at_first:
            return result
    pending = AuditEntry.objects.filter(id__gt=last_entry_id).count()
    if pending:
        result.warnings.append(f"{pending} 条审计记录尚未封存入链（直接写入数据库的变更，将在下一次业务写入时封存）")
    for cp in load_checkpoints():
        if cp.get("_unreadable") or not all(k in cp for k in ("seq", "hash", "at", "signature")):
            result.fail(f"检查点文件 {cp['_file']} 无法读取或格式错误")
        elif not hmac.compare_digest(_sign(cp), str(cp["signature"])):
            result.fail(f"检查点文件 {cp['_file']} 签名无效：检查点被伪造或篡改")
        elif cp["seq"] > expected_seq:
            result.fail(f"哈希链只有 {expected_seq} 个链节，但检查点 {cp['_file']} 记录到第 {cp['seq']} 号：链尾被截断", cp["seq"])
        elif hashes.get(cp["seq"]) != cp["hash"]:
            result.fail(f"第 {cp['seq']} 号链节与检查点 {cp['_file']} 不符：链尾被整体改写", cp["seq"])
        if stop_at_first and not result.ok:
            return result
    return result
