"""Writing, sealing, checkpointing and verifying the audit chain.

`audited(actor=…, action=…)` opens the transaction every service writes in: it tells
the database triggers who is acting, and before the transaction commits it seals the
new entries into the hash chain. Seals are keyed (a MAC under a key derived from the audit
signing key, which is never stored in the database), so nobody with only database access
can recompute them; after every sealing commit the signed chain head is written outside the
database, so removing the newest entries is caught too (see docs/audit.md).
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from zhengdun.audit.models import AuditContext, AuditEntry, AuditSeal

try:  # POSIX: serialise head-file updates of several worker processes
    import fcntl
except ImportError:  # pragma: no cover - Windows development machines
    fcntl = None

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_FILE = "head.json"
_LOCK_KEY = 0x5A4844  # PostgreSQL advisory lock serialising the sealing of the chain
# On PostgreSQL an entry can commit after entries with higher ids were sealed (ids are taken
# when a row is written, not when its transaction commits). Each seal re-checks this many ids
# below the newest sealed one for such late entries; older ones are swept by audit-checkpoint.
LATE_WINDOW = 1000
_BATCH = 5000
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


def _take_lock(*, wait: bool) -> bool:
    """The chain lock, held until the transaction ends. SQLite needs none: its transactions are
    IMMEDIATE, so one writer at a time and ids are taken in commit order."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _max_entry_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(AuditEntry._meta.db_table)}")
        return cursor.fetchone()[0] or 0


@contextmanager
def audited(*, actor, action: str, ip: str = "", wait: bool = True) -> Iterator[None]:
    """Run a write in one transaction whose row changes are audited as `action` by `actor`.

    wait=True (services): on PostgreSQL the chain lock is taken first and held to the commit, so
    audited writes run one after another. wait=False (sign-in records, usage stamps): no waiting
    behind a long write such as a roster import; the entries are sealed at the end if the lock is
    free at that moment, otherwise they stay pending and the lock holder or the next audited write
    seals them."""
    outer = _current.get()
    actor_id, actor_name = _actor_fields(actor)
    ctx = {"actor_id": actor_id, "actor_name": actor_name, "action": action, "ip": ip or (outer or {}).get("ip", "")}
    with transaction.atomic():
        locked = outer is None and wait and _take_lock(wait=True)
        # Where this transaction's own entries start: they are sealed even if entries with higher
        # ids (of concurrent transactions) are sealed before it commits.
        low = _max_entry_id() if outer is None and not wait and connection.vendor == "postgresql" else None
        token = _current.set(ctx)
        _set_db_context(ctx)
        try:
            yield
        finally:
            _current.reset(token)
        _set_db_context(outer)
        if outer is None and (locked or _take_lock(wait=False)):
            seal_pending(low=low)


def record(*, actor, action: str, op: str, object_type: str, object_id="", unit_id=None,
           before: dict | None = None, after: dict | None = None, ip: str = "", wait: bool = True) -> AuditEntry:
    """Append an application entry (a confidential read, a sign-in) to the chain."""
    actor_id, actor_name = _actor_fields(actor)
    with audited(actor=actor, action=action, ip=ip, wait=wait):
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

# --- hashing -----------------------------------------------------------------------------------

_seal_key_cache: tuple[bytes, bytes] | None = None


def _seal_key() -> bytes:
    """The key of the seals, derived from (not equal to) the signing key of the checkpoints."""
    global _seal_key_cache
    key = settings.AUDIT_SIGNING_KEY
    if _seal_key_cache is None or _seal_key_cache[0] != key:
        _seal_key_cache = (key, hmac.new(key, b"zhengdun audit seal v1", hashlib.sha256).digest())
    return _seal_key_cache[1]


def _message(seq: int, prev_hash: str, row: tuple) -> bytes:
    parts = [str(seq), prev_hash] + ["" if v is None else str(v) for v in row]
    return "\x1f".join(parts).encode()


def entry_hash(seq: int, prev_hash: str, row: tuple) -> str:
    """The seal of one entry: a MAC (keyed BLAKE2b-256, one C call, cheaper than HMAC-SHA256 for
    the hundreds of thousands of entries of an import) over its position, the previous seal and
    every field."""
    return hashlib.blake2b(_message(seq, prev_hash, row), key=_seal_key(), digest_size=32).hexdigest()


def legacy_entry_hash(seq: int, prev_hash: str, row: tuple) -> str:
    """The former unkeyed seal (plain SHA-256), recognised by verify() only to name the problem."""
    return hashlib.sha256(_message(seq, prev_hash, row)).hexdigest()


# --- sealing -----------------------------------------------------------------------------------

@dataclass
class _Tail:
    """The last link of the chain while entries are appended: its position and hash."""

    seq: int
    prev: str


