"""Statistics benchmark (not a test): a province-scale database on PostgreSQL, then the dashboard and
the upward .xlsx export timed through Django's test Client, signed in as the province office admin.

    .venv/bin/python bench/stats_bench.py --scale 0.05          # quick
    .venv/bin/python bench/stats_bench.py                       # full: ~10k units, 200k officers, 2M activities
    .venv/bin/python bench/stats_bench.py --reuse               # measure again without reloading

Data are generated set-based in PostgreSQL (generate_series; the units are sent with COPY)
with triggers off (session_replication_role = replica: neither audit nor rollup triggers fire),
then `rebuild-rollups` computes the rollups from the records, as it would after a bulk import.
DATABASE_URL defaults to postgres://postgres@127.0.0.1:5432/zd_bench; the database is dropped and
created unless --reuse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from machine import StealMeter, describe  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (e.g. 0.05)")
    p.add_argument("--reuse", action="store_true", help="reuse the loaded database; only measure")
    p.add_argument("--runs", type=int, default=30, help="requests per dashboard (default 30)")
    p.add_argument("--participants", type=float, default=2.5,
                   help="average roster participants per activity (60%% of activities are roster-mode)")
    return p.parse_args()


def setup_django(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhengdun.settings")
    os.environ["ZHENGDUN_DEBUG"] = "0"
    import django

    django.setup()


def recreate_database(url: str):
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


class Step:
    def __init__(self, label):
        self.label = label

    def __enter__(self):
        self.t = time.monotonic()
        print(f"  {self.label} …", end="", flush=True)

    def __exit__(self, *exc):
        print(f" {time.monotonic() - self.t:.1f}s", flush=True)


def load(scale: float, participants: float):
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    cities, counties_per_city = max(2, round(15 * min(1, scale * 4))), 10
    leaves_total = max(cities * counties_per_city * 3, int(9834 * scale))
    officers_total = max(leaves_total * 5, int(200_000 * scale))
    activities_total = int(2_000_000 * scale)
    study_total = int(1_000_000 * scale)
    today = dt.date.today()
    start, end = today - dt.timedelta(days=90), today + dt.timedelta(days=30)
    kinds = ["court", "procuratorate", "police", "justice", "state_security"]
    pg = connection.connection  # psycopg 3 connection
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        with Step(f"units (1 province, {cities} cities, {cities * counties_per_city} counties, {leaves_total} units)"):
            rows, uid = [], 0

            def unit(parent, code, path, depth, name, level, kind):
                nonlocal uid
                uid += 1
                rows.append((uid, parent, code, path, depth, name, level, kind, "36", uid, True))
                return uid

            province = unit(None, "P", "/P/", 0, "江南省", "province", "committee")
            counties = []
            for c in range(1, cities + 1):
                ccode = f"P{c:02d}"
                city = unit(province, ccode, f"/P/{ccode}/", 1, f"第{c}市", "city", "committee")
                for k in range(1, counties_per_city + 1):
                    kcode = f"{ccode}K{k:02d}"
                    counties.append((unit(city, kcode, f"/P/{ccode}/{kcode}/", 2, f"第{c}市第{k}县", "county",
                                          "committee"), kcode, f"/P/{ccode}/{kcode}/"))
            leaves = []
            for i in range(leaves_total):
                cid, kcode, kpath = counties[i % len(counties)]
                code = f"{kcode}U{i // len(counties):03d}"
                leaves.append(unit(cid, code, f"{kpath}{code}/", 3, f"单位{code}", "unit", kinds[i % len(kinds)]))
            with pg.cursor() as c, c.copy("COPY org_unit (id, parent_id, code, path, depth, name, level, kind, "
                                          "division_code, sort_order, is_active) FROM STDIN") as cp:
                for r in rows:
                    cp.write_row(r)
            cursor.execute("SELECT setval('org_unit_id_seq', (SELECT max(id) FROM org_unit))")
        with Step(f"officers ({officers_total})"):
            cursor.execute(
                "INSERT INTO org_officer (unit_id, name, gender, birth_date, position, category, party, status, "
                "id_number_enc, id_number_hash, id_number_masked) "
                "SELECT u.id, '干警' || g, CASE WHEN g % 3 = 0 THEN 'F' ELSE 'M' END, DATE '1980-01-01' + (g % 9000)::int, "
                "'', CASE WHEN g % 7 = 0 THEN 'auxiliary' ELSE 'officer' END, 'cpc', "
                "CASE WHEN g % 37 = 0 THEN 'retired' ELSE 'serving' END, '', 'h' || g, '' "
                f"FROM generate_series(0::bigint, {officers_total - 1}) g "
                f"JOIN org_unit u ON u.id = {leaves[0]} + (g * {len(leaves)} / {officers_total}) "
                "ORDER BY g")
            cursor.execute("CREATE TEMP TABLE unit_officers AS SELECT unit_id, min(id) AS first_id, count(*) AS n "
                           "FROM org_officer GROUP BY unit_id")
            cursor.execute("CREATE INDEX ON unit_officers (unit_id)")
        with Step("campaign, exam, admin user"):
            from zhengdun.campaigns.models import Campaign, CampaignScopeUnit
            from zhengdun.learning.models import Exam
            from zhengdun.org.models import Role, RoleAssignment, Unit, User

            top = Unit.objects.get(pk=province)
            campaign = Campaign.objects.create(unit=top, name="全省政法队伍教育整顿", year=today.year, start_date=start,
                                               end_date=end, officer_categories=",officer,")
            CampaignScopeUnit.objects.create(campaign=campaign, unit=top)
            now = dt.datetime.now(dt.UTC)
            exam = Exam.objects.create(unit=top, title="应知应会测试", start_at=now - dt.timedelta(days=30),
                                       end_at=now, target_root=top, status="published", total_score=100)
            admin = User.objects.create(username="bench_admin", display_name="省教整办")
            RoleAssignment.objects.create(user=admin, role=Role.OFFICE_ADMIN, unit=top)
        with Step("required actions and completions"):
            cursor.execute(
                "INSERT INTO campaigns_action (unit_id, campaign_id, kind, title, description, deadline, "
                "evidence_requirement, target_kinds, target_levels, created_at) "
                "SELECT u.id, %s, 'required', '规定动作' || u.code || '-' || g, '', %s::date + ((g * 11 + u.id) %% 115)::int, "
                "'', '', '', now() FROM org_unit u, generate_series(1, 25) g "
                "WHERE u.depth = 0 OR (u.depth = 1 AND g <= 2) OR (u.depth = 2 AND g <= 1)",
                [campaign.id, start])
            cursor.execute(
                "INSERT INTO campaigns_actioncompletion (unit_id, action_id, status, note, declared_on, declared_at, "
                "return_reason, return_count) "
                "SELECT t.id, a.id, CASE WHEN (a.id + t.id) % 20 = 0 THEN 'returned' "
                "WHEN (a.id + t.id) % 3 = 0 THEN 'accepted' ELSE 'declared' END, '', a.deadline - 1, now(), '', 0 "
                "FROM campaigns_action a JOIN org_unit iss ON iss.id = a.unit_id "
                "JOIN org_unit t ON t.path LIKE iss.path || '%' AND t.id <> iss.id "
                "WHERE (a.id * 7 + t.id) % 10 < 8")
        with Step(f"activities ({activities_total})"):
            cursor.execute("SELECT id, code, education_category FROM activities_activitytype ORDER BY id")
            types = cursor.fetchall()
            cursor.execute("CREATE TEMP TABLE types AS SELECT row_number() OVER (ORDER BY id) - 1 AS i, id, "
                           "education_category FROM activities_activitytype")
            days = (today - start).days + 1
            cursor.execute(
                "INSERT INTO activities_activityrecord (unit_id, campaign_id, activity_type_id, education_category, "
                "title, date, place, organiser, participant_mode, headcount, person_times, summary, created_at) "
                "SELECT u.id, %s, t.id, t.education_category, '活动', %s::date + ((g * 7919) %% %s)::int, '', '', "
                "CASE WHEN g %% 5 < 3 THEN 'roster' ELSE 'headcount' END, "
                "CASE WHEN g %% 5 < 3 THEN 0 ELSE 10 + g %% 50 END, "
                "CASE WHEN g %% 5 < 3 THEN 0 ELSE 10 + g %% 50 END, '', now() "
                f"FROM generate_series(0::bigint, {activities_total - 1}) g "
                f"JOIN org_unit u ON u.id = {leaves[0]} + g %% {len(leaves)} "
                f"JOIN types t ON t.i = (g / {len(leaves)}) %% {len(types)}",
                [campaign.id, start, days])
        with Step(f"participants (~{int(activities_total * 0.6 * participants)})"):
            k = max(1, round(participants * 2) - 1)  # 1..k per roster activity, average ≈ participants
            cursor.execute(
                "INSERT INTO activities_activityparticipant (unit_id, activity_id, officer_id, date) "
                "SELECT a.unit_id, a.id, uo.first_id + (a.id * 31 + j) % greatest(1, (uo.n * 9) / 10), a.date "
                "FROM activities_activityrecord a JOIN unit_officers uo ON uo.unit_id = a.unit_id "
                f"CROSS JOIN LATERAL generate_series(0, least(uo.n, 1 + a.id % {k}) - 1) j "
                "WHERE a.participant_mode = 'roster' "
                "ON CONFLICT DO NOTHING")
            cursor.execute("UPDATE activities_activityrecord a SET person_times = p.n FROM "
                           "(SELECT activity_id, count(*) n FROM activities_activityparticipant GROUP BY activity_id) p "
                           "WHERE p.activity_id = a.id")
        with Step(f"study records ({study_total})"):
            cursor.execute("SELECT min(id), count(*) FROM org_officer")
            first_officer, n_officers = cursor.fetchone()
            cursor.execute(
                "INSERT INTO learning_studyrecord (unit_id, officer_id, category, date, channel, note, created_at) "
                "SELECT o.unit_id, o.id, (ARRAY['political','party_history','warning','role_model'])[1 + g %% 4], "
                "%s::date + ((g * 104729) %% %s)::int, "
                "(ARRAY['self','led','video','on_the_job','delivered','group'])[1 + (g / 7) %% 6], '', now() "
                f"FROM generate_series(0::bigint, {study_total - 1}) g "
                f"JOIN org_officer o ON o.id = {first_officer} + (g * 7907) %% {n_officers}",
                [start, days])
        with Step("talks, pledges, exam attempts"):
            cursor.execute(
                "INSERT INTO activities_talkrecord (unit_id, campaign_id, talker_id, officer_id, round, date, kind, "
                "note, is_confidential, created_at) "
                "SELECT o.unit_id, %s, uo.first_id, o.id, r, %s::date + ((o.id * 13 + r * 17) %% %s)::int, "
                "(ARRAY['heart','reminder','policy'])[1 + o.id %% 3], '', true, now() "
                "FROM org_officer o JOIN unit_officers uo ON uo.unit_id = o.unit_id "
                "CROSS JOIN generate_series(1, 2) r WHERE o.id <> uo.first_id AND o.id %% 2 = 0",
                [campaign.id, start, days])
            cursor.execute(
                "INSERT INTO activities_pledgeletter (unit_id, campaign_id, officer_id, signed_date, note, created_at) "
                "SELECT o.unit_id, %s, o.id, %s::date + (o.id %% %s)::int, '', now() FROM org_officer o WHERE o.id %% 4 <> 0",
                [campaign.id, start, days])
            cursor.execute(
                "INSERT INTO learning_examattempt (unit_id, exam_id, officer_id, number, status, started_at, "
                "deadline_at, submitted_at, submitted_on, answers, score, correct_count, passed, timed_out) "
                "SELECT o.unit_id, %s, o.id, 1, 'submitted', now(), now(), now(), %s::date - (o.id %% 20)::int, '{}', "
                "60 + o.id %% 40, 0, (o.id %% 10) <> 0, false FROM org_officer o WHERE o.id %% 5 <> 0",
                [exam.id, today])
        cursor.execute("SET session_replication_role = origin")
        with Step("ANALYZE"):
            cursor.execute("ANALYZE")
    with Step("rebuild-rollups"):
        call_command("rebuild_rollups", verbosity=0)
    from django.db import connection as c2

    with c2.cursor() as cursor:
        # VACUUM (not only ANALYZE) sets the visibility map, as autovacuum would after a bulk load:
        # the dashboard's reads of the rollups are index-only scans (rollups.COVERING_INDEXES).
        c2.set_autocommit(True)
        cursor.execute("VACUUM ANALYZE")


def sizes():
    from django.db import connection

    tables = ["org_unit", "org_officer", "activities_activityrecord", "activities_activityparticipant",
              "learning_studyrecord", "activities_talkrecord", "activities_pledgeletter", "learning_examattempt",
              "campaigns_action", "campaigns_actioncompletion", "stats_countdaily", "stats_officerfirst",
              "stats_distinctdaily", "stats_actionroll", "stats_rostercount", "stats_unitancestor"]
    out = {}
    with connection.cursor() as cursor:
        for t in tables:
            cursor.execute(f"SELECT count(*) FROM {t}")
            out[t] = cursor.fetchone()[0]
    return out


def measure(runs: int):
    from django.test import Client

    from zhengdun.campaigns.models import Campaign
    from zhengdun.org.models import Unit, User

    client = Client()
    client.force_login(User.objects.get(username="bench_admin"))
    province = Unit.objects.get(depth=0)
    city = Unit.objects.filter(depth=1).order_by("path").first()
    county = Unit.objects.filter(depth=2).order_by("path").first()
    campaign = Campaign.objects.order_by("id").first()
    results = []

    def timed(label, url, n, check=None):
        steal = StealMeter()
        for _ in range(3):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
        times = []
        for _ in range(n):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
        steal.stop()
        results.append((label, n, statistics.median(times), p95, max(times), steal.text()))
        return r

    for label, unit in (("province", province), ("city", city), ("county", county)):
        timed(f"dashboard {label} ({unit.name}, default range)", f"/stats/?unit={unit.id}", runs)
        from zhengdun.org.access import scope_for
        from zhengdun.stats import dashboard, registry

        ctx = dashboard.parse_ctx(scope_for(User.objects.get(username="bench_admin")), {"unit": unit.id})
        fallbacks = len(registry.evaluate(ctx)[2].live_fallbacks)
        if fallbacks:
            print(f"  note: {label} dashboard counted {fallbacks} distinct figures live")
    mid_from = campaign.start_date + dt.timedelta(days=30)
    mid_to = campaign.start_date + dt.timedelta(days=60)
    for label, unit in (("city", city), ("county", county)):
        timed(f"dashboard {label}, range not from the start (live distinct)",
              f"/stats/?unit={unit.id}&from={mid_from}&to={mid_to}", max(5, runs // 6))
    timed("API figures province", f"/api/stats/figures?unit={province.id}", runs)
    timed("export .xlsx province", f"/stats/export.xlsx?unit={province.id}", 5)
    timed("briefing .docx province", f"/stats/briefing.docx?unit={province.id}", 5)
    return results


def main():
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zd_bench")
    print(f"stats benchmark on {url} (scale {args.scale})")
    if not args.reuse:
        recreate_database(url)
    setup_django(url)
    if not args.reuse:
        t = time.monotonic()
        load(args.scale, args.participants)
        print(f"  loaded in {time.monotonic() - t:.0f}s")
    print("\nrows:")
    for table, n in sizes().items():
        print(f"  {table:<34}{n:>12,}")
    print(f"\n{describe()}")
    print("steal: CPU time the hypervisor gave to other machines while a line was measured")
    print(f"\n{'measurement':<58}{'n':>4}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}   steal")
    for label, n, p50, p95, worst, steal in measure(args.runs):
        print(f"{label:<58}{n:>4}{p50:>10.1f}{p95:>10.1f}{worst:>10.1f}   {steal}")


if __name__ == "__main__":
    main()
