"""The JSON API under /api/ (OpenAPI 3 at /api/openapi.json). Errors are {"code", "message"}:
the handlers below cover what operations raise; urls.py covers unknown paths and wrong methods."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from zhengdun.activities.api import router as activities_router
from zhengdun.campaigns.api import router as campaigns_router
from zhengdun.learning.api import router as learning_router
from zhengdun.org.api import router as org_router
from zhengdun.org.api_auth import SessionOrToken
from zhengdun.org.api_roster import router as roster_router
from zhengdun.screening.api import router as screening_router
from zhengdun.stats.api import router as stats_router

logger = logging.getLogger(__name__)

api = NinjaAPI(title="Zhengdun API", version="1", urls_namespace="api", auth=SessionOrToken(),
               docs_url="/docs", openapi_url="/openapi.json")


def _error(request, status: int, code: str, message: str, details=None):
    body = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("未找到该资源"))


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or _("无权执行此操作"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "not_authenticated", _("请先登录或提供有效的 API 令牌"))


@api.exception_handler(NinjaValidationError)
def invalid_request(request, exc):
    return _error(request, 422, "invalid_request", _("请求参数不正确"), exc.errors)


@api.exception_handler(DjangoValidationError)
def invalid_data(request, exc):
    details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return _error(request, 400, "invalid", "；".join(m for ms in details.values() for m in ms), details)


@api.exception_handler(HttpError)
def http_error(request, exc):
    code = getattr(exc, "code", None) or {400: "bad_request", 401: "not_authenticated", 403: "forbidden",
                                           404: "not_found", 429: "locked"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, code, str(exc.message))


@api.exception_handler(Exception)
def server_error(request, exc):
    logger.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error", _("服务器内部错误，请稍后重试"))


api.add_router("/", org_router)
api.add_router("/roster", roster_router)
api.add_router("/learning", learning_router)
api.add_router("/screening", screening_router)
api.add_router("/", campaigns_router)
api.add_router("/", activities_router)
api.add_router("/stats", stats_router)