def _link(tail: _Tail, rows: list[tuple], keyed) -> list[tuple]:
    """The seals (seq, entry id, prev_hash, hash) of `rows` (entries as _FIELDS, in chain order),
    advancing `tail`. Pure Python, no database: the hot loop of a bulk import, entry_hash() inlined."""
    seq, prev = tail.seq, tail.prev
    seals = []
    append = seals.append
    for row in rows:
        seq += 1
        if None in row:
            message = _message(seq, prev, row)
        else:  # the same bytes as _message(): format(v, "") is str(v)
            (entry_id, at, actor_id, actor_name, action, op, object_type, object_id, unit_id, before,
             after, source, ip) = row
            message = (f"{seq}\x1f{prev}\x1f{entry_id}\x1f{at}\x1f{actor_id}\x1f{actor_name}\x1f{action}"
                       f"\x1f{op}\x1f{object_type}\x1f{object_id}\x1f{unit_id}\x1f{before}\x1f{after}"
                       f"\x1f{source}\x1f{ip}").encode()
        mac = keyed.copy()  # the key block is hashed once, in _keyed()
        mac.update(message)
        digest = mac.hexdigest()
        append((seq, row[0], prev, digest))
        prev = digest
    tail.seq, tail.prev = seq, prev
    return seals


def _keyed():
    return hashlib.blake2b(key=_seal_key(), digest_size=32)


class _SQL:
    """The statements of the sealer (quoted for the current database)."""

    def __init__(self):
        qn = connection.ops.quote_name
        self.entries, self.seals = qn(AuditEntry._meta.db_table), qn(AuditSeal._meta.db_table)
        columns = ", ".join(f"e.{qn(AuditEntry._meta.get_field(f).column)}" for f in _FIELDS)
        self.late_select = (f"SELECT {columns} FROM {self.entries} e WHERE e.id > %s AND e.id <= %s AND NOT EXISTS "
                            f"(SELECT 1 FROM {self.seals} s WHERE s.entry_id = e.id) ORDER BY e.id LIMIT {_BATCH}")
        self.fresh_select = f"SELECT {columns} FROM {self.entries} e WHERE e.id > %s ORDER BY e.id LIMIT {_BATCH}"
        self.insert = (f"INSERT INTO {self.seals} ({qn('seq')}, {qn('entry_id')}, {qn('prev_hash')}, {qn('hash')}) "
                       f"VALUES (%s, %s, %s, %s)")


def _chain_tail(cursor, sql: _SQL) -> tuple[_Tail, int]:
    """The newest seal, and the highest entry id that has a seal."""
    cursor.execute(f"SELECT seq, hash FROM {sql.seals} ORDER BY seq DESC LIMIT 1")
    last = cursor.fetchone()
    cursor.execute(f"SELECT MAX(entry_id) FROM {sql.seals}")
    return _Tail(*(last if last else (0, GENESIS))), cursor.fetchone()[0] or 0


def _register_head(tail: _Tail, sealed: int) -> None:
    head, due = (tail.seq, tail.prev), _checkpoint_due(tail.seq, sealed)
    transaction.on_commit(lambda: _after_commit(*head, checkpoint=due))


def seal_pending(*, low: int | None = None) -> int:
    """Chain every committed entry that has no seal yet (and this transaction's own), in id order.
    Returns how many were sealed. The caller holds the chain lock (see audited()).

    Entries without a seal are looked for above `low` (default: LATE_WINDOW ids below the newest
    sealed entry): on PostgreSQL an entry written outside audited() — a usage stamp, Django's
    last_login, a database client — may commit after a concurrent transaction sealed higher ids.
    Plain SQL (one SELECT per 5,000 entries, multi-row INSERTs of their seals): a bulk import
    writes hundreds of thousands of entries in one transaction, and ORM row building and
    bulk_create compilation would cost more than the hashing itself."""
    sql = _SQL()
    keyed = _keyed()
    sealed = 0
    with connection.cursor() as cursor:
        tail, top = _chain_tail(cursor, sql)
        start = max(0, top - LATE_WINDOW)
        if low is not None:
            start = min(start, low)

        def seal(rows) -> None:
            nonlocal sealed
            _insert_seals(sql.insert, _link(tail, rows, keyed))
            sealed += len(rows)

        position = start
        if start < top:
            # Two index-only range counts (well under a millisecond) instead of the anti-join on
            # every write: late entries are rare.
            cursor.execute(f"SELECT (SELECT COUNT(*) FROM {sql.entries} WHERE id > %s AND id <= %s) - "
                           f"(SELECT COUNT(*) FROM {sql.seals} WHERE entry_id > %s AND entry_id <= %s)",
                           [start, top, start, top])
            if cursor.fetchone()[0] <= 0:
                position = top
        while position < top:  # late entries below the newest sealed one
            cursor.execute(sql.late_select, [position, top])
            rows = cursor.fetchall()
            if not rows:
                break
            seal(rows)
            position = rows[-1][0]
        position = top
        while True:  # entries above it: none of them can be sealed yet
            cursor.execute(sql.fresh_select, [position])
            rows = cursor.fetchall()
            if not rows:
                break
            seal(rows)
            position = rows[-1][0]
    if sealed:
        _register_head(tail, sealed)
    return sealed


