import json

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from zhengdun.audit.models import AuditEntry


def post_json(client, url, body, **extra):
    return client.post(url, data=json.dumps(body), content_type="application/json", **extra)


def test_login_sets_the_session_and_returns_the_profile(cast):
    client = Client()
    response = post_json(client, "/api/auth/login", {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "admin_a" and body["roles"] == ["office_admin"] and body["unit"] == cast.county_a.id
    me = client.get("/api/me").json()
    assert me["unit"] == cast.county_a.id and me["username"] == "admin_a"


def test_bad_login_is_a_json_error(cast):
    response = post_json(Client(), "/api/auth/login", {"username": "admin_a", "password": "wrong"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials" and response.json()["message"]


def test_malformed_body_is_a_json_error(db):
    response = post_json(Client(), "/api/auth/login", {"username": "x"})
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


def test_admin_roles_need_the_otp_field(cast):
    client = Client()
    response = post_json(client, "/api/auth/login", {"username": "sysadmin", "password": PASSWORD})
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    device = TOTPDevice.objects.create(user=cast.sysadmin, name="t", confirmed=True)
    wrong = post_json(client, "/api/auth/login", {"username": "sysadmin", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    assert client.get("/api/me").status_code == 401
    device.refresh_from_db()
    device.throttle_reset()  # django-otp throttles after a failure; do not wait it out in a test
    code = f"{totp(device.bin_key):06d}"
    ok = post_json(client, "/api/auth/login", {"username": "sysadmin", "password": PASSWORD, "otp": code})
    assert ok.status_code == 200 and ok.json()["otp_verified"] is True
    assert client.get("/api/me").json()["roles"] == ["sysadmin"]


def test_unit_carries_its_ancestors(cast, client_for):
    client = client_for(cast.city_admin)
    body = client.get(f"/api/units/{cast.court_a.id}").json()
    assert body["unit"] == cast.court_a.id and body["parent"] == cast.county_a.id
    assert body["ancestors"] == [cast.city.id, cast.county_a.id]


def test_unit_list_is_scoped_and_paginated(cast, client_for):
    body = client_for(cast.admin_a).get("/api/units").json()
    assert {u["code"] for u in body["items"]} == {"CA", "CAFY", "CAGA"} and body["count"] == 3


def test_officers_are_scoped_masked_and_carry_their_unit(cast, client_for):
    body = client_for(cast.clerk_a).get("/api/officers").json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "张审判" and item["unit"] == cast.court_a.id and "*" in item["id_number"]


def test_search_by_full_id_number_uses_the_keyed_hash(cast, client_for):
    from tests.conftest import make_id

    body = client_for(cast.city_admin).get("/api/officers", {"q": make_id("360102", "19790303", 31)}).json()
    assert [o["name"] for o in body["items"]] == ["王法官"]


def test_relatives_read_is_audited(cast, client_for):
    officer = cast.officers["judge_a"]
    body = client_for(cast.admin_a).get(f"/api/officers/{officer.id}/relatives").json()
    assert body[0]["name"] == "赵配偶" and body[0]["unit"] == officer.unit_id and "*" in body[0]["id_number"]
    assert AuditEntry.objects.filter(action="person.view_relatives", actor_name="admin_a").exists()


def test_reveal_id_over_api(cast, client_for):
    officer = cast.officers["judge_a"]
    assert client_for(cast.clerk_a).post(f"/api/officers/{officer.id}/reveal-id").status_code == 403
    response = client_for(cast.admin_a).post(f"/api/officers/{officer.id}/reveal-id")
    assert response.status_code == 200 and "*" not in response.json()["id_number"]


def test_personal_tokens_serve_scripts_and_can_be_revoked(cast, client_for):
    client = client_for(cast.admin_a)
    created = post_json(client, "/api/tokens", {"name": "脚本"})
    assert created.status_code == 201
    token = created.json()["token"]
    script = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert script.get("/api/me").json()["username"] == "admin_a"
    assert script.get("/api/units").json()["count"] == 3
    other = client_for(cast.admin_b)
    assert other.delete(f"/api/tokens/{created.json()['id']}").status_code == 404
    assert client.delete(f"/api/tokens/{created.json()['id']}").status_code == 200
    assert script.get("/api/me").status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer zd_nonsense").get("/api/me").status_code == 401


def test_openapi_document_lists_the_endpoints(db):
    doc = Client().get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    for route in ("/api/auth/login", "/api/me", "/api/units/{unit_id}", "/api/officers"):
        assert route in doc["paths"]


# --- CSRF: a session (cookie) is a browser; a token is a script ---------------------------------

def _csrf_client(user):
    from tests.conftest import login_as

    return login_as(Client(enforce_csrf_checks=True), user)


def test_session_post_without_csrf_token_is_refused_as_json(cast):
    client = _csrf_client(cast.admin_a)
    response = post_json(client, "/api/tokens", {"name": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed" and "CSRF" in response.json()["message"]
    assert client.post("/api/auth/logout").status_code == 403
    assert client.get("/api/me").status_code == 200  # safe methods need no token
    officer = cast.officers["judge_a"]
    assert client.post(f"/api/officers/{officer.id}/reveal-id").json()["code"] == "csrf_failed"
    assert not AuditEntry.objects.filter(action="person.reveal_id").exists()


def test_session_post_with_csrf_token_is_accepted(cast):
    client = _csrf_client(cast.admin_a)
    token = client.get("/api/auth/csrf").json()["csrf_token"]
    response = post_json(client, "/api/tokens", {"name": "x"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_token_requests_need_no_csrf_token(cast):
    from zhengdun.org.api_auth import token_create

    _token, plain = token_create(user=cast.admin_a, name="script")
    script = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert post_json(script, "/api/tokens", {"name": "y"}).status_code == 201


def test_scripts_sign_in_with_json_and_no_csrf_token(cast):
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, "/api/auth/login", {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 200
    # The session then posts with the token handed back at sign-in (rotated by the sign-in).
    token = response["X-CSRFToken"]
    assert post_json(client, "/api/tokens", {"name": "x"}, HTTP_X_CSRFTOKEN=token).status_code == 201


def test_login_csrf_from_another_site_is_refused(cast):
    """A cross-site form cannot send JSON, and a browser names the other site in Origin."""
    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"username": "admin_a", "password": PASSWORD})
    form = client.post("/api/auth/login", data=body, content_type="text/plain")
    assert form.status_code == 415 and form.json()["code"] == "unsupported_media_type"
    other = client.post("/api/auth/login", data=body, content_type="application/json",
                        HTTP_ORIGIN="https://evil.example")
    assert other.status_code == 403 and other.json()["code"] == "csrf_failed"
    same = client.post("/api/auth/login", data=body, content_type="application/json", HTTP_ORIGIN="http://testserver")
    assert same.status_code == 200
    assert AuditEntry.objects.filter(action="auth.login", actor_id=cast.admin_a.pk).count() == 1


# --- every /api/ error is JSON ------------------------------------------------------------------

def test_unknown_api_paths_answer_json_404(db):
    for url in ("/api/nope", "/api/", "/api/units/abc/def", "/api/officers/1/nothing"):
        response = Client().get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json"), url
        assert response.json() == {"code": "not_found", "message": "未找到该接口"}
    posted = Client(enforce_csrf_checks=True).post("/api/nope", data="{}", content_type="application/json")
    assert posted.status_code == 404 and posted.json()["code"] == "not_found"


def test_wrong_method_answers_json_405(cast, client_for):
    client = client_for(cast.admin_a)
    response = client.put("/api/me")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
    assert "PUT" in response.json()["message"] and "GET" in response["Allow"]
    assert client.delete("/api/auth/login").json()["code"] == "method_not_allowed"


def test_unexpected_errors_answer_json_500(cast, client_for, monkeypatch):
    from zhengdun.org import selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "unit_get", broken)
    response = client_for(cast.admin_a).get(f"/api/units/{cast.court_a.id}")
    assert response.status_code == 500
    assert response.json() == {"code": "server_error", "message": "服务器内部错误，请稍后重试"}


# --- units and people by role -------------------------------------------------------------------

def test_an_officer_reads_their_own_unit_and_no_other(cast, client_for):
    client = client_for(cast.officer_a)
    me = client.get("/api/me").json()
    own = client.get(f"/api/units/{me['unit']}")
    assert own.status_code == 200 and own.json()["code"] == "CAFY"
    for other in (cast.police_a, cast.county_a, cast.court_b):
        response = client.get(f"/api/units/{other.id}")
        assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/api/units").status_code == 403


def test_sysadmin_reads_units_but_no_people(cast, client_for):
    client = client_for(cast.sysadmin)
    assert client.get("/api/units").json()["count"] == 6
    officer = cast.officers["judge_a"]
    for url in ("/api/officers", f"/api/officers/{officer.id}", f"/api/officers/{officer.id}/relatives"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/api/officers/{officer.id}/reveal-id").status_code == 403
    assert not AuditEntry.objects.filter(action__in=["person.view_relatives", "person.reveal_id"]).exists()


def test_reveal_follows_the_id_unmask_roles_setting(cast, client_for, settings):
    officer = cast.officers["judge_a"]
    settings.ID_UNMASK_ROLES = ["supervisor"]
    assert client_for(cast.admin_a).post(f"/api/officers/{officer.id}/reveal-id").status_code == 403
    response = client_for(cast.supervisor_a).post(f"/api/officers/{officer.id}/reveal-id")
    assert response.status_code == 200 and "*" not in response.json()["id_number"]
    page = client_for(cast.supervisor_a).post(f"/org/people/{officer.id}/reveal-id/")
    assert page.status_code == 200
    assert client_for(cast.admin_a).post(f"/org/people/{officer.id}/reveal-id/").status_code == 403
