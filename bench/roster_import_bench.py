"""Roster import benchmark: 200,000 officers from .csv and .xlsx into a fresh database, then the
same CSV through django-import-export for comparison.

    .venv/bin/python bench/roster_import_bench.py                      # 200k rows, SQLite in a temp dir
    .venv/bin/python bench/roster_import_bench.py --rows 20000
    .venv/bin/python bench/roster_import_bench.py --database-url postgres://postgres@127.0.0.1:5432/zd_bench

Each scenario runs in its own process against its own fresh database (SQLite files under a temp
ZHENGDUN_VAR_DIR, or PostgreSQL databases <name>_csv, <name>_xlsx, <name>_ie created and dropped
here), so var/zhengdun.sqlite3 is never touched. Figures: rows, seconds to validate and to write,
rows/s, and the time of a second import of the same file (nothing changes, nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from machine import StealMeter, describe, percent  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国红梅林海燕晨宇浩然子轩欣怡思远佳慧志强文博雪婷俊杰晓东凯丹宁波春立新秋菊永振"
KINDS = [("FY", "人民法院", "court", ["审判员", "法官助理", "书记员", "庭长", "执行员", "法警"]),
         ("JCY", "人民检察院", "procuratorate", ["检察官", "检察官助理", "书记员", "部门主任"]),
         ("GAJ", "公安局", "police", ["民警", "副所长", "所长", "大队长", "警务辅助人员"]),
         ("SFJ", "司法局", "justice", ["科员", "科长", "社区矫正专员"]),
         ("PCS", "派出所", "police", ["民警", "副所长", "所长", "警务辅助人员"])]
PARTY = (["中共党员", "中共预备党员", "共青团员", "群众"], [80, 3, 7, 10])
STATUS = (["在职", "借调", "退休"], [96, 2, 2])


def unit_tree() -> list[dict]:
    """A province with 4 cities × 8 counties × 5 units (+ city-level units): 205 units."""
    units = [{"code": "P1", "parent": None, "name": "某省", "level": "province", "kind": "committee", "div": "36"}]
    for c in range(1, 5):
        city = f"P1C{c}"
        units.append({"code": city, "parent": "P1", "name": f"第{c}市", "level": "city", "kind": "committee",
                      "div": f"36{c:02d}"})
        for code, name, kind, _pos in KINDS[:4]:
            units.append({"code": f"{city}{code}", "parent": city, "name": f"第{c}市{name}", "level": "unit",
                          "kind": kind, "div": f"36{c:02d}"})
        for k in range(1, 9):
            county = f"{city}X{k}"
            div = f"36{c:02d}{k:02d}"
            units.append({"code": county, "parent": city, "name": f"第{c}市第{k}县", "level": "county",
                          "kind": "committee", "div": div})
            for code, name, kind, _pos in KINDS:
                units.append({"code": f"{county}{code}", "parent": county, "name": f"第{c}市第{k}县{name}",
                              "level": "unit", "kind": kind, "div": div})
    return units


def check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def generate_rows(n: int, seed: int = 2021) -> list[list]:
    rng = random.Random(seed)
    leaves = [u for u in unit_tree() if u["level"] == "unit"]
    positions = {code: pos for code, _n, _k, pos in KINDS}
    seen: set[str] = set()
    rows = []
    base = dt.date(1962, 1, 1)
    while len(rows) < n:
        unit = rng.choice(leaves)
        male = rng.random() < 0.68
        birth = base + dt.timedelta(days=rng.randrange(0, 38 * 365))
        seq = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
        body = f"{unit['div'].ljust(6, '0')}{birth:%Y%m%d}{seq:03d}"
        number = body + check_digit(body)
        if number in seen:
            continue
        seen.add(number)
        kind_code = next(code for code, _n, _k, _p in KINDS if unit["code"].endswith(code))
        position = rng.choice(positions[kind_code])
        category = "辅警" if position == "警务辅助人员" else rng.choices(["政法干警", "其他"], [95, 5])[0]
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2])))
        rows.append([unit["code"], name, "男" if male else "女", number, birth, position, category,
                     rng.choices(*PARTY)[0], rng.choices(*STATUS)[0]])
    return rows


def write_files(rows: list[list], folder: Path, headers: tuple[str, ...]) -> tuple[Path, Path]:
    import csv

    from openpyxl import Workbook

    csv_path = folder / "officers.csv"
    with csv_path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        for row in rows:
            writer.writerow(row[:4] + [row[4].isoformat()] + row[5:])
    xlsx_path = folder / "roster.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("干警")
    ws.append(list(headers))
    for row in rows:
        ws.append(row)  # birth dates as real Excel dates
    wb.save(xlsx_path)
    return csv_path, xlsx_path


# --- worker: one scenario against one fresh database ---------------------------------------------

def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengdun.settings")
    import django

    django.setup()


def _build_units_and_actor():
    from zhengdun.audit.chain import audited
    from zhengdun.org.models import Role, Unit
    from zhengdun.org.services import user_create

    made: dict[str, Unit] = {}
    with audited(actor=None, action="bench.units"):
        for u in unit_tree():
            parent = made.get(u["parent"])
            made[u["code"]] = Unit.objects.create(
                parent=parent, code=u["code"], name=u["name"], level=u["level"], kind=u["kind"],
                division_code=u["div"], path=(parent.path if parent else "/") + u["code"] + "/",
                depth=(parent.depth + 1) if parent else 0)
    # The importer is the province's campaign office: every row goes through the scope check.
    return user_create(actor=None, username="bench_admin", password=None,
                       roles=[(Role.OFFICE_ADMIN, made["P1"])])


def worker(scenario: str, path: Path, rows_hint: int) -> dict:
    _setup_django()
    from django.core.management import call_command

    from zhengdun.audit.models import AuditEntry

    call_command("migrate", verbosity=0)
    actor = _build_units_and_actor()
    if scenario == "ie":
        return _worker_import_export(actor, path)
    from zhengdun.org.models import Officer
    from zhengdun.org.roster import roster_import

    t0, c0, steal = time.perf_counter(), time.process_time(), StealMeter()
    with path.open("rb") as handle:
        result = roster_import(actor=actor, fileobj=handle, name=path.name)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    steal.stop()
    assert result.ok, [str(e) for e in result.errors[:5]]
    entries = AuditEntry.objects.count()
    t1 = time.perf_counter()
    with path.open("rb") as handle:
        again = roster_import(actor=actor, fileobj=handle, name=path.name)
    reimport = time.perf_counter() - t1
    assert again.ok and again.unchanged == result.rows and not again.saved
    assert AuditEntry.objects.count() == entries, "a no-change re-import must write nothing"
    export_s = None
    if scenario == "csv":
        import tempfile as _tempfile

        from zhengdun.org.roster import roster_export

        t2 = time.perf_counter()
        with _tempfile.TemporaryFile() as out:
            exported = roster_export(actor=actor, unit=None, out=out)
        export_s = time.perf_counter() - t2
        assert exported.officers == result.rows
    return {"scenario": scenario, "rows": result.rows, "officers": Officer.objects.count(),
            "validate_s": result.timings["validate"], "write_s": result.timings["write"], "total_s": total,
            "cpu_s": cpu, "rows_s": result.timings["rows"], "seal_s": result.timings["seal"],
            "rows_per_s": result.rows / total, "reimport_s": reimport, "audit_entries": entries,
            "export_s": export_s, "steal": steal.share}


def _worker_import_export(actor, path: Path) -> dict:
    import tablib
    from import_export import fields, resources
    from import_export.widgets import ForeignKeyWidget

    from zhengdun.audit.chain import audited
    from zhengdun.org import identity, idnumbers
    from zhengdun.org.models import Officer, Unit
    from zhengdun.org.roster import _choice_maps

    maps = _choice_maps()

    class OfficerResource(resources.ModelResource):
        unit = fields.Field(attribute="unit", column_name="单位代码", widget=ForeignKeyWidget(Unit, "code"))
        name = fields.Field(attribute="name", column_name="姓名")
        gender = fields.Field(attribute="gender", column_name="性别")
        birth_date = fields.Field(attribute="birth_date", column_name="出生日期")
        position = fields.Field(attribute="position", column_name="职务")
        category = fields.Field(attribute="category", column_name="人员类别")
        party = fields.Field(attribute="party", column_name="政治面貌")
        status = fields.Field(attribute="status", column_name="状态")
        id_number_hash = fields.Field(attribute="id_number_hash", column_name="_hash")
        id_number_enc = fields.Field(attribute="id_number_enc", column_name="_enc")
        id_number_masked = fields.Field(attribute="id_number_masked", column_name="_masked")

        class Meta:
            model = Officer
            import_id_fields = ("id_number_hash",)
            fields = ("unit", "name", "gender", "birth_date", "position", "category", "party", "status",
                      "id_number_hash", "id_number_enc", "id_number_masked")
            use_bulk = True
            batch_size = 2000
            skip_diff = True

        def before_import_row(self, row, **kwargs):
            # The same normalisation and encryption as the Zhengdun importer, so the comparison is fair.
            number = idnumbers.normalize(row["身份证号"])
            row["_hash"] = identity.lookup_hash(number)
            row["_enc"] = identity.encrypt(number)
            row["_masked"] = idnumbers.mask(number)
            row["出生日期"] = row["出生日期"] or idnumbers.birth_date(number).isoformat()
            row["性别"] = maps["gender"][row["性别"]] if row["性别"] else idnumbers.gender(number)
            row["人员类别"] = maps["category"].get(row["人员类别"], "officer")
            row["政治面貌"] = maps["party"][row["政治面貌"]]
            row["状态"] = maps["status"].get(row["状态"], "serving")

    text = path.read_text(encoding="utf-8-sig")
    dataset = tablib.Dataset().load(text, format="csv")
    for header in ("_hash", "_enc", "_masked"):  # filled in by before_import_row
        dataset.append_col([""] * len(dataset), header=header)
    t0, c0 = time.perf_counter(), time.process_time()
    with audited(actor=actor, action="roster.import_ie"):
        result = OfficerResource().import_data(dataset, dry_run=False, raise_errors=True, use_transactions=True)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert not result.has_errors()
    return {"scenario": "ie", "rows": len(dataset), "officers": Officer.objects.count(), "total_s": total,
            "cpu_s": cpu, "rows_per_s": len(dataset) / total}


# --- driver --------------------------------------------------------------------------------------

def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    base = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(sql)


def run_scenario(scenario: str, path: Path, args, tmp: Path) -> dict:
    env = dict(os.environ, ZHENGDUN_DEBUG="0", ZHENGDUN_VAR_DIR=str(tmp / f"var-{scenario}"),
               PYTHONPATH=str(ROOT / "src"))
    env.pop("ZHENGDUN_TESTING", None)
    if args.database_url:
        name = f"{args.database_url.rsplit('/', 1)[1]}_{scenario}"
        url = f"{args.database_url.rsplit('/', 1)[0]}/{name}"
        _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}"')
        _pg_admin(args.database_url, f'CREATE DATABASE "{name}"')
    else:
        url = f"sqlite:///{tmp / f'bench-{scenario}.sqlite3'}"
    env["DATABASE_URL"] = url
    proc = subprocess.run([sys.executable, __file__, "--worker", scenario, "--file", str(path)],
                          env=env, capture_output=True, text=True)
    if args.database_url and not args.keep:
        _pg_admin(args.database_url, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"scenario {scenario} failed")
    return json.loads(lines[-1][7:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--database-url", default="", help="PostgreSQL server URL (default: SQLite in a temp dir)")
    parser.add_argument("--ie-rows", type=int, default=20_000,
                        help="rows for django-import-export (extrapolated to --rows when smaller)")
    parser.add_argument("--skip-ie", action="store_true", help="do not time django-import-export")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder / databases")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(worker(args.worker, Path(args.file), args.rows)), flush=True)
        return

    tmp = Path(tempfile.mkdtemp(prefix="zd-roster-bench-"))
    try:
        os.environ.setdefault("ZHENGDUN_VAR_DIR", str(tmp / "var-main"))
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'unused.sqlite3'}")
        _setup_django()
        from zhengdun.org.roster import OFFICER_HEADERS

        t0 = time.perf_counter()
        rows = generate_rows(args.rows)
        csv_path, xlsx_path = write_files(rows, tmp, OFFICER_HEADERS)
        print(f"generated {len(rows):,} officers across {sum(1 for u in unit_tree() if u['level'] == 'unit')} units "
              f"in {time.perf_counter() - t0:.1f} s: {csv_path.stat().st_size / 1e6:.1f} MB csv, "
              f"{xlsx_path.stat().st_size / 1e6:.1f} MB xlsx")
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(f"database: {backend} (fresh per scenario); {describe()}")
        print("steal: CPU time the hypervisor gave to other machines during the import (slows it down)\n")
        print(f"{'scenario':<28}{'rows':>9}{'validate s':>12}{'write s':>9}{'(rows':>7}{'seal)':>7}"
              f"{'total s':>9}{'cpu s':>7}{'rows/s':>9}{'re-import s':>13}{'steal':>7}")
        for scenario, path in (("csv", csv_path), ("xlsx", xlsx_path)):
            r = run_scenario(scenario, path, args, tmp)
            if scenario == "csv":
                r_csv = r
            print(f"{'zhengdun ' + scenario:<28}{r['rows']:>9,}{r['validate_s']:>12.1f}{r['write_s']:>9.1f}"
                  f"{r['rows_s']:>7.1f}{r['seal_s']:>7.1f}{r['total_s']:>9.1f}{r['cpu_s']:>7.1f}"
                  f"{r['rows_per_s']:>9,.0f}{r['reimport_s']:>13.1f}{percent(r['steal']):>7}", flush=True)
        print(f"export of the whole roster to .xlsx (after the csv import): {r_csv['export_s']:.1f} s", flush=True)
        if not args.skip_ie:
            n = min(args.ie_rows, len(rows))
            ie_path = csv_path
            if n < len(rows):
                ie_path = tmp / "officers-subset.csv"
                with csv_path.open(encoding="utf-8-sig") as src, ie_path.open("w", encoding="utf-8-sig") as dst:
                    for i, line in enumerate(src):
                        if i > n:
                            break
                        dst.write(line)
            r = run_scenario("ie", ie_path, args, tmp)
            print(f"{'django-import-export csv':<28}{r['rows']:>9,}{'':>12}{'':>9}{'':>14}{r['total_s']:>9.1f}"
                  f"{r['cpu_s']:>7.1f}{r['rows_per_s']:>9,.0f}")
            if n < len(rows):
                print(f"{'  extrapolated':<28}{len(rows):>9,}{'':>12}{'':>9}{'':>14}"
                      f"{r['total_s'] * len(rows) / n:>9.0f}{r['cpu_s'] * len(rows) / n:>7.0f}"
                      f"   (linear extrapolation from {n:,} rows, not measured)")
    finally:
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
