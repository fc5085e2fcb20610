"""Dashboard, drill-down pages, exports and API."""

import io
import json
import re
from pathlib import Path

import docx
import openpyxl

from zhengdun.stats import registry


def _q(world, unit):
    return f"unit={unit.id}&from={world.date_from}&to={world.date_to}&campaign={world.campaign.id}"


def test_dashboard_links_every_figure_to_its_records(world, client_for):
    cast = world.cast
    client = client_for(cast.city_admin)
    page = client.get(f"/stats/?{_q(world, cast.city)}")
    assert page.status_code == 200
    html = page.content.decode()
    for figure in registry.FIGURES:
        assert f'data-figure="{figure.key}"' in html
        assert f"/stats/records/{figure.key}/?" in html
    assert "vendor/echarts/echarts.min.js" in html and 'id="stats-charts"' in html
    charts = json.loads(re.search(r'<script id="stats-charts" type="application/json">(.*?)</script>', html, re.S)[1])
    assert charts["children"]["labels"] == ["甲县", "乙县"]
    own = registry.evaluate(world.ctx(cast.city_admin, cast.city))[0]
    # every card's link opens a list whose size is the figure
    for figure in registry.FIGURES:
        url = figure.drilldown_url(world.ctx(cast.city_admin, cast.city))
        response = client.get(url + ("&part=numerator" if figure.is_rate else ""))
        assert response.status_code == 200, figure.key
        count = own[figure.key].numerator if figure.is_rate else own[figure.key].value
        if figure.measure:
            assert f"合计人次 {count}" in response.content.decode()
        else:
            assert response.context["page"].paginator.count == count, figure.key


def test_default_dashboard_uses_the_running_campaign(world, client_for):
    page = client_for(world.cast.admin_a).get("/stats/")
    assert page.status_code == 200
    ctx = page.context["ctx"]
    assert ctx.unit == world.cast.county_a and ctx.campaign == world.campaign
    # figures are as of today: the range runs from the campaign's start to today, not to its end
    assert world.campaign.end_date > world.today
    assert (ctx.date_from, ctx.date_to) == (world.campaign.start_date, world.today)


def test_out_of_scope_unit_is_404(world, client_for):
    cast = world.cast
    client = client_for(cast.admin_a)
    assert client.get(f"/stats/?{_q(world, cast.county_b)}").status_code == 404
    assert client.get(f"/stats/records/sessions/?{_q(world, cast.court_b)}").status_code == 404
    assert client.get(f"/stats/records/nonsense/?{_q(world, cast.court_a)}").status_code == 404
    assert client.get(f"/stats/export.xlsx?{_q(world, cast.city)}").status_code == 404
    assert client.get(f"/api/stats/figures?unit={cast.county_b.id}").status_code == 404
    # talks are confidential: a supervisor has no talk figure and no talk list
    sup = client_for(cast.supervisor_a)
    assert sup.get(f"/stats/records/talks/?{_q(world, cast.county_a)}").status_code == 404
    assert client_for(cast.users["officer_a"]).get("/stats/").status_code == 403


def test_xlsx_totals_equal_the_dashboard(world, client_for):
    cast = world.cast
    response = client_for(cast.city_admin).get(f"/stats/export.xlsx?{_q(world, cast.city)}")
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert ws.freeze_panes == "B4"
    header = [c.value for c in ws[3]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=4) if r[0].value}
    assert {"甲县", "乙县", "合计"} <= set(rows)
    own = registry.evaluate(world.ctx(cast.city_admin, cast.city))[0]
    figures = registry.figures_for(world.ctx(cast.city_admin, cast.city))
    assert len(header) == len(figures) + 1
    for col, figure in enumerate(figures, 1):
        cell = rows["合计"][col]
        assert cell.value == own[figure.key].value, figure.key
        assert cell.number_format == ("0.0%" if figure.is_rate else "#,##0")


def test_docx_briefing_contains_the_figures(world, client_for):
    cast = world.cast
    response = client_for(cast.city_admin).get(f"/stats/briefing.docx?{_q(world, cast.city)}")
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    own = registry.evaluate(world.ctx(cast.city_admin, cast.city))[0]
    assert f"{own['sessions'].value}场次" in text and f"{own['person_times'].value}人次" in text
    assert "截至" in text and "规定动作完成率" in text
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    for figure in registry.figures_for(world.ctx(cast.city_admin, cast.city)):
        assert figure.label in cells
        assert registry.format_value(figure, own[figure.key]) + ("" if figure.is_rate else f" {figure.unit}") in cells


