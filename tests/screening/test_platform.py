"""The platform flow: register a data set → run with progress → review → export; scoped and audited."""

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.conftest import make_id
from zhengdun.audit.models import AuditEntry
from zhengdun.screening import services
from zhengdun.screening.models import ReviewStatus, RosterSource, RunStatus, ScreeningDataset, ScreeningHit

SPOUSE_ID = make_id("360101", "19820202", 42)  # judge_a's declared spouse (tests/conftest.py)
JUDGE_A_ID = make_id("360101", "19800101", 11)


def csv_file(name: str, header: list[str], rows: list[list]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


ENTERPRISE_HEADER = ["credit_code", "enterprise_name", "region_code", "status", "person_name", "person_id_number",
                     "person_role", "share_ratio"]
LAWYER_HEADER = ["license_no", "name", "id_number", "birth_date", "firm_name", "firm_region_code", "status"]


def registry_files(extra_enterprises=()):
    enterprises = [
        # The judge holds shares in an active company: officer_business.
        ["91360101MA0000001X", "甲县某贸易有限公司", "360101", "active", "张审判", JUDGE_A_ID, "shareholder", "0.3"],
        # A revoked company must not count.
        ["91360101MA0000002X", "甲县某旧公司", "360101", "revoked", "张审判", JUDGE_A_ID, "legal_rep", ""],
        *extra_enterprises,
    ]
    lawyers = [["13601200010001", "赵配偶", SPOUSE_ID, "1982-02-02", "甲县某律师事务所", "360101", "practising"]]
    return [csv_file("enterprises.csv", ENTERPRISE_HEADER, enterprises), csv_file("lawyers.csv", LAWYER_HEADER, lawyers)]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCREENING_SERVER_ROOTS = [str(tmp_path / "server")]
    return tmp_path


def register(cast, files=None):
    return services.dataset_register_upload(actor=cast.clue_handler, unit=cast.city, name="测试数据",
                                            files=files if files is not None else registry_files())


def test_only_clue_handlers_register_data_sets(cast, media):
    for who in ("city_admin", "sysadmin", "auditor"):
        with pytest.raises(PermissionDenied):
            services.dataset_register_upload(actor=cast.users[who], unit=cast.city, name="x", files=registry_files())
    assert not ScreeningDataset.objects.exists()


def test_a_broken_file_saves_nothing_and_names_file_and_column(cast, media):
    broken = csv_file("lawyers.csv", ["license_no", "name"], [["1", "x"]])
    with pytest.raises(ValidationError) as excinfo:
        register(cast, [broken])
    message = " ".join(excinfo.value.messages)
    assert "lawyers" in message
    assert not ScreeningDataset.objects.exists()
    assert not any((media / "media" / "screening").glob("*/*")) if (media / "media" / "screening").exists() else True


def test_wrong_file_names_are_refused(cast, media):
    with pytest.raises(ValidationError, match="不符合约定"):
        register(cast, [SimpleUploadedFile("people.xlsx", b"x")])


def test_server_folder_must_be_under_an_allowed_root(cast, media, tmp_path):
    with pytest.raises(ValidationError, match="允许的目录"):
        services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="x", path=str(tmp_path))


