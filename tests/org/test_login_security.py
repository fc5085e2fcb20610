"""Login security: lockout, sign-in audit, idle and absolute timeouts, disabled accounts,
and the TOTP second factor (pages and API)."""

import time

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from zhengdun.audit.models import AuditEntry
from zhengdun.org import services
from zhengdun.org.api_auth import token_create
from zhengdun.org.models import Role, User


def page_login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def api_login(client, username, password, otp=None):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/auth/login", body, content_type="application/json")


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):0{device.digits}d}"


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


# --- lockout ------------------------------------------------------------------------------------

@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_page_lockout_after_max_failures(cast):
    client = Client()
    for _ in range(3):
        response = page_login(client, "clerk_a", "wrong-password")
        assert response.status_code == 200 and "用户名或密码错误" in response.content.decode()
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.locked_until is not None
    minutes = (cast.clerk_a.locked_until - timezone.now()).total_seconds() / 60
    assert 14 < minutes <= 15
    # Now even the right password is refused until the lock ends.
    response = page_login(client, "clerk_a", PASSWORD)
    assert response.status_code == 200 and "已被锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_MAX_FAILURES=3)
def test_failures_below_the_limit_do_not_lock_and_success_resets(cast):
    client = Client()
    for _ in range(2):
        page_login(client, "clerk_a", "wrong-password")
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.failed_logins == 2 and cast.clerk_a.locked_until is None
    assert page_login(client, "clerk_a", PASSWORD).status_code == 302
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.failed_logins == 0


@override_settings(LOGIN_MAX_FAILURES=2)
def test_lock_ends_after_lockout_period(cast):
    client = Client()
    for _ in range(2):
        page_login(client, "clerk_a", "wrong-password")
    assert page_login(client, "clerk_a", PASSWORD).status_code == 200
    User.objects.filter(pk=cast.clerk_a.pk).update(locked_until=timezone.now() - timezone.timedelta(seconds=1))
    assert page_login(client, "clerk_a", PASSWORD).status_code == 302