def test_api_figures(world, client_for):
    cast = world.cast
    response = client_for(cast.admin_a).get(
        f"/api/stats/figures?unit={cast.county_a.id}&from={world.date_from}&to={world.date_to}"
        f"&campaign={world.campaign.id}")
    assert response.status_code == 200
    body = {f["key"]: f for f in response.json()}
    own = registry.evaluate(world.ctx(cast.admin_a, cast.county_a))[0]
    assert set(body) == set(own)
    assert body["sessions"]["value"] == own["sessions"].value
    assert body["coverage"]["numerator"] == own["coverage"].numerator
    assert body["coverage"]["drilldown_url"].startswith("/stats/records/coverage/?")


def test_default_range_is_as_of_today_in_the_page_and_the_exports(world, client_for):
    """A running campaign ends in the future: the figures, the .xlsx name and the briefing's
    "截至…" are as of today, not of the campaign's end date."""
    client = client_for(world.cast.admin_a)
    today = world.today
    xlsx = client.get("/stats/export.xlsx")
    assert f"-{today:%Y%m%d}.xlsx" in xlsx["Content-Disposition"]
    assert f"{world.campaign.end_date:%Y%m%d}" not in xlsx["Content-Disposition"]
    briefing = client.get("/stats/briefing.docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(briefing.content)).paragraphs)
    assert f"截至{today.month}月{today.day}日" in text
    assert f"至{today:%Y年%m月%d日}" in text
    # a range asked for explicitly is kept as it is
    page = client.get(f"/stats/?unit={world.cast.county_a.id}&to={world.campaign.end_date}")
    assert page.context["ctx"].date_to == world.campaign.end_date


def test_drilldown_tabs_name_the_parts_in_office_words(world, client_for):
    cast = world.cast
    client = client_for(cast.city_admin)
    ctx = world.ctx(cast.city_admin, cast.county_a)
    own = registry.evaluate(ctx, with_children=False)[0]
    base = registry.BY_KEY["completion"].drilldown_url(ctx)
    page = client.get(base + "&part=uncovered")
    assert page.status_code == 200
    tabs = [label for _key, label in page.context["parts"]]
    assert tabs == ["已完成", "应完成", "未完成"]
    done, due = own["completion"].numerator, own["completion"].denominator
    assert page.context["page"].paginator.count == due - done
    assert "分子" not in page.content.decode() and "分母" not in page.content.decode()
    coverage = client.get(registry.BY_KEY["coverage"].drilldown_url(ctx) + "&part=uncovered")
    assert [label for _k, label in coverage.context["parts"]] == ["已参加活动", "应参加（名册）", "未参加活动"]
    passed = client.get(registry.BY_KEY["pass_rate"].drilldown_url(ctx) + "&part=uncovered")
    assert passed.context["page"].paginator.count == own["pass_rate"].denominator - own["pass_rate"].numerator


def test_a_unit_without_children_shows_no_empty_child_chart(world, client_for):
    page = client_for(world.cast.clerk_a).get("/stats/")
    html = page.content.decode()
    assert page.context["ctx"].unit == world.cast.court_a
    assert 'id="chart-children"' not in html and 'id="child-table"' not in html
    assert 'id="no-children-note"' in html and 'id="chart-types"' in html
    county = client_for(world.cast.admin_a).get("/stats/").content.decode()
    assert 'id="chart-children"' in county and 'id="no-children-note"' not in county


def test_labels_and_chart_words_are_translatable(world, client_for):
    from django.utils.functional import Promise

    for figure in registry.FIGURES:
        assert isinstance(figure.label, Promise), figure.key
        assert figure.unit == "%" or isinstance(figure.unit, Promise), figure.key
    html = client_for(world.cast.admin_a).get("/stats/").content.decode()
    charts = json.loads(re.search(r'<script id="stats-charts" type="application/json">(.*?)</script>', html, re.S)[1])
    assert charts["text"]["sessions"] == "场次" and charts["text"]["person_times"] == "人次"
    static = (Path(__file__).resolve().parents[2] / "src/zhengdun/static/zhengdun/stats.js").read_text()
    assert not re.search(r"[\u4e00-\u9fff]", static), "stats.js takes its words from the page"
