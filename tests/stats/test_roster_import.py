"""A roster import adds its officers' roster counts set-based (SQLite: the per-row trigger is taken
out for the import's INSERT statements only): the rollups stay equal to the records and to a rebuild,
and the trigger is back afterwards, also when the import fails half-way."""

import io

import pytest
from django.db import IntegrityError, connection, transaction

from tests.conftest import make_id
from tests.stats.test_maintenance import assert_exact
from zhengdun.org import roster
from zhengdun.org.models import Officer
from zhengdun.org.roster import OFFICER_HEADERS, roster_import
from zhengdun.stats import triggers


def _csv(rows) -> bytes:
    lines = [",".join(OFFICER_HEADERS)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def _rows():
    # Serving, seconded (both on the roster), retired and departed (not), three categories, four units.
    return [
        ["CAFY", "导入一", "", make_id("360101", "19900101", 501), "", "书记员", "", "中共党员", ""],
        ["CAFY", "导入二", "", make_id("360101", "19900102", 502), "", "", "辅警", "群众", "借调"],
        ["CAGA", "导入三", "", make_id("360101", "19900103", 503), "", "", "其他", "群众", "在职"],
        ["CAGA", "导入四", "", make_id("360101", "19900104", 504), "", "", "", "中共党员", "退休"],
        ["CBFY", "导入五", "", make_id("360102", "19900105", 505), "", "", "", "中共党员", "离职"],
        ["CBFY", "导入六", "", make_id("360102", "19900106", 506), "", "", "辅警", "中共党员", ""],
    ]


def _trigger_sql():
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'zd_stats_org_officer_insert'")
        return cursor.fetchone()


def test_imported_officers_are_counted_exactly(world):
    before = _trigger_sql()
    result = roster_import(actor=world.cast.city_admin, fileobj=io.BytesIO(_csv(_rows())), name="officers.csv")
    assert result.ok and result.officers.created == 6, result.errors
    assert _trigger_sql() == before
    assert_exact(world)
    # Later single writes are counted by the trigger again.
    Officer.objects.filter(name="导入四").update(status="serving")
    assert_exact(world)


def test_a_failed_import_restores_the_trigger_and_the_counts(world, monkeypatch):
    before = _trigger_sql()
    real = roster._executemany

    def fail_after_writing(sql, rows):
        real(sql, rows)
        raise IntegrityError("simulated conflict")

    monkeypatch.setattr(roster, "_executemany", fail_after_writing)
    result = roster_import(actor=world.cast.city_admin, fileobj=io.BytesIO(_csv(_rows())), name="officers.csv")
    assert not result.ok and not Officer.objects.filter(name="导入一").exists()
    assert _trigger_sql() == before
    assert_exact(world)


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_the_trigger_is_gone_for_the_block_only(db):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM stats_rostercount WHERE 1 = 0")  # opens the write transaction
        with triggers.officer_inserts():
            assert _trigger_sql() is None  # gone for this transaction's own statements only
        assert _trigger_sql() is not None
