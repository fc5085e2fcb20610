"""Account administration pages and services: 三员分立 between the system, security and audit
administrators, and "我的账号" for everyone."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from zhengdun.audit.models import AuditEntry
from zhengdun.org import services
from zhengdun.org.models import ApiToken, Role, RoleAssignment, User

NEW_PASSWORD = "a-long-enough-passphrase-42"
ADMIN_URLS = ["/accounts/manage/", "/accounts/manage/new/"]


def test_list_shows_accounts_with_status(cast, client_for):
    User.objects.filter(pk=cast.clerk_a.pk).update(locked_until=timezone.now() + timezone.timedelta(minutes=5))
    for admin in (cast.sysadmin, cast.secadmin):
        response = client_for(admin).get("/accounts/manage/")
        assert response.status_code == 200
        body = response.content.decode()
        for name in ("city_admin", "clerk_a", "auditor"):
            assert name in body
        assert "锁定至" in body


def test_list_filters_by_role_unit_and_search(cast, client_for):
    client = client_for(cast.secadmin)
    body = client.get("/accounts/manage/", {"role": Role.OFFICE_ADMIN}).content.decode()
    assert "admin_a" in body and "admin_b" in body and "clerk_a" not in body
    body = client.get("/accounts/manage/", {"unit": cast.county_a.id}).content.decode()
    # county A: its office admin, the court clerk, the linked officer, the supervisor.
    assert {"admin_a", "clerk_a", "officer_a", "supervisor_a"} <= {n for n in cast.users if n in body}
    assert "admin_b" not in body and "city_admin" not in body
    body = client.get("/accounts/manage/", {"q": "clerk"}).content.decode()
    assert "clerk_a" in body and "admin_a" not in body


def test_list_is_paginated(cast, client_for):
    for i in range(60):
        services.user_create(actor=None, username=f"bulk{i:02d}", password=None)
    client = client_for(cast.sysadmin)
    first = client.get("/accounts/manage/").content.decode()
    assert "第 1 / 2 页" in first
    second = client.get("/accounts/manage/", {"page": 2}).content.decode()
    assert "第 2 / 2 页" in second


@pytest.mark.parametrize("name", ["auditor", "city_admin", "clerk_a", "officer_a", "clue_handler"])
def test_other_roles_cannot_reach_administration(cast, client_for, name):
    client = client_for(cast.users[name])
    for url in ADMIN_URLS + [f"/accounts/manage/{cast.clerk_a.id}/"]:
        assert client.get(url).status_code == 403, url


def test_secadmin_cannot_create_accounts(cast, client_for):
    client = client_for(cast.secadmin)
    assert client.get("/accounts/manage/new/").status_code == 403
    response = client.post("/accounts/manage/new/", {"username": "x1", "password1": NEW_PASSWORD,
                                                     "password2": NEW_PASSWORD})
    assert response.status_code == 403
    assert not User.objects.filter(username="x1").exists()


def test_sysadmin_creates_account_linked_to_officer(cast, client_for):
    client = client_for(cast.sysadmin)
    response = client.post("/accounts/manage/new/", {
        "username": "police_li", "display_name": "李警官", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "officer_query": "李警官"})
    account = User.objects.get(username="police_li")
    assert response.status_code == 302 and response["Location"] == f"/accounts/manage/{account.id}/"
    assert account.check_password(NEW_PASSWORD)
    assert account.officer == cast.officers["police_a"]
    assert not RoleAssignment.objects.filter(user=account).exists()
    assert AuditEntry.objects.filter(action="user.create", object_type="org_user").exists()


def test_officer_can_be_found_by_id_number(cast, client_for):
    from tests.conftest import make_id

    client = client_for(cast.sysadmin)
    client.post("/accounts/manage/new/", {
        "username": "judge_wang", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD,
        "officer_query": make_id("360102", "19790303", 31)})
    assert User.objects.get(username="judge_wang").officer == cast.officers["judge_b"]


def test_officer_already_linked_is_refused(cast, client_for):
    client = client_for(cast.sysadmin)
    response = client.post("/accounts/manage/new/", {
        "username": "dup", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "officer_query": "张审判"})
    assert response.status_code == 200
    assert "该干警已关联其他账号" in response.content.decode()
    assert not User.objects.filter(username="dup").exists()


def test_initial_password_is_checked_with_chinese_messages(cast, client_for):
    client = client_for(cast.sysadmin)
    response = client.post("/accounts/manage/new/", {"username": "weak", "password1": "12345678",
                                                     "password2": "12345678"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "密码太短：至少需要 12 个字符" in body  # Django's validators, worded in Chinese
    assert "密码不能全部是数字" in body and "密码过于常见" in body
    assert not User.objects.filter(username="weak").exists()


def test_duplicate_username_is_refused(cast, client_for):
    response = client_for(cast.sysadmin).post("/accounts/manage/new/", {
        "username": "clerk_a", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert "用户名已存在" in response.content.decode()


def test_sysadmin_disables_and_enables_account_sessions_end(cast, client_for):
    victim = client_for(cast.clerk_a)
    assert victim.get("/org/people/").status_code == 200
    token, _plain = services_token(cast.clerk_a)
    admin = client_for(cast.sysadmin)
    admin.post(f"/accounts/manage/{cast.clerk_a.id}/active/", {"active": "0"})
    cast.clerk_a.refresh_from_db()
    assert not cast.clerk_a.is_active
    assert victim.get("/org/people/").status_code == 302  # back to the sign-in page
    assert not any(s.get_decoded().get("_auth_user_id") == str(cast.clerk_a.pk) for s in Session.objects.all())
    token.refresh_from_db()
    assert token.revoked
    admin.post(f"/accounts/manage/{cast.clerk_a.id}/active/", {"active": "1"})
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.is_active


def services_token(user):
    from zhengdun.org.api_auth import token_create

    return token_create(user=user, name="script")


def test_sysadmin_cannot_disable_self(cast, client_for):
    client = client_for(cast.sysadmin)
    client.post(f"/accounts/manage/{cast.sysadmin.id}/active/", {"active": "0"})
    cast.sysadmin.refresh_from_db()
    assert cast.sysadmin.is_active


def test_sysadmin_resets_password(cast, client_for):
    victim = client_for(cast.clerk_a)
    admin = client_for(cast.sysadmin)
    response = admin.post(f"/accounts/manage/{cast.clerk_a.id}/password/",
                          {"password1": "short", "password2": "short"})
    assert response.status_code == 400 and "密码太短" in response.content.decode()
    response = admin.post(f"/accounts/manage/{cast.clerk_a.id}/password/",
                          {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.check_password(NEW_PASSWORD)
    assert victim.get("/org/people/").status_code == 302
    assert AuditEntry.objects.filter(action="user.reset_password").exists()


def test_secadmin_cannot_reset_password_or_disable(cast, client_for):
    client = client_for(cast.secadmin)
    assert client.post(f"/accounts/manage/{cast.clerk_a.id}/password/",
                       {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}).status_code == 403
    assert client.post(f"/accounts/manage/{cast.clerk_a.id}/active/", {"active": "0"}).status_code == 403
    with pytest.raises(PermissionDenied):
        services.user_reset_password(actor=cast.secadmin, user=cast.clerk_a, password=NEW_PASSWORD)


def test_secadmin_assigns_and_revokes_roles(cast, client_for):
    account = services.user_create(actor=cast.sysadmin, username="newbie", password=NEW_PASSWORD)
    client = client_for(cast.secadmin)
    response = client.post(f"/accounts/manage/{account.id}/roles/", {"role": Role.UNIT_CLERK,
                                                                     "unit": cast.court_b.id})
    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=account)
    assert (assignment.role, assignment.unit) == (Role.UNIT_CLERK, cast.court_b)
    assert AuditEntry.objects.filter(action="role.assign", object_type="org_roleassignment").exists()
    response = client.post(f"/accounts/manage/{account.id}/roles/{assignment.id}/revoke/")
    assert response.status_code == 302
    assert not RoleAssignment.objects.filter(user=account).exists()


def test_role_needing_a_unit_must_have_one(cast, client_for):
    account = services.user_create(actor=cast.sysadmin, username="newbie", password=NEW_PASSWORD)
    response = client_for(cast.secadmin).post(f"/accounts/manage/{account.id}/roles/",
                                              {"role": Role.OFFICE_ADMIN, "unit": ""})
    assert response.status_code == 400
    assert "该角色必须指定所属单位" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=account).exists()


def test_sysadmin_cannot_assign_roles(cast, client_for):
    client = client_for(cast.sysadmin)
    response = client.post(f"/accounts/manage/{cast.clerk_a.id}/roles/", {"role": Role.OFFICE_ADMIN,
                                                                          "unit": cast.city.id})
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=cast.sysadmin, user=cast.clerk_a, role=Role.OFFICE_ADMIN, unit=cast.city)
    with pytest.raises(PermissionDenied):
        services.user_create(actor=cast.sysadmin, username="sneaky", password=NEW_PASSWORD,
                             roles=[(Role.AUDITOR, None)])
    assert not RoleAssignment.objects.filter(user=cast.clerk_a, role=Role.OFFICE_ADMIN).exists()


def test_secadmin_cannot_change_own_roles_nor_combine_admin_roles(cast):
    with pytest.raises(PermissionDenied):
        services.role_assign(actor=cast.secadmin, user=cast.secadmin, role=Role.AUDITOR, unit=None)
    with pytest.raises(ValidationError):
        services.role_assign(actor=cast.secadmin, user=cast.sysadmin, role=Role.AUDITOR, unit=None)
    with pytest.raises(ValidationError):
        services.role_assign(actor=cast.secadmin, user=cast.clerk_a, role=Role.SYSADMIN, unit=None)
    with pytest.raises(ValidationError):  # the officer role needs a linked officer file
        services.role_assign(actor=cast.secadmin, user=cast.clerk_a, role=Role.OFFICER, unit=None)


def test_secadmin_unlocks_account(cast, client_for):
    User.objects.filter(pk=cast.clerk_a.pk).update(failed_logins=3,
                                                   locked_until=timezone.now() + timezone.timedelta(minutes=9))
    assert client_for(cast.sysadmin).post(f"/accounts/manage/{cast.clerk_a.id}/unlock/").status_code == 403
    client_for(cast.secadmin).post(f"/accounts/manage/{cast.clerk_a.id}/unlock/")
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.locked_until is None and cast.clerk_a.failed_logins == 0
    assert Client().post("/accounts/login/", {"username": "clerk_a", "password": PASSWORD}).status_code == 302


def test_secadmin_resets_totp_device(cast, client_for):
    victim = client_for(cast.auditor)  # the auditor has a confirmed device now
    assert TOTPDevice.objects.filter(user=cast.auditor).exists()
    assert client_for(cast.sysadmin).post(f"/accounts/manage/{cast.auditor.id}/otp-reset/").status_code == 403
    client_for(cast.secadmin).post(f"/accounts/manage/{cast.auditor.id}/otp-reset/")
    assert not TOTPDevice.objects.filter(user=cast.auditor).exists()
    assert victim.get("/audit/").status_code == 302
    # On the next sign-in the auditor is sent to enrol a new device.
    client = Client()
    client.post("/accounts/login/", {"username": "auditor", "password": PASSWORD})
    response = client.get("/accounts/otp/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/otp/setup/")
    assert AuditEntry.objects.filter(action="user.reset_otp").exists()


def test_detail_of_missing_account_is_404(cast, client_for):
    assert client_for(cast.sysadmin).get("/accounts/manage/999999/").status_code == 404


def test_neither_admin_reads_audit_log(cast, client_for):
    for admin in (cast.sysadmin, cast.secadmin):
        assert client_for(admin).get("/audit/").status_code == 403


def test_nav_shows_account_pages_by_role(cast, client_for):
    body = client_for(cast.sysadmin).get("/accounts/manage/me/").content.decode()
    assert 'href="/accounts/manage/"' in body and 'href="/accounts/manage/me/"' in body
    body = client_for(cast.clerk_a).get("/accounts/manage/me/").content.decode()
    assert 'href="/accounts/manage/"' not in body and 'href="/accounts/manage/me/"' in body


# --- my account ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["clerk_a", "officer_a", "auditor", "sysadmin"])
def test_everyone_sees_my_account_with_roles(cast, client_for, name):
    response = client_for(cast.users[name]).get("/accounts/manage/me/")
    assert response.status_code == 200
    assert "我的账号" in response.content.decode()


def test_my_account_shows_own_roles(cast, client_for):
    body = client_for(cast.clerk_a).get("/accounts/manage/me/").content.decode()
    assert "单位联络员" in body and "甲县人民法院" in body


def test_change_own_password(cast, client_for):
    client = client_for(cast.clerk_a)
    other = client_for(cast.clerk_a)
    response = client.post("/accounts/manage/me/password/", {
        "old_password": "wrong", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400 and "原密码不正确" in response.content.decode()
    response = client.post("/accounts/manage/me/password/", {
        "old_password": PASSWORD, "new_password": "123", "new_password2": "123"})
    assert response.status_code == 400 and "密码太短" in response.content.decode()
    response = client.post("/accounts/manage/me/password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    cast.clerk_a.refresh_from_db()
    assert cast.clerk_a.check_password(NEW_PASSWORD)
    assert client.get("/accounts/manage/me/").status_code == 200  # this session stays signed in
    assert other.get("/accounts/manage/me/").status_code == 302  # the other one ends


def test_personal_tokens_create_show_once_and_revoke(cast, client_for):
    client = client_for(cast.clerk_a)
    response = client.post("/accounts/manage/me/tokens/", {"name": "nightly"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=cast.clerk_a)
    body = response.content.decode()
    plain = body.split('id="zd-new-token"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert plain.startswith("zd_") and plain[:10] == token.prefix
    assert plain not in client.get("/accounts/manage/me/").content.decode()  # shown once only
    api = Client()
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {plain}").json()["username"] == "clerk_a"
    client.post(f"/accounts/manage/me/tokens/{token.id}/revoke/")
    token.refresh_from_db()
    assert token.revoked
    assert api.get("/api/me", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_cannot_revoke_someone_elses_token(cast, client_for):
    token, _plain = services_token(cast.admin_b)
    assert client_for(cast.clerk_a).post(f"/accounts/manage/me/tokens/{token.id}/revoke/").status_code == 404
    token.refresh_from_db()
    assert not token.revoked


def test_my_account_needs_sign_in(db):
    response = Client().get("/accounts/manage/me/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
