"""Screening on the platform under awkward input and timing: control characters, bad query values,
vanished folders, withdrawn reviews, killed workers, units outside the run."""

import datetime as dt
import io
import shutil

import pytest
from openpyxl import load_workbook

from tests.conftest import make_id
from tests.screening.test_platform import JUDGE_A_ID, csv_file, register, registry_files, run_platform
from zhengdun.screening import services
from zhengdun.screening.models import ReviewStatus, RosterSource, RunStatus, ScreeningHit, ScreeningRun

JUDGE_B_ID = make_id("360102", "19790303", 31)
B_ROW = ["91360102MA0000009X", "乙县某公司", "360102", "active", "王法官", JUDGE_B_ID, "shareholder", "0.5"]
ROSTER_HEADER = ["officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction", "role", "status",
                 "left_date"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SCREENING_SERVER_ROOTS = [str(tmp_path / "server")]
    return tmp_path


def test_control_characters_from_a_registry_are_exported(cast, media, client_for, django_capture_on_commit_callbacks):
    row = ["91360101MA0000003X", "甲县\x07某公司", "360101", "active", "张审判", JUDGE_A_ID, "shareholder", "0.3"]
    run = run_platform(cast, register(cast, registry_files(extra_enterprises=[row])),
                       django_capture_on_commit_callbacks)
    assert run.status == RunStatus.SUCCEEDED, run.error
    response = client_for(cast.clue_handler).post(f"/screening/runs/{run.id}/export/")
    assert response.status_code == 200
    cells = [c for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for c in r]
    assert any(isinstance(c, str) and "甲县\ufffd某公司" in c for c in cells)


def test_a_review_reason_with_control_characters_is_refused(cast, media, client_for,
                                                           django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run).first()
    client = client_for(cast.clue_handler)
    page = client.post(f"/screening/hits/{hit.id}/", {"status": "confirmed", "reason": "已核实\x0b属实"})
    assert page.status_code == 200 and "控制字符" in page.content.decode()
    api = client.post(f"/api/screening/hits/{hit.id}/review", {"status": "confirmed", "reason": "属实\x00"},
                      content_type="application/json")
    assert api.status_code == 400
    hit.refresh_from_db()
    assert hit.review_status == ReviewStatus.PENDING
    assert client.post("/screening/leads/export/").status_code == 200


def test_a_review_is_the_findings_in_every_run(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    first = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    second = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    h1 = ScreeningHit.objects.get(run=first, rule="officer_business")
    h2 = ScreeningHit.objects.get(run=second, fingerprint=h1.fingerprint)
    # a review made on the older run shows on the newer run's page and export
    services.hit_review(actor=cast.clue_handler, hit=h1, status=ReviewStatus.FALSE_POSITIVE, reason="同名误报")
    h2.refresh_from_db()
    assert (h2.review_status, h2.review_reason) == (ReviewStatus.FALSE_POSITIVE, "同名误报")
    # confirmed, then withdrawn through the API: no lead, and a third run does not bring it back
    services.hit_review(actor=cast.clue_handler, hit=h2, status=ReviewStatus.CONFIRMED, reason="已核实持股")
    client = client_for(cast.clue_handler)
    assert client.get("/api/screening/leads").json()["count"] == 1
    withdrawn = client.post(f"/api/screening/hits/{h2.id}/review", {"status": "pending", "reason": ""},
                            content_type="application/json")
    assert withdrawn.status_code == 200
    assert client.get("/api/screening/leads").json()["count"] == 0
    third = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    h3 = ScreeningHit.objects.get(run=third, fingerprint=h1.fingerprint)
    assert h3.review_status == ReviewStatus.PENDING


def test_new_marks_agree_on_page_filter_and_export(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast)
    run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["officer_business"])
    second = run_platform(cast, dataset, django_capture_on_commit_callbacks,
                          rules=["officer_business", "relative_lawyer"])
    assert not ScreeningHit.objects.filter(run=second, is_new=True).exists()  # lawyer rule: not compared
    client = client_for(cast.clue_handler)
    assert "新增</span>" not in client.get(f"/screening/runs/{second.id}/").content.decode()
    assert client.get(f"/api/screening/runs/{second.id}/hits?new_only=true").json()["count"] == 0


def test_a_server_folder_gone_before_the_run_fails_the_run(cast, media, django_capture_on_commit_callbacks):
    folder = media / "server" / "extract"
    folder.mkdir(parents=True)
    for upload in registry_files():
        (folder / upload.name).write_bytes(upload.read())
    dataset = services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="服务器数据",
                                               path=str(folder))
    shutil.rmtree(folder)
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED and "无法读取" in run.error


