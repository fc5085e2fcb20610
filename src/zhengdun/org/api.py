"""API for sign-in, the profile, tokens, units and people; same scoping as the pages."""

from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from ninja import Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from zhengdun.org import auth_services, selectors, services
from zhengdun.org.access import STAFF_ROLES, UNIT_TREE_ROLES, get_scope, may_unmask
from zhengdun.org.api_auth import ApiHttpError, api_policy, public_api, token_create, token_revoke
from zhengdun.org.models import ApiToken, Role, Unit

router = Router()


class LoginIn(Schema):
    username: str
    password: str
    otp: str | None = None


class ProfileOut(Schema):
    username: str
    display_name: str
    roles: list[str]
    unit: int | None
    units: list[int]
    officer: int | None
    otp_verified: bool


class UnitOut(Schema):
    id: int
    unit: int
    parent: int | None
    code: str
    name: str
    level: str
    kind: str
    division_code: str
    depth: int
    ancestors: list[int]


class OfficerOut(Schema):
    id: int
    unit: int
    unit_name: str
    name: str
    gender: str
    birth_date: date
    id_number: str
    position: str
    category: str
    party: str
    status: str


class RelativeOut(Schema):
    id: int
    unit: int
    officer: int
    relation: str
    name: str
    id_number: str
    work_unit: str
    occupation: str


class TokenIn(Schema):
    name: str
    expires_at: datetime | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked: bool


class NewTokenOut(TokenOut):
    token: str


class RevealOut(Schema):
    id_number: str


def _profile(request) -> dict:
    scope = get_scope(request)
    user = request.user
    verified = getattr(user, "otp_device", None) is not None
    return {
        "username": user.username, "display_name": user.display_name, "roles": sorted(scope.roles),
        "unit": scope.anchor_unit_ids[0] if scope.anchor_unit_ids else None, "units": list(scope.anchor_unit_ids),
        "officer": scope.officer_id, "otp_verified": verified,
    }


def _ancestor_ids(unit: Unit) -> list[int]:
    codes = unit.ancestor_codes
    by_code = dict(Unit.objects.filter(code__in=codes).values_list("code", "id"))
    return [by_code[c] for c in codes if c in by_code]


def _unit_out(unit: Unit) -> dict:
    return {"id": unit.id, "unit": unit.id, "parent": unit.parent_id, "code": unit.code, "name": unit.name,
            "level": unit.level, "kind": unit.kind, "division_code": unit.division_code, "depth": unit.depth,
            "ancestors": _ancestor_ids(unit)}


def _officer_out(o) -> dict:
    return {"id": o.id, "unit": o.unit_id, "unit_name": o.unit.name, "name": o.name, "gender": o.gender,
            "birth_date": o.birth_date, "id_number": o.id_number_masked, "position": o.position,
            "category": o.category, "party": o.party, "status": o.status}


class CsrfOut(Schema):
    csrf_token: str


def _check_login_origin(request) -> None:
    """Login CSRF (another site signing the browser in to an account of its choosing): the body must
    be JSON, which a cross-site form cannot send and a cross-site script cannot send without a CORS
    preflight this server never grants; and a browser's Origin header must name this site. Scripts
    send JSON and no Origin, so they need no CSRF token to sign in."""
    if request.content_type != "application/json":
        raise ApiHttpError(415, "unsupported_media_type", "请以 JSON 提交（Content-Type: application/json）")
    origin = request.headers.get("Origin")
    if origin is not None:
        own = f"{request.scheme}://{request.get_host()}"
        if origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS:
            raise ApiHttpError(403, "csrf_failed", "CSRF 校验失败：登录请求来自其他站点")


@router.get("/auth/csrf", auth=None, response=CsrfOut, tags=["auth"])
@public_api
def api_csrf(request):
    """The CSRF token (and cookie) a browser client sends as X-CSRFToken with session-authenticated POSTs."""
    return {"csrf_token": get_token(request)}


@router.post("/auth/login", auth=None, response=ProfileOut, tags=["auth"])
@public_api
def api_login(request, payload: LoginIn, response: HttpResponse):
    _check_login_origin(request)
    ip = request.META.get("REMOTE_ADDR", "")
    result = auth_services.sign_in(request, username=payload.username, password=payload.password, ip=ip)
    if result.user is None:
        raise ApiHttpError(429 if result.code == "locked" else 401, result.code, result.error)
    if result.needs_otp:
        if not payload.otp:
            raise ApiHttpError(401, "otp_required", "该账号需要动态口令：请在 otp 字段提供 6 位动态口令")
        if not auth_services.has_confirmed_device(result.user):
            raise ApiHttpError(401, "otp_not_enrolled", "该账号尚未绑定动态口令，请先在网页端绑定")
        auth_services.start_session(request, result.user, ip=ip)
        if not auth_services.verify_otp(request, user=result.user, token=payload.otp, ip=ip):
            logout(request)
            raise ApiHttpError(401, "otp_invalid", "动态口令不正确或已过期")
    else:
        auth_services.start_session(request, result.user, ip=ip)
    request.__dict__.pop("_zhengdun_scope", None)
    # Signing in rotates the CSRF token: hand the new one to browser clients.
    response["X-CSRFToken"] = get_token(request)
    return _profile(request)


