"""API authentication: the browser session, or a personal token (`Authorization: Bearer zd_…`)."""

import functools
import hashlib
import secrets

from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import APIKeyHeader

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


def user_for_token(plain: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=_hash(plain), revoked=False).first()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at and token.expires_at < timezone.now():
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())  # not audited: usage stamp
    return token.user


class SessionOrToken(APIKeyHeader):
    param_name = "Authorization"

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = user_for_token(header[7:].strip())
            if user is not None:
                request.user = user
                request.via_token = True
                return user
            return None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None

    def authenticate(self, request, key):  # pragma: no cover - __call__ handles both ways
        return None


def api_policy(*roles: str, name: str | None = None):
    """Declare who may call an API operation (the URL-walk test checks every operation has one)."""
    policy = Policy(name=name or (",".join(sorted(roles)) or "authenticated"), roles=frozenset(roles))

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