@pytest.mark.parametrize("path", ["x" * 300, "loop"])
def test_an_unusable_server_path_is_a_form_error(cast, media, path):
    root = media / "server"
    root.mkdir(parents=True)
    if path == "loop":
        (root / "loop").symlink_to(root / "loop")
    with pytest.raises(services.ValidationError) as ei:
        services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="x", path=str(root / path))
    assert "path" in ei.value.message_dict


def test_a_run_failed_as_orphaned_is_not_then_stored(cast, media, monkeypatch, django_capture_on_commit_callbacks):
    real = services.engine_adapter.screen

    def engine_then_taken_for_gone(*args, **kwargs):
        outcome = real(*args, **kwargs)
        monkeypatch.setattr(services, "_worker_gone", lambda worker: True)
        assert services.runs_fail_orphaned() == 1
        return outcome

    monkeypatch.setattr(services.engine_adapter, "screen", engine_then_taken_for_gone)
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    assert run.status == RunStatus.FAILED and "执行进程已停止" in run.error
    assert not ScreeningHit.objects.filter(run=run).exists()


@pytest.mark.parametrize("url,data", [
    ("/screening/runs/{run}/export/", {"hit": "²"}),
    ("/screening/runs/{run}/export/", {"hit": "99999999999999999999999"}),
    ("/screening/leads/?dataset=²", None),
    ("/screening/leads/export/?dataset=²", {}),
    ("/api/screening/runs?page=100000000000000000000", None),
    ("/api/screening/runs/{run}/hits?page=100000000000000000000", None),
    ("/api/screening/leads?page=100000000000000000000", None),
])
def test_odd_query_values_are_no_server_error(cast, media, client_for, django_capture_on_commit_callbacks, url, data):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    client = client_for(cast.clue_handler)
    url = url.format(run=run.id)
    response = client.get(url) if data is None else client.post(url, data)
    assert response.status_code in (200, 404, 422), response.status_code


def test_hits_are_browsed_by_unit_on_the_page_and_in_the_api(cast, media, client_for,
                                                            django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast, registry_files(extra_enterprises=[B_ROW])),
                       django_capture_on_commit_callbacks)
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/runs/{run.id}/").content.decode()
    assert 'name="unit"' in page and "乙县人民法院" in page and "甲县人民法院" in page
    only_b = client.get(f"/screening/runs/{run.id}/?unit={cast.court_b.id}").content.decode()
    assert "王法官" in only_b and "张审判" not in only_b
    api = client.get(f"/api/screening/runs/{run.id}/hits?unit={cast.county_b.id}").json()
    assert api["count"] == 1 and api["items"][0]["unit"] == cast.court_b.id
    assert "单位" in client.get(f"/screening/runs/{run.id}/?unit=abc").content.decode()
    county_a = client_for(cast.users["handler_a"])
    assert county_a.get(f"/api/screening/runs/{run.id}/hits?unit={cast.county_b.id}").status_code == 404


def test_a_data_set_roster_keeps_no_hit_about_another_units_officer(cast, media, client_for,
                                                                     django_capture_on_commit_callbacks):
    folder = media / "server" / "b-extract"
    folder.mkdir(parents=True)
    roster = csv_file("roster.csv", ROSTER_HEADER,
                      [["R2", "王法官", JUDGE_B_ID, "", "CBFY", "360102", "judge", "serving", ""]])
    relatives = csv_file("relatives.csv", ["officer_id", "relation", "name", "id_number", "birth_date"], [])
    for upload in [roster, relatives, *registry_files(extra_enterprises=[B_ROW])]:
        (folder / upload.name).write_bytes(upload.read())
    handler_a = cast.users["handler_a"]
    dataset = services.dataset_register_server(actor=handler_a, unit=cast.county_a, name="乙县名册", path=str(folder))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(actor=handler_a, dataset=dataset, roster_source=RosterSource.DATASET)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert not ScreeningHit.objects.filter(run=run).exists()
    assert "本单位以外" in run.stage