def _insert_seals(insert: str, seals: list[tuple]) -> None:
    # executemany: a multi-row VALUES variant (as the roster import's rows use) measured no faster
    with connection.cursor() as cursor:
        cursor.executemany(insert, seals)


def oldest_unsealed_id() -> int | None:
    """The lowest entry id without a seal (a full scan: for the periodic sweep, not for every write)."""
    qn = connection.ops.quote_name
    entries, seals_table = qn(AuditEntry._meta.db_table), qn(AuditSeal._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(e.id) FROM {entries} e WHERE NOT EXISTS "
                       f"(SELECT 1 FROM {seals_table} s WHERE s.entry_id = e.id)")
        return cursor.fetchone()[0]


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


def _after_commit(seq: int, head_hash: str, *, checkpoint: bool) -> None:
    """After a sealing commit: the signed head always, a numbered checkpoint at intervals. A failure
    to write is logged, not raised: the business write has committed already."""
    try:
        write_head(seq, head_hash)
        if checkpoint:
            write_checkpoint(seq, head_hash)
    except OSError:
        logger.exception("审计链检查点写入失败（audit checkpoint could not be written）")


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_signed(path: Path, seq: int, head_hash: str) -> None:
    payload = {"seq": seq, "hash": head_hash, "at": _now()}
    payload["signature"] = _sign(payload)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(payload))
    os.replace(tmp, path)  # atomic; no fsync: a lost update only leaves an older (still valid) head


def write_head(seq: int, head_hash: str) -> Path:
    """Move the signed head file forward (never back: commits of several processes may finish
    their callbacks out of order)."""
    folder = checkpoint_dir()
    path = folder / HEAD_FILE
    with _folder_lock(folder):
        try:
            current = json.loads(path.read_text())
        except (OSError, ValueError):
            current = None
        if isinstance(current, dict) and isinstance(current.get("seq"), int) and current["seq"] >= seq:
            return path
        _write_signed(path, seq, head_hash)
    return path


def write_checkpoint(seq: int | None = None, head_hash: str | None = None) -> Path | None:
    """Write a numbered signed checkpoint of the chain head (the latest seal unless given)."""
    if seq is None:
        last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
        if not last:
            return None
        seq, head_hash = last
    folder = checkpoint_dir()
    path = folder / f"checkpoint-{seq:012d}.json"
    with _folder_lock(folder):
        _write_signed(path, seq, head_hash)
    write_head(seq, head_hash)
    return path


def load_checkpoints() -> list[dict]:
    folder = checkpoint_dir()
    result = []
    paths = sorted(folder.glob("checkpoint-*.json")) if folder.exists() else []
    if (folder / HEAD_FILE).exists():
        paths.append(folder / HEAD_FILE)
    for path in paths:
        try:
            data = json.loads(path.read_text())
            if not isinstance(data, dict):
                raise ValueError
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


def _well_formed(cp: dict) -> bool:
    return (not cp.get("_unreadable") and all(k in cp for k in ("seq", "hash", "at", "signature"))
            and isinstance(cp["seq"], int))


def verify(*, stop_at_first: bool = True) -> VerifyResult:
    """Recompute the chain; report the first entry edited, removed, reordered or forged, and a
    chain that is shorter than, or disagrees with, a signed checkpoint or the signed head."""
    result = VerifyResult()
    checkpoints = load_checkpoints()
    wanted = {cp["seq"] for cp in checkpoints if _well_formed(cp)}
    expected_seq, prev = 0, GENESIS
    hashes: dict[int, str] = {}
    cursor_seq = 0
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=cursor_seq).order_by("seq")
                     .values_list("seq", "entry_id", "prev_hash", "hash")[:_BATCH])
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
                if legacy_entry_hash(seq, prev_hash, row) == digest:
                    result.fail(f"第 {seq} 号链节（记录 #{entry_id}）是无密钥的旧式哈希：可由任何能写数据库的人重算，"
                                f"视为伪造", seq)
                else:
                    result.fail(f"第 {seq} 号链节（记录 #{entry_id}）内容与哈希不符：记录被修改或调换", seq)
            prev = digest
            if seq in wanted:
                hashes[seq] = digest
            result.checked += 1
            if stop_at_first and not result.ok:
                return result
        cursor_seq = seals[-1][0]
    pending = AuditEntry.objects.filter(seal__isnull=True).count()
    if pending:
        result.warnings.append(f"{pending} 条审计记录尚未封存入链（直接写入数据库的变更或刚提交的记录，"
                               f"将在下一次业务写入或 audit-checkpoint 时封存）")
    for cp in checkpoints:
        if not _well_formed(cp):
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
