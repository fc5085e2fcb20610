"""The people list (unit filter within scope, numbered pagination, small screens) and the officer
edit page (roster writers only, through org.services.officer_update)."""

import datetime as dt
import re

from tests.activities.test_pickers_and_edit import add_officers
from tests.conftest import make_id
from zhengdun.audit.models import AuditEntry
from zhengdun.org.models import Officer


def names(client, **params):
    response = client.get("/org/people/", params)
    assert response.status_code == 200
    return [o.name for o in response.context["page"]]


def test_unit_filter_in_scope_with_or_without_the_subtree(cast, client_for):
    client = client_for(cast.admin_a)
    assert names(client) == ["张审判", "李警官"]
    assert names(client, unit=cast.court_a.id) == ["张审判"]
    assert names(client, unit=cast.county_a.id) == ["张审判", "李警官"]
    assert names(client, unit=cast.county_a.id, subtree="0") == []
    assert client.get("/org/people/", {"unit": cast.court_b.id}).status_code == 404
    assert client.get("/org/people/", {"unit": "x"}).status_code == 404
    body = client.get("/org/people/").content.decode()
    options = re.search(r'<select name="unit".*?</select>', body, re.S).group(0)
    assert "甲县人民法院" in options and "乙县" not in options
    # an officer (no units in scope) sees their own entry and no unit picker
    own = client_for(cast.officer_a).get("/org/people/").content.decode()
    assert 'name="unit"' not in own and "张审判" in own


def test_numbered_pagination_keeps_the_filters(cast, client_for):
    add_officers(cast.court_a, 160)
    client = client_for(cast.admin_a)
    body = client.get("/org/people/", {"q": "测试员", "page": 2}).content.decode()
    nav = body[body.index('aria-label="分页"'):]
    for page in (1, 3, 4):
        assert f'href="?q=%E6%B5%8B%E8%AF%95%E5%91%98&amp;page={page}"' in nav
    assert 'aria-current="page"><span class="page-link">2</span>' in nav
    assert "首页" in nav and "末页" in nav and "共 160 条" in nav
    # every list using the shared template gets the same numbered pages
    first = client.get("/org/people/").content.decode()
    assert 'href="?page=4"' in first and "共 162 条" in first


def test_people_table_fits_small_screens(cast, client_for):
    body = client_for(cast.admin_a).get("/org/people/").content.decode()
    assert '<div class="table-responsive"><table' in body
    head = re.search(r"<thead>.*?</thead>", body, re.S).group(0)
    for column in ("性别", "身份证号", "职务", "人员类别", "政治面貌"):
        assert re.search(rf'<th class="d-none [^"]*">{column}</th>', head), column
    assert re.search(r'<th class="text-nowrap">姓名</th>', head)


def edit_data(officer, **changes):
    data = {"name": officer.name, "gender": officer.gender, "birth_date": officer.birth_date.isoformat(),
            "unit": officer.unit_id, "position": officer.position, "category": officer.category,
            "party": officer.party, "status": officer.status, "left_date": "", "id_number": ""}
    data.update(changes)
    return data


def test_officer_edit_for_roster_writers_through_the_service(cast, client_for):
    judge = cast.officers["judge_a"]
    url = f"/org/people/{judge.id}/edit/"
    for user in (cast.supervisor_a, cast.officer_a, cast.sysadmin):
        assert client_for(user).get(url).status_code == 403, user
    assert client_for(cast.admin_b).get(url).status_code == 404
    clerk = client_for(cast.clerk_a)
    assert "修改人员信息" in clerk.get(f"/org/people/{judge.id}/").content.decode()
    assert "修改人员信息" not in client_for(cast.supervisor_a).get(f"/org/people/{judge.id}/").content.decode()
    page = clerk.get(url)
    assert page.status_code == 200 and judge.id_number_masked in page.content.decode()
    before = AuditEntry.objects.filter(action="officer.update").count()
    r = clerk.post(url, edit_data(judge, position="副庭长"))
    assert r.status_code == 302
    judge.refresh_from_db()
    assert judge.position == "副庭长" and AuditEntry.objects.filter(action="officer.update").count() > before
    # a new ID number goes through the same checks: checksum, and not another person's number
    old_hash = judge.id_number_hash
    r = clerk.post(url, edit_data(judge, id_number="360101198001010000"))
    assert r.status_code == 200 and "校验" in r.content.decode()
    r = clerk.post(url, edit_data(judge, id_number=cast.officers["police_a"].reveal_id_number()))
    assert r.status_code == 200 and "已登记在册" in r.content.decode()
    judge.refresh_from_db()
    assert judge.id_number_hash == old_hash
    new = make_id("360101", "19800101", 77)
    assert clerk.post(url, edit_data(judge, id_number=new)).status_code == 302
    judge.refresh_from_db()
    assert judge.reveal_id_number() == new and judge.id_number_masked.endswith(new[-4:])
    # a clerk cannot move the officer out of their unit; the county's administrator can
    r = clerk.post(url, edit_data(judge, unit=cast.police_a.id))
    assert r.status_code == 200 and Officer.objects.get(pk=judge.pk).unit_id == cast.court_a.id
    assert client_for(cast.admin_a).post(url, edit_data(judge, unit=cast.police_a.id)).status_code == 302
    assert Officer.objects.get(pk=judge.pk).unit_id == cast.police_a.id
    assert client_for(cast.admin_a).post(url, edit_data(judge, unit=cast.court_b.id)).status_code == 200
    assert Officer.objects.get(pk=judge.pk).unit_id == cast.police_a.id
    left = dt.date.today().isoformat()
    assert client_for(cast.admin_a).post(url, edit_data(judge, unit=cast.police_a.id, status="retired",
                                                         left_date=left)).status_code == 302
