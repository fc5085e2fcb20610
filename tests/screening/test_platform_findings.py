"""Platform side of screening, review findings: quick registration with full validation in the run,
safe .xlsx export, re-run comparison restricted to common rules, contract roles, unbounded keys,
leads for the clue workflow; all scoped, audited and masked."""

import datetime as dt
import io
import re
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DataError
from openpyxl import load_workbook

from tests.conftest import make_id
from tests.screening.test_platform import (
    ENTERPRISE_HEADER,
    JUDGE_A_ID,
    LAWYER_HEADER,
    SPOUSE_ID,
    csv_file,
    register,
    registry_files,
    run_platform,
)
from zhengdun.audit.models import AuditEntry
from zhengdun.org.access import scope_for
from zhengdun.org.models import OfficerCategory, OfficerStatus, UnitKind
from zhengdun.org.services import officer_create
from zhengdun.screening import engine_adapter, selectors, services
from zhengdun.screening.models import ReviewStatus, RunStatus, ScreeningDataset, ScreeningHit, ScreeningRun


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCREENING_SERVER_ROOTS = [str(tmp_path / "server")]
    return tmp_path


CASES_HEADER = ["case_id", "handler_officer_id", "lawyer_license_no"]


def rows_of(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


# --- 1. registration only checks; the run validates every row -------------------------------------

def test_registration_does_not_run_the_engine(cast, media, monkeypatch):
    def no_screening(*args, **kwargs):
        raise AssertionError("registration must not run a screening")

    monkeypatch.setattr(engine_adapter, "engine_screen", no_screening)
    dataset = register(cast)
    assert dataset.files == {"enterprises": None, "lawyers": None}  # CSV rows: counted by the first run


def test_registration_checks_headers_encoding_and_duplicates(cast, media):
    with pytest.raises(ValidationError, match="lawyers.csv.*firm_name"):
        register(cast, [csv_file("lawyers.csv", ["license_no", "name", "id_number", "birth_date"], [])])
    gbk = ",".join(LAWYER_HEADER).encode() + "\n1,赵配偶,,,某所,360101,practising\n".encode("gbk")
    with pytest.raises(ValidationError, match="lawyers.csv.*UTF-8"):
        register(cast, [SimpleUploadedFile("lawyers.csv", gbk)])
    with pytest.raises(ValidationError, match="登记库文件"):
        register(cast, [csv_file("roster.csv", list(engine_adapter.FILES["roster"]), [])])
    assert not ScreeningDataset.objects.exists()


def test_server_folder_is_checked_quickly_and_parquet_rows_come_from_metadata(cast, media):
    folder = media / "server" / "province"
    folder.mkdir(parents=True)
    table = pa.table({c: ["x"] * 3 for c in LAWYER_HEADER})
    pq.write_table(table, folder / "lawyers.parquet")
    (folder / "enterprises.csv").write_text(",".join(ENTERPRISE_HEADER) + "\n", encoding="utf-8")
    (folder / "notes.txt").write_text("ignored")
    dataset = services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="省级", path=str(folder))
    assert dataset.files == {"lawyers": 3, "enterprises": None}
    (folder / "lawyers.csv").write_text(",".join(LAWYER_HEADER) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="lawyers.csv and lawyers.parquet"):
        services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="两份", path=str(folder))


def test_bad_rows_fail_the_run_naming_file_and_column(cast, media, client_for, django_capture_on_commit_callbacks):
    bad = csv_file("lawyers.csv", LAWYER_HEADER,
                   [["13601200010001", "赵配偶", SPOUSE_ID, "1982-02-02", "某所", "360101", "retired"]])
    dataset = register(cast, [bad])  # the header is right: registered at once
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED
    assert "数据校验未通过" in run.error and "问题在文件 lawyers.csv 的 status 列" in run.error
    assert not ScreeningHit.objects.filter(run=run).exists()
    page = client_for(cast.clue_handler).get(f"/screening/runs/{run.id}/progress/").content.decode()
    assert "lawyers.csv" in page and "status" in page and "失败" in page


def test_the_first_run_counts_the_rows_of_csv_files(cast, media, django_capture_on_commit_callbacks):
    dataset = register(cast)
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED, run.error
    dataset.refresh_from_db()
    assert dataset.files == {"enterprises": 2, "lawyers": 1}
    assert "case_conflict" not in run.rule_list and "未运行" in run.stage  # no cases file


# --- 2. the export writes registry values as text, never as formulas --------------------------------

