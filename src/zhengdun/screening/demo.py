"""Demo registries for the demo city: enterprise, lawyer and case extracts with planted conflicts
against the demo officers and their declared relatives, registered as a data set of the city's
clue handler (registries only: people come from the platform's roster), with one finished run
against the platform roster and two reviewed hits — a confirmed lead and a false positive — so the
clue handler's pages are not empty. Idempotent; deterministic."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from django.conf import settings

from zhengdun.audit.chain import audited
from zhengdun.org.demo import CITY_CODE, random_name
from zhengdun.org.models import Officer, Relative, Unit, User
from zhengdun.screening.models import (
    DatasetSource,
    ReviewStatus,
    RosterSource,
    RunStatus,
    ScreeningDataset,
    ScreeningHit,
    ScreeningRun,
)

DEMO_DATASET = "演示：江州市企业、律师、案件登记数据（2021 年 4 月提取）"
CONFIRMED_REASON = "经调取工商登记档案核实，该干警本人持股并参与经营，未按规定报告，移交线索核查。"
FALSE_POSITIVE_REASON = "经核对户籍信息，登记人员与申报亲属同名且脱敏身份证号可见位一致，但完整身份证号不同，系同名误报。"


def seed_screening_demo(seed: int = 7) -> ScreeningDataset | None:
    city = Unit.objects.filter(code=CITY_CODE).first()
    handler = User.objects.filter(username="clue_handler").first()
    if city is None or handler is None:
        return None
    dataset = ScreeningDataset.objects.filter(name=DEMO_DATASET).first()
    if dataset is None:
        dataset = _register(city, handler, seed)
    seed_screening_run(dataset=dataset, handler=handler)
    return dataset


def seed_screening_run(*, dataset: ScreeningDataset, handler: User) -> ScreeningRun | None:
    """One finished run of the demo data set against the platform roster (run here, not by a worker),
    with a confirmed lead and a false positive. Skipped once the data set has a finished run."""
    from zhengdun.screening import services

    done = ScreeningRun.objects.filter(dataset=dataset, status=RunStatus.SUCCEEDED).order_by("pk").first()
    if done is not None:
        return done
    run = services.run_start(actor=handler, dataset=dataset, roster_source=RosterSource.PLATFORM, background=False)
    if run.status != RunStatus.SUCCEEDED:
        return run
    hits = ScreeningHit.objects.filter(run=run).order_by("rule", "-score", "officer_key", "id")
    lead = hits.filter(rule="officer_business", match="id", evidence__contains="持股比例").first()
    doubtful = hits.filter(match="fuzzy").order_by("score", "id").first()
    if lead is not None:
        services.hit_review(actor=handler, hit=lead, status=ReviewStatus.CONFIRMED, reason=CONFIRMED_REASON)
    if doubtful is not None:
        services.hit_review(actor=handler, hit=doubtful, status=ReviewStatus.FALSE_POSITIVE,
                            reason=FALSE_POSITIVE_REASON)
    return run


def _register(city: Unit, handler: User, seed: int) -> ScreeningDataset:
    rng = random.Random(seed)
    folder = Path(settings.MEDIA_ROOT) / "screening" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    officers = list(Officer.objects.filter(unit__path__startswith=city.path).select_related("unit").order_by("id"))
    relatives = list(Relative.objects.filter(unit__path__startswith=city.path).exclude(id_number_enc="")
                     .select_related("officer__unit").order_by("id"))
    enterprises, lawyers, cases = [], [], []

    def credit_code(i: int) -> str:
        return f"913690{i:011d}X"[:18]

    # Background: ordinary people in ordinary companies and firms.
    for i in range(1500):
        enterprises.append([credit_code(i), f"江州市{rng.choice('东西南北中')}某{rng.choice(['贸易', '科技', '建材', '餐饮', '物流'])}有限公司",
                            f"3690{rng.randint(1, 6):02d}", rng.choice(["active"] * 8 + ["revoked", "cancelled"]),
                            random_name(rng), "", rng.choice(["shareholder", "legal_rep", "manager"]), ""])
    for i in range(200):
        lawyers.append([f"1369020{i:08d}", random_name(rng), "", "", f"江州{rng.choice('正信德明')}律师事务所",
                        f"3690{rng.randint(1, 6):02d}", "practising"])
    serving = [o for o in officers if o.status == "serving"]
    # Planted: officers holding roles in active companies (exact ID), one with a legacy 15-digit ID.
    for n, officer in enumerate(rng.sample(serving, 6)):
        number = officer.reveal_id_number()
        shown = number[:6] + number[8:17] if n == 0 else number
        enterprises.append([credit_code(5000 + n), f"江州市某咨询服务有限公司{n + 1}", officer.unit.division_code.ljust(6, "0"),
                            "active", officer.name, shown, rng.choice(["shareholder", "director"]), "0.2"])
    # Planted: spouses/children with companies inside the officer's jurisdiction (one masked ID: fuzzy).
    close = [r for r in relatives if r.relation in ("spouse", "child", "child_spouse")]
    for n, relative in enumerate(rng.sample(close, 6)):
        number = relative.reveal_id_number()
        shown = number[:6] + "********" + number[-4:] if n % 2 else number
        enterprises.append([credit_code(6000 + n), f"江州市某工程有限公司{n + 1}", relative.officer.unit.division_code.ljust(6, "0"),
                            "active", relative.name, shown, "legal_rep", ""])
    # Planted: spouses practising law inside the jurisdiction, and a case the officer handled.
    for n, relative in enumerate(rng.sample([r for r in close if r.relation == "spouse"], 4)):
        license_no = f"1369021{n:08d}"
        lawyers.append([license_no, relative.name, relative.reveal_id_number(), "",
                        "江州明德律师事务所", relative.officer.unit.division_code.ljust(6, "0"), "practising"])
        cases.append([f"（2021）赣3690民初{1000 + n}号", str(relative.officer_id), license_no])
    # Planted: departed judges/prosecutors practising law within two years of leaving.
    recent = dt.date.today() - dt.timedelta(days=700)
    departed = [o for o in officers if o.status in ("departed", "retired") and o.left_date and o.left_date > recent
                and o.unit.kind in ("court", "procuratorate")]
    for n, officer in enumerate(departed[:3]):
        lawyers.append([f"1369022{n:08d}", officer.name, officer.reveal_id_number(), "", "江州公正律师事务所",
                        "369001", "practising"])
    for i in range(600):
        cases.append([f"（2021）赣3690民初{2000 + i}号", str(rng.choice(officers).id),
                      lawyers[rng.randrange(200)][0]])
    _write(folder / "enterprises.csv", ["credit_code", "enterprise_name", "region_code", "status", "person_name",
                                        "person_id_number", "person_role", "share_ratio"], enterprises)
    _write(folder / "lawyers.csv", ["license_no", "name", "id_number", "birth_date", "firm_name",
                                    "firm_region_code", "status"], lawyers)
    _write(folder / "cases.csv", ["case_id", "handler_officer_id", "lawyer_license_no"], cases)
    with audited(actor=handler, action="screening.dataset_register"):
        return ScreeningDataset.objects.create(
            unit=city, name=DEMO_DATASET, source=DatasetSource.UPLOAD, folder=str(folder), created_by=handler,
            files={"enterprises": len(enterprises), "lawyers": len(lawyers), "cases": len(cases)})


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
