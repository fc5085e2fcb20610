"""Screening is read and written with the clue-handler assignments only; filters, run execution and
review reasons fail safe."""

import pytest
from openpyxl import load_workbook

from tests.conftest import make_id
from tests.screening.test_platform import register, registry_files, run_platform
from zhengdun.org.models import Role
from zhengdun.org.services import user_create
from zhengdun.screening import services
from zhengdun.screening.models import ReviewStatus, RosterSource, RunStatus, ScreeningHit

JUDGE_B_ID = make_id("360102", "19790303", 31)
B_ROW = ["91360102MA0000009X", "乙县某公司", "360102", "active", "王法官", JUDGE_B_ID, "shareholder", "0.5"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCREENING_SERVER_ROOTS = [str(tmp_path / "server")]
    return tmp_path


def city_run(cast, dcc):
    run = run_platform(cast, register(cast, registry_files(extra_enterprises=[B_ROW])), dcc)
    assert run.status == RunStatus.SUCCEEDED, run.error
    return run


def test_another_role_elsewhere_does_not_widen_the_screening_scope(cast, media, client_for,
                                                                   django_capture_on_commit_callbacks):
    run = city_run(cast, django_capture_on_commit_callbacks)
    b_hit = ScreeningHit.objects.get(run=run, unit=cast.court_b)
    a_hit = ScreeningHit.objects.filter(run=run, unit=cast.court_a).first()
    mixed = user_create(actor=None, username="mixed", password="correct-horse-battery",
                        roles=[(Role.CLUE_HANDLER, cast.county_a), (Role.SUPERVISOR, cast.county_b)])
    client = client_for(mixed)
    assert client.get(f"/screening/hits/{a_hit.id}/").status_code == 200
    assert client.get(f"/screening/hits/{b_hit.id}/").status_code == 404
    client.post(f"/screening/hits/{b_hit.id}/", {"status": "false_positive", "reason": "越权排除"})
    b_hit.refresh_from_db()
    assert b_hit.review_status == ReviewStatus.PENDING
    assert client.get(f"/api/screening/hits/{b_hit.id}").status_code == 404
    with pytest.raises(services.PermissionDenied):
        services.hit_review(actor=mixed, hit=b_hit, status=ReviewStatus.CONFIRMED, reason="越权确认")


def test_an_officer_who_is_also_a_clue_handler_does_not_see_hits_about_himself(
        cast, media, client_for, django_capture_on_commit_callbacks):
    run = city_run(cast, django_capture_on_commit_callbacks)
    b_hit = ScreeningHit.objects.get(run=run, unit=cast.court_b)
    assert b_hit.officer == cast.officers["judge_b"]
    services.hit_review(actor=cast.clue_handler, hit=b_hit, status=ReviewStatus.CONFIRMED, reason="属实")
    user = user_create(actor=None, username="judge_b_handler", password="correct-horse-battery",
                       roles=[(Role.CLUE_HANDLER, cast.police_a), (Role.OFFICER, cast.court_b)],
                       officer=cast.officers["judge_b"])
    client = client_for(user)
    assert client.get(f"/screening/hits/{b_hit.id}/").status_code == 404
    assert client.get("/api/screening/leads").json()["count"] == 0


def test_an_invalid_filter_shows_its_error_and_never_widens_the_export(cast, media, client_for,
                                                                      django_capture_on_commit_callbacks):
    run = city_run(cast, django_capture_on_commit_callbacks)
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/runs/{run.id}/?rule=officer_business&min_score=abc").content.decode()
    assert "筛选条件有误" in page
    assert "/screening/hits/" not in page  # no hit listed under a filter that could not be applied
    response = client.post(f"/screening/runs/{run.id}/export/?rule=officer_business&min_score=abc")
    assert response.status_code == 302 and "min_score=abc" in response["Location"]
    ok = client.post(f"/screening/runs/{run.id}/export/?rule=officer_business")
    rows = list(load_workbook(__import__("io").BytesIO(ok.content)).active.iter_rows(values_only=True))
    assert len(rows) - 1 == ScreeningHit.objects.filter(run=run, rule="officer_business").count()


def test_a_finished_run_is_not_executed_again(cast, media, django_capture_on_commit_callbacks):
    run = city_run(cast, django_capture_on_commit_callbacks)
    hits = set(ScreeningHit.objects.filter(run=run).values_list("pk", flat=True))
    again = services.run_execute(run.pk)
    assert again.status == RunStatus.SUCCEEDED and not again.error
    assert set(ScreeningHit.objects.filter(run=run).values_list("pk", flat=True)) == hits


def test_a_stopped_worker_fails_the_run_instead_of_leaving_it_running(cast, media, monkeypatch):
    run = services.run_start(actor=cast.clue_handler, dataset=register(cast), roster_source=RosterSource.PLATFORM)

    def stopped(*args, **kwargs):
        raise SystemExit("worker stopped")

    monkeypatch.setattr(services.engine_adapter, "screen", stopped)
    with pytest.raises(SystemExit):
        services.run_execute(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "中断" in run.error


def test_a_review_reason_longer_than_the_field_is_refused_with_a_message(cast, media, client_for,
                                                                        django_capture_on_commit_callbacks):
    run = city_run(cast, django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run).first()
    response = client_for(cast.clue_handler).post(f"/api/screening/hits/{hit.id}/review",
                                                  data={"status": "confirmed", "reason": "理" * 501},
                                                  content_type="application/json")
    assert response.status_code == 422 or response.status_code == 400, response.content
    assert "500" in response.content.decode()
    hit.refresh_from_db()
    assert hit.review_status == ReviewStatus.PENDING and hit.review_reason == ""


def test_reading_hits_is_audited_on_pages_and_api(cast, media, client_for, django_capture_on_commit_callbacks):
    from zhengdun.audit.models import AuditEntry

    run = city_run(cast, django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run).first()
    client = client_for(cast.clue_handler)

    def reads(action):
        return AuditEntry.objects.filter(action=action, op="read", actor_id=cast.clue_handler.id).count()

    assert client.get(f"/screening/hits/{hit.id}/").status_code == 200
    assert client.get(f"/api/screening/hits/{hit.id}").status_code == 200
    assert reads("screening.hit_view") == 2
    assert AuditEntry.objects.filter(action="screening.hit_view", object_id=str(hit.id)).count() == 2
    assert client.get(f"/screening/runs/{run.id}/").status_code == 200
    assert client.get(f"/api/screening/runs/{run.id}/hits").status_code == 200
    assert reads("screening.hits_view") == 2
    assert client.get("/screening/leads/").status_code == 200
    assert client.get("/api/screening/leads").status_code == 200
    assert reads("screening.leads_view") == 2


def test_a_server_file_linking_outside_the_roots_is_refused(cast, media, tmp_path):
    from django.core.exceptions import ValidationError

    from tests.screening.test_platform import LAWYER_HEADER

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "lawyers.csv").write_text(",".join(LAWYER_HEADER) + "\n", encoding="utf-8")
    folder = tmp_path / "server" / "ds"
    folder.mkdir(parents=True)
    (folder / "lawyers.csv").symlink_to(outside / "lawyers.csv")
    with pytest.raises(ValidationError) as exc:
        services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="外链", path=str(folder))
    assert "lawyers.csv" in str(exc.value) and "允许目录之外" in str(exc.value)
    inside = tmp_path / "server" / "real"
    inside.mkdir()
    (inside / "lawyers.csv").write_text(",".join(LAWYER_HEADER) + "\n", encoding="utf-8")
    (folder / "lawyers.csv").unlink()
    (folder / "lawyers.csv").symlink_to(inside / "lawyers.csv")  # a link within the roots is fine
    dataset = services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="内链", path=str(folder))
    (folder / "lawyers.csv").unlink()
    (folder / "lawyers.csv").symlink_to(outside / "lawyers.csv")  # changed after registration
    run = services.run_start(actor=cast.clue_handler, dataset=dataset, roster_source=RosterSource.PLATFORM,
                             background=False)
    assert run.status == RunStatus.FAILED and "允许目录之外" in run.error


