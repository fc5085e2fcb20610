"""Sign-in: lockout after repeated failures, every success and failure logged, TOTP second factor.

Sign-in writes (the failure counter, Django's last_login, the OTP device's throttling state and the
sign-in log entries) use audited(wait=False): signing in never waits behind a long audited write
such as a roster import, and the row changes are still attributed to the account and action.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, login
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from zhengdun.audit.chain import audited, record
from zhengdun.org.access import otp_required
from zhengdun.org.models import User


@dataclass
class SignInResult:
    user: User | None
    error: str = ""
    code: str = ""
    needs_otp: bool = False


def sign_in(request, *, username: str, password: str, ip: str = "") -> SignInResult:
    """Check the password with lockout; the caller logs the user in and then asks for OTP if needed."""
    username = (username or "").strip()
    user = User.objects.filter(username=username).first()
    now = timezone.now()
    if user is not None and user.locked_until and user.locked_until > now:
        _log(user, username, "auth.login_locked", ip)
        local = timezone.localtime(user.locked_until).strftime("%H:%M")
        return SignInResult(None, _("账号因连续登录失败已被锁定，请于 %(time)s 后重试或联系安全保密管理员。")
                            % {"time": local}, "locked")
    # authenticate() may rewrite the stored hash (hasher upgrade): a row change to attribute.
    with audited(actor=user, action="auth.password_check", ip=ip, wait=False):
        authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        if user is not None:
            with audited(actor=None, action="auth.login_failed", ip=ip, wait=False):
                User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
                user.refresh_from_db(fields=["failed_logins"])
                if user.failed_logins >= settings.LOGIN_MAX_FAILURES:
                    User.objects.filter(pk=user.pk).update(
                        locked_until=now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES), failed_logins=0)
        _log(user, username, "auth.login_failed", ip)
        return SignInResult(None, _("用户名或密码错误。"), "invalid_credentials")
    if authenticated.failed_logins or authenticated.locked_until:
        with audited(actor=authenticated, action="auth.login_reset", ip=ip, wait=False):
            User.objects.filter(pk=authenticated.pk).update(failed_logins=0, locked_until=None)
    needs = otp_required(authenticated)
    _log(authenticated, username, "auth.login_password_ok" if needs else "auth.login", ip)
    # A fresh sign-in restarts the idle and absolute session clocks (see org.middleware), also when
    # the same user signs in again in a session Django keeps (it cycles the key only for a new login).
    session = getattr(request, "session", None)
    if session is not None:
        session.pop("zd_key", None)
    return SignInResult(authenticated, needs_otp=needs)


def start_session(request, user: User, *, ip: str = "") -> None:
    """Django's login(); its last_login update is recorded as the user's own `auth.session`."""
    with audited(actor=user, action="auth.session", ip=ip, wait=False):
        login(request, user)


def verify_otp(request, *, user: User, token: str, ip: str = "") -> bool:
    # Checking a code updates the device (throttling, last use): attribute that to the user.
    with audited(actor=user, action="auth.otp_check", ip=ip, wait=False):
        device = match_token(user, (token or "").strip())
    if device is None:
        _log(user, user.username, "auth.otp_failed", ip)
        return False
    from django_otp import login as otp_login

    otp_login(request, device)
    _log(user, user.username, "auth.login", ip)
    return True


def has_confirmed_device(user: User) -> bool:
    return any(True for _d in devices_for_user(user, confirmed=True))


def totp_device_for_setup(user: User) -> TOTPDevice:
    """The unconfirmed device a user is enrolling (created on first call)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        with audited(actor=user, action="auth.otp_enrol", wait=False):
            device = TOTPDevice.objects.create(user=user, name="默认动态口令", confirmed=False)
    return device


def confirm_device(request, *, user: User, device: TOTPDevice, token: str) -> bool:
    with audited(actor=user, action="auth.otp_check", wait=False):
        verified = device.verify_token((token or "").strip())
    if not verified:
        return False
    with audited(actor=user, action="auth.otp_confirm", wait=False):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    from django_otp import login as otp_login

    otp_login(request, device)
    return True


def _log(user: User | None, username: str, action: str, ip: str) -> None:
    record(actor=user, action=action, op="login", object_type="org_user",
           object_id=user.pk if user else "", after={"username": username}, ip=ip, wait=False)