TRIGGERS = ['=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tX", "\r=1"]


def test_export_writes_formula_like_values_as_text(cast, media, client_for, django_capture_on_commit_callbacks):
    evil = ["=1+2", "甲县某公司", "360101", "active", "张审判", JUDGE_A_ID, "shareholder", "0.1"]
    run = run_platform(cast, register(cast, registry_files([evil])), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED, run.error
    hit = ScreeningHit.objects.get(run=run, record_key="=1+2")
    for n, value in enumerate(TRIGGERS):
        ScreeningHit.objects.create(unit=cast.court_a, run=run, rule="officer_business", officer_key=value,
                                    subject="officer", subject_name=value, registry="enterprises",
                                    record_key=value, match="fuzzy", score=0.5, evidence=value, fingerprint=f"t{n}",
                                    review_reason=value)
    content = client_for(cast.clue_handler).post(f"/screening/runs/{run.id}/export/").content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    cells = [c for row in load_workbook(io.BytesIO(content)).active.iter_rows() for c in row]
    texts = {c.value for c in cells if c.data_type == "s"}
    assert set(TRIGGERS) <= texts and hit.record_key in texts
    assert not any(c.data_type == "f" for c in cells)
    assert all(c.quotePrefix for c in cells if isinstance(c.value, str) and c.value in TRIGGERS)


# --- 3. re-runs compare the rules both runs ran, with the latest earlier finished run ----------------

def test_a_subset_rerun_compares_only_common_rules(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    first = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    lawyer_hit = ScreeningHit.objects.get(run=first, rule="relative_lawyer")
    services.hit_review(actor=cast.clue_handler, hit=lawyer_hit, status=ReviewStatus.CONFIRMED, reason="配偶执业属实")
    subset = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["officer_business"])
    assert subset.previous_id == first.id and subset.compared_rules == ["officer_business"]
    scope = scope_for(cast.clue_handler)
    assert list(selectors.disappeared_hits(scope=scope, run=subset)) == []  # relative_lawyer was not run
    page = client_for(cast.clue_handler).get(f"/screening/runs/{subset.id}/").content.decode()
    assert f"对比运行 #{first.id}" in page and "对比的规则" in page
    # The next full run is compared with the subset run on officer_business only, yet keeps the
    # review made in the first run.
    full = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert full.previous_id == subset.id and full.compared_rules == ["officer_business"]
    again = ScreeningHit.objects.get(run=full, rule="relative_lawyer")
    assert again.review_status == ReviewStatus.CONFIRMED and again.review_reason == "配偶执业属实"
    assert ScreeningHit.objects.get(run=full, rule="officer_business").is_new is False
    page = client_for(cast.clue_handler).get(f"/screening/runs/{full.id}/").content.decode()
    assert "未对比" in page


def test_runs_without_a_common_rule_or_unfinished_are_not_compared(cast, media, django_capture_on_commit_callbacks):
    dataset = register(cast)
    first = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["officer_business"])
    ScreeningRun.objects.create(unit=cast.city, dataset=dataset, roster_source="platform", as_of=dt.date(2026, 1, 1),
                                rules="relative_lawyer", status=RunStatus.FAILED, created_by=cast.clue_handler)
    other = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["relative_lawyer"])
    assert other.status == RunStatus.SUCCEEDED and other.previous_id is None
    assert ScreeningHit.objects.get(run=other).is_new is False  # nothing to be new against
    later = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["officer_business"])
    assert later.previous_id == first.id


# --- 4. contract roles from unit kind and personnel category -------------------------------------------

def test_contract_roles(cast):
    def officer(unit, seq, **fields):
        return officer_create(actor=None, unit=unit, id_number=make_id("360101", "19900101", seq), name=f"人{seq}",
                              gender="M", birth_date=dt.date(1990, 1, 1), **fields)

    assert services.contract_role(cast.officers["judge_a"]) == "judge"
    assert services.contract_role(cast.officers["police_a"]) == "police"
    assert services.contract_role(officer(cast.court_a, 61, position="书记员")) == "judge"
    assert services.contract_role(officer(cast.court_a, 62, category=OfficerCategory.AUXILIARY)) == "other"
    assert services.contract_role(officer(cast.police_a, 63, category=OfficerCategory.AUXILIARY)) == "other"
    assert services.contract_role(officer(cast.court_a, 64, category=OfficerCategory.OTHER)) == "other"
    assert services.contract_role(officer(cast.county_a, 65)) == "committee"
    cast.court_a.kind = UnitKind.PROCURATORATE
    assert services.contract_role(cast.officers["judge_a"]) == "prosecutor"


