"""API authentication: the browser session, or a personal token (`Authorization: Bearer zd_…`).

A request authenticated by the session cookie is a browser request, so unsafe methods must pass
Django's CSRF check (X-CSRFToken header); a bearer token cannot be sent by another site and needs none.
"""

import functools
import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyHeader
from ninja.utils import check_csrf

from zhengdun.audit.chain import audited
from zhengdun.org.access import Policy, get_scope, otp_required
from zhengdun.org.models import ApiToken, User

TOKEN_PREFIX = "zd_"


class ApiHttpError(HttpError):
    def __init__(self, status_code: int, code: str, message: str):
        super().__init__(status_code, message)
        self.code = code


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """A new personal token; the plain token is returned once and only its hash is stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with audited(actor=user, action="api_token.create"):
        token = ApiToken.objects.create(user=user, name=name, prefix=plain[:10], key_hash=_hash(plain),
                                        expires_at=expires_at)
    return token, plain


def token_revoke(*, user: User, token: ApiToken) -> None:
    with audited(actor=user, action="api_token.revoke"):
        ApiToken.objects.filter(pk=token.pk, user=user).update(revoked=True)


# The last-use stamp is refreshed at most this often: each refresh is a row change, hence an audit entry.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def user_for_token(plain: str, *, ip: str = "") -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(plain), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at < now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Attributed to the owner; does not wait behind a long audited write (see audit.chain.audited).
        with audited(actor=token.user, action="api_token.use", ip=ip, wait=False):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


class SessionOrToken(APIKeyHeader):
    param_name = "Authorization"

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = user_for_token(header[7:].strip(), ip=request.META.get("REMOTE_ADDR", ""))
            if user is not None:
                request.user = user
                request.via_token = True
                return user
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            require_csrf(request)
            return user
        return None

    def authenticate(self, request, key):  # pragma: no cover - __call__ handles both ways
        return None


def require_csrf(request) -> None:
    """Django's CSRF check (token and, over HTTPS, origin/referer) for unsafe methods."""
    if getattr(request, "_ninja_csrf_exempt", False):
        return
    if check_csrf(request) is not None:
        raise ApiHttpError(403, "csrf_failed",
                           "CSRF 校验失败：使用会话登录时，请在 X-CSRFToken 请求头中提供 CSRF 令牌（GET /api/auth/csrf）")


def api_policy(*roles: str, name: str | None = None, requires=None):
    """Declare who may call an API operation (the URL-walk test checks every operation has one)."""
    policy = Policy(name=name or (",".join(sorted(roles)) or "authenticated"), roles=frozenset(roles),
                    requires=requires)

    def decorate(func):
        @functools.wraps(func)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not getattr(request, "via_token", False) and otp_required(user) and not user.is_verified():
                raise ApiHttpError(401, "otp_required", "需要动态口令二次验证")
            if not policy.allows(get_scope(request)):
                raise ApiHttpError(403, "forbidden", "您的角色无权访问此功能")
            return func(request, *args, **kwargs)

        wrapped.access_policy = policy
        return wrapped

    return decorate


def public_api(func):
    func.access_policy = Policy(name="public", public=True)
    return func
