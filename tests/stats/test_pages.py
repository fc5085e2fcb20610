"""Dashboard, drill-down pages, exports and API."""

import io
import json
import re

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