def test_departed_lawyer_flags_a_departed_judge_but_not_an_auxiliary(cast, media, django_capture_on_commit_callbacks):
    left = dt.date(2026, 3, 1)
    people = {}
    for seq, category in ((71, OfficerCategory.OFFICER), (72, OfficerCategory.AUXILIARY)):
        number = make_id("360101", "19880808", seq)
        people[category] = (officer_create(actor=None, unit=cast.court_a, id_number=number, name=f"离职{seq}",
                                           gender="M", birth_date=dt.date(1988, 8, 8), category=category,
                                           status=OfficerStatus.DEPARTED, left_date=left), number)
    lawyers = [[f"1360120001{seq}", o.name, number, "1988-08-08", "乙所", "360102", "practising"]
               for seq, (o, number) in zip((71, 72), people.values(), strict=True)]
    dataset = register(cast, [csv_file("lawyers.csv", LAWYER_HEADER, lawyers)])
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["departed_lawyer"])
    assert run.status == RunStatus.SUCCEEDED, run.error
    flagged = set(ScreeningHit.objects.filter(run=run).values_list("officer_id", flat=True))
    assert flagged == {people[OfficerCategory.OFFICER][0].id}


# --- 5. keys and names of any length; what cannot be stored fails the run clearly ------------------

def test_long_case_ids_are_stored(cast, media, django_capture_on_commit_callbacks):
    case_id = "（2026）赣0101民初" + "1" * 300 + "号"
    files = registry_files() + [csv_file("cases.csv", CASES_HEADER,
                                         [[case_id, str(cast.officers["judge_a"].id), "13601200010001"]])]
    run = run_platform(cast, register(cast, files), django_capture_on_commit_callbacks, rules=["case_conflict"])
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert ScreeningHit.objects.get(run=run).record_key == case_id
    for name in ("officer_key", "subject_name", "record_key"):
        assert ScreeningHit._meta.get_field(name).max_length is None


def outcome(**row):
    base = {"rule": "officer_business", "officer_id": "1", "subject": "officer", "subject_name": "某人",
            "registry": "enterprises", "record_key": "R1", "match": "id", "score": 1.0, "evidence": "e"}
    return engine_adapter.Outcome(rows=[base, {**base, **row}], counts={}, rules_run=["officer_business"],
                                  rules_skipped={})


@pytest.mark.parametrize(("row", "expected"), [
    ({"subject": "neighbour"}, "字段 subject"),
    ({"score": 1.5}, "字段 score"),
    ({"record_key": ""}, "字段 record_key"),
    ({"rule": "relative_lawyer"}, "字段 rule"),  # not a rule this run ran
    ({}, "重复"),
])
def test_rows_that_cannot_be_stored_fail_the_run_with_a_message(cast, media, monkeypatch, row, expected,
                                                                django_capture_on_commit_callbacks):
    monkeypatch.setattr(engine_adapter, "screen", lambda *a, **k: outcome(**row))
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks, rules=["officer_business"])
    assert run.status == RunStatus.FAILED and "第 2 条命中" in run.error and expected in run.error
    assert not ScreeningHit.objects.filter(run=run).exists()


def test_a_database_error_while_storing_fails_the_run_with_a_message(cast, media, monkeypatch,
                                                                     django_capture_on_commit_callbacks):
    def refuse(*args, **kwargs):
        raise DataError("value too long for type character varying(64)")

    monkeypatch.setattr(ScreeningHit.objects, "bulk_create", refuse)
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED and "命中结果无法写入数据库" in run.error
    assert AuditEntry.objects.filter(action="screening.run_failed").exists()


# --- 6. confirmed hits as leads, linked back to run and data set --------------------------------------

def test_leads_list_one_per_finding_with_run_and_data_set(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    first = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.get(run=first, rule="officer_business")
    services.hit_review(actor=cast.clue_handler, hit=hit, status=ReviewStatus.CONFIRMED, reason="持股属实")
    second = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    scope = scope_for(cast.clue_handler)
    leads = list(selectors.lead_list(scope=scope))
    assert [(h.run_id, h.rule) for h in leads] == [(second.id, "officer_business")]
    assert leads[0].lead_key == hit.lead_key == f"{dataset.id}/platform/{hit.fingerprint}"
    client = client_for(cast.clue_handler)
    body = client.get("/api/screening/leads").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["run"], item["dataset"], item["lead_key"], item["review_status"]) == (
        second.id, dataset.id, hit.lead_key, "confirmed")
    assert client.get(f"/api/screening/leads?dataset={dataset.id}").json()["count"] == 1
    page = client.get("/screening/leads/").content.decode()
    assert f'href="/screening/runs/{second.id}/"' in page and dataset.name in page
    exported = rows_of(client.post("/screening/leads/export/").content)
    assert exported[0][-4:] == ("数据集", "运行编号", "命中编号", "线索标识")
    assert exported[1][-4:] == (dataset.name, second.id, leads[0].id, hit.lead_key)
    entry = AuditEntry.objects.filter(action="screening.hits_export").latest("id")
    assert entry.object_id == "leads" and entry.actor_name == "clue_handler"
    # Excluded on a later run: no longer a lead.
    services.hit_review(actor=cast.clue_handler, hit=ScreeningHit.objects.get(run=second, rule="officer_business"),
                        status=ReviewStatus.FALSE_POSITIVE, reason="同名不同人")
    assert not selectors.lead_list(scope=scope).exists()