ROSTER_HEADER = ["officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction", "role", "status",
                 "left_date"]


def test_a_data_set_roster_puts_each_hit_in_the_listed_unit_with_the_listed_name(
        cast, media, client_for, django_capture_on_commit_callbacks):
    from tests.screening.test_platform import csv_file

    roster = csv_file("roster.csv", ROSTER_HEADER, [
        ["R1", "张 审判", make_id("360101", "19800101", 11), "", "CAFY", "360101", "judge", "serving", ""],
        ["R2", "王法官", JUDGE_B_ID, "", "CBFY", "360102", "judge", "serving", ""],
        ["R3", "外单位人", make_id("360101", "19700707", 71), "", "ELSEWHERE", "360101", "police", "serving", ""]])
    relatives = csv_file("relatives.csv", ["officer_id", "relation", "name", "id_number", "birth_date"], [])
    outsider = ["91360101MA0000007X", "甲县另一公司", "360101", "active", "外单位人",
                make_id("360101", "19700707", 71), "legal_rep", ""]
    dataset = register(cast, [roster, relatives, *registry_files(extra_enterprises=[B_ROW, outsider])])
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(actor=cast.clue_handler, dataset=dataset, roster_source=RosterSource.DATASET)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    hits = {h.officer_key: h for h in ScreeningHit.objects.filter(run=run, rule="officer_business")}
    assert (hits["R1"].unit_id, hits["R1"].officer_name) == (cast.court_a.id, "张 审判")
    assert (hits["R2"].unit_id, hits["R2"].officer_name) == (cast.court_b.id, "王法官")
    assert (hits["R3"].unit_id, hits["R3"].officer_name) == (cast.city.id, "外单位人")  # unknown code: the run's unit
    assert all(h.officer is None for h in hits.values())
    client = client_for(cast.users["handler_a"])
    assert client.get(f"/screening/hits/{hits['R1'].id}/").status_code == 200
    assert client.get(f"/screening/hits/{hits['R2'].id}/").status_code == 404