def test_the_hit_page_links_its_run_only_when_the_reader_may_open_it(cast, media, client_for,
                                                                   django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.filter(run=run, unit=cast.court_a).first()
    page = client_for(cast.users["handler_a"]).get(f"/screening/hits/{hit.id}/").content.decode()
    assert f'href="/screening/runs/{run.id}/"' not in page and f"#{run.id}" in page
    page = client_for(cast.clue_handler).get(f"/screening/hits/{hit.id}/").content.decode()
    assert f'href="/screening/runs/{run.id}/"' in page


def test_api_rules_must_name_a_rule_and_repeats_are_dropped(cast, media, client_for):
    dataset = register(cast)
    client = client_for(cast.clue_handler)
    empty = client.post("/api/screening/runs", {"dataset": dataset.id, "rules": []}, content_type="application/json")
    assert empty.status_code == 400
    run = services.run_start(actor=cast.clue_handler, dataset=dataset, background=False,
                             rules=["officer_business", "officer_business"], as_of=dt.date(2026, 11, 1))
    assert run.rule_list == ["officer_business"]


def test_registration_errors_do_not_show_the_checks_temp_folder(cast, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("lawyers.parquet", b"PAR1 this is not a Parquet file PAR1")
    with pytest.raises(services.ValidationError) as ei:
        register(cast, [bad])
    text = " ".join(ei.value.messages)
    assert "lawyers.parquet" in text and "zd-check-" not in text


def test_the_queued_stage_is_stored_in_the_sites_language(cast, media):
    from django.utils import translation

    with translation.override("en"):
        run = services.run_start(actor=cast.clue_handler, dataset=register(cast))
    assert ScreeningRun.objects.get(pk=run.pk).stage == "排队等待执行"


def test_api_errors_follow_the_language(cast, media, client_for):
    client = client_for(cast.clue_handler)
    assert client.get("/api/screening/runs/999999").json()["message"] == "未找到该资源"
    client.cookies["django_language"] = "en"
    assert client.get("/api/screening/runs/999999", HTTP_ACCEPT_LANGUAGE="en").json()["message"] == "Not found"


def test_a_server_folder_with_pattern_characters_and_an_early_as_of_are_refused(cast, media):
    folder = media / "server" / "extract[1]"
    folder.mkdir(parents=True)
    for upload in registry_files():
        (folder / upload.name).write_bytes(upload.read())
    with pytest.raises(services.ValidationError) as ei:
        services.dataset_register_server(actor=cast.clue_handler, unit=cast.city, name="x", path=str(folder))
    assert "pattern" in " ".join(ei.value.messages)
    with pytest.raises(services.ValidationError) as ei:
        services.run_start(actor=cast.clue_handler, dataset=register(cast), as_of=dt.date(1, 1, 1))
    assert "as_of" in ei.value.message_dict


def test_a_run_may_screen_one_unit_below_the_data_sets(cast, media, client_for, django_capture_on_commit_callbacks):
    dataset = register(cast, registry_files(extra_enterprises=[B_ROW]))
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/datasets/{dataset.id}/").content.decode()
    assert 'name="unit"' in page and "乙县" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/screening/datasets/{dataset.id}/", {
            "roster_source": "platform", "unit": cast.county_b.id, "as_of": "2026-11-01", "engine": "duckdb",
            "rules": ["officer_business"]})
    assert response.status_code == 302
    run = ScreeningRun.objects.get(dataset=dataset)
    assert run.unit_id == cast.county_b.id and run.status == RunStatus.SUCCEEDED, run.error
    assert {h.unit_id for h in ScreeningHit.objects.filter(run=run)} == {cast.court_b.id}
    # a city-wide run afterwards is not compared with the county's
    whole = run_platform(cast, dataset, django_capture_on_commit_callbacks, rules=["officer_business"])
    assert whole.unit_id == cast.city.id and whole.previous_id is None
    api = client.post("/api/screening/runs", {"dataset": dataset.id, "unit": cast.county_a.id,
                                              "roster_source": "platform"}, content_type="application/json")
    assert api.status_code == 202 and api.json()["unit"] == cast.county_a.id


def test_a_run_unit_outside_the_data_set_or_with_its_roster_is_refused(cast, media):
    dataset = services.dataset_register_upload(actor=cast.clue_handler, unit=cast.county_a, name="甲县数据",
                                               files=registry_files())
    with pytest.raises(services.ValidationError) as ei:
        services.run_start(actor=cast.clue_handler, dataset=dataset, unit=cast.county_b)
    assert "unit" in ei.value.message_dict
    roster = csv_file("roster.csv", ROSTER_HEADER, [])
    relatives = csv_file("relatives.csv", ["officer_id", "relation", "name", "id_number", "birth_date"], [])
    own = register(cast, [roster, relatives, *registry_files()])
    with pytest.raises(services.ValidationError) as ei:
        services.run_start(actor=cast.clue_handler, dataset=own, unit=cast.county_a,
                           roster_source=RosterSource.DATASET)
    assert "unit" in ei.value.message_dict
    with pytest.raises(services.PermissionDenied):
        services.run_start(actor=cast.users["handler_a"], dataset=register(cast), unit=cast.county_a)