@override_settings(LOGIN_MAX_FAILURES=3)
def test_api_lockout(cast):
    client = Client()
    for _ in range(3):
        response = api_login(client, "clerk_a", "wrong-password")
        assert response.status_code == 401 and response.json()["code"] == "invalid_credentials"
    response = api_login(client, "clerk_a", PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "locked" and response.json()["message"]
    assert Client().get("/api/me").status_code == 401


# --- audit of sign-ins --------------------------------------------------------------------------

def login_entries(action):
    return AuditEntry.objects.filter(op="login", action=action)


def test_every_success_and_failure_is_audited(cast):
    client = Client()
    page_login(client, "clerk_a", "wrong-password")
    page_login(client, "nobody-such", "wrong-password")
    page_login(client, "clerk_a", PASSWORD)
    api_login(Client(), "admin_a", "wrong-password")
    api_login(Client(), "admin_a", PASSWORD)
    failed = list(login_entries("auth.login_failed").values_list("actor_id", "object_id", "after"))
    assert any(obj == str(cast.clerk_a.pk) for _a, obj, _after in failed)
    assert any('"nobody-such"' in after for _a, _obj, after in failed)
    assert any(obj == str(cast.admin_a.pk) for _a, obj, _after in failed)
    ok = set(login_entries("auth.login").values_list("actor_id", flat=True))
    assert {cast.clerk_a.pk, cast.admin_a.pk} <= ok


@override_settings(LOGIN_MAX_FAILURES=1)
def test_attempt_on_locked_account_is_audited(cast):
    page_login(Client(), "clerk_a", "wrong-password")
    page_login(Client(), "clerk_a", PASSWORD)
    assert login_entries("auth.login_locked").filter(object_id=str(cast.clerk_a.pk)).exists()


def test_otp_success_and_failure_are_audited(cast):
    device = confirmed_device(cast.sysadmin)
    client = Client()
    page_login(client, "sysadmin", PASSWORD)
    assert login_entries("auth.login_password_ok").filter(actor_id=cast.sysadmin.pk).exists()
    wrong = "000000" if code_for(device) != "000000" else "111111"
    client.post("/accounts/otp/", {"token": wrong})
    assert login_entries("auth.otp_failed").filter(actor_id=cast.sysadmin.pk).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    client.post("/accounts/otp/", {"token": code_for(device)})
    assert login_entries("auth.login").filter(actor_id=cast.sysadmin.pk).exists()


# --- session timeouts ---------------------------------------------------------------------------

def shift_session(client, **seconds_ago):
    session = client.session
    now = int(time.time())
    for key, ago in seconds_ago.items():
        session[key] = now - ago
    session.save()


@override_settings(SESSION_IDLE_TIMEOUT=600, SESSION_ABSOLUTE_TIMEOUT=3600)
def test_idle_timeout_ends_session(cast, client_for):
    client = client_for(cast.clerk_a)
    assert client.get("/org/people/").status_code == 200
    shift_session(client, zd_last=500)
    assert client.get("/org/people/").status_code == 200  # within the idle limit
    shift_session(client, zd_last=601)
    response = client.get("/org/people/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    assert "会话已超时" in client.get(response["Location"]).content.decode()


@override_settings(SESSION_IDLE_TIMEOUT=600, SESSION_ABSOLUTE_TIMEOUT=3600)
def test_absolute_timeout_ends_an_active_session(cast, client_for):
    client = client_for(cast.clerk_a)
    assert client.get("/org/people/").status_code == 200
    shift_session(client, zd_started=3500, zd_last=5)
    assert client.get("/org/people/").status_code == 200
    shift_session(client, zd_started=3601, zd_last=5)
    assert client.get("/org/people/").status_code == 302


@override_settings(SESSION_IDLE_TIMEOUT=600)
def test_idle_timeout_applies_to_api_sessions(cast):
    client = Client()
    assert api_login(client, "clerk_a", PASSWORD).status_code == 200
    assert client.get("/api/me").status_code == 200
    shift_session(client, zd_last=601)
    response = client.get("/api/me")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@override_settings(SESSION_ABSOLUTE_TIMEOUT=3600)
def test_signing_in_again_restarts_the_session_clock(cast):
    client = Client()
    page_login(client, "clerk_a", PASSWORD)
    assert client.get("/org/people/").status_code == 200
    shift_session(client, zd_started=3590, zd_last=5)
    page_login(client, "clerk_a", PASSWORD)  # a fresh sign-in in the same browser
    shift_session(client, zd_last=5)
    assert client.get("/org/people/").status_code == 200
    assert int(time.time()) - client.session["zd_started"] < 3500


# --- disabled accounts --------------------------------------------------------------------------

def test_disabled_account_sessions_end_at_once(cast, client_for):
    page = client_for(cast.clerk_a)
    api = Client()
    assert api_login(api, "clerk_a", PASSWORD).status_code == 200
    _token, plain = token_create(user=cast.clerk_a, name="script")
    assert page.get("/org/people/").status_code == 200
    assert api.get("/api/me").status_code == 200
    services.user_set_active(actor=cast.sysadmin, user=cast.clerk_a, active=False)
    assert page.get("/org/people/").status_code == 302
    assert api.get("/api/me").status_code == 401
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401
    assert page_login(Client(), "clerk_a", PASSWORD).status_code == 200  # cannot sign in again
    assert api_login(Client(), "clerk_a", PASSWORD).status_code == 401


def test_disabled_account_is_refused_even_if_session_rows_survive(cast, client_for):
    page = client_for(cast.clerk_a)
    User.objects.filter(pk=cast.clerk_a.pk).update(is_active=False)  # no service: sessions not deleted
    assert page.get("/org/people/").status_code == 302


# --- TOTP second factor -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor"])
def test_administrators_need_totp_on_pages(cast, name):
    user = cast.users[name]
    device = confirmed_device(user)
    client = Client()
    response = page_login(client, name, PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")
    target = "/audit/" if name == "auditor" else "/accounts/manage/"
    response = client.get(target)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/")
    response = client.post("/accounts/otp/", {"token": code_for(device), "next": target})
    assert response.status_code == 302 and response["Location"] == target
    assert client.get(target).status_code == 200


@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor"])
def test_administrators_need_totp_on_the_api(cast, name):
    device = confirmed_device(cast.users[name])
    client = Client()
    response = api_login(client, name, PASSWORD)
    assert response.status_code == 401 and response.json()["code"] == "otp_required"
    assert client.get("/api/me").status_code == 401
    response = api_login(client, name, PASSWORD, otp="12345")
    assert response.status_code in (401, 422)
    # django-otp slows down guessing after a failure; let this test go on at once.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    response = api_login(client, name, PASSWORD, otp=code_for(device))
    assert response.status_code == 200, response.content
    assert response.json()["otp_verified"] is True
    assert client.get("/api/me").json()["username"] == name


def test_password_only_session_of_an_administrator_gets_otp_required_from_api(cast):
    confirmed_device(cast.sysadmin)
    client = Client()
    page_login(client, "sysadmin", PASSWORD)  # signed in by password, second factor pending
    response = client.get("/api/me")
    assert response.status_code == 401 and response.json()["code"] == "otp_required"


def test_wrong_totp_code_is_refused(cast):
    device = confirmed_device(cast.secadmin)
    client = Client()
    page_login(client, "secadmin", PASSWORD)
    wrong = f"{(int(code_for(device)) + 500000) % 1000000:06d}"
    response = client.post("/accounts/otp/", {"token": wrong})
    assert response.status_code == 200 and "动态口令不正确" in response.content.decode()
    assert client.get("/accounts/manage/").status_code == 302
    response = api_login(Client(), "secadmin", PASSWORD, otp=wrong)
    assert response.status_code == 401 and response.json()["code"] == "otp_invalid"


def test_administrator_without_device_enrols_at_first_sign_in(cast):
    client = Client()
    page_login(client, "auditor", PASSWORD)
    response = client.get("/accounts/otp/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/setup/")
    page = client.get(response["Location"])
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=cast.auditor, confirmed=False)
    response = client.post("/accounts/otp/setup/", {"token": code_for(device), "next": "/audit/"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/audit/").status_code == 200
    response = api_login(Client(), "auditor", PASSWORD)
    assert response.json()["code"] == "otp_required"


def test_api_refuses_otp_for_account_without_device(cast):
    response = api_login(Client(), "sysadmin", PASSWORD, otp="123456")
    assert response.status_code == 401 and response.json()["code"] == "otp_not_enrolled"


def test_other_roles_need_no_totp_by_default(cast):
    client = Client()
    response = page_login(client, "clerk_a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert api_login(Client(), "clerk_a", PASSWORD).status_code == 200


def test_totp_is_configurable_for_other_roles(cast, settings):
    settings.OTP_REQUIRED_ROLES = sorted({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.UNIT_CLERK})
    client = Client()
    response = page_login(client, "clerk_a", PASSWORD)
    assert response["Location"].startswith("/accounts/otp/")
    assert client.get("/org/people/")["Location"].startswith("/accounts/otp/")
    assert api_login(Client(), "clerk_a", PASSWORD).json()["code"] == "otp_required"
    device = confirmed_device(cast.clerk_a)
    response = api_login(Client(), "clerk_a", PASSWORD, otp=code_for(device))
    assert response.status_code == 200
    # Roles not listed still sign in with a password only.
    assert page_login(Client(), "admin_a", PASSWORD)["Location"] == "/"


def test_otp_required_roles_setting_reads_the_environment():
    import subprocess
    import sys

    code = ("import os; os.environ['ZHENGDUN_OTP_REQUIRED_ROLES']='unit_clerk, office_admin';"
            "os.environ['DJANGO_SETTINGS_MODULE']='zhengdun.settings';"
            "from django.conf import settings; print(','.join(settings.OTP_REQUIRED_ROLES))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": "src", "ZHENGDUN_TESTING": "1"}).stdout
    assert out.strip().split(",") == ["auditor", "office_admin", "secadmin", "sysadmin", "unit_clerk"]