@router.post("/auth/logout", tags=["auth"])
@api_policy(name="authenticated")
def api_logout(request):
    logout(request)
    return {"code": "ok", "message": "已退出"}


@router.get("/me", response=ProfileOut, tags=["auth"])
@api_policy(name="authenticated")
def me(request):
    return _profile(request)


@router.get("/tokens", response=list[TokenOut], tags=["auth"])
@api_policy(name="authenticated")
def token_list(request):
    return list(ApiToken.objects.filter(user=request.user).order_by("-created_at"))


@router.post("/tokens", response={201: NewTokenOut}, tags=["auth"])
@api_policy(name="authenticated")
def token_new(request, payload: TokenIn):
    if not payload.name.strip():
        raise ApiHttpError(400, "invalid", "令牌名称不能为空")
    token, plain = token_create(user=request.user, name=payload.name.strip(), expires_at=payload.expires_at)
    data = TokenOut.from_orm(token).dict()
    data["token"] = plain
    return Status(201, data)


@router.delete("/tokens/{token_id}", tags=["auth"])
@api_policy(name="authenticated")
def token_delete(request, token_id: int):
    token = ApiToken.objects.filter(pk=token_id, user=request.user).first()
    if token is None:
        raise Http404
    token_revoke(user=request.user, token=token)
    return {"code": "ok", "message": "令牌已吊销"}


@router.get("/units", response=list[UnitOut], tags=["units"])
@api_policy(*UNIT_TREE_ROLES)
@paginate(PageNumberPagination, page_size=100)
def unit_list(request, parent: int | None = None, level: str | None = None):
    units = selectors.unit_list(scope=get_scope(request))
    if parent is not None:
        units = units.filter(parent_id=parent)
    if level:
        units = units.filter(level=level)
    return [_unit_out(u) for u in units]


@router.get("/units/{unit_id}", response=UnitOut, tags=["units"])
@api_policy(*UNIT_TREE_ROLES, Role.OFFICER)
def unit_get(request, unit_id: int):
    unit = selectors.unit_get(scope=get_scope(request), unit_id=unit_id)
    if unit is None:
        raise Http404
    return _unit_out(unit)


@router.get("/officers", response=list[OfficerOut], tags=["people"])
@api_policy(*STAFF_ROLES, Role.OFFICER)
@paginate(PageNumberPagination, page_size=50)
def officer_list(request, q: str = "", unit: int | None = None, category: str = "", status: str = "",
                 party: str = ""):
    scope = get_scope(request)
    root = None
    if unit is not None:
        root = selectors.unit_list(scope=scope).filter(pk=unit).first()
        if root is None:
            raise Http404
    officers = selectors.officer_list(scope=scope, query=q, unit=root, category=category, status=status, party=party)
    return [_officer_out(o) for o in officers]


@router.get("/officers/{officer_id}", response=OfficerOut, tags=["people"])
@api_policy(*STAFF_ROLES, Role.OFFICER)
def officer_get(request, officer_id: int):
    officer = selectors.officer_get(scope=get_scope(request), officer_id=officer_id)
    if officer is None:
        raise Http404
    return _officer_out(officer)


@router.get("/officers/{officer_id}/relatives", response=list[RelativeOut], tags=["people"])
@api_policy(*STAFF_ROLES, Role.OFFICER)
def officer_relatives(request, officer_id: int):
    scope = get_scope(request)
    officer = selectors.officer_get(scope=scope, officer_id=officer_id)
    if officer is None:
        raise Http404
    relatives = list(selectors.relative_list(scope=scope, officer=officer))
    services.relatives_viewed(actor=request.user, officer=officer, ip=request.META.get("REMOTE_ADDR", ""))
    return [{"id": r.id, "unit": r.unit_id, "officer": r.officer_id, "relation": r.relation, "name": r.name,
             "id_number": r.id_number_masked, "work_unit": r.work_unit, "occupation": r.occupation}
            for r in relatives]


@router.post("/officers/{officer_id}/reveal-id", response=RevealOut, tags=["people"])
@api_policy(name="id-unmask", requires=may_unmask)
def officer_reveal_id(request, officer_id: int):
    officer = selectors.officer_get(scope=get_scope(request), officer_id=officer_id)
    if officer is None:
        raise Http404
    number = services.person_reveal_id(actor=request.user, person=officer, ip=request.META.get("REMOTE_ADDR", ""))
    return {"id_number": number}