# --- 7. scoped, audited, masked; progress during the run --------------------------------------------

def test_leads_are_scoped(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    for h in ScreeningHit.objects.filter(run=run):
        services.hit_review(actor=cast.clue_handler, hit=h, status=ReviewStatus.CONFIRMED, reason="属实")
    moved = ScreeningHit.objects.filter(run=run, rule="relative_lawyer").get()
    moved.unit = cast.court_b
    moved.save()
    handler_a = client_for(cast.handler_a)
    items = handler_a.get("/api/screening/leads").json()["items"]
    assert {i["unit"] for i in items} == {cast.court_a.id}
    page = handler_a.get("/screening/leads/").content.decode()
    assert f'href="/screening/runs/{run.id}/"' not in page  # the city's run is not theirs
    assert handler_a.get(f"/screening/leads/?dataset={dataset.id}").status_code == 404
    assert handler_a.get(f"/api/screening/leads?dataset={dataset.id}").status_code == 404
    exported = rows_of(handler_a.post("/screening/leads/export/").content)
    assert len(exported) == 1 + len(items)
    assert client_for(cast.city_admin).get("/screening/leads/").status_code == 403
    assert client_for(cast.sysadmin).get("/api/screening/leads").status_code == 403


def test_no_id_number_in_lists_pages_or_api(cast, media, client_for, django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    for h in ScreeningHit.objects.filter(run=run):
        services.hit_review(actor=cast.clue_handler, hit=h, status=ReviewStatus.CONFIRMED, reason="属实")
    client = client_for(cast.clue_handler)
    hit = ScreeningHit.objects.filter(run=run).first()
    for url in (f"/screening/runs/{run.id}/", "/screening/leads/", f"/screening/hits/{hit.id}/",
                f"/api/screening/runs/{run.id}/hits", "/api/screening/leads", f"/api/screening/hits/{hit.id}"):
        body = client.get(url).content.decode()
        assert JUDGE_A_ID not in body and SPOUSE_ID not in body, url
        assert JUDGE_A_ID[:14] not in body and SPOUSE_ID[:14] not in body, url


def test_progress_is_recorded_and_shown_while_running(cast, media, client_for, monkeypatch,
                                                     django_capture_on_commit_callbacks):
    seen = []
    original = services._set_progress

    def spy(run, progress, stage):
        original(run, progress, stage)
        seen.append((ScreeningRun.objects.get(pk=run.pk).status, progress, stage))

    monkeypatch.setattr(services, "_set_progress", spy)
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED
    assert all(status == RunStatus.RUNNING for status, _p, _s in seen)
    assert [p for _s, p, _t in seen] == sorted(p for _s, p, _t in seen) and any("校验" in s for _a, _p, s in seen)
    ScreeningRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=40, stage="匹配与规则")
    page = client_for(cast.clue_handler).get(f"/screening/runs/{run.id}/progress/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "40%" in page and "匹配与规则" in page


def test_every_step_is_audited(cast, media, client_for, django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"screening.dataset_register", "screening.run_start", "screening.run_begin", "screening.run_store",
            "screening.platform_roster_read"} <= actions
    client_for(cast.clue_handler).post(f"/screening/runs/{run.id}/export/")
    assert AuditEntry.objects.filter(action="screening.hits_export", object_id=f"run:{run.id}").exists()


def test_dataset_page_shows_uncounted_rows_and_ticks_runnable_rules(cast, media, client_for):
    dataset = register(cast)
    page = client_for(cast.clue_handler).get(f"/screening/datasets/{dataset.id}/").content.decode()
    assert "首次运行时统计" in page and "None" not in page
    boxes = dict(re.findall(r'<input type="checkbox" name="rules" value="(\w+)"([^>]*)>', page))
    assert "checked" in boxes["officer_business"] and "checked" not in boxes["case_conflict"]  # no cases file
    assert services.dataset_runnable_rules(dataset=dataset) == [
        "officer_business", "relative_business", "relative_lawyer", "departed_lawyer"]
