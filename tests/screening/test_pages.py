"""What the clue handler reads on the screening pages: Chinese labels for files and engines, the
evidence as bullet points (the stored text unchanged), the saved review selected, the platform
roster as the default for a data set without its own roster, and the demo's finished run."""

import re

import pytest

from tests.screening.test_platform import media, register, run_platform  # noqa: F401 - fixture
from zhengdun.screening import services
from zhengdun.screening.display import evidence_points, percent
from zhengdun.screening.models import ReviewStatus, RosterSource, RunStatus, ScreeningHit, ScreeningRun


def checked_status(page: str) -> list[str]:
    return re.findall(r'<input[^>]*name="status" value="(\w+)"[^>]*\bchecked\b', page)


def test_a_registry_only_data_set_defaults_to_the_platform_roster(cast, media, client_for,  # noqa: F811
                                                                  django_capture_on_commit_callbacks):
    dataset = register(cast)
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/datasets/{dataset.id}/").content.decode()
    assert re.search(r'<option value="platform"\s+selected', page)
    assert re.search(r'<option value="dataset"[^>]*disabled', page)
    assert "本数据集不含 roster（干警名册）和 relatives（申报亲属）文件" in page
    # the impossible choice is refused by the form, nothing is queued
    refused = client.post(f"/screening/datasets/{dataset.id}/", {"roster_source": "dataset", "engine": "duckdb",
                                                                 "rules": ["officer_business"]})
    assert refused.status_code == 200 and "请选择使用本平台名册" in refused.content.decode()
    assert not ScreeningRun.objects.exists()
    # the service and the API default to it as well
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_start(actor=cast.clue_handler, dataset=dataset)
    run.refresh_from_db()
    assert run.roster_source == RosterSource.PLATFORM and run.status == RunStatus.SUCCEEDED, run.error
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/screening/runs", data={"dataset": dataset.id}, content_type="application/json")
    assert response.status_code == 202 and response.json()["roster_source"] == "platform"


def test_a_data_set_with_its_own_roster_defaults_to_it(cast, media):  # noqa: F811
    from tests.screening.test_platform import csv_file

    roster = csv_file("roster.csv", ["officer_id", "name", "id_number", "birth_date", "unit_code", "jurisdiction",
                                     "role", "status", "left_date"], [])
    relatives = csv_file("relatives.csv", ["officer_id", "relation", "name", "id_number", "birth_date"], [])
    from tests.screening.test_platform import registry_files

    dataset = register(cast, [roster, relatives, *registry_files()])
    assert dataset.has_own_roster
    assert services.dataset_default_roster_source(dataset=dataset) == RosterSource.DATASET


def test_pages_name_files_and_engines_in_chinese(cast, media, client_for,  # noqa: F811
                                                django_capture_on_commit_callbacks):
    dataset = register(cast)
    run = run_platform(cast, dataset, django_capture_on_commit_callbacks)
    client = client_for(cast.clue_handler)
    page = client.get(f"/screening/datasets/{dataset.id}/").content.decode()
    assert "企业登记" in page and "律师执业" in page
    assert "DuckDB 嵌入式" in page and "Spark 集群" in page
    run_page = client.get(f"/screening/runs/{run.id}/").content.decode()
    assert "引擎 DuckDB 嵌入式" in run_page and "· duckdb ·" not in run_page
    # a rule skipped for want of its files is named in Chinese (no cases file here)
    assert "未运行：办理亲属代理的案件" in run.stage and "case_conflict" not in run.stage


def test_the_hit_page_shows_evidence_as_points_and_the_ratio_as_a_percentage(cast, media, client_for,  # noqa: F811
                                                                            django_capture_on_commit_callbacks):
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.get(run=run, rule="officer_business")
    assert "; " in hit.evidence and "持股比例 0.3" in hit.evidence  # stored as the engine wrote it
    page = client_for(cast.clue_handler).get(f"/screening/hits/{hit.id}/").content.decode()
    points = re.search(r'<ul[^>]*id="evidence-points">(.*?)</ul>', page, re.S).group(1)
    items = re.findall(r"<li>(.*?)</li>", points)
    assert items[0] == "身份证号一致"
    assert "持股比例 30%" in items[1] and "（91360101MA0000001X）任股东，" in items[1]
    assert "0.3" not in points and ";" not in points
    assert hit.evidence in page  # the original text stays on the page


def test_evidence_points():
    assert evidence_points("姓名一致(规范化后: 繁简/全角/空格); 登记身份证号校验失败, 与申报号码仅差1位") == [
        "姓名一致（规范化后：繁简/全角/空格）", "登记身份证号校验失败，与申报号码仅差1位"]
    # a semicolon inside parentheses does not split a point
    assert evidence_points("离任法官(离任日期 2025-01-01; 未满两年)现为执业律师") == [
        "离任法官（离任日期 2025-01-01; 未满两年）现为执业律师"]
    assert percent("0.2") == "20%" and percent("0.125") == "12.5%" and percent("1") == "100%"
    assert percent("1.5") == "1.5" and percent("x") == "x"


def test_the_saved_review_stays_selected(cast, media, client_for, django_capture_on_commit_callbacks):  # noqa: F811
    run = run_platform(cast, register(cast), django_capture_on_commit_callbacks)
    hit = ScreeningHit.objects.get(run=run, rule="officer_business")
    client = client_for(cast.clue_handler)
    assert checked_status(client.get(f"/screening/hits/{hit.id}/").content.decode()) == []  # pending: none
    for status in (ReviewStatus.CONFIRMED, ReviewStatus.FALSE_POSITIVE):
        response = client.post(f"/screening/hits/{hit.id}/", {"status": status, "reason": "核实结论"}, follow=True)
        page = response.content.decode()
        assert checked_status(page) == [status], status
        assert "核实结论" in page
    # an invalid post keeps what was chosen
    page = client.post(f"/screening/hits/{hit.id}/", {"status": "confirmed", "reason": ""}).content.decode()
    assert checked_status(page) == ["confirmed"]


@pytest.mark.django_db
def test_the_demo_has_a_finished_run_with_two_reviews_and_seeds_once(settings, tmp_path):
    from zhengdun.org.demo import seed_demo
    from zhengdun.screening.demo import CONFIRMED_REASON, FALSE_POSITIVE_REASON, seed_screening_demo
    from zhengdun.screening.selectors import lead_list

    seed_demo(officers_target=300)
    dataset = seed_screening_demo()
    run = ScreeningRun.objects.get(dataset=dataset)
    assert run.status == RunStatus.SUCCEEDED and run.roster_source == RosterSource.PLATFORM, run.error
    hits = ScreeningHit.objects.filter(run=run)
    assert hits.count() >= 10 and set(run.summary) >= {"officer_business", "relative_business", "relative_lawyer"}
    confirmed = hits.get(review_status=ReviewStatus.CONFIRMED)
    assert confirmed.review_reason == CONFIRMED_REASON and confirmed.reviewed_by.username == "clue_handler"
    assert "持股比例" in confirmed.evidence
    excluded = hits.get(review_status=ReviewStatus.FALSE_POSITIVE)
    assert excluded.review_reason == FALSE_POSITIVE_REASON and excluded.match == "fuzzy"
    from zhengdun.org.access import scope_for

    assert list(lead_list(scope=scope_for(confirmed.reviewed_by))) == [confirmed]
    counts = (ScreeningRun.objects.count(), ScreeningHit.objects.count())
    assert seed_screening_demo() == dataset
    assert (ScreeningRun.objects.count(), ScreeningHit.objects.count()) == counts