def run_platform(cast, dataset, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(actor=cast.clue_handler, dataset=dataset, roster_source=RosterSource.PLATFORM,
                                 as_of=dt.date(2026, 11, 1), **kwargs)
    run.refresh_from_db()
    return run


def test_platform_roster_run_finds_the_planted_conflicts(cast, media, django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 100
    hits = {(h.rule, h.subject, h.record_key): h for h in ScreeningHit.objects.filter(run=run)}
    assert ("officer_business", "officer", "91360101MA0000001X") in hits
    assert ("relative_lawyer", "spouse", "13601200010001") in hits
    assert not any(key[2] == "91360101MA0000002X" for key in hits)  # revoked enterprise
    hit = hits[("officer_business", "officer", "91360101MA0000001X")]
    assert hit.officer == cast.officers["judge_a"] and hit.unit_id == cast.court_a.id
    assert hit.match == "id" and hit.score == 1.0 and hit.evidence
    assert run.summary["officer_business"] == 1
    assert AuditEntry.objects.filter(action="screening.platform_roster_read").exists()


def test_rerun_marks_new_and_disappeared_hits_and_keeps_reviews(cast, media, django_capture_on_commit_callbacks):
    from zhengdun.org.access import scope_for
    from zhengdun.screening import selectors

    dataset = register(cast)
    first = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    officer_hit = ScreeningHit.objects.get(run=first, rule="officer_business")
    services.hit_review(actor=cast.clue_handler, hit=officer_hit, status=ReviewStatus.CONFIRMED, reason="已核实持股")
    lawyer_hit = ScreeningHit.objects.get(run=first, rule="relative_lawyer")
    # The spouse leaves the lawyer registry for the second run: the hit disappears.
    (media / "media").exists()
    lawyers = dataset.folder + "/lawyers.csv"
    with open(lawyers, "w", encoding="utf-8") as handle:
        handle.write(",".join(LAWYER_HEADER) + "\n")
    second = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert second.previous_id == first.id
    again = ScreeningHit.objects.get(run=second, rule="officer_business")
    assert again.is_new is False and again.review_status == ReviewStatus.CONFIRMED
    gone = list(selectors.disappeared_hits(scope=scope_for(cast.clue_handler), run=second))
    assert [h.fingerprint for h in gone] == [lawyer_hit.fingerprint]


def test_review_needs_a_reason_and_is_audited(cast, media, django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run).first()
    with pytest.raises(ValidationError, match="理由"):
        services.hit_review(actor=cast.clue_handler, hit=hit, status=ReviewStatus.FALSE_POSITIVE, reason="")
    services.hit_review(actor=cast.clue_handler, hit=hit, status=ReviewStatus.FALSE_POSITIVE, reason="同名不同人")
    entry = AuditEntry.objects.filter(action="screening.hit_review").latest("id")
    assert entry.actor_name == "clue_handler" and "false_positive" in entry.after


def test_pages_flow_scoped_and_export(cast, media, client_for, django_capture_on_commit_callbacks):
    client = client_for(cast.clue_handler)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/screening/datasets/new/", {"name": "页面上传", "unit": cast.city.id,
                                                             "files": registry_files()})
    assert response.status_code == 302
    dataset = ScreeningDataset.objects.get(name="页面上传")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/screening/datasets/{dataset.id}/", {
            "roster_source": "platform", "as_of": "2026-11-01", "engine": "duckdb",
            "rules": ["officer_business", "relative_lawyer", "relative_business", "case_conflict", "departed_lawyer"]})
    assert response.status_code == 302
    run_url = response["Location"]
    page = client.get(run_url)
    assert page.status_code == 200 and "甲县某贸易有限公司" not in page.content.decode()  # masked/short lists
    assert "91360101MA0000001X" in page.content.decode()
    progress = client.get(run_url + "progress/")
    assert "100%" in progress.content.decode()
    run_id = int(run_url.rstrip("/").split("/")[-1])
    exported = client.post(f"/screening/runs/{run_id}/export/?rule=officer_business")
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "规则" and len(rows) == 2
    assert AuditEntry.objects.filter(action="screening.hits_export").exists()
    hit = ScreeningHit.objects.filter(run_id=run_id, rule="officer_business").get()
    review = client.post(f"/screening/hits/{hit.id}/", {"status": "confirmed", "reason": "属实"})
    assert review.status_code == 302
    # Others: city office admin and county users cannot reach screening at all; hits of another scope are 404.
    assert client_for(cast.city_admin).get(run_url).status_code == 403
    assert client_for(cast.sysadmin).get(f"/screening/hits/{hit.id}/").status_code == 403


def test_api_progress_and_hits(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    client = client_for(cast.clue_handler)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/screening/runs", data={"dataset": dataset.id, "roster_source": "platform",
                                                             "as_of": "2026-11-01"}, content_type="application/json")
    assert response.status_code == 202
    run_id = response.json()["id"]
    body = client.get(f"/api/screening/runs/{run_id}").json()
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["unit"] == cast.city.id
    hits = client.get(f"/api/screening/runs/{run_id}/hits").json()
    assert hits["count"] >= 2 and all("unit" in h for h in hits["items"])


def test_a_county_handler_cannot_reach_another_countys_hits(cast, media, client_for, django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run).first()  # placed in county A's court
    hit.unit = cast.court_b
    hit.save()
    client = client_for(cast.handler_a)
    assert client.get(f"/screening/hits/{hit.id}/").status_code == 404
    response = client.post(f"/api/screening/hits/{hit.id}/review", data={"status": "confirmed", "reason": "越权"},
                           content_type="application/json")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get(f"/screening/runs/{run.id}/").status_code == 404  # the run belongs to the city