def test_the_api_turns_only_the_requested_page_of_hits_into_rows(cast, media, client_for, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    from zhengdun.screening import api

    run = city_run(cast, django_capture_on_commit_callbacks)
    template = ScreeningHit.objects.filter(run=run).first()
    extra = []
    for n in range(150):
        template.pk = None
        template.record_key, template.fingerprint = f"X{n:04d}", f"{n:040x}"
        extra.append(ScreeningHit(**{f.attname: getattr(template, f.attname) for f in ScreeningHit._meta.concrete_fields}))
    ScreeningHit.objects.bulk_create(extra)
    total = ScreeningHit.objects.filter(run=run).count()
    calls = []
    real = api._hit_out
    monkeypatch.setattr(api, "_hit_out", lambda h: calls.append(h.pk) or real(h))
    body = client_for(cast.clue_handler).get(f"/api/screening/runs/{run.id}/hits?page=2").json()
    assert body["count"] == total and len(body["items"]) == total - 100
    assert len(calls) == total - 100


def test_a_run_whose_worker_process_has_gone_is_shown_failed(cast, media, client_for,
                                                              django_capture_on_commit_callbacks):
    import datetime as dt
    import socket
    import subprocess
    import sys

    from zhengdun.screening.models import ScreeningRun

    dataset = register(cast)
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert run.worker == services.worker_id()  # the process that ran it
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    host = socket.gethostname()
    me = services.worker_id()

    def running(worker):
        return ScreeningRun.objects.create(unit=cast.city, dataset=dataset, roster_source="platform",
                                           as_of=dt.date(2026, 1, 1), rules="officer_business",
                                           status=RunStatus.RUNNING, created_by=cast.clue_handler, worker=worker)

    namespace = me.split(":")[1]
    killed = running(f"{host}:{namespace}:{child.pid}:1")
    reused = running(f"{host}:{namespace}:{me.split(':')[2]}:1")   # the pid now belongs to another process
    alive = running(me)
    elsewhere = running(f"other-host-{host}:{namespace}:{child.pid}:1")
    other_container = running(f"{host}:1{namespace}:{child.pid}:1")
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/runs/{killed.id}/").content.decode()
    assert "执行进程已停止" in page
    for r in (killed, reused, alive, elsewhere, other_container):
        r.refresh_from_db()
    assert (killed.status, reused.status) == (RunStatus.FAILED, RunStatus.FAILED)
    assert {alive.status, elsewhere.status, other_container.status} == {RunStatus.RUNNING}
    assert client.get(f"/api/screening/runs/{alive.id}").json()["status"] == "running"


def test_the_export_and_the_hit_page_speak_english_when_asked(cast, media, client_for,
                                                              django_capture_on_commit_callbacks):
    import io

    from django.utils import translation

    run = city_run(cast, django_capture_on_commit_callbacks)
    with translation.override("en"):
        content = services.hits_export_xlsx(actor=cast.clue_handler, hits=ScreeningHit.objects.filter(run=run),
                                            run=run)
    rows = list(load_workbook(filename=io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][-3:] == ("Run no.", "Hit no.", "Lead key") and rows[1][10] == "No"  # a first run: nothing is new
    client = client_for(cast.clue_handler)
    client.cookies["django_language"] = "en"
    hit = ScreeningHit.objects.filter(run=run).first()
    page = client.get(f"/screening/hits/{hit.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<dd class="col-9">No</dd>' in page
